//! Running a query: parse, plan through a catalog, execute on DataFusion.

use crate::catalog::Catalog;
use crate::error::{EngineError, Result};
use crate::plan::Planner;
use crate::types::KqlType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::context::{SessionConfig, SessionContext};
use datafusion::logical_expr::LogicalPlan;
use std::collections::HashMap;

/// Options of one query run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `now()` in ticks for this run.
    pub now: i64,
    /// Values for `{{Name}}` placeholders and `declare query_parameters`.
    pub params: HashMap<String, String>,
}

/// A query's result: its columns with KQL types, and the rows.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub columns: Vec<(String, KqlType)>,
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// A DataFusion session configured for KQL workloads.
pub fn new_session() -> SessionContext {
    let mut config = SessionConfig::new()
        .with_target_partitions(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
        .with_information_schema(false);
    // Parquet written by Peregrine (and by tools that follow its convention) tags columns with
    // their KQL type in the Arrow field metadata: keep it.
    config.options_mut().execution.parquet.skip_metadata = false;
    // Strings are Utf8 throughout the engine: reading Parquet as Utf8View would only add a
    // cast (and a copy of every string) at each scan.
    config
        .options_mut()
        .execution
        .parquet
        .schema_force_view_types = false;
    // `PEREGRINE_JOIN=merge` plans equi-joins as sort-merge joins (shared/notes measured them
    // faster for large time-window self-joins on a user key); the default keeps hash joins.
    if std::env::var("PEREGRINE_JOIN").is_ok_and(|v| v.eq_ignore_ascii_case("merge")) {
        config.options_mut().optimizer.prefer_hash_join = false;
    }
    let ctx = SessionContext::new_with_config(config);
    crate::optimize::register(&ctx);
    ctx
}

/// Parses and plans `text`; the plan and its column types.
pub fn plan_query(
    catalog: &dyn Catalog,
    session: &SessionContext,
    text: &str,
    opts: &RunOptions,
) -> Result<(LogicalPlan, Vec<(String, KqlType)>)> {
    let query = kql::parse_query(text).map_err(EngineError::Syntax)?;
    let mut planner = Planner::new(catalog, session.clone(), opts.now);
    planner.placeholders = opts.params.clone();
    planner.raw_params = opts.params.clone();
    let rel = planner.plan_query(&query)?;
    Ok((rel.plan, rel.cols))
}

/// Runs a query to completion.
pub async fn run_query(
    catalog: &dyn Catalog,
    session: &SessionContext,
    text: &str,
    opts: &RunOptions,
) -> Result<QueryResult> {
    let (plan, columns) = plan_query(catalog, session, text, opts)?;
    if std::env::var_os("PEREGRINE_EXPLAIN").is_some() {
        eprintln!("{}", plan.display_indent());
        if let Ok(opt) = session.state().optimize(&plan) {
            eprintln!("--- optimized ---\n{}", opt.display_indent());
        }
    }
    // Execute on a task so that a panic inside DataFusion becomes an error, not a crash.
    let session = session.clone();
    let task = tokio::spawn(async move {
        let df = session.execute_logical_plan(plan).await?;
        df.collect().await
    });
    let batches = match task.await {
        Ok(r) => r?,
        Err(e) if e.is_panic() => {
            let msg = e
                .into_panic()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "the execution engine failed".into());
            return Err(EngineError::Other(format!(
                "internal error while running the query ({msg}); please report it with the query"
            )));
        }
        Err(e) => return Err(EngineError::Other(format!("query task failed: {e}"))),
    };
    let batches = conform(batches, &columns)?;
    Ok(QueryResult { columns, batches })
}

/// Casts any column whose Arrow type is not the one its KQL type is stored as (a DataFusion
/// function may return e.g. `Utf8View` or `Binary`), so result encoders can rely on it.
fn conform(batches: Vec<RecordBatch>, columns: &[(String, KqlType)]) -> Result<Vec<RecordBatch>> {
    use datafusion::arrow::compute::cast;
    use datafusion::arrow::datatypes::{Field, Schema};
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let fine = b.num_columns() == columns.len()
            && b.columns()
                .iter()
                .zip(columns)
                .all(|(a, (_, t))| a.data_type() == &t.arrow());
        if fine {
            out.push(b);
            continue;
        }
        let mut arrays = Vec::with_capacity(b.num_columns());
        let mut fields = Vec::with_capacity(b.num_columns());
        for (i, a) in b.columns().iter().enumerate() {
            let want = columns
                .get(i)
                .map(|(_, t)| t.arrow())
                .unwrap_or_else(|| a.data_type().clone());
            let a = if a.data_type() == &want {
                a.clone()
            } else {
                cast(a, &want).map_err(|e| {
                    EngineError::Other(format!(
                        "result column {} is {} and cannot be read as {want}: {e}",
                        b.schema().field(i).name(),
                        a.data_type()
                    ))
                })?
            };
            fields.push(Field::new(b.schema().field(i).name(), want, true));
            arrays.push(a);
        }
        let batch = RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| EngineError::Other(format!("result batch: {e}")))?;
        out.push(batch);
    }
    Ok(out)
}
