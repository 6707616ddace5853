//! `peregrine ingest`, `peregrine tables`, `peregrine schema`.

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct IngestArgs {
    /// The store directory (default: $PEREGRINE_STORE, else ./peregrine-data).
    #[arg(long)]
    store: Option<PathBuf>,
    /// The input format: auto (detected from content) or one of graph-signin, diagnostic,
    /// la-json, la-csv, portal-csv, purview-csv, purview-json, defender, graph-users,
    /// suricata, cef.
    #[arg(long, default_value = "auto")]
    format: String,
    /// The destination table, for formats that name none (e.g. an advanced-hunting export).
    #[arg(long)]
    table: Option<String>,
    /// Fail a file (and exit 1) if any of its records is rejected.
    #[arg(long)]
    strict: bool,
    /// Don't show a progress bar.
    #[arg(long)]
    quiet: bool,
    /// Don't run `peregrine ueba` after ingesting new sign-ins.
    #[arg(long)]
    no_ueba: bool,
    /// Files or directories (walked recursively); .gz is read transparently.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn store_root(arg: &Option<PathBuf>) -> PathBuf {
    arg.clone().unwrap_or_else(store::default_root)
}

struct Bar {
    bar: Option<ProgressBar>,
    done_bytes: u64,
    total: u64,
    rows_before: u64,
    started: std::time::Instant,
}

impl ingest::Progress for Bar {
    fn file_started(&mut self, path: &Path, _size: u64) {
        if let Some(b) = &self.bar {
            b.set_message(path.display().to_string());
        }
    }
    fn advance(&mut self, bytes: u64, rows: u64) {
        if let Some(b) = &self.bar {
            b.set_position((self.done_bytes + bytes).min(self.total));
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            b.set_prefix(format!(
                "{} rows, {:.0} rows/s",
                self.rows_before + rows,
                (self.rows_before + rows) as f64 / secs
            ));
        }
    }
    fn file_done(&mut self, r: &ingest::FileReport) {
        self.done_bytes += r.bytes;
        self.rows_before += r.rows;
        if let Some(b) = &self.bar {
            b.set_position(self.done_bytes.min(self.total));
        }
    }
}

pub fn ingest(args: IngestArgs) -> Result<ExitCode> {
    small_pages();
    let root = store_root(&args.store);
    let format = (args.format != "auto").then(|| args.format.clone());
    let opts = ingest::Options {
        format,
        table: args.table.clone(),
        strict: args.strict,
    };
    let files = ingest::source::walk(&args.paths).map_err(anyhow::Error::msg)?;
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut store = store::Store::open_for_write(&root)
        .with_context(|| format!("opening the store at {}", root.display()))?;
    let show = !args.quiet && std::io::stderr().is_terminal();
    let bar = show.then(|| {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {prefix} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    });
    let mut progress = Bar {
        bar,
        done_bytes: 0,
        total,
        rows_before: 0,
        started: std::time::Instant::now(),
    };
    let summary = ingest::ingest(&mut store, &args.paths, &opts, &mut progress)
        .map_err(anyhow::Error::msg)?;
    if let Some(b) = &progress.bar {
        b.finish_and_clear();
    }
    print!("{}", summary.render());
    println!("store: {}", root.display());
    let failed = summary.failed_files() > 0 || (args.strict && summary.rejected() > 0);
    let signins = ["SigninLogs", "AADNonInteractiveUserSignInLogs"]
        .iter()
        .any(|t| summary.tables.get(*t).is_some_and(|c| c.rows > 0));
    if !args.no_ueba && signins {
        drop(store);
        crate::ueba_cmd::after_ingest(&root)?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Args)]
pub struct TablesArgs {
    /// The store directory (default: $PEREGRINE_STORE, else ./peregrine-data).
    #[arg(long)]
    store: Option<PathBuf>,
}

pub fn tables(args: TablesArgs) -> Result<ExitCode> {
    let root = store_root(&args.store);
    let store = store::Store::open(&root)?;
    let mut rows = vec![vec![
        "table".to_string(),
        "rows".into(),
        "from".into(),
        "to".into(),
        "files".into(),
        "size".into(),
    ]];
    for (name, t) in &store.manifest().tables {
        let (from, to) = match t.time_range() {
            Some((lo, hi)) => (
                engine::value::datetime::format_iso(lo),
                engine::value::datetime::format_iso(hi),
            ),
            None => (String::new(), String::new()),
        };
        rows.push(vec![
            name.clone(),
            t.rows().to_string(),
            from,
            to,
            t.files.len().to_string(),
            human_bytes(t.bytes()),
        ]);
    }
    print!("{}", grid(&rows));
    println!("{} table(s) in {}", rows.len() - 1, root.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct SchemaArgs {
    /// The store directory (default: $PEREGRINE_STORE, else ./peregrine-data).
    #[arg(long)]
    store: Option<PathBuf>,
    /// The table.
    table: String,
}

pub fn schema(args: SchemaArgs) -> Result<ExitCode> {
    let root = store_root(&args.store);
    let store = store::Store::open(&root)?;
    let Some(t) = store.table(&args.table) else {
        let names: Vec<&String> = store.manifest().tables.keys().collect();
        bail!(
            "the store has no table '{}' (tables: {})",
            args.table,
            names
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let mut rows = vec![vec!["column".to_string(), "type".into()]];
    for c in &t.columns {
        rows.push(vec![c.name.clone(), c.kql_type.clone()]);
    }
    print!("{}", grid(&rows));
    Ok(ExitCode::SUCCESS)
}

fn human_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

pub use ingest::summary::grid;

/// Ingest keeps many buffers that grow a little at a time (a builder per column and day, a
/// writer per column and file): with transparent huge pages, each first touch of one zeroes
/// 2 MB, and the process keeps every huge page it touched. Measured on the ingest benchmark
/// run after another process freed its memory (4 runs each, medians): system time 1.65 s with
/// huge pages, 0.78 s without; peak memory 670 vs 592 MiB.
fn small_pages() {
    // Kernels without the setting (before 3.15) keep huge pages: ingest works the same.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}
