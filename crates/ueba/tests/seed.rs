//! Seed 002 ("Anomalous Sign-in Activity"), run verbatim over generated data after UEBA.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The shared seeds directory beside the repository (`<workspace>/../shared`), when present.
fn seed_file() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seeds/002_b78a1c2db2f5d039.txt");
    p.exists().then_some(p)
}

/// The `query:` value of a seed file (a YAML double-quoted string), without its kusto fence.
fn seed_query(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with("query: "))
        .expect("the seed has a query");
    let yaml = line.trim_start_matches("query: ");
    let s: String = serde_json::from_str(yaml).expect("the query is a double-quoted string");
    s.trim()
        .trim_start_matches("```kusto")
        .trim_end_matches("```")
        .to_string()
}

#[test]
fn seed_002_anomalous_signin_activity() {
    let Some(path) = seed_file() else {
        eprintln!("skipped: /work/shared is not present");
        return;
    };
    let text = std::fs::read_to_string(path).expect("read seed");
    let rule = seed_query(&text);

    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Vec::new();
    let baseline = [
        "b1@contoso.com",
        "b2@contoso.com",
        "b3@contoso.com",
        "b4@contoso.com",
        "b5@contoso.com",
    ];
    for day in 0..30 {
        for u in baseline {
            s.push(signin(u, day));
        }
    }
    // A failed sign-in from a new country: flagged by UEBA, filtered out by the rule.
    s.push(
        signin("b1@contoso.com", 27)
            .country("RU")
            .minute(600)
            .error(50126),
    );
    // A guest whose day-25 sign-in is their first from Brazil.
    let guest = "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com";
    for day in 0..30 {
        let c = if day == 25 { "BR" } else { "US" };
        s.push(signin(guest, day).country(c));
    }
    // A new account (created on day 20) signing in from day 20 on.
    for day in 20..30 {
        s.push(signin("new@contoso.com", day));
    }
    // An account created 200 days before its first sign-in: dormant.
    s.push(signin("sleepy@contoso.com", 25));
    let audit = vec![
        add_user("new@contoso.com", 20),
        add_user("sleepy@contoso.com", -175),
    ];
    ingest(dir.path(), "all", &s, &audit);
    run_ueba(dir.path(), false);

    let rows = query(dir.path(), &rule);
    let mut got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            let g = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (
                g("UserPrincipalName"),
                g("TimeGenerated"),
                g("SourceIPLocation"),
            )
        })
        .collect();
    got.sort();
    let upns: std::collections::BTreeSet<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(
        upns.into_iter().collect::<Vec<_>>(),
        vec![
            "alice@fabrikam.com",
            "new@contoso.com",
            "sleepy@contoso.com"
        ],
        "{got:#?}"
    );
    let new_rows = got.iter().filter(|g| g.0 == "new@contoso.com").count();
    assert_eq!(new_rows, 10, "every sign-in of the new account: {got:#?}");
    let guest_rows: Vec<_> = got.iter().filter(|g| g.0 == "alice@fabrikam.com").collect();
    assert_eq!(guest_rows.len(), 1, "{got:#?}");
    assert_eq!(guest_rows[0].2, "BR");
    assert_eq!(guest_rows[0].1, iso(25, 9 * 60));
    let sleepy: Vec<_> = got.iter().filter(|g| g.0 == "sleepy@contoso.com").collect();
    assert_eq!(sleepy.len(), 1);
    // The guest's UserName is rewritten too, and the Account entity fields are filled.
    let g = rows
        .iter()
        .find(|r| r.get("UserPrincipalName").and_then(Value::as_str) == Some("alice@fabrikam.com"))
        .expect("guest row");
    assert_eq!(
        g.get("UserName").and_then(Value::as_str),
        Some("alice@fabrikam.com")
    );
    assert_eq!(
        g.get("Account_0_Name").and_then(Value::as_str),
        Some("alice")
    );
    assert_eq!(
        g.get("Account_0_UPNSuffix").and_then(Value::as_str),
        Some("fabrikam.com")
    );
}
