//! `parse`, `parse-where` and `parse-kv`.
//!
//! A `parse` pattern becomes one regular expression (literals escaped in simple mode, kept as
//! regex in `kind=regex`; columns become capture groups shaped by their type). A UDF returns
//! the captures as a JSON array per row (null when the row does not match), from which each
//! column is read and converted to its declared type.

use super::Planner;
use super::env::Env;
use super::expr::ExprCx;
use super::rel::Rel;
use crate::bail;
use crate::cached_udf;
use crate::error::{EngineError, Result};
use crate::functions::conversion::{convert, to_string};
use crate::functions::dynamic::dynamic_path;
use crate::functions::kit::{call, udf};
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{PathElem, Value};
use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_string_array;
use kql::ast::{self, ExprKind, OpParam, ParseKvOp, ParseOp, ParsePart, Span};
use std::sync::Arc;

fn param_text(params: &[OpParam], key: &str) -> Option<String> {
    params
        .iter()
        .find(|p| p.name == key)
        .and_then(|p| match &p.value.kind {
            ExprKind::Name(n) => Some(n.clone()),
            ExprKind::Literal(ast::Literal::String(s)) => Some(s.clone()),
            _ => None,
        })
}

fn capture_for(ty: KqlType, last: bool) -> &'static str {
    match ty {
        KqlType::Int | KqlType::Long => r"(-?\d+)",
        KqlType::Real | KqlType::Decimal => r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)",
        KqlType::Bool => r"(?i:(true|false))",
        _ if last => "(.*)",
        _ => "(.*?)",
    }
}

/// Captures of `regex` in each row, as a JSON array of strings, or null.
fn regex_captures_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_parse_captures",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        |a, rows| {
            let s = as_string_array(&a[0])?;
            let p = as_string_array(&a[1])?;
            let mut cache: Option<(String, regex::Regex)> = None;
            let mut out = StringBuilder::new();
            for r in 0..rows {
                if s.is_null(r) || p.is_null(r) {
                    out.append_null();
                    continue;
                }
                let pat = p.value(r);
                if cache.as_ref().is_none_or(|(k, _)| k != pat) {
                    let re = regex::Regex::new(pat).map_err(|e| {
                        crate::functions::kit::exec_err(format!("invalid parse pattern: {e}"))
                    })?;
                    cache = Some((pat.to_string(), re));
                }
                let Some((_, re)) = cache.as_ref() else {
                    continue;
                };
                match re.captures(s.value(r)) {
                    Some(c) => {
                        let parts: Vec<Value> = (1..c.len())
                            .map(|i| {
                                c.get(i)
                                    .map(|m| Value::String(m.as_str().to_string()))
                                    .unwrap_or(Value::Null)
                            })
                            .collect();
                        out.append_value(Value::Array(parts).to_string());
                    }
                    None => out.append_null(),
                }
            }
            Ok(Arc::new(out.finish()) as ArrayRef)
        }
    ))
}

impl Planner<'_> {
    pub(crate) fn parse_op(&self, rel: Rel, p: &ParseOp, env: &Env, span: Span) -> Result<Rel> {
        let kind = param_text(&p.params, "kind").unwrap_or_else(|| "simple".into());
        let flags = param_text(&p.params, "flags").unwrap_or_default();
        let regex_mode = kind == "regex";
        let cx = ExprCx::new(Some(&rel), env);
        let src = to_string(self.expr(&p.source, &cx)?);
        let mut pattern = String::new();
        if flags.contains('i') {
            pattern.push_str("(?i)");
        }
        if flags.contains('s') {
            pattern.push_str("(?s)");
        }
        if flags.contains('m') {
            pattern.push_str("(?m)");
        }
        let ungreedy = flags.contains('U');
        let mut cols: Vec<(String, KqlType)> = Vec::new();
        let n = p.pattern.len();
        for (i, part) in p.pattern.iter().enumerate() {
            let last = i == n - 1;
            match part {
                ParsePart::Literal(l) => pattern.push_str(&if regex_mode {
                    l.clone()
                } else {
                    regex::escape(l)
                }),
                ParsePart::Star => pattern.push_str(if last { ".*" } else { ".*?" }),
                ParsePart::Column { name, ty } => {
                    let t = match ty {
                        Some(t) => KqlType::from_name(&t.name).ok_or_else(|| {
                            EngineError::plan(format!("unknown type '{}'", t.name), t.span)
                        })?,
                        None => KqlType::String,
                    };
                    let cap = capture_for(t, last);
                    pattern.push_str(if ungreedy && cap == "(.*?)" {
                        "(.*)"
                    } else {
                        cap
                    });
                    cols.push((name.name.clone(), t));
                }
            }
        }
        if cols.is_empty() {
            bail!(span, "parse needs at least one column to extract")
        }
        if !regex_mode {
            pattern.insert(0, '^');
            if !matches!(p.pattern.last(), Some(ParsePart::Star))
                && matches!(p.pattern.last(), Some(ParsePart::Literal(_)))
            {
                pattern.push('$');
            }
        }
        if regex::Regex::new(&pattern).is_err() {
            bail!(span, "the parse pattern is not a valid regular expression")
        }
        let caps = call(
            &regex_captures_udf(),
            vec![src, TExpr::string(pattern)],
            KqlType::Dynamic,
        );
        let mut items = rel.items();
        let with_caps = {
            let mut pre = rel.items();
            pre.push(("__caps".into(), caps));
            rel.project(pre)?
        };
        let capref = TExpr::new(super::rel::col_ref("__caps"), KqlType::Dynamic);
        for (i, (name, t)) in cols.iter().enumerate() {
            let v = convert(
                dynamic_path(capref.clone(), vec![PathElem::Index(i as i64)]),
                *t,
            );
            match items.iter().position(|(n, _)| n == name) {
                Some(j) => items[j] = (name.clone(), v),
                None => items.push((name.clone(), v)),
            }
        }
        let base = if p.where_ {
            with_caps.filter(capref.expr.clone().is_not_null())?
        } else {
            with_caps
        };
        base.project(items)
    }

    pub(crate) fn parse_kv(&self, rel: Rel, p: &ParseKvOp, env: &Env, span: Span) -> Result<Rel> {
        let cx = ExprCx::new(Some(&rel), env);
        let src = to_string(self.expr(&p.source, &cx)?);
        let get = |k: &str| -> Result<Option<String>> {
            match p.with.iter().find(|w| w.name == k) {
                None => Ok(None),
                Some(w) => match &w.value.kind {
                    ExprKind::Literal(ast::Literal::String(s)) => Ok(Some(s.clone())),
                    ExprKind::Literal(ast::Literal::Bool(b)) => Ok(Some(b.to_string())),
                    ExprKind::Name(n) => Ok(Some(n.clone())),
                    _ => bail!(w.span, "parse-kv option '{k}' must be a constant"),
                },
            }
        };
        let pair = get("pair_delimiter")?.unwrap_or_else(|| " ".into());
        let kv = get("kv_delimiter")?.unwrap_or_else(|| "=".into());
        let quote = get("quote")?.unwrap_or_default();
        let cfg = serde_json::json!({"pair": pair, "kv": kv, "quote": quote}).to_string();
        let f = cached_udf!(udf(
            "kql_parse_kv",
            vec![DataType::Utf8, DataType::Utf8],
            DataType::Utf8,
            |a, rows| {
                let s = as_string_array(&a[0])?;
                let c = as_string_array(&a[1])?;
                let mut out = StringBuilder::new();
                for r in 0..rows {
                    if s.is_null(r) || c.is_null(r) {
                        out.append_null();
                        continue;
                    }
                    let cfg: Value = serde_json::from_str(c.value(r)).unwrap_or(Value::Null);
                    let pair = cfg["pair"].as_str().unwrap_or(" ");
                    let kv = cfg["kv"].as_str().unwrap_or("=");
                    let quotes: Vec<char> = cfg["quote"].as_str().unwrap_or("").chars().collect();
                    let mut m = serde_json::Map::new();
                    for item in s.value(r).split(pair) {
                        if let Some((k, v)) = item.split_once(kv) {
                            let v = v.trim().trim_matches(|ch| quotes.contains(&ch));
                            m.entry(k.trim().to_string())
                                .or_insert_with(|| Value::String(v.to_string()));
                        }
                    }
                    out.append_value(Value::Object(m).to_string());
                }
                Ok(Arc::new(out.finish()) as ArrayRef)
            }
        ));
        let bag = call(&f, vec![src, TExpr::string(cfg)], KqlType::Dynamic);
        let mut pre = rel.items();
        pre.push(("__kv".into(), bag));
        let with = rel.project(pre)?;
        let bagref = TExpr::new(super::rel::col_ref("__kv"), KqlType::Dynamic);
        let mut items = rel.items();
        for (name, t) in &p.columns {
            let ty = KqlType::from_name(&t.name)
                .ok_or_else(|| EngineError::plan(format!("unknown type '{}'", t.name), t.span))?;
            let v = convert(
                dynamic_path(bagref.clone(), vec![PathElem::Key(name.name.clone())]),
                ty,
            );
            match items.iter().position(|(n, _)| *n == name.name) {
                Some(j) => items[j] = (name.name.clone(), v),
                None => items.push((name.name.clone(), v)),
            }
        }
        let _ = span;
        with.project(items)
    }
}
