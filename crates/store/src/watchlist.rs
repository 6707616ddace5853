//! Watchlists: named reference lists (VIP users, sanctioned IPs, service accounts …) that KQL
//! reads with Sentinel's `_GetWatchlist('name')`.
//!
//! ```text
//! watchlists/index.json                  name → search key, columns, rows, file (replaced atomically)
//! watchlists/<name>-<n>.parquet          the items, with Sentinel's watchlist columns
//! ```
//!
//! Each watchlist's Parquet file holds exactly the table `_GetWatchlist` returns:
//! `_DTItemId`, `LastUpdatedTimeUTC` (datetime), `SearchKey` (the value of the key column),
//! `WatchlistName`, `WatchlistItemId`, then the watchlist's own columns, all strings. A file
//! exists for readers only once `index.json` names it: it is written and fsynced under a
//! new name first, then a new index is renamed into place.

use crate::error::{Result, StoreError};
use crate::manifest::sync_dir;
use engine::KqlType;
use engine::datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use engine::datafusion::arrow::datatypes::{Field, Schema};
use engine::datafusion::catalog::TableProvider;
use engine::datafusion::datasource::MemTable;
use engine::datafusion::parquet::arrow::ArrowWriter;
use engine::datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

pub const DIR: &str = "watchlists";
pub const INDEX_FILE: &str = "index.json";
pub const FORMAT_VERSION: u32 = 1;

/// The columns `_GetWatchlist` adds before the watchlist's own, in order.
pub const SYSTEM_COLUMNS: &[&str] = &[
    "_DTItemId",
    "LastUpdatedTimeUTC",
    "SearchKey",
    "WatchlistName",
    "WatchlistItemId",
];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Index {
    pub version: u32,
    pub watchlists: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    /// The column whose values are the items' `SearchKey`.
    pub search_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The watchlist's own columns, in order.
    pub columns: Vec<String>,
    pub rows: u64,
    /// Parquet file relative to the store root.
    pub file: String,
    /// When it was added (ISO 8601, UTC); every item's LastUpdatedTimeUTC.
    pub updated: String,
    /// The file it was read from.
    pub source: String,
}

/// A watchlist's items as read from a CSV or JSON file: a header and rows of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Items {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn invalid(msg: String) -> StoreError {
    StoreError::Invalid(msg)
}

impl Index {
    pub fn load(root: &Path) -> Result<Index> {
        let path = root.join(DIR).join(INDEX_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Index {
                    version: FORMAT_VERSION,
                    ..Index::default()
                });
            }
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let ix: Index = serde_json::from_str(&text).map_err(|e| {
            StoreError::Corrupt(format!(
                "{}:{}:{}: the watchlist index is not valid: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        if ix.version > FORMAT_VERSION {
            return Err(StoreError::Corrupt(format!(
                "{}: watchlist format version {} is newer than this Peregrine understands ({FORMAT_VERSION})",
                path.display(),
                ix.version
            )));
        }
        Ok(ix)
    }

    /// Writes the index atomically (temporary file, fsync, rename, directory fsync).
    pub fn store(&self, root: &Path) -> Result<()> {
        let dir = root.join(DIR);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let tmp = dir.join(format!("{INDEX_FILE}.tmp"));
        let dst = dir.join(INDEX_FILE);
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| StoreError::Corrupt(format!("serialising the watchlist index: {e}")))?;
        {
            let mut f = std::fs::File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
            f.write_all(&text).map_err(|e| StoreError::io(&tmp, e))?;
            f.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, &dst).map_err(|e| StoreError::io(&dst, e))?;
        sync_dir(&dir)
    }

    pub fn names(&self) -> Vec<String> {
        self.watchlists.keys().cloned().collect()
    }

    /// The watchlist as a table (read whole into memory: watchlists are small).
    pub fn provider(&self, root: &Path, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(entry) = self.watchlists.get(name) else {
            return Ok(None);
        };
        let path = root.join(&entry.file);
        let file = std::fs::File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
        let schema = builder.schema().clone();
        let reader = builder.build()?;
        let mut batches = Vec::new();
        for b in reader {
            batches.push(b?);
        }
        let table = MemTable::try_new(schema, vec![batches])?;
        Ok(Some(Arc::new(table)))
    }
}

/// Watchlist names are file names and KQL string literals: keep them simple.
pub fn check_name(name: &str) -> Result<()> {
    if crate::is_simple_name(name, 64) {
        Ok(())
    } else {
        Err(invalid(format!(
            "'{name}' is not a valid watchlist name (1-64 letters, digits, '_' and '-')"
        )))
    }
}

/// Reads a watchlist file: a JSON array of objects when its first non-blank character is
/// `[`, else CSV with a header row.
pub fn read_items(path: &Path) -> Result<Items> {
    let bytes = std::fs::read(path).map_err(|e| StoreError::io(path, e))?;
    let origin = path.display().to_string();
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        invalid(format!("{origin}:{line}: expected UTF-8 text: {e}"))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('[') {
        parse_json(&origin, text)
    } else {
        parse_csv(&origin, text)
    }
}

/// CSV with a header row. Every row must have as many fields as the header.
pub fn parse_csv(origin: &str, text: &str) -> Result<Items> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = rd
        .headers()
        .map_err(|e| csv_error(origin, &e, "a header row"))?
        .clone();
    let columns: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    if columns.is_empty() || (columns.len() == 1 && columns[0].is_empty()) {
        return Err(invalid(format!(
            "{origin}:1: expected a header row naming the watchlist's columns, found an empty file"
        )));
    }
    check_columns(origin, &columns, "1: ")?;
    let mut rows = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| csv_error(origin, &e, "a CSV row"))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
            // A blank line.
            continue;
        }
        if rec.len() != columns.len() {
            return Err(invalid(format!(
                "{origin}:{line}: expected {} fields as in the header ({}), found {}",
                columns.len(),
                columns.join(", "),
                rec.len()
            )));
        }
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok(Items { columns, rows })
}

fn csv_error(origin: &str, e: &csv::Error, expected: &str) -> StoreError {
    let line = e.position().map_or(1, |p| p.line());
    invalid(format!("{origin}:{line}: expected {expected}: {e}"))
}

/// A JSON array of flat objects; the columns are the keys in the order first seen. Numbers and
/// booleans become their text, nested values their compact JSON, a missing key or null "".
pub fn parse_json(origin: &str, text: &str) -> Result<Items> {
    use serde_json::Value;
    let v: Value = serde_json::from_str(text).map_err(|e| {
        invalid(format!(
            "{origin}:{}:{}: expected a JSON array of objects: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Array(items) = v else {
        return Err(invalid(format!(
            "{origin}:1:1: expected a JSON array of objects"
        )));
    };
    let mut columns: Vec<String> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let Value::Object(o) = it else {
            return Err(invalid(format!(
                "{origin}: item {}: expected an object, found {}",
                i + 1,
                json_kind(it)
            )));
        };
        for k in o.keys() {
            if !columns.iter().any(|c| c == k) {
                columns.push(k.clone());
            }
        }
    }
    if columns.is_empty() {
        return Err(invalid(format!(
            "{origin}: expected at least one object with at least one key"
        )));
    }
    check_columns(origin, &columns, " ")?;
    let rows = items
        .iter()
        .filter_map(Value::as_object)
        .map(|o| {
            columns
                .iter()
                .map(|c| match o.get(c) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect()
        })
        .collect();
    Ok(Items { columns, rows })
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Column names must be non-empty, unique, and not one of the columns `_GetWatchlist` adds.
fn check_columns(origin: &str, columns: &[String], at: &str) -> Result<()> {
    let at = if at == " " {
        ": ".to_string()
    } else {
        format!(":{at}")
    };
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() {
            return Err(invalid(format!(
                "{origin}{at}expected a name for column {} of the header, found an empty one",
                i + 1
            )));
        }
        if columns[..i].contains(c) {
            return Err(invalid(format!(
                "{origin}{at}expected unique column names, found '{c}' twice"
            )));
        }
        if SYSTEM_COLUMNS.contains(&c.as_str()) {
            return Err(invalid(format!(
                "{origin}{at}column '{c}' clashes with a column _GetWatchlist adds ({}); rename it",
                SYSTEM_COLUMNS.join(", ")
            )));
        }
    }
    Ok(())
}

/// What `add` is told besides the items.
pub struct AddOptions<'a> {
    pub name: &'a str,
    pub key: &'a str,
    pub description: Option<&'a str>,
    pub source: &'a str,
    /// Replace a watchlist of the same name instead of refusing.
    pub replace: bool,
    /// LastUpdatedTimeUTC of the items, in ticks.
    pub now: i64,
}

impl crate::Store {
    pub fn watchlists(&self) -> &Index {
        &self.watchlists
    }

    /// Adds (or with `replace`, replaces) a watchlist. Needs a store opened for writing.
    pub fn add_watchlist(&mut self, items: &Items, opt: &AddOptions) -> Result<Entry> {
        self.check_writable()?;
        check_name(opt.name)?;
        let Some(key_idx) = items.columns.iter().position(|c| c == opt.key) else {
            return Err(invalid(format!(
                "{}: the key column '{}' is not among the columns ({})",
                opt.source,
                opt.key,
                items.columns.join(", ")
            )));
        };
        if let Some(old) = self.watchlists.watchlists.get(opt.name)
            && !opt.replace
        {
            return Err(invalid(format!(
                "watchlist '{}' exists ({} rows from {}); remove it first or pass --replace",
                opt.name, old.rows, old.source
            )));
        }
        let batch = build_batch(items, key_idx, opt)?;
        let dir = self.root.join(DIR);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let rel = format!("{DIR}/{}-{nanos:x}.parquet", opt.name);
        let path = self.root.join(&rel);
        let file = std::fs::File::create(&path).map_err(|e| StoreError::io(&path, e))?;
        let mut w = ArrowWriter::try_new(file, batch.schema(), None)?;
        w.write(&batch)?;
        let file = w.into_inner()?;
        file.sync_all().map_err(|e| StoreError::io(&path, e))?;
        drop(file);
        sync_dir(&dir)?;
        let entry = Entry {
            name: opt.name.to_string(),
            search_key: opt.key.to_string(),
            description: opt.description.map(str::to_string),
            columns: items.columns.clone(),
            rows: items.rows.len() as u64,
            file: rel,
            updated: engine::value::datetime::format_iso(opt.now),
            source: opt.source.to_string(),
        };
        let mut ix = self.watchlists.clone();
        ix.version = FORMAT_VERSION;
        let old = ix.watchlists.insert(opt.name.to_string(), entry.clone());
        if let Err(e) = ix.store(&self.root) {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        self.watchlists = ix;
        if let Some(old) = old {
            let p = self.root.join(&old.file);
            std::fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
        }
        Ok(entry)
    }

    /// Removes a watchlist; returns what it was.
    pub fn remove_watchlist(&mut self, name: &str) -> Result<Entry> {
        self.check_writable()?;
        let mut ix = self.watchlists.clone();
        let Some(old) = ix.watchlists.remove(name) else {
            let known = self.watchlists.names();
            return Err(invalid(format!(
                "no watchlist '{name}' ({})",
                if known.is_empty() {
                    "the store has none".to_string()
                } else {
                    format!("known: {}", known.join(", "))
                }
            )));
        };
        ix.store(&self.root)?;
        self.watchlists = ix;
        let p = self.root.join(&old.file);
        std::fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
        Ok(old)
    }

    /// Deletes watchlist files the index does not name (left by a writer that died).
    pub(crate) fn remove_watchlist_orphans(&self) -> Result<()> {
        let dir = self.root.join(DIR);
        if !dir.exists() {
            return Ok(());
        }
        let live: std::collections::HashSet<std::path::PathBuf> = self
            .watchlists
            .watchlists
            .values()
            .map(|e| self.root.join(&e.file))
            .collect();
        let entries = std::fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
        for e in entries.flatten() {
            let p = e.path();
            let is_data = p.extension().is_some_and(|x| x == "parquet");
            if p.is_file() && is_data && !live.contains(&p) {
                std::fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
            }
        }
        Ok(())
    }
}

/// The table `_GetWatchlist` returns for these items.
fn build_batch(items: &Items, key_idx: usize, opt: &AddOptions) -> Result<RecordBatch> {
    let n = items.rows.len();
    let mut ids = Vec::with_capacity(n);
    for (i, r) in items.rows.iter().enumerate() {
        if r.len() != items.columns.len() {
            return Err(invalid(format!(
                "{}: row {} has {} fields, the header {}",
                opt.source,
                i + 1,
                r.len(),
                items.columns.len()
            )));
        }
        let mut text = format!("{}\u{1}{i}", opt.name);
        for v in r {
            text.push('\u{1}');
            text.push_str(v);
        }
        ids.push(guid(&text));
    }
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    let string = |name: &str| -> Field { KqlType::String.field(name).with_nullable(false) };
    fields.push(string("_DTItemId"));
    cols.push(Arc::new(StringArray::from(ids.clone())));
    fields.push(KqlType::DateTime.field("LastUpdatedTimeUTC"));
    cols.push(Arc::new(Int64Array::from(vec![opt.now; n])));
    fields.push(string("SearchKey"));
    cols.push(Arc::new(StringArray::from_iter_values(
        items.rows.iter().map(|r| r[key_idx].as_str()),
    )));
    fields.push(string("WatchlistName"));
    cols.push(Arc::new(StringArray::from(vec![opt.name; n])));
    fields.push(string("WatchlistItemId"));
    cols.push(Arc::new(StringArray::from(ids)));
    for (c, name) in items.columns.iter().enumerate() {
        fields.push(string(name));
        cols.push(Arc::new(StringArray::from_iter_values(
            items.rows.iter().map(|r| r[c].as_str()),
        )));
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

/// A GUID-shaped id from the text's 128-bit hash.
fn guid(text: &str) -> String {
    engine::value::guid::of_bytes(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_items_and_blank_lines() {
        let it = parse_csv("w.csv", "User,Tier\r\na@x.com,1\n\n\"b, jr@x.com\",2\n").unwrap();
        assert_eq!(it.columns, vec!["User", "Tier"]);
        assert_eq!(it.rows.len(), 2);
        assert_eq!(it.rows[1][0], "b, jr@x.com");
    }

    #[test]
    fn csv_wrong_field_count_names_the_line() {
        let e = parse_csv("w.csv", "User,Tier\na,1\nb\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("w.csv:3: expected 2 fields"), "{e}");
    }

    #[test]
    fn csv_bad_header() {
        let e = parse_csv("w.csv", "User,,Tier\n").unwrap_err().to_string();
        assert!(e.contains("w.csv:1:") && e.contains("column 2"), "{e}");
        let e = parse_csv("w.csv", "A,A\n").unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
        let e = parse_csv("w.csv", "SearchKey,B\n").unwrap_err().to_string();
        assert!(e.contains("clashes"), "{e}");
        let e = parse_csv("w.csv", "").unwrap_err().to_string();
        assert!(e.contains("header"), "{e}");
    }

    #[test]
    fn csv_unterminated_quote_is_not_lost() {
        // The csv reader takes the rest of the file as one field; the count check catches it.
        let r = parse_csv("w.csv", "A,B\n\"x,1\ny,2\n");
        assert!(r.is_err());
    }

    #[test]
    fn json_items() {
        let it = parse_json(
            "w.json",
            r#"[{"ip":"10.0.0.1","n":3,"tags":["a"]},{"ip":"10.0.0.2","extra":true}]"#,
        )
        .unwrap();
        assert_eq!(it.columns, vec!["ip", "n", "tags", "extra"]);
        assert_eq!(it.rows[0], vec!["10.0.0.1", "3", "[\"a\"]", ""]);
        assert_eq!(it.rows[1], vec!["10.0.0.2", "", "", "true"]);
        let e = parse_json("w.json", "[{\"a\":1}, 2]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("item 2: expected an object"), "{e}");
        let e = parse_json("w.json", "[{\"a\":1},\n  {\"a\" 2}]")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("w.json:2:"), "{e}");
    }

    fn opts<'a>(name: &'a str, key: &'a str, replace: bool) -> AddOptions<'a> {
        AddOptions {
            name,
            key,
            description: None,
            source: "test.csv",
            replace,
            now: 0,
        }
    }

    #[test]
    fn add_replace_remove_and_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let items = parse_csv("w.csv", "Ip,Site\n10.0.0.1,HQ\n").unwrap();
        {
            let mut st = crate::Store::open_for_write(dir.path()).unwrap();
            let e = st
                .add_watchlist(&items, &opts("Egress", "Ip", false))
                .unwrap();
            assert_eq!(e.rows, 1);
            assert!(
                st.add_watchlist(&items, &opts("Egress", "Ip", false))
                    .is_err()
            );
            assert!(
                st.add_watchlist(&items, &opts("Bad name", "Ip", false))
                    .is_err()
            );
            assert!(st.add_watchlist(&items, &opts("X", "Nope", false)).is_err());
            let e2 = st
                .add_watchlist(&items, &opts("Egress", "Site", true))
                .unwrap();
            assert!(
                !dir.path().join(&e.file).exists(),
                "the replaced file is gone"
            );
            assert!(dir.path().join(&e2.file).exists());
        }
        // Read back through a read-only store: the provider has Sentinel's columns.
        let st = crate::Store::open(dir.path()).unwrap();
        let p = st
            .watchlists()
            .provider(dir.path(), "Egress")
            .unwrap()
            .unwrap();
        let names: Vec<String> = p
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(
            names,
            [
                "_DTItemId",
                "LastUpdatedTimeUTC",
                "SearchKey",
                "WatchlistName",
                "WatchlistItemId",
                "Ip",
                "Site"
            ]
        );
        assert!(
            st.watchlists()
                .provider(dir.path(), "None")
                .unwrap()
                .is_none()
        );
        // A file the index does not name (a writer died after writing it) is removed.
        let stray = dir.path().join(DIR).join("Egress-dead.parquet");
        std::fs::write(&stray, b"x").unwrap();
        let mut st = crate::Store::open_for_write(dir.path()).unwrap();
        assert!(!stray.exists());
        let e = st.remove_watchlist("Egress").unwrap();
        assert!(!dir.path().join(&e.file).exists());
        assert!(st.remove_watchlist("Egress").is_err());
        assert!(
            crate::Store::open(dir.path())
                .unwrap()
                .watchlists()
                .watchlists
                .is_empty()
        );
    }
}
