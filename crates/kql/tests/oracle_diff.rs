//! Differential syntax test against Microsoft's own KQL parser (Kusto.Language, run through
//! `../shared/kqloracle/oracle.js`).
//!
//! The corpus is every query of `tests/kql/*.test`, the `query` field of every case in
//! `../shared/conformance/cases/*.jsonl`, the KQL of the seed documents in `../shared/seeds`
//! (read here, never copied into the repository) and the team-written tricky cases in
//! `tests/corpus/*.kql`. Each query goes through our parser and through the oracle (one `node`
//! process fed JSON lines, no schema). Our parser must accept exactly the queries the oracle
//! finds free of syntax errors, apart from the [`KNOWN`] differences listed below.
//!
//! The test skips (and passes) when `node`, `../shared` or the oracle's `node_modules` is absent.
//! `ORACLE_DIFF_VERBOSE=1` prints every case with the oracle's first syntax error.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Known, justified differences: (case id, reason). The id names the case as printed by this
/// test (`file:N` for the repository's files, the case id for conformance cases). A listed case
/// must still differ; when it stops differing, remove it from the list.
const KNOWN: &[(&str, &str)] = &[
    // Numbers glued to letters that are not timespan units (`100ns`, `2L`, `1us`): Kusto's lexer
    // takes the whole run as one *name* and its binder then reports an unknown name; Kusto's
    // engine rejects these queries (both conformance cases expect an error). We reject them in
    // the lexer with "unknown timespan unit", which says more.
    (
        "kustainer:verdicts/r3-datetime-timespan:agent-datetime-timespan-0026",
        "100ns / 1us: a name to Kusto's parser, an error to its engine; ours rejects",
    ),
    (
        "kustainer:verdicts/r3-type-casts-coercion:agent-type-casts-coercion-0034",
        "2L: a name to Kusto's parser, an error to its engine; ours rejects",
    ),
    ("tricky.kql:24", "100ns: as above"),
    ("tricky.kql:25", "2L: as above"),
    // `where x = 1`: Kusto's parser reads `x = 1` as a named expression and its binder rejects
    // it ("must have the type bool"), so the engine refuses the query; we refuse it while
    // parsing.
    (
        "operators.kql:186",
        "where x = 1: rejected by Kusto's binder, by our parser",
    ),
    // `{{Name}}` template placeholders are a Peregrine extension for detection-rule templates
    // (the seed queries use them); they are substituted before Kusto would see the text.
    (
        "operators.kql:194",
        "{{Table}} placeholder: Peregrine extension",
    ),
    (
        "operators.kql:196",
        "{{Name}} placeholder: Peregrine extension",
    ),
    // `like` / `notlike` (and `likecs`/`notlikecs`): Kusto.Language parses these legacy
    // operators, but they are not in the Kusto query reference and have no documented
    // semantics, so we do not accept them.
    ("tricky.kql:54", "like: undocumented legacy operator"),
    ("tricky.kql:55", "notlike: undocumented legacy operator"),
];

struct Case {
    id: String,
    query: String,
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Queries of the file-driven suite: the lines between `query` and `expect...`.
fn test_file_cases(dir: &Path, out: &mut Vec<Case>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "test"));
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let mut cur: Option<Vec<&str>> = None;
        let mut n = 0;
        for line in text.lines() {
            match &mut cur {
                None if line.trim() == "query" => cur = Some(Vec::new()),
                None => {}
                Some(lines) if line.starts_with("expect") => {
                    n += 1;
                    out.push(Case {
                        id: format!("{name}:{n}"),
                        query: lines.join("\n"),
                    });
                    cur = None;
                }
                Some(lines) => lines.push(line),
            }
        }
    }
}

fn conformance_cases(dir: &Path, out: &mut Vec<Case>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let Some(q) = v.get("query").and_then(Value::as_str) {
                let id = v.get("id").and_then(Value::as_str).map(str::to_string);
                out.push(Case {
                    id: id.unwrap_or_else(|| format!("{}:{}", f.display(), i + 1)),
                    query: q.to_string(),
                });
            }
        }
    }
}

/// The KQL of a seed document in whichever of the shapes the seeds use (the same rules as
/// `crates/engine/tests/seeds.rs`); None when the document holds no query.
fn seed_query(text: &str) -> Option<String> {
    if let Some(line) = text.lines().find(|l| l.starts_with("query: \"")) {
        let q: String = serde_json::from_str(&line["query: ".len()..]).ok()?;
        return Some(q.replace("```kusto", "").replace("```", ""));
    }
    if let Some(a) = text.find("KQL Query\n") {
        let rest = &text[a + "KQL Query\n".len()..];
        let end = rest.find("\nid: ").unwrap_or(rest.len());
        return Some(rest[..end].to_string());
    }
    let a = text.find("\nkusto\n")? + "\nkusto\n".len();
    let rest = &text[a..];
    let end = rest
        .find("high severity")
        .or_else(|| rest.find("\nData Sources"))
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

fn seed_cases(dir: &Path, out: &mut Vec<Case>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if let Some(q) = seed_query(&text) {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            out.push(Case {
                id: format!("seed:{}", name.unwrap_or_default()),
                query: q,
            });
        }
    }
}

/// Team-written cases: queries separated by lines holding only `====`.
fn corpus_cases(dir: &Path, out: &mut Vec<Case>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "kql"));
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let mut cur: Vec<&str> = Vec::new();
        let mut n = 0;
        for line in text.lines().chain(std::iter::once("====")) {
            if line.trim_end() == "====" {
                let q = cur.join("\n");
                if !q.trim().is_empty() {
                    n += 1;
                    out.push(Case {
                        id: format!("{name}:{n}"),
                        query: q,
                    });
                }
                cur.clear();
            } else {
                cur.push(line);
            }
        }
    }
}

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The oracle's verdict on one query.
#[derive(Clone)]
enum Verdict {
    /// No syntax errors.
    Accept,
    /// The first syntax error and its UTF-16 offset.
    Reject(String),
    /// The oracle itself failed on the query (its binder throws on a few inputs); not judged.
    Failed(String),
}

/// The oracle's verdict per case.
fn run_oracle(oracle: &Path, cases: &[Case]) -> Vec<Verdict> {
    let mut child = Command::new("node")
        .arg(oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node oracle.js");
    let mut stdin = child.stdin.take().expect("oracle stdin");
    let input: String = cases
        .iter()
        .enumerate()
        .map(|(i, c)| serde_json::json!({"id": i, "query": c.query}).to_string() + "\n")
        .collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = child.stdout.take().expect("oracle stdout");
    let mut verdicts: Vec<Option<Verdict>> = vec![None; cases.len()];
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read oracle output");
        let v: Value = serde_json::from_str(&line).expect("oracle prints JSON lines");
        let Some(id) = v.get("id").and_then(Value::as_u64) else {
            panic!("oracle line without an id: {line}");
        };
        let verdict = if let Some(e) = v.get("error") {
            Verdict::Failed(e.to_string())
        } else {
            let errs = v
                .get("syntax_errors")
                .and_then(Value::as_array)
                .expect("syntax_errors");
            match errs.first() {
                None => Verdict::Accept,
                Some(e) => Verdict::Reject(format!(
                    "{} at {}",
                    e.get("message").and_then(Value::as_str).unwrap_or("?"),
                    e.get("start").and_then(Value::as_u64).unwrap_or(0)
                )),
            }
        };
        if let Some(slot) = usize::try_from(id).ok().and_then(|i| verdicts.get_mut(i)) {
            *slot = Some(verdict);
        }
    }
    let _ = writer.join();
    let status = child.wait().expect("oracle exit");
    assert!(status.success(), "oracle exited with {status}");
    verdicts
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.unwrap_or_else(|| panic!("no oracle answer for case {i}")))
        .collect()
}

#[test]
fn parser_agrees_with_microsofts_parser() {
    let root = workspace();
    let shared = root.join("../shared");
    let oracle = shared.join("kqloracle/oracle.js");
    let modules = std::env::var_os("KQLORACLE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared.join("kqloracle"));
    if !oracle.exists() {
        eprintln!("oracle_diff skipped: {} is absent", oracle.display());
        return;
    }
    if !modules
        .join("node_modules/@kusto/language-service-next")
        .exists()
    {
        eprintln!(
            "oracle_diff skipped: the oracle's node_modules is absent (run `npm ci` in {})",
            shared.join("kqloracle").display()
        );
        return;
    }
    if !node_available() {
        eprintln!("oracle_diff skipped: node is not installed");
        return;
    }

    let mut cases = Vec::new();
    test_file_cases(&root.join("tests/kql"), &mut cases);
    conformance_cases(&shared.join("conformance/cases"), &mut cases);
    seed_cases(&shared.join("seeds"), &mut cases);
    corpus_cases(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus"),
        &mut cases,
    );
    assert!(!cases.is_empty(), "empty corpus");

    let verdicts = run_oracle(&oracle, &cases);
    let known: HashMap<&str, &str> = KNOWN.iter().copied().collect();
    let verbose = std::env::var_os("ORACLE_DIFF_VERBOSE").is_some();
    let (mut agree, mut known_diff, mut unjudged) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut seen_known = Vec::new();
    for (case, verdict) in cases.iter().zip(&verdicts) {
        let ours = kql::parse_query(&case.query);
        if verbose {
            println!(
                "{}\tours={}\toracle={}",
                case.id,
                match &ours {
                    Ok(_) => "ok".to_string(),
                    Err(d) => format!("err: {}", d.message),
                },
                match verdict {
                    Verdict::Accept => "ok".to_string(),
                    Verdict::Reject(e) => format!("err: {e}"),
                    Verdict::Failed(e) => format!("failed: {e}"),
                }
            );
        }
        let oracle_ok = match verdict {
            Verdict::Accept => true,
            Verdict::Reject(_) => false,
            Verdict::Failed(e) => {
                println!(
                    "oracle_diff: the oracle failed on {} ({e}); not judged",
                    case.id
                );
                unjudged += 1;
                continue;
            }
        };
        if ours.is_ok() == oracle_ok {
            agree += 1;
            continue;
        }
        if known.contains_key(case.id.as_str()) {
            known_diff += 1;
            seen_known.push(case.id.as_str());
            continue;
        }
        let detail = match (&ours, verdict) {
            (Err(d), Verdict::Accept) => format!(
                "we reject what Kusto accepts:\n{}",
                d.render(&case.query, &case.id)
            ),
            (Ok(_), Verdict::Reject(e)) => format!("we accept what Kusto rejects ({e})"),
            _ => String::new(),
        };
        failures.push(format!("--- {}\n{}\n{}", case.id, case.query, detail));
    }
    let stale: Vec<&str> = KNOWN
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !seen_known.contains(id))
        .collect();
    println!(
        "oracle_diff: {} queries, {agree} agree, {known_diff} known differences, {} new differences, \
         {unjudged} not judged",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty() && stale.is_empty(),
        "{} differences from Microsoft's parser:\n{}\nKNOWN entries that no longer differ (or \
         no longer exist): {stale:?}",
        failures.len(),
        failures.join("\n")
    );
}
