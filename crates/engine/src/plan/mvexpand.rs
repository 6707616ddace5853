//! `mv-expand` and `mv-apply`.
//!
//! Expansion turns each row's dynamic arrays (or bags) into a list of JSON tuples
//! `[index, item0, item1, ...]` (several columns expand in parallel, shorter ones padded with
//! null), unnests that list with DataFusion, then reads the tuple's parts back out.

use super::Planner;
use super::env::Env;
use super::expr::ExprCx;
use super::ops::derive_name;
use super::rel::{Rel, col_ref};
use crate::bail;
use crate::cached_udf;
use crate::error::{EngineError, Result};
use crate::functions::conversion::{convert, to_dynamic};
use crate::functions::kit::{call, udf};
use crate::texpr::TExpr;
use crate::types::KqlType;
use crate::value::dynamic::{PathElem, Value};
use datafusion::arrow::array::{Array, ArrayRef, Int64Array, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::cast::as_string_array;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{ExprFunctionExt, cast, lit};
use kql::ast::{self, ExprKind, MvApplyOp, MvExpandItem, MvExpandOp, OpParam, Span};
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

/// Items of one value: array elements, bag entries (as `{k:v}` or `[k,v]`), or the scalar itself.
fn items_of(text: Option<&str>, bag_as_array: bool) -> Vec<Value> {
    let Some(t) = text else { return vec![] };
    match crate::value::dynamic::parse(t) {
        Some(Value::Array(a)) => a,
        Some(Value::Object(o)) => o
            .into_iter()
            .map(|(k, v)| {
                if bag_as_array {
                    Value::Array(vec![Value::String(k), v])
                } else {
                    let mut m = serde_json::Map::new();
                    m.insert(k, v);
                    Value::Object(m)
                }
            })
            .collect(),
        Some(Value::Null) | None => vec![],
        Some(v) => vec![v],
    }
}

fn zip_udf(n: usize, bag_as_array: bool) -> Arc<datafusion::logical_expr::ScalarUDF> {
    let name = format!("kql_mv_zip{n}_{}", if bag_as_array { "a" } else { "b" });
    udf(
        &name,
        vec![DataType::Utf8; n + 1],
        DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        move |a, rows| {
            let cols: Vec<_> = a[..n]
                .iter()
                .map(|x| as_string_array(x))
                .collect::<datafusion::error::Result<_>>()?;
            let limit = as_string_array(&a[n])?;
            let mut b = ListBuilder::new(StringBuilder::new());
            for r in 0..rows {
                let lists: Vec<Vec<Value>> = cols
                    .iter()
                    .map(|c| {
                        items_of(
                            if c.is_null(r) { None } else { Some(c.value(r)) },
                            bag_as_array,
                        )
                    })
                    .collect();
                let mut len = lists.iter().map(|l| l.len()).max().unwrap_or(0);
                if !limit.is_null(r)
                    && let Ok(l) = limit.value(r).parse::<usize>()
                {
                    len = len.min(l);
                }
                for i in 0..len {
                    let mut tuple = vec![Value::from(i as i64)];
                    for l in &lists {
                        tuple.push(l.get(i).cloned().unwrap_or(Value::Null));
                    }
                    b.values().append_value(Value::Array(tuple).to_string());
                }
                b.append(true);
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        },
    )
}

fn tuple_part_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_mv_part",
        vec![DataType::Utf8, DataType::Int64],
        DataType::Utf8,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let idx = datafusion::common::cast::as_int64_array(&a[1])?;
            let mut out = StringBuilder::new();
            for r in 0..s.len() {
                let v = if s.is_null(r) {
                    None
                } else {
                    crate::value::dynamic::parse(s.value(r))
                };
                let part = v.as_ref().and_then(|v| {
                    crate::value::dynamic::get_path(v, &[PathElem::Index(idx.value(r))])
                });
                match part {
                    Some(Value::Null) | None => out.append_null(),
                    Some(p) => out.append_value(p.to_string()),
                }
            }
            Ok(Arc::new(out.finish()) as ArrayRef)
        }
    ))
}

fn tuple_index_udf() -> Arc<datafusion::logical_expr::ScalarUDF> {
    cached_udf!(udf(
        "kql_mv_index",
        vec![DataType::Utf8],
        DataType::Int64,
        |a, _| {
            let s = as_string_array(&a[0])?;
            let out: Int64Array = s
                .iter()
                .map(|v| {
                    let t = v?;
                    let end = t.find(',').or_else(|| t.find(']'))?;
                    t.get(1..end)?.parse().ok()
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }
    ))
}

impl Planner<'_> {
    /// Expands `items` of `rel`; returns the expanded relation and the expanded column names.
    #[allow(clippy::too_many_arguments)]
    fn expand(
        &self,
        rel: &Rel,
        params: &[OpParam],
        items: &[MvExpandItem],
        limit: Option<&ast::Expr>,
        itemindex: Option<&ast::Ident>,
        env: &Env,
        span: Span,
    ) -> Result<(Rel, Vec<String>)> {
        if items.is_empty() {
            bail!(span, "mv-expand needs at least one column")
        }
        let bag_as_array = param_text(params, "bagexpansion")
            .or_else(|| param_text(params, "kind"))
            .is_some_and(|v| v == "array");
        let cx = ExprCx::new(Some(rel), env);
        let mut names = Vec::new();
        let mut values = Vec::new();
        let mut types = Vec::new();
        for it in items {
            let v = self.expr(&it.expr.expr, &cx)?;
            let name = match it.expr.names.first() {
                Some(n) => n.name.clone(),
                None => derive_name(&it.expr.expr).ok_or_else(|| {
                    EngineError::plan(
                        "mv-expand needs a name for this expression: write name = expr",
                        it.expr.span,
                    )
                })?,
            };
            let ty = match &it.to_type {
                Some(t) => KqlType::from_name(&t.name).ok_or_else(|| {
                    EngineError::plan(format!("unknown type '{}'", t.name), t.span)
                })?,
                None => KqlType::Dynamic,
            };
            names.push(name);
            values.push(to_dynamic(v));
            types.push(ty);
        }
        let lim = match limit {
            Some(l) => TExpr::string(self.const_count(l, env)?.to_string()),
            None => TExpr::null(KqlType::String),
        };
        let mut args: Vec<TExpr> = values;
        args.push(lim);
        let zipped = call(&zip_udf(items.len(), bag_as_array), args, KqlType::Dynamic);
        let mut pre = rel.items();
        pre.push(("__mv".into(), zipped));
        let pre_rel = {
            let exprs: Vec<_> = pre
                .iter()
                .map(|(n, e)| e.expr.clone().alias(n.as_str()))
                .collect();
            let plan = rel
                .builder()
                .project(exprs)?
                .unnest_column("__mv")?
                .build()?;
            let mut cols = rel.cols.clone();
            cols.push(("__mv".into(), KqlType::Dynamic));
            Rel::new(plan, cols)
        };
        let tuple = TExpr::new(col_ref("__mv"), KqlType::Dynamic);
        let mut out: Vec<(String, TExpr)> = Vec::new();
        for (n, t) in &rel.cols {
            if let Some(i) = names.iter().position(|x| x == n) {
                let part = call(
                    &tuple_part_udf(),
                    vec![tuple.clone(), TExpr::long(i as i64 + 1)],
                    KqlType::Dynamic,
                );
                out.push((n.clone(), convert(part, types[i])));
            } else {
                out.push((n.clone(), TExpr::new(col_ref(n), *t)));
            }
        }
        for (i, n) in names.iter().enumerate() {
            if rel.find(n).is_none() {
                let part = call(
                    &tuple_part_udf(),
                    vec![tuple.clone(), TExpr::long(i as i64 + 1)],
                    KqlType::Dynamic,
                );
                out.push((n.clone(), convert(part, types[i])));
            }
        }
        if let Some(ix) = itemindex {
            out.push((
                ix.name.clone(),
                call(&tuple_index_udf(), vec![tuple], KqlType::Long),
            ));
        }
        Ok((pre_rel.project(out)?, names))
    }

    pub(crate) fn mv_expand(&self, rel: Rel, m: &MvExpandOp, env: &Env, span: Span) -> Result<Rel> {
        Ok(self
            .expand(
                &rel,
                &m.params,
                &m.items,
                m.limit.as_ref(),
                m.with_itemindex.as_ref(),
                env,
                span,
            )?
            .0)
    }

    pub(crate) fn mv_apply(&self, rel: Rel, m: &MvApplyOp, env: &Env, span: Span) -> Result<Rel> {
        // Number the input rows, expand, run the subquery per original row, join back.
        // Window nodes take bare window functions: number first, cast in a projection after.
        // The numbered input is read twice (expanded, and joined back), so the numbering must
        // not depend on the order rows arrive in: rows are numbered in the order of all their
        // values (identical rows are interchangeable, so their ties do not matter).
        let order: Vec<_> = rel
            .cols
            .iter()
            .map(|(n, _)| col_ref(n).sort(true, true))
            .collect();
        let rn = row_number().order_by(order).build()?;
        let plan = rel.builder().window(vec![rn.alias("__rn")])?.build()?;
        let mut cols = rel.cols.clone();
        cols.push(("__rn".into(), KqlType::Long));
        let numbered = Rel::new(plan, cols);
        let mut items = rel.items();
        items.push((
            "__rowid".into(),
            TExpr::new(cast(col_ref("__rn"), DataType::Int64), KqlType::Long),
        ));
        let base = numbered.project(items)?;
        let (expanded, _) = self.expand(
            &base,
            &m.params,
            &m.items,
            m.limit.as_ref(),
            m.with_itemindex.as_ref(),
            env,
            span,
        )?;
        let ops: Vec<ast::Operator> =
            m.on.iter()
                .map(|op| per_row(op.clone()))
                .collect::<Result<_>>()?;
        let sub = self.pipe(expanded, &ops, env)?;
        if sub.find("__rowid").is_none() {
            bail!(
                span,
                "mv-apply subqueries must keep the row grouping (project the expanded columns or summarize)"
            )
        }
        // Join the subquery's own columns back to the original row.
        let sub_only: Vec<(String, TExpr)> = sub
            .items()
            .into_iter()
            .filter(|(n, _)| n == "__rowid" || rel.find(n).is_none())
            .map(|(n, e)| {
                if n == "__rowid" {
                    ("__rowid_r".into(), e)
                } else {
                    (n, e)
                }
            })
            .collect();
        let sub_rel = sub.project(sub_only)?;
        let keep_from_sub: Vec<(String, KqlType)> = sub_rel
            .cols
            .iter()
            .filter(|(n, _)| n != "__rowid_r")
            .cloned()
            .collect();
        let plan = base
            .builder()
            .join_with_expr_keys(
                sub_rel.plan.clone(),
                datafusion::common::JoinType::Inner,
                (vec![col_ref("__rowid")], vec![col_ref("__rowid_r")]),
                None,
            )?
            .build()?;
        let mut all = base.cols.clone();
        all.extend(sub_rel.cols.clone());
        let joined = Rel::new(plan, all);
        let mut out: Vec<(String, TExpr)> = Vec::new();
        for (n, t) in &rel.cols {
            if let Some((_, st)) = keep_from_sub.iter().find(|(s, _)| s == n) {
                out.push((n.clone(), TExpr::new(col_ref(n), *st)));
            } else {
                out.push((n.clone(), TExpr::new(col_ref(n), *t)));
            }
        }
        for (n, t) in keep_from_sub {
            if rel.find(&n).is_none() {
                out.push((n.clone(), TExpr::new(col_ref(&n), t)));
            }
        }
        let _ = lit(0);
        joined.project(out)
    }
}

/// Rewrites a subquery operator to work per original row (grouping by the hidden row id).
fn per_row(mut op: ast::Operator) -> Result<ast::Operator> {
    let rowid = || ast::NamedExpr {
        names: vec![],
        expr: ast::Expr {
            kind: ExprKind::Name("__rowid".into()),
            span: Span::default(),
        },
        span: Span::default(),
    };
    match &mut op.kind {
        ast::OperatorKind::Summarize { by, .. } => by.insert(0, rowid()),
        ast::OperatorKind::Project(items) => items.push(rowid()),
        ast::OperatorKind::Take(_) | ast::OperatorKind::Top { .. } => {
            bail!(op.span, "take/top inside mv-apply are not supported yet")
        }
        _ => {}
    }
    Ok(op)
}
