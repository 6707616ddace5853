//! Converting a source value (JSON, or CSV text) to a column's KQL type, the way Log
//! Analytics stores it: `"0"`, `0` and `false` all reach a bool or long column; JSON text in a
//! cell becomes a dynamic value; an empty cell is null.

use crate::rawjson::{self, Canonical};
use engine::KqlType;
use serde_json::Value;
use std::borrow::Cow;

/// A value ready for a typed column. Text borrows from the source where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    /// datetime or timespan ticks
    Ticks(i64),
    Text(Cow<'a, str>),
}

/// A parsed JSON value as a cell of type `ty`.
pub fn coerce(v: &Value, ty: KqlType) -> Result<Cell<'_>, String> {
    match v {
        Value::Null => Ok(Cell::Null),
        Value::String(s) => coerce_str(s, None, ty),
        Value::Bool(b) => coerce_bool(*b, ty),
        Value::Number(n) => coerce_number(n, ty),
        other => coerce_nested(
            Cow::Owned(brief(other)),
            || Ok(Cow::Owned(engine::value::dynamic::to_text(other))),
            ty,
        ),
    }
}

/// A raw JSON value (text validated by [`crate::rawjson`]) as a cell of type `ty`: the same
/// result [`coerce`] gives for the parsed value, without building it.
pub fn coerce_raw(raw: &str, ty: KqlType) -> Result<Cell<'_>, String> {
    coerce_json(raw, ty, Canonical::Unknown)
}

/// [`coerce_raw`] for a value text whose form the record's walk may know: a canonical text
/// is used as it is (no escapes to decode, nothing to compact).
pub fn coerce_json(raw: &str, ty: KqlType, form: Canonical) -> Result<Cell<'_>, String> {
    let canonical = form == Canonical::Yes;
    match raw.as_bytes().first() {
        Some(b'"') => {
            let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
            if canonical {
                return coerce_str(inner, Some(raw), ty);
            }
            let s = rawjson::unescape(inner)?;
            let token = matches!(s, Cow::Borrowed(_)).then_some(raw);
            match s {
                Cow::Borrowed(b) => coerce_str(b, token, ty),
                Cow::Owned(o) => Ok(owned(coerce_str(&o, None, ty)?)),
            }
        }
        Some(b'n') => Ok(Cell::Null),
        Some(b't') => coerce_bool(true, ty),
        Some(b'f') => coerce_bool(false, ty),
        Some(c @ (b'{' | b'[')) => {
            let what = if *c == b'{' { "an object" } else { "an array" };
            let text = || match form {
                Canonical::Yes => Ok(Cow::Borrowed(raw)),
                Canonical::Unknown => rawjson::compact(raw),
            };
            coerce_nested(Cow::Borrowed(what), text, ty)
        }
        Some(_) => {
            let plain = raw.bytes().all(|c| c.is_ascii_digit() || c == b'-');
            match ty {
                KqlType::Int | KqlType::Long if plain => {
                    if let Ok(i) = raw.parse::<i64>() {
                        return Ok(Cell::Int(i));
                    }
                }
                KqlType::Real | KqlType::Decimal => {
                    if let Ok(f) = raw.parse::<f64>() {
                        return Ok(Cell::Real(f));
                    }
                }
                // The token is the text serde_json would print for the number.
                KqlType::String | KqlType::Dynamic if canonical || rawjson::prints_as_is(raw) => {
                    return Ok(Cell::Text(Cow::Borrowed(raw)));
                }
                _ => {}
            }
            let n: serde_json::Number =
                serde_json::from_str(raw).map_err(|e| format!("an invalid number {raw}: {e}"))?;
            Ok(owned(coerce_number(&n, ty)?))
        }
        None => Err("an empty value".into()),
    }
}

fn owned(c: Cell<'_>) -> Cell<'static> {
    match c {
        Cell::Text(t) => Cell::Text(Cow::Owned(t.into_owned())),
        Cell::Null => Cell::Null,
        Cell::Bool(b) => Cell::Bool(b),
        Cell::Int(i) => Cell::Int(i),
        Cell::Real(r) => Cell::Real(r),
        Cell::Ticks(t) => Cell::Ticks(t),
    }
}

/// An object or array (whose canonical text `text` gives) as a cell of type `ty`.
fn coerce_nested<'a>(
    what: Cow<'_, str>,
    text: impl FnOnce() -> Result<Cow<'a, str>, String>,
    ty: KqlType,
) -> Result<Cell<'a>, String> {
    let expected = match ty {
        KqlType::String | KqlType::Dynamic => return Ok(Cell::Text(text()?)),
        KqlType::Guid => "a guid",
        KqlType::Bool => "a bool",
        KqlType::Int | KqlType::Long => "an integer",
        KqlType::Real | KqlType::Decimal => "a number",
        KqlType::DateTime => "a datetime",
        KqlType::TimeSpan => "a timespan",
    };
    Err(format!("expected {expected}, found {what}"))
}

fn coerce_bool(b: bool, ty: KqlType) -> Result<Cell<'static>, String> {
    let word = if b { "true" } else { "false" };
    match ty {
        KqlType::String | KqlType::Dynamic => Ok(Cell::Text(Cow::Borrowed(word))),
        KqlType::Bool => Ok(Cell::Bool(b)),
        KqlType::Int | KqlType::Long => Ok(Cell::Int(i64::from(b))),
        KqlType::Real | KqlType::Decimal => Ok(Cell::Real(if b { 1.0 } else { 0.0 })),
        KqlType::Guid => Err(format!("expected a guid, found {word}")),
        KqlType::DateTime => Err(format!("expected a datetime, found {word}")),
        KqlType::TimeSpan => Err(format!("expected a timespan, found {word}")),
    }
}

fn coerce_number(n: &serde_json::Number, ty: KqlType) -> Result<Cell<'static>, String> {
    match ty {
        KqlType::String | KqlType::Dynamic => Ok(Cell::Text(Cow::Owned(n.to_string()))),
        KqlType::Bool => match n.as_f64() {
            Some(0.0) => Ok(Cell::Bool(false)),
            Some(1.0) => Ok(Cell::Bool(true)),
            _ => Err(format!("expected a bool, found the number {n}")),
        },
        KqlType::Int | KqlType::Long => {
            if let Some(i) = n.as_i64() {
                Ok(Cell::Int(i))
            } else if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.2e18
            {
                Ok(Cell::Int(f as i64))
            } else {
                Err(format!("expected an integer, found {n}"))
            }
        }
        KqlType::Real | KqlType::Decimal => n
            .as_f64()
            .map(Cell::Real)
            .ok_or_else(|| format!("expected a number, found {n}")),
        KqlType::Guid => Err(format!("expected a guid, found {}", clip(&n.to_string()))),
        KqlType::DateTime => Err(format!(
            "expected a datetime, found {}",
            clip(&n.to_string())
        )),
        // Kusto has no rule reading a bare number as a timespan: reject, don't guess.
        KqlType::TimeSpan => Err(format!(
            "expected a timespan, found {}",
            clip(&n.to_string())
        )),
    }
}

/// A string value as a cell of type `ty`. `token` is the string's JSON text when it is
/// already in canonical form (for dynamic columns, which keep a plain string as JSON text).
pub fn coerce_str<'a>(s: &'a str, token: Option<&'a str>, ty: KqlType) -> Result<Cell<'a>, String> {
    match ty {
        KqlType::String => Ok(Cell::Text(Cow::Borrowed(s))),
        KqlType::Guid => {
            let t = s.trim();
            Ok(if t.is_empty() {
                Cell::Null
            } else {
                Cell::Text(Cow::Borrowed(t))
            })
        }
        KqlType::Dynamic => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Cell::Null);
            }
            if (t.starts_with('{') || t.starts_with('['))
                && let Ok(parsed) = serde_json::from_str::<Value>(t)
            {
                return Ok(Cell::Text(Cow::Owned(engine::value::dynamic::to_text(
                    &parsed,
                ))));
            }
            Ok(Cell::Text(match token {
                Some(tok) => Cow::Borrowed(tok),
                None => {
                    let mut out = String::with_capacity(s.len() + 2);
                    rawjson::escape_into(s, &mut out);
                    Cow::Owned(out)
                }
            }))
        }
        KqlType::Bool => {
            let t = s.trim();
            if t.is_empty() {
                Ok(Cell::Null)
            } else if t.eq_ignore_ascii_case("true") || t == "1" {
                Ok(Cell::Bool(true))
            } else if t.eq_ignore_ascii_case("false") || t == "0" {
                Ok(Cell::Bool(false))
            } else {
                Err(format!("expected a bool, found \"{}\"", clip(t)))
            }
        }
        KqlType::Int | KqlType::Long => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Cell::Null);
            }
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Cell::Int(i));
            }
            match t.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Cell::Int(f as i64)),
                _ => Err(format!("expected an integer, found \"{}\"", clip(t))),
            }
        }
        KqlType::Real | KqlType::Decimal => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Cell::Null);
            }
            match t {
                "NaN" => Ok(Cell::Real(f64::NAN)),
                "Infinity" | "+Infinity" => Ok(Cell::Real(f64::INFINITY)),
                "-Infinity" => Ok(Cell::Real(f64::NEG_INFINITY)),
                _ => t
                    .parse::<f64>()
                    .map(Cell::Real)
                    .map_err(|_| format!("expected a number, found \"{}\"", clip(t))),
            }
        }
        KqlType::DateTime => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Cell::Null);
            }
            engine::value::datetime::parse(t)
                .map(Cell::Ticks)
                .ok_or_else(|| format!("expected a datetime, found \"{}\"", clip(t)))
        }
        KqlType::TimeSpan => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Cell::Null);
            }
            engine::value::timespan::parse(t)
                .map(Cell::Ticks)
                .ok_or_else(|| format!("expected a timespan, found \"{}\"", clip(t)))
        }
    }
}

/// The type a column first seen in the data gets: from the value's JSON shape.
pub fn infer_type(name: &str, v: &Value) -> KqlType {
    match v {
        Value::Bool(_) => KqlType::Bool,
        Value::Number(n) if n.is_i64() || n.is_u64() => KqlType::Long,
        Value::Number(_) => KqlType::Real,
        Value::Object(_) | Value::Array(_) => KqlType::Dynamic,
        Value::String(s) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && serde_json::from_str::<Value>(t).is_ok()
            {
                KqlType::Dynamic
            } else if looks_like_time_name(name) && engine::value::datetime::parse(t).is_some() {
                KqlType::DateTime
            } else {
                KqlType::String
            }
        }
        Value::Null => KqlType::String,
    }
}

fn looks_like_time_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with("time")
        || n.ends_with("timestamp")
        || n.ends_with("datetime")
        || n.ends_with("date")
        || n == "timegenerated"
}

fn brief(v: &Value) -> String {
    match v {
        Value::Object(_) => "an object".into(),
        Value::Array(_) => "an array".into(),
        other => clip(&other.to_string()),
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_values_coerce_like_parsed_ones() {
        let raws = [
            r#""TRUE""#,
            r#""0""#,
            "0",
            "1",
            "50057",
            "-3",
            "2.5",
            "1e3",
            "true",
            "false",
            "null",
            r#""""#,
            r#""  ""#,
            r#""abc""#,
            r#""a\"b""#,
            r#"{"a": 1.50, "b": [ ]}"#,
            "[1, 2]",
            r#""{\n  \"a\": 1\n}""#,
            r#""2021-04-28T14:08:45.221Z""#,
            r#""4/28/2021, 2:08:45.221 PM""#,
            r#""00:05:00""#,
            r#"" 6b1a-guid ""#,
            "18446744073709551615",
            "-0",
            "-0.0",
        ];
        let types = [
            KqlType::String,
            KqlType::Guid,
            KqlType::Dynamic,
            KqlType::Bool,
            KqlType::Int,
            KqlType::Long,
            KqlType::Real,
            KqlType::DateTime,
            KqlType::TimeSpan,
        ];
        let mut canonical = 0;
        for raw in raws {
            let v: Value = serde_json::from_str(raw).expect("valid test JSON");
            // The walk of a record holding the value says whether it is canonical; then the
            // text is used as it is, with the same result.
            let rec = format!("{{\"v\":{raw}}}");
            let mut members = Vec::new();
            let form = rawjson::object_members_into(&rec, &mut members).expect("valid record");
            canonical += usize::from(form == Canonical::Yes);
            for ty in types {
                assert_eq!(coerce_raw(raw, ty), coerce(&v, ty), "{raw} as {ty}");
                assert_eq!(coerce_json(raw, ty, form), coerce(&v, ty), "{raw} as {ty}");
            }
        }
        assert!(canonical > 10, "{canonical}");
    }

    #[test]
    fn forms_real_exports_use() {
        assert_eq!(coerce(&json!("TRUE"), KqlType::Bool), Ok(Cell::Bool(true)));
        assert_eq!(coerce(&json!(0), KqlType::Bool), Ok(Cell::Bool(false)));
        assert_eq!(coerce(&json!("0"), KqlType::Long), Ok(Cell::Int(0)));
        assert_eq!(
            coerce(&json!(50057), KqlType::String),
            Ok(Cell::Text("50057".into()))
        );
        assert_eq!(coerce(&json!(""), KqlType::Long), Ok(Cell::Null));
        assert_eq!(
            coerce(&json!("{\n  \"a\": 1\n}"), KqlType::Dynamic),
            Ok(Cell::Text("{\"a\":1}".into()))
        );
        assert_eq!(
            coerce(&json!("4/28/2021, 2:08:45.221 PM"), KqlType::DateTime),
            Ok(Cell::Ticks(16196189252210000))
        );
        assert!(coerce(&json!("abc"), KqlType::Long).is_err());
        assert!(coerce(&json!({"a": 1}), KqlType::DateTime).is_err());
    }
}
