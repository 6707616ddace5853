//! `_GetWatchlist('name')` resolves through the catalog's watchlists (not its tables): a
//! watchlist registered with `MemoryCatalog::register_watchlist` reads as a table, a table
//! that happens to be called like one does not, and an unknown name is a planning error at the
//! argument that names the known watchlists.

use engine::catalog::{Catalog, ChainCatalog, MemoryCatalog};
use engine::datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray};
use engine::datafusion::arrow::datatypes::Schema;
use engine::datafusion::datasource::MemTable;
use engine::{EngineError, KqlType, RunOptions};
use std::sync::Arc;

fn table(cols: &[(&str, &[&str])]) -> Arc<MemTable> {
    let fields: Vec<_> = cols.iter().map(|(n, _)| KqlType::String.field(n)).collect();
    let arrays: Vec<ArrayRef> = cols
        .iter()
        .map(|(_, v)| Arc::new(StringArray::from(v.to_vec())) as ArrayRef)
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).expect("batch");
    Arc::new(MemTable::try_new(schema, vec![vec![batch]]).expect("memtable"))
}

fn run(catalog: &dyn Catalog, q: &str) -> Result<engine::QueryResult, EngineError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let session = engine::new_session();
    rt.block_on(engine::run_query(
        catalog,
        &session,
        q,
        &RunOptions::default(),
    ))
}

fn catalog() -> ChainCatalog {
    let mut tables = MemoryCatalog::new();
    tables.register(
        "Users",
        table(&[("Upn", &["a@x.com", "b@x.com", "c@x.com"])]),
    );
    // A table named like a watchlist is not one.
    tables.register("Decoy", table(&[("SearchKey", &["a@x.com"])]));
    let mut watchlists = MemoryCatalog::new();
    watchlists.register_watchlist(
        "VIP",
        table(&[
            ("SearchKey", &["a@x.com", "c@x.com"]),
            ("Tier", &["1", "2"]),
        ]),
    );
    watchlists.register_watchlist("Other", table(&[("SearchKey", &["z"])]));
    ChainCatalog(vec![Arc::new(tables), Arc::new(watchlists)])
}

#[test]
fn watchlist_reads_as_a_table() {
    let c = catalog();
    let r = run(
        &c,
        "let vips = _GetWatchlist('VIP') | project SearchKey; Users | where Upn in (vips) | count",
    )
    .expect("plans and runs");
    assert_eq!(r.row_count(), 1);
    let n = engine::output::to_ndjson(&r);
    assert!(n.contains("2"), "{n}");
    let r = run(&c, "_GetWatchlist(\"VIP\") | where Tier == '2'").expect("runs");
    assert_eq!(r.row_count(), 1);
}

#[test]
fn unknown_watchlist_names_the_known_ones() {
    let c = catalog();
    let q = "Users | where Upn in (_GetWatchlist('Decoy') | project SearchKey)";
    let e = run(&c, q).expect_err("Decoy is a table, not a watchlist");
    let msg = e.to_string();
    assert!(msg.contains("unknown watchlist 'Decoy'"), "{msg}");
    assert!(msg.contains("known watchlists: Other, VIP"), "{msg}");
    let EngineError::Plan {
        span: Some(span), ..
    } = e
    else {
        panic!("expected a planning error with a span")
    };
    assert_eq!(&q[span.start..span.end], "'Decoy'");
    let e = run(&MemoryCatalog::new(), "_GetWatchlist('X')").expect_err("none defined");
    assert!(e.to_string().contains("no watchlists are defined"));
}
