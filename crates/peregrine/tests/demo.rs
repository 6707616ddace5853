//! `peregrine demo` end to end: every planted attack is found, no benign look-alike alerts,
//! and the HTML report renders in a headless browser when one is installed.

use std::path::Path;
use std::process::Command;

fn run_demo(out: &Path) -> String {
    let res = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args([
            "demo", "--days", "10", "--users", "60", "--seed", "7", "--out",
        ])
        .arg(out)
        .output()
        .expect("runs peregrine demo");
    let stdout = String::from_utf8_lossy(&res.stdout).to_string();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(
        res.status.success(),
        "demo failed ({:?})\n{stdout}\n{stderr}",
        res.status
    );
    stdout
}

fn browser() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn demo_finds_every_planted_attack_and_the_report_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("demo");
    let stdout = run_demo(&out);
    assert!(
        stdout.contains("planted attacks found: 11/11; alerts on benign look-alikes: 0;"),
        "{stdout}"
    );
    assert!(!stdout.contains("MISSED"), "{stdout}");
    assert!(!stdout.contains("rule error"), "{stdout}");

    let report = out.join("report.html");
    let html = std::fs::read_to_string(&report).expect("report.html written");
    let names = [
        "Impossible travel",
        "MFA fatigue",
        "Password spray",
        "signed in from a new country",
        "ReportExporter",
        "PayrollSync",
    ];
    for n in names {
        assert!(html.contains(n), "report lacks {n}");
    }
    // Self-contained: no external stylesheets, scripts or images.
    for bad in ["<link", "<script src", "<img", "@import", "url("] {
        assert!(!html.contains(bad), "report has {bad}");
    }

    // Same seed, same files.
    let again = dir.path().join("again");
    run_demo(&again);
    let a = std::fs::read(out.join("exports/purview/audit-search.csv")).expect("csv");
    let b = std::fs::read(again.join("exports/purview/audit-search.csv")).expect("csv");
    assert_eq!(a, b, "the demo is not deterministic for a seed");

    let Some(b) = browser() else {
        println!("skip: no chromium/chromium-browser/google-chrome on PATH; report not rendered");
        return;
    };
    let url = format!("file://{}", report.display());
    let profile = dir.path().join("profile");
    let common = [
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--no-first-run",
    ];
    let dom = Command::new(b)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("runs the browser");
    let dom = String::from_utf8_lossy(&dom.stdout);
    for n in names {
        assert!(dom.contains(n), "rendered DOM lacks {n}");
    }
    assert!(dom.contains("<svg"), "rendered DOM lacks the timeline");
    let png = dir.path().join("report.png");
    let shot = Command::new(b)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1400,2200")
        .arg(&url)
        .output()
        .expect("runs the browser");
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "screenshot missing or empty ({size} bytes): {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    if let Ok(keep) = std::env::var("PEREGRINE_DEMO_SCREENSHOT") {
        let _ = std::fs::copy(&png, keep);
    }
}
