//! A stored table as a DataFusion `TableProvider`. A scan first drops whole files whose
//! TimeGenerated range cannot match the query's time filters (the manifest records each file's
//! range, and files are per day), then reads the rest through DataFusion's Parquet listing
//! table, which prunes row groups on their statistics with the same filters.

use crate::TIME_COLUMN;
use crate::constants::{ConstantsAdapterFactory, scalar};
use crate::manifest::{FileEntry, TableEntry};
use async_trait::async_trait;
use engine::datafusion::arrow::datatypes::{Schema, SchemaRef};
use engine::datafusion::catalog::{Session, TableProvider};
use engine::datafusion::common::stats::Precision;
use engine::datafusion::common::{ColumnStatistics, Statistics};
use engine::datafusion::common::{Result as DfResult, ScalarValue};
use engine::datafusion::datasource::TableType;
use engine::datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use engine::datafusion::datasource::file_format::parquet::ParquetFormat;
use engine::datafusion::datasource::file_format::{FileFormat, FileMeta};
use engine::datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use engine::datafusion::datasource::physical_plan::{FileScanConfig, FileSinkConfig, FileSource};
use engine::datafusion::datasource::table_schema::TableSchema;
use engine::datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use engine::datafusion::object_store::{ObjectMeta, ObjectStore};
use engine::datafusion::physical_expr::LexOrdering;
use engine::datafusion::physical_expr::LexRequirement;
use engine::datafusion::physical_plan::ExecutionPlan;
use engine::datafusion::physical_plan::empty::EmptyExec;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug)]
pub struct StoreTable {
    schema: SchemaRef,
    files: Vec<(PathBuf, Option<i64>, Option<i64>)>,
    /// The columns each file leaves out as constant (by file name), for its statistics.
    constants: Arc<HashMap<String, BTreeMap<String, String>>>,
}

impl StoreTable {
    pub fn new(root: &std::path::Path, entry: &TableEntry) -> Self {
        let fields: Vec<_> = entry
            .columns
            .iter()
            .map(|c| c.ty().field(&c.name))
            .collect();
        Self {
            schema: Arc::new(Schema::new(fields)),
            files: entry
                .files
                .iter()
                .map(|f: &FileEntry| (root.join(&f.path), f.min_time, f.max_time))
                .collect(),
            constants: Arc::new(
                entry
                    .files
                    .iter()
                    .filter(|f| !f.constants.is_empty())
                    .map(|f| (file_name(&f.path).to_string(), f.constants.clone()))
                    .collect(),
            ),
        }
    }
}

/// Inclusive bounds on TimeGenerated implied by a set of conjunctive filters.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct TimeBounds {
    pub lo: Option<i64>,
    pub hi: Option<i64>,
}

impl TimeBounds {
    pub(crate) fn from_filters(filters: &[Expr]) -> TimeBounds {
        let mut b = TimeBounds::default();
        for f in filters {
            b.add(f);
        }
        b
    }

    fn add(&mut self, e: &Expr) {
        match e {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                if *op == Operator::And {
                    self.add(left);
                    self.add(right);
                    return;
                }
                let (op, v) = match (time_col(left), ticks(right), time_col(right), ticks(left)) {
                    (true, Some(v), _, _) => (*op, v),
                    (_, _, true, Some(v)) => match op.swap() {
                        Some(o) => (o, v),
                        None => return,
                    },
                    _ => return,
                };
                match op {
                    Operator::Eq => {
                        self.lower(v);
                        self.upper(v);
                    }
                    Operator::Gt => self.lower(v.saturating_add(1)),
                    Operator::GtEq => self.lower(v),
                    Operator::Lt => self.upper(v.saturating_sub(1)),
                    Operator::LtEq => self.upper(v),
                    _ => {}
                }
            }
            Expr::Between(b) if !b.negated && time_col(&b.expr) => {
                if let (Some(lo), Some(hi)) = (ticks(&b.low), ticks(&b.high)) {
                    self.lower(lo);
                    self.upper(hi);
                }
            }
            _ => {}
        }
    }

    fn lower(&mut self, v: i64) {
        self.lo = Some(self.lo.map_or(v, |x| x.max(v)));
    }
    fn upper(&mut self, v: i64) {
        self.hi = Some(self.hi.map_or(v, |x| x.min(v)));
    }

    /// Whether a file holding times in `[min, max]` may hold a matching row.
    pub(crate) fn overlaps(&self, min: Option<i64>, max: Option<i64>) -> bool {
        if self.lo.is_none() && self.hi.is_none() {
            return true;
        }
        // A file without a time range holds rows whose TimeGenerated is null: no bound matches.
        let (Some(min), Some(max)) = (min, max) else {
            return false;
        };
        self.lo.is_none_or(|lo| max >= lo) && self.hi.is_none_or(|hi| min <= hi)
    }
}

fn time_col(e: &Expr) -> bool {
    match e {
        Expr::Column(c) => c.name == TIME_COLUMN,
        Expr::Cast(c) => time_col(&c.expr),
        _ => false,
    }
}

fn ticks(e: &Expr) -> Option<i64> {
    match e {
        Expr::Literal(ScalarValue::Int64(Some(v)), _) => Some(*v),
        Expr::Literal(ScalarValue::Int32(Some(v)), _) => Some(i64::from(*v)),
        _ => None,
    }
}

#[async_trait]
impl TableProvider for StoreTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let bounds = TimeBounds::from_filters(filters);
        let urls = self
            .files
            .iter()
            .filter(|(_, lo, hi)| bounds.overlaps(*lo, *hi))
            .map(|(p, _, _)| ListingTableUrl::parse(p.to_string_lossy()))
            .collect::<DfResult<Vec<_>>>()?;
        if urls.is_empty() {
            let schema = match projection {
                Some(p) => Arc::new(self.schema.project(p)?),
                None => self.schema.clone(),
            };
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let format = ConstantsFormat {
            inner: ParquetFormat::default(),
            constants: self.constants.clone(),
        };
        let options = ListingOptions::new(Arc::new(format)).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(self.schema.clone())
            // Columns a file left out as constant read as their value.
            .with_expr_adapter_factory(Arc::new(ConstantsAdapterFactory));
        let listing = ListingTable::try_new(config)?;
        listing.scan(state, projection, filters, limit).await
    }
}

/// The last part of a store-relative (or object store) path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Parquet, with the statistics of the columns a file left out as constant made true: the
/// Parquet reader would report such a column as all null (it is missing from the file), and
/// the optimizer answers `count(column)` and prunes files from these statistics.
#[derive(Debug)]
struct ConstantsFormat {
    inner: ParquetFormat,
    constants: Arc<HashMap<String, BTreeMap<String, String>>>,
}

impl ConstantsFormat {
    fn fix(&self, stats: &mut Statistics, table_schema: &SchemaRef, object: &ObjectMeta) {
        let Some(constants) = object
            .location
            .filename()
            .and_then(|name| self.constants.get(name))
        else {
            return;
        };
        for (name, text) in constants {
            let Ok(idx) = table_schema.index_of(name) else {
                continue;
            };
            let value = scalar(text, table_schema.field(idx).data_type());
            let (Some(col), Some(value)) = (stats.column_statistics.get_mut(idx), value) else {
                continue;
            };
            *col = ColumnStatistics {
                null_count: Precision::Exact(0),
                max_value: Precision::Exact(value.clone()),
                min_value: Precision::Exact(value),
                distinct_count: Precision::Exact(1),
                ..ColumnStatistics::new_unknown()
            };
        }
    }
}

#[async_trait]
impl FileFormat for ConstantsFormat {
    fn get_ext(&self) -> String {
        self.inner.get_ext()
    }

    fn get_ext_with_compression(&self, c: &FileCompressionType) -> DfResult<String> {
        self.inner.get_ext_with_compression(c)
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        self.inner.compression_type()
    }

    async fn infer_schema(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        objects: &[ObjectMeta],
    ) -> DfResult<SchemaRef> {
        self.inner.infer_schema(state, store, objects).await
    }

    async fn infer_stats(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> DfResult<Statistics> {
        let mut stats = self
            .inner
            .infer_stats(state, store, table_schema.clone(), object)
            .await?;
        self.fix(&mut stats, &table_schema, object);
        Ok(stats)
    }

    async fn infer_ordering(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> DfResult<Option<LexOrdering>> {
        self.inner
            .infer_ordering(state, store, table_schema, object)
            .await
    }

    async fn infer_stats_and_ordering(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> DfResult<FileMeta> {
        let mut meta = self
            .inner
            .infer_stats_and_ordering(state, store, table_schema.clone(), object)
            .await?;
        self.fix(&mut meta.statistics, &table_schema, object);
        Ok(meta)
    }

    async fn create_physical_plan(
        &self,
        state: &dyn Session,
        conf: FileScanConfig,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.inner.create_physical_plan(state, conf).await
    }

    async fn create_writer_physical_plan(
        &self,
        input: Arc<dyn ExecutionPlan>,
        state: &dyn Session,
        conf: FileSinkConfig,
        order_requirements: Option<LexRequirement>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.inner
            .create_writer_physical_plan(input, state, conf, order_requirements)
            .await
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        self.inner.file_source(table_schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::datafusion::common::Column;
    use engine::datafusion::logical_expr::lit;

    /// A column reference as the planner makes it (`col()` would lower-case the name).
    fn col(name: &str) -> Expr {
        Expr::Column(Column::new_unqualified(name))
    }

    #[test]
    fn bounds_from_comparisons() {
        let b = TimeBounds::from_filters(&[
            col(TIME_COLUMN).gt_eq(lit(100i64)),
            lit(200i64).gt(col(TIME_COLUMN)),
        ]);
        assert_eq!(
            b,
            TimeBounds {
                lo: Some(100),
                hi: Some(199)
            }
        );
        assert!(b.overlaps(Some(150), Some(300)));
        assert!(!b.overlaps(Some(200), Some(300)));
        assert!(!b.overlaps(Some(0), Some(99)));
        assert!(!b.overlaps(None, None));
        let none = TimeBounds::from_filters(&[col("Other").gt(lit(1i64))]);
        assert!(none.overlaps(None, None));
    }
}
