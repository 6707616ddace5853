//! Compression follows the data: once a table's row groups show that a column barely shrinks
//! under Snappy (random ids, hashes), the table's next files store it uncompressed, while
//! columns that do shrink stay compressed; values read back the same either way.

use engine::KqlType;
use engine::datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use engine::datafusion::arrow::datatypes::Schema;
use engine::datafusion::parquet::basic::Compression;
use engine::datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
use engine::types::TICKS_PER_DAY;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::{ColumnDef, Store};
use xxhash_rust::xxh3::xxh3_64;

const DAY0: i64 = 19_800;
/// More than a row group (64k rows): the first file flushes one before the second begins.
const ROWS: usize = 70_000;

fn batch(day: i64, first: usize, rows: usize) -> (Vec<ColumnDef>, RecordBatch, Vec<u64>) {
    let cols = vec![
        ColumnDef::new("TimeGenerated", KqlType::DateTime),
        ColumnDef::new("CorrelationId", KqlType::String),
        ColumnDef::new("Details", KqlType::Dynamic),
    ];
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|c| c.ty().field(&c.name))
            .collect::<Vec<_>>(),
    ));
    let range = first..first + rows;
    let b = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(
                range
                    .clone()
                    .map(|i| (DAY0 + day) * TICKS_PER_DAY + i as i64),
            )),
            // Random hex: nothing for Snappy to find.
            Arc::new(StringArray::from_iter_values(range.clone().map(|i| {
                let i = i as u64;
                format!(
                    "{:016x}{:016x}",
                    xxh3_64(&i.to_le_bytes()),
                    xxh3_64(&(!i).to_le_bytes())
                )
            }))),
            // Distinct JSON texts that repeat most of their bytes: they shrink well.
            Arc::new(StringArray::from_iter_values(range.clone().map(|i| {
                format!(
                    r#"{{"city":"Seattle","state":"Washington","countryOrRegion":"US","n":{i}}}"#
                )
            }))),
        ],
    )
    .expect("batch");
    (cols, b, range.map(|i| i as u64).collect())
}

/// Each file's columns and their codecs, by day.
fn codecs(st: &Store, dir: &std::path::Path) -> BTreeMap<String, BTreeMap<String, Compression>> {
    let t = st.table("T").expect("table");
    t.files
        .iter()
        .map(|f| {
            let file = std::fs::File::open(dir.join(&f.path)).expect("open");
            let r = SerializedFileReader::new(file).expect("parquet");
            let rg = r.metadata().row_group(0);
            let cols = rg
                .columns()
                .iter()
                .map(|c| (c.column_path().string(), c.compression()))
                .collect();
            (f.day.clone().unwrap_or_default(), cols)
        })
        .collect()
}

#[test]
fn columns_that_do_not_shrink_are_stored_uncompressed_in_later_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut st = Store::open_for_write(dir.path()).expect("store");
    let mut txn = st.begin();
    let (cols, b, ids) = batch(0, 0, ROWS);
    txn.write("T", &cols, &b, &ids).expect("write");
    let (cols, b, ids) = batch(1, ROWS, 1000);
    txn.write("T", &cols, &b, &ids).expect("write");
    txn.commit().expect("commit");

    let by_day = codecs(&st, dir.path());
    let first = by_day.get("2024-03-18").expect("day 0");
    let second = by_day.get("2024-03-19").expect("day 1");
    assert!(matches!(
        first.get("CorrelationId"),
        Some(Compression::SNAPPY)
    ));
    assert!(matches!(
        second.get("CorrelationId"),
        Some(Compression::UNCOMPRESSED)
    ));
    assert!(matches!(second.get("Details"), Some(Compression::SNAPPY)));
    assert_eq!(st.table("T").map(|t| t.rows()), Some(ROWS as u64 + 1000));
}
