//! Ingest: real export files → the store's tables.
//!
//! For each file: open it (gzip transparently), tell its shape (JSON, CSV, CEF lines) and its
//! format (from content, or `--format`), split it into records, map each record to table rows
//! ([`formats`]), type the rows by the table schema ([`buffer`]), and write them to the store in
//! one transaction per file: a file is fully ingested or not at all. Records that cannot be
//! taken go to the store's rejects file with their location and reason and are counted; rows
//! whose `_ItemId` the store already holds are skipped, so re-ingesting adds nothing.

pub mod buffer;
pub mod coerce;
pub mod formats;
pub mod itemid;
pub mod jsonscan;
pub mod rawjson;
pub mod rejects;
mod reuse;
pub mod schemas;
pub mod source;
pub mod summary;
#[cfg(test)]
mod testing;

use buffer::TableBuffer;
use engine::datafusion::arrow::array::{BooleanArray, RecordBatch};
use engine::datafusion::arrow::compute::filter_record_batch;
use formats::Row;
use formats::signin_plan::{Plans, SlotRow};
use formats::{Format, RawRow, Shape, Skip, Src};
use rejects::{Reject, Rejects};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use store::{ColumnDef, Store, Transaction};
pub use summary::{FileReport, Summary, TableCounts};

/// Hand a table's buffered rows to the writer past either bound, with one hand-over queued
/// at most (see `pipeline`): rows in flight are memory touched for the first time, the dearest
/// part of ingest on virtual machines (measured on the ingest benchmark: three queued
/// hand-overs held 60-150 MB more and spent more time). Halving the bounds saved another
/// 120 MB but cost 8% on records spread over many days (smaller one-day batches), and gained
/// nothing on time-ordered ones.
const FLUSH_ROWS: usize = 16 * 1024;
const FLUSH_BYTES: usize = 16 << 20;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A format name (see [`formats::FORMAT_NAMES`]) instead of detection.
    pub format: Option<String>,
    /// The destination table, for formats that take it from the data.
    pub table: Option<String>,
    /// Any reject fails its file.
    pub strict: bool,
}

/// Progress reported while ingesting: bytes read from input files so far, rows so far.
pub trait Progress {
    fn file_started(&mut self, _path: &Path, _size: u64) {}
    fn advance(&mut self, _bytes: u64, _rows: u64) {}
    fn file_done(&mut self, _report: &FileReport) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Ingests every file under `paths` into `store`.
pub fn ingest(
    store: &mut Store,
    paths: &[PathBuf],
    opts: &Options,
    progress: &mut dyn Progress,
) -> Result<Summary, String> {
    if let Some(f) = &opts.format
        && formats::shape_of(f).is_none()
    {
        let names: Vec<&str> = formats::FORMAT_NAMES.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "unknown format '{f}' (expected auto or one of: {})",
            names.join(", ")
        ));
    }
    let files = source::walk(paths)?;
    let named: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let mut rejects = Rejects::new(store.root());
    let mut ids = IdIndex::default();
    let mut summary = Summary::default();
    for path in files {
        let mut report = ingest_file(store, &path, opts, &mut ids, &mut rejects, progress);
        // Inside a directory, a file that is no export at all (a README, an image) is passed
        // over and listed; a file named on the command line must be an export.
        if !named.contains(path.as_path())
            && report
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("unrecognised file"))
        {
            report.skipped = report.error.take();
        }
        for (t, c) in &report.tables {
            let s = summary.tables.entry(t.clone()).or_default();
            s.rows += c.rows;
            s.duplicates += c.duplicates;
            s.rejected += c.rejected;
        }
        progress.file_done(&report);
        summary.files.push(report);
    }
    rejects
        .finish()
        .map_err(|e| format!("writing rejects: {e}"))?;
    summary.rejects_file = rejects.path().map(Path::to_path_buf);
    Ok(summary)
}

/// `_ItemId` hashes already in the store (loaded per table on first use) and those added by
/// the file in progress.
#[derive(Default)]
struct IdIndex {
    committed: HashMap<String, store::IdSet>,
    pending: HashMap<String, store::IdSet>,
}

impl IdIndex {
    /// Per id, whether it is new (new ones are then remembered as pending).
    fn insert_all(&mut self, store: &Store, table: &str, ids: &[u64]) -> Result<Vec<bool>, String> {
        if !self.committed.contains_key(table) {
            let set = store.load_ids(table).map_err(|e| e.to_string())?;
            self.committed.insert(table.to_string(), set);
        }
        if !self.pending.contains_key(table) {
            self.pending
                .insert(table.to_string(), store::IdSet::default());
        }
        let committed = self.committed.get(table);
        let Some(pending) = self.pending.get_mut(table) else {
            return Ok(vec![true; ids.len()]);
        };
        Ok(ids
            .iter()
            .map(|id| !committed.is_some_and(|s| s.contains(id)) && pending.insert(*id))
            .collect())
    }
    fn commit(&mut self) {
        for (t, ids) in self.pending.drain() {
            self.committed.entry(t).or_default().extend(ids);
        }
    }
    fn rollback(&mut self) {
        self.pending.clear();
    }
}

/// State of one file's ingest.
struct FileRun<'a> {
    path_text: Arc<str>,
    format_name: &'static str,
    report: FileReport,
    rejects: &'a mut Rejects,
    strict_failed: bool,
    strict: bool,
}

fn ingest_file(
    store: &mut Store,
    path: &Path,
    opts: &Options,
    ids: &mut IdIndex,
    rejects: &mut Rejects,
    progress: &mut dyn Progress,
) -> FileReport {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    progress.file_started(path, size);
    let mut run = FileRun {
        path_text: Arc::from(path.display().to_string()),
        format_name: "?",
        report: FileReport {
            path: path.to_path_buf(),
            bytes: size,
            ..FileReport::default()
        },
        rejects,
        strict_failed: false,
        strict: opts.strict,
    };
    let counter = Arc::new(AtomicU64::new(0));
    let result = (|| -> Result<(), String> {
        let mut reader = source::open(path, counter.clone())?;
        let shape = match &opts.format {
            Some(f) => formats::shape_of(f).unwrap_or(Shape::Json),
            None => source::sniff(&mut *reader).map_err(|e| format!("unrecognised file: {e}"))?,
        };
        let mut txn = store.begin();
        let res = pipeline(
            &mut run,
            &mut *reader,
            shape,
            opts,
            &mut txn,
            ids,
            &counter,
            progress,
        );
        res?;
        if run.strict_failed {
            return Err(format!(
                "--strict: {} record(s) rejected, file not ingested",
                run.report.rejected
            ));
        }
        txn.commit().map_err(|e| e.to_string())?;
        Ok(())
    })();
    run.report.format = run.format_name.to_string();
    match result {
        Ok(()) => ids.commit(),
        Err(e) => {
            ids.rollback();
            // Nothing of a failed file is stored: its row counts go.
            for c in run.report.tables.values_mut() {
                c.rows = 0;
                c.duplicates = 0;
            }
            run.report.rows = 0;
            run.report.error = Some(e);
        }
    }
    run.report
}

type Ids<'a> = &'a mut IdIndex;

fn pick_json_format(first: &Value, opts: &Options) -> Result<Box<dyn Format>, String> {
    if let Some(name) = &opts.format {
        return formats::by_name(name, opts.table.as_deref())
            .ok_or_else(|| format!("unknown format '{name}'"));
    }
    formats::detect_json(first, opts.table.as_deref()).ok_or_else(|| {
        let keys: Vec<String> = first
            .as_object()
            .map(|o| o.keys().take(8).cloned().collect())
            .unwrap_or_default();
        format!(
            "unrecognised file: JSON records with keys [{}] match no known export format (use --format/--table)",
            keys.join(", ")
        )
    })
}

/// What the reading side hands the writing side.
enum Item {
    /// The format was settled (sent before the first record it mapped).
    Format(&'static str),
    /// This many more source records were read.
    Records(u64),
    /// Typed rows of one table, with their `_ItemId` hashes.
    Batch {
        table: String,
        columns: Vec<ColumnDef>,
        batch: RecordBatch,
        ids: Vec<u64>,
        /// Where the written batch goes back to be freed (see [`Producer::returned`]).
        back: Option<std::sync::mpsc::Sender<RecordBatch>>,
    },
    Reject {
        raw: Vec<u8>,
        line: u64,
        offset: u64,
        table: Option<String>,
        reason: String,
    },
    Ignore(String),
}

const CHUNK_ITEMS: usize = 2048;

/// A source record on the fast path: its text, where it was, and what its validating walk
/// learnt of its members' value texts.
struct Record<'r> {
    raw: &'r [u8],
    line: u64,
    offset: u64,
    form: rawjson::Canonical,
}

/// The reading side: maps records to rows, types them into per-table Arrow buffers, and
/// hands full buffers (and rejects) to the writing side in chunks.
struct Producer<'a> {
    chunk: Vec<Item>,
    records: u64,
    tx: &'a std::sync::mpsc::SyncSender<Result<Vec<Item>, String>>,
    /// The store's columns per table when the file started.
    stored: &'a HashMap<String, Vec<ColumnDef>>,
    buffers: BTreeMap<String, TableBuffer>,
    /// Scratch for one record's rows.
    rows: Vec<Row>,
    /// Batches the writing side has written, sent back so that their memory is freed on the
    /// thread that allocated it: the allocator then reuses it for the next batches instead of
    /// taking fresh pages from the OS.
    returned: std::sync::mpsc::Receiver<RecordBatch>,
    give_back: std::sync::mpsc::Sender<RecordBatch>,
    /// Compiled mappings of the record shapes seen (see [`formats::signin_plan`]).
    plans: Plans,
    /// The allocation of the last record's row, kept for the next.
    spare_row: SlotRow<'static>,
    /// The allocation of the last record's member list, kept for the next.
    spare_members: rawjson::Members<'static>,
}

impl<'a> Producer<'a> {
    fn new(
        tx: &'a std::sync::mpsc::SyncSender<Result<Vec<Item>, String>>,
        stored: &'a HashMap<String, Vec<ColumnDef>>,
    ) -> Self {
        let (give_back, returned) = std::sync::mpsc::channel();
        Producer {
            chunk: Vec::new(),
            records: 0,
            tx,
            stored,
            buffers: BTreeMap::new(),
            rows: Vec::new(),
            returned,
            give_back,
            plans: Plans::default(),
            spare_row: SlotRow::default(),
            spare_members: Vec::new(),
        }
    }

    /// Frees the batches the writing side has given back since the last call.
    fn free_returned(&mut self) {
        while let Ok(done) = self.returned.try_recv() {
            drop(done);
        }
    }

    /// Queues an item; false when the writing side has stopped listening.
    fn push(&mut self, item: Item) -> bool {
        let urgent = matches!(item, Item::Batch { .. });
        self.chunk.push(item);
        if urgent || self.chunk.len() >= CHUNK_ITEMS {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.records > 0 {
            let n = std::mem::take(&mut self.records);
            self.chunk.push(Item::Records(n));
        }
        if self.chunk.is_empty() {
            return true;
        }
        let c = std::mem::take(&mut self.chunk);
        self.tx.send(Ok(c)).is_ok()
    }

    fn reject(&mut self, raw: &[u8], line: u64, offset: u64, reason: String) -> bool {
        self.records += 1;
        self.push(Item::Reject {
            raw: raw.to_vec(),
            line,
            offset,
            table: None,
            reason,
        })
    }

    /// Maps a parsed record and takes its rows.
    fn record(&mut self, f: &dyn Format, value: Value, raw: &[u8], line: u64, offset: u64) -> bool {
        self.records += 1;
        let mut rows = std::mem::take(&mut self.rows);
        rows.clear();
        let ok = match f.map(value, &mut rows) {
            Ok(()) => {
                let raws: Vec<RawRow> = rows.drain(..).map(RawRow::from_row).collect();
                self.accept(raws, raw, line, offset)
            }
            Err(skip) => self.skip(skip, raw, line, offset),
        };
        self.rows = rows;
        ok
    }

    /// Maps a record on the fast path (values borrowed from `text`) and takes its rows.
    fn record_raw(&mut self, f: &dyn Format, text: &str, line: u64, offset: u64) -> bool {
        self.records += 1;
        let mut members = reuse::emptied(std::mem::take(&mut self.spare_members), no_member);
        let form = match rawjson::object_members_into(text, &mut members) {
            Ok(form) => form,
            Err(e) => {
                self.spare_members = reuse::emptied(members, no_member);
                return self.push(Item::Reject {
                    raw: text.as_bytes().to_vec(),
                    line,
                    offset,
                    table: None,
                    reason: format!("invalid JSON: {e}"),
                });
            }
        };
        let mut row = SlotRow::reuse(std::mem::take(&mut self.spare_row));
        let planned = f.map_planned(&members, &mut self.plans, &mut row);
        let ok = match planned {
            Some(Ok(plan)) => {
                let rec = Record {
                    raw: text.as_bytes(),
                    line,
                    offset,
                    form,
                };
                self.accept_planned(plan, &mut row, rec)
            }
            Some(Err(skip)) => self.skip(skip, text.as_bytes(), line, offset),
            None => {
                let mut rows = Vec::with_capacity(1);
                match f.map_raw(&members, &mut rows) {
                    Ok(()) => self.accept(rows, text.as_bytes(), line, offset),
                    Err(skip) => self.skip(skip, text.as_bytes(), line, offset),
                }
            }
        };
        self.spare_row = SlotRow::reuse(row);
        self.spare_members = reuse::emptied(members, no_member);
        ok
    }

    /// [`Self::accept`] for a record mapped by plan `plan` into `row`.
    fn accept_planned(&mut self, plan: usize, row: &mut SlotRow<'_>, rec: Record<'_>) -> bool {
        let Record {
            raw,
            line,
            offset,
            form,
        } = rec;
        let Some(p) = self.plans.get_mut(plan) else {
            return true;
        };
        let table = p.table;
        let hash = match given_id_hash(row.get(p.item_id_slot())) {
            Some(h) => h,
            None => {
                let id = itemid::item_id(table, itemid::base_hash(raw), 0);
                let hash = itemid::id_hash(&id);
                row.set(p.item_id_slot(), Src::Text(id.into()));
                hash
            }
        };
        row.set(p.type_slot(), Src::Text(std::borrow::Cow::Borrowed(table)));
        let Some(buf) = table_buffer(&mut self.buffers, self.stored, table) else {
            return true;
        };
        let pushed = buf.push_slots(p, row, hash, form);
        self.pushed(table, pushed, raw, line, offset)
    }

    fn skip(&mut self, skip: Skip, raw: &[u8], line: u64, offset: u64) -> bool {
        match skip {
            Skip::Reject(reason) => self.push(Item::Reject {
                raw: raw.to_vec(),
                line,
                offset,
                table: None,
                reason,
            }),
            Skip::Ignore(why) => self.push(Item::Ignore(why)),
        }
    }

    /// Gives each row its `_ItemId` and `Type` and types it into its table's buffer; a row
    /// whose values do not fit its columns is rejected (the record's other rows stay).
    fn accept(&mut self, rows: Vec<RawRow>, raw: &[u8], line: u64, offset: u64) -> bool {
        let base = itemid::base_hash(raw);
        let many = rows.len() > 1;
        for (i, mut row) in rows.into_iter().enumerate() {
            let hash = match given_id_hash(row.get("_ItemId")) {
                Some(h) => h,
                None => {
                    let id = itemid::item_id(&row.table, base, if many { i as u32 } else { 0 });
                    let hash = itemid::id_hash(&id);
                    row.set("_ItemId", Src::Text(id.into()));
                    hash
                }
            };
            row.set("Type", Src::Text(row.table.clone()));
            let Some(buf) = table_buffer(&mut self.buffers, self.stored, &row.table) else {
                continue;
            };
            let pushed = buf.push_raw(&row, hash);
            if !self.pushed(&row.table, pushed, raw, line, offset) {
                return false;
            }
        }
        true
    }

    /// After a row was offered to `table`'s buffer: hands the buffer over when full, or
    /// rejects the record when the row did not fit.
    fn pushed(
        &mut self,
        table: &str,
        pushed: Result<(), String>,
        raw: &[u8],
        line: u64,
        offset: u64,
    ) -> bool {
        match pushed {
            Ok(()) => {
                let due = self
                    .buffers
                    .get(table)
                    .is_some_and(|b| b.rows() >= FLUSH_ROWS || b.approx_bytes() >= FLUSH_BYTES);
                !due || self.flush_table(table)
            }
            Err(reason) => self.push(Item::Reject {
                raw: raw.to_vec(),
                line,
                offset,
                table: Some(table.to_string()),
                reason,
            }),
        }
    }

    fn flush_table(&mut self, table: &str) -> bool {
        let Some(buf) = self.buffers.get_mut(table) else {
            return true;
        };
        if buf.rows() == 0 {
            return true;
        }
        self.free_returned();
        let Some(buf) = self.buffers.get_mut(table) else {
            return true;
        };
        match buf.take_days() {
            Ok(days) => {
                // All days in one hand-over: the writing side takes them in one go rather
                // than this thread waiting on it batch by batch.
                for (columns, batch, ids) in days {
                    self.chunk.push(Item::Batch {
                        table: table.to_string(),
                        columns,
                        batch,
                        ids,
                        back: Some(self.give_back.clone()),
                    });
                }
                self.flush()
            }
            Err(e) => {
                self.flush();
                let _ = self.tx.send(Err(e));
                false
            }
        }
    }

    /// Hands every buffered row to the writing side.
    fn finish(&mut self) -> bool {
        let tables: Vec<String> = self.buffers.keys().cloned().collect();
        for t in tables {
            if !self.flush_table(&t) {
                return false;
            }
        }
        self.flush()
    }
}

/// `table`'s buffer, made on first use with the store's columns (else the schema's).
fn table_buffer<'b>(
    buffers: &'b mut BTreeMap<String, TableBuffer>,
    stored: &HashMap<String, Vec<ColumnDef>>,
    table: &str,
) -> Option<&'b mut TableBuffer> {
    if !buffers.contains_key(table) {
        let cols = initial_columns(stored.get(table), table);
        buffers.insert(table.to_string(), TableBuffer::new(table, cols));
    }
    buffers.get_mut(table)
}

/// An element of an emptied member list (never made: see [`reuse::emptied`]).
fn no_member<'a>() -> (std::borrow::Cow<'a, str>, &'a str) {
    (std::borrow::Cow::Borrowed(""), "")
}

/// The id hash of an `_ItemId` the record carries itself (Log Analytics exports), if any.
fn given_id_hash(v: Option<&Src>) -> Option<u64> {
    let text = match v? {
        Src::Json(r) => rawjson::as_str(r)?,
        Src::Text(t) => std::borrow::Cow::Borrowed(t.as_ref()),
        Src::Value(v) => std::borrow::Cow::Borrowed(v.as_str()?),
    };
    (!text.is_empty()).then(|| itemid::id_hash(&text))
}

/// Reads, maps and types on one thread while this one de-duplicates and writes: the two
/// halves of ingest each get a core.
#[allow(clippy::too_many_arguments)]
fn pipeline(
    run: &mut FileRun,
    reader: &mut (dyn BufRead + Send),
    shape: Shape,
    opts: &Options,
    txn: &mut Transaction,
    ids: Ids,
    counter: &AtomicU64,
    progress: &mut dyn Progress,
) -> Result<(), String> {
    // One hand-over waits while the writer works on another (see FLUSH_ROWS).
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Item>, String>>(1);
    let stored: HashMap<String, Vec<ColumnDef>> = txn
        .store()
        .manifest()
        .tables
        .iter()
        .map(|(name, t)| (name.clone(), t.columns.clone()))
        .collect();
    std::thread::scope(|scope| {
        let stored = &stored;
        let producer = scope.spawn(move || {
            let mut p = Producer::new(&tx, stored);
            let res = match shape {
                Shape::Json => produce_json(reader, opts, &mut p),
                Shape::Csv => produce_csv(reader, opts, &mut p),
                Shape::Lines => produce_lines(reader, opts, &mut p),
            };
            match res {
                Ok(()) => {
                    p.finish();
                }
                Err(e) => {
                    p.flush();
                    let _ = tx.send(Err(e));
                }
            }
        });
        let mut outcome = Ok(());
        for msg in rx.iter() {
            let chunk = match msg {
                Ok(c) => c,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
            if let Err(e) = consume(run, chunk, txn, ids) {
                outcome = Err(e);
                break;
            }
            progress.advance(counter.load(Ordering::Relaxed), run.report.rows);
        }
        // Stop the reader (its sends fail once the receiver is gone) and wait for it.
        drop(rx);
        if producer.join().is_err() {
            outcome = Err("the reading thread failed".into());
        }
        outcome
    })
}

fn consume(
    run: &mut FileRun,
    chunk: Vec<Item>,
    txn: &mut Transaction,
    ids: Ids,
) -> Result<(), String> {
    for item in chunk {
        match item {
            Item::Format(name) => run.format_name = name,
            Item::Records(n) => run.report.records += n,
            Item::Batch {
                table,
                columns,
                batch,
                ids: row_ids,
                back,
            } => {
                let written = write_batch(run, &table, &columns, batch, row_ids, txn, ids)?;
                if let Some(back) = back {
                    // The producer may be gone (then the batch is freed here).
                    let _ = back.send(written);
                }
            }
            Item::Reject {
                raw,
                line,
                offset,
                table,
                reason,
            } => reject(run, &raw, line, offset, table.as_deref(), reason)?,
            Item::Ignore(why) => {
                *run.report.ignored.entry(why).or_default() += 1;
            }
        }
    }
    Ok(())
}

/// Writes a batch of typed rows, leaving out rows whose `_ItemId` the store (or this file)
/// already holds. Gives the batch back (for freeing where it was made).
fn write_batch(
    run: &mut FileRun,
    table: &str,
    columns: &[ColumnDef],
    batch: RecordBatch,
    row_ids: Vec<u64>,
    txn: &mut Transaction,
    ids: Ids,
) -> Result<RecordBatch, String> {
    let keep = ids.insert_all(txn.store(), table, &row_ids)?;
    let dups = keep.iter().filter(|k| !**k).count();
    let (kept_batch, row_ids) = if dups == 0 {
        (batch.clone(), row_ids)
    } else {
        let mask = BooleanArray::from(keep.clone());
        let kept = filter_record_batch(&batch, &mask).map_err(|e| e.to_string())?;
        let kept_ids: Vec<u64> = row_ids
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(i, _)| *i)
            .collect();
        (kept, kept_ids)
    };
    let added = kept_batch.num_rows() as u64;
    run.report.duplicates += dups as u64;
    run.report.rows += added;
    let counts = run.report.tables.entry(table.to_string()).or_default();
    counts.duplicates += dups as u64;
    counts.rows += added;
    if added > 0 {
        txn.write(table, columns, &kept_batch, &row_ids)
            .map_err(|e| e.to_string())?;
    }
    drop(kept_batch);
    Ok(batch)
}

fn produce_json(reader: &mut dyn BufRead, opts: &Options, p: &mut Producer) -> Result<(), String> {
    let mut scan = jsonscan::JsonRecords::new(reader);
    let mut format: Option<Box<dyn Format>> = None;
    // The first record decides the format.
    while format.is_none() {
        let Some(item) = scan.next_item().map_err(|e| e.to_string())? else {
            p.push(Item::Format("json"));
            return Ok(());
        };
        let raw = match item {
            jsonscan::ScanItem::Record(r) => r,
            jsonscan::ScanItem::Malformed { raw, reason } => {
                if !p.reject(&raw.bytes, raw.line, raw.offset, reason) {
                    return Ok(());
                }
                continue;
            }
        };
        let value: Value = serde_json::from_slice(&raw.bytes).map_err(|e| {
            format!(
                "unrecognised file: the first record at line {} is not JSON ({e})",
                raw.line
            )
        })?;
        if !value.is_object() {
            if !p.reject(
                &raw.bytes,
                raw.line,
                raw.offset,
                "expected a JSON object as a record".into(),
            ) {
                return Ok(());
            }
            continue;
        }
        let f = pick_json_format(&value, opts)?;
        p.push(Item::Format(f.name()));
        if !map_record(p, f.as_ref(), &raw.bytes, raw.line, raw.offset) {
            return Ok(());
        }
        format = Some(f);
    }
    let Some(f) = format.as_deref() else {
        return Ok(());
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    if !f.raw() || workers < 2 {
        while let Some(item) = scan.next_item().map_err(|e| e.to_string())? {
            let (bytes, go_on) = scanned(p, f, item);
            if !go_on {
                return Ok(());
            }
            scan.recycle(bytes);
        }
        return Ok(());
    }
    // The fast path maps on every core: this thread splits records off the input and hands
    // them out in pieces; each mapping thread types rows into its own table buffers.
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<Work>(workers * 2);
    let work_rx = std::sync::Mutex::new(work_rx);
    // Set when the writing side stopped listening: the mappers then only drain their queue.
    let stopped = std::sync::atomic::AtomicBool::new(false);
    // Work goes back to this thread once mapped, with its buffers: the next records are read
    // into them instead of fresh memory.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (work_rx, stopped) = (&work_rx, &stopped);
            let (tx, stored) = (p.tx, p.stored);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let mut wp = Producer::new(tx, stored);
                loop {
                    let work = match work_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(work) = work else { break };
                    if stopped.load(Ordering::Relaxed) {
                        continue;
                    }
                    let (done, go_on) = map_work(&mut wp, f, work);
                    if !go_on {
                        stopped.store(true, Ordering::Relaxed);
                    }
                    let _ = done_tx.send(done);
                }
                if !stopped.load(Ordering::Relaxed) {
                    wp.finish();
                }
            });
        }
        drop(done_tx);
        let mut piece = Vec::with_capacity(WORK_RECORDS);
        let mut empty: Vec<Vec<jsonscan::ScanItem>> = Vec::new();
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        let res = (|| -> Result<(), String> {
            let send = |work: Work| !stopped.load(Ordering::Relaxed) && work_tx.send(work).is_ok();
            loop {
                // One value per line: whole blocks of lines, split by the mapping threads.
                if scan.line_mode() {
                    if !piece.is_empty() {
                        let next = empty
                            .pop()
                            .unwrap_or_else(|| Vec::with_capacity(WORK_RECORDS));
                        if !send(Work::Items(std::mem::replace(&mut piece, next))) {
                            return Ok(());
                        }
                    }
                    let buf = blocks.pop().unwrap_or_default();
                    if let Some(block) = scan.next_block(buf).map_err(|e| e.to_string())? {
                        if !send(Work::Block(block)) {
                            return Ok(());
                        }
                        reclaim(&done_rx, &mut scan, &mut empty, &mut blocks, workers * 4);
                        continue;
                    }
                }
                let Some(item) = scan.next_item().map_err(|e| e.to_string())? else {
                    break;
                };
                piece.push(item);
                if piece.len() >= WORK_RECORDS {
                    let next = empty
                        .pop()
                        .unwrap_or_else(|| Vec::with_capacity(WORK_RECORDS));
                    if !send(Work::Items(std::mem::replace(&mut piece, next))) {
                        return Ok(());
                    }
                    reclaim(&done_rx, &mut scan, &mut empty, &mut blocks, workers * 4);
                }
            }
            if !piece.is_empty() {
                send(Work::Items(piece));
            }
            Ok(())
        })();
        drop(work_tx);
        res
    })
}

/// Records per piece of work handed to a mapping thread.
const WORK_RECORDS: usize = 512;

/// Line blocks larger than this (made by a very long line) are not kept for reuse.
const BLOCK_KEEP: usize = 4 << 20;

/// A piece of work for a mapping thread.
enum Work {
    /// Records (or malformed stretches) the scanner split off.
    Items(Vec<jsonscan::ScanItem>),
    /// Whole lines of NDJSON input, split by the mapping thread.
    Block(jsonscan::LineBlock),
}

/// Work mapped, given back for its memory: the emptied piece and its records' buffers, or
/// the block.
enum Done {
    Items(Vec<jsonscan::ScanItem>, Vec<Vec<u8>>),
    Block(Vec<u8>),
}

/// Takes back the memory of work mapped since the last call: emptied pieces, record buffers
/// (for the scanner to read into) and line blocks (at most `max_blocks`).
fn reclaim<R: BufRead>(
    done: &std::sync::mpsc::Receiver<Done>,
    scan: &mut jsonscan::JsonRecords<R>,
    empty: &mut Vec<Vec<jsonscan::ScanItem>>,
    blocks: &mut Vec<Vec<u8>>,
    max_blocks: usize,
) {
    while let Ok(d) = done.try_recv() {
        match d {
            Done::Items(p, buffers) => {
                empty.push(p);
                for b in buffers {
                    scan.recycle(b);
                }
            }
            Done::Block(b) if blocks.len() < max_blocks && b.capacity() <= BLOCK_KEEP => {
                blocks.push(b)
            }
            Done::Block(_) => {}
        }
    }
}

/// Maps a piece of work; says whether to go on.
fn map_work(p: &mut Producer, f: &dyn Format, work: Work) -> (Done, bool) {
    // Batches written since the last piece are freed now rather than at this thread's next
    // hand-over: until then they would count towards the peak memory.
    p.free_returned();
    match work {
        Work::Items(mut piece) => {
            let mut buffers = Vec::with_capacity(piece.len());
            let mut go_on = true;
            for item in piece.drain(..) {
                let (bytes, ok) = scanned(p, f, item);
                buffers.push(bytes);
                if !ok {
                    go_on = false;
                    break;
                }
            }
            (Done::Items(piece, buffers), go_on)
        }
        Work::Block(block) => {
            let mut go_on = true;
            for line in jsonscan::block_lines(&block) {
                go_on = if jsonscan::needs_expanding(line.bytes) {
                    let raw = jsonscan::RawRecord {
                        bytes: line.bytes.to_vec(),
                        line: line.line,
                        offset: line.offset,
                    };
                    jsonscan::expand_line(raw)
                        .into_iter()
                        .all(|item| scanned(p, f, item).1)
                } else {
                    map_record(p, f, line.bytes, line.line, line.offset)
                };
                if !go_on {
                    break;
                }
            }
            (Done::Block(block.bytes), go_on)
        }
    }
}

/// Takes one item the scanner produced: a record to map, or malformed text to reject. Gives
/// back the item's buffer (for the scanner to reuse) and whether to go on.
fn scanned(p: &mut Producer, f: &dyn Format, item: jsonscan::ScanItem) -> (Vec<u8>, bool) {
    match item {
        jsonscan::ScanItem::Record(raw) => {
            let go_on = map_record(p, f, &raw.bytes, raw.line, raw.offset);
            (raw.bytes, go_on)
        }
        jsonscan::ScanItem::Malformed { raw, reason } => {
            let go_on = p.reject(&raw.bytes, raw.line, raw.offset, reason);
            (raw.bytes, go_on)
        }
    }
}

/// Maps one JSON record: on the fast path when the format has one, else parsed in full.
fn map_record(p: &mut Producer, f: &dyn Format, bytes: &[u8], line: u64, offset: u64) -> bool {
    if f.raw() {
        // SIMD validation first (records are mostly ASCII); std's only to explain a failure.
        let text = simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes));
        return match text {
            Ok(text) => p.record_raw(f, text, line, offset),
            Err(e) => p.reject(
                bytes,
                line,
                offset,
                format!("invalid JSON: the record is not UTF-8 ({e})"),
            ),
        };
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.is_object() => p.record(f, v, bytes, line, offset),
        Ok(_) => p.reject(
            bytes,
            line,
            offset,
            "expected a JSON object as a record".into(),
        ),
        Err(e) => p.reject(bytes, line, offset, format!("invalid JSON: {e}")),
    }
}

fn produce_csv(reader: &mut dyn BufRead, opts: &Options, p: &mut Producer) -> Result<(), String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("unrecognised file: reading the CSV header: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let format: Box<dyn Format> = match &opts.format {
        Some(name) => formats::by_name(name, opts.table.as_deref())
            .ok_or_else(|| format!("unknown format '{name}'"))?,
        None => formats::detect_csv(&headers, opts.table.as_deref()).ok_or_else(|| {
            format!(
                "unrecognised file: a CSV whose header [{}] matches no known export format (use --format/--table)",
                headers.iter().take(8).cloned().collect::<Vec<_>>().join(", ")
            )
        })?,
    };
    p.push(Item::Format(format.name()));
    let mut rec = csv::ByteRecord::new();
    loop {
        let (line, offset) = match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => rec
                .position()
                .map(|p| (p.line(), p.byte()))
                .unwrap_or((0, 0)),
            Err(e) => {
                let (line, offset) = e.position().map(|p| (p.line(), p.byte())).unwrap_or((0, 0));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(format!("line {line}: {e}"));
                }
                if !p.reject(&[], line, offset, format!("malformed CSV: {e}")) {
                    return Ok(());
                }
                continue;
            }
        };
        let raw = csv_text(&rec);
        let mut obj = Map::new();
        let mut bad_utf8 = false;
        for (i, field) in rec.iter().enumerate() {
            let Ok(text) = std::str::from_utf8(field) else {
                bad_utf8 = true;
                break;
            };
            let key = headers
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("Column{}", i + 1));
            match obj.get(&key) {
                // A repeated header: keep the first non-empty value.
                Some(Value::String(prev)) if !prev.is_empty() => {}
                _ => {
                    obj.insert(key, Value::String(text.to_string()));
                }
            }
        }
        let problem = if bad_utf8 {
            Some("a cell is not valid UTF-8".to_string())
        } else if rec.len() > headers.len() && rec.iter().skip(headers.len()).any(|f| !f.is_empty())
        {
            Some(format!(
                "the row has {} fields but the header has {}",
                rec.len(),
                headers.len()
            ))
        } else {
            None
        };
        let ok = match problem {
            Some(reason) => p.reject(&raw, line, offset, reason),
            None => p.record(format.as_ref(), Value::Object(obj), &raw, line, offset),
        };
        if !ok {
            return Ok(());
        }
    }
    Ok(())
}

/// A CSV record as text, for hashing and for the rejects file.
fn csv_text(rec: &csv::ByteRecord) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_byte_record(rec);
    let mut out = w.into_inner().unwrap_or_default();
    while out.last() == Some(&b'\n') || out.last() == Some(&b'\r') {
        out.pop();
    }
    out
}

fn produce_lines(reader: &mut dyn BufRead, opts: &Options, p: &mut Producer) -> Result<(), String> {
    let mut format: Option<Box<dyn Format>> = match &opts.format {
        Some(name) => Some(
            formats::by_name(name, opts.table.as_deref())
                .ok_or_else(|| format!("unknown format '{name}'"))?,
        ),
        None => None,
    };
    if let Some(f) = &format {
        p.push(Item::Format(f.name()));
    }
    let mut line_no = 0u64;
    let mut offset = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("line {}: {e}", line_no + 1))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let start = offset;
        offset += n as u64;
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            continue;
        }
        if format.is_none() {
            let f = formats::detect_lines(line).ok_or_else(|| {
                format!("unrecognised file: line {line_no} is not a CEF or syslog record")
            })?;
            p.push(Item::Format(f.name()));
            format = Some(f);
        }
        let Some(f) = format.as_deref() else { continue };
        let raw = line.as_bytes().to_vec();
        if !p.record(f, Value::String(line.to_string()), &raw, line_no, start) {
            return Ok(());
        }
    }
    Ok(())
}

fn reject(
    run: &mut FileRun,
    raw: &[u8],
    line: u64,
    offset: u64,
    table: Option<&str>,
    reason: String,
) -> Result<(), String> {
    run.report.rejected += 1;
    let t = table.unwrap_or("(none)").to_string();
    run.report.tables.entry(t).or_default().rejected += 1;
    if run.strict {
        run.strict_failed = true;
    }
    run.rejects
        .add(&Reject {
            file: &run.path_text,
            line,
            offset,
            format: run.format_name,
            table,
            reason: &reason,
            record: &String::from_utf8_lossy(raw),
        })
        .map_err(|e| format!("writing the rejects file: {e}"))
}

/// The columns a table's buffer starts with: the store's (so types stay as stored), then the
/// known schema's.
fn initial_columns(stored: Option<&Vec<ColumnDef>>, table: &str) -> Vec<ColumnDef> {
    let mut cols: Vec<ColumnDef> = stored.cloned().unwrap_or_default();
    if let Some(s) = schemas::known(table) {
        for (n, t) in &s.columns {
            if !cols.iter().any(|c| &c.name == n) {
                cols.push(ColumnDef::new(n, *t));
            }
        }
    }
    cols
}
