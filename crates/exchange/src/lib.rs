//! Files in and out of the registry. [`read()`] turns a CSV (comma or semicolon separated,
//! UTF-8 with or without the BOM Excel writes), an XLSX workbook, a GeoJSON FeatureCollection
//! or NDJSON into profile documents: the JSON shape of `POST /v1/networks`, one per row, each
//! with the row (line, feature) it came from; what cannot be read is a [`Problem`] at that row.
//! The [`write`] module writes network documents back out in the same four formats, with
//! spreadsheet formulas neutralised. Validation of the documents is the registry's job: this
//! crate knows the file formats and the columns, nothing of HTTP or SQL.

pub mod columns;
mod formula;
pub mod read;
pub mod write;

pub use read::{Parsed, Problem, Row, Unit, read};

/// The file formats the registry reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Xlsx,
    GeoJson,
    Ndjson,
}

pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Format {
    pub const ALL: [Format; 4] = [Format::Csv, Format::Xlsx, Format::GeoJson, Format::Ndjson];

    /// The code used in query strings and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::GeoJson => "geojson",
            Format::Ndjson => "ndjson",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The media type a response in this format carries.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => XLSX_MEDIA_TYPE,
            Format::GeoJson => "application/geo+json",
            Format::Ndjson => "application/x-ndjson",
        }
    }

    /// The format a request body of media type `essence` (no parameters) is in.
    pub fn from_media_type(essence: &str) -> Option<Self> {
        match essence.trim().to_ascii_lowercase().as_str() {
            "text/csv" | "application/csv" => Some(Format::Csv),
            XLSX_MEDIA_TYPE => Some(Format::Xlsx),
            "application/geo+json" => Some(Format::GeoJson),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(Format::Ndjson)
            }
            _ => None,
        }
    }

    /// The media types [`Format::from_media_type`] accepts, for error messages and docs.
    pub const MEDIA_TYPES: &'static str = "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (XLSX), application/geo+json, application/x-ndjson";

    /// The format a file name says (`.csv`, `.xlsx`, `.geojson`/`.json`, `.ndjson`/`.jsonl`).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "geojson" | "json" => Some(Format::GeoJson),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_three_ways() {
        for f in Format::ALL {
            assert_eq!(Format::from_code(f.code()), Some(f));
            let essence = f.media_type().split(';').next().unwrap_or_default();
            assert_eq!(Format::from_media_type(essence), Some(f));
        }
        assert_eq!(Format::from_file_name("netwerken.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::from_file_name("a.jsonl"), Some(Format::Ndjson));
        assert_eq!(Format::from_file_name("a.txt"), None);
        assert_eq!(Format::from_media_type("text/plain"), None);
    }
}
