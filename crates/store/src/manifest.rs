//! The manifest: the one file that says what the store holds. A data file exists for readers
//! only once a manifest naming it has been renamed into place, so a crash at any moment leaves
//! the previous manifest — and with it a consistent store — in force.

use crate::error::{Result, StoreError};
use engine::KqlType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const MANIFEST_FILE: &str = "manifest.json";
/// The store format this build writes. 2: data files may leave out constant columns
/// ([`FileEntry::constants`]), which a reader of format 1 would take for nulls, so it must
/// refuse such a store. Stores of format 1 read as they are (their files keep every column).
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Bumped by every commit.
    pub generation: u64,
    pub tables: BTreeMap<String, TableEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableEntry {
    /// Columns in order, with their KQL type names.
    pub columns: Vec<ColumnDef>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    #[serde(rename = "type")]
    pub kql_type: String,
}

impl ColumnDef {
    pub fn new(name: &str, ty: KqlType) -> Self {
        Self {
            name: name.to_string(),
            kql_type: ty.name().to_string(),
        }
    }
    pub fn ty(&self) -> KqlType {
        KqlType::from_name(&self.kql_type).unwrap_or(KqlType::Dynamic)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path of the Parquet file relative to the store root (forward slashes).
    pub path: String,
    /// `YYYY-MM-DD` of the rows' TimeGenerated, or None for rows without a time.
    pub day: Option<String>,
    pub rows: u64,
    /// TimeGenerated range of the file, in 100-ns ticks.
    pub min_time: Option<i64>,
    pub max_time: Option<i64>,
    pub bytes: u64,
    /// Columns the file leaves out because every row holds the same value: name → value as
    /// text (see [`crate::constants`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub constants: BTreeMap<String, String>,
    /// Sidecar with the 64-bit hashes of the file's `_ItemId`s (for de-duplication on ingest).
    pub ids: Option<String>,
    /// The commit that added the file.
    pub batch: String,
}

impl TableEntry {
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let lo = self.files.iter().filter_map(|f| f.min_time).min()?;
        let hi = self.files.iter().filter_map(|f| f.max_time).max()?;
        Some((lo, hi))
    }
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl Manifest {
    pub fn load(root: &Path) -> Result<Manifest> {
        let path = root.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest {
                    version: FORMAT_VERSION,
                    ..Manifest::default()
                });
            }
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let m: Manifest = serde_json::from_str(&text).map_err(|e| {
            StoreError::Corrupt(format!(
                "{}:{}:{}: the store manifest is not valid: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        if m.version > FORMAT_VERSION {
            return Err(StoreError::Corrupt(format!(
                "{}: store format version {} is newer than this Peregrine understands ({FORMAT_VERSION})",
                path.display(),
                m.version
            )));
        }
        Ok(m)
    }

    /// Writes the manifest atomically: a temporary file is written and fsynced, renamed over
    /// the old manifest, and the directory fsynced so the rename itself is durable.
    pub fn store(&self, root: &Path) -> Result<()> {
        let tmp = root.join(format!("{MANIFEST_FILE}.tmp"));
        let dst = root.join(MANIFEST_FILE);
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| StoreError::Corrupt(format!("serialising the manifest: {e}")))?;
        {
            let mut f = std::fs::File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
            f.write_all(&text).map_err(|e| StoreError::io(&tmp, e))?;
            f.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, &dst).map_err(|e| StoreError::io(&dst, e))?;
        sync_dir(root)?;
        Ok(())
    }
}

/// fsync a directory so that renames and new entries in it survive a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let f = std::fs::File::open(dir).map_err(|e| StoreError::io(dir, e))?;
        f.sync_all().map_err(|e| StoreError::io(dir, e))?;
    }
    Ok(())
}
