//! Helpers shared by the ingest tests: a temporary store, ingesting into it, and querying it
//! with KQL through the same catalog `peregrine query` uses.

#![allow(dead_code)]

use engine::output::cell_json;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `../shared` beside the repository, when present.
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.join("data/real").exists().then_some(p)
}

pub fn ingest_paths(root: &Path, paths: &[PathBuf], opts: &ingest::Options) -> ingest::Summary {
    let mut st = store::Store::open_for_write(root).expect("store opens");
    ingest::ingest(&mut st, paths, opts, &mut ingest::NoProgress).expect("ingest runs")
}

/// Runs a KQL query over the store and returns its rows as JSON values.
pub fn query(root: &Path, kql: &str) -> Vec<Vec<Value>> {
    let st = store::Store::open(root).expect("store opens");
    let catalog = store::StoreCatalog::new(&st);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let session = engine::new_session();
    let opts = engine::RunOptions {
        now: 0,
        params: Default::default(),
    };
    let res = rt
        .block_on(engine::run_query(&catalog, &session, kql, &opts))
        .unwrap_or_else(|e| panic!("query failed: {}", e.render(kql, "test")));
    let mut out = Vec::new();
    for b in &res.batches {
        for r in 0..b.num_rows() {
            out.push(
                res.columns
                    .iter()
                    .enumerate()
                    .map(|(c, (_, t))| cell_json(b.column(c), r, *t))
                    .collect(),
            );
        }
    }
    out
}

/// The one value a single-cell query returns.
pub fn scalar(root: &Path, kql: &str) -> Value {
    let rows = query(root, kql);
    assert_eq!(rows.len(), 1, "{kql}: expected one row, got {rows:?}");
    rows[0][0].clone()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}
