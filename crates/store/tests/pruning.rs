//! Time pruning: a scan with TimeGenerated bounds opens only the day files that can match, and
//! a commit is all-or-nothing for readers.

use engine::KqlType;
use engine::catalog::Catalog;
use engine::datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use engine::datafusion::arrow::datatypes::Schema;
use engine::datafusion::common::Column;
use engine::datafusion::logical_expr::{Expr, lit};
use engine::datafusion::physical_plan::displayable;
use engine::types::TICKS_PER_DAY;
use std::sync::Arc;
use store::{ColumnDef, Store, StoreCatalog};

const DAY0: i64 = 19_800; // 2024-03-18

fn batch(days: &[i64]) -> (Vec<ColumnDef>, RecordBatch, Vec<u64>) {
    let cols = vec![
        ColumnDef::new("TimeGenerated", KqlType::DateTime),
        ColumnDef::new("User", KqlType::String),
    ];
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|c| c.ty().field(&c.name))
            .collect::<Vec<_>>(),
    ));
    let times: Vec<i64> = days
        .iter()
        .map(|d| (DAY0 + d) * TICKS_PER_DAY + 3600)
        .collect();
    let users: Vec<String> = days.iter().map(|d| format!("u{d}")).collect();
    let b = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(times)),
            Arc::new(StringArray::from(users)),
        ],
    )
    .expect("batch");
    let ids = (0..days.len() as u64)
        .map(|i| i + 1000 * days[0] as u64)
        .collect();
    (cols, b, ids)
}

fn files_scanned(st: &Store, filters: &[Expr]) -> usize {
    let cat = StoreCatalog::new(st);
    let t = cat.table("T").expect("table");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let ctx = engine::new_session();
    let state = ctx.state();
    let plan = rt
        .block_on(t.scan(&state, None, filters, None))
        .expect("scan");
    displayable(plan.as_ref())
        .indent(true)
        .to_string()
        .matches(".parquet")
        .count()
}

#[test]
fn time_filters_prune_day_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    let mut txn = st.begin();
    let (cols, b, ids) = batch(&[0, 0, 1, 2, 2, 2]);
    txn.write("T", &cols, &b, &ids).expect("write");
    txn.commit().expect("commit");
    assert_eq!(st.table("T").map(|t| t.files.len()), Some(3));
    let tg = || Expr::Column(Column::new_unqualified("TimeGenerated"));
    assert_eq!(files_scanned(&st, &[]), 3);
    let from_day1 = tg().gt_eq(lit((DAY0 + 1) * TICKS_PER_DAY));
    assert_eq!(files_scanned(&st, std::slice::from_ref(&from_day1)), 2);
    let only_day1 = vec![from_day1, tg().lt(lit((DAY0 + 2) * TICKS_PER_DAY))];
    assert_eq!(files_scanned(&st, &only_day1), 1);
    let none = tg().gt(lit((DAY0 + 9) * TICKS_PER_DAY));
    assert_eq!(files_scanned(&st, &[none]), 0);
}

#[test]
fn uncommitted_writes_are_invisible_and_cleaned_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    {
        let mut txn = st.begin();
        let (cols, b, ids) = batch(&[0, 1]);
        txn.write("T", &cols, &b, &ids).expect("write");
        // dropped without commit
    }
    assert!(st.table("T").is_none());
    drop(st);
    let st = Store::open(dir.path()).expect("reopen");
    assert!(st.manifest().tables.is_empty());
    let parquet = walk(dir.path());
    assert_eq!(parquet, 0, "a dropped transaction left files behind");
}

fn walk(dir: &std::path::Path) -> usize {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                n += walk(&p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn replace_table_swaps_contents_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    let mut txn = st.begin();
    let (cols, b, ids) = batch(&[0, 1, 2]);
    txn.write("T", &cols, &b, &ids).expect("write");
    txn.commit().expect("commit");
    let mut txn = st.begin();
    txn.replace_table("T").expect("replace");
    let (cols, b, ids) = batch(&[5]);
    txn.write("T", &cols, &b, &ids).expect("write");
    txn.commit().expect("commit");
    assert_eq!(st.table("T").map(|t| t.rows()), Some(1));
    assert_eq!(walk(dir.path()), 1);
}
