//! Rows on the fast path: column values borrowed from the source record's text
//! ([`Src::Json`]), and [`Field`], the view of a source value that lets one mapping serve
//! both raw JSON text and parsed values.

use super::Row;
use crate::rawjson;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A column value before it is typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Src<'a> {
    /// A JSON value's raw text (validated by [`crate::rawjson`]).
    Json(&'a str),
    /// A string value.
    Text(Cow<'a, str>),
    /// A parsed JSON value (boxed: the other variants are small, and rows hold many).
    Value(Box<Value>),
}

impl Src<'_> {
    /// The type a column first seen with this value gets (see [`crate::coerce::infer_type`]).
    pub fn infer_type(&self, name: &str) -> engine::KqlType {
        crate::coerce::infer_type(name, &self.to_value())
    }

    pub fn is_null(&self) -> bool {
        match self {
            Src::Json(r) => rawjson::is_null(r),
            Src::Text(_) => false,
            Src::Value(v) => v.is_null(),
        }
    }

    /// The value as parsed JSON.
    pub fn to_value(&self) -> Value {
        match self {
            Src::Json(raw) => serde_json::from_str(raw).unwrap_or(Value::Null),
            Src::Text(t) => Value::String(t.to_string()),
            Src::Value(v) => v.as_ref().clone(),
        }
    }

    /// Whether the value is the number 0 or the string "0" (a successful result code).
    pub fn is_zero(&self) -> bool {
        match self {
            Src::Json(r) => *r == "0" || *r == "\"0\"",
            Src::Text(t) => t == "0",
            Src::Value(v) => v.as_i64() == Some(0) || v.as_str() == Some("0"),
        }
    }
}

/// One row for one table, columns by their table names, values not yet typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow<'a> {
    pub table: Cow<'static, str>,
    pub cols: Vec<(Cow<'a, str>, Src<'a>)>,
    /// A bit per name hash of the columns set: most lookups of a column the row does not
    /// hold end here instead of scanning the row.
    names: u128,
}

/// The bit of a column name in [`RawRow::names`].
fn name_bit(k: &str) -> u128 {
    let b = k.as_bytes();
    let (first, last) = match (b.first(), b.last()) {
        (Some(f), Some(l)) => (*f as usize, *l as usize),
        _ => (0, 0),
    };
    let mid = b.get(b.len() / 2).copied().unwrap_or(0) as usize;
    1u128 << ((b.len() * 31 + first * 7 + mid * 13 + last) % 128)
}

impl<'a> RawRow<'a> {
    pub fn new(table: impl Into<Cow<'static, str>>) -> Self {
        RawRow {
            table: table.into(),
            cols: Vec::with_capacity(48),
            names: 0,
        }
    }

    /// Sets column `k` (a later setting of the same column wins).
    pub fn set(&mut self, k: impl Into<Cow<'a, str>>, v: Src<'a>) {
        let k = k.into();
        self.names |= name_bit(&k);
        self.cols.push((k, v));
    }

    /// The value of column `k` unless absent or null.
    pub fn get(&self, k: &str) -> Option<&Src<'a>> {
        if self.names & name_bit(k) == 0 {
            return None;
        }
        self.cols
            .iter()
            .rev()
            .find(|(n, _)| same_name(n, k))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// Sets `k` unless the row already holds a non-null value for it.
    pub fn set_default(&mut self, k: impl Into<Cow<'a, str>>, v: Src<'a>) {
        let k = k.into();
        if self.get(&k).is_none() {
            self.set(k, v);
        }
    }

    /// The row with parsed values (for formats that post-process rows as JSON).
    pub fn into_row(self) -> Row {
        let mut cols = Map::new();
        for (k, v) in self.cols {
            let v = match v {
                Src::Value(v) => *v,
                other => other.to_value(),
            };
            cols.insert(k.into_owned(), v);
        }
        Row {
            table: self.table.into_owned(),
            cols,
        }
    }

    /// A row of parsed values on its way to the table buffer.
    pub fn from_row(row: Row) -> RawRow<'static> {
        let mut out = RawRow::new(row.table);
        for (k, v) in row.cols {
            out.set(k, Src::Value(Box::new(v)));
        }
        out
    }
}

/// Column-name equality, cheap for the common mismatch (different length or first byte).
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// A source value as a mapping reads it: raw JSON text (`&str`) or a parsed value.
pub trait Field<'a>: Copy {
    /// The string it holds, if it is a string.
    fn text(self) -> Option<Cow<'a, str>>;
    /// Member `key`, if it is an object holding it.
    fn get(self, key: &str) -> Option<Self>;
    /// Its elements, if it is an array (else none).
    fn items(self) -> Vec<Self>;
    /// The bool it holds, if it is one.
    fn bool(self) -> Option<bool>;
    /// As a column value.
    fn src(self) -> Src<'a>;
}

impl<'a> Field<'a> for &'a str {
    fn text(self) -> Option<Cow<'a, str>> {
        rawjson::as_str(self)
    }
    fn get(self, key: &str) -> Option<Self> {
        rawjson::member(self, key)
    }
    fn items(self) -> Vec<Self> {
        rawjson::elements(self).unwrap_or_default()
    }
    fn bool(self) -> Option<bool> {
        match self {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
    fn src(self) -> Src<'a> {
        Src::Json(self)
    }
}

impl<'a> Field<'a> for &'a Value {
    fn text(self) -> Option<Cow<'a, str>> {
        self.as_str().map(Cow::Borrowed)
    }
    fn get(self, key: &str) -> Option<Self> {
        self.as_object()?.get(key)
    }
    fn items(self) -> Vec<Self> {
        self.as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
    fn bool(self) -> Option<bool> {
        self.as_bool()
    }
    fn src(self) -> Src<'a> {
        Src::Value(Box::new(self.clone()))
    }
}
