//! Malformed inputs: nothing panics, nothing vanishes. Bad records land in the rejects file
//! (with file, line and reason) and are counted; a file that is not an export, or a gzip cut
//! short, fails alone while the other files go in.

mod common;
use common::*;
use serde_json::{Value, json};
use std::io::Write;

fn signin(id: &str) -> String {
    format!(
        "{{\"id\":\"{id}\",\"createdDateTime\":\"2024-01-02T03:04:05Z\",\"userPrincipalName\":\"a@b.c\",\"ipAddress\":\"198.51.100.1\",\"isInteractive\":true,\"status\":{{\"errorCode\":0}}}}"
    )
}

fn rejects(root: &std::path::Path) -> Vec<Value> {
    let dir = root.join("rejects");
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let text = std::fs::read_to_string(e.path()).expect("read rejects");
            out.extend(
                text.lines()
                    .map(|l| serde_json::from_str::<Value>(l).expect("json")),
            );
        }
    }
    out
}

#[test]
fn broken_json_lines_and_wrong_types_are_rejected_with_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let text = format!(
        "{}\n{{\"id\":\"x\",\"createdDateTime\":\n{}\n{}\n[1,2]\n",
        signin("1"),
        signin("2").replace("true", "\"maybe\""),
        signin("3").replace("2024-01-02T03:04:05Z", "yesterday"),
    );
    let f = write(dir.path(), "s.ndjson", &text);
    let s = ingest_paths(&root, &[f], &ingest::Options::default());
    assert_eq!(s.failed_files(), 0);
    assert_eq!(s.rows(), 1);
    // The array line holds two values that are not records: two rejects.
    assert_eq!(s.rejected(), 5);
    let r = rejects(&root);
    assert_eq!(r.len(), 5);
    let by_line: Vec<(u64, String)> = r
        .iter()
        .map(|x| {
            (
                x["line"].as_u64().unwrap_or(0),
                x["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(by_line[0].0, 2);
    assert!(by_line[0].1.starts_with("invalid JSON"), "{by_line:?}");
    assert_eq!(by_line[1].0, 3);
    assert!(
        by_line[1]
            .1
            .contains("IsInteractive (bool): expected a bool"),
        "{by_line:?}"
    );
    assert_eq!(by_line[2].0, 4);
    assert!(by_line[2].1.contains("expected a datetime"), "{by_line:?}");
    assert_eq!(by_line[3].0, 5);
    assert_eq!(by_line[4].0, 5);
    assert!(
        by_line[4].1.contains("expected a JSON object"),
        "{by_line:?}"
    );
    assert!(r[1]["record"].as_str().is_some_and(|t| t.contains("maybe")));
    assert_eq!(scalar(&root, "SigninLogs | count"), json!(1));

    // --strict: the same file fails whole.
    let root2 = dir.path().join("strict");
    let f = dir.path().join("s.ndjson");
    let s = ingest_paths(
        &root2,
        &[f],
        &ingest::Options {
            strict: true,
            ..Default::default()
        },
    );
    assert_eq!(s.failed_files(), 1);
    assert_eq!(s.rows(), 0);
}

#[test]
fn truncated_gzip_fails_that_file_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let body: String = (0..2000).map(|i| signin(&i.to_string()) + "\n").collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).expect("gzip");
    let bytes = gz.finish().expect("gzip");
    let whole = dir.path().join("a.json.gz");
    std::fs::write(&whole, &bytes).expect("write");
    let cut = dir.path().join("b.json.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let s = ingest_paths(
        &root,
        &[cut.clone(), whole.clone()],
        &ingest::Options::default(),
    );
    assert!(s.files[0].error.is_some(), "{:?}", s.files[0]);
    assert!(s.files[1].error.is_none());
    assert_eq!(scalar(&root, "SigninLogs | count"), json!(2000));
}

#[test]
fn binary_garbage_and_unknown_json_are_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let bin = dir.path().join("x.bin");
    std::fs::write(&bin, [0u8, 159, 146, 150, 0, 1, 2, 255]).expect("write");
    let other = write(dir.path(), "o.json", "{\"hello\":\"world\"}\n");
    let empty = write(dir.path(), "e.json", "");
    let s = ingest_paths(&root, &[bin, other, empty], &ingest::Options::default());
    assert_eq!(s.failed_files(), 3);
    let errs: Vec<&str> = s.files.iter().filter_map(|f| f.error.as_deref()).collect();
    assert!(errs[0].contains("not a text file"), "{errs:?}");
    assert!(errs[1].contains("match no known export format"), "{errs:?}");
    assert!(errs[2].contains("empty"), "{errs:?}");
}

#[test]
fn a_fifty_megabyte_line_is_one_reject_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let mut text = signin("1");
    text.push('\n');
    text.push_str("{\"id\":\"big\",\"createdDateTime\":\"2024-01-02T03:04:05Z\",\"ipAddress\":\"");
    text.push_str(&"9".repeat(50 << 20));
    text.push_str("\",\"status\":{\"errorCode\":0},\"isInteractive\":\"no idea\"}\n");
    text.push_str(&signin("3"));
    text.push('\n');
    let f = write(dir.path(), "big.ndjson", &text);
    let s = ingest_paths(&root, &[f], &ingest::Options::default());
    assert_eq!(s.rows(), 2);
    assert_eq!(s.rejected(), 1);
    assert_eq!(rejects(&root)[0]["line"], json!(2));
}

#[test]
fn reingesting_adds_nothing_and_counts_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let text: String = (0..10).map(|i| signin(&i.to_string()) + "\n").collect();
    let f = write(dir.path(), "s.ndjson", &text);
    let first = ingest_paths(&root, std::slice::from_ref(&f), &ingest::Options::default());
    assert_eq!(first.rows(), 10);
    let again = ingest_paths(&root, &[f], &ingest::Options::default());
    assert_eq!(again.rows(), 0);
    assert_eq!(again.tables["SigninLogs"].duplicates, 10);
    assert_eq!(scalar(&root, "SigninLogs | count"), json!(10));
}
