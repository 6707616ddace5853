//! Running rules through the engine exactly as a user's query runs: the rule's KQL, `now`
//! pinned, `{{StartTimeISO}}`-style placeholders filled with the hunt range. Errors point at
//! the rule file's own line and column.

use crate::alert::{self, Alert};
use crate::rule::{Kind, Rule};
use engine::catalog::Catalog;
use engine::datafusion::prelude::SessionContext;
use engine::{EngineError, RunOptions};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A run's time: `now`, and the range placeholders stand for.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub now: i64,
    pub from: i64,
    pub to: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub rule: String,
    /// `file:line:col: error: …` with a caret excerpt of the query.
    pub rendered: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

/// The placeholder values a hunting query sees.
pub fn params(w: &Window) -> HashMap<String, String> {
    let fmt = engine::value::datetime::format_iso;
    let mut p = HashMap::new();
    for (k, v) in [
        ("StartTimeISO", fmt(w.from)),
        ("EndTimeISO", fmt(w.to)),
        ("StartTime", fmt(w.from)),
        ("EndTime", fmt(w.to)),
    ] {
        p.insert(k.to_string(), v);
    }
    p
}

/// Renders an engine error against the rule file: positions in the query become positions
/// in the file.
pub fn render_error(rule: &Rule, e: &EngineError) -> String {
    let origin = rule.source.display().to_string();
    let span = match e {
        EngineError::Syntax(d) => Some(d.span),
        EngineError::Plan { span, .. } => *span,
        _ => None,
    };
    let Some(span) = span else {
        return format!("{origin}: rule '{}': error: {e}", rule.name);
    };
    let q = &rule.query;
    let start = span.start.min(q.len());
    let before = &q[..start];
    let qline = before.matches('\n').count();
    let qcol = before.rfind('\n').map_or(start, |i| start - i - 1) + 1;
    let (line, col) = if qline == 0 {
        (rule.query_line, rule.query_column + qcol - 1)
    } else {
        (rule.query_line + qline, rule.query_indent + qcol)
    };
    let excerpt = e.render(q, "query");
    let caret: String = excerpt.lines().skip(1).map(|l| format!("{l}\n")).collect();
    format!(
        "{origin}:{line}:{col}: error: {} (rule '{}')\n{caret}",
        match e {
            EngineError::Syntax(d) => d.message.clone(),
            EngineError::Plan { message, .. } => message.clone(),
            other => other.to_string(),
        },
        rule.name
    )
    .trim_end()
    .to_string()
}

/// Runs one rule once and returns its result rows.
pub async fn rows(
    rule: &Rule,
    catalog: &dyn Catalog,
    session: &SessionContext,
    w: &Window,
) -> Result<Vec<Map<String, Value>>, RuleError> {
    let opts = RunOptions {
        now: w.now,
        params: params(w),
    };
    let res = engine::run_query(catalog, session, &rule.query, &opts)
        .await
        .map_err(|e| RuleError {
            rule: rule.name.clone(),
            rendered: render_error(rule, &e),
        })?;
    let mut out = Vec::with_capacity(res.row_count());
    for b in &res.batches {
        for r in 0..b.num_rows() {
            let mut m = Map::new();
            for (c, (name, ty)) in res.columns.iter().enumerate() {
                m.insert(name.clone(), engine::output::cell_json(b.column(c), r, *ty));
            }
            out.push(m);
        }
    }
    Ok(out)
}

/// Runs one rule once and builds its alerts.
pub async fn alerts(
    rule: &Rule,
    catalog: &dyn Catalog,
    session: &SessionContext,
    w: &Window,
) -> Result<Vec<Alert>, RuleError> {
    let rows = rows(rule, catalog, session, w).await?;
    let window = match (rule.kind, rule.period) {
        (Kind::Hunting, _) | (_, None) => (w.from, w.to),
        (_, Some(p)) => (w.now.saturating_sub(p), w.now),
    };
    Ok(alert::build(rule, rows, w.now, window))
}

/// A catalog as it stood at `now`: each table that has a `TimeGenerated` column shows only the
/// rows with `TimeGenerated <= now`. A replayed run reads through it, so a rule whose query
/// says `TimeGenerated > ago(1h)` (no upper bound) does not see events from after its
/// scheduled time.
pub struct AsOf<'a> {
    pub inner: &'a dyn Catalog,
    pub now: i64,
}

impl Catalog for AsOf<'_> {
    fn table(
        &self,
        name: &str,
    ) -> Option<std::sync::Arc<dyn engine::datafusion::catalog::TableProvider>> {
        use engine::datafusion::arrow::datatypes::DataType;
        use engine::datafusion::common::Column;
        use engine::datafusion::datasource::{ViewTable, provider_as_source};
        use engine::datafusion::logical_expr::{Expr, LogicalPlanBuilder, lit};
        let t = self.inner.table(name)?;
        let has_time = t
            .schema()
            .field_with_name("TimeGenerated")
            .is_ok_and(|f| f.data_type() == &DataType::Int64);
        if !has_time {
            return Some(t);
        }
        let plan = LogicalPlanBuilder::scan(name, provider_as_source(t.clone()), None)
            // A column as the planner names it (`col()` would parse and lower-case the name).
            .and_then(|b| {
                let time = Expr::Column(Column::new_unqualified("TimeGenerated"));
                b.filter(time.lt_eq(lit(self.now)))
            })
            .and_then(|b| b.build());
        match plan {
            Ok(p) => Some(std::sync::Arc::new(ViewTable::new(p, None))),
            // Not expected; the table unfiltered is the safe fallback.
            Err(_) => Some(t),
        }
    }
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }
}
