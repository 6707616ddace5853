//! `parse`, `parse-where` and `parse-kv`.

use super::Planner;
use super::env::Env;
use super::rel::Rel;
use crate::bail;
use crate::error::Result;
use kql::ast::{ParseKvOp, ParseOp, Span};

impl Planner<'_> {
    pub(crate) fn parse_op(&self, _rel: Rel, _p: &ParseOp, _env: &Env, span: Span) -> Result<Rel> {
        bail!(span, "parse is not supported yet")
    }
    pub(crate) fn parse_kv(
        &self,
        _rel: Rel,
        _p: &ParseKvOp,
        _env: &Env,
        span: Span,
    ) -> Result<Rel> {
        bail!(span, "parse-kv is not supported yet")
    }
}
