//! Reshaping plugins: `evaluate narrow()` (one row per cell) and `evaluate pivot(...)` (one
//! column per distinct value of a column).
//!
//! Both outputs depend on the data (narrow's row numbers follow the input order; pivot's
//! columns are the pivot column's values), so the input runs once at planning time, as for
//! `bag_unpack`.

use super::Planner;
use super::env::Env;
use super::rel::{Rel, col_ref};
use crate::bail;
use crate::error::Result;
use crate::functions::conversion::to_string;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use datafusion::common::cast::as_string_array;
use kql::ast::{self, BinaryOp, EvaluateOp, ExprKind, Ident, NamedExpr, Span};
use std::sync::Arc;

impl Planner<'_> {
    /// `evaluate narrow()`: `Row:long, Column:string, Value:string`, one row per cell, rows
    /// numbered from 0 in input order, cells in column order.
    pub(crate) fn narrow(&self, rel: Rel, ev: &EvaluateOp, span: Span) -> Result<Rel> {
        if let Some(a) = ev.args.first() {
            bail!(a.span, "narrow() takes no arguments")
        }
        let out_cols = vec![
            ("Row".to_string(), KqlType::Long),
            ("Column".to_string(), KqlType::String),
            ("Value".to_string(), KqlType::String),
        ];
        let names = rel.names();
        if names.is_empty() {
            bail!(span, "narrow(): the input has no columns")
        }
        let items: Vec<(String, TExpr)> = rel
            .cols
            .iter()
            .enumerate()
            .map(|(i, (n, t))| (format!("__c{i}"), to_string(TExpr::new(col_ref(n), *t))))
            .collect();
        let probe = rel.project(items)?;
        let mut rows: Vec<i64> = Vec::new();
        let mut cols: Vec<&str> = Vec::new();
        let mut vals: Vec<String> = Vec::new();
        let mut row = 0i64;
        for b in self.collect_blocking(probe.plan)? {
            let arrays = (0..b.num_columns())
                .map(|c| as_string_array(b.column(c)))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            for r in 0..b.num_rows() {
                for (c, a) in arrays.iter().enumerate() {
                    rows.push(row);
                    cols.push(names.get(c).map(String::as_str).unwrap_or(""));
                    vals.push(if a.is_valid(r) {
                        a.value(r).to_string()
                    } else {
                        String::new()
                    });
                }
                row += 1;
            }
        }
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(rows)),
            Arc::new(StringArray::from(cols)),
            Arc::new(StringArray::from(vals)),
        ];
        super::sources::memory_rel(out_cols, arrays)
    }

    /// `evaluate pivot(PivotColumn [, Aggregation] [, Column1, ...])`.
    pub(crate) fn pivot(&self, rel: Rel, ev: &EvaluateOp, env: &Env, span: Span) -> Result<Rel> {
        let Some(first) = ev.args.first() else {
            bail!(span, "pivot() expects the pivot column")
        };
        let ExprKind::Name(pcol) = &first.kind else {
            bail!(
                first.span,
                "pivot(): the pivot column must be a column name"
            )
        };
        let Some(pty) = rel.find(pcol).map(|i| rel.cols[i].1) else {
            bail!(first.span, "unknown column '{pcol}'")
        };
        let mut rest = &ev.args[1..];
        let mut agg: Option<(&Ident, &[ast::Expr])> = None;
        if let Some(a) = rest.first()
            && let ExprKind::Call { name, args } = &a.kind
        {
            agg = Some((name, args.as_slice()));
            rest = &rest[1..];
        }
        let (fname, fargs, fspan) = match agg {
            Some((n, args)) => (n.name.as_str(), args, n.span),
            None => ("count", &[][..], span),
        };
        let iff = match fname {
            "count" => "countif",
            "sum" => "sumif",
            "min" => "minif",
            "max" => "maxif",
            "avg" => "avgif",
            "take_any" | "any" => "take_anyif",
            "dcount" => "dcountif",
            "stdev" => "stdevif",
            "variance" => "varianceif",
            "make_list" => "make_list_if",
            "make_set" => "make_set_if",
            "make_bag" => "make_bag_if",
            other => bail!(
                fspan,
                "pivot(): unsupported aggregation '{other}' (min, max, take_any, sum, dcount, avg, stdev, variance, make_list, make_bag, make_set, count)"
            ),
        };
        // Grouping columns: those given, else all but the pivot and aggregated columns.
        let mut used: Vec<String> = vec![pcol.clone()];
        for a in fargs {
            collect_names(a, &mut used);
        }
        let group: Vec<String> = if rest.is_empty() {
            rel.names()
                .into_iter()
                .filter(|n| !used.contains(n))
                .collect()
        } else {
            let mut g = Vec::new();
            for a in rest {
                let ExprKind::Name(n) = &a.kind else {
                    bail!(a.span, "pivot(): expected a column name")
                };
                if rel.find(n).is_none() {
                    bail!(a.span, "unknown column '{n}'")
                }
                g.push(n.clone());
            }
            g
        };
        // The pivot column's distinct values, in order of first appearance.
        let pstr = to_string(TExpr::new(col_ref(pcol), pty));
        let probe = rel
            .builder()
            .project(vec![pstr.expr.alias("__p")])?
            .build()?;
        let mut values: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for b in self.collect_blocking(probe)? {
            let s = as_string_array(b.column(0))?;
            for i in 0..s.len() {
                let v = if s.is_valid(i) { s.value(i) } else { "" };
                if seen.insert(v.to_string()) {
                    values.push(v.to_string());
                }
            }
        }
        if values.len() > 10_000 {
            bail!(span, "pivot(): {} distinct values", values.len())
        }
        let node = |kind: ExprKind| ast::Expr { kind, span };
        let ident = |n: &str| Ident {
            name: n.to_string(),
            span,
        };
        let by: Vec<NamedExpr> = group
            .iter()
            .map(|g| NamedExpr {
                names: vec![],
                expr: node(ExprKind::Name(g.clone())),
                span,
            })
            .collect();
        let pexpr = node(ExprKind::Call {
            name: ident("tostring"),
            args: vec![first.clone()],
        });
        let aggs: Vec<NamedExpr> = values
            .iter()
            .map(|v| {
                let cond = node(ExprKind::Binary(
                    BinaryOp::Eq,
                    Box::new(pexpr.clone()),
                    Box::new(node(ExprKind::Literal(ast::Literal::String(v.clone())))),
                ));
                let mut args = fargs.to_vec();
                let at = usize::from(iff != "countif").min(args.len());
                args.insert(at, cond);
                NamedExpr {
                    names: vec![ident(v)],
                    expr: node(ExprKind::Call {
                        name: ident(iff),
                        args,
                    }),
                    span,
                }
            })
            .collect();
        self.summarize(rel, &aggs, &by, env, span)
    }
}

fn collect_names(e: &ast::Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Name(n) if !out.contains(n) => out.push(n.clone()),
        ExprKind::Call { args, .. } => args.iter().for_each(|a| collect_names(a, out)),
        ExprKind::Paren(i) | ExprKind::Unary(_, i) => collect_names(i, out),
        ExprKind::Binary(_, l, r) => {
            collect_names(l, out);
            collect_names(r, out);
        }
        _ => {}
    }
}
