//! Reshaping operators: `evaluate` plugins, `make-series`, `top-nested`, `top-hitters`.

use super::Planner;
use super::env::Env;
use super::rel::Rel;
use crate::bail;
use crate::error::Result;
use kql::ast::{self, EvaluateOp, MakeSeriesOp, Span, TopNestedLevel};

impl Planner<'_> {
    pub(crate) fn evaluate(
        &self,
        _rel: Rel,
        ev: &EvaluateOp,
        _env: &Env,
        _span: Span,
    ) -> Result<Rel> {
        bail!(
            ev.plugin.span,
            "evaluate plugin '{}' is not supported yet",
            ev.plugin.name
        )
    }
    pub(crate) fn make_series(
        &self,
        _rel: Rel,
        _m: &MakeSeriesOp,
        _env: &Env,
        span: Span,
    ) -> Result<Rel> {
        bail!(span, "make-series is not supported yet")
    }
    pub(crate) fn top_nested(
        &self,
        _rel: Rel,
        _l: &[TopNestedLevel],
        _env: &Env,
        span: Span,
    ) -> Result<Rel> {
        bail!(span, "top-nested is not supported yet")
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
