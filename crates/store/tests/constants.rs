//! Constant columns: a data file leaves out columns whose value is the same in all its rows,
//! and every query reads them back as if they were stored (values, filters, counts,
//! statistics), including after the value changes within a transaction.

use engine::KqlType;
use engine::datafusion::arrow::array::{
    Array, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use engine::datafusion::arrow::datatypes::Schema;
use engine::datafusion::arrow::util::display::array_value_to_string;
use engine::datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use engine::types::TICKS_PER_DAY;
use std::sync::Arc;
use store::{ColumnDef, Store, StoreCatalog};

const DAY0: i64 = 19_800;
const ROWS: usize = 3000;

fn columns() -> Vec<ColumnDef> {
    vec![
        ColumnDef::new("TimeGenerated", KqlType::DateTime),
        ColumnDef::new("Type", KqlType::String),
        ColumnDef::new("Level", KqlType::Long),
        ColumnDef::new("IsInteractive", KqlType::Bool),
        ColumnDef::new("Score", KqlType::Real),
        ColumnDef::new("User", KqlType::String),
        ColumnDef::new("_ItemId", KqlType::String),
    ]
}

/// `ROWS` rows of one day starting at `first`, with `Type` = `ty` in every row.
fn batch(first: usize, ty: &str) -> (Vec<ColumnDef>, RecordBatch, Vec<u64>) {
    let cols = columns();
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|c| c.ty().field(&c.name))
            .collect::<Vec<_>>(),
    ));
    let rows = first..first + ROWS;
    let b = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(
                rows.clone().map(|i| DAY0 * TICKS_PER_DAY + i as i64),
            )),
            Arc::new(StringArray::from_iter_values(rows.clone().map(|_| ty))),
            Arc::new(Int64Array::from_iter_values(rows.clone().map(|_| 4))),
            Arc::new(BooleanArray::from_iter(rows.clone().map(|_| Some(false)))),
            Arc::new(Float64Array::from_iter_values(rows.clone().map(|_| 0.5))),
            Arc::new(StringArray::from_iter_values(
                rows.clone().map(|i| format!("u{}", i % 7)),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.clone().map(|i| format!("id{i}")),
            )),
        ],
    )
    .expect("batch");
    (cols, b, rows.map(|i| i as u64).collect())
}

/// The query's result as rows of display texts.
fn query(st: &Store, text: &str) -> Vec<Vec<String>> {
    let catalog = StoreCatalog::new(st);
    let session = engine::new_session();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let res = rt
        .block_on(engine::run_query(
            &catalog,
            &session,
            text,
            &engine::RunOptions::default(),
        ))
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut out = Vec::new();
    for b in &res.batches {
        for r in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .map(|c| array_value_to_string(c, r).unwrap_or_default())
                    .collect(),
            );
        }
    }
    out
}

/// The column names stored in each of the table's files, in order of day and writing.
fn stored_columns(st: &Store, dir: &std::path::Path) -> Vec<Vec<String>> {
    let t = st.table("T").expect("table");
    let mut files: Vec<_> = t.files.iter().collect();
    files.sort_by_key(|f| (f.day.clone(), f.path.rsplit('-').next().map(str::to_string)));
    files
        .into_iter()
        .map(|f| {
            let file = std::fs::File::open(dir.join(&f.path)).expect("open");
            let b = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
            b.schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect()
        })
        .collect()
}

fn rows(v: &[&[&str]]) -> Vec<Vec<String>> {
    v.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

#[test]
fn constant_columns_are_left_out_of_files_and_read_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    let mut txn = st.begin();
    let (cols, b, ids) = batch(0, "SigninLogs");
    txn.write("T", &cols, &b, &ids).expect("write");
    txn.commit().expect("commit");

    let stored = stored_columns(&st, dir.path());
    assert_eq!(stored, vec![vec!["TimeGenerated", "User", "_ItemId"]]);
    let entry = st.table("T").expect("table");
    assert_eq!(
        entry.files[0].constants.get("Type").map(String::as_str),
        Some("SigninLogs")
    );

    assert_eq!(
        query(
            &st,
            "T | take 1 | project Type, Level, IsInteractive, Score"
        ),
        rows(&[&["SigninLogs", "4", "false", "0.5"]])
    );
    assert_eq!(
        query(&st, "T | where Type == 'SigninLogs' | count"),
        rows(&[&["3000"]])
    );
    assert_eq!(
        query(&st, "T | where Type == 'Other' | count"),
        rows(&[&["0"]])
    );
    assert_eq!(
        query(&st, "T | where Level > 3 | count"),
        rows(&[&["3000"]])
    );
    assert_eq!(
        query(&st, "T | where isnull(Level) | count"),
        rows(&[&["0"]])
    );
    // Answered from statistics by the optimizer: must count the values put back.
    assert_eq!(
        query(
            &st,
            "T | summarize count(Type), dcount(Type), min(Level), max(Score)"
        ),
        rows(&[&["3000", "1", "4", "0.5"]])
    );
    assert_eq!(
        query(&st, "T | summarize n = count() by Type, IsInteractive"),
        rows(&[&["SigninLogs", "false", "3000"]])
    );
}

#[test]
fn a_constant_that_changes_starts_a_file_that_stores_the_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    let mut txn = st.begin();
    let (cols, b, ids) = batch(0, "A");
    txn.write("T", &cols, &b, &ids).expect("write");
    let (cols, b, ids) = batch(ROWS, "B");
    txn.write("T", &cols, &b, &ids).expect("write");
    let (cols, b, ids) = batch(2 * ROWS, "C");
    txn.write("T", &cols, &b, &ids).expect("write");
    txn.commit().expect("commit");

    let stored = stored_columns(&st, dir.path());
    assert_eq!(
        stored.len(),
        2,
        "one new file when Type varies, not one per value"
    );
    assert!(!stored[0].contains(&"Type".to_string()));
    assert!(stored[1].contains(&"Type".to_string()));
    assert!(!stored[1].contains(&"Level".to_string()));
    assert_eq!(
        query(&st, "T | summarize n = count() by Type | order by Type asc"),
        rows(&[&["A", "3000"], &["B", "3000"], &["C", "3000"]])
    );
    assert_eq!(
        query(
            &st,
            "T | where Type != 'B' | summarize count(), dcount(Type)"
        ),
        rows(&[&["6000", "2"]])
    );
}

#[test]
fn small_batches_store_every_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    let mut txn = st.begin();
    let (cols, b, ids) = batch(0, "A");
    let (b, ids) = (b.slice(0, 10), ids[..10].to_vec());
    txn.write("T", &cols, &b, &ids).expect("write");
    txn.commit().expect("commit");
    assert_eq!(stored_columns(&st, dir.path())[0].len(), 7);
    assert!(b.column(1).len() == 10);
}

#[test]
fn evidence_for_a_constant_adds_up_over_small_batches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    let mut txn = st.begin();
    // Two batches of 600 rows, a day apart: the first file is begun on too few rows to
    // judge; by the second, the table has shown 1200 rows of one `Type`.
    for (day, first) in [(0i64, 0usize), (1, ROWS)] {
        let (cols, b, ids) = batch(first, "A");
        let mut columns = b.columns().to_vec();
        let times = Int64Array::from_iter_values(
            (0..ROWS as i64).map(|i| (DAY0 + day) * TICKS_PER_DAY + i),
        );
        columns[0] = Arc::new(times);
        let b = RecordBatch::try_new(b.schema(), columns).expect("batch");
        txn.write("T", &cols, &b.slice(0, 600), &ids[..600])
            .expect("write");
    }
    txn.commit().expect("commit");
    let stored = stored_columns(&st, dir.path());
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].len(), 7);
    assert_eq!(stored[1], vec!["TimeGenerated", "User", "_ItemId"]);
    assert_eq!(
        query(&st, "T | summarize n = count() by Type, Level"),
        rows(&[&["A", "4", "1200"]])
    );
}

#[test]
fn stores_of_the_previous_format_open_and_newer_ones_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Format 1: files keep every column (no `constants`).
    let v1 = r#"{"version":1,"generation":3,"tables":{}}"#;
    std::fs::write(dir.path().join("manifest.json"), v1).expect("write");
    let st = Store::open(dir.path()).expect("a format-1 store opens");
    assert_eq!(st.manifest().generation, 3);
    let next = store::manifest::FORMAT_VERSION + 1;
    let newer = format!(r#"{{"version":{next},"generation":3,"tables":{{}}}}"#);
    std::fs::write(dir.path().join("manifest.json"), newer).expect("write");
    let err = Store::open(dir.path()).err().map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("newer than this Peregrine")),
        "{err:?}"
    );
}
