//! `peregrine ueba`: behaviour analytics over the store (BehaviorAnalytics, IdentityInfo,
//! UserPeerAnalytics), and the run `peregrine ingest` starts after adding sign-ins.

use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct UebaArgs {
    /// The store directory (default: $PEREGRINE_STORE, else ./peregrine-data).
    #[arg(long)]
    store: Option<PathBuf>,
    /// TimeProcessed of the rows (a KQL datetime such as 2024-05-01T00:00:00Z); default: the
    /// newest TimeGenerated in the store.
    #[arg(long)]
    now: Option<String>,
    /// Recompute everything instead of profiling only new days.
    #[arg(long)]
    full: bool,
}

pub fn ueba(args: UebaArgs) -> Result<ExitCode> {
    let root = crate::ingest_cmd::store_root(&args.store);
    let now = match &args.now {
        Some(t) => Some(
            engine::value::datetime::parse(t)
                .with_context(|| format!("--now: '{t}' is not a datetime"))?,
        ),
        None => None,
    };
    run(&root, now, args.full)?;
    Ok(ExitCode::SUCCESS)
}

fn run(root: &Path, now: Option<i64>, full: bool) -> Result<()> {
    let mut store = store::Store::open_for_write(root)
        .with_context(|| format!("opening the store at {}", root.display()))?;
    let report = ueba::run(&mut store, &ueba::Options { now, full }).map_err(anyhow::Error::msg)?;
    print!("{}", report.render());
    Ok(())
}

/// After an ingest: runs UEBA when the store holds sign-ins it has not profiled.
pub fn after_ingest(root: &Path) -> Result<()> {
    let has_new = {
        let store = store::Store::open(root)?;
        ueba::has_new_signins(&store)
    };
    if has_new {
        run(root, None, false)?;
    }
    Ok(())
}
