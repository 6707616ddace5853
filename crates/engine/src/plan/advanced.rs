//! Reshaping operators: `evaluate` plugins (`bag_unpack`), `make-series`, `top-nested`,
//! `top-hitters`.
//!
//! `bag_unpack`'s output columns depend on the data (the bags' keys), so the planner runs the
//! input once to learn them, as Kusto does when it infers the plugin's schema.

use super::Planner;
use super::env::Env;
use super::expr::ExprCx;
use super::rel::{Rel, col_ref, unique_name};
use crate::bail;
use crate::error::{EngineError, Result};
use crate::functions::conversion::{convert, to_dynamic};
use crate::functions::dynamic::dynamic_path;
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{self, PathElem, Value};
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::common::ScalarValue;
use datafusion::common::cast::as_string_array;
use datafusion::logical_expr::{LogicalPlan, lit};
use kql::ast::{self, EvaluateOp, ExprKind, MakeSeriesOp, Span};

impl Planner<'_> {
    /// Runs a plan to completion from planning code (on its own thread and runtime, so it
    /// works whether or not the caller is inside an async runtime).
    pub(crate) fn collect_blocking(&self, plan: LogicalPlan) -> Result<Vec<RecordBatch>> {
        let session = self.session.clone();
        std::thread::scope(|s| {
            s.spawn(move || -> Result<Vec<RecordBatch>> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| EngineError::Other(format!("cannot start a runtime: {e}")))?;
                rt.block_on(async {
                    let df = session.execute_logical_plan(plan).await?;
                    Ok(df.collect().await?)
                })
            })
            .join()
            .unwrap_or_else(|_| {
                Err(EngineError::Other(
                    "internal error while inferring a plugin's schema".into(),
                ))
            })
        })
    }

    pub(crate) fn evaluate(&self, rel: Rel, ev: &EvaluateOp, env: &Env, span: Span) -> Result<Rel> {
        match ev.plugin.name.as_str() {
            "bag_unpack" => self.bag_unpack(rel, ev, env, span),
            "narrow" => self.narrow(rel, ev, span),
            "pivot" => self.pivot(rel, ev, env, span),
            other => bail!(ev.plugin.span, "evaluate plugin '{other}' is not supported"),
        }
    }

    fn bag_unpack(&self, rel: Rel, ev: &EvaluateOp, env: &Env, span: Span) -> Result<Rel> {
        let Some(first) = ev.args.first() else {
            bail!(span, "bag_unpack() expects a dynamic column")
        };
        let ExprKind::Name(col) = &first.kind else {
            bail!(first.span, "bag_unpack() expects a column name")
        };
        let Some(ty) = rel.find(col).map(|i| rel.cols[i].1) else {
            bail!(first.span, "unknown column '{col}'")
        };
        let cx = ExprCx::new(Some(&rel), env);
        let prefix = match ev.args.get(1) {
            Some(p) if !matches!(p.kind, ExprKind::NamedArg(..)) => self
                .expr(p, &cx)?
                .as_str_literal()
                .map(str::to_string)
                .unwrap_or_default(),
            _ => String::new(),
        };
        let bag = to_dynamic(TExpr::new(col_ref(col), ty));
        // Learn the keys, in order of first appearance.
        let probe = rel
            .builder()
            .project(vec![bag.expr.clone().alias("__bag")])?
            .build()?;
        let mut keys: Vec<String> = Vec::new();
        let mut kinds: std::collections::HashMap<String, KqlType> = Default::default();
        for b in self.collect_blocking(probe)? {
            let s = as_string_array(b.column(0))?;
            for i in 0..s.len() {
                if s.is_valid(i)
                    && let Some(Value::Object(o)) = dynamic::parse(s.value(i))
                {
                    for (k, v) in o.iter() {
                        if !keys.contains(k) {
                            keys.push(k.clone());
                        }
                        let t = match v {
                            Value::Null => continue,
                            Value::Bool(_) => KqlType::Bool,
                            Value::Number(n) if n.is_i64() => KqlType::Long,
                            Value::Number(_) => KqlType::Real,
                            Value::String(_) => KqlType::String,
                            _ => KqlType::Dynamic,
                        };
                        let e = kinds.entry(k.clone()).or_insert(t);
                        *e = match (*e, t) {
                            (a, b) if a == b => a,
                            (KqlType::Long, KqlType::Real) | (KqlType::Real, KqlType::Long) => {
                                KqlType::Real
                            }
                            _ => KqlType::Dynamic,
                        };
                    }
                }
            }
        }
        // Kusto lists the unpacked columns in key order.
        keys.sort();
        let declared: Vec<(String, KqlType)> = match &ev.schema {
            Some((cols, _)) => cols
                .iter()
                .map(|(n, t)| {
                    KqlType::from_name(&t.name)
                        .map(|k| (n.name.clone(), k))
                        .ok_or_else(|| {
                            EngineError::plan(format!("unknown type '{}'", t.name), t.span)
                        })
                })
                .collect::<Result<_>>()?,
            None => vec![],
        };
        let mut items: Vec<(String, TExpr)> =
            rel.items().into_iter().filter(|(n, _)| n != col).collect();
        let mut taken: Vec<String> = items.iter().map(|(n, _)| n.clone()).collect();
        for k in keys {
            let name = format!("{prefix}{k}");
            if taken.contains(&name) {
                bail!(
                    span,
                    "bag_unpack: column '{name}' already exists; pass a prefix"
                )
            }
            let v = dynamic_path(bag.clone(), vec![PathElem::Key(k.clone())]);
            let v = match declared.iter().find(|(n, _)| *n == name) {
                Some((_, t)) => convert(v, *t),
                None => match kinds.get(&k) {
                    Some(t) if *t != KqlType::Dynamic => convert(v, *t),
                    _ => v,
                },
            };
            taken.push(unique_name(&name, &taken));
            items.push((name, v));
        }
        rel.project(items)
    }

    pub(crate) fn make_series(
        &self,
        rel: Rel,
        m: &MakeSeriesOp,
        env: &Env,
        span: Span,
    ) -> Result<Rel> {
        let cx = ExprCx::new(Some(&rel), env);
        let on = self.expr(&m.on, &cx)?;
        let (Some(from), Some(to)) = (&m.from, &m.to) else {
            bail!(
                span,
                "make-series needs explicit 'from' and 'to' bounds (or 'in range(...)')"
            )
        };
        let step = self.expr(&m.step, &cx)?;
        let axis_ty = on.ty;
        let as_ticks = |e: TExpr, sp: Span| -> Result<f64> {
            let e = if matches!(e.ty, KqlType::DateTime | KqlType::TimeSpan) {
                TExpr::new(e.expr, KqlType::Long)
            } else {
                e
            };
            match super::sources::fold_constant(&convert(e, KqlType::Real), sp)? {
                ScalarValue::Float64(Some(v)) => Ok(v),
                _ => bail!(sp, "make-series bounds and step must be constants"),
            }
        };
        let a = as_ticks(self.expr(from, &cx)?, from.span)?;
        let b = as_ticks(self.expr(to, &cx)?, to.span)?;
        let s = as_ticks(step.clone(), m.step.span)?;
        if s <= 0.0 {
            bail!(m.step.span, "make-series step must be positive")
        }
        let nbins = ((b - a) / s).ceil().max(0.0) as i64;
        if nbins > 1_000_000 {
            bail!(span, "make-series would produce {nbins} bins")
        }
        // Rows in range, with their bin index.
        let on_num = if matches!(on.ty, KqlType::DateTime | KqlType::TimeSpan) {
            TExpr::new(on.expr.clone(), KqlType::Long)
        } else {
            on.clone()
        };
        let on_real = convert(on_num, KqlType::Real);
        let in_range = on_real
            .expr
            .clone()
            .gt_eq(lit(a))
            .and(on_real.expr.clone().lt(lit(b)));
        let idx = datafusion::logical_expr::cast(
            datafusion::functions::expr_fn::floor((on_real.expr - lit(a)) / lit(s)),
            datafusion::arrow::datatypes::DataType::Int64,
        );
        let filtered = rel.filter(in_range)?;
        let mut with_idx = filtered.items();
        with_idx.push(("__idx".into(), TExpr::new(idx, KqlType::Long)));
        let base = filtered.project(with_idx)?;
        // Stage 1: aggregate per group and bin.
        let mut by_items: Vec<ast::NamedExpr> = m.by.clone();
        by_items.push(ast::NamedExpr {
            names: vec![],
            expr: ast::Expr {
                kind: ExprKind::Name("__idx".into()),
                span,
            },
            span,
        });
        let aggs: Vec<ast::NamedExpr> = m.aggs.iter().map(|(ne, _)| ne.clone()).collect();
        let stage1 = self.summarize(base, &aggs, &by_items, env, span)?;
        let nkeys = m.by.len();
        let key_cols: Vec<(String, KqlType)> = stage1.cols[..nkeys].to_vec();
        let agg_cols: Vec<(String, KqlType)> = stage1.cols[nkeys + 1..].to_vec();
        // Stage 2: one row per group, each aggregate as a dense array.
        let mut agg_exprs = Vec::new();
        for (i, (name, ty)) in agg_cols.iter().enumerate() {
            let default = match m.aggs.get(i).and_then(|(_, d)| d.as_ref()) {
                Some(d) => {
                    let v = self.expr(d, &ExprCx::new(None, env))?;
                    let v = convert(v, *ty);
                    let j = to_dynamic(v);
                    match super::sources::fold_constant(&j, d.span)? {
                        ScalarValue::Utf8(Some(t)) => t,
                        _ => "null".into(),
                    }
                }
                None => match ty {
                    KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal => "0".into(),
                    _ => "null".into(),
                },
            };
            let val = to_dynamic(TExpr::new(col_ref(name), *ty));
            let e = crate::functions::aggregate::series_expr(
                col_ref("__idx"),
                val.expr,
                nbins,
                default,
            );
            agg_exprs.push(e.alias(name.as_str()));
        }
        let group: Vec<_> = key_cols.iter().map(|(n, _)| col_ref(n)).collect();
        let plan = stage1.builder().aggregate(group, agg_exprs)?.build()?;
        let mut cols = key_cols.clone();
        cols.extend(agg_cols.iter().map(|(n, _)| (n.clone(), KqlType::Dynamic)));
        let stage2 = Rel::new(plan, cols);
        // The axis column: bin starts.
        let axis: Vec<Value> = (0..nbins)
            .map(|i| {
                let v = a + i as f64 * s;
                match axis_ty {
                    KqlType::DateTime => {
                        Value::String(crate::value::datetime::format_iso(v as i64))
                    }
                    KqlType::TimeSpan => Value::String(crate::value::timespan::format(v as i64)),
                    KqlType::Int | KqlType::Long => Value::from(v as i64),
                    _ => serde_json::Number::from_f64(v)
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                }
            })
            .collect();
        let axis_name = super::ops::derive_name(&m.on).unwrap_or_else(|| "Column1".into());
        let mut out: Vec<(String, TExpr)> = Vec::new();
        for (n, t) in &key_cols {
            out.push((n.clone(), TExpr::new(col_ref(n), *t)));
        }
        for (n, _) in &agg_cols {
            out.push((n.clone(), TExpr::new(col_ref(n), KqlType::Dynamic)));
        }
        out.push((
            axis_name,
            TExpr::dynamic_json(Value::Array(axis).to_string()),
        ));
        stage2.project(out)
    }

    pub(crate) fn top_hitters(
        &self,
        _rel: Rel,
        _count: &ast::Expr,
        _of: &ast::Expr,
        _by: Option<&ast::Expr>,
        _env: &Env,
        span: Span,
    ) -> Result<Rel> {
        bail!(span, "top-hitters is not supported yet")
    }
}
