//! Conversion family: `tostring`, `tolong`, `toint`, `todouble`/`toreal`, `tobool`,
//! `todatetime`, `totimespan`, `toguid`, `todecimal`, `todynamic`, and [`convert`], the implicit
//! conversion the planner uses when Kusto converts operands (`ResultType == 0` on a string
//! column, `Status.errorCode == 0` on dynamic).

use super::kit::{arity, call, udf};
use super::{Call, Registry};
use crate::cached_udf;
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value;
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Builder, Int32Array, Int64Array, Int64Builder,
    StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::{
    as_boolean_array, as_float64_array, as_int32_array, as_int64_array, as_string_array,
};
use datafusion::logical_expr::cast;
use std::sync::Arc;

pub fn register(r: &mut Registry) {
    r.scalar("tostring", |c| unary(c, KqlType::String));
    r.scalar("tolong", |c| unary(c, KqlType::Long));
    r.scalar("toint", |c| unary(c, KqlType::Int));
    r.scalar("todouble", |c| unary(c, KqlType::Real));
    r.scalar("toreal", |c| unary(c, KqlType::Real));
    r.scalar("todecimal", |c| unary(c, KqlType::Decimal));
    r.scalar("tobool", |c| unary(c, KqlType::Bool));
    r.scalar("toboolean", |c| unary(c, KqlType::Bool));
    r.scalar("todatetime", |c| unary(c, KqlType::DateTime));
    r.scalar("totimespan", |c| unary(c, KqlType::TimeSpan));
    r.scalar("toguid", |c| unary(c, KqlType::Guid));
    r.scalar("todynamic", |c| unary(c, KqlType::Dynamic));
    r.scalar("toobject", |c| unary(c, KqlType::Dynamic));
}

fn unary(c: Call<'_>, to: KqlType) -> Result<TExpr> {
    arity(c.name, &c.args, 1, 1, c.span)?;
    let Some(arg) = c.args.into_iter().next() else {
        unreachable!("arity checked")
    };
    // todynamic("text") parses JSON; other conversions to dynamic wrap the value.
    if to == KqlType::Dynamic && arg.ty == KqlType::String {
        return Ok(call(&parse_json_udf(), vec![arg], KqlType::Dynamic));
    }
    Ok(convert(arg, to))
}

/// Converts a typed expression to another KQL type with Kusto's rules; values that do not
/// convert become null (and strings, which are never null, the empty string).
pub fn convert(e: TExpr, to: KqlType) -> TExpr {
    use KqlType::*;
    let from = e.ty;
    if from == to {
        return e;
    }
    let ex = e.expr;
    match (from, to) {
        // Numeric widening and narrowing.
        (Int | Long | Real | Decimal, Int | Long | Real | Decimal) => {
            if matches!(from, Real | Decimal) && matches!(to, Int | Long) {
                // Kusto truncates toward zero; NaN/inf become null.
                TExpr::new(
                    call(&real_to_long_udf(), vec![TExpr::new(ex, Real)], Long).expr,
                    Long,
                )
                .cast_arrow(to)
            } else {
                TExpr::new(cast(ex, to.arrow()), to)
            }
        }
        (Bool, Int | Long | Real | Decimal) => TExpr::new(cast(ex, to.arrow()), to),
        (Int | Long | Real | Decimal, Bool) => {
            TExpr::new(cast(cast(ex, DataType::Float64), DataType::Boolean), Bool)
        }
        (DateTime | TimeSpan, Long) => TExpr::new(ex, Long),
        (Long | Int, DateTime | TimeSpan) => TExpr::new(cast(ex, DataType::Int64), to),
        (DateTime, Real) | (TimeSpan, Real) => TExpr::new(cast(ex, DataType::Float64), Real),
        (Real | Decimal, TimeSpan | DateTime) => TExpr::new(
            call(&real_to_long_udf(), vec![TExpr::new(ex, Real)], Long).expr,
            to,
        ),
        (Guid, String) => TExpr::new(ex, to),
        (String, Guid) => call(&string_to_guid_udf(), vec![TExpr::new(ex, String)], Guid),
        (_, String) => to_string(TExpr::new(ex, from)),
        (String, _) => from_string(TExpr::new(ex, String), to),
        // Dynamic numbers convert like reals (`toint(dynamic(1.5))` is 1).
        (Dynamic, Int | Long) => convert(convert(TExpr::new(ex, Dynamic), Real), to),
        (Dynamic, _) => from_string(to_string(TExpr::new(ex, Dynamic)), to),
        (_, Dynamic) => to_dynamic(TExpr::new(ex, from)),
        _ => TExpr::null(to),
    }
}

impl TExpr {
    fn cast_arrow(self, to: KqlType) -> TExpr {
        if self.ty.arrow() == to.arrow() {
            TExpr::new(self.expr, to)
        } else {
            TExpr::new(cast(self.expr, to.arrow()), to)
        }
    }
}

/// `tostring()` for every type. Nulls become the empty string.
pub fn to_string(e: TExpr) -> TExpr {
    let f = match e.ty {
        KqlType::String | KqlType::Guid => {
            return TExpr::new(
                datafusion::functions::expr_fn::coalesce(vec![
                    e.expr,
                    datafusion::logical_expr::lit(""),
                ]),
                KqlType::String,
            );
        }
        KqlType::Bool => bool_to_string_udf(),
        KqlType::Int => int_to_string_udf(),
        KqlType::Long => long_to_string_udf(),
        KqlType::Real | KqlType::Decimal => real_to_string_udf(),
        KqlType::DateTime => datetime_to_string_udf(),
        KqlType::TimeSpan => timespan_to_string_udf(),
        KqlType::Dynamic => {
            if let Some(fused) = super::dynamic_path::fuse_tostring(&e.expr) {
                return fused;
            }
            dynamic_to_string_udf()
        }
    };
    call(&f, vec![e], KqlType::String)
}

fn from_string(e: TExpr, to: KqlType) -> TExpr {
    let f = match to {
        KqlType::Long => string_to_long_udf(),
        KqlType::Int => {
            return TExpr::new(
                call(&string_to_long_udf(), vec![e], KqlType::Long).expr,
                KqlType::Long,
            )
            .cast_int_checked();
        }
        KqlType::Real | KqlType::Decimal => string_to_real_udf(),
        KqlType::Bool => string_to_bool_udf(),
        KqlType::DateTime => string_to_datetime_udf(),
        KqlType::TimeSpan => string_to_timespan_udf(),
        KqlType::Dynamic => return call(&string_to_dynamic_udf(), vec![e], KqlType::Dynamic),
        KqlType::String | KqlType::Guid => return TExpr::new(e.expr, to),
    };
    let mut out = call(&f, vec![e], to);
    out.ty = to;
    out
}

impl TExpr {
    /// long → int where values outside the int range become null.
    fn cast_int_checked(self) -> TExpr {
        call(&long_to_int_udf(), vec![self], KqlType::Int)
    }
}

/// Wraps a scalar into dynamic JSON text.
pub fn to_dynamic(e: TExpr) -> TExpr {
    match e.ty {
        KqlType::Dynamic => e,
        KqlType::String | KqlType::Guid => {
            call(&string_to_dynamic_udf(), vec![e], KqlType::Dynamic)
        }
        KqlType::Bool | KqlType::Int | KqlType::Long => {
            // JSON text of a number or bool is its display text.
            let s = to_string(e);
            call(&nonempty_or_null_udf(), vec![s], KqlType::Dynamic)
        }
        KqlType::Real | KqlType::Decimal => call(&real_to_dynamic_udf(), vec![e], KqlType::Dynamic),
        KqlType::DateTime | KqlType::TimeSpan => {
            let s = to_string(e);
            call(&string_to_dynamic_udf(), vec![s], KqlType::Dynamic)
        }
    }
}

/// `parse_json`/`todynamic` of a string: JSON text is parsed; anything else is a dynamic string.
pub fn parse_json_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_parse_json",
        vec![DataType::Utf8],
        DataType::Utf8,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let mut b = StringBuilder::with_capacity(s.len(), s.len() * 8);
            for v in s.iter() {
                match v {
                    None => b.append_null(),
                    Some(t) => match value::dynamic::parse(t) {
                        Some(value::dynamic::Value::Null) => b.append_null(),
                        Some(j) => b.append_value(value::dynamic::to_text(&j)),
                        None => b.append_value(value::dynamic::to_text(
                            &value::dynamic::Value::String(t.to_string()),
                        )),
                    },
                }
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        }
    ))
}

fn map_str<F: Fn(&str) -> Option<String>>(
    a: &ArrayRef,
    f: F,
) -> datafusion::error::Result<ArrayRef> {
    let s = as_string_array(a)?;
    let mut b = StringBuilder::with_capacity(s.len(), s.len() * 8);
    for v in s.iter() {
        match v.and_then(&f) {
            Some(x) => b.append_value(x),
            None => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

/// Canonical guid text (lower-case, dashed) from 32 hex digits with or without dashes and
/// braces; anything else is null.
pub fn parse_guid(t: &str) -> Option<String> {
    let hex: String = t
        .trim()
        .trim_matches(['{', '}'])
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

fn string_to_guid_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_string_to_guid",
        vec![DataType::Utf8],
        DataType::Utf8,
        |a, _| { map_str(&a[0], parse_guid) }
    ))
}

fn string_to_dynamic_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_string_to_dynamic",
        vec![DataType::Utf8],
        DataType::Utf8,
        |a, _| {
            map_str(&a[0], |t| {
                Some(value::dynamic::to_text(&value::dynamic::Value::String(
                    t.to_string(),
                )))
            })
        }
    ))
}

fn nonempty_or_null_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_nonempty_or_null",
        vec![DataType::Utf8],
        DataType::Utf8,
        |a, _| {
            map_str(&a[0], |t| {
                if t.is_empty() {
                    None
                } else {
                    Some(t.to_string())
                }
            })
        }
    ))
}

fn real_to_dynamic_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_real_to_dynamic",
        vec![DataType::Float64],
        DataType::Utf8,
        |a, _| {
            let r = as_float64_array(&a[0])?;
            let out: StringArray = r
                .iter()
                .map(|v| {
                    v.map(|x| match serde_json::Number::from_f64(x) {
                        Some(n) => serde_json::Value::Number(n).to_string(),
                        None => serde_json::Value::String(value::real::format(x)).to_string(),
                    })
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}

macro_rules! to_string_udf {
    ($fname:ident, $udfname:literal, $dt:expr, $cast:ident, $fmt:expr) => {
        fn $fname() -> Arc<datafusion::logical_expr::ScalarUDF> {
            cached_udf!(udf($udfname, vec![$dt], DataType::Utf8, |a, _| {
                let arr = $cast(&a[0])?;
                let mut b = StringBuilder::with_capacity(arr.len(), arr.len() * 8);
                for v in arr.iter() {
                    match v {
                        Some(x) => b.append_value($fmt(x)),
                        None => b.append_value(""),
                    }
                }
                Ok(Arc::new(b.finish()) as ArrayRef)
            }))
        }
    };
}

to_string_udf!(
    bool_to_string_udf,
    "kql_bool_to_string",
    DataType::Boolean,
    as_boolean_array,
    |x: bool| {
        if x {
            "true".to_string()
        } else {
            "false".to_string()
        }
    }
);
to_string_udf!(
    int_to_string_udf,
    "kql_int_to_string",
    DataType::Int32,
    as_int32_array,
    |x: i32| x.to_string()
);
to_string_udf!(
    long_to_string_udf,
    "kql_long_to_string",
    DataType::Int64,
    as_int64_array,
    |x: i64| x.to_string()
);
to_string_udf!(
    real_to_string_udf,
    "kql_real_to_string",
    DataType::Float64,
    as_float64_array,
    value::real::format
);
to_string_udf!(
    datetime_to_string_udf,
    "kql_datetime_to_string",
    DataType::Int64,
    as_int64_array,
    value::datetime::format_iso
);
to_string_udf!(
    timespan_to_string_udf,
    "kql_timespan_to_string",
    DataType::Int64,
    as_int64_array,
    value::timespan::format
);

fn dynamic_to_string_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_dynamic_to_string",
        vec![DataType::Utf8],
        DataType::Utf8,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let mut b = StringBuilder::with_capacity(s.len(), s.len() * 8);
            for v in s.iter() {
                match v {
                    None => b.append_value(""),
                    Some(t) => super::dynamic_path::dynamic_text_to_string(t, &mut b),
                }
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        }
    ))
}

/// Kusto's string → long: an optional sign and digits (surrounding spaces allowed); reals and
/// out-of-range values give null.
pub fn parse_long(t: &str) -> Option<i64> {
    let t = t.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok();
    }
    t.strip_prefix('+').unwrap_or(t).parse::<i64>().ok()
}

fn string_to_long_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_string_to_long",
        vec![DataType::Utf8],
        DataType::Int64,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let mut b = Int64Builder::with_capacity(s.len());
            for v in s.iter() {
                b.append_option(v.and_then(parse_long));
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        }
    ))
}

fn long_to_int_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_long_to_int",
        vec![DataType::Int64],
        DataType::Int32,
        |a, _| {
            let s = as_int64_array(&a[0])?;
            let out: Int32Array = s
                .iter()
                .map(|v| v.and_then(|x| i32::try_from(x).ok()))
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}

fn real_to_long_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_real_to_long",
        vec![DataType::Float64],
        DataType::Int64,
        |a, _| {
            let s = as_float64_array(&a[0])?;
            let out: Int64Array = s
                .iter()
                .map(|v| {
                    v.filter(|x| x.is_finite() && x.abs() < 9.3e18)
                        .map(|x| x.trunc() as i64)
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}

/// Kusto's string → real, including `NaN`, `Infinity`, `-Infinity`.
pub fn parse_real(t: &str) -> Option<f64> {
    let t = t.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => return Some(f64::NAN),
        "infinity" | "+infinity" | "inf" => return Some(f64::INFINITY),
        "-infinity" | "-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    t.parse::<f64>().ok()
}

fn string_to_real_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_string_to_real",
        vec![DataType::Utf8],
        DataType::Float64,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let mut b = Float64Builder::with_capacity(s.len());
            for v in s.iter() {
                b.append_option(v.and_then(parse_real));
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        }
    ))
}

/// Kusto's string → bool: `true`/`false` in any case, and integers (non-zero is true).
pub fn parse_bool(t: &str) -> Option<bool> {
    let t = t.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        t.parse::<i64>().ok().map(|v| v != 0)
    }
}

fn string_to_bool_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_string_to_bool",
        vec![DataType::Utf8],
        DataType::Boolean,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let mut b = BooleanBuilder::with_capacity(s.len());
            for v in s.iter() {
                b.append_option(v.and_then(parse_bool));
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        }
    ))
}

fn string_to_datetime_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_string_to_datetime",
        vec![DataType::Utf8],
        DataType::Int64,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let out: Int64Array = s
                .iter()
                .map(|v| v.and_then(value::datetime::parse))
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}

fn string_to_timespan_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_string_to_timespan",
        vec![DataType::Utf8],
        DataType::Int64,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let out: Int64Array = s
                .iter()
                .map(|v| v.and_then(value::timespan::parse))
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}
