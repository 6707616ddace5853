//! Opening inputs: directories walked recursively (sorted, for reproducible runs), gzip read
//! transparently (by its magic bytes, not the file name), and the first bytes sniffed to tell
//! JSON, CSV and line-oriented text (CEF / syslog) apart.

use crate::formats::Shape;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every file under `paths` (directories recursively; hidden entries skipped).
pub fn walk(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk_dir(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            walk_dir(&e, out)?;
        } else {
            out.push(e);
        }
    }
    Ok(())
}

/// Counts the bytes read from the file itself (compressed bytes for gzip), for progress.
pub struct Counting<R> {
    inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file for reading, decompressing gzip when the content is gzip.
pub fn open(path: &Path, counter: Arc<AtomicU64>) -> Result<Box<dyn BufRead + Send>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut r = BufReader::with_capacity(
        1 << 20,
        Counting {
            inner: f,
            count: counter,
        },
    );
    let head = r
        .fill_buf()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(r);
        Ok(Box::new(BufReader::with_capacity(1 << 20, gz)))
    } else {
        Ok(Box::new(r))
    }
}

/// Tells the shape of a text stream from its first bytes (the reader is not consumed).
pub fn sniff(r: &mut dyn BufRead) -> Result<Shape, String> {
    let head = r.fill_buf().map_err(|e| format!("reading: {e}"))?;
    let head = &head[..head.len().min(64 * 1024)];
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if text.is_empty() {
        return Err("the file is empty".into());
    }
    if text.contains(&0) {
        return Err("not a text file (it holds NUL bytes)".into());
    }
    // The buffer may end inside a multi-byte character: judge the valid prefix.
    let valid = match std::str::from_utf8(text) {
        Ok(s) => s,
        Err(e) if e.valid_up_to() + 4 >= text.len() && e.error_len().is_none() => {
            std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or("")
        }
        Err(e) => {
            return Err(format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ));
        }
    };
    let t = valid.trim_start();
    let first_line = t.lines().next().unwrap_or("");
    if t.starts_with('{') || t.starts_with('[') {
        return Ok(Shape::Json);
    }
    if first_line.contains("CEF:") || first_line.contains("LEEF:") {
        return Ok(Shape::Lines);
    }
    if first_line.contains(',') {
        return Ok(Shape::Csv);
    }
    Err("neither JSON, CSV nor CEF/syslog text".into())
}
