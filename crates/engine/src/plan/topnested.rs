//! `top-nested`: hierarchical aggregation and selection of the top values per level.
//!
//! Each level `top-nested [N] of Expr [with others = V] by Agg [asc|desc]` groups the rows
//! kept by the previous levels by (previous keys, Expr), aggregates, and keeps the N best
//! groups within each parent group. With `others`, the rows of the groups not kept are not
//! dropped: their key becomes V, so they form one more group (aggregated over those rows) that
//! the next levels partition further. The output has two columns per level: the key (named as
//! written or after its column) and the aggregate (named as written, else `aggregated_<key>`).

use super::Planner;
use super::env::Env;
use super::expr::ExprCx;
use super::ops::derive_name;
use super::rel::{Rel, col_ref, unique_name};
use crate::error::Result;
use crate::functions::conversion::convert;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::common::{JoinType, NullEquality};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, LogicalPlan, SortExpr, lit, when};
use kql::ast::{self, ExprKind, Ident, NamedExpr, Span, TopNestedLevel};

fn key(i: usize) -> String {
    format!("__tn_k{i}")
}

fn agg(i: usize) -> String {
    format!("__tn_a{i}")
}

impl Planner<'_> {
    pub(crate) fn top_nested(
        &self,
        rel: Rel,
        levels: &[TopNestedLevel],
        env: &Env,
        span: Span,
    ) -> Result<Rel> {
        let ident = |n: &str| Ident {
            name: n.to_string(),
            span,
        };
        let name_expr = |n: &str| NamedExpr {
            names: vec![],
            expr: ast::Expr {
                kind: ExprKind::Name(n.to_string()),
                span,
            },
            span,
        };
        // Output names.
        let mut taken: Vec<String> = Vec::new();
        let mut out_names: Vec<(String, String)> = Vec::new();
        for (i, l) in levels.iter().enumerate() {
            let k = match l.of.names.first() {
                Some(n) => n.name.clone(),
                None => derive_name(&l.of.expr).unwrap_or_else(|| format!("Column{}", i + 1)),
            };
            let k = unique_name(&k, &taken);
            taken.push(k.clone());
            let a = match l.by.names.first() {
                Some(n) => n.name.clone(),
                None => format!("aggregated_{k}"),
            };
            let a = unique_name(&a, &taken);
            taken.push(a.clone());
            out_names.push((k, a));
        }
        // The level keys as columns beside the input's.
        let items: Vec<NamedExpr> = levels
            .iter()
            .enumerate()
            .map(|(i, l)| NamedExpr {
                names: vec![ident(&key(i))],
                expr: l.of.expr.clone(),
                span: l.of.span,
            })
            .collect();
        let mut cur = self.extend(rel, &items, env)?;
        let mut tables: Vec<Rel> = Vec::new();
        for (i, l) in levels.iter().enumerate() {
            let by: Vec<NamedExpr> = (0..=i).map(|j| name_expr(&key(j))).collect();
            let aggs = vec![NamedExpr {
                names: vec![ident(&agg(i))],
                expr: l.by.expr.clone(),
                span: l.by.span,
            }];
            let mut table = self.summarize(cur.clone(), &aggs, &by, env, l.span)?;
            if let Some(n) = &l.count {
                let n = self.const_count(n, env)?;
                let asc = l.ascending.unwrap_or(false);
                let kty = table.cols.get(i).map(|c| c.1).unwrap_or(KqlType::Dynamic);
                let aty = table
                    .cols
                    .get(i + 1)
                    .map(|c| c.1)
                    .unwrap_or(KqlType::Dynamic);
                let a_sort = sortable(TExpr::new(col_ref(&agg(i)), aty));
                let k_sort = sortable(TExpr::new(col_ref(&key(i)), kty));
                let rn = row_number()
                    .partition_by((0..i).map(|j| col_ref(&key(j))).collect())
                    .order_by(vec![
                        SortExpr::new(a_sort, asc, false),
                        SortExpr::new(k_sort, true, false),
                    ])
                    .build()?
                    .alias("__tn_rn");
                let sel_plan = table
                    .builder()
                    .window(vec![rn])?
                    .filter(col_ref("__tn_rn").lt_eq(lit(n as u64)))?
                    .build()?;
                let sel = Rel::new(sel_plan, {
                    let mut c = table.cols.clone();
                    c.push(("__tn_rn".into(), KqlType::Long));
                    c
                });
                let mut sel_items: Vec<(String, TExpr)> = (0..=i)
                    .map(|j| {
                        let t = sel.cols.get(j).map(|c| c.1).unwrap_or(KqlType::Dynamic);
                        (format!("__tn_s{j}"), TExpr::new(col_ref(&key(j)), t))
                    })
                    .collect();
                let lkeys: Vec<String> = (0..=i).map(key).collect();
                let rkeys: Vec<String> = (0..=i).map(|j| format!("__tn_s{j}")).collect();
                match &l.others {
                    None => {
                        let sel = sel.project(sel_items)?;
                        let plan = join(&cur, &sel, &lkeys, &rkeys, JoinType::LeftSemi)?;
                        cur = Rel::new(plan, cur.cols.clone());
                    }
                    Some(o) => {
                        sel_items.push(("__tn_m".into(), TExpr::new(lit(true), KqlType::Bool)));
                        let sel = sel.project(sel_items)?;
                        let plan = join(&cur, &sel, &lkeys, &rkeys, JoinType::Left)?;
                        let mut cols = cur.cols.clone();
                        cols.extend(sel.cols.iter().cloned());
                        let joined = Rel::new(plan, cols);
                        let ov = convert(self.expr(o, &ExprCx::new(None, env))?, kty);
                        let replaced = when(col_ref("__tn_m").is_null(), ov.expr)
                            .otherwise(col_ref(&key(i)))?;
                        let items: Vec<(String, TExpr)> = cur
                            .cols
                            .iter()
                            .map(|(c, t)| {
                                if *c == key(i) {
                                    (c.clone(), TExpr::new(replaced.clone(), *t))
                                } else {
                                    (c.clone(), TExpr::new(col_ref(c), *t))
                                }
                            })
                            .collect();
                        cur = joined.project(items)?;
                    }
                }
                table = self.summarize(cur.clone(), &aggs, &by, env, l.span)?;
            }
            tables.push(table);
        }
        // One row per last-level group, with every level's aggregate beside its key.
        let Some(mut out) = tables.pop() else {
            crate::bail!(span, "top-nested expects at least one level")
        };
        while let Some(t) = tables.pop() {
            let i = tables.len();
            let rcols: Vec<(String, TExpr)> = t
                .cols
                .iter()
                .enumerate()
                .map(|(j, (c, ty))| {
                    let n = if j <= i {
                        format!("__tn_r{j}")
                    } else {
                        c.clone()
                    };
                    (n, TExpr::new(col_ref(c), *ty))
                })
                .collect();
            let right = t.project(rcols)?;
            let lkeys: Vec<String> = (0..=i).map(key).collect();
            let rkeys: Vec<String> = (0..=i).map(|j| format!("__tn_r{j}")).collect();
            let plan = join(&out, &right, &lkeys, &rkeys, JoinType::Inner)?;
            let mut cols = out.cols.clone();
            cols.extend(right.cols.iter().cloned());
            let joined = Rel::new(plan, cols);
            let keep: Vec<(String, TExpr)> = joined
                .cols
                .iter()
                .filter(|(c, _)| !c.starts_with("__tn_r"))
                .map(|(c, t)| (c.clone(), TExpr::new(col_ref(c), *t)))
                .collect();
            out = joined.project(keep)?;
        }
        let mut items = Vec::new();
        for (i, (k, a)) in out_names.into_iter().enumerate() {
            let Some(kc) = out.column(&key(i)) else {
                crate::bail!(span, "top-nested: internal column missing")
            };
            let Some(ac) = out.column(&agg(i)) else {
                crate::bail!(span, "top-nested: internal column missing")
            };
            items.push((k, kc));
            items.push((a, ac));
        }
        out.project(items)
    }
}

fn sortable(e: TExpr) -> Expr {
    match e.ty {
        KqlType::Dynamic => crate::functions::conversion::to_string(e).expr,
        _ => e.expr,
    }
}

/// An equi-join on column names where null keys match null keys (as Kusto groups them).
fn join(
    left: &Rel,
    right: &Rel,
    lkeys: &[String],
    rkeys: &[String],
    jt: JoinType,
) -> Result<LogicalPlan> {
    let l: Vec<Expr> = lkeys.iter().map(|k| col_ref(k)).collect();
    let r: Vec<Expr> = rkeys.iter().map(|k| col_ref(k)).collect();
    let plan = left
        .builder()
        .join_with_expr_keys(right.plan.clone(), jt, (l, r), None)?
        .build()?;
    Ok(match plan {
        LogicalPlan::Join(mut j) => {
            j.null_equality = NullEquality::NullEqualsNull;
            LogicalPlan::Join(j)
        }
        other => other,
    })
}
