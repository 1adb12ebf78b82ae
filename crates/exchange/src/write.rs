//! Writing network documents out: CSV and XLSX with the spreadsheet columns (every text cell
//! neutralised against formula injection), GeoJSON (the service area's own geometry as the
//! feature's geometry) and NDJSON. Rows go out one at a time, so an export streams.
//!
//! A document is a network as the API shows it: the profile fields plus `id`, `state`,
//! `version` and `updated_at`.

use crate::columns::{COLUMNS, Column, Kind};
use crate::formula::neutralise;
use serde_json::{Map, Value};

/// Which language the headings are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Headings {
    English,
    Dutch,
}

impl Column {
    fn heading(&self, h: Headings) -> &'static str {
        match h {
            Headings::English => self.en,
            Headings::Dutch => self.nl,
        }
    }
}

/// The columns an export writes.
pub fn export_columns() -> impl Iterator<Item = &'static Column> {
    COLUMNS.iter().filter(|c| c.exported)
}

/// The columns of the import template: what a person fills in for a new network (one
/// contact person in plain columns; the registry's own fields left out).
pub fn template_columns() -> impl Iterator<Item = &'static Column> {
    COLUMNS.iter().filter(|c| {
        c.kind != Kind::Informational && !matches!(c.key, "id" | "contacts" | "quality")
    })
}

fn get<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut value = doc.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// The text of one cell (not yet neutralised).
fn cell_text(column: &Column, doc: &Map<String, Value>) -> String {
    match get(doc, column.key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if column.kind == Kind::List => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(Value::Array(items)) if items.is_empty() => String::new(),
        Some(Value::Object(o)) if o.is_empty() || o.values().all(Value::is_null) => String::new(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        Some(other) => other.to_string(),
    }
}

/// The header row of a CSV export.
pub fn csv_header(headings: Headings) -> Vec<u8> {
    csv_line(export_columns().map(|c| c.heading(headings).to_owned()))
}

/// One network as a CSV line.
pub fn csv_row(doc: &Map<String, Value>) -> Vec<u8> {
    csv_line(export_columns().map(|c| neutralise(&cell_text(c, doc)).into_owned()))
}

fn csv_line(cells: impl Iterator<Item = String>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let cells: Vec<String> = cells.collect();
    // Writing to a Vec cannot fail.
    let _ = w.write_record(&cells);
    w.into_inner().unwrap_or_default()
}

/// One network as an NDJSON line.
pub fn ndjson_line(doc: &Map<String, Value>) -> Vec<u8> {
    let mut line = serde_json::to_vec(doc).unwrap_or_default();
    line.push(b'\n');
    line
}

pub const GEOJSON_START: &[u8] = b"{\"type\":\"FeatureCollection\",\"features\":[\n";
pub const GEOJSON_END: &[u8] = b"\n]}\n";

/// One network as a GeoJSON Feature (preceded by a comma unless `first`): its service
/// area's own geometry is the feature's, the rest of the profile its properties.
pub fn geojson_feature(doc: &Map<String, Value>, first: bool) -> Vec<u8> {
    let mut properties = doc.clone();
    let geometry = properties
        .get_mut("service_area")
        .and_then(Value::as_object_mut)
        .and_then(|a| a.remove("geometry"))
        .unwrap_or(Value::Null);
    let id = properties.get("id").cloned().unwrap_or(Value::Null);
    let feature = serde_json::json!({
        "type": "Feature",
        "id": id,
        "geometry": geometry,
        "properties": properties,
    });
    let mut out = if first { Vec::new() } else { b",\n".to_vec() };
    out.extend(serde_json::to_vec(&feature).unwrap_or_default());
    out
}

/// An XLSX workbook written row by row (rust_xlsxwriter's constant-memory mode keeps only
/// the current row in memory and the rest in a temporary file).
pub struct XlsxWriter {
    book: rust_xlsxwriter::Workbook,
    next_row: u32,
}

pub type XlsxError = rust_xlsxwriter::XlsxError;

impl XlsxWriter {
    /// A workbook whose sheet `sheet` starts with the headings of `columns`.
    fn with_columns<'a>(
        sheet: &str,
        columns: impl Iterator<Item = &'a Column>,
        headings: Headings,
    ) -> Result<Self, XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let ws = book.add_worksheet_with_constant_memory()?;
        ws.set_name(sheet)?;
        for (i, c) in columns.enumerate() {
            ws.write_string_with_format(0, i as u16, c.heading(headings), &bold)?;
        }
        Ok(Self { book, next_row: 1 })
    }

    /// An export: the sheet `Networks` (`Netwerken`) with every exported column.
    pub fn export(headings: Headings) -> Result<Self, XlsxError> {
        Self::with_columns(sheet_name(headings), export_columns(), headings)
    }

    /// Appends one network.
    pub fn push(&mut self, doc: &Map<String, Value>) -> Result<(), XlsxError> {
        let cells: Vec<String> = export_columns().map(|c| cell_text(c, doc)).collect();
        self.push_cells(&cells)
    }

    fn push_cells(&mut self, cells: &[String]) -> Result<(), XlsxError> {
        let row = self.next_row;
        let ws = self.book.worksheet_from_index(0)?;
        for (i, text) in cells.iter().enumerate() {
            if !text.is_empty() {
                ws.write_string(row, i as u16, neutralise(text).as_ref())?;
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// The finished file.
    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.book.save_to_buffer()
    }
}

fn sheet_name(headings: Headings) -> &'static str {
    match headings {
        Headings::English => "Networks",
        Headings::Dutch => "Netwerken",
    }
}

/// An example row of the template (clearly an example: the name says so).
fn example(c: &Column, headings: Headings) -> &'static str {
    match (c.key, headings) {
        ("external_id", _) => "VOORBEELD-1",
        ("name", Headings::Dutch) => {
            "Voorbeeld: Oncologienetwerk Groningen-Stad (verwijder deze rij)"
        }
        ("name", Headings::English) => "Example: Oncologienetwerk Groningen-Stad (delete this row)",
        ("type", _) => "oncology_care_network",
        ("scale", _) => "local",
        ("lifecycle", _) => "active",
        ("ros_org", _) => "ros-noord",
        ("website", _) => "https://www.example.nl",
        ("disciplines", _) => "physiotherapy; dietetics; psychology",
        ("service_area.municipalities", _) => "GM0014",
        ("contact.name", _) => "A. de Vries",
        ("contact.role", _) => "coordinator",
        ("contact.email", _) => "info@example.nl",
        ("contact.public", Headings::Dutch) => "ja",
        ("contact.public", Headings::English) => "yes",
        _ => "",
    }
}

/// The import template as CSV: the headings and one example row.
pub fn template_csv(headings: Headings) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend(csv_line(
        template_columns().map(|c| c.heading(headings).to_owned()),
    ));
    out.extend(csv_line(
        template_columns().map(|c| neutralise(example(c, headings)).into_owned()),
    ));
    out
}

/// The import template as XLSX: the headings, one example row, and a second sheet that
/// explains every column.
pub fn template_xlsx(headings: Headings) -> Result<Vec<u8>, XlsxError> {
    let mut w = XlsxWriter::with_columns(sheet_name(headings), template_columns(), headings)?;
    let cells: Vec<String> = template_columns()
        .map(|c| example(c, headings).to_owned())
        .collect();
    w.push_cells(&cells)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let help = w.book.add_worksheet();
    let (title, sheet) = match headings {
        Headings::English => (["Column", "What to fill in"], "Explanation"),
        Headings::Dutch => (["Kolom", "Wat vult u in"], "Toelichting"),
    };
    help.set_name(sheet)?;
    help.write_string_with_format(0, 0, title[0], &bold)?;
    help.write_string_with_format(0, 1, title[1], &bold)?;
    for (i, c) in template_columns().enumerate() {
        let hint = match headings {
            Headings::English => c.hint_en,
            Headings::Dutch => c.hint_nl,
        };
        help.write_string(i as u32 + 1, 0, c.heading(headings))?;
        help.write_string(i as u32 + 1, 1, neutralise(hint).as_ref())?;
    }
    help.set_column_width(0, 32)?;
    help.set_column_width(1, 100)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, read};
    use serde_json::json;

    fn doc() -> Map<String, Value> {
        json!({
            "id": "0193b4a0-0000-7000-8000-000000000001",
            "external_id": "R-1",
            "name": "=HYPERLINK(\"http://evil\",\"klik\")",
            "type": "oncology_care_network",
            "scale": "local",
            "lifecycle": "active",
            "parent_id": null,
            "ros_org": "ros-noord",
            "website": null,
            "description": {"nl": "-- gevaarlijk?", "en": null},
            "disciplines": ["dietetics", "physiotherapy"],
            "tumour_types": [],
            "service_area": {"municipalities": ["GM0014"], "postcodes": [], "geometry": null, "circles": [{"lat": 52.0, "lon": 5.0, "radius_km": 3.5}]},
            "contacts": [{"role": "coordinator", "name": "An", "email": null, "phone": "+31 50 123 4567", "public": false}],
            "members": [],
            "financing": [],
            "links": [],
            "quality": {"minimum_participation": null, "written_vision": true, "non_profit": null, "assessed_at": null},
            "state": "published",
            "version": 3,
            "updated_at": "2026-12-04T10:00:00Z"
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    /// What an import reads back: the profile without the registry's own fields, and
    /// without the empty values an export leaves as empty cells.
    fn profile_fields(doc: &Map<String, Value>) -> Value {
        let mut d = doc.clone();
        for k in ["state", "version", "updated_at"] {
            d.remove(k);
        }
        fn prune(v: &mut Value) -> bool {
            match v {
                Value::Null => false,
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => {
                    o.retain(|_, v| prune(v));
                    !o.is_empty()
                }
                _ => true,
            }
        }
        let mut v = Value::Object(d);
        prune(&mut v);
        v
    }

    #[test]
    fn csv_export_neutralises_and_reads_back() {
        let mut file = csv_header(Headings::Dutch);
        file.extend(csv_row(&doc()));
        let text = String::from_utf8(file.clone()).unwrap_or_default();
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert!(text.contains(",'-- gevaarlijk?,"), "{text}");
        let back = read(&file, Format::Csv);
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        assert_eq!(
            profile_fields(&back.rows[0].document),
            profile_fields(&doc())
        );
    }

    #[test]
    fn xlsx_export_reads_back() {
        let mut w = XlsxWriter::export(Headings::English).unwrap_or_else(|e| panic!("{e}"));
        w.push(&doc()).unwrap_or_else(|e| panic!("{e}"));
        let file = w.finish().unwrap_or_else(|e| panic!("{e}"));
        let back = read(&file, Format::Xlsx);
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        assert_eq!(back.rows[0].at, 2);
        assert_eq!(
            profile_fields(&back.rows[0].document),
            profile_fields(&doc())
        );
    }

    #[test]
    fn geojson_and_ndjson_read_back() {
        let mut d = doc();
        d["service_area"]["geometry"] = json!({"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.0]]]});
        let mut file = GEOJSON_START.to_vec();
        file.extend(geojson_feature(&d, true));
        file.extend(geojson_feature(&d, false));
        file.extend(GEOJSON_END);
        let back = read(&file, Format::GeoJson);
        assert!(back.problems.is_empty(), "{:?}", back.problems);
        assert_eq!(back.rows.len(), 2);
        assert_eq!(
            Value::Object(back.rows[1].document.clone()),
            Value::Object(d.clone())
        );
        let back = read(&ndjson_line(&d), Format::Ndjson);
        assert_eq!(
            Value::Object(back.rows[0].document.clone()),
            Value::Object(d)
        );
    }

    #[test]
    fn templates_read_as_one_example_row() {
        for h in [Headings::Dutch, Headings::English] {
            let csv = read(&template_csv(h), Format::Csv);
            assert!(csv.problems.is_empty(), "{:?}", csv.problems);
            let xlsx = read(&template_xlsx(h).unwrap_or_default(), Format::Xlsx);
            assert!(xlsx.problems.is_empty(), "{:?}", xlsx.problems);
            assert_eq!(csv.rows, xlsx.rows);
            assert_eq!(csv.rows.len(), 1);
            assert_eq!(csv.rows[0].document["contacts"][0]["public"], true);
        }
    }
}
