//! Conditional family: `iff`/`iif`, `case`, `coalesce`, `isnull`, `isnotnull`, `isempty`,
//! `isnotempty`, `not`. These need type unification across branches, so they live with the
//! planner's typing rules.

use super::expr::{select, to_bool, unify_branches};
use crate::bail;
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::logical_expr::{Expr, lit, when};
use kql::ast::Span;

pub type CondFn = fn(Vec<TExpr>, Span) -> Result<TExpr>;

pub fn lookup(name: &str) -> Option<CondFn> {
    Some(match name {
        "iff" | "iif" => iff,
        "case" => case,
        "coalesce" => coalesce,
        "isnull" => isnull,
        "isnotnull" => isnotnull,
        "isempty" => isempty,
        "isnotempty" => isnotempty,
        "not" => not,
        _ => return None,
    })
}

fn iff(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    let [c, a, b]: [TExpr; 3] = args
        .try_into()
        .map_err(|_| crate::error::EngineError::plan("iff() expects 3 arguments", span))?;
    let c = to_bool(c, span)?;
    select(c, a, b, span)
}

fn case(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    if args.len() < 3 || args.len().is_multiple_of(2) {
        bail!(
            span,
            "case() expects pairs of predicate and value, then an else value"
        )
    }
    // Unify all value types first.
    let mut values: Vec<TExpr> = args.iter().skip(1).step_by(2).cloned().collect();
    if let Some(last) = args.last() {
        values.push(last.clone());
    }
    let mut ty_probe = values[0].clone();
    for v in &values[1..] {
        let (a, _) = unify_branches(ty_probe.clone(), v.clone(), span)?;
        ty_probe = a;
    }
    let target = ty_probe.ty;
    let unify = |v: TExpr| -> Result<TExpr> {
        let (_, b) = unify_branches(TExpr::null(target), v, span)?;
        Ok(if b.ty == target {
            b
        } else {
            crate::functions::conversion::convert(b, target)
        })
    };
    let mut it = args.into_iter();
    let mut builder: Option<datafusion::logical_expr::conditional_expressions::CaseBuilder> = None;
    let n = it.len();
    let mut i = 0;
    let mut else_v = None;
    while i < n {
        if i == n - 1 {
            else_v = it.next();
            break;
        }
        let (Some(c), Some(v)) = (it.next(), it.next()) else {
            break;
        };
        let c = to_bool(c, span)?;
        let v = unify(v)?;
        builder = Some(match builder {
            None => when(c.expr, v.expr),
            Some(mut b) => b.when(c.expr, v.expr),
        });
        i += 2;
    }
    let else_v = unify(else_v.unwrap_or_else(|| TExpr::null(target)))?;
    let Some(mut b) = builder else {
        bail!(span, "case() needs at least one predicate")
    };
    Ok(TExpr::new(b.otherwise(else_v.expr)?, target))
}

fn coalesce(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    if args.is_empty() {
        bail!(span, "coalesce() expects at least one argument")
    }
    let mut acc = args[0].clone();
    for a in &args[1..] {
        let (x, _) = unify_branches(acc.clone(), a.clone(), span)?;
        acc = x;
    }
    let target = acc.ty;
    let mut exprs = Vec::new();
    for a in args {
        let (_, b) = unify_branches(TExpr::null(target), a, span)?;
        let b = if b.ty == target {
            b
        } else {
            crate::functions::conversion::convert(b, target)
        };
        // For strings, coalesce skips empty strings too.
        exprs.push(if target == KqlType::String {
            datafusion::functions::expr_fn::nullif(b.expr, lit(""))
        } else {
            b.expr
        });
    }
    let mut e = datafusion::functions::expr_fn::coalesce(exprs);
    if target == KqlType::String {
        e = datafusion::functions::expr_fn::coalesce(vec![e, lit("")]);
    }
    Ok(TExpr::new(e, target))
}

fn one(args: Vec<TExpr>, name: &str, span: Span) -> Result<TExpr> {
    let [a]: [TExpr; 1] = args.try_into().map_err(|_| {
        crate::error::EngineError::plan(format!("{name}() expects 1 argument"), span)
    })?;
    Ok(a)
}

fn empty_check(a: TExpr) -> Expr {
    match a.ty {
        KqlType::String | KqlType::Guid => a.expr.clone().is_null().or(a.expr.eq(lit(""))),
        KqlType::Dynamic => a.expr.clone().is_null().or(a.expr.eq(lit("\"\""))),
        _ => a.expr.is_null(),
    }
}

fn isnull(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    let a = one(args, "isnull", span)?;
    // Strings are never null in KQL.
    let e = if a.ty == KqlType::String {
        lit(false)
    } else {
        a.expr.is_null()
    };
    Ok(TExpr::new(e, KqlType::Bool))
}

fn isnotnull(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    let a = one(args, "isnotnull", span)?;
    let e = if a.ty == KqlType::String {
        lit(true)
    } else {
        a.expr.is_not_null()
    };
    Ok(TExpr::new(e, KqlType::Bool))
}

fn isempty(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    let a = one(args, "isempty", span)?;
    Ok(TExpr::new(empty_check(a), KqlType::Bool))
}

fn isnotempty(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    let a = one(args, "isnotempty", span)?;
    Ok(TExpr::new(
        Expr::Not(Box::new(empty_check(a))),
        KqlType::Bool,
    ))
}

fn not(args: Vec<TExpr>, span: Span) -> Result<TExpr> {
    let a = to_bool(one(args, "not", span)?, span)?;
    Ok(TExpr::new(Expr::Not(Box::new(a.expr)), KqlType::Bool))
}
