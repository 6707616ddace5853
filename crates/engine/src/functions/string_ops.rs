//! String operators (placeholder until the string family lands).

use crate::bail;
use crate::error::Result;
use crate::texpr::TExpr;
use kql::ast::{Span, StrOp};

pub fn string_op(op: StrOp, _left: TExpr, _right: TExpr, span: Span) -> Result<TExpr> {
    bail!(span, "string operator '{op}' is not supported yet")
}

pub fn has_any_all(_left: TExpr, _list: Vec<TExpr>, _all: bool, span: Span) -> Result<TExpr> {
    bail!(span, "has_any/has_all are not supported yet")
}

pub fn in_list(
    left: TExpr,
    list: Vec<TExpr>,
    _ci: bool,
    negated: bool,
    span: Span,
) -> Result<TExpr> {
    let mut items = Vec::new();
    for i in list {
        let (l, r) = crate::plan::expr::unify_for_compare(left.clone(), i, span)?;
        let _ = l;
        items.push(r.expr);
    }
    Ok(TExpr::new(
        datafusion::logical_expr::expr_fn::in_list(left.expr, items, negated),
        crate::types::KqlType::Bool,
    ))
}
