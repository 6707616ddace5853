//! Converting a source value (JSON, or CSV text) to a column's KQL type, the way Log
//! Analytics stores it: `"0"`, `0` and `false` all reach a bool or long column; JSON text in a
//! cell becomes a dynamic value; an empty cell is null.

use engine::KqlType;
use serde_json::Value;

/// A value ready for a typed column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    /// datetime or timespan ticks
    Ticks(i64),
    Text(String),
}

pub fn coerce(v: &Value, ty: KqlType) -> Result<Cell, String> {
    if v.is_null() {
        return Ok(Cell::Null);
    }
    match ty {
        KqlType::String => Ok(Cell::Text(match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
            Value::Number(n) => n.to_string(),
            other => engine::value::dynamic::to_text(other),
        })),
        KqlType::Guid => match v {
            Value::String(s) if s.trim().is_empty() => Ok(Cell::Null),
            Value::String(s) => Ok(Cell::Text(s.trim().to_string())),
            other => Err(format!("expected a guid, found {}", brief(other))),
        },
        KqlType::Dynamic => Ok(match v {
            Value::String(s) => {
                let t = s.trim();
                if t.is_empty() {
                    Cell::Null
                } else if (t.starts_with('{') || t.starts_with('['))
                    && let Ok(parsed) = serde_json::from_str::<Value>(t)
                {
                    Cell::Text(engine::value::dynamic::to_text(&parsed))
                } else {
                    Cell::Text(engine::value::dynamic::to_text(v))
                }
            }
            other => Cell::Text(engine::value::dynamic::to_text(other)),
        }),
        KqlType::Bool => match v {
            Value::Bool(b) => Ok(Cell::Bool(*b)),
            Value::Number(n) => match n.as_f64() {
                Some(0.0) => Ok(Cell::Bool(false)),
                Some(1.0) => Ok(Cell::Bool(true)),
                _ => Err(format!("expected a bool, found the number {n}")),
            },
            Value::String(s) => {
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
            other => Err(format!("expected a bool, found {}", brief(other))),
        },
        KqlType::Int | KqlType::Long => match v {
            Value::Number(n) => {
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
            Value::Bool(b) => Ok(Cell::Int(i64::from(*b))),
            Value::String(s) => {
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
            other => Err(format!("expected an integer, found {}", brief(other))),
        },
        KqlType::Real | KqlType::Decimal => match v {
            Value::Number(n) => n
                .as_f64()
                .map(Cell::Real)
                .ok_or_else(|| format!("expected a number, found {n}")),
            Value::Bool(b) => Ok(Cell::Real(if *b { 1.0 } else { 0.0 })),
            Value::String(s) => {
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
            other => Err(format!("expected a number, found {}", brief(other))),
        },
        KqlType::DateTime => match v {
            Value::String(s) => {
                let t = s.trim();
                if t.is_empty() {
                    return Ok(Cell::Null);
                }
                engine::value::datetime::parse(t)
                    .map(Cell::Ticks)
                    .ok_or_else(|| format!("expected a datetime, found \"{}\"", clip(t)))
            }
            other => Err(format!("expected a datetime, found {}", brief(other))),
        },
        KqlType::TimeSpan => match v {
            Value::String(s) => {
                let t = s.trim();
                if t.is_empty() {
                    return Ok(Cell::Null);
                }
                engine::value::timespan::parse(t)
                    .map(Cell::Ticks)
                    .ok_or_else(|| format!("expected a timespan, found \"{}\"", clip(t)))
            }
            // Kusto has no rule reading a bare number as a timespan: reject, don't guess.
            other => Err(format!("expected a timespan, found {}", brief(other))),
        },
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
