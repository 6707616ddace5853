//! The seed detection queries in `../shared/seeds` plan and run against the Sentinel table
//! schemas (skipped when `../shared` is absent). The query text is read from the seed files,
//! never copied into the repository.

use engine::catalog::MemoryCatalog;
use engine::{RunOptions, schema};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seed(prefix: &str) -> Option<String> {
    let dir = root().join("../shared/seeds");
    let entry = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(prefix))?;
    std::fs::read_to_string(entry.path()).ok()
}

/// The KQL of a seed document in whichever of the three shapes the seeds use.
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

fn catalog() -> MemoryCatalog {
    let mut c = MemoryCatalog::new();
    let schemas = schema::load_dir(&root().join("schemas")).expect("repository schemas load");
    assert!(schemas.iter().any(|s| s.name == "SigninLogs"));
    schema::register_empty(&mut c, &schemas).expect("register schemas");
    c
}

fn plans(prefix: &str) {
    if !Path::new(&root().join("../shared/seeds")).exists() {
        eprintln!("../shared/seeds is absent: skipping seed {prefix}");
        return;
    }
    let text = seed(prefix).unwrap_or_else(|| panic!("seed {prefix} not found"));
    let q = seed_query(&text).unwrap_or_else(|| panic!("no KQL found in seed {prefix}"));
    let catalog = catalog();
    let session = engine::new_session();
    let mut opts = RunOptions::default();
    opts.params
        .insert("StartTimeISO".into(), "2024-01-01T00:00:00Z".into());
    opts.params
        .insert("EndTimeISO".into(), "2024-02-01T00:00:00Z".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match rt.block_on(engine::run_query(&catalog, &session, &q, &opts)) {
        Ok(r) => assert!(!r.columns.is_empty()),
        Err(e) => panic!("seed {prefix} failed:\n{}", e.render(&q, prefix)),
    }
}

#[test]
fn seed_000_credentials_added_then_used() {
    plans("000_");
}

#[test]
fn seed_001_suspicious_cloud_signins() {
    plans("001_");
}

#[test]
fn seed_002_anomalous_signins_needs_behavior_analytics() {
    plans("002_");
}

#[test]
fn seed_003_interactive_noninteractive_mismatch() {
    plans("003_");
}
