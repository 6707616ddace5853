//! Peregrine's embedded store. Layout under the root directory:
//!
//! ```text
//! manifest.json                          what the store holds (replaced atomically)
//! store.lock                             held by the one writer
//! tables/<Table>/day=YYYY-MM-DD/<batch>-<n>.parquet   one per table, day and transaction
//! tables/<Table>/day=YYYY-MM-DD/<batch>-<n>.ids       64-bit hashes of the rows' _ItemId
//! rejects/<batch>.ndjson                 records ingest could not take, with the reason
//! watchlists/index.json                  watchlists (`_GetWatchlist`): see [`watchlist`]
//! watchlists/<name>-<n>.parquet          a watchlist's items
//! ```
//!
//! Only files named by the manifest exist for readers. Writers add files first and publish
//! them by renaming a new manifest into place ([`manifest::Manifest::store`]), so a crash
//! leaves each batch fully present or fully absent.

pub mod catalog;
pub mod constants;
pub mod error;
pub mod manifest;
mod table;
pub mod watchlist;
pub mod writer;

pub use catalog::StoreCatalog;
pub use error::{Result, StoreError};
pub use manifest::{ColumnDef, FileEntry, Manifest, TableEntry};
pub use writer::Transaction;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A set of `_ItemId` hashes. The hashes are already uniform (xxh3), so the set uses them as
/// they are instead of hashing them again.
pub type IdSet = HashSet<u64, std::hash::BuildHasherDefault<IdHasher>>;

/// The hasher of [`IdSet`]: passes a `u64` through.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// The column every stored row is partitioned and pruned on.
pub const TIME_COLUMN: &str = "TimeGenerated";

/// The store directory used when none is given: `$PEREGRINE_STORE`, else `./peregrine-data`.
pub fn default_root() -> PathBuf {
    std::env::var_os("PEREGRINE_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("peregrine-data"))
}

pub struct Store {
    root: PathBuf,
    manifest: Manifest,
    watchlists: watchlist::Index,
    /// Held for the life of a writable store.
    _lock: Option<std::fs::File>,
}

impl Store {
    /// Opens an existing store for reading (a missing directory is an error).
    pub fn open(root: &Path) -> Result<Store> {
        if !root.join(manifest::MANIFEST_FILE).exists() {
            return Err(StoreError::Invalid(format!(
                "{}: no Peregrine store here (no {}); run `peregrine ingest` first",
                root.display(),
                manifest::MANIFEST_FILE
            )));
        }
        Ok(Store {
            root: root.to_path_buf(),
            manifest: Manifest::load(root)?,
            watchlists: watchlist::Index::load(root)?,
            _lock: None,
        })
    }

    /// Opens (creating it if needed) a store for writing. Takes the writer lock — a second
    /// writer waits for the first — and removes files a crashed writer left unpublished.
    pub fn open_for_write(root: &Path) -> Result<Store> {
        std::fs::create_dir_all(root).map_err(|e| StoreError::io(root, e))?;
        let lock_path = root.join("store.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        lock.lock().map_err(|e| StoreError::io(&lock_path, e))?;
        let manifest = Manifest::load(root)?;
        let store = Store {
            root: root.to_path_buf(),
            manifest,
            watchlists: watchlist::Index::load(root)?,
            _lock: Some(lock),
        };
        store.remove_orphans()?;
        store.remove_watchlist_orphans()?;
        if !root.join(manifest::MANIFEST_FILE).exists() {
            store.manifest.store(root)?;
        }
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn check_writable(&self) -> Result<()> {
        if self._lock.is_some() {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!(
                "{}: the store was opened for reading only",
                self.root.display()
            )))
        }
    }

    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.manifest.tables.get(name)
    }

    /// Starts a transaction; nothing it writes is visible until `commit`.
    pub fn begin(&mut self) -> Transaction<'_> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let batch = format!(
            "b{:06}-{:x}-{:x}",
            self.manifest.generation + 1,
            nanos,
            std::process::id()
        );
        Transaction::new(self, batch)
    }

    /// The `_ItemId` hashes already stored for `table`.
    pub fn load_ids(&self, table: &str) -> Result<IdSet> {
        let mut out = IdSet::default();
        if let Some(t) = self.manifest.tables.get(table) {
            for f in &t.files {
                if let Some(ids) = &f.ids {
                    writer::read_ids(&self.root.join(ids), &mut out)?;
                }
            }
        }
        Ok(out)
    }

    /// Deletes data files that no manifest names (left by a writer that died before commit).
    fn remove_orphans(&self) -> Result<()> {
        let live: HashSet<PathBuf> = self
            .manifest
            .tables
            .values()
            .flat_map(|t| t.files.iter())
            .flat_map(|f| std::iter::once(&f.path).chain(f.ids.iter()))
            .map(|p| self.root.join(p))
            .collect();
        let tables = self.root.join("tables");
        if !tables.exists() {
            return Ok(());
        }
        let mut stack = vec![tables];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if !live.contains(&p) {
                    std::fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
                }
            }
        }
        Ok(())
    }
}

/// A name safe as a file or directory name: 1 to `max` ASCII letters, digits, `_` and `-`.
pub(crate) fn is_simple_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Table names become directory names: keep them to what Kusto allows in a bare name.
pub(crate) fn check_table_name(name: &str) -> Result<()> {
    if is_simple_name(name, 256) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "'{name}' is not a valid table name (letters, digits, '_' and '-' only)"
        )))
    }
}
