//! What an ingest did, per file and per table, and its rendering as a terminal table.

use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableCounts {
    pub rows: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: String,
    pub bytes: u64,
    /// Source records read.
    pub records: u64,
    /// Rows added to the store.
    pub rows: u64,
    /// Rows the store already held.
    pub duplicates: u64,
    pub rejected: u64,
    /// Well-formed records that hold nothing for any table, by reason.
    pub ignored: BTreeMap<String, u64>,
    pub tables: BTreeMap<String, TableCounts>,
    /// Why the file failed (then nothing of it was stored).
    pub error: Option<String>,
    /// Why a file found in a directory was passed over (not a recognised export).
    pub skipped: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files: Vec<FileReport>,
    pub tables: BTreeMap<String, TableCounts>,
    pub rejects_file: Option<PathBuf>,
}

impl Summary {
    pub fn failed_files(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_some()).count()
    }
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// The summary as aligned text tables.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut rows = vec![vec![
            "table".to_string(),
            "rows added".into(),
            "duplicates skipped".into(),
            "rejected".into(),
        ]];
        for (t, c) in &self.tables {
            rows.push(vec![
                t.clone(),
                c.rows.to_string(),
                c.duplicates.to_string(),
                c.rejected.to_string(),
            ]);
        }
        out.push_str(&grid(&rows));
        let mut frows = vec![vec![
            "file".to_string(),
            "format".into(),
            "records".into(),
            "rows".into(),
            "rejected".into(),
            "status".into(),
        ]];
        for f in &self.files {
            let mut status = match (&f.error, &f.skipped) {
                (Some(e), _) => format!("FAILED: {e}"),
                (None, Some(why)) => format!("skipped: {why}"),
                (None, None) => "ok".into(),
            };
            for (why, n) in &f.ignored {
                status.push_str(&format!("; {n} ignored ({why})"));
            }
            frows.push(vec![
                f.path.display().to_string(),
                f.format.clone(),
                f.records.to_string(),
                f.rows.to_string(),
                f.rejected.to_string(),
                status,
            ]);
        }
        out.push('\n');
        out.push_str(&grid(&frows));
        out.push_str(&format!(
            "\n{} file(s), {} row(s) added, {} rejected, {} failed file(s)\n",
            self.files.len(),
            self.rows(),
            self.rejected(),
            self.failed_files()
        ));
        if let Some(p) = &self.rejects_file {
            out.push_str(&format!("rejected records: {}\n", p.display()));
        }
        out
    }
}

/// Rows as an aligned text table, the first row a header underlined with dashes.
pub fn grid(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (ri, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if ri == 0 {
            let sep: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&sep.join("  "));
            out.push('\n');
        }
    }
    out
}
