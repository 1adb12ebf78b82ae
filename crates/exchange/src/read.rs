//! Reading a file into profile documents, one per row, and the problems that keep a row (or
//! the whole file) from being read. Every problem says where: the row of a spreadsheet as the
//! spreadsheet numbers it, the line of a CSV or NDJSON file, the feature of a GeoJSON file.

use crate::Format;
use crate::columns::{self, Column, Kind};
use crate::formula;
use serde_json::{Map, Value};

/// More rows than this is not an import but a migration: split the file.
pub const MAX_ROWS: usize = 100_000;

/// What a row number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A spreadsheet row (XLSX), numbered as the spreadsheet shows it.
    Row,
    /// A line of a CSV or NDJSON file, from 1.
    Line,
    /// A feature of a GeoJSON FeatureCollection, from 1.
    Feature,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Row => "row",
            Unit::Line => "line",
            Unit::Feature => "feature",
        }
    }
}

/// One network as the file gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Where it is in the file (see [`Unit`]).
    pub at: usize,
    /// The profile document (the body of `POST /v1/networks`), plus `id` when the file names it.
    pub document: Map<String, Value>,
}

/// Something in the file that cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The row (line, feature); `None` for the file as a whole.
    pub at: Option<usize>,
    /// The column's heading as the file writes it, when the problem is in one cell.
    pub column: Option<String>,
    /// `unknown_column`, `wrong_delimiter`, `encoding`, `formula`, `invalid_json`, …
    pub code: &'static str,
    /// In words; never quotes a cell's value (it may be non-public contact data).
    pub detail: String,
}

impl Problem {
    fn file(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            at: None,
            column: None,
            code,
            detail: detail.into(),
        }
    }

    fn at(at: usize, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            at: Some(at),
            column: None,
            code,
            detail: detail.into(),
        }
    }

    fn cell(at: usize, column: &str, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            at: Some(at),
            column: Some(column.to_owned()),
            code,
            detail: detail.into(),
        }
    }
}

/// A file read: its rows and what could not be read.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub unit: Unit,
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
    /// The spreadsheet's columns and their headings as written (empty for JSON formats).
    columns: Vec<(&'static Column, String)>,
}

impl Parsed {
    fn new(unit: Unit) -> Self {
        Self {
            unit,
            rows: Vec::new(),
            problems: Vec::new(),
            columns: Vec::new(),
        }
    }

    fn failed(unit: Unit, problem: Problem) -> Self {
        let mut p = Self::new(unit);
        p.problems.push(problem);
        p
    }

    /// The heading of the column a document field (JSON pointer) came from, if the file is a
    /// spreadsheet that has it.
    pub fn heading_for(&self, pointer: &str) -> Option<String> {
        let present: Vec<&Column> = self.columns.iter().map(|(c, _)| *c).collect();
        let column = columns::for_pointer(pointer, &present)?;
        self.columns
            .iter()
            .find(|(c, _)| c.key == column.key)
            .map(|(_, h)| h.clone())
    }
}

/// Reads `bytes` as `format`.
pub fn read(bytes: &[u8], format: Format) -> Parsed {
    match format {
        Format::Csv => read_csv(bytes),
        Format::Xlsx => read_xlsx(bytes),
        Format::GeoJson => read_geojson(bytes),
        Format::Ndjson => read_ndjson(bytes),
    }
}

/// The file as UTF-8 text without its BOM, or where it stops being UTF-8.
fn utf8(bytes: &[u8]) -> Result<&str, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        Problem::at(
            line,
            "encoding",
            "the file is not UTF-8 from this line on; save it as \"CSV UTF-8\" (Excel: Save As, CSV UTF-8 (Comma delimited)) or export it as UTF-8",
        )
    })
}

/// One cell as a spreadsheet holds it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// `#REF!`, `#N/A`, …
    Error(String),
    /// A formula (XLSX): refused, the registry stores text.
    Formula,
}

impl Cell {
    fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// The columns of a header row, or the problems with it.
fn header(at: usize, headings: &[String]) -> Result<Vec<Option<&'static Column>>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, h) in headings.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').trim();
        if h.is_empty() {
            out.push(None);
            continue;
        }
        match columns::by_heading(h) {
            Some(c) if out.iter().flatten().any(|o: &&Column| o.key == c.key) => {
                problems.push(Problem::cell(
                    at,
                    h,
                    "duplicate_column",
                    format!("column {} names the same field as an earlier column", i + 1),
                ));
                out.push(None);
            }
            Some(c) => out.push(Some(c)),
            None => {
                problems.push(Problem::cell(
                    at,
                    h,
                    "unknown_column",
                    format!(
                        "column {} has a heading the registry does not know; the template (/v1/imports/template.csv or .xlsx) lists the columns, in English or Dutch",
                        i + 1
                    ),
                ));
                out.push(None);
            }
        }
    }
    if problems.is_empty() && !out.iter().flatten().any(|c| c.key == "name") {
        problems.push(Problem::at(
            at,
            "missing_column",
            "the header row has no `Name` (`Naam`) column; the first row must hold the column headings",
        ));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Sets `value` at the dotted `key` of `doc`.
fn set(doc: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            doc.insert(key.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = doc
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                set(inner, rest, value);
            }
        }
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A cell's value for its column, `None` when empty.
fn value(column: &Column, cell: &Cell) -> Result<Option<Value>, (&'static str, String)> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Formula => {
            return Err((
                "formula",
                "the cell holds a spreadsheet formula; the registry stores text: type the value itself".into(),
            ));
        }
        Cell::Error(e) => {
            return Err((
                "cell_error",
                format!("the cell shows the spreadsheet error {e}"),
            ));
        }
        Cell::Bool(b) if column.kind == Kind::Bool => return Ok(Some(Value::Bool(*b))),
        Cell::Bool(b) => b.to_string(),
        Cell::Number(n) => number_text(*n),
        Cell::Text(t) => t.trim().to_owned(),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if formula::is_formula(&text) {
        return Err((
            "formula",
            "the cell starts with `=`, so a spreadsheet would run it as a formula; the registry stores text: remove the `=` (or start the cell with an apostrophe to keep it)".into(),
        ));
    }
    let text = formula::restore(&text);
    Ok(Some(match column.kind {
        Kind::Text | Kind::Informational => Value::String(text.to_owned()),
        Kind::List => Value::Array(
            text.split([';', ',', '|', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Kind::Json => serde_json::from_str(text).map_err(|e| {
            (
                "invalid_json",
                format!("the cell must hold JSON ({})", e.classify_message()),
            )
        })?,
        Kind::Bool => match text.to_lowercase().as_str() {
            "yes" | "ja" | "true" | "waar" | "1" | "y" | "j" => Value::Bool(true),
            "no" | "nee" | "false" | "onwaar" | "0" | "n" => Value::Bool(false),
            _ => {
                return Err((
                    "invalid_boolean",
                    "must be yes or no (ja or nee, true or false, 1 or 0)".into(),
                ));
            }
        },
    }))
}

trait ClassifyMessage {
    fn classify_message(&self) -> &'static str;
}

impl ClassifyMessage for serde_json::Error {
    fn classify_message(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Eof => "it ends too early",
            serde_json::error::Category::Syntax => "a syntax error",
            serde_json::error::Category::Data => "a value of the wrong type",
            serde_json::error::Category::Io => "it cannot be read",
        }
    }
}

/// Builds the rows of a spreadsheet (CSV or XLSX) from its header and data rows.
fn tabular(
    unit: Unit,
    header_at: usize,
    headings: Vec<String>,
    rows: impl Iterator<Item = Result<(usize, Vec<Cell>), Problem>>,
) -> Parsed {
    let mut parsed = Parsed::new(unit);
    let columns = match header(header_at, &headings) {
        Ok(c) => c,
        Err(problems) => {
            parsed.problems = problems;
            return parsed;
        }
    };
    parsed.columns = columns
        .iter()
        .zip(&headings)
        .filter_map(|(c, h)| c.map(|c| (c, h.trim().to_owned())))
        .collect();
    let mut empty_rows = Vec::new();
    for row in rows {
        let (at, cells) = match row {
            Ok(r) => r,
            Err(p) => {
                parsed.problems.push(p);
                continue;
            }
        };
        if cells.iter().all(Cell::is_empty) {
            empty_rows.push(at);
            continue;
        }
        // An empty row between rows with data is a mistake worth pointing at; trailing
        // ones (Excel leaves them) are not.
        for empty in empty_rows.drain(..) {
            parsed.problems.push(Problem::at(
                empty,
                "empty_row",
                "the row is empty; remove it (only empty rows at the end are ignored)",
            ));
        }
        if parsed.rows.len() >= MAX_ROWS {
            parsed.problems.push(Problem::file(
                "too_many_rows",
                format!("an import takes at most {MAX_ROWS} rows; split the file"),
            ));
            return parsed;
        }
        let mut doc = Map::new();
        let mut contact = Map::new();
        let mut ok = true;
        for (i, cell) in cells.iter().enumerate() {
            let heading = headings.get(i).map(|h| h.trim()).unwrap_or("");
            let Some(column) = columns.get(i).copied().flatten() else {
                if !cell.is_empty() && heading.is_empty() {
                    parsed.problems.push(Problem::at(
                        at,
                        "unnamed_column",
                        format!("column {} holds a value but has no heading", i + 1),
                    ));
                    ok = false;
                }
                continue;
            };
            match value(column, cell) {
                // An empty cell of a column the file has clears the field (the row's document
                // is applied as a merge patch: `null` removes).
                Ok(None) if column.kind == Kind::Informational => {}
                Ok(None) if column.key.starts_with("contact.") => {}
                Ok(None) => set(&mut doc, column.key, Value::Null),
                Ok(Some(_)) if column.kind == Kind::Informational => {}
                Ok(Some(v)) => match column.key.strip_prefix("contact.") {
                    Some(field) => {
                        contact.insert(field.to_owned(), v);
                    }
                    None => set(&mut doc, column.key, v),
                },
                Err((code, detail)) => {
                    parsed
                        .problems
                        .push(Problem::cell(at, heading, code, detail));
                    ok = false;
                }
            }
        }
        if !contact.is_empty() {
            if doc.get("contacts").is_some_and(|c| !c.is_null()) {
                parsed.problems.push(Problem::at(
                    at,
                    "ambiguous_contacts",
                    "the row fills both the Contacts (JSON) column and the single contact columns; use one of them",
                ));
                ok = false;
            } else {
                // A spreadsheet of contact persons rarely says their role.
                contact
                    .entry("role")
                    .or_insert_with(|| Value::String("general".into()));
                doc.insert(
                    "contacts".into(),
                    Value::Array(vec![Value::Object(contact)]),
                );
            }
        }
        if ok {
            parsed.rows.push(Row { at, document: doc });
        }
    }
    parsed
}

/// The field separator a CSV header line uses: `;` or `,` (whichever it has more of outside
/// quotes), or the problem when it uses neither but a tab or `|`.
fn delimiter(first_line: &str) -> Result<u8, Problem> {
    let mut quoted = false;
    let (mut commas, mut semicolons, mut others) = (0, 0, 0);
    for c in first_line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\t' | '|' if !quoted => others += 1,
            _ => {}
        }
    }
    if commas == 0 && semicolons == 0 && others > 0 {
        return Err(Problem::at(
            1,
            "wrong_delimiter",
            "the header row separates its columns with tabs or `|`; use commas or semicolons (Excel: Save As, CSV)",
        ));
    }
    Ok(if semicolons > commas { b';' } else { b',' })
}

fn read_csv(bytes: &[u8]) -> Parsed {
    let text = match utf8(bytes) {
        Ok(t) => t,
        Err(p) => return Parsed::failed(Unit::Line, p),
    };
    if text.trim().is_empty() {
        return Parsed::failed(
            Unit::Line,
            Problem::file(
                "empty_file",
                "the file is empty; the template shows what it should hold",
            ),
        );
    }
    let delim = match delimiter(text.lines().next().unwrap_or("")) {
        Ok(d) => d,
        Err(p) => return Parsed::failed(Unit::Line, p),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headings: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(str::to_owned).collect(),
        Some(Err(e)) => {
            return Parsed::failed(
                Unit::Line,
                Problem::at(
                    1,
                    "malformed_csv",
                    format!("the header row cannot be read: {e}"),
                ),
            );
        }
        None => {
            return Parsed::failed(Unit::Line, Problem::file("empty_file", "the file is empty"));
        }
    };
    let width = headings.len();
    // The csv crate ends a record at the `\r` of a CRLF and starts the next at its `\n`, so
    // its line numbers drift; count the line breaks up to the record's first byte instead.
    let line_at = |byte: u64| {
        let bytes = text.as_bytes();
        let mut end = (byte as usize).min(bytes.len());
        if bytes.get(end) == Some(&b'\n') {
            end += 1;
        }
        bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
    };
    let other = if delim == b';' { ',' } else { ';' };
    let rows = records.map(move |record| {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| line_at(p.byte())).unwrap_or(0);
            Problem::at(line, "malformed_csv", format!("the line cannot be read as CSV: {e}"))
        })?;
        let line = record.position().map(|p| line_at(p.byte())).unwrap_or(0);
        if record.len() > width {
            return Err(Problem::at(
                line,
                "too_many_cells",
                format!(
                    "the line has {} cells where the header has {width}; a value with the separator `{}` in it must be in double quotes",
                    record.len(),
                    delim as char
                ),
            ));
        }
        if record.len() == 1 && width > 1 && record[0].contains(other) {
            return Err(Problem::at(
                line,
                "wrong_delimiter",
                format!(
                    "the line is separated by `{other}` where the header uses `{}`; use one separator throughout",
                    delim as char
                ),
            ));
        }
        Ok((
            line,
            record
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_owned())
                    }
                })
                .collect(),
        ))
    });
    tabular(Unit::Line, 1, headings, rows)
}

fn read_xlsx(bytes: &[u8]) -> Parsed {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let unreadable = |e: &dyn std::fmt::Display| {
        Parsed::failed(
            Unit::Row,
            Problem::file(
                "unreadable_xlsx",
                format!(
                    "the file is not a readable XLSX workbook (is it damaged, cut off, or another format?): {e}"
                ),
            ),
        )
    };
    let mut book: Xlsx<_> = match open_workbook_from_rs(std::io::Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => return unreadable(&e),
    };
    let names = book.sheet_names();
    let Some(sheet) = names
        .iter()
        .find(|n| matches!(n.to_lowercase().as_str(), "networks" | "netwerken"))
        .or(names.first())
        .cloned()
    else {
        return unreadable(&"it has no worksheet");
    };
    let range = match book.worksheet_range(&sheet) {
        Ok(r) => r,
        Err(e) => return unreadable(&e),
    };
    let formulas: std::collections::HashSet<(u32, u32)> = match book.worksheet_formula(&sheet) {
        Ok(f) => {
            let (r0, c0) = f.start().unwrap_or((0, 0));
            f.rows()
                .enumerate()
                .flat_map(|(r, row)| {
                    row.iter().enumerate().filter_map(move |(c, text)| {
                        (!text.is_empty()).then_some((r0 + r as u32, c0 + c as u32))
                    })
                })
                .collect()
        }
        Err(e) => return unreadable(&e),
    };
    let Some((r0, c0)) = range.start() else {
        return Parsed::failed(
            Unit::Row,
            Problem::file(
                "empty_file",
                "the worksheet is empty; the template shows what it should hold",
            ),
        );
    };
    let mut grid = range.rows().enumerate().map(|(r, row)| {
        let abs = r0 + r as u32;
        let mut cells = vec![Cell::Empty; c0 as usize];
        cells.extend(row.iter().enumerate().map(|(c, d)| {
            if formulas.contains(&(abs, c0 + c as u32)) {
                return Cell::Formula;
            }
            match d {
                Data::Empty => Cell::Empty,
                Data::String(s) => Cell::Text(s.clone()),
                Data::Int(i) => Cell::Number(*i as f64),
                Data::Float(f) => Cell::Number(*f),
                Data::Bool(b) => Cell::Bool(*b),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                // No field of a profile is a spreadsheet date (dates are inside JSON cells).
                Data::DateTime(d) => Cell::Number(d.as_f64()),
                Data::Error(e) => Cell::Error(e.to_string()),
            }
        }));
        (abs as usize + 1, cells)
    });
    let header_row = grid
        .by_ref()
        .find(|(_, cells)| !cells.iter().all(Cell::is_empty));
    let Some((header_at, header_cells)) = header_row else {
        return Parsed::failed(
            Unit::Row,
            Problem::file("empty_file", "the worksheet is empty"),
        );
    };
    let headings = header_cells
        .iter()
        .map(|c| match c {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => number_text(*n),
            _ => String::new(),
        })
        .collect();
    tabular(Unit::Row, header_at, headings, grid.map(Ok))
}

fn read_ndjson(bytes: &[u8]) -> Parsed {
    let text = match utf8(bytes) {
        Ok(t) => t,
        Err(p) => return Parsed::failed(Unit::Line, p),
    };
    let mut parsed = Parsed::new(Unit::Line);
    for (i, line) in text.lines().enumerate() {
        let at = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        if parsed.rows.len() >= MAX_ROWS {
            parsed.problems.push(Problem::file(
                "too_many_rows",
                format!("an import takes at most {MAX_ROWS} lines; split the file"),
            ));
            break;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(document)) => parsed.rows.push(Row { at, document }),
            Ok(_) => parsed.problems.push(Problem::at(
                at,
                "invalid_type",
                "each line must be one JSON object (a network profile)",
            )),
            Err(e) => parsed.problems.push(Problem::at(
                at,
                "invalid_json",
                format!(
                    "the line is not JSON ({} at column {})",
                    e.classify_message(),
                    e.column()
                ),
            )),
        }
    }
    if parsed.rows.is_empty() && parsed.problems.is_empty() {
        parsed
            .problems
            .push(Problem::file("empty_file", "the file holds no line"));
    }
    parsed
}

fn read_geojson(bytes: &[u8]) -> Parsed {
    let fail = |p| Parsed::failed(Unit::Feature, p);
    let text = match utf8(bytes) {
        Ok(t) => t,
        Err(p) => return fail(p),
    };
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return fail(Problem::file(
                "invalid_json",
                format!(
                    "the file is not JSON ({} at line {}, column {})",
                    e.classify_message(),
                    e.line(),
                    e.column()
                ),
            ));
        }
    };
    let features = match (
        root.get("type").and_then(Value::as_str),
        root.get("features").and_then(Value::as_array),
    ) {
        (Some("FeatureCollection"), Some(f)) => f,
        _ => {
            return fail(Problem::file(
                "not_a_feature_collection",
                "a GeoJSON import is one FeatureCollection: {\"type\": \"FeatureCollection\", \"features\": [...]}",
            ));
        }
    };
    let mut parsed = Parsed::new(Unit::Feature);
    if features.len() > MAX_ROWS {
        parsed.problems.push(Problem::file(
            "too_many_rows",
            format!("an import takes at most {MAX_ROWS} features; split the file"),
        ));
        return parsed;
    }
    for (i, feature) in features.iter().enumerate() {
        let at = i + 1;
        if feature.get("type").and_then(Value::as_str) != Some("Feature") {
            parsed.problems.push(Problem::at(
                at,
                "not_a_feature",
                "each element of `features` must be a GeoJSON Feature",
            ));
            continue;
        }
        let mut document = match feature.get("properties") {
            Some(Value::Object(p)) => p.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => {
                parsed.problems.push(Problem::at(
                    at,
                    "invalid_type",
                    "`properties` must be an object: the network profile",
                ));
                continue;
            }
        };
        if let Some(id) = feature.get("id")
            && !document.contains_key("id")
        {
            document.insert("id".into(), id.clone());
        }
        match feature.get("geometry") {
            None | Some(Value::Null) => {}
            Some(geometry) => {
                let has_own = document
                    .get("service_area")
                    .and_then(|a| a.get("geometry"))
                    .is_some_and(|g| !g.is_null());
                if has_own {
                    parsed.problems.push(Problem::at(
                        at,
                        "ambiguous_geometry",
                        "the feature has a geometry and its properties a service_area.geometry; give one",
                    ));
                    continue;
                }
                set(&mut document, "service_area.geometry", geometry.clone());
            }
        }
        parsed.rows.push(Row { at, document });
    }
    if parsed.rows.is_empty() && parsed.problems.is_empty() {
        parsed.problems.push(Problem::file(
            "empty_file",
            "the FeatureCollection has no feature",
        ));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(p: &Parsed) -> Vec<(Option<usize>, &'static str)> {
        p.problems.iter().map(|p| (p.at, p.code)).collect()
    }

    #[test]
    fn csv_with_semicolons_bom_and_dutch_headings() {
        let file = "\u{feff}Extern ID;Naam;Soort;Disciplines;Gemeenten (CBS-codes);Naam contactpersoon;E-mail contactpersoon;Contactpersoon openbaar\n\
                    R1;Netwerk Noord;oncology_care_network;physiotherapy| dietetics;GM0014;An;an@example.nl;ja\n\
                    R2;'=Zuid;oncology_care_network;;;;;\n\
                    ;;;;;;;\n";
        let p = read(file.as_bytes(), Format::Csv);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].at, 2);
        assert_eq!(
            Value::Object(p.rows[0].document.clone()),
            json!({
                "external_id": "R1",
                "name": "Netwerk Noord",
                "type": "oncology_care_network",
                "disciplines": ["physiotherapy", "dietetics"],
                "service_area": {"municipalities": ["GM0014"]},
                "contacts": [{"role": "general", "name": "An", "email": "an@example.nl", "public": true}]
            })
        );
        assert_eq!(p.rows[1].document["name"], "=Zuid");
        // Empty cells of the file's columns clear their fields.
        assert_eq!(p.rows[1].document["disciplines"], Value::Null);
        assert_eq!(
            p.rows[1].document["service_area"]["municipalities"],
            Value::Null
        );
        assert!(!p.rows[1].document.contains_key("contacts"));
        assert_eq!(
            p.heading_for("/contacts/0/email").as_deref(),
            Some("E-mail contactpersoon")
        );
    }

    #[test]
    fn csv_lists_and_json_cells() {
        let file = "name,disciplines,contacts,service_area.circles\n\
                    A,\"physiotherapy; dietetics\",\"[{\"\"name\"\":\"\"B\"\"}]\",\"[{\"\"lat\"\":52,\"\"lon\"\":5,\"\"radius_km\"\":3}]\"\n";
        let p = read(file.as_bytes(), Format::Csv);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let doc = Value::Object(p.rows[0].document.clone());
        assert_eq!(doc["disciplines"], json!(["physiotherapy", "dietetics"]));
        assert_eq!(doc["contacts"], json!([{"name": "B"}]));
        assert_eq!(doc["service_area"]["circles"][0]["radius_km"], 3);
    }

    #[test]
    fn broken_csv_rows_are_reported_by_line() {
        let file = "name;contacts;website\n\
                    ok;;\n\
                    ;;\n\
                    f;;=HYPERLINK(\"http://evil\",\"x\")\n\
                    j;[{;\n\
                    a,b,c\n\
                    x;y;z;w\n\
                    last;;\n";
        let p = read(file.as_bytes(), Format::Csv);
        assert_eq!(
            codes(&p),
            [
                (Some(3), "empty_row"),
                (Some(4), "formula"),
                (Some(5), "invalid_json"),
                (Some(6), "wrong_delimiter"),
                (Some(7), "too_many_cells"),
            ]
        );
        assert_eq!(p.problems[1].column.as_deref(), Some("website"));
        assert_eq!(p.rows.iter().map(|r| r.at).collect::<Vec<_>>(), [2, 8]);
    }

    #[test]
    fn whole_file_problems() {
        let p = read(b"name\tcontacts\nx\ty\n", Format::Csv);
        assert_eq!(codes(&p), [(Some(1), "wrong_delimiter")]);
        let p = read(b"name;colour\nx;y\n", Format::Csv);
        assert_eq!(codes(&p), [(Some(1), "unknown_column")]);
        assert_eq!(p.problems[0].column.as_deref(), Some("colour"));
        let p = read(b"website\nx\n", Format::Csv);
        assert_eq!(codes(&p), [(Some(1), "missing_column")]);
        let p = read(b"name\nab\ncaf\xe9\n", Format::Csv);
        assert_eq!(codes(&p), [(Some(3), "encoding")]);
        let p = read(b"", Format::Csv);
        assert_eq!(codes(&p), [(None, "empty_file")]);
        let p = read(b"PK\x03\x04truncated", Format::Xlsx);
        assert_eq!(codes(&p), [(None, "unreadable_xlsx")]);
    }

    #[test]
    fn ndjson_lines() {
        let file = b"{\"name\":\"a\"}\n\n[1]\n{\"name\":\n{\"name\":\"b\"}\n";
        let p = read(file, Format::Ndjson);
        assert_eq!(
            codes(&p),
            [(Some(3), "invalid_type"), (Some(4), "invalid_json")]
        );
        assert_eq!(p.rows.iter().map(|r| r.at).collect::<Vec<_>>(), [1, 5]);
    }

    #[test]
    fn geojson_features_carry_their_service_area() {
        let file = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": "x", "properties": {"name": "a"},
             "geometry": {"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.0]]]}},
            {"type": "Feature", "properties": {"name": "b"}, "geometry": null},
            {"type": "Point"}
        ]});
        let p = read(file.to_string().as_bytes(), Format::GeoJson);
        assert_eq!(codes(&p), [(Some(3), "not_a_feature")]);
        assert_eq!(
            p.rows[0].document["service_area"]["geometry"]["type"],
            "Polygon"
        );
        assert_eq!(p.rows[0].document["id"], "x");
        assert!(!p.rows[1].document.contains_key("service_area"));
        let p = read(b"{\"type\":\"Feature\"}", Format::GeoJson);
        assert_eq!(codes(&p), [(None, "not_a_feature_collection")]);
    }
}
