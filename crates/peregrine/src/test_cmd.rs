//! `peregrine rules test`: each rule's fixtures (`<dir>/tests/<stem>/<case>/`) ingested into a
//! temporary store, the rule run with `now` pinned to the case's, and the alerts compared with
//! `expect.yaml` (see `detect::fixture`). Rules that read UEBA's tables get `ueba::run` over the
//! case's store first. Every rule needs at least one positive case (alerts
//! expected) and one negative case (none expected).

use anyhow::{Context, Result};
use detect::fixture::{self, Case};
use detect::run::Window;
use engine::catalog::{Catalog, ChainCatalog, MemoryCatalog};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// A rule and the directory its fixtures live under (`<dir>/tests`).
struct Subject {
    rule: detect::Rule,
    stem: String,
    tests_root: PathBuf,
}

/// The built-in pack's fixtures: `rules/tests` under the current directory, else in the source
/// tree the binary was built from.
fn builtin_tests_root() -> Option<PathBuf> {
    let here = PathBuf::from("rules/tests");
    if here.is_dir() {
        return Some(here);
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/tests");
    src.is_dir().then_some(src)
}

fn stem_of(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn subjects(paths: &[PathBuf]) -> Result<(Vec<Subject>, Vec<String>)> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    if paths.is_empty() {
        let root = builtin_tests_root()
            .context("the built-in pack's fixtures (rules/tests) were not found; run from the repository or give PATH")?;
        for rule in crate::builtin::rules()? {
            let file = rule.source.to_string_lossy().to_string();
            let stem = stem_of(Path::new(file.trim_start_matches("builtin:")));
            out.push(Subject {
                rule,
                stem,
                tests_root: root.clone(),
            });
        }
        return Ok((out, problems));
    }
    for f in detect::rule::rule_files(paths) {
        match detect::rule::load_file(&f) {
            Ok(rules) => {
                let tests_root = f.parent().unwrap_or_else(|| Path::new(".")).join("tests");
                for rule in rules {
                    out.push(Subject {
                        rule,
                        stem: stem_of(&f),
                        tests_root: tests_root.clone(),
                    });
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    Ok((out, problems))
}

/// Ingests a case's inputs into a fresh store under `dir` and runs the rule over it.
async fn run_case(rule: &detect::Rule, case: &Case, dir: &Path) -> Result<Vec<String>> {
    let root = dir.join("store");
    let mut st = store::Store::open_for_write(&root)
        .with_context(|| format!("creating a store at {}", root.display()))?;
    let opts = ingest::Options {
        strict: true,
        ..ingest::Options::default()
    };
    let summary = ingest::ingest(&mut st, &case.inputs, &opts, &mut ingest::NoProgress)
        .map_err(|e| anyhow::anyhow!("ingesting the fixture: {e}"))?;
    let mut problems: Vec<String> = summary
        .files
        .iter()
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|e| format!("{}: not ingested: {e}", f.path.display()))
        })
        .collect();
    for w in &case.expect.watchlists {
        let file = case.dir.join(&w.file);
        let added = store::watchlist::read_items(&file).and_then(|items| {
            st.add_watchlist(
                &items,
                &store::watchlist::AddOptions {
                    name: &w.name,
                    key: &w.key,
                    description: None,
                    source: &file.display().to_string(),
                    replace: false,
                    now: case.expect.now,
                },
            )
        });
        if let Err(e) = added {
            problems.push(format!("watchlist '{}': {e}", w.name));
        }
    }
    // Rules over UEBA's tables need them computed, as `peregrine ingest` does after sign-ins.
    if rule.query.contains("BehaviorAnalytics") || rule.query.contains("UserPeerAnalytics") {
        let opts = ueba::Options {
            now: Some(case.expect.now),
            full: true,
        };
        // UEBA drives its own query runtime: run it off this async task's thread.
        let res = std::thread::scope(|sc| sc.spawn(|| ueba::run(&mut st, &opts)).join());
        match res {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => problems.push(format!("running UEBA on the fixture: {e}")),
            Err(_) => problems.push("running UEBA on the fixture: it panicked".into()),
        }
    }
    drop(st);
    let st = store::Store::open(&root).context("opening the fixture store")?;
    // Tables the fixture does not hold are present but empty, as in a workspace without them.
    let mut empty = MemoryCatalog::new();
    let schemas: Vec<engine::schema::TableSchema> =
        ingest::schemas::known_tables().cloned().collect();
    engine::schema::register_empty(&mut empty, &schemas)?;
    let catalog: Arc<dyn Catalog> = Arc::new(ChainCatalog(vec![
        Arc::new(store::StoreCatalog::new(&st)),
        Arc::new(empty),
    ]));
    let session = engine::new_session();
    let now = case.expect.now;
    let w = Window {
        now,
        from: now.saturating_sub(fixture::RANGE_TICKS),
        to: now,
    };
    match detect::run::alerts(rule, catalog.as_ref(), &session, &w).await {
        Ok(alerts) => problems.extend(fixture::compare(&case.expect, &alerts)),
        Err(e) => problems.push(e.rendered),
    }
    Ok(problems)
}

pub async fn test(paths: Vec<PathBuf>) -> Result<ExitCode> {
    let (subjects, mut failures) = subjects(&paths)?;
    for p in &failures {
        eprintln!("{p}");
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for s in &subjects {
        let cases = match fixture::cases(&s.tests_root, &s.stem) {
            Ok(c) => c,
            Err(e) => {
                failures.push(e.clone());
                eprintln!("FAIL {}: {e}", s.stem);
                continue;
            }
        };
        let cases: Vec<&Case> = cases
            .iter()
            .filter(|c| {
                c.expect
                    .rule
                    .as_ref()
                    .is_none_or(|r| *r == s.rule.name || *r == s.rule.id)
            })
            .collect();
        let positives = cases.iter().filter(|c| c.expect.alerts > 0).count();
        if positives == 0 || positives == cases.len() {
            let msg = format!(
                "{} ('{}'): needs at least one positive and one negative fixture under {} ({} case(s), {positives} positive)",
                s.stem,
                s.rule.name,
                s.tests_root.join(&s.stem).display(),
                cases.len()
            );
            eprintln!("FAIL {msg}");
            failures.push(msg);
        }
        for case in cases {
            let tmp = tempfile::tempdir().context("creating a temporary directory")?;
            let problems = run_case(&s.rule, case, tmp.path()).await?;
            if problems.is_empty() {
                passed += 1;
                println!("ok   {}", case.name);
            } else {
                failed += 1;
                println!("FAIL {}", case.name);
                for p in &problems {
                    println!("     {}", p.replace('\n', "\n     "));
                }
                failures.push(case.name.clone());
            }
        }
    }
    println!(
        "{passed} case(s) passed, {failed} failed, {} rule(s); {} problem(s)",
        subjects.len(),
        failures.len()
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
