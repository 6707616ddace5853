//! `Rel`: a logical plan plus the KQL types of its columns, in order.
//!
//! Invariant: every column of `plan`'s output schema has a distinct, unqualified-resolvable
//! name equal to `cols[i].0`, and `cols[i].1` is its KQL type.

use crate::error::{EngineError, Result};
use crate::texpr::TExpr;
use crate::types::KqlType;
use datafusion::common::Column;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};

#[derive(Debug, Clone)]
pub struct Rel {
    pub plan: LogicalPlan,
    pub cols: Vec<(String, KqlType)>,
    /// The sort keys when the rows are known to be in an order (after `sort`/`top`/`serialize`).
    pub order: Option<Vec<SortExpr>>,
}

/// An unqualified column reference that never parses its name (names may hold dots, spaces).
pub fn col_ref(name: &str) -> Expr {
    Expr::Column(Column::from_name(name))
}

impl Rel {
    pub fn new(plan: LogicalPlan, cols: Vec<(String, KqlType)>) -> Rel {
        Rel {
            plan,
            cols,
            order: None,
        }
    }

    pub fn find(&self, name: &str) -> Option<usize> {
        self.cols.iter().position(|(n, _)| n == name)
    }

    pub fn column(&self, name: &str) -> Option<TExpr> {
        self.find(name)
            .map(|i| TExpr::new(col_ref(name), self.cols[i].1))
    }

    pub fn names(&self) -> Vec<String> {
        self.cols.iter().map(|(n, _)| n.clone()).collect()
    }

    pub fn builder(&self) -> LogicalPlanBuilder {
        LogicalPlanBuilder::from(self.plan.clone())
    }

    /// Projects to exactly `items` (name, typed expression), keeping order knowledge when the
    /// projection keeps every sort column untouched.
    pub fn project(&self, items: Vec<(String, TExpr)>) -> Result<Rel> {
        check_unique(&items)?;
        let exprs: Vec<Expr> = items
            .iter()
            .map(|(n, e)| e.expr.clone().alias(n.as_str()))
            .collect();
        let plan = self.builder().project(exprs)?.build()?;
        let cols = items.into_iter().map(|(n, e)| (n, e.ty)).collect();
        let mut rel = Rel::new(plan, cols);
        rel.order = self.order.clone().filter(|o| order_cols_present(o, &rel));
        Ok(rel)
    }

    /// All current columns as (name, expr) items, for building a projection.
    pub fn items(&self) -> Vec<(String, TExpr)> {
        self.cols
            .iter()
            .map(|(n, t)| (n.clone(), TExpr::new(col_ref(n), *t)))
            .collect()
    }

    pub fn filter(&self, pred: Expr) -> Result<Rel> {
        let plan = self.builder().filter(pred)?.build()?;
        Ok(Rel {
            plan,
            cols: self.cols.clone(),
            order: self.order.clone(),
        })
    }
}

fn order_cols_present(order: &[SortExpr], rel: &Rel) -> bool {
    order.iter().all(|s| match &s.expr {
        Expr::Column(c) => rel.find(&c.name).is_some(),
        _ => false,
    })
}

fn check_unique(items: &[(String, TExpr)]) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for (n, _) in items {
        if !seen.insert(n.as_str()) {
            return Err(EngineError::plan_nospan(format!(
                "column '{n}' is defined more than once in this projection"
            )));
        }
    }
    Ok(())
}

/// Picks a name not in `taken`: `base`, else `base1`, `base2`, … (Kusto's clash suffixing).
pub fn unique_name(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    let mut i = 1;
    loop {
        let cand = format!("{base}{i}");
        if !taken.contains(&cand) {
            return cand;
        }
        i += 1;
    }
}
