//! File-driven KQL tests: `tests/kql/*.test` at the repository root.
//!
//! Each case is a `query` block followed by an `expect` block holding the CSV the engine must
//! print (header line, then rows). Rows are compared as a multiset unless the block says
//! `expect ordered`. `expect error` means the query must be rejected. Blank lines and lines
//! starting with `#` between cases are ignored.
//!
//! ```text
//! query
//! datatable(x:long)[1, 2] | summarize n = count()
//! expect
//! n
//! 2
//! ```

use engine::catalog::MemoryCatalog;
use engine::{RunOptions, output};
use std::path::PathBuf;

struct Case {
    file: String,
    line: usize,
    query: String,
    expect: Vec<String>,
    ordered: bool,
    error: bool,
}

fn parse_cases(file: &str, text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim_end();
        if l.trim().is_empty() || l.starts_with('#') {
            i += 1;
            continue;
        }
        assert_eq!(l, "query", "{file}:{}: expected 'query'", i + 1);
        let start = i + 1;
        i += 1;
        let mut q = Vec::new();
        while i < lines.len() && !lines[i].starts_with("expect") {
            q.push(lines[i]);
            i += 1;
        }
        let head = lines.get(i).copied().unwrap_or("expect");
        i += 1;
        let mut exp = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() {
            exp.push(lines[i].to_string());
            i += 1;
        }
        cases.push(Case {
            file: file.to_string(),
            line: start,
            query: q.join("\n"),
            expect: exp,
            ordered: head.contains("ordered"),
            error: head.contains("error"),
        });
    }
    cases
}

#[test]
fn kql_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/kql");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/kql")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for f in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
    {
        let text = std::fs::read_to_string(f).expect("read test file");
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        for case in parse_cases(&name, &text) {
            count += 1;
            let catalog = MemoryCatalog::new();
            let session = engine::new_session();
            let opts = RunOptions {
                now: 0,
                ..Default::default()
            };
            let res = rt.block_on(engine::run_query(&catalog, &session, &case.query, &opts));
            let at = format!("{}:{}", case.file, case.line);
            match (res, case.error) {
                (Err(_), true) => {}
                (Ok(_), true) => failures.push(format!("{at}: expected an error")),
                (Err(e), false) => failures.push(format!("{at}: {}", e.render(&case.query, &at))),
                (Ok(r), false) => {
                    let csv = output::to_csv(&r);
                    let mut got: Vec<String> = csv.lines().map(str::to_string).collect();
                    let mut want = case.expect.clone();
                    if !case.ordered && got.len() > 1 && want.len() > 1 {
                        got[1..].sort();
                        want[1..].sort();
                    }
                    if got != want {
                        failures.push(format!("{at}:\n  want: {want:?}\n  got:  {got:?}"));
                    }
                }
            }
        }
    }
    assert!(count > 0, "no KQL test cases found in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {count} KQL cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
