//! Series family: functions over dynamic numeric arrays (the output of `make-series`).
//!
//! * element-wise math: `series_abs`, `series_floor`, `series_log`, `series_sin`, ...
//! * element-wise binary operators: `series_add`, `series_divide`, `series_greater`, ...
//!   (a numeric scalar operand is applied to every element)
//! * reductions: `series_sum`, `series_product`, `series_magnitude`, `series_dot_product`,
//!   `series_cosine_similarity`, `series_pearson_correlation`, `series_stats_dynamic`
//! * fills: `series_fill_forward`, `series_fill_backward`, `series_fill_const`,
//!   `series_fill_linear`
//! * filters and fits: `series_fir`, `series_iir`, `series_fit_line(_dynamic)`,
//!   `series_seasonal`, `series_outliers`
//! * functions returning several columns (`series_stats`, `series_fit_line`) are computed as a
//!   bag and split into columns by the planner (see [`multi_columns`]).
//!
//! Non-numeric or missing elements give null elements; a non-array series gives null.

use super::conversion::convert;
use super::kit::{arity, json_call};
use super::{Call, Registry};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, Value};

type Series = Vec<Option<f64>>;
type SeriesFn = fn(&str, &[Value]) -> Option<Value>;

/// How a series function is planned: argument counts, result type, row function.
struct Spec {
    min: usize,
    max: usize,
    ty: KqlType,
    f: SeriesFn,
}

const UNARY: &[&str] = &[
    "series_abs",
    "series_acos",
    "series_asin",
    "series_atan",
    "series_ceiling",
    "series_cos",
    "series_exp",
    "series_floor",
    "series_log",
    "series_sign",
    "series_sin",
    "series_tan",
];

const BINARY: &[&str] = &[
    "series_add",
    "series_subtract",
    "series_multiply",
    "series_divide",
    "series_pow",
    "series_greater",
    "series_greater_equals",
    "series_less",
    "series_less_equals",
    "series_equals",
    "series_not_equals",
];

const OTHER: &[&str] = &[
    "series_sum",
    "series_product",
    "series_magnitude",
    "series_dot_product",
    "series_cosine_similarity",
    "series_pearson_correlation",
    "series_stats_dynamic",
    "series_stats",
    "series_fill_forward",
    "series_fill_backward",
    "series_fill_const",
    "series_fill_linear",
    "series_fir",
    "series_iir",
    "series_fit_line_dynamic",
    "series_fit_line",
    "series_seasonal",
    "series_outliers",
];

fn spec(name: &str) -> Option<Spec> {
    let s = |min, max, ty, f| Some(Spec { min, max, ty, f });
    if UNARY.contains(&name) {
        return s(1, 1, KqlType::Dynamic, unary);
    }
    if BINARY.contains(&name) {
        return s(2, 2, KqlType::Dynamic, binary);
    }
    match name {
        "series_sum" | "series_product" | "series_magnitude" => s(1, 1, KqlType::Real, reduce),
        "series_dot_product" => s(2, 2, KqlType::Real, dot_product),
        "series_cosine_similarity" => s(2, 4, KqlType::Real, cosine_similarity),
        "series_pearson_correlation" => s(2, 2, KqlType::Real, pearson),
        "series_stats_dynamic" => s(1, 2, KqlType::Dynamic, stats),
        "series_stats" => s(1, 2, KqlType::Dynamic, stats),
        "series_fill_forward" | "series_fill_backward" => s(1, 2, KqlType::Dynamic, fill_dir),
        "series_fill_const" => s(2, 3, KqlType::Dynamic, fill_const),
        "series_fill_linear" => s(1, 4, KqlType::Dynamic, fill_linear),
        "series_fir" => s(2, 4, KqlType::Dynamic, fir),
        "series_iir" => s(3, 3, KqlType::Dynamic, iir),
        "series_fit_line_dynamic" | "series_fit_line" => s(1, 1, KqlType::Dynamic, fit_line),
        "series_seasonal" => s(1, 2, KqlType::Dynamic, seasonal),
        "series_outliers" => s(1, 5, KqlType::Dynamic, outliers),
        _ => None,
    }
}

/// Functions that return several columns: their result bag's keys, in column order, with
/// each column's type. `series_stats(x)` makes columns `series_stats_x_min`, ...
pub fn multi_columns(name: &str) -> Option<&'static [(&'static str, KqlType)]> {
    use KqlType::*;
    match name {
        "series_stats" => Some(&[
            ("min", Real),
            ("min_idx", Long),
            ("max", Real),
            ("max_idx", Long),
            ("avg", Real),
            ("stdev", Real),
            ("variance", Real),
        ]),
        "series_fit_line" => Some(&[
            ("rsquare", Real),
            ("slope", Real),
            ("variance", Real),
            ("rvariance", Real),
            ("interception", Real),
            ("line_fit", Dynamic),
        ]),
        _ => None,
    }
}

/// The bag a multi-column function computes (keys as in [`multi_columns`]).
pub fn bag_call(c: Call<'_>) -> Result<TExpr> {
    plan_as(c, KqlType::Dynamic)
}

pub fn register(r: &mut Registry) {
    for name in UNARY.iter().chain(BINARY).chain(OTHER) {
        r.scalar(name, plan);
    }
}

fn plan(c: Call<'_>) -> Result<TExpr> {
    let ty = match spec(c.name) {
        Some(s) => s.ty,
        None => crate::bail!(c.span, "unknown series function '{}'", c.name),
    };
    // Used as a plain scalar, a multi-column function gives its first column.
    if let Some(cols) = multi_columns(c.name) {
        let (key, kty) = cols[0];
        let bag = plan_as(c, KqlType::Dynamic)?;
        let v = super::dynamic::dynamic_path(bag, vec![dynamic::PathElem::Key(key.into())]);
        return Ok(convert(v, kty));
    }
    plan_as(c, ty)
}

fn plan_as(c: Call<'_>, ty: KqlType) -> Result<TExpr> {
    let Some(s) = spec(c.name) else {
        crate::bail!(c.span, "unknown series function '{}'", c.name)
    };
    arity(c.name, &c.args, s.min, s.max, c.span)?;
    let (name, f) = (c.name.to_string(), s.f);
    Ok(json_call(c, ty, move |vals| f(&name, vals)))
}

// ---------- helpers ----------

fn elem(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn series(v: &Value) -> Option<Series> {
    match v {
        Value::Array(a) => Some(a.iter().map(elem).collect()),
        _ => None,
    }
}

/// A JSON number, or null when not finite (dynamic values hold no NaN or infinity).
fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn opt_num(x: Option<f64>) -> Value {
    x.map_or(Value::Null, num)
}

fn array(xs: impl IntoIterator<Item = Option<f64>>) -> Value {
    Value::Array(xs.into_iter().map(opt_num).collect())
}

fn bool_arg(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|x| x != 0.0),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// An operand of a binary series function: an array, or a scalar applied to every element.
enum Operand {
    Arr(Vec<Value>),
    Scalar(Value),
}

impl Operand {
    fn of(v: &Value) -> Option<Operand> {
        match v {
            Value::Array(a) => Some(Operand::Arr(a.clone())),
            Value::Number(_) => Some(Operand::Scalar(v.clone())),
            _ => None,
        }
    }
    fn len(&self) -> Option<usize> {
        match self {
            Operand::Arr(a) => Some(a.len()),
            Operand::Scalar(_) => None,
        }
    }
    fn get(&self, i: usize) -> Option<&Value> {
        match self {
            Operand::Arr(a) => a.get(i),
            Operand::Scalar(v) => Some(v),
        }
    }
}

/// Both operands of a binary series function and the result length (the longer array).
fn operands(args: &[Value]) -> Option<(Operand, Operand, usize)> {
    let a = Operand::of(args.first()?)?;
    let b = Operand::of(args.get(1)?)?;
    let len = match (a.len(), b.len()) {
        (Some(x), Some(y)) => x.max(y),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => 1,
    };
    Some((a, b, len))
}

// ---------- element-wise ----------

fn unary(name: &str, args: &[Value]) -> Option<Value> {
    let s = series(args.first()?)?;
    let f: fn(f64) -> f64 = match name {
        "series_abs" => f64::abs,
        "series_acos" => f64::acos,
        "series_asin" => f64::asin,
        "series_atan" => f64::atan,
        "series_ceiling" => f64::ceil,
        "series_cos" => f64::cos,
        "series_exp" => f64::exp,
        "series_floor" => f64::floor,
        "series_log" => f64::ln,
        "series_sign" => |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        },
        "series_sin" => f64::sin,
        "series_tan" => f64::tan,
        _ => return None,
    };
    Some(array(s.into_iter().map(|x| x.map(f))))
}

fn binary(name: &str, args: &[Value]) -> Option<Value> {
    let (a, b, len) = operands(args)?;
    let out = (0..len)
        .map(|i| {
            let (Some(x), Some(y)) = (a.get(i), b.get(i)) else {
                return Value::Null;
            };
            let (Some(p), Some(q)) = (elem(x), elem(y)) else {
                return Value::Null;
            };
            let ints = x.as_i64().zip(y.as_i64());
            match name {
                "series_add" => match ints.and_then(|(m, n)| m.checked_add(n)) {
                    Some(v) => Value::from(v),
                    None => num(p + q),
                },
                "series_subtract" => match ints.and_then(|(m, n)| m.checked_sub(n)) {
                    Some(v) => Value::from(v),
                    None => num(p - q),
                },
                "series_multiply" => match ints.and_then(|(m, n)| m.checked_mul(n)) {
                    Some(v) => Value::from(v),
                    None => num(p * q),
                },
                "series_divide" => num(p / q),
                "series_pow" => num(p.powf(q)),
                "series_greater" => Value::Bool(p > q),
                "series_greater_equals" => Value::Bool(p >= q),
                "series_less" => Value::Bool(p < q),
                "series_less_equals" => Value::Bool(p <= q),
                "series_equals" => Value::Bool(p == q),
                "series_not_equals" => Value::Bool(p != q),
                _ => Value::Null,
            }
        })
        .collect();
    Some(Value::Array(out))
}

// ---------- reductions ----------

fn reduce(name: &str, args: &[Value]) -> Option<Value> {
    let s = series(args.first()?)?;
    let vals = s.into_iter().flatten();
    Some(num(match name {
        "series_sum" => vals.sum(),
        "series_product" => vals.product(),
        _ => vals.map(|x| x * x).sum::<f64>().sqrt(),
    }))
}

/// Pairs of the two operands' elements (a scalar operand pairs with every element).
fn pairs(args: &[Value]) -> Option<Vec<(Option<f64>, Option<f64>)>> {
    let (a, b, len) = operands(args)?;
    Some(
        (0..len)
            .map(|i| (a.get(i).and_then(elem), b.get(i).and_then(elem)))
            .collect(),
    )
}

fn dot_product(_: &str, args: &[Value]) -> Option<Value> {
    let p = pairs(args)?;
    Some(num(p.into_iter().filter_map(|(x, y)| Some(x? * y?)).sum()))
}

fn cosine_similarity(_: &str, args: &[Value]) -> Option<Value> {
    let (a, b) = (series(args.first()?)?, series(args.get(1)?)?);
    let mag = |s: &Series, given: Option<&Value>| {
        given
            .and_then(elem)
            .unwrap_or_else(|| s.iter().flatten().map(|x| x * x).sum::<f64>().sqrt())
    };
    let (ma, mb) = (mag(&a, args.get(2)), mag(&b, args.get(3)));
    let dot: f64 = a
        .iter()
        .zip(b.iter())
        .filter_map(|(x, y)| Some((*x)? * (*y)?))
        .sum();
    Some(num(dot / (ma * mb)))
}

fn pearson(_: &str, args: &[Value]) -> Option<Value> {
    let (a, b) = (series(args.first()?)?, series(args.get(1)?)?);
    if a.len() != b.len() {
        return Some(Value::Null);
    }
    let p: Vec<(f64, f64)> = a
        .iter()
        .zip(b.iter())
        .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
        .collect();
    let n = p.len() as f64;
    if p.is_empty() {
        return Some(Value::Null);
    }
    let (mx, my) = (
        p.iter().map(|t| t.0).sum::<f64>() / n,
        p.iter().map(|t| t.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &p {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    Some(num(sxy / (sxx * syy).sqrt()))
}

fn stats(_: &str, args: &[Value]) -> Option<Value> {
    let s = series(args.first()?)?;
    let ignore = bool_arg(args.get(1)).unwrap_or(false);
    let finite: Vec<(usize, f64)> = s
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.filter(|v| v.is_finite()).map(|v| (i, v)))
        .collect();
    let keys = [
        "min", "min_idx", "max", "max_idx", "avg", "stdev", "variance",
    ];
    let mut m = serde_json::Map::new();
    if finite.is_empty() || (!ignore && finite.len() != s.len()) {
        for k in keys {
            m.insert(k.into(), Value::Null);
        }
        return Some(Value::Object(m));
    }
    let (mut min, mut max) = (finite[0], finite[0]);
    for &(i, v) in &finite {
        if v < min.1 {
            min = (i, v);
        }
        if v > max.1 {
            max = (i, v);
        }
    }
    let n = finite.len() as f64;
    let avg = finite.iter().map(|t| t.1).sum::<f64>() / n;
    let var = if finite.len() > 1 {
        finite.iter().map(|t| (t.1 - avg).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    m.insert("min".into(), num(min.1));
    m.insert("min_idx".into(), Value::from(min.0 as i64));
    m.insert("max".into(), num(max.1));
    m.insert("max_idx".into(), Value::from(max.0 as i64));
    m.insert("avg".into(), num(avg));
    m.insert("stdev".into(), num(var.sqrt()));
    m.insert("variance".into(), num(var));
    Some(Value::Object(m))
}

// ---------- fills ----------

/// Whether an element counts as missing: null, or equal to the placeholder.
fn is_missing(v: &Value, placeholder: &Value) -> bool {
    if v.is_null() {
        return true;
    }
    match (elem(v), elem(placeholder)) {
        (Some(x), Some(p)) => x == p,
        _ => !placeholder.is_null() && v == placeholder,
    }
}

fn fill_dir(name: &str, args: &[Value]) -> Option<Value> {
    let Value::Array(a) = args.first()? else {
        return None;
    };
    let ph = args.get(1).cloned().unwrap_or(Value::Null);
    let mut out = a.clone();
    let mut last: Option<Value> = None;
    let idx: Vec<usize> = if name == "series_fill_backward" {
        (0..out.len()).rev().collect()
    } else {
        (0..out.len()).collect()
    };
    for i in idx {
        if is_missing(&out[i], &ph) {
            if let Some(l) = &last {
                out[i] = l.clone();
            }
        } else {
            last = Some(out[i].clone());
        }
    }
    Some(Value::Array(out))
}

fn fill_const(_: &str, args: &[Value]) -> Option<Value> {
    let Value::Array(a) = args.first()? else {
        return None;
    };
    let c = args.get(1).cloned().unwrap_or(Value::Null);
    let ph = args.get(2).cloned().unwrap_or(Value::Null);
    Some(Value::Array(
        a.iter()
            .map(|v| {
                if is_missing(v, &ph) {
                    c.clone()
                } else {
                    v.clone()
                }
            })
            .collect(),
    ))
}

fn fill_linear(_: &str, args: &[Value]) -> Option<Value> {
    let Value::Array(a) = args.first()? else {
        return None;
    };
    let ph = args.get(1).cloned().unwrap_or(Value::Null);
    let edges = bool_arg(args.get(2)).unwrap_or(true);
    let constant = match args.get(3) {
        None => Value::from(0),
        Some(v) => v.clone(),
    };
    // Integer series stay integer: interpolated values are truncated.
    let ints = a.iter().all(|v| is_missing(v, &ph) || v.is_i64());
    let known: Vec<(usize, f64)> = a
        .iter()
        .enumerate()
        .filter(|(_, v)| !is_missing(v, &ph))
        .filter_map(|(i, v)| elem(v).map(|x| (i, x)))
        .collect();
    if known.is_empty() {
        return Some(Value::Array(
            a.iter()
                .map(|v| {
                    if is_missing(v, &ph) {
                        constant.clone()
                    } else {
                        v.clone()
                    }
                })
                .collect(),
        ));
    }
    let mk = |x: f64| {
        if ints {
            Value::from(x.trunc() as i64)
        } else {
            num(x)
        }
    };
    let mut out = a.clone();
    let (first, last) = (known[0], known[known.len() - 1]);
    for w in known.windows(2) {
        let ((i0, y0), (i1, y1)) = (w[0], w[1]);
        for (j, slot) in out.iter_mut().enumerate().take(i1).skip(i0 + 1) {
            let t = (j - i0) as f64 / (i1 - i0) as f64;
            *slot = mk(y0 + (y1 - y0) * t);
        }
    }
    if edges {
        for slot in out.iter_mut().take(first.0) {
            *slot = mk(first.1);
        }
        for slot in out.iter_mut().skip(last.0 + 1) {
            *slot = mk(last.1);
        }
    }
    Some(Value::Array(out))
}

// ---------- filters and fits ----------

fn fir(_: &str, args: &[Value]) -> Option<Value> {
    let s = series(args.first()?)?;
    let filter: Vec<f64> = series(args.get(1)?)?
        .into_iter()
        .map(|x| x.unwrap_or(0.0))
        .collect();
    if filter.is_empty() {
        return None;
    }
    let has_neg = filter.iter().any(|x| *x < 0.0);
    let normalize = bool_arg(args.get(2)).unwrap_or(!has_neg);
    let center = bool_arg(args.get(3)).unwrap_or(false);
    let coef: Vec<f64> = if normalize {
        if has_neg {
            return None;
        }
        let sum: f64 = filter.iter().sum();
        filter.iter().map(|x| x / sum).collect()
    } else {
        filter
    };
    let shift = if center { (coef.len() - 1) / 2 } else { 0 } as i64;
    let n = s.len() as i64;
    let out = (0..n).map(|i| {
        let mut acc = 0.0;
        for (j, c) in coef.iter().enumerate() {
            let k = i + shift - j as i64;
            if (0..n).contains(&k) {
                acc += c * s[k as usize].unwrap_or(0.0);
            }
        }
        Some(acc)
    });
    Some(array(out))
}

fn iir(_: &str, args: &[Value]) -> Option<Value> {
    let x = series(args.first()?)?;
    let b: Vec<f64> = series(args.get(1)?)?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let a: Vec<f64> = series(args.get(2)?)?
        .into_iter()
        .map(|v| v.unwrap_or(0.0))
        .collect();
    let a0 = *a.first()?;
    if a0 == 0.0 {
        return None;
    }
    let mut y: Vec<f64> = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let mut acc = 0.0;
        for (j, bj) in b.iter().enumerate() {
            if j <= i {
                acc += bj * x[i - j].unwrap_or(0.0);
            }
        }
        for (j, aj) in a.iter().enumerate().skip(1) {
            if j <= i {
                acc -= aj * y[i - j];
            }
        }
        y.push(acc / a0);
    }
    Some(array(y.into_iter().map(Some)))
}

/// Least-squares line over x = 1..n: rsquare, slope, variance, rvariance, interception,
/// line_fit. Missing elements are skipped.
fn fit_line(_: &str, args: &[Value]) -> Option<Value> {
    let s = series(args.first()?)?;
    let pts: Vec<(f64, f64)> = s
        .iter()
        .enumerate()
        .filter_map(|(i, y)| y.map(|y| ((i + 1) as f64, y)))
        .collect();
    let mut m = serde_json::Map::new();
    let n = pts.len() as f64;
    if pts.is_empty() {
        for k in [
            "rsquare",
            "slope",
            "variance",
            "rvariance",
            "interception",
            "line_fit",
        ] {
            m.insert(k.into(), Value::Null);
        }
        return Some(Value::Object(m));
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &pts {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    let slope = if sxx == 0.0 { 0.0 } else { sxy / sxx };
    let icpt = my - slope * mx;
    let ssres: f64 = pts
        .iter()
        .map(|(x, y)| (y - (slope * x + icpt)).powi(2))
        .sum();
    let denom = if pts.len() > 1 { n - 1.0 } else { 1.0 };
    let rsquare = if syy == 0.0 { 1.0 } else { 1.0 - ssres / syy };
    m.insert("rsquare".into(), num(rsquare));
    m.insert("slope".into(), num(slope));
    m.insert("variance".into(), num(syy / denom));
    m.insert("rvariance".into(), num(ssres / denom));
    m.insert("interception".into(), num(icpt));
    m.insert(
        "line_fit".into(),
        array((1..=s.len()).map(|x| Some(slope * x as f64 + icpt))),
    );
    Some(Value::Object(m))
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let h = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[h]
    } else {
        (v[h - 1] + v[h]) / 2.0
    })
}

/// Seasonal component: the median of the elements at each phase of the period.
fn seasonal(_: &str, args: &[Value]) -> Option<Value> {
    let s = series(args.first()?)?;
    let period = args.get(1).and_then(elem).unwrap_or(-1.0);
    let period = if period >= 1.0 {
        period as usize
    } else if period < 0.0 {
        detect_period(&s).unwrap_or(0)
    } else {
        0
    };
    if period == 0 {
        return Some(array(s.iter().map(|_| Some(0.0))));
    }
    let meds: Vec<Option<f64>> = (0..period)
        .map(|p| {
            let mut v: Vec<f64> = s
                .iter()
                .skip(p)
                .step_by(period)
                .flatten()
                .copied()
                .collect();
            median(&mut v)
        })
        .collect();
    Some(array((0..s.len()).map(|i| meds[i % period])))
}

/// The lag with the strongest autocorrelation above 0.7, if any (a simple stand-in for
/// `series_periods_detect`).
fn detect_period(s: &Series) -> Option<usize> {
    let v: Vec<f64> = s.iter().map(|x| x.unwrap_or(0.0)).collect();
    let n = v.len();
    if n < 4 {
        return None;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let var: f64 = v.iter().map(|x| (x - mean).powi(2)).sum();
    if var == 0.0 {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    for lag in 2..=n / 2 {
        let c: f64 = (0..n - lag)
            .map(|i| (v[i] - mean) * (v[i + lag] - mean))
            .sum::<f64>()
            / var;
        if c > 0.7 && best.is_none_or(|(_, b)| c > b + 1e-9) {
            best = Some((lag, c));
        }
    }
    best.map(|b| b.0)
}

/// Percentile by linear interpolation between closest ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.len() == 1 {
        return sorted[0];
    }
    let r = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (r.floor() as usize, r.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo as f64)
}

/// Tukey-fence scores: 0 inside [P_low, P_high], else the distance beyond the fence in
/// units of P_high - P_low (so |score| > 1.5 is an outlier in Tukey's test).
fn outliers(_: &str, args: &[Value]) -> Option<Value> {
    let s = series(args.first()?)?;
    let kind = match args.get(1) {
        Some(Value::String(k)) => k.to_ascii_lowercase(),
        _ => "ctukey".into(),
    };
    let ignore = args.get(2).and_then(elem);
    let (lo_p, hi_p) = if kind == "tukey" {
        (25.0, 75.0)
    } else {
        (
            args.get(3).and_then(elem).unwrap_or(10.0),
            args.get(4).and_then(elem).unwrap_or(90.0),
        )
    };
    let mut vals: Vec<f64> = s
        .iter()
        .flatten()
        .copied()
        .filter(|x| Some(*x) != ignore)
        .collect();
    if vals.is_empty() {
        return Some(array(s.iter().map(|_| None)));
    }
    vals.sort_by(f64::total_cmp);
    let (lo, hi) = (percentile(&vals, lo_p), percentile(&vals, hi_p));
    let range = hi - lo;
    Some(array(s.iter().map(|x| {
        let x = (*x)?;
        if Some(x) == ignore {
            return Some(0.0);
        }
        Some(if x > hi && range > 0.0 {
            (x - hi) / range
        } else if x < lo && range > 0.0 {
            (x - lo) / range
        } else {
            0.0
        })
    })))
}
