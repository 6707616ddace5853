//! `mv-expand` and `mv-apply`.

use super::Planner;
use super::env::Env;
use super::rel::Rel;
use crate::bail;
use crate::error::Result;
use kql::ast::{MvApplyOp, MvExpandOp, Span};

impl Planner<'_> {
    pub(crate) fn mv_expand(
        &self,
        _rel: Rel,
        _m: &MvExpandOp,
        _env: &Env,
        span: Span,
    ) -> Result<Rel> {
        bail!(span, "mv-expand is not supported yet")
    }
    pub(crate) fn mv_apply(
        &self,
        _rel: Rel,
        _m: &MvApplyOp,
        _env: &Env,
        span: Span,
    ) -> Result<Rel> {
        bail!(span, "mv-apply is not supported yet")
    }
}
