//! A crash during ingest: `peregrine ingest` killed with SIGKILL part-way leaves a store that
//! opens and holds only whole files (each file is one transaction); running the ingest again
//! completes it; running it a third time adds nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 24;
const PER_FILE: usize = 4000;

fn signin(file: usize, i: usize) -> String {
    format!(
        "{{\"id\":\"{file}-{i}\",\"createdDateTime\":\"2024-05-{:02}T{:02}:{:02}:00Z\",\"userPrincipalName\":\"user{}@contoso.com\",\"userId\":\"u{}\",\"appId\":\"a1\",\"appDisplayName\":\"Office 365\",\"ipAddress\":\"203.0.113.{}\",\"isInteractive\":true,\"status\":{{\"errorCode\":0}},\"location\":{{\"city\":\"Oslo\",\"countryOrRegion\":\"NO\"}},\"deviceDetail\":{{\"browser\":\"Edge\"}},\"clientAppUsed\":\"Browser\"}}\n",
        1 + (file % 28),
        i % 24,
        i % 60,
        i % 500,
        i % 500,
        i % 250
    )
}

fn count(bin: &str, store: &Path) -> i64 {
    let out = Command::new(bin)
        .args(["query", "--format", "json", "--store"])
        .arg(store)
        .arg("SigninLogs | count")
        .output()
        .expect("run query");
    assert!(
        out.status.success(),
        "query failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["Rows"][0][0].as_i64().expect("count")
}

#[test]
fn sigkill_mid_ingest_leaves_whole_files_only() {
    let bin = env!("CARGO_BIN_EXE_peregrine");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    for f in 0..FILES {
        let text: String = (0..PER_FILE).map(|i| signin(f, i)).collect();
        std::fs::write(input.join(format!("signins-{f:02}.json")), text).expect("write");
    }
    let store = dir.path().join("store");
    let mut child = Command::new(bin)
        .args(["ingest", "--quiet", "--store"])
        .arg(&store)
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn ingest");
    // Kill once at least one file is committed (or give up waiting and kill anyway).
    let manifest = store.join("manifest.json");
    let start = Instant::now();
    loop {
        let committed = std::fs::read_to_string(&manifest)
            .map(|t| t.contains("\"files\""))
            .unwrap_or(false);
        if committed || start.elapsed() > Duration::from_secs(60) {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();

    let n = count(bin, &store);
    assert_eq!(
        n % PER_FILE as i64,
        0,
        "a partial file is visible: {n} rows"
    );
    assert!(n <= (FILES * PER_FILE) as i64);

    let status = Command::new(bin)
        .args(["ingest", "--quiet", "--store"])
        .arg(&store)
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("re-run ingest");
    assert!(status.success());
    assert_eq!(count(bin, &store), (FILES * PER_FILE) as i64);

    let status = Command::new(bin)
        .args(["ingest", "--quiet", "--store"])
        .arg(&store)
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("third ingest");
    assert!(status.success());
    assert_eq!(count(bin, &store), (FILES * PER_FILE) as i64);
    // No stray data files remain beside the published ones.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).expect("manifest")).expect("json");
    let listed: usize = m["tables"]
        .as_object()
        .map(|t| {
            t.values()
                .map(|e| e["files"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    let on_disk = walk_count(&store.join("tables"), "parquet");
    assert_eq!(listed, on_disk);
}

fn walk_count(dir: &Path, ext: &str) -> usize {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                n += walk_count(&p, ext);
            } else if p.extension().is_some_and(|x| x == ext) {
                n += 1;
            }
        }
    }
    n
}
