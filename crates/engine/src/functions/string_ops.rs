//! String operators: `has`, `hasprefix`, `hassuffix`, `contains`, `startswith`, `endswith`,
//! `=~`, `matches regex` (each case-sensitive or not, and negated), `has_any`/`has_all` and
//! `in`/`in~`.
//!
//! Term rules for `has*`: a term is a maximal run of alphanumeric characters; `x has "t"` holds
//! when `t` occurs in `x` starting and ending on term boundaries (so `"IMAP4" has "IMAP"` is
//! false), `hasprefix` needs only the start boundary and `hassuffix` only the end boundary.

use super::conversion::to_string;
use super::kit::{call, udf};
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, Value};
use datafusion::arrow::array::{Array, ArrayRef, BooleanBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_string_array;
use datafusion::logical_expr::{Expr, ScalarUDF, lit};
use kql::ast::{Span, StrOp, StrOpKind};
use std::sync::{Arc, OnceLock};

fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Does `hay` contain `needle` with the given boundary requirements?
fn find_bounded(hay: &str, needle: &str, need_start: bool, need_end: bool) -> bool {
    find_bounded_with(
        hay,
        needle,
        &memchr::memmem::Finder::new(needle),
        need_start,
        need_end,
    )
}

/// [`find_bounded`] with the needle's searcher built once by the caller.
fn find_bounded_with(
    hay: &str,
    needle: &str,
    finder: &memchr::memmem::Finder,
    need_start: bool,
    need_end: bool,
) -> bool {
    if needle.is_empty() {
        return true;
    }
    let mut from = 0;
    while let Some(pos) = finder.find(&hay.as_bytes()[from..]) {
        let s = from + pos;
        let e = s + needle.len();
        let start_ok = !need_start
            || hay[..s]
                .chars()
                .next_back()
                .is_none_or(|c| !is_term_char(c));
        let end_ok = !need_end || hay[e..].chars().next().is_none_or(|c| !is_term_char(c));
        if start_ok && end_ok {
            return true;
        }
        from = s + hay[s..].chars().next().map_or(1, |c| c.len_utf8());
        if from >= hay.len() {
            break;
        }
    }
    false
}

/// Evaluates one string operator (not negated) on a haystack and a needle.
pub fn matches(kind: StrOpKind, cs: bool, hay: &str, needle: &str) -> bool {
    let (h, n);
    let (hay, needle) = if cs {
        (hay, needle)
    } else {
        h = hay.to_lowercase();
        n = needle.to_lowercase();
        (h.as_str(), n.as_str())
    };
    match kind {
        StrOpKind::Has => {
            // A needle that starts/ends with a separator matches those characters exactly.
            let ns = needle.chars().next().is_some_and(is_term_char);
            let ne = needle.chars().next_back().is_some_and(is_term_char);
            find_bounded(hay, needle, ns, ne)
        }
        StrOpKind::HasPrefix => find_bounded(hay, needle, true, false),
        StrOpKind::HasSuffix => find_bounded(hay, needle, false, true),
        StrOpKind::Contains => hay.contains(needle),
        StrOpKind::StartsWith => hay.starts_with(needle),
        StrOpKind::EndsWith => hay.ends_with(needle),
        StrOpKind::Equals => hay == needle,
        StrOpKind::MatchesRegex => false,
    }
}

/// A constant needle with its searcher built once, for operators applied down a column.
struct Needle {
    text: String,
    finder: memchr::memmem::Finder<'static>,
}

impl Needle {
    fn new(text: String) -> Self {
        let finder = memchr::memmem::Finder::new(text.as_bytes()).into_owned();
        Needle { text, finder }
    }

    /// [`matches`] (case-sensitive form) with this needle.
    fn matches(&self, kind: StrOpKind, hay: &str) -> bool {
        let n = self.text.as_str();
        match kind {
            StrOpKind::Has => {
                let ns = n.chars().next().is_some_and(is_term_char);
                let ne = n.chars().next_back().is_some_and(is_term_char);
                find_bounded_with(hay, n, &self.finder, ns, ne)
            }
            StrOpKind::HasPrefix => find_bounded_with(hay, n, &self.finder, true, false),
            StrOpKind::HasSuffix => find_bounded_with(hay, n, &self.finder, false, true),
            StrOpKind::Contains => self.finder.find(hay.as_bytes()).is_some(),
            other => matches(other, true, hay, n),
        }
    }
}

type UdfCache = std::sync::Mutex<std::collections::HashMap<(u8, bool), Arc<ScalarUDF>>>;

fn op_udf(kind: StrOpKind, cs: bool) -> Arc<ScalarUDF> {
    static CELLS: OnceLock<UdfCache> = OnceLock::new();
    let key = (kind as u8, cs);
    let map = CELLS.get_or_init(Default::default);
    let mut guard = match map.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    guard
        .entry(key)
        .or_insert_with(|| {
            let name = format!("kql_strop_{}_{}", kind as u8, if cs { "cs" } else { "ci" });
            udf(
                &name,
                vec![DataType::Utf8, DataType::Utf8],
                DataType::Boolean,
                move |a, _| {
                    let h = as_string_array(&a[0])?;
                    let n = as_string_array(&a[1])?;
                    let mut b = BooleanBuilder::with_capacity(h.len());
                    if kind == StrOpKind::MatchesRegex {
                        let mut cache: Option<(String, regex::Regex)> = None;
                        for i in 0..h.len() {
                            if n.is_null(i) {
                                b.append_null();
                                continue;
                            }
                            let p = n.value(i);
                            if cache.as_ref().is_none_or(|(k, _)| k != p) {
                                let re = regex::Regex::new(p).map_err(|e| {
                                    super::kit::exec_err(format!(
                                        "invalid regular expression '{p}': {e}"
                                    ))
                                })?;
                                cache = Some((p.to_string(), re));
                            }
                            let hay = if h.is_null(i) { "" } else { h.value(i) };
                            b.append_value(cache.as_ref().is_some_and(|(_, re)| re.is_match(hay)));
                        }
                        return Ok(Arc::new(b.finish()) as ArrayRef);
                    }
                    // Constant needle (the usual case): lower-case it once.
                    let const_needle = n.len() > 0
                        && (0..n.len()).all(|i| n.is_valid(i) && n.value(i) == n.value(0));
                    let prepared = const_needle.then(|| {
                        Needle::new(if cs {
                            n.value(0).to_string()
                        } else {
                            n.value(0).to_lowercase()
                        })
                    });
                    let mut buf = String::new();
                    for i in 0..h.len() {
                        if n.is_null(i) {
                            b.append_null();
                            continue;
                        }
                        let hay = if h.is_null(i) { "" } else { h.value(i) };
                        let v = match &prepared {
                            Some(nd) if cs => nd.matches(kind, hay),
                            Some(nd) => nd.matches(kind, lower_into(hay, &mut buf)),
                            None => matches(kind, cs, hay, n.value(i)),
                        };
                        b.append_value(v);
                    }
                    Ok(Arc::new(b.finish()) as ArrayRef)
                },
            )
        })
        .clone()
}

pub fn string_op(op: StrOp, left: TExpr, right: TExpr, _span: Span) -> Result<TExpr> {
    let l = to_string(left);
    let r = to_string(right);
    let cs = op.case_sensitive || op.kind == StrOpKind::MatchesRegex;
    let e = call(&op_udf(op.kind, cs), vec![l, r], KqlType::Bool).expr;
    Ok(TExpr::new(
        if op.negated {
            Expr::Not(Box::new(e))
        } else {
            e
        },
        KqlType::Bool,
    ))
}

/// Flattens list items: dynamic arrays contribute their elements as strings.
fn flatten_strings(list: Vec<TExpr>) -> (Vec<String>, Vec<TExpr>) {
    let mut consts = Vec::new();
    let mut dynamic_items = Vec::new();
    for it in list {
        if it.ty == KqlType::Dynamic
            && let Some(s) = it.as_str_literal()
        {
            match dynamic::parse(s) {
                Some(Value::Array(a)) => consts.extend(a.iter().map(dynamic::to_kql_string)),
                Some(v) => consts.push(dynamic::to_kql_string(&v)),
                None => {}
            }
            continue;
        }
        if let Some(s) = it.as_str_literal() {
            consts.push(s.to_string());
            continue;
        }
        if let Some(v) = it.as_i64_literal() {
            consts.push(v.to_string());
            continue;
        }
        dynamic_items.push(it);
    }
    (consts, dynamic_items)
}

pub fn has_any_all(left: TExpr, list: Vec<TExpr>, all: bool, _span: Span) -> Result<TExpr> {
    let hay = to_string(left);
    let (consts, rest) = flatten_strings(list);
    // Constant terms: one pass per row, the haystack lower-cased once for all of them.
    let mut acc: Option<Expr> = if consts.is_empty() {
        None
    } else {
        Some(
            call(
                &has_terms_udf(consts, all),
                vec![hay.clone()],
                KqlType::Bool,
            )
            .expr,
        )
    };
    // Non-constant items: dynamic arrays are flattened at run time by a UDF.
    for r in rest {
        let arr = super::conversion::to_dynamic(r);
        let f = if all {
            has_all_dyn_udf()
        } else {
            has_any_dyn_udf()
        };
        let p = call(&f, vec![hay.clone(), arr], KqlType::Bool).expr;
        acc = Some(match acc {
            None => p,
            Some(a) if all => a.and(p),
            Some(a) => a.or(p),
        });
    }
    Ok(TExpr::new(acc.unwrap_or(lit(all)), KqlType::Bool))
}

/// `has_any`/`has_all` over constant terms, baked into the UDF (its name carries a hash of
/// the terms so that different term lists are never taken for the same expression).
fn has_terms_udf(terms: Vec<String>, all: bool) -> Arc<ScalarUDF> {
    let lowered: Vec<String> = terms.iter().map(|t| t.to_lowercase()).collect();
    let key = lowered.join("\u{1f}");
    let name = format!(
        "kql_has_{}_{:016x}",
        if all { "all" } else { "any" },
        term_list_hash(&key)
    );
    // Each term with its searcher, built once.
    let needles: Vec<Needle> = lowered.into_iter().map(Needle::new).collect();
    udf(
        &name,
        vec![DataType::Utf8],
        DataType::Boolean,
        move |a, _| {
            let h = as_string_array(&a[0])?;
            let mut b = BooleanBuilder::with_capacity(h.len());
            let mut buf = String::new();
            for i in 0..h.len() {
                let hay = if h.is_null(i) { "" } else { h.value(i) };
                let hl = lower_into(hay, &mut buf);
                let test = |n: &Needle| n.matches(StrOpKind::Has, hl);
                b.append_value(if all {
                    needles.iter().all(test)
                } else {
                    needles.iter().any(test)
                });
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        },
    )
}

/// `hay` lower-cased, borrowing it when it has nothing to lower and reusing `buf` otherwise.
fn lower_into<'a>(hay: &'a str, buf: &'a mut String) -> &'a str {
    if hay.is_ascii() {
        if !hay.bytes().any(|c| c.is_ascii_uppercase()) {
            return hay;
        }
        buf.clear();
        buf.push_str(hay);
        buf.make_ascii_lowercase();
    } else {
        *buf = hay.to_lowercase();
    }
    buf
}

/// A stable 64-bit hash (FNV-1a) of a term list, for UDF names.
fn term_list_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn dyn_has_udf(all: bool) -> Arc<ScalarUDF> {
    udf(
        if all {
            "kql_has_all_dyn"
        } else {
            "kql_has_any_dyn"
        },
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Boolean,
        move |a, _| {
            let h = as_string_array(&a[0])?;
            let d = as_string_array(&a[1])?;
            let mut b = BooleanBuilder::with_capacity(h.len());
            for i in 0..h.len() {
                let hay = if h.is_null(i) { "" } else { h.value(i) };
                let items: Vec<String> = if d.is_null(i) {
                    vec![]
                } else {
                    match dynamic::parse(d.value(i)) {
                        Some(Value::Array(a)) => a.iter().map(dynamic::to_kql_string).collect(),
                        Some(v) => vec![dynamic::to_kql_string(&v)],
                        None => vec![],
                    }
                };
                let f = |t: &String| matches(StrOpKind::Has, false, hay, t);
                b.append_value(if all {
                    items.iter().all(f)
                } else {
                    items.iter().any(f)
                });
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        },
    )
}

fn has_any_dyn_udf() -> Arc<ScalarUDF> {
    crate::cached_udf!(dyn_has_udf(false))
}

fn has_all_dyn_udf() -> Arc<ScalarUDF> {
    crate::cached_udf!(dyn_has_udf(true))
}

pub fn in_list(
    left: TExpr,
    list: Vec<TExpr>,
    ci: bool,
    negated: bool,
    span: Span,
) -> Result<TExpr> {
    // Dynamic array literals in the list contribute their elements.
    let mut items = Vec::new();
    for it in list {
        if it.ty == KqlType::Dynamic
            && let Some(s) = it.as_str_literal()
            && let Some(Value::Array(a)) = dynamic::parse(s)
        {
            for v in a {
                items.push(match v {
                    Value::String(s) => TExpr::string(s),
                    Value::Number(n) if n.is_i64() => TExpr::long(n.as_i64().unwrap_or_default()),
                    Value::Number(n) => TExpr::real(n.as_f64().unwrap_or_default()),
                    Value::Bool(b) => TExpr::bool(b),
                    other => TExpr::dynamic_json(dynamic::to_text(&other)),
                });
            }
            continue;
        }
        items.push(it);
    }
    if ci {
        let l = TExpr::new(
            datafusion::functions::expr_fn::lower(to_string(left).expr),
            KqlType::String,
        );
        let exprs: Vec<Expr> = items
            .into_iter()
            .map(|i| datafusion::functions::expr_fn::lower(to_string(i).expr))
            .collect();
        return Ok(TExpr::new(
            datafusion::logical_expr::expr_fn::in_list(l.expr, exprs, negated),
            KqlType::Bool,
        ));
    }
    let mut left_u = left.clone();
    let mut exprs = Vec::new();
    for i in items {
        let (l, r) = crate::plan::expr::unify_for_compare(left.clone(), i, span)?;
        left_u = l;
        exprs.push(r.expr);
    }
    if exprs.is_empty() {
        return Ok(TExpr::bool(negated));
    }
    Ok(TExpr::new(
        datafusion::logical_expr::expr_fn::in_list(left_u.expr, exprs, negated),
        KqlType::Bool,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_rules() {
        assert!(!matches(StrOpKind::Has, false, "IMAP4", "IMAP"));
        assert!(matches(StrOpKind::Has, false, "legacy IMAP client", "imap"));
        assert!(matches(StrOpKind::Has, false, "hello-world", "world"));
        assert!(!matches(StrOpKind::Has, false, "helloworld", "world"));
        assert!(matches(
            StrOpKind::HasPrefix,
            false,
            "helloworld x",
            "hello"
        ));
        assert!(matches(StrOpKind::HasSuffix, false, "helloworld", "world"));
        assert!(matches(
            StrOpKind::Has,
            false,
            "a hello-world b",
            "hello-world"
        ));
    }
}
