//! `union` (outer by default, wildcard table names, `withsource`, `isfuzzy`) and `search`.

use super::Planner;
use super::env::Env;
use super::expr::ExprCx;
use super::ops::wildcard_match;
use super::rel::{Rel, col_ref};
use crate::bail;
use crate::error::Result;
use crate::functions::conversion::to_string;
use crate::texpr::TExpr;
use crate::types::KqlType;
use kql::ast::{self, ExprKind, OpParam, SearchOp, UnionLeg, UnionOp};

fn param_name(params: &[OpParam], key: &str) -> Option<String> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(key))
        .and_then(|p| match &p.value.kind {
            ExprKind::Name(n) => Some(n.clone()),
            ExprKind::Literal(ast::Literal::String(s)) => Some(s.clone()),
            ExprKind::Literal(ast::Literal::Bool(b)) => Some(b.to_string()),
            _ => None,
        })
}

impl Planner<'_> {
    pub(crate) fn union(&self, input: Option<Rel>, u: &UnionOp, env: &Env) -> Result<Rel> {
        let fuzzy =
            param_name(&u.params, "isfuzzy").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let inner = param_name(&u.params, "kind").is_some_and(|v| v == "inner");
        let source_col = param_name(&u.params, "withsource");
        let mut legs: Vec<(String, Rel)> = Vec::new();
        if let Some(r) = input {
            legs.push(("union_arg0".into(), r));
        }
        for leg in &u.tables {
            match leg {
                UnionLeg::Pattern(p) if p.pattern.contains('*') => {
                    for t in self.catalog.table_names() {
                        if wildcard_match(&p.pattern, &t) {
                            let r = self.tabular_name(&t, p.span, env)?;
                            legs.push((t, r));
                        }
                    }
                }
                // isfuzzy tolerates legs over tables that do not exist, as Kusto does; any
                // other error in a leg (a missing column, a type error) still fails the query.
                UnionLeg::Pattern(p) => match self.tabular_name(&p.pattern, p.span, env) {
                    Ok(r) => legs.push((p.pattern.clone(), r)),
                    Err(e) if fuzzy && e.is_unknown_table() => {}
                    Err(e) => return Err(e),
                },
                UnionLeg::Tabular(t) => {
                    let name = match &t.source {
                        ast::Source::Expr(e) if t.ops.is_empty() => match &e.kind {
                            ExprKind::Name(n) => n.clone(),
                            _ => format!("union_arg{}", legs.len()),
                        },
                        _ => format!("union_arg{}", legs.len()),
                    };
                    match self.tabular(t, env) {
                        Ok(r) => legs.push((name, r)),
                        Err(e) if fuzzy && e.is_unknown_table() => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        if legs.is_empty() {
            bail!(
                u.tables.first().map(leg_span).unwrap_or_default(),
                "union has no tables to combine"
            )
        }
        union_rels(legs, inner, source_col.as_deref())
    }

    pub(crate) fn search(&self, input: Option<Rel>, s: &SearchOp, env: &Env) -> Result<Rel> {
        let case_sensitive = param_name(&s.params, "kind").is_some_and(|v| v == "case_sensitive");
        let (rel, add_table) = match input {
            Some(r) => {
                // The operator form labels its rows with `$table` too.
                let mut items = vec![("$table".to_string(), TExpr::string("search_arg0"))];
                items.extend(r.items().into_iter().filter(|(n, _)| n != "$table"));
                (r.project(items)?, false)
            }
            None => {
                let mut legs = Vec::new();
                let names = self.catalog.table_names();
                for t in names {
                    if s.tables.is_empty()
                        || s.tables.iter().any(|p| wildcard_match(&p.pattern, &t))
                    {
                        legs.push((t.clone(), self.tabular_name(&t, s.predicate.span, env)?));
                    }
                }
                if legs.is_empty() {
                    bail!(s.predicate.span, "search found no tables to look in")
                }
                (union_rels(legs, false, Some("$table"))?, true)
            }
        };
        let _ = add_table;
        let pred = self.search_predicate(&s.predicate, &rel, env, case_sensitive)?;
        rel.filter(pred.expr)
    }

    fn search_predicate(&self, e: &ast::Expr, rel: &Rel, env: &Env, cs: bool) -> Result<TExpr> {
        use crate::functions::string_ops::string_op;
        use ast::{StrOp, StrOpKind};
        match &e.kind {
            ExprKind::Literal(ast::Literal::String(term)) => {
                let (kind, needle) = search_term(term);
                let mut acc: Option<datafusion::logical_expr::Expr> = None;
                for (c, t) in &rel.cols {
                    if c == "$table" {
                        continue;
                    }
                    let v = to_string(TExpr::new(col_ref(c), *t));
                    let m = string_op(
                        StrOp {
                            kind,
                            case_sensitive: cs,
                            negated: false,
                        },
                        v,
                        TExpr::string(needle.clone()),
                        e.span,
                    )?;
                    acc = Some(match acc {
                        Some(a) => a.or(m.expr),
                        None => m.expr,
                    });
                }
                Ok(TExpr::new(
                    acc.unwrap_or(datafusion::logical_expr::lit(false)),
                    KqlType::Bool,
                ))
            }
            ExprKind::Binary(op @ (ast::BinaryOp::And | ast::BinaryOp::Or), a, b) => {
                let l = self.search_predicate(a, rel, env, cs)?;
                let r = self.search_predicate(b, rel, env, cs)?;
                let e = if *op == ast::BinaryOp::And {
                    l.expr.and(r.expr)
                } else {
                    l.expr.or(r.expr)
                };
                Ok(TExpr::new(e, KqlType::Bool))
            }
            ExprKind::Call { name, args } if name.name == "not" && args.len() == 1 => {
                let inner = self.search_predicate(&args[0], rel, env, cs)?;
                Ok(TExpr::new(
                    datafusion::logical_expr::Expr::Not(Box::new(inner.expr)),
                    KqlType::Bool,
                ))
            }
            ExprKind::Paren(inner) => self.search_predicate(inner, rel, env, cs),
            _ => {
                let _ = StrOpKind::Has;
                self.expr(e, &ExprCx::new(Some(rel), env))
            }
        }
    }
}

/// How a search term matches: `"x"` as a term, `"*x*"` contains, `"x*"` term prefix, `"*x"` suffix.
fn search_term(term: &str) -> (ast::StrOpKind, String) {
    let starts = term.starts_with('*');
    let ends = term.ends_with('*') && term.len() > 1;
    let core = term.trim_matches('*').to_string();
    let kind = match (starts, ends) {
        (true, true) => ast::StrOpKind::Contains,
        (false, true) => ast::StrOpKind::HasPrefix,
        (true, false) => ast::StrOpKind::HasSuffix,
        (false, false) => ast::StrOpKind::Has,
    };
    (kind, core)
}

fn leg_span(l: &UnionLeg) -> kql::ast::Span {
    match l {
        UnionLeg::Pattern(p) => p.span,
        UnionLeg::Tabular(t) => t.span,
    }
}

/// Unions relations by column name. Same-named columns of different types become
/// `name_type` columns, as Kusto does.
pub fn union_rels(legs: Vec<(String, Rel)>, inner: bool, source_col: Option<&str>) -> Result<Rel> {
    // Output columns in order of first appearance.
    let mut out: Vec<(String, KqlType)> = Vec::new();
    let mut types_of: std::collections::HashMap<String, Vec<KqlType>> = Default::default();
    for (_, r) in &legs {
        for (n, t) in &r.cols {
            let v = types_of.entry(n.clone()).or_default();
            if !v.contains(t) {
                v.push(*t);
            }
        }
    }
    for (_, r) in &legs {
        for (n, t) in &r.cols {
            let name = if types_of[n].len() > 1 {
                format!("{n}_{}", t.name())
            } else {
                n.clone()
            };
            if inner
                && !legs
                    .iter()
                    .all(|(_, l)| l.cols.iter().any(|(m, mt)| m == n && mt == t))
            {
                continue;
            }
            if !out.iter().any(|(o, _)| *o == name) {
                out.push((name, *t));
            }
        }
    }
    let mut plans = Vec::new();
    for (src, r) in &legs {
        let mut items: Vec<(String, TExpr)> = Vec::new();
        if let Some(sc) = source_col {
            items.push((sc.to_string(), TExpr::string(src.clone())));
        }
        for (name, t) in &out {
            let found = r.cols.iter().find(|(n, ct)| {
                (n == name && ct == t)
                    || (types_of.get(n).is_some_and(|v| v.len() > 1)
                        && format!("{n}_{}", ct.name()) == *name)
            });
            let e = match found {
                Some((n, ct)) => TExpr::new(col_ref(n), *ct),
                None => TExpr::null(*t),
            };
            items.push((name.clone(), e));
        }
        plans.push(r.project(items)?);
    }
    let mut cols: Vec<(String, KqlType)> = Vec::new();
    if let Some(sc) = source_col {
        cols.push((sc.to_string(), KqlType::String));
    }
    cols.extend(out);
    let mut it = plans.into_iter();
    let Some(first) = it.next() else {
        bail!(kql::ast::Span::default(), "union has no inputs")
    };
    let mut b = first.builder();
    for p in it {
        b = b.union(p.plan)?;
    }
    Ok(Rel::new(b.build()?, cols))
}
