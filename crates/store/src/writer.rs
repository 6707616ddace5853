//! Writing to the store: a [`Transaction`] writes Parquet files (one per table and day, rows
//! sorted by time) beside the live data, and `commit` publishes them all at once by replacing
//! the manifest. Until then readers never see them; a dropped or crashed transaction leaves
//! only unreferenced files, which the next writer removes.

use crate::error::{Result, StoreError};
use crate::manifest::{ColumnDef, FileEntry, Manifest, sync_dir};
use crate::{Store, TIME_COLUMN};
use engine::datafusion::arrow::array::{Array, Int64Array, RecordBatch, UInt32Array};
use engine::datafusion::arrow::compute::{SortOptions, sort_to_indices, take_record_batch};
use engine::datafusion::parquet::arrow::ArrowWriter;
use engine::datafusion::parquet::basic::Compression;
use engine::datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use engine::types::TICKS_PER_DAY;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rows per Parquet row group: small enough for time pruning inside a day, large enough to
/// compress well.
const ROW_GROUP_ROWS: usize = 64 * 1024;

pub struct Transaction<'s> {
    store: &'s mut Store,
    batch: String,
    seq: u32,
    /// Files written but not yet published, by table.
    pending: BTreeMap<String, (Vec<ColumnDef>, Vec<FileEntry>)>,
    /// Tables whose current files this transaction replaces.
    replaced: std::collections::BTreeSet<String>,
    committed: bool,
}

impl<'s> Transaction<'s> {
    pub(crate) fn new(store: &'s mut Store, batch: String) -> Self {
        Self {
            store,
            batch,
            seq: 0,
            pending: BTreeMap::new(),
            replaced: Default::default(),
            committed: false,
        }
    }

    /// The store as it was when the transaction began (plus nothing of this transaction).
    pub fn store(&self) -> &Store {
        self.store
    }

    pub fn batch_id(&self) -> &str {
        &self.batch
    }

    /// Writes `batch` (whose schema must carry exactly `columns`, in order) for `table`.
    /// `ids` are the 64-bit hashes of the rows' `_ItemId`s, in row order.
    pub fn write(
        &mut self,
        table: &str,
        columns: &[ColumnDef],
        batch: &RecordBatch,
        ids: &[u64],
    ) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if batch.num_columns() != columns.len() || ids.len() != batch.num_rows() {
            return Err(StoreError::Invalid(format!(
                "table {table}: batch shape does not match its column list"
            )));
        }
        crate::check_table_name(table)?;
        let time_idx = columns.iter().position(|c| c.name == TIME_COLUMN);
        for (day, rows) in split_by_day(batch, time_idx)? {
            let part = take_record_batch(batch, &rows)?;
            let part_ids: Vec<u64> = rows.values().iter().map(|&i| ids[i as usize]).collect();
            let entry = self.write_file(table, day, &part, time_idx, &part_ids)?;
            let slot = self
                .pending
                .entry(table.to_string())
                .or_insert_with(|| (Vec::new(), Vec::new()));
            merge_columns(table, &mut slot.0, columns)?;
            slot.1.push(entry);
        }
        Ok(())
    }

    fn write_file(
        &mut self,
        table: &str,
        day: Option<String>,
        part: &RecordBatch,
        time_idx: Option<usize>,
        ids: &[u64],
    ) -> Result<FileEntry> {
        self.seq += 1;
        let dir_rel = format!(
            "tables/{table}/day={}",
            day.clone().unwrap_or_else(|| "none".into())
        );
        let dir = self.store.root.join(&dir_rel);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let name = format!("{}-{:05}", self.batch, self.seq);
        let rel = format!("{dir_rel}/{name}.parquet");
        let path = self.store.root.join(&rel);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_statistics_enabled(EnabledStatistics::Page)
            .build();
        let file = std::fs::File::create(&path).map_err(|e| StoreError::io(&path, e))?;
        let mut w = ArrowWriter::try_new(file, part.schema(), Some(props))?;
        w.write(part)?;
        let file = w.into_inner()?;
        file.sync_all().map_err(|e| StoreError::io(&path, e))?;
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(file);
        let ids_rel = format!("{dir_rel}/{name}.ids");
        write_ids(&self.store.root.join(&ids_rel), ids)?;
        sync_dir(&dir)?;
        let (min_time, max_time) = match time_idx {
            Some(i) => time_range(part.column(i).as_ref()),
            None => (None, None),
        };
        Ok(FileEntry {
            path: rel,
            day,
            rows: part.num_rows() as u64,
            min_time,
            max_time,
            bytes,
            ids: Some(ids_rel),
            batch: self.batch.clone(),
        })
    }

    /// Makes `table` hold only what this transaction writes to it (its columns too): at
    /// commit its current files leave the manifest and are deleted. Derived tables that are
    /// recomputed whole (behaviour analytics) use this.
    pub fn replace_table(&mut self, table: &str) -> Result<()> {
        crate::check_table_name(table)?;
        self.replaced.insert(table.to_string());
        Ok(())
    }

    /// Rows written so far in this transaction, by table.
    pub fn pending_rows(&self) -> BTreeMap<String, u64> {
        self.pending
            .iter()
            .map(|(t, (_, f))| (t.clone(), f.iter().map(|f| f.rows).sum()))
            .collect()
    }

    /// Publishes every file written by this transaction in one atomic manifest replacement.
    pub fn commit(mut self) -> Result<()> {
        if self.pending.is_empty() && self.replaced.is_empty() {
            self.committed = true;
            return Ok(());
        }
        let mut m: Manifest = self.store.manifest.clone();
        let mut dropped: Vec<FileEntry> = Vec::new();
        for t in &self.replaced {
            if let Some(e) = m.tables.remove(t) {
                dropped.extend(e.files);
            }
        }
        for (table, (cols, files)) in std::mem::take(&mut self.pending) {
            let entry = m.tables.entry(table.clone()).or_default();
            merge_columns(&table, &mut entry.columns, &cols)?;
            entry.files.extend(files);
        }
        m.generation += 1;
        m.version = crate::manifest::FORMAT_VERSION;
        m.store(&self.store.root)?;
        self.store.manifest = m;
        self.committed = true;
        // The new manifest no longer names them; a crash before this point leaves orphans
        // that the next writer removes.
        for f in dropped {
            let _ = std::fs::remove_file(self.store.root.join(&f.path));
            if let Some(ids) = &f.ids {
                let _ = std::fs::remove_file(self.store.root.join(ids));
            }
        }
        Ok(())
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for (_, files) in self.pending.values() {
            for f in files {
                let _ = std::fs::remove_file(self.store.root.join(&f.path));
                if let Some(ids) = &f.ids {
                    let _ = std::fs::remove_file(self.store.root.join(ids));
                }
            }
        }
    }
}

/// Adds `new` columns missing from `into`; a column already present must keep its type.
pub(crate) fn merge_columns(
    table: &str,
    into: &mut Vec<ColumnDef>,
    new: &[ColumnDef],
) -> Result<()> {
    for c in new {
        match into.iter().find(|x| x.name == c.name) {
            Some(x) if x.kql_type != c.kql_type => {
                return Err(StoreError::Invalid(format!(
                    "table {table}: column {} is {} in the store but {} in the new data",
                    c.name, x.kql_type, c.kql_type
                )));
            }
            Some(_) => {}
            None => into.push(c.clone()),
        }
    }
    Ok(())
}

/// Row indices grouped by the UTC day of the time column, each group sorted by time.
fn split_by_day(
    batch: &RecordBatch,
    time_idx: Option<usize>,
) -> Result<Vec<(Option<String>, UInt32Array)>> {
    let Some(ti) = time_idx else {
        let all: UInt32Array = (0..batch.num_rows() as u32).collect();
        return Ok(vec![(None, all)]);
    };
    let col = batch.column(ti);
    let Some(times) = col.as_any().downcast_ref::<Int64Array>() else {
        return Err(StoreError::Invalid(format!(
            "{TIME_COLUMN} must be stored as 100-ns ticks (Int64), found {}",
            col.data_type()
        )));
    };
    let order = sort_to_indices(
        col,
        Some(SortOptions {
            descending: false,
            nulls_first: false,
        }),
        None,
    )?;
    let mut groups: BTreeMap<Option<i64>, Vec<u32>> = BTreeMap::new();
    for &i in order.values() {
        let day = if times.is_null(i as usize) {
            None
        } else {
            Some(times.value(i as usize).div_euclid(TICKS_PER_DAY))
        };
        groups.entry(day).or_default().push(i);
    }
    Ok(groups
        .into_iter()
        .map(|(d, rows)| (d.map(day_name), UInt32Array::from(rows)))
        .collect())
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub fn day_name(day: i64) -> String {
    engine::value::datetime::to_naive(day * TICKS_PER_DAY)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("d{day}"))
}

fn time_range(col: &dyn Array) -> (Option<i64>, Option<i64>) {
    let Some(a) = col.as_any().downcast_ref::<Int64Array>() else {
        return (None, None);
    };
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    for v in a.iter().flatten() {
        lo = Some(lo.map_or(v, |x| x.min(v)));
        hi = Some(hi.map_or(v, |x| x.max(v)));
    }
    (lo, hi)
}

fn write_ids(path: &Path, ids: &[u64]) -> Result<()> {
    let mut buf = Vec::with_capacity(ids.len() * 8);
    for id in ids {
        buf.extend_from_slice(&id.to_le_bytes());
    }
    let mut f = std::fs::File::create(path).map_err(|e| StoreError::io(path, e))?;
    f.write_all(&buf).map_err(|e| StoreError::io(path, e))?;
    f.sync_all().map_err(|e| StoreError::io(path, e))?;
    Ok(())
}

pub(crate) fn read_ids(path: &PathBuf, into: &mut crate::IdSet) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| StoreError::io(path, e))?;
    if bytes.len() % 8 != 0 {
        return Err(StoreError::Corrupt(format!(
            "{}: id sidecar has a partial entry ({} bytes)",
            path.display(),
            bytes.len()
        )));
    }
    for c in bytes.chunks_exact(8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        into.insert(u64::from_le_bytes(a));
    }
    Ok(())
}
