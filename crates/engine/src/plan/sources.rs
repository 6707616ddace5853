//! Sources that make rows out of nothing: `datatable`, `print`, `range`.

use super::Planner;
use super::env::Env;
use super::expr::ExprCx;
use super::rel::Rel;
use crate::bail;
use crate::error::{EngineError, Result};
use crate::functions::conversion::convert;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, new_empty_array};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, simplify::SimplifyContext};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use kql::ast::{self, Ident, NamedExpr, Span, TypeName};
use std::sync::Arc;

/// Evaluates a constant expression at plan time.
pub fn fold_constant(e: &TExpr, span: Span) -> Result<ScalarValue> {
    let simplifier = ExprSimplifier::new(SimplifyContext::default());
    match simplifier.simplify(e.expr.clone()) {
        Ok(Expr::Literal(v, _)) => Ok(v),
        Ok(_) => bail!(span, "a constant value is expected here"),
        Err(err) => Err(EngineError::plan(
            format!("cannot evaluate this constant: {err}"),
            span,
        )),
    }
}

/// A relation over in-memory arrays with the given KQL-typed columns.
pub fn memory_rel(cols: Vec<(String, KqlType)>, arrays: Vec<ArrayRef>) -> Result<Rel> {
    let fields: Vec<_> = cols.iter().map(|(n, t)| t.field(n)).collect();
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let batches = if arrays.is_empty() || arrays[0].is_empty() {
        vec![]
    } else {
        vec![RecordBatch::try_new(schema.clone(), arrays)?]
    };
    let table = MemTable::try_new(schema, vec![batches])?;
    let plan = LogicalPlanBuilder::scan("datatable", provider_as_source(Arc::new(table)), None)?
        .build()?;
    Ok(Rel::new(plan, cols))
}

impl Planner<'_> {
    pub(crate) fn datatable(
        &self,
        columns: &[(Ident, TypeName)],
        values: &[ast::Expr],
        span: Span,
        env: &Env,
    ) -> Result<Rel> {
        if columns.is_empty() {
            bail!(span, "datatable needs at least one column")
        }
        let mut types = Vec::with_capacity(columns.len());
        for (_, t) in columns {
            types.push(
                KqlType::from_name(&t.name).ok_or_else(|| {
                    EngineError::plan(format!("unknown type '{}'", t.name), t.span)
                })?,
            );
        }
        if !values.len().is_multiple_of(columns.len()) {
            bail!(
                span,
                "datatable has {} values, which is not a multiple of its {} columns",
                values.len(),
                columns.len()
            )
        }
        let mut cells: Vec<Vec<ScalarValue>> =
            vec![Vec::with_capacity(values.len() / columns.len()); columns.len()];
        let cx = ExprCx::new(None, env);
        for (i, v) in values.iter().enumerate() {
            let c = i % columns.len();
            let te = self.expr(v, &cx)?;
            let te = if te.ty == types[c] {
                te
            } else {
                convert(te, types[c])
            };
            cells[c].push(fold_constant(&te, v.span)?);
        }
        let mut arrays = Vec::with_capacity(columns.len());
        for (c, t) in types.iter().enumerate() {
            let arr = if cells[c].is_empty() {
                new_empty_array(&t.arrow())
            } else {
                ScalarValue::iter_to_array(cells[c].drain(..))?
            };
            arrays.push(arr);
        }
        let mut names: Vec<(String, KqlType)> = Vec::new();
        for ((n, _), t) in columns.iter().zip(types) {
            if names.iter().any(|(x, _)| *x == n.name) {
                bail!(n.span, "column '{}' is declared twice", n.name)
            }
            names.push((n.name.clone(), t));
        }
        memory_rel(names, arrays)
    }

    pub(crate) fn print(&self, columns: &[NamedExpr], env: &Env) -> Result<Rel> {
        let one = LogicalPlanBuilder::empty(true).build()?;
        let base = Rel::new(one, vec![]);
        let cx = ExprCx::new(Some(&base), env);
        let mut items: Vec<(String, TExpr)> = Vec::new();
        for (i, ne) in columns.iter().enumerate() {
            if let Some(vals) = self.multi_column_values(ne, &cx)? {
                items.extend(vals);
                continue;
            }
            let v = self.expr(&ne.expr, &cx)?;
            let name = match ne.names.first() {
                Some(n) => n.name.clone(),
                None => format!("print_{i}"),
            };
            items.push((name, v));
        }
        base.project(items)
    }

    pub(crate) fn range(
        &self,
        name: &Ident,
        from: &ast::Expr,
        to: &ast::Expr,
        step: &ast::Expr,
        span: Span,
        env: &Env,
    ) -> Result<Rel> {
        let cx = ExprCx::new(None, env);
        let (f, t, s) = (
            self.expr(from, &cx)?,
            self.expr(to, &cx)?,
            self.expr(step, &cx)?,
        );
        let ty = match (f.ty, t.ty) {
            (KqlType::DateTime, _) => KqlType::DateTime,
            (KqlType::TimeSpan, _) => KqlType::TimeSpan,
            (a, b) if a == KqlType::Real || b == KqlType::Real || s.ty == KqlType::Real => {
                KqlType::Real
            }
            _ => KqlType::Long,
        };
        const MAX_ROWS: i64 = 100_000_000;
        let arr: ArrayRef = if ty == KqlType::Real {
            let get = |e: TExpr, sp| -> Result<f64> {
                match fold_constant(&convert(e, KqlType::Real), sp)? {
                    ScalarValue::Float64(Some(v)) => Ok(v),
                    _ => bail!(sp, "range bounds must be non-null constants"),
                }
            };
            let (a, b, st) = (get(f, from.span)?, get(t, to.span)?, get(s, step.span)?);
            if st == 0.0 || !st.is_finite() {
                bail!(step.span, "range step must be a non-zero number")
            }
            let n = ((b - a) / st).floor();
            if n > MAX_ROWS as f64 {
                bail!(span, "range would produce more than {MAX_ROWS} rows")
            }
            let n = if n < 0.0 { 0 } else { n as i64 + 1 };
            Arc::new(Float64Array::from_iter_values(
                (0..n).map(|i| a + i as f64 * st),
            ))
        } else {
            let get = |e: TExpr, sp| -> Result<i64> {
                let e = if e.ty.arrow() == datafusion::arrow::datatypes::DataType::Int64 {
                    e
                } else {
                    convert(e, KqlType::Long)
                };
                match fold_constant(&e, sp)? {
                    ScalarValue::Int64(Some(v)) => Ok(v),
                    ScalarValue::Int32(Some(v)) => Ok(v as i64),
                    _ => bail!(sp, "range bounds must be non-null constants"),
                }
            };
            let (a, b, st) = (get(f, from.span)?, get(t, to.span)?, get(s, step.span)?);
            if st == 0 {
                bail!(step.span, "range step must not be zero")
            }
            let n = (b as i128 - a as i128) / st as i128;
            if n > MAX_ROWS as i128 {
                bail!(span, "range would produce more than {MAX_ROWS} rows")
            }
            let n = if n < 0 { 0 } else { n as i64 + 1 };
            Arc::new(Int64Array::from_iter_values(
                (0..n).map(|i| a.wrapping_add(i.wrapping_mul(st))),
            ))
        };
        memory_rel(vec![(name.name.clone(), ty)], vec![arr])
    }
}
