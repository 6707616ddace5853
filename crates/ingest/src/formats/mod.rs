//! Source formats: one module per format, each mapping a source record to rows of the Log
//! Analytics / Defender tables (column names and shapes as rules expect them). Types are not
//! settled here: the table buffer coerces each value to its column's type.

pub mod diagnostic;
pub mod graph_signin;
pub mod la_export;
pub mod portal_csv;

use serde_json::{Map, Value};

/// One row for one table, columns by their table names.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub table: String,
    pub cols: Map<String, Value>,
}

impl Row {
    pub fn new(table: impl Into<String>) -> Self {
        Row {
            table: table.into(),
            cols: Map::new(),
        }
    }
    pub fn set(&mut self, k: &str, v: Value) {
        self.cols.insert(k.to_string(), v);
    }
    /// Sets `k` unless the row already holds a non-null value for it.
    pub fn set_default(&mut self, k: &str, v: Value) {
        match self.cols.get(k) {
            Some(x) if !x.is_null() => {}
            _ => {
                self.cols.insert(k.to_string(), v);
            }
        }
    }
}

/// Why a record produced no row.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    /// The record is malformed for its format: kept in the rejects file with this reason.
    Reject(String),
    /// The record is well-formed but holds nothing for any table (e.g. a Suricata flow
    /// record): counted under this reason in the summary.
    Ignore(String),
}

pub trait Format: Send + Sync {
    /// The name used by `--format` and in summaries.
    fn name(&self) -> &'static str;
    /// Maps one source record (a JSON object; CSV rows arrive as objects of strings keyed by
    /// header) to rows.
    fn map(&self, rec: Value, out: &mut Vec<Row>) -> Result<(), Skip>;
}

/// What the input looks like at the byte level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Json,
    Csv,
    Lines,
}

/// The formats `--format` accepts, with the shape their files have.
pub const FORMAT_NAMES: &[(&str, Shape)] = &[
    ("graph-signin", Shape::Json),
    ("diagnostic", Shape::Json),
    ("la-json", Shape::Json),
    ("la-csv", Shape::Csv),
    ("portal-csv", Shape::Csv),
];

/// The format named `name`, for `--format`. `table` forces the destination table where the
/// format takes it from the data.
pub fn by_name(name: &str, table: Option<&str>) -> Option<Box<dyn Format>> {
    Some(match name {
        "graph-signin" => Box::new(graph_signin::GraphSignIn),
        "diagnostic" => Box::new(diagnostic::Diagnostic),
        "la-json" | "la-csv" => Box::new(la_export::LaExport::new(table)),
        "portal-csv" => Box::new(portal_csv::PortalSignInCsv),
        _ => return None,
    })
}

pub fn shape_of(name: &str) -> Option<Shape> {
    FORMAT_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
}

/// Picks the format of a JSON file from its first record.
pub fn detect_json(first: &Value, table: Option<&str>) -> Option<Box<dyn Format>> {
    let o = first.as_object()?;
    let has = |k: &str| o.contains_key(k);
    if has("category") && has("properties") && (has("time") || has("operationName")) {
        return Some(Box::new(diagnostic::Diagnostic));
    }
    if graph_signin::looks_like(o) {
        return Some(Box::new(graph_signin::GraphSignIn));
    }
    if la_export::looks_like(o) || table.is_some() {
        return Some(Box::new(la_export::LaExport::new(table)));
    }
    None
}

/// Picks the format of a CSV file from its header row.
pub fn detect_csv(headers: &[String], table: Option<&str>) -> Option<Box<dyn Format>> {
    if portal_csv::looks_like(headers) {
        return Some(Box::new(portal_csv::PortalSignInCsv));
    }
    if la_export::looks_like_csv(headers) || table.is_some() {
        return Some(Box::new(la_export::LaExport::new(table)));
    }
    None
}

/// Picks the format of a line-oriented text file from its first non-empty line.
pub fn detect_lines(_first: &str) -> Option<Box<dyn Format>> {
    None
}

/// Graph-style camelCase keys to Log Analytics PascalCase column names: the column of `table`
/// whose name matches the key case-insensitively, else the key with its first letter raised.
pub fn pascal_column(table: &str, key: &str) -> String {
    if let Some(s) = crate::schemas::known(table)
        && let Some((n, _)) = s.columns.iter().find(|(n, _)| n.eq_ignore_ascii_case(key))
    {
        return n.clone();
    }
    let mut c = key.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A string field of a JSON object ("" when absent or not a string).
pub fn str_of<'a>(o: &'a Map<String, Value>, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or("")
}
