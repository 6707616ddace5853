//! Writing to the store: a [`Transaction`] writes Parquet files (one per table and day, each
//! rows in the order written) beside the live data, and `commit` publishes them all at once
//! by replacing the manifest. Until then readers never see them; a dropped or crashed
//! transaction leaves only unreferenced files, which the next writer removes.
//!
//! A transaction keeps one file open per table and day, so a long input spread over many days
//! makes one file per day rather than one per written batch; row groups are cut at
//! [`ROW_GROUP_ROWS`] rows, or earlier when the open files' writers together hold more than
//! [`OPEN_BUFFER_BYTES`] (encoded pages, pages being filled, dictionaries), which bounds
//! memory whatever the input.

use crate::constants::{CONSTANT_SAMPLE_MIN, CONSTANTS_KEY, Const};
use crate::error::{Result, StoreError};
use crate::manifest::{ColumnDef, FileEntry, Manifest, sync_dir};
use crate::{Store, TIME_COLUMN};
use engine::datafusion::arrow::array::{Array, Int64Array, RecordBatch, StringArray, UInt32Array};
use engine::datafusion::arrow::compute::take_record_batch;
use engine::datafusion::arrow::datatypes::{DataType, SchemaRef};
use engine::datafusion::parquet::arrow::ArrowWriter;
use engine::datafusion::parquet::basic::Compression;
use engine::datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use engine::datafusion::parquet::schema::types::ColumnPath;
use engine::types::TICKS_PER_DAY;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The column of each row's unique id: never left out as constant.
const ITEM_ID_COLUMN: &str = "_ItemId";

/// Rows per Parquet row group: small enough for time pruning inside a day, large enough to
/// compress well.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Memory the open files of a transaction may hold (pages, dictionaries) before the largest
/// is cut.
const OPEN_BUFFER_BYTES: usize = 32 << 20;

/// Batch memory written between two checks of the open files' buffers, at least; plus
/// [`CHECK_PER_OPEN_FILE`] per open file: measuring costs a call per column of every open
/// file, so with many open (rows spread over many days) checks are spaced further apart and
/// measuring stays a small share of the writing.
const CHECK_EVERY_BYTES: usize = 16 << 20;
const CHECK_PER_OPEN_FILE: usize = 512 << 10;

/// A column whose compressed pages keep more than this share (in percent) of their bytes is
/// written uncompressed in the table's next files: random ids (GUIDs, `_ItemId`), hashes
/// and event times barely shrink, and compressing them is a tenth of the writing time.
const INCOMPRESSIBLE_PERCENT: u64 = 85;
/// Bytes of a column, before compression, that must have been written before it is judged.
const COMPRESSION_SAMPLE_BYTES: u64 = 256 << 10;

/// A column's dictionary page beyond this falls back to plain encoding: kept small because
/// every open file holds one dictionary per column.
const DICTIONARY_PAGE_BYTES: usize = 256 << 10;

/// A Parquet file being written: the rows of one table and day.
struct OpenFile {
    writer: ArrowWriter<std::io::BufWriter<std::fs::File>>,
    /// The schema of the batches the file takes (the file itself may leave out columns).
    schema: SchemaRef,
    /// What the file stores of those batches: the columns not left out as constant (by
    /// position in the batch), under the file's schema (which names the constants).
    stored: Option<(Vec<usize>, SchemaRef)>,
    /// Columns left out because every row so far holds the same value (see
    /// [`crate::constants`]), by position in the batch.
    constants: Vec<(usize, Const)>,
    /// Row groups of the file already counted in [`Transaction::compression`].
    groups_seen: usize,
    columns: Vec<ColumnDef>,
    rel: String,
    dir: PathBuf,
    day: Option<String>,
    ids: Vec<u64>,
    rows: u64,
    min_time: Option<i64>,
    max_time: Option<i64>,
}

pub struct Transaction<'s> {
    store: &'s mut Store,
    batch: String,
    seq: u32,
    /// Batch memory written since the open files' buffers were last measured.
    unchecked: usize,
    /// Files being written, by table and day.
    open: BTreeMap<(String, Option<String>), OpenFile>,
    /// Files written but not yet published, by table.
    pending: BTreeMap<String, (Vec<ColumnDef>, Vec<FileEntry>)>,
    /// Tables whose current files this transaction replaces.
    replaced: BTreeSet<String>,
    /// Per table, the text columns whose values are (nearly) all distinct, judged on the
    /// first batch large enough to tell.
    unique: BTreeMap<String, Vec<String>>,
    /// Per table, what its batches so far say of each column: one value in every row (and
    /// in how many rows), or not. A column whose value changes is stored from then on.
    seen: BTreeMap<String, HashMap<String, Seen>>,
    /// Per table, each column's bytes before and after compression in the row groups written
    /// so far (see [`INCOMPRESSIBLE_PERCENT`]).
    compression: BTreeMap<String, HashMap<String, (u64, u64)>>,
    committed: bool,
}

impl<'s> Transaction<'s> {
    pub(crate) fn new(store: &'s mut Store, batch: String) -> Self {
        Self {
            store,
            batch,
            seq: 0,
            unchecked: 0,
            open: BTreeMap::new(),
            pending: BTreeMap::new(),
            replaced: Default::default(),
            unique: BTreeMap::new(),
            seen: BTreeMap::new(),
            compression: BTreeMap::new(),
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
        {
            let slot = self
                .pending
                .entry(table.to_string())
                .or_insert_with(|| (Vec::new(), Vec::new()));
            merge_columns(table, &mut slot.0, columns)?;
        }
        let time_idx = columns.iter().position(|c| c.name == TIME_COLUMN);
        self.note_values(table, batch);
        for (day, rows) in split_by_day(batch, time_idx)? {
            let part = match &rows {
                Some(rows) => take_record_batch(batch, rows)?,
                None => batch.clone(),
            };
            let key = (table.to_string(), day.clone());
            // A file's schema is fixed: new columns, or a column left out as constant that
            // now varies, start a new file for the day.
            let restart = match self.open.get(&key) {
                Some(f) if f.schema != part.schema() => true,
                Some(f) => f.constant_changed(&part, self.seen.get(table)),
                None => false,
            };
            if restart && let Some(f) = self.open.remove(&key) {
                self.close(&key.0, f)?;
            }
            if !self.open.contains_key(&key) {
                let constants = self.constants_of(table, &part);
                let f = self.create(table, day, &part, columns, constants)?;
                self.open.insert(key.clone(), f);
            }
            let Some(f) = self.open.get_mut(&key) else {
                continue;
            };
            match &f.stored {
                Some((keep, schema)) => {
                    let cols = keep.iter().map(|&i| part.column(i).clone()).collect();
                    f.writer
                        .write(&RecordBatch::try_new(schema.clone(), cols)?)?;
                }
                None => f.writer.write(&part)?,
            }
            learn_compression(&mut self.compression, table, f);
            match &rows {
                Some(rows) => f.ids.extend(rows.values().iter().map(|&i| ids[i as usize])),
                None => f.ids.extend_from_slice(ids),
            }
            f.rows += part.num_rows() as u64;
            if let Some(i) = time_idx {
                let (lo, hi) = time_range(part.column(i).as_ref());
                f.min_time = min_opt(f.min_time, lo);
                f.max_time = max_opt(f.max_time, hi);
            }
        }
        // Measuring every open file's buffers costs a call per column: done every few MB.
        self.unchecked += batch.get_array_memory_size();
        if self.unchecked < CHECK_EVERY_BYTES + self.open.len() * CHECK_PER_OPEN_FILE {
            return Ok(());
        }
        self.unchecked = 0;
        self.bound_memory()
    }

    /// Cuts row groups of the open files with the most buffered data until the buffers fit.
    fn bound_memory(&mut self) -> Result<()> {
        // What the writers hold, not only their encoded size: pages being filled and
        // dictionaries count too (measured: three times the encoded size when dozens of day
        // files take rows in turn). Measuring walks every column's pages, so each file is
        // measured once here and again only after it is cut.
        let mut sizes: Vec<(usize, &mut OpenFile)> = self
            .open
            .values_mut()
            .map(|f| (f.writer.memory_size(), f))
            .collect();
        let mut total: usize = sizes.iter().map(|(m, _)| m).sum();
        sizes.sort_by_key(|(m, _)| std::cmp::Reverse(*m));
        for (size, f) in sizes {
            if total <= OPEN_BUFFER_BYTES || size == 0 {
                break;
            }
            f.writer.flush()?;
            total = total - size + f.writer.memory_size();
        }
        for ((table, _), f) in self.open.iter_mut() {
            learn_compression(&mut self.compression, table, f);
        }
        Ok(())
    }

    fn create(
        &mut self,
        table: &str,
        day: Option<String>,
        part: &RecordBatch,
        columns: &[ColumnDef],
        constants: Vec<(usize, Const)>,
    ) -> Result<OpenFile> {
        self.seq += 1;
        let dir_rel = format!(
            "tables/{table}/day={}",
            day.clone().unwrap_or_else(|| "none".into())
        );
        let dir = self.store.root.join(&dir_rel);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let rel = format!("{dir_rel}/{}-{:05}.parquet", self.batch, self.seq);
        let path = self.store.root.join(&rel);
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            // Row-group min/max for non-text columns; page-level statistics (the page index
            // DataFusion prunes pages with) only for the time column queries filter on.
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_column_statistics_enabled(ColumnPath::from(TIME_COLUMN), EnabledStatistics::Page)
            .set_dictionary_page_size_limit(DICTIONARY_PAGE_BYTES)
            // Unique per row by construction: a dictionary would only be built to be dropped.
            .set_column_dictionary_enabled(ColumnPath::from(ITEM_ID_COLUMN), false);
        let unique = match self.unique.get(table) {
            Some(u) => u.clone(),
            None => {
                let u = mostly_unique(part);
                if let Some(u) = &u {
                    self.unique.insert(table.to_string(), u.clone());
                }
                u.unwrap_or_default()
            }
        };
        for name in unique {
            // Ids and other per-row values: no dictionary (it would be built, then dropped
            // at its size limit).
            props = props.set_column_dictionary_enabled(ColumnPath::from(name.as_str()), false);
        }
        for c in columns {
            // Event times are all but unique: a dictionary would only cost a hash per value.
            if c.ty() == engine::KqlType::DateTime {
                props =
                    props.set_column_dictionary_enabled(ColumnPath::from(c.name.as_str()), false);
            }
        }
        for field in part.schema().fields() {
            // Text min/max (names, ids, JSON) prunes nothing in logs that arrive in time
            // order, and costs a comparison per value.
            if matches!(field.data_type(), DataType::Utf8 | DataType::LargeUtf8) {
                props = props.set_column_statistics_enabled(
                    ColumnPath::from(field.name().as_str()),
                    EnabledStatistics::None,
                );
            }
        }
        if let Some(seen) = self.compression.get(table) {
            for (name, (before, after)) in seen {
                // Ids, hashes, event times: Snappy would spend its time for next to nothing.
                if *before >= COMPRESSION_SAMPLE_BYTES
                    && after * 100 > before * INCOMPRESSIBLE_PERCENT
                {
                    props = props.set_column_compression(
                        ColumnPath::from(name.as_str()),
                        Compression::UNCOMPRESSED,
                    );
                }
            }
        }
        let props = props.build();
        let stored = if constants.is_empty() {
            None
        } else {
            let keep: Vec<usize> = (0..part.num_columns())
                .filter(|i| !constants.iter().any(|(c, _)| c == i))
                .collect();
            let names: BTreeMap<&str, String> = constants
                .iter()
                .map(|(i, c)| (part.schema_ref().field(*i).name().as_str(), c.text()))
                .collect();
            let json = serde_json::to_string(&names)
                .map_err(|e| StoreError::Invalid(format!("constant columns: {e}")))?;
            let schema = part.schema().project(&keep)?;
            let mut metadata = schema.metadata().clone();
            metadata.insert(CONSTANTS_KEY.to_string(), json);
            Some((keep, Arc::new(schema.with_metadata(metadata))))
        };
        let file = std::fs::File::create(&path).map_err(|e| StoreError::io(&path, e))?;
        // Row groups reach the file whole at each flush: the buffer only gathers the small
        // writes of headers and the footer (one per open file, and dozens can be open).
        let out = std::io::BufWriter::with_capacity(64 << 10, file);
        let file_schema = match &stored {
            Some((_, schema)) => schema.clone(),
            None => part.schema(),
        };
        let writer = ArrowWriter::try_new(out, file_schema, Some(props))?;
        Ok(OpenFile {
            writer,
            schema: part.schema(),
            stored,
            constants,
            groups_seen: 0,
            columns: columns.to_vec(),
            rel,
            dir,
            day,
            ids: Vec::new(),
            rows: 0,
            min_time: None,
            max_time: None,
        })
    }

    /// Notes what `batch` says of each column of `table` (see [`Seen`]).
    fn note_values(&mut self, table: &str, batch: &RecordBatch) {
        let seen = self.seen.entry(table.to_string()).or_default();
        for (field, col) in batch.schema_ref().fields().iter().zip(batch.columns()) {
            let next = match seen.get_mut(field.name()) {
                Some(Seen::Varies) => continue,
                Some(Seen::Same(c, rows)) => {
                    if c.holds(col.as_ref()) {
                        *rows += col.len();
                        continue;
                    }
                    Seen::Varies
                }
                None => match Const::of(col.as_ref()) {
                    Some(c) => Seen::Same(c, col.len()),
                    None => Seen::Varies,
                },
            };
            seen.insert(field.name().clone(), next);
        }
    }

    /// The columns a new file of `table` leaves out: those that held one value in every row
    /// the transaction has written to the table so far, over enough rows to tell; never the
    /// time column or `_ItemId`; and at least one column is stored.
    fn constants_of(&self, table: &str, part: &RecordBatch) -> Vec<(usize, Const)> {
        let Some(seen) = self.seen.get(table) else {
            return Vec::new();
        };
        let mut out: Vec<(usize, Const)> = part
            .schema_ref()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name() != TIME_COLUMN && f.name() != ITEM_ID_COLUMN)
            .filter_map(|(i, f)| match seen.get(f.name()) {
                Some(Seen::Same(c, rows)) if *rows >= CONSTANT_SAMPLE_MIN => Some((i, c.clone())),
                _ => None,
            })
            .collect();
        if out.len() == part.num_columns() {
            out.remove(0);
        }
        out
    }

    /// Finishes an open file (footer, fsync, `_ItemId` sidecar) and lists it as pending.
    fn close(&mut self, table: &str, f: OpenFile) -> Result<()> {
        let done = finish_file(&self.store.root, f)?;
        self.add_pending(table, done)
    }

    fn add_pending(&mut self, table: &str, done: Finished) -> Result<()> {
        let slot = self
            .pending
            .entry(table.to_string())
            .or_insert_with(|| (Vec::new(), Vec::new()));
        merge_columns(table, &mut slot.0, &done.columns)?;
        slot.1.push(FileEntry {
            path: done.rel,
            day: done.day,
            rows: done.rows,
            min_time: done.min_time,
            max_time: done.max_time,
            bytes: done.bytes,
            constants: done.constants,
            ids: Some(done.ids_rel),
            batch: self.batch.clone(),
        });
        Ok(())
    }

    /// Finishes every open file (on every core: each file's last row group is encoded and
    /// the file fsynced independently) and makes their directory entries durable.
    fn close_all(&mut self) -> Result<()> {
        let open = std::mem::take(&mut self.open);
        let dirs: BTreeSet<PathBuf> = open.values().map(|f| f.dir.clone()).collect();
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(open.len())
            .max(1);
        // One queue, largest files first: each thread takes the next file when done with
        // one, so files of uneven size keep every thread busy to the end.
        let mut files: Vec<(usize, String, OpenFile)> = open
            .into_iter()
            .map(|((table, _), f)| (f.writer.memory_size(), table, f))
            .collect();
        files.sort_by_key(|(size, _, _)| std::cmp::Reverse(*size));
        let queue = std::sync::Mutex::new(files.into_iter());
        let root = self.store.root.clone();
        let results: Vec<Result<Vec<(String, Finished)>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    let (root, queue) = (&root, &queue);
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        loop {
                            let next = match queue.lock() {
                                Ok(mut q) => q.next(),
                                Err(_) => None,
                            };
                            let Some((_, table, f)) = next else {
                                return Ok(done);
                            };
                            done.push((table, finish_file(root, f)?));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(StoreError::Invalid("a file-closing thread failed".into()))
                    })
                })
                .collect()
        });
        // Files finished by one thread are listed even when another failed, so that the
        // transaction's drop removes them.
        let mut first_err = None;
        for r in results {
            match r {
                Ok(done) => {
                    for (table, d) in done {
                        self.add_pending(&table, d)?;
                    }
                }
                Err(e) => first_err = first_err.or(Some(e)),
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        for d in dirs {
            sync_dir(&d)?;
        }
        Ok(())
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
        let mut out: BTreeMap<String, u64> = self
            .pending
            .iter()
            .map(|(t, (_, f))| (t.clone(), f.iter().map(|f| f.rows).sum()))
            .collect();
        for ((t, _), f) in &self.open {
            *out.entry(t.clone()).or_default() += f.rows;
        }
        out
    }

    /// Publishes every file written by this transaction in one atomic manifest replacement.
    pub fn commit(mut self) -> Result<()> {
        self.close_all()?;
        self.pending.retain(|_, (_, files)| !files.is_empty());
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
        for f in std::mem::take(&mut self.open).into_values() {
            drop(f.writer);
            let _ = std::fs::remove_file(self.store.root.join(&f.rel));
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

impl OpenFile {
    /// Whether a column this file left out as constant does not hold its value in every
    /// row of `part` (a batch of the file's schema). Only columns `seen` no longer as
    /// constant in the table are looked at: the others hold their value by construction.
    fn constant_changed(&self, part: &RecordBatch, seen: Option<&HashMap<String, Seen>>) -> bool {
        self.constants.iter().any(|(i, c)| {
            let name = self.schema.field(*i).name();
            !matches!(seen.and_then(|s| s.get(name)), Some(Seen::Same(..)))
                && !c.holds(part.column(*i).as_ref())
        })
    }

    /// The columns left out, by name, with their values as text.
    fn constant_texts(&self) -> BTreeMap<String, String> {
        self.constants
            .iter()
            .map(|(i, c)| (self.schema.field(*i).name().clone(), c.text()))
            .collect()
    }
}

/// Adds the row groups `f` flushed since the last call to `table`'s compression record.
fn learn_compression(
    record: &mut BTreeMap<String, HashMap<String, (u64, u64)>>,
    table: &str,
    f: &mut OpenFile,
) {
    let groups = f.writer.flushed_row_groups();
    if groups.len() <= f.groups_seen {
        return;
    }
    let seen = record.entry(table.to_string()).or_default();
    for rg in &groups[f.groups_seen..] {
        for c in rg.columns() {
            if c.compression() == Compression::UNCOMPRESSED {
                continue;
            }
            let e = seen.entry(c.column_path().string()).or_default();
            e.0 += c.uncompressed_size().max(0) as u64;
            e.1 += c.compressed_size().max(0) as u64;
        }
    }
    f.groups_seen = groups.len();
}

/// What the batches of a table written so far say of a column.
enum Seen {
    /// One value in every row, over this many rows.
    Same(Const, usize),
    /// More than one value, or nulls.
    Varies,
}

/// A closed file, ready to be listed.
struct Finished {
    rel: String,
    ids_rel: String,
    columns: Vec<ColumnDef>,
    day: Option<String>,
    rows: u64,
    min_time: Option<i64>,
    max_time: Option<i64>,
    bytes: u64,
    constants: BTreeMap<String, String>,
}

/// Writes an open file's last row group and footer, fsyncs it and writes its `_ItemId`
/// sidecar.
fn finish_file(root: &Path, f: OpenFile) -> Result<Finished> {
    let path = root.join(&f.rel);
    let constants = f.constant_texts();
    let out = f.writer.into_inner()?;
    let file = out
        .into_inner()
        .map_err(|e| StoreError::io(&path, e.into_error()))?;
    file.sync_all().map_err(|e| StoreError::io(&path, e))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    drop(file);
    let ids_rel = format!("{}.ids", f.rel.trim_end_matches(".parquet"));
    write_ids(&root.join(&ids_rel), &f.ids)?;
    Ok(Finished {
        rel: f.rel,
        ids_rel,
        columns: f.columns,
        day: f.day,
        rows: f.rows,
        min_time: f.min_time,
        max_time: f.max_time,
        bytes,
        constants,
    })
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
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

/// The batch's rows by UTC day of the time column, in input order: the whole batch when it
/// holds one day (no copy), else one index list per day.
fn split_by_day(
    batch: &RecordBatch,
    time_idx: Option<usize>,
) -> Result<Vec<(Option<String>, Option<UInt32Array>)>> {
    let Some(ti) = time_idx else {
        return Ok(vec![(None, None)]);
    };
    let col = batch.column(ti);
    let Some(times) = col.as_any().downcast_ref::<Int64Array>() else {
        return Err(StoreError::Invalid(format!(
            "{TIME_COLUMN} must be stored as 100-ns ticks (Int64), found {}",
            col.data_type()
        )));
    };
    let day_of = |i: usize| (!times.is_null(i)).then(|| times.value(i).div_euclid(TICKS_PER_DAY));
    let first = day_of(0);
    if (1..times.len()).all(|i| day_of(i) == first) {
        return Ok(vec![(first.map(day_name), None)]);
    }
    let mut groups: BTreeMap<Option<i64>, Vec<u32>> = BTreeMap::new();
    for i in 0..times.len() {
        groups.entry(day_of(i)).or_default().push(i as u32);
    }
    Ok(groups
        .into_iter()
        .map(|(d, rows)| (d.map(day_name), Some(UInt32Array::from(rows))))
        .collect())
}

/// Rows a batch needs before its columns' cardinality is judged.
const CARDINALITY_SAMPLE_MIN: usize = 200;
/// Rows looked at to judge it.
const CARDINALITY_SAMPLE_MAX: usize = 2048;

/// The text columns of `batch` in which more than half of the sampled non-null values are
/// distinct; None when the batch is too small to tell.
fn mostly_unique(batch: &RecordBatch) -> Option<Vec<String>> {
    if batch.num_rows() < CARDINALITY_SAMPLE_MIN {
        return None;
    }
    let n = batch.num_rows().min(CARDINALITY_SAMPLE_MAX);
    let mut out = Vec::new();
    for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
        let Some(a) = col.as_any().downcast_ref::<StringArray>() else {
            continue;
        };
        let mut seen: HashSet<&str> = HashSet::with_capacity(n);
        let mut values = 0usize;
        for v in a.iter().take(n).flatten() {
            values += 1;
            seen.insert(v);
        }
        if values >= CARDINALITY_SAMPLE_MIN && seen.len() * 2 > values {
            out.push(field.name().clone());
        }
    }
    Some(out)
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
