//! Source formats: one module per format, each mapping a source record to rows of the Log
//! Analytics / Defender tables (column names and shapes as rules expect them). Types are not
//! settled here: the table buffer coerces each value to its column's type.

pub mod cef;
pub mod defender;
pub mod diagnostic;
pub mod graph_signin;
pub mod graph_users;
pub mod la_export;
pub mod portal_csv;
pub mod purview;
pub mod rawrow;
pub mod signin_plan;
pub mod suricata;

pub use rawrow::{Field, RawRow, Src};

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

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
    /// Whether the format maps records on the fast path ([`Format::map_raw`]).
    fn raw(&self) -> bool {
        false
    }
    /// Maps one JSON record, given as its top-level members, to rows whose values borrow
    /// from the record's text. Only called when [`Format::raw`] says so.
    fn map_raw<'a>(
        &self,
        _rec: &crate::rawjson::Members<'a>,
        _out: &mut Vec<RawRow<'a>>,
    ) -> Result<(), Skip> {
        Err(Skip::Reject(format!("{}: no fast path", self.name())))
    }
    /// Maps one JSON record (its top-level members) straight into `row` by a compiled plan
    /// from `plans`, giving the plan's index; None when the format has no plan for the
    /// record (then [`Format::map_raw`] maps it).
    fn map_planned<'a>(
        &self,
        _rec: &crate::rawjson::Members<'a>,
        _plans: &mut signin_plan::Plans,
        _row: &mut signin_plan::SlotRow<'a>,
    ) -> Option<Result<usize, Skip>> {
        None
    }
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
    ("purview-csv", Shape::Csv),
    ("purview-json", Shape::Json),
    ("defender", Shape::Json),
    ("graph-users", Shape::Json),
    ("suricata", Shape::Json),
    ("cef", Shape::Lines),
];

/// The format named `name`, for `--format`. `table` forces the destination table where the
/// format takes it from the data.
pub fn by_name(name: &str, table: Option<&str>) -> Option<Box<dyn Format>> {
    Some(match name {
        "graph-signin" => Box::new(graph_signin::GraphSignIn),
        "diagnostic" => Box::new(diagnostic::Diagnostic),
        "la-json" | "la-csv" => Box::new(la_export::LaExport::new(table)),
        "portal-csv" => Box::new(portal_csv::PortalSignInCsv),
        "purview-csv" => Box::new(purview::PurviewCsv),
        "purview-json" => Box::new(purview::PurviewJson),
        "defender" => Box::new(defender::DefenderStream),
        "graph-users" => Box::new(graph_users::GraphUsers),
        "suricata" => Box::new(suricata::Suricata),
        "cef" => Box::new(cef::Cef),
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
    // Defender streaming records share the diagnostic envelope: their category decides.
    if defender::looks_like(o) {
        return Some(Box::new(defender::DefenderStream));
    }
    if has("category") && has("properties") && (has("time") || has("operationName")) {
        return Some(Box::new(diagnostic::Diagnostic));
    }
    if graph_signin::looks_like(o) {
        return Some(Box::new(graph_signin::GraphSignIn));
    }
    if graph_users::looks_like(o) {
        return Some(Box::new(graph_users::GraphUsers));
    }
    if purview::looks_like(o) {
        return Some(Box::new(purview::PurviewJson));
    }
    if suricata::looks_like(o) {
        return Some(Box::new(suricata::Suricata));
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
    if purview::looks_like_csv(headers) {
        return Some(Box::new(purview::PurviewCsv));
    }
    if la_export::looks_like_csv(headers) || table.is_some() {
        return Some(Box::new(la_export::LaExport::new(table)));
    }
    None
}

/// Picks the format of a line-oriented text file from its first non-empty line.
pub fn detect_lines(first: &str) -> Option<Box<dyn Format>> {
    if cef::looks_like(first) {
        return Some(Box::new(cef::Cef));
    }
    None
}

/// Graph-style camelCase keys to Log Analytics PascalCase column names: the column of `table`
/// whose name matches the key case-insensitively, else the key with its first letter raised.
pub fn pascal_column(table: &str, key: &str) -> Cow<'static, str> {
    type Known = HashMap<Box<str>, Option<&'static str>, ahash::RandomState>;
    thread_local! {
        // Looked up once per record field: remembered per table and key (bounded, since keys
        // come from the input).
        static CACHE: RefCell<HashMap<Box<str>, Known, ahash::RandomState>> =
            RefCell::new(HashMap::default());
    }
    let known = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(hit) = c.get(table).and_then(|m| m.get(key)) {
            return *hit;
        }
        let found = crate::schemas::lowercase_columns(table)
            .and_then(|cols| cols.get(&key.to_ascii_lowercase()))
            .map(String::as_str);
        if c.len() < 1024 {
            let m = c.entry(table.into()).or_default();
            if m.len() < 4096 {
                m.insert(key.into(), found);
            }
        }
        found
    });
    if let Some(n) = known {
        return Cow::Borrowed(n);
    }
    let mut c = key.chars();
    match c.next() {
        Some(f) => Cow::Owned(f.to_uppercase().chain(c).collect()),
        None => Cow::Borrowed(""),
    }
}

/// Datetime text in any form Kusto reads (ISO 8601 with `Z`, `+02:00` or `+0200` offsets,
/// RFC 1123, US dates) as canonical ISO UTC text, or None.
pub fn iso_utc(text: &str) -> Option<String> {
    engine::value::datetime::parse(text).map(engine::value::datetime::format_iso)
}

/// Milliseconds since the Unix epoch as ISO UTC text.
pub fn iso_from_epoch_ms(ms: i64) -> Option<String> {
    let ticks = ms.checked_mul(10_000)?;
    (engine::value::datetime::MIN_TICKS..=engine::value::datetime::MAX_TICKS)
        .contains(&ticks)
        .then(|| engine::value::datetime::format_iso(ticks))
}

/// A JSON scalar as text (strings as they are, numbers and bools printed); None for null,
/// objects and arrays.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// CommonSecurityLog's `AdditionalExtensions` text: the fields no column holds, as
/// `key=value` pairs joined by `;` (the form Sentinel's CEF connector writes).
pub fn additional_extensions(pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() {
        return None;
    }
    Some(
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";"),
    )
}

/// An IP address without the port or brackets services add: `1.2.3.4:5678` → `1.2.3.4`,
/// `[2001:db8::1]:443` → `2001:db8::1`; bare IPv6 and other text stay as they are.
pub fn strip_port(ip: &str) -> &str {
    let t = ip.trim();
    if let Some(rest) = t.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match t.split_once(':') {
        Some((host, port))
            if !port.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => t,
    }
}

/// The object's entries whose keys are not OData annotations (`@odata.type`, …).
pub fn without_annotations(o: Map<String, Value>) -> impl Iterator<Item = (String, Value)> {
    o.into_iter()
        .filter(|(k, _)| !k.starts_with('@') && !k.starts_with("odata."))
}

/// The `properties` object of an Azure Monitor / Defender streaming record (an object, or an
/// object serialised as a string), taken out of the record.
pub fn take_properties(o: &mut Map<String, Value>) -> Result<Map<String, Value>, Skip> {
    match o.remove("properties") {
        Some(Value::Object(p)) => Ok(p),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(p)) => Ok(p),
            _ => Err(Skip::Reject("\"properties\" is not a JSON object".into())),
        },
        _ => Err(Skip::Reject(
            "the record has no \"properties\" object".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_ports_and_brackets() {
        assert_eq!(strip_port("1.2.3.4:5678"), "1.2.3.4");
        assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(strip_port("1.2.3.4"), "1.2.3.4");
        assert_eq!(strip_port(""), "");
    }

    #[test]
    fn datetimes_to_iso() {
        assert_eq!(
            iso_utc("2017-04-07T22:24:37.251547+0100").as_deref(),
            Some("2017-04-07T21:24:37.251547Z")
        );
        assert_eq!(
            iso_from_epoch_ms(1_700_000_000_123).as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        assert_eq!(iso_from_epoch_ms(i64::MAX), None);
    }
}
