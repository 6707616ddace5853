//! Time-window joins as equi-joins on time buckets.
//!
//! Detection content joins two sign-in streams on a user and keeps pairs whose times are close
//! (`on UserPrincipalName | where T2 between (T1 .. T1 + 10m)`). DataFusion plans that as a hash
//! join on the user with the time condition as a filter, so every pair of a user's events is
//! built and tested. When an inner join's filter bounds a right-side time by a left-side time
//! within a constant window, `r - l ∈ [lo, hi]`, this rule adds a second equi-key: with bucket
//! width `w = hi - lo`, `bucket(r) = ⌊r / w⌋` and each left row is expanded to the two buckets
//! `⌊(l + lo) / w⌋` and `⌊(l + lo) / w⌋ + 1`, the only ones a matching `r` can fall in. The
//! filter stays as it was, so results are unchanged; a pair still meets in exactly one bucket,
//! so none is duplicated. Times are Int64 ticks (datetime and timespan alike).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, ExprSchema, Result, ScalarValue};
use datafusion::functions_nested::make_array::make_array;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{
    BinaryExpr, Expr, Join, JoinType, LogicalPlan, LogicalPlanBuilder, Operator, when,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};
use std::sync::Arc;

const LEFT_KEY: &str = "__pg_bucket_l";
const RIGHT_KEY: &str = "__pg_bucket_r";

#[derive(Debug, Default)]
pub struct TimeWindowJoin;

/// `col + k` (k may be 0 or negative).
#[derive(Debug, Clone, PartialEq)]
struct Shifted {
    col: Column,
    k: i64,
}

fn shifted(e: &Expr) -> Option<Shifted> {
    match e {
        Expr::Column(c) => Some(Shifted {
            col: c.clone(),
            k: 0,
        }),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let lit = |e: &Expr| match e {
                Expr::Literal(ScalarValue::Int64(Some(v)), _) => Some(*v),
                _ => None,
            };
            match (op, left.as_ref(), right.as_ref()) {
                (Operator::Plus, Expr::Column(c), r) => {
                    lit(r).map(|k| Shifted { col: c.clone(), k })
                }
                (Operator::Plus, l, Expr::Column(c)) => {
                    lit(l).map(|k| Shifted { col: c.clone(), k })
                }
                (Operator::Minus, Expr::Column(c), r) => lit(r)
                    .and_then(i64::checked_neg)
                    .map(|k| Shifted { col: c.clone(), k }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Bounds on `right - left` found in the filter, for one (left, right) column pair.
#[derive(Debug)]
struct Window {
    left: Column,
    right: Column,
    lo: i64,
    hi: i64,
}

fn find_window(join: &Join, filter: &Expr) -> Option<Window> {
    let ls = join.left.schema();
    let rs = join.right.schema();
    let is_int64 = |s: &datafusion::common::DFSchema, c: &Column| {
        s.field_from_column(c)
            .is_ok_and(|f| f.data_type() == &DataType::Int64)
    };
    // Each conjunct as (left col, right col, op on `right - left`, constant).
    let mut bounds: Vec<(Column, Column, Operator, i64)> = Vec::new();
    for c in split_conjunction(filter) {
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = c else {
            continue;
        };
        let (Some(a), Some(b)) = (shifted(left), shifted(right)) else {
            continue;
        };
        // a.col + a.k  op  b.col + b.k
        let a_left = ls.has_column(&a.col) && is_int64(ls, &a.col);
        let b_right = rs.has_column(&b.col) && is_int64(rs, &b.col);
        let a_right = rs.has_column(&a.col) && is_int64(rs, &a.col);
        let b_left = ls.has_column(&b.col) && is_int64(ls, &b.col);
        if a_right && b_left {
            // r + ka op l + kb  ⇒  r - l op kb - ka
            let Some(k) = b.k.checked_sub(a.k) else {
                continue;
            };
            bounds.push((b.col, a.col, *op, k));
        } else if a_left && b_right {
            // l + ka op r + kb  ⇒  r - l (swapped op) ka - kb
            let (Some(k), Some(sw)) = (a.k.checked_sub(b.k), op.swap()) else {
                continue;
            };
            bounds.push((a.col, b.col, sw, k));
        }
    }
    for (l, r, _, _) in &bounds {
        let mut lo: Option<i64> = None;
        let mut hi: Option<i64> = None;
        for (l2, r2, op, k) in &bounds {
            if l2 != l || r2 != r {
                continue;
            }
            match op {
                Operator::GtEq => lo = Some(lo.map_or(*k, |x| x.max(*k))),
                Operator::Gt => lo = Some(lo.map_or(k + 1, |x| x.max(k + 1))),
                Operator::LtEq => hi = Some(hi.map_or(*k, |x| x.min(*k))),
                Operator::Lt => hi = Some(hi.map_or(k - 1, |x| x.min(k - 1))),
                Operator::Eq => {
                    lo = Some(lo.map_or(*k, |x| x.max(*k)));
                    hi = Some(hi.map_or(*k, |x| x.min(*k)));
                }
                _ => {}
            }
        }
        if let (Some(lo), Some(hi)) = (lo, hi)
            && hi >= lo
        {
            return Some(Window {
                left: l.clone(),
                right: r.clone(),
                lo,
                hi,
            });
        }
    }
    None
}

/// ⌊e / w⌋ for Int64 ticks, negative values included.
fn floor_div(e: Expr, w: i64) -> Result<Expr> {
    let lit = |v: i64| Expr::Literal(ScalarValue::Int64(Some(v)), None);
    when(e.clone().gt_eq(lit(0)), e.clone() / lit(w)).otherwise((e - lit(w - 1)) / lit(w))
}

impl OptimizerRule for TimeWindowJoin {
    fn name(&self) -> &str {
        "peregrine_time_window_join"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let LogicalPlan::Join(join) = &plan else {
            return Ok(Transformed::no(plan));
        };
        if join.join_type != JoinType::Inner || join.null_aware {
            return Ok(Transformed::no(plan));
        }
        let Some(filter) = &join.filter else {
            return Ok(Transformed::no(plan));
        };
        let already = join
            .on
            .iter()
            .any(|(l, _)| matches!(l, Expr::Column(c) if c.name == LEFT_KEY));
        if already {
            return Ok(Transformed::no(plan));
        }
        let Some(win) = find_window(join, filter) else {
            return Ok(Transformed::no(plan));
        };
        let Some(width) = win.hi.checked_sub(win.lo).map(|w| w.max(1)) else {
            return Ok(Transformed::no(plan));
        };
        let lit = |v: i64| Expr::Literal(ScalarValue::Int64(Some(v)), None);

        // Left: every column, plus the two candidate buckets unnested into rows.
        let start = Expr::Column(win.left.clone()) + lit(win.lo);
        let b0 = floor_div(start, width)?;
        let mut lexprs: Vec<Expr> = join
            .left
            .schema()
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        lexprs.push(make_array(vec![b0.clone(), b0 + lit(1)]).alias(LEFT_KEY));
        let left = LogicalPlanBuilder::from(join.left.as_ref().clone())
            .project(lexprs)?
            .unnest_column(LEFT_KEY)?
            .build()?;
        // Right: every column plus its bucket.
        let mut rexprs: Vec<Expr> = join
            .right
            .schema()
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        rexprs.push(floor_div(Expr::Column(win.right.clone()), width)?.alias(RIGHT_KEY));
        let right = LogicalPlanBuilder::from(join.right.as_ref().clone())
            .project(rexprs)?
            .build()?;

        let mut on = join.on.clone();
        on.push((
            Expr::Column(Column::new_unqualified(LEFT_KEY)),
            Expr::Column(Column::new_unqualified(RIGHT_KEY)),
        ));
        let new_join = Join::try_new(
            Arc::new(left),
            Arc::new(right),
            on,
            join.filter.clone(),
            JoinType::Inner,
            join.join_constraint,
            join.null_equality,
            false,
        )?;
        // Back to the original output columns.
        let out: Vec<Expr> = join
            .schema
            .columns()
            .into_iter()
            .map(Expr::Column)
            .collect();
        let plan = LogicalPlanBuilder::from(LogicalPlan::Join(new_join))
            .project(out)?
            .build()?;
        Ok(Transformed::yes(plan))
    }
}
