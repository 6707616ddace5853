//! Window functions on serialized rows (`row_number`, `prev`, `next`, `row_cumsum`,
//! `row_rank_dense`, `row_rank_min`), planned as DataFusion window expressions ordered by the
//! input's sort keys.

use super::Planner;
use super::expr::ExprCx;
use super::rel::Rel;
use crate::bail;
use crate::error::Result;
use crate::functions::conversion::convert;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions_window::expr_fn::{dense_rank, lag, lead, rank, row_number};
use datafusion::logical_expr::{Expr, ExprFunctionExt, cast};
use kql::ast::{self, Span};

/// Window expressions found while planning one operator's expressions.
#[derive(Default)]
pub struct WindowCollector {
    items: Vec<(Expr, String, KqlType)>,
}

impl WindowCollector {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn push(&mut self, e: Expr, ty: KqlType) -> TExpr {
        let name = format!("__w{}", self.items.len());
        self.items.push((e, name.clone(), ty));
        TExpr::new(super::rel::col_ref(&name), ty)
    }

    /// Pushes a window expression and applies `post` to its column (casts, offsets): window
    /// nodes accept only bare window functions.
    fn push_post(&mut self, e: Expr, ty: KqlType, post: impl FnOnce(Expr) -> Expr) -> TExpr {
        let c = self.push(e, ty);
        TExpr::new(post(c.expr), ty)
    }

    /// The input with the window columns appended.
    pub fn apply(self, rel: &Rel) -> Result<Rel> {
        let exprs: Vec<Expr> = self
            .items
            .iter()
            .map(|(e, n, _)| e.clone().alias(n.as_str()))
            .collect();
        let plan = rel.builder().window(exprs)?.build()?;
        let mut cols = rel.cols.clone();
        cols.extend(self.items.into_iter().map(|(_, n, t)| (n, t)));
        Ok(Rel {
            plan,
            cols,
            order: rel.order.clone(),
        })
    }
}

/// Marks rows as serialized in their current order.
pub fn serialize(rel: Rel) -> Result<Rel> {
    Ok(Rel {
        order: Some(vec![]),
        ..rel
    })
}

impl Planner<'_> {
    pub(crate) fn plan_window(
        &self,
        name: &str,
        args: &[ast::Expr],
        span: Span,
        cx: &ExprCx,
    ) -> Result<TExpr> {
        let Some(w) = cx.window else {
            bail!(
                span,
                "'{name}' can only be used in extend, project or where over serialized rows"
            )
        };
        let Some(rel) = cx.rel else {
            bail!(span, "'{name}' needs input rows")
        };
        let Some(order) = rel.order.clone() else {
            bail!(
                span,
                "function '{name}' needs serialized rows: add `| serialize` or `| sort by ...` before it"
            )
        };
        let inner = ExprCx {
            rel: cx.rel,
            env: cx.env,
            agg: None,
            window: None,
            join: None,
        };
        let targs = args
            .iter()
            .map(|a| self.expr(a, &inner))
            .collect::<Result<Vec<_>>>()?;
        let lit_i64 = |t: &TExpr, what: &str| -> Result<i64> {
            match super::sources::fold_constant(&convert(t.clone(), KqlType::Long), span)? {
                ScalarValue::Int64(Some(v)) => Ok(v),
                _ => bail!(span, "{what} must be a constant"),
            }
        };
        let (e, ty) = match name {
            "row_number" => {
                let start = match targs.first() {
                    Some(t) => lit_i64(t, "row_number start")?,
                    None => 1,
                };
                if targs.len() > 1 {
                    bail!(
                        span,
                        "row_number with a restart condition is not supported yet"
                    )
                }
                let rn = row_number().order_by(order).build()?;
                return Ok(w.borrow_mut().push_post(rn, KqlType::Long, |c| {
                    cast(c, DataType::Int64) + datafusion::logical_expr::lit(start - 1)
                }));
            }
            "prev" | "next" => {
                let Some(x) = targs.first().cloned() else {
                    bail!(span, "{name}() expects a column")
                };
                let offset = match targs.get(1) {
                    Some(t) => lit_i64(t, "offset")?,
                    None => 1,
                };
                if offset <= 0 {
                    bail!(span, "{name}() offset must be positive")
                }
                let default = match targs.get(2) {
                    Some(d) => {
                        let d = if d.ty == x.ty {
                            d.clone()
                        } else {
                            convert(d.clone(), x.ty)
                        };
                        Some(super::sources::fold_constant(&d, span)?)
                    }
                    None => None,
                };
                let base = if name == "prev" {
                    lag(x.expr, Some(offset), default)
                } else {
                    lead(x.expr, Some(offset), default)
                };
                (base.order_by(order).build()?, x.ty)
            }
            "row_cumsum" => {
                let Some(x) = targs.first().cloned() else {
                    bail!(span, "row_cumsum() expects a column")
                };
                if targs.len() > 1 {
                    bail!(
                        span,
                        "row_cumsum with a restart condition is not supported yet"
                    )
                }
                let ty = if x.ty == KqlType::Int {
                    KqlType::Long
                } else {
                    x.ty
                };
                let x = convert(x, ty);
                let frame = datafusion::logical_expr::WindowFrame::new_bounds(
                    datafusion::logical_expr::WindowFrameUnits::Rows,
                    datafusion::logical_expr::WindowFrameBound::Preceding(ScalarValue::UInt64(
                        None,
                    )),
                    datafusion::logical_expr::WindowFrameBound::CurrentRow,
                );
                let wf = datafusion::logical_expr::expr::WindowFunction::new(
                    datafusion::logical_expr::WindowFunctionDefinition::AggregateUDF(
                        datafusion::functions_aggregate::sum::sum_udaf(),
                    ),
                    vec![x.expr],
                );
                let e = Expr::from(wf).order_by(order).window_frame(frame).build()?;
                // sum over long is long; sum over a timespan's ticks stays a timespan.
                return Ok(w.borrow_mut().push_post(e, ty, |c| c));
            }
            "row_rank_dense" | "row_rank_min" => {
                let Some(x) = targs.first().cloned() else {
                    bail!(span, "{name}() expects a column")
                };
                let by = vec![datafusion::logical_expr::SortExpr::new(x.expr, true, true)];
                let by = if order.is_empty() { by } else { order };
                let base = if name == "row_rank_dense" {
                    dense_rank()
                } else {
                    rank()
                };
                let e = base.order_by(by).build()?;
                return Ok(w
                    .borrow_mut()
                    .push_post(e, KqlType::Long, |c| cast(c, DataType::Int64)));
            }
            other => bail!(span, "unknown window function '{other}'"),
        };
        Ok(w.borrow_mut().push(e, ty))
    }
}
