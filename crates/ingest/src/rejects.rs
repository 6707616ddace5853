//! The rejects file: one JSON line per record ingest could not take, with where it came from
//! and why, and the record's text — nothing is dropped silently.

use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Reject<'a> {
    pub file: &'a str,
    pub line: u64,
    pub offset: u64,
    pub format: &'a str,
    pub table: Option<&'a str>,
    pub reason: &'a str,
    pub record: &'a str,
}

pub struct Rejects {
    dir: PathBuf,
    path: Option<PathBuf>,
    out: Option<std::io::BufWriter<std::fs::File>>,
}

impl Rejects {
    pub fn new(store_root: &Path) -> Self {
        Rejects {
            dir: store_root.join("rejects"),
            path: None,
            out: None,
        }
    }

    pub fn add(&mut self, r: &Reject) -> std::io::Result<()> {
        if self.out.is_none() {
            std::fs::create_dir_all(&self.dir)?;
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let path = self
                .dir
                .join(format!("ingest-{stamp}-{}.ndjson", std::process::id()));
            self.out = Some(std::io::BufWriter::new(std::fs::File::create(&path)?));
            self.path = Some(path);
        }
        let v = serde_json::json!({
            "file": r.file,
            "line": r.line,
            "offset": r.offset,
            "format": r.format,
            "table": r.table,
            "reason": r.reason,
            "record": r.record,
        });
        if let Some(out) = self.out.as_mut() {
            serde_json::to_writer(&mut *out, &v)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(out) = self.out.as_mut() {
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        Ok(())
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}
