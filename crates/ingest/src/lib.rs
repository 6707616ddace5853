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
pub mod rejects;
pub mod schemas;
pub mod source;
pub mod summary;

use buffer::TableBuffer;
use formats::{Format, Row, Shape, Skip};
use rejects::{Reject, Rejects};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use store::{ColumnDef, Store, Transaction};
pub use summary::{FileReport, Summary, TableCounts};

/// Flush a table's buffered rows to a Parquet file past either bound.
const FLUSH_ROWS: usize = 256 * 1024;
const FLUSH_BYTES: usize = 96 << 20;

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
    committed: HashMap<String, HashSet<u64>>,
    pending: HashMap<String, HashSet<u64>>,
}

impl IdIndex {
    /// Whether the id is new (and then remembers it as pending).
    fn insert(&mut self, store: &Store, table: &str, id: u64) -> Result<bool, String> {
        if !self.committed.contains_key(table) {
            let set = store.load_ids(table).map_err(|e| e.to_string())?;
            self.committed.insert(table.to_string(), set);
        }
        if self.committed.get(table).is_some_and(|s| s.contains(&id)) {
            return Ok(false);
        }
        Ok(self
            .pending
            .entry(table.to_string())
            .or_default()
            .insert(id))
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
    buffers: BTreeMap<String, TableBuffer>,
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
        buffers: BTreeMap::new(),
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
        flush_all(&mut run, &mut txn, true)?;
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

/// What the reading side hands the writing side for each source record.
enum Item {
    Rows {
        rows: Vec<Row>,
        base: u128,
        raw: Vec<u8>,
        line: u64,
        offset: u64,
    },
    Reject {
        raw: Vec<u8>,
        line: u64,
        offset: u64,
        reason: String,
    },
    Ignore(String),
    /// The format was settled (sent before the first record it mapped).
    Format(&'static str),
}

/// Collects items into chunks for the channel.
struct Sink<'a> {
    chunk: Vec<Item>,
    tx: &'a std::sync::mpsc::SyncSender<Result<Vec<Item>, String>>,
}

const CHUNK_ITEMS: usize = 2048;

impl Sink<'_> {
    /// Queues an item; false when the writing side has stopped listening.
    fn push(&mut self, item: Item) -> bool {
        self.chunk.push(item);
        if self.chunk.len() >= CHUNK_ITEMS {
            return self.flush();
        }
        true
    }
    fn flush(&mut self) -> bool {
        if self.chunk.is_empty() {
            return true;
        }
        let c = std::mem::take(&mut self.chunk);
        self.tx.send(Ok(c)).is_ok()
    }
    fn record(
        &mut self,
        f: &dyn Format,
        value: Value,
        raw: Vec<u8>,
        line: u64,
        offset: u64,
    ) -> bool {
        let mut rows = Vec::new();
        match f.map(value, &mut rows) {
            Ok(()) => {
                let base = itemid::base_hash(&raw);
                self.push(Item::Rows {
                    rows,
                    base,
                    raw,
                    line,
                    offset,
                })
            }
            Err(Skip::Reject(reason)) => self.push(Item::Reject {
                raw,
                line,
                offset,
                reason,
            }),
            Err(Skip::Ignore(why)) => self.push(Item::Ignore(why)),
        }
    }
}

/// Reads and maps on one thread while this one types, de-duplicates and writes: the two
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
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Item>, String>>(4);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut sink = Sink {
                chunk: Vec::new(),
                tx: &tx,
            };
            let res = match shape {
                Shape::Json => produce_json(reader, opts, &mut sink),
                Shape::Csv => produce_csv(reader, opts, &mut sink),
                Shape::Lines => produce_lines(reader, opts, &mut sink),
            };
            match res {
                Ok(()) => {
                    sink.flush();
                }
                Err(e) => {
                    sink.flush();
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
            Item::Rows {
                mut rows,
                base,
                raw,
                line,
                offset,
            } => {
                run.report.records += 1;
                accept(run, &mut rows, base, &raw, line, offset, txn, ids)?;
            }
            Item::Reject {
                raw,
                line,
                offset,
                reason,
            } => {
                run.report.records += 1;
                reject(run, &raw, line, offset, None, reason)?;
            }
            Item::Ignore(why) => {
                run.report.records += 1;
                *run.report.ignored.entry(why).or_default() += 1;
            }
        }
    }
    Ok(())
}

fn produce_json(reader: &mut dyn BufRead, opts: &Options, sink: &mut Sink) -> Result<(), String> {
    let mut scan = jsonscan::JsonRecords::new(reader);
    let mut format: Option<Box<dyn Format>> = None;
    let mut first = true;
    while let Some(item) = scan.next_item().map_err(|e| e.to_string())? {
        let raw = match item {
            jsonscan::ScanItem::Record(r) => r,
            jsonscan::ScanItem::Malformed { raw, reason } => {
                if !sink.push(Item::Reject {
                    raw: raw.bytes,
                    line: raw.line,
                    offset: raw.offset,
                    reason,
                }) {
                    return Ok(());
                }
                continue;
            }
        };
        let value: Value = match serde_json::from_slice(&raw.bytes) {
            Ok(v) => v,
            Err(e) => {
                if first {
                    return Err(format!(
                        "unrecognised file: the first record at line {} is not JSON ({e})",
                        raw.line
                    ));
                }
                if !sink.push(Item::Reject {
                    raw: raw.bytes,
                    line: raw.line,
                    offset: raw.offset,
                    reason: format!("invalid JSON: {e}"),
                }) {
                    return Ok(());
                }
                continue;
            }
        };
        first = false;
        if !value.is_object() {
            if !sink.push(Item::Reject {
                raw: raw.bytes,
                line: raw.line,
                offset: raw.offset,
                reason: "expected a JSON object as a record".into(),
            }) {
                return Ok(());
            }
            continue;
        }
        if format.is_none() {
            let f = pick_json_format(&value, opts)?;
            sink.push(Item::Format(f.name()));
            format = Some(f);
        }
        let Some(f) = format.as_deref() else { continue };
        if !sink.record(f, value, raw.bytes, raw.line, raw.offset) {
            return Ok(());
        }
    }
    if format.is_none() {
        sink.push(Item::Format("json"));
    }
    Ok(())
}

fn produce_csv(reader: &mut dyn BufRead, opts: &Options, sink: &mut Sink) -> Result<(), String> {
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
    sink.push(Item::Format(format.name()));
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
                if !sink.push(Item::Reject {
                    raw: Vec::new(),
                    line,
                    offset,
                    reason: format!("malformed CSV: {e}"),
                }) {
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
            Some(reason) => sink.push(Item::Reject {
                raw,
                line,
                offset,
                reason,
            }),
            None => sink.record(format.as_ref(), Value::Object(obj), raw, line, offset),
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

fn produce_lines(reader: &mut dyn BufRead, opts: &Options, sink: &mut Sink) -> Result<(), String> {
    let mut format: Option<Box<dyn Format>> = match &opts.format {
        Some(name) => Some(
            formats::by_name(name, opts.table.as_deref())
                .ok_or_else(|| format!("unknown format '{name}'"))?,
        ),
        None => None,
    };
    if let Some(f) = &format {
        sink.push(Item::Format(f.name()));
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
            sink.push(Item::Format(f.name()));
            format = Some(f);
        }
        let Some(f) = format.as_deref() else { continue };
        let raw = line.as_bytes().to_vec();
        if !sink.record(f, Value::String(line.to_string()), raw, line_no, start) {
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

/// Adds a record's rows to their tables' buffers (skipping rows already stored).
#[allow(clippy::too_many_arguments)]
fn accept(
    run: &mut FileRun,
    rows: &mut Vec<Row>,
    base: u128,
    raw: &[u8],
    line: u64,
    offset: u64,
    txn: &mut Transaction,
    ids: Ids,
) -> Result<(), String> {
    let many = rows.len() > 1;
    for (i, mut row) in rows.drain(..).enumerate() {
        let item_id = match row.cols.get("_ItemId").and_then(Value::as_str) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => {
                let id = itemid::item_id(&row.table, base, if many { i as u32 } else { 0 });
                row.cols.insert("_ItemId".into(), Value::String(id.clone()));
                id
            }
        };
        row.cols
            .insert("Type".into(), Value::String(row.table.clone()));
        let hash = itemid::id_hash(&item_id);
        if !ids.insert(txn.store(), &row.table, hash)? {
            run.report.duplicates += 1;
            run.report
                .tables
                .entry(row.table.clone())
                .or_default()
                .duplicates += 1;
            continue;
        }
        if !run.buffers.contains_key(&row.table) {
            let cols = initial_columns(txn.store(), &row.table);
            run.buffers
                .insert(row.table.clone(), TableBuffer::new(&row.table, cols));
        }
        let Some(buf) = run.buffers.get_mut(&row.table) else {
            continue;
        };
        match buf.push(&row.cols, hash) {
            Ok(()) => {
                run.report.rows += 1;
                run.report.tables.entry(row.table.clone()).or_default().rows += 1;
            }
            Err(why) => {
                ids.pending
                    .entry(row.table.clone())
                    .or_default()
                    .remove(&hash);
                let table = row.table.clone();
                reject(run, raw, line, offset, Some(&table), why)?;
            }
        }
    }
    flush_all(run, txn, false)
}

/// The columns a table's buffer starts with: the store's (so types stay as stored), then the
/// known schema's.
fn initial_columns(store: &Store, table: &str) -> Vec<ColumnDef> {
    let mut cols: Vec<ColumnDef> = store
        .table(table)
        .map(|t| t.columns.clone())
        .unwrap_or_default();
    if let Some(s) = schemas::known(table) {
        for (n, t) in &s.columns {
            if !cols.iter().any(|c| &c.name == n) {
                cols.push(ColumnDef::new(n, *t));
            }
        }
    }
    cols
}

fn flush_all(run: &mut FileRun, txn: &mut Transaction, all: bool) -> Result<(), String> {
    for buf in run.buffers.values_mut() {
        let due = buf.rows() > 0
            && (all || buf.rows() >= FLUSH_ROWS || buf.approx_bytes() >= FLUSH_BYTES);
        if due {
            let (cols, batch, ids) = buf.take()?;
            txn.write(&buf.table, &cols, &batch, &ids)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
