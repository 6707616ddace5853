//! `summarize`: group keys, aggregates (possibly inside scalar expressions), Kusto's default
//! column names, and the multi-column aggregates `arg_max`/`arg_min`/`percentiles`.

use super::Planner;
use super::env::Env;
use super::expr::ExprCx;
use super::ops::derive_name;
use super::rel::{Rel, col_ref, unique_name};
use crate::bail;
use crate::error::Result;
use crate::functions::aggregate::{self, AggCollector};
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::logical_expr::{Expr, ExprFunctionExt, SortExpr};
use kql::ast::{self, ExprKind, NamedExpr, Span};
use std::cell::RefCell;

impl Planner<'_> {
    pub(crate) fn summarize(
        &self,
        rel: Rel,
        aggs: &[NamedExpr],
        by: &[NamedExpr],
        env: &Env,
        span: Span,
    ) -> Result<Rel> {
        let cx = ExprCx::new(Some(&rel), env);
        // Group keys.
        let mut out_names: Vec<String> = Vec::new();
        let mut group_exprs = Vec::new();
        let mut final_items: Vec<(String, TExpr)> = Vec::new();
        let mut unnamed = 0;
        for (i, ne) in by.iter().enumerate() {
            let v = self.expr(&ne.expr, &cx)?;
            let name = match ne.names.first() {
                Some(n) => n.name.clone(),
                None => {
                    derive_name(&ne.expr).unwrap_or_else(|| next_column(&mut unnamed, &out_names))
                }
            };
            let name = unique_name(&name, &out_names);
            out_names.push(name.clone());
            let internal = format!("__g{i}");
            let e = match v.ty {
                // Strings are never null: group nulls with "".
                KqlType::String => datafusion::functions::expr_fn::coalesce(vec![
                    v.expr,
                    datafusion::logical_expr::lit(""),
                ]),
                _ => v.expr,
            };
            group_exprs.push(e.alias(internal.as_str()));
            final_items.push((name, TExpr::new(col_ref(&internal), v.ty)));
        }
        let group_names: Vec<String> = out_names.clone();

        let collector = RefCell::new(AggCollector::default());
        for ne in aggs {
            // Multi-column aggregates.
            if let ExprKind::Call { name, args } = &ne.expr.kind
                && matches!(name.name.as_str(), "arg_max" | "arg_min")
            {
                let cols = self.arg_extreme(
                    &rel,
                    &name.name,
                    args,
                    ne,
                    &group_names,
                    &cx,
                    &collector,
                    span,
                )?;
                for (n, e) in cols {
                    let n = unique_name(&n, &out_names);
                    out_names.push(n.clone());
                    final_items.push((n, e));
                }
                continue;
            }
            if let ExprKind::Call { name, args } = &ne.expr.kind
                && name.name == "percentiles"
                && args.len() > 2
            {
                let v = args[0].clone();
                let base = derive_name(&v);
                for (k, p) in args[1..].iter().enumerate() {
                    let call = ast::Expr {
                        kind: ExprKind::Call {
                            name: ast::Ident {
                                name: "percentile".into(),
                                span: name.span,
                            },
                            args: vec![v.clone(), p.clone()],
                        },
                        span: ne.expr.span,
                    };
                    let acx = ExprCx {
                        rel: Some(&rel),
                        env,
                        agg: Some(&collector),
                        window: None,
                        join: None,
                    };
                    let t = self.expr(&call, &acx)?;
                    let n = match ne.names.get(k) {
                        Some(n) => n.name.clone(),
                        None => aggregate::default_name(
                            "percentile",
                            std::slice::from_ref(&base),
                            &[pct_text(p)],
                        ),
                    };
                    let n = unique_name(&n, &out_names);
                    out_names.push(n.clone());
                    final_items.push((n, t));
                }
                continue;
            }
            let acx = ExprCx {
                rel: Some(&rel),
                env,
                agg: Some(&collector),
                window: None,
                join: None,
            };
            let t = self.expr(&ne.expr, &acx)?;
            let name = match ne.names.first() {
                Some(n) => n.name.clone(),
                None => default_agg_name(&ne.expr)
                    .unwrap_or_else(|| next_column(&mut unnamed, &out_names)),
            };
            let name = unique_name(&name, &out_names);
            out_names.push(name.clone());
            final_items.push((name, t));
        }
        let coll = collector.into_inner();
        let agg_exprs: Vec<Expr> = coll
            .aggs
            .iter()
            .map(|(e, n, _)| e.clone().alias(n.as_str()))
            .collect();
        let plan = rel.builder().aggregate(group_exprs, agg_exprs)?.build()?;
        let mut cols: Vec<(String, KqlType)> = (0..by.len())
            .map(|i| (format!("__g{i}"), final_items[i].1.ty))
            .collect();
        cols.extend(coll.aggs.iter().map(|(_, n, t)| (n.clone(), *t)));
        let inner = Rel::new(plan, cols);
        inner.project(final_items)
    }

    #[allow(clippy::too_many_arguments)]
    fn arg_extreme(
        &self,
        rel: &Rel,
        func: &str,
        args: &[ast::Expr],
        ne: &NamedExpr,
        group_names: &[String],
        cx: &ExprCx,
        collector: &RefCell<AggCollector>,
        span: Span,
    ) -> Result<Vec<(String, TExpr)>> {
        let Some((key, rest)) = args.split_first() else {
            bail!(span, "{func}() expects at least one argument")
        };
        let k = self.expr(key, cx)?;
        let k_sort = match k.ty {
            KqlType::Dynamic => {
                crate::functions::conversion::convert(k.clone(), KqlType::Real).expr
            }
            _ => k.expr.clone(),
        };
        let asc = func == "arg_min";
        let order = vec![SortExpr::new(k_sort.clone(), asc, false)];
        let not_null = k_sort.is_not_null();
        let pick = |e: Expr| -> Result<Expr> {
            Ok(
                datafusion::functions_aggregate::first_last::first_value_udaf()
                    .call(vec![e])
                    .order_by(order.clone())
                    .filter(not_null.clone())
                    .build()?,
            )
        };
        let mut names = ne.names.iter().map(|n| n.name.clone());
        let mut out = Vec::new();
        let key_name = names
            .next()
            .or_else(|| derive_name(key))
            .unwrap_or_else(|| format!("{}_", if asc { "min" } else { "max" }));
        let t = collector.borrow_mut().push(pick(k.expr.clone())?, k.ty);
        out.push((key_name.clone(), t));
        for a in rest {
            if let ExprKind::Star = a.kind {
                for (c, ty) in &rel.cols {
                    if group_names.contains(c) || *c == key_name || out.iter().any(|(n, _)| n == c)
                    {
                        continue;
                    }
                    let t = collector.borrow_mut().push(pick(col_ref(c))?, *ty);
                    out.push((c.clone(), t));
                }
                continue;
            }
            let v = self.expr(a, cx)?;
            let n = names
                .next()
                .or_else(|| derive_name(a))
                .unwrap_or_else(|| format!("{}_", if asc { "min" } else { "max" }));
            let t = collector.borrow_mut().push(pick(v.expr)?, v.ty);
            out.push((n, t));
        }
        Ok(out)
    }

    /// Plans an aggregate call found while planning a `summarize` item.
    pub(crate) fn plan_aggregate(
        &self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
        cx: &ExprCx,
        collector: &RefCell<AggCollector>,
    ) -> Result<TExpr> {
        // Arguments are row-level expressions: no nested aggregates.
        let inner = ExprCx {
            rel: cx.rel,
            env: cx.env,
            agg: None,
            window: None,
            join: None,
        };
        let mut targs = Vec::with_capacity(args.len());
        for a in args {
            match a.kind {
                ExprKind::Star if name == "count" => {}
                ExprKind::Star => bail!(a.span, "'*' is only valid in arg_max/arg_min"),
                _ => targs.push(self.expr(a, &inner)?),
            }
        }
        let (e, ty) = aggregate::build(name, targs, span)?;
        Ok(collector.borrow_mut().push(e, ty))
    }
}

fn next_column(unnamed: &mut usize, taken: &[String]) -> String {
    loop {
        *unnamed += 1;
        let c = format!("Column{unnamed}");
        if !taken.contains(&c) {
            return c;
        }
    }
}

fn pct_text(p: &ast::Expr) -> String {
    match &p.kind {
        ExprKind::Literal(ast::Literal::Long(v)) => v.to_string(),
        ExprKind::Literal(ast::Literal::Real(v)) => v.to_string().replace('.', "_"),
        _ => "p".into(),
    }
}

/// Kusto's default name for `summarize agg(x)`: `count_`, `sum_x`, `percentile_x_95`...
fn default_agg_name(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Paren(inner) => default_agg_name(inner),
        ExprKind::Call { name, args } if aggregate::is_aggregate(&name.name) => {
            let f = name.name.as_str();
            let arg_names: Vec<Option<String>> = match f {
                "count" | "countif" | "dcountif" | "sumif" | "avgif" | "minif" | "maxif"
                | "make_list_if" | "make_set_if" | "make_bag_if" | "stdevif" | "varianceif"
                | "take_anyif" | "anyif" => args.first().map(derive_name).into_iter().collect(),
                "covariance" | "covariancep" | "covarianceif" => {
                    args.iter().take(2).map(derive_name).collect()
                }
                _ => args
                    .first()
                    .map(|a| derive_name(a).or_else(|| first_column(a)))
                    .into_iter()
                    .collect(),
            };
            let extra: Vec<String> = if f == "percentile" {
                args.get(1).map(pct_text).into_iter().collect()
            } else {
                vec![]
            };
            Some(aggregate::default_name(f, &arg_names, &extra))
        }
        _ => None,
    }
}

/// The first column named inside an expression (`sum(toint(v))` is named after `v`).
fn first_column(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Call { args, .. } => args.iter().find_map(first_column),
        ExprKind::Paren(i) | ExprKind::Unary(_, i) => first_column(i),
        ExprKind::Binary(_, l, r) => first_column(l).or_else(|| first_column(r)),
        ExprKind::Member(b, _) | ExprKind::Index(b, _) => {
            derive_name(e).or_else(|| first_column(b))
        }
        _ => None,
    }
}
