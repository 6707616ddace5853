//! Dynamic values: compact JSON text in a Utf8 column. These helpers parse, print and walk it.
//!
//! Printing follows Kusto: objects keep their key order, reals that are integral keep a
//! fractional part only when they were reals (serde_json keeps `1.0` as a float).

pub use serde_json::Value;

/// Parses dynamic text. Invalid JSON is not dynamic (None).
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// Compact JSON text of a value.
pub fn to_text(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// One step of a path into a dynamic value: `.name`, `['name']` or `[index]`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathElem {
    Key(String),
    Index(i64),
}

/// Follows a path; negative indexes count from the end as in Kusto.
pub fn get_path<'a>(mut v: &'a Value, path: &[PathElem]) -> Option<&'a Value> {
    for p in path {
        v = match (p, v) {
            (PathElem::Key(k), Value::Object(m)) => m.get(k)?,
            (PathElem::Index(i), Value::Array(a)) => {
                let len = a.len() as i64;
                let idx = if *i < 0 { len + i } else { *i };
                if idx < 0 {
                    return None;
                }
                a.get(idx as usize)?
            }
            _ => return None,
        };
    }
    Some(v)
}

/// The text a dynamic value converts to with `tostring()`: strings unquoted, other values as
/// compact JSON, null as the empty string.
pub fn to_kql_string(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => to_text(other),
    }
}
