//! `join` (every kind, `innerunique` by default) and `lookup`.
//!
//! The right side's columns are renamed to internal names before joining so that the two
//! inputs never share a name; the output then takes Kusto's names (clashes suffixed `1`).

use super::Planner;
use super::env::Env;
use super::expr::unify_for_compare;
use super::rel::{Rel, col_ref, unique_name};
use crate::bail;
use crate::error::Result;
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::common::JoinType;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr, ExprFunctionExt, lit};
use kql::ast::{self, BinaryOp, ExprKind, JoinCondition, JoinOp, LookupOp, OpParam, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InnerUnique,
    Inner,
    LeftOuter,
    RightOuter,
    FullOuter,
    LeftSemi,
    LeftAnti,
    RightSemi,
    RightAnti,
}

fn kind_of(params: &[OpParam], default: Kind, span: Span) -> Result<Kind> {
    for p in params {
        if p.name == "kind" {
            let v = match &p.value.kind {
                ExprKind::Name(n) => n.clone(),
                ExprKind::Literal(ast::Literal::String(s)) => s.clone(),
                _ => bail!(p.span, "join kind must be a name"),
            };
            return Ok(match v.as_str() {
                "innerunique" => Kind::InnerUnique,
                "inner" => Kind::Inner,
                "leftouter" => Kind::LeftOuter,
                "rightouter" => Kind::RightOuter,
                "fullouter" | "outer" => Kind::FullOuter,
                "leftsemi" => Kind::LeftSemi,
                "leftanti" | "anti" | "leftantisemi" => Kind::LeftAnti,
                "rightsemi" => Kind::RightSemi,
                "rightanti" | "rightantisemi" => Kind::RightAnti,
                other => bail!(p.span, "unknown join kind '{other}'"),
            });
        }
    }
    let _ = span;
    Ok(default)
}

impl Planner<'_> {
    pub(crate) fn join(&self, left: Rel, j: &JoinOp, env: &Env, span: Span) -> Result<Rel> {
        let kind = kind_of(&j.params, Kind::InnerUnique, span)?;
        let right = self.tabular(&j.right, env)?;
        let keys = self.join_keys(&left, &right, &j.on, env, span)?;
        join_rels(left, right, kind, keys, false)
    }

    pub(crate) fn lookup(&self, left: Rel, l: &LookupOp, env: &Env, span: Span) -> Result<Rel> {
        let kind = kind_of(&l.params, Kind::LeftOuter, span)?;
        if !matches!(kind, Kind::LeftOuter | Kind::Inner) {
            bail!(span, "lookup supports kind=leftouter or kind=inner")
        }
        let right = self.tabular(&l.right, env)?;
        let keys = self.join_keys(&left, &right, &l.on, env, span)?;
        join_rels(left, right, kind, keys, true)
    }

    /// Equality key pairs (left column, right column) from the `on` clause.
    fn join_keys(
        &self,
        left: &Rel,
        right: &Rel,
        on: &[JoinCondition],
        env: &Env,
        span: Span,
    ) -> Result<Vec<(String, String)>> {
        let mut keys = Vec::new();
        for c in on {
            match c {
                JoinCondition::Column(id) => {
                    if left.find(&id.name).is_none() {
                        bail!(
                            id.span,
                            "join key '{}' is not a column of the left side",
                            id.name
                        )
                    }
                    if right.find(&id.name).is_none() {
                        bail!(
                            id.span,
                            "join key '{}' is not a column of the right side",
                            id.name
                        )
                    }
                    keys.push((id.name.clone(), id.name.clone()));
                }
                JoinCondition::Expr(e) => self.collect_eq(e, left, right, env, &mut keys)?,
            }
        }
        if keys.is_empty() {
            bail!(span, "join needs at least one equality condition")
        }
        Ok(keys)
    }

    #[allow(clippy::only_used_in_recursion)]
    fn collect_eq(
        &self,
        e: &ast::Expr,
        left: &Rel,
        right: &Rel,
        env: &Env,
        keys: &mut Vec<(String, String)>,
    ) -> Result<()> {
        match &e.kind {
            ExprKind::Paren(inner) => self.collect_eq(inner, left, right, env, keys),
            ExprKind::Binary(BinaryOp::And, a, b) => {
                self.collect_eq(a, left, right, env, keys)?;
                self.collect_eq(b, left, right, env, keys)
            }
            ExprKind::Binary(BinaryOp::Eq, a, b) => {
                let side = |x: &ast::Expr| -> Option<(ast::JoinSide, String)> {
                    match &x.kind {
                        ExprKind::Member(base, f) => match base.kind {
                            ExprKind::JoinSide(s) => Some((s, f.name.clone())),
                            _ => None,
                        },
                        _ => None,
                    }
                };
                match (side(a), side(b)) {
                    (Some((ast::JoinSide::Left, l)), Some((ast::JoinSide::Right, r)))
                    | (Some((ast::JoinSide::Right, r)), Some((ast::JoinSide::Left, l))) => {
                        if left.find(&l).is_none() {
                            bail!(a.span, "the left side of the join has no column '{l}'")
                        }
                        if right.find(&r).is_none() {
                            bail!(b.span, "the right side of the join has no column '{r}'")
                        }
                        keys.push((l, r));
                        Ok(())
                    }
                    _ => bail!(
                        e.span,
                        "join conditions must compare $left.column == $right.column"
                    ),
                }
            }
            ExprKind::Name(n) => {
                if left.find(n).is_some() && right.find(n).is_some() {
                    keys.push((n.clone(), n.clone()));
                    Ok(())
                } else {
                    bail!(e.span, "join key '{n}' must be a column on both sides")
                }
            }
            _ => bail!(
                e.span,
                "only equality conditions are supported in join 'on'"
            ),
        }
    }
}

fn join_rels(
    left: Rel,
    right: Rel,
    kind: Kind,
    keys: Vec<(String, String)>,
    lookup: bool,
) -> Result<Rel> {
    // Internal names for the right side.
    let rnames: Vec<String> = (0..right.cols.len()).map(|i| format!("__r{i}")).collect();
    let r_items: Vec<(String, TExpr)> = right
        .items()
        .into_iter()
        .zip(&rnames)
        .map(|((_, e), n)| (n.clone(), e))
        .collect();
    let right_r = right.project(r_items)?;
    let mut lkeys = Vec::new();
    let mut rkeys = Vec::new();
    for (l, r) in &keys {
        let (Some(li), Some(ri)) = (left.find(l), right.find(r)) else {
            continue;
        };
        let lt = TExpr::new(col_ref(l), left.cols[li].1);
        let rt = TExpr::new(col_ref(&rnames[ri]), right.cols[ri].1);
        let (lt, rt) = unify_for_compare(lt, rt, Span::default())?;
        lkeys.push(lt.expr);
        rkeys.push(rt.expr);
    }
    let left_in = if kind == Kind::InnerUnique {
        dedup_on(&left, &lkeys)?
    } else {
        left.clone()
    };
    let jt = match kind {
        Kind::InnerUnique | Kind::Inner => JoinType::Inner,
        Kind::LeftOuter => JoinType::Left,
        Kind::RightOuter => JoinType::Right,
        Kind::FullOuter => JoinType::Full,
        Kind::LeftSemi => JoinType::LeftSemi,
        Kind::LeftAnti => JoinType::LeftAnti,
        Kind::RightSemi => JoinType::RightSemi,
        Kind::RightAnti => JoinType::RightAnti,
    };
    let plan = left_in
        .builder()
        .join_with_expr_keys(right_r.plan.clone(), jt, (lkeys, rkeys), None)?
        .build()?;
    // Kusto joins null keys to null keys.
    let plan = match plan {
        datafusion::logical_expr::LogicalPlan::Join(mut j) => {
            j.null_equality = datafusion::common::NullEquality::NullEqualsNull;
            datafusion::logical_expr::LogicalPlan::Join(j)
        }
        other => other,
    };
    let mut cols: Vec<(String, KqlType)> = Vec::new();
    let mut items: Vec<(String, TExpr)> = Vec::new();
    let outer_left = matches!(kind, Kind::RightOuter | Kind::FullOuter);
    let outer_right = matches!(kind, Kind::LeftOuter | Kind::FullOuter);
    let not_null = |e: Expr, t: KqlType, outer: bool| -> Expr {
        if outer && t == KqlType::String {
            datafusion::functions::expr_fn::coalesce(vec![e, lit("")])
        } else {
            e
        }
    };
    match kind {
        Kind::LeftSemi | Kind::LeftAnti => {
            cols = left.cols.clone();
            items = left.items();
        }
        Kind::RightSemi | Kind::RightAnti => {
            for ((n, t), r) in right.cols.iter().zip(&rnames) {
                cols.push((r.clone(), *t));
                items.push((n.clone(), TExpr::new(col_ref(r), *t)));
            }
        }
        _ => {
            let mut taken: Vec<String> = Vec::new();
            for (n, t) in &left.cols {
                cols.push((n.clone(), *t));
                taken.push(n.clone());
                items.push((
                    n.clone(),
                    TExpr::new(not_null(col_ref(n), *t, outer_left), *t),
                ));
            }
            for ((n, t), r) in right.cols.iter().zip(&rnames) {
                cols.push((r.clone(), *t));
                if lookup && keys.iter().any(|(_, rk)| rk == n) {
                    continue;
                }
                let name = unique_name(n, &taken);
                taken.push(name.clone());
                items.push((name, TExpr::new(not_null(col_ref(r), *t, outer_right), *t)));
            }
        }
    }
    let _ = cols;
    let joined = Rel::new(plan, vec![]);
    // The projection only needs the plan; column bookkeeping comes from `items`.
    let exprs: Vec<Expr> = items
        .iter()
        .map(|(n, e)| e.expr.clone().alias(n.as_str()))
        .collect();
    let plan = joined.builder().project(exprs)?.build()?;
    Ok(Rel::new(
        plan,
        items.into_iter().map(|(n, e)| (n, e.ty)).collect(),
    ))
}

/// Keeps one row per distinct key (Kusto's `innerunique` deduplicates the left side).
fn dedup_on(rel: &Rel, keys: &[Expr]) -> Result<Rel> {
    let rn = row_number()
        .partition_by(keys.to_vec())
        .build()?
        .alias("__rn");
    let plan = rel
        .builder()
        .window(vec![rn])?
        .filter(col_ref("__rn").eq(lit(1u64)))?
        .build()?;
    let mut cols = rel.cols.clone();
    cols.push(("__rn".into(), KqlType::Long));
    let w = Rel::new(plan, cols);
    w.project(rel.items())
}
