//! `peregrine watchlist add|list|remove`: the store's watchlists, read in KQL with
//! `_GetWatchlist('NAME')`.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum WatchlistCommand {
    /// Add a watchlist from a CSV file with a header row (or a JSON array of objects).
    Add(AddArgs),
    /// List the store's watchlists.
    List(StoreArg),
    /// Remove a watchlist.
    Remove(RemoveArgs),
}

#[derive(Args)]
pub struct StoreArg {
    /// The store directory (default: $PEREGRINE_STORE, else ./peregrine-data).
    #[arg(long)]
    store: Option<PathBuf>,
}

#[derive(Args)]
pub struct AddArgs {
    /// The watchlist's name (alias), as `_GetWatchlist('NAME')` names it.
    name: String,
    /// CSV file with a header row, or a JSON array of objects.
    file: PathBuf,
    /// The column whose values become SearchKey.
    #[arg(long, value_name = "COLUMN")]
    key: String,
    #[arg(long)]
    store: Option<PathBuf>,
    #[arg(long)]
    description: Option<String>,
    /// Replace a watchlist of the same name.
    #[arg(long)]
    replace: bool,
}

#[derive(Args)]
pub struct RemoveArgs {
    name: String,
    #[arg(long)]
    store: Option<PathBuf>,
}

pub fn watchlist(cmd: WatchlistCommand) -> Result<ExitCode> {
    match cmd {
        WatchlistCommand::Add(a) => add(a),
        WatchlistCommand::List(a) => list(a),
        WatchlistCommand::Remove(a) => remove(a),
    }
}

fn now_ticks() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_nanos() / 100) as i64
}

fn add(a: AddArgs) -> Result<ExitCode> {
    let items = store::watchlist::read_items(&a.file)?;
    let root = crate::ingest_cmd::store_root(&a.store);
    let mut st = store::Store::open_for_write(&root)
        .with_context(|| format!("opening the store at {}", root.display()))?;
    let source = a.file.display().to_string();
    let e = st.add_watchlist(
        &items,
        &store::watchlist::AddOptions {
            name: &a.name,
            key: &a.key,
            description: a.description.as_deref(),
            source: &source,
            replace: a.replace,
            now: now_ticks(),
        },
    )?;
    println!(
        "watchlist '{}': {} item(s), SearchKey = {}, columns: {}",
        e.name,
        e.rows,
        e.search_key,
        e.columns.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn list(a: StoreArg) -> Result<ExitCode> {
    let root = crate::ingest_cmd::store_root(&a.store);
    let st = store::Store::open(&root)
        .with_context(|| format!("opening the store at {}", root.display()))?;
    let ix = st.watchlists();
    if ix.watchlists.is_empty() {
        println!("no watchlists (add one with `peregrine watchlist add NAME FILE --key COLUMN`)");
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows = vec![vec![
        "name".to_string(),
        "items".into(),
        "search key".into(),
        "columns".into(),
        "updated".into(),
        "description".into(),
    ]];
    for e in ix.watchlists.values() {
        rows.push(vec![
            e.name.clone(),
            e.rows.to_string(),
            e.search_key.clone(),
            e.columns.join(", "),
            e.updated.clone(),
            e.description.clone().unwrap_or_default(),
        ]);
    }
    print!("{}", crate::ingest_cmd::grid(&rows));
    Ok(ExitCode::SUCCESS)
}

fn remove(a: RemoveArgs) -> Result<ExitCode> {
    let root = crate::ingest_cmd::store_root(&a.store);
    // Opened for reading first so a mistyped --store is not created empty.
    store::Store::open(&root)
        .with_context(|| format!("opening the store at {}", root.display()))?;
    let mut st = store::Store::open_for_write(&root)
        .with_context(|| format!("opening the store at {}", root.display()))?;
    let e = st.remove_watchlist(&a.name)?;
    println!("removed watchlist '{}' ({} item(s))", e.name, e.rows);
    Ok(ExitCode::SUCCESS)
}
