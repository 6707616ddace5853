//! Data-driven rule tests. A rule file `<dir>/<stem>.yaml` has its fixtures under
//! `<dir>/tests/<stem>/<case>/`: input event files in any format `peregrine ingest` reads, and
//! `expect.yaml`:
//!
//! ```yaml
//! now: 2024-05-01T12:00:00Z      # the run's pinned now(); the hunt range is the 30 days before
//! alerts: 1                      # how many alerts the rule must raise
//! entities:                      # entities that must appear on some alert (a subset match)
//!   - {Type: account, Name: alice}
//!   - {Type: ip, Address: 203.0.113.9}
//! watchlists:                    # optional: files of the case added as watchlists, not ingested
//!   - {name: VIPUsers, file: vip.csv, key: UserPrincipalName}
//! ```
//!
//! This module reads cases and compares alerts with expectations; ingesting a case's files
//! into a store is the caller's (the CLI's) part.

use crate::alert::Alert;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The expectation file of a case.
pub const EXPECT_FILE: &str = "expect.yaml";

/// How far back from `now` a fixture run's hunt range starts: 30 days.
pub const RANGE_TICKS: i64 = 30 * 24 * engine::types::TICKS_PER_HOUR;

#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The pinned `now`, in ticks.
    pub now: i64,
    /// The number of alerts the rule must raise.
    pub alerts: usize,
    /// Entities (partial: every given key must match) that must appear on some alert.
    pub entities: Vec<Map<String, Value>>,
    /// Only this rule of a multi-rule file (by name or id), when given.
    pub rule: Option<String>,
    /// Watchlists the case's store holds (files in the case directory).
    pub watchlists: Vec<FixtureWatchlist>,
}

/// A watchlist of a fixture: `name` read from `file` (in the case directory) keyed on `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureWatchlist {
    pub name: String,
    pub file: String,
    pub key: String,
}

/// One fixture: a directory of input files and its expectation.
#[derive(Debug, Clone)]
pub struct Case {
    /// `<stem>/<case>`, for reports.
    pub name: String,
    pub dir: PathBuf,
    /// The input files (everything in the directory but `expect.yaml`), sorted.
    pub inputs: Vec<PathBuf>,
    pub expect: Expect,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses an `expect.yaml` text.
pub fn parse_expect(src: &str) -> Result<Expect, String> {
    let v: Value = serde_norway::from_str(src).map_err(|e| format!("invalid YAML: {e}"))?;
    let Value::Object(m) = v else {
        return Err("expected a mapping with `now` and `alerts`".into());
    };
    let now_text = m
        .get("now")
        .and_then(text)
        .ok_or("`now` (the datetime to pin) is missing")?;
    let now = engine::value::datetime::parse(&now_text)
        .ok_or_else(|| format!("`now`: '{now_text}' is not a datetime"))?;
    let alerts = match m.get("alerts") {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or("`alerts` must be a count (0 or more)")?,
        Some(_) => return Err("`alerts` must be a count (0 or more)".into()),
        None => return Err("`alerts` (the expected alert count) is missing".into()),
    };
    let mut entities = Vec::new();
    match m.get("entities") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, e) in a.iter().enumerate() {
                match e {
                    Value::Object(o) if o.contains_key("Type") => entities.push(o.clone()),
                    _ => {
                        return Err(format!(
                            "entities[{i}] must be a mapping with a `Type` (e.g. {{Type: account, Name: alice}})"
                        ));
                    }
                }
            }
        }
        Some(_) => return Err("`entities` must be a list".into()),
    }
    let rule = m.get("rule").and_then(text);
    let mut watchlists = Vec::new();
    match m.get("watchlists") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, w) in a.iter().enumerate() {
                let field = |k: &str| w.get(k).and_then(text).filter(|s| !s.is_empty());
                match (field("name"), field("file"), field("key")) {
                    (Some(name), Some(file), Some(key)) => {
                        watchlists.push(FixtureWatchlist { name, file, key })
                    }
                    _ => {
                        return Err(format!(
                            "watchlists[{i}] must be a mapping with `name`, `file` and `key`"
                        ));
                    }
                }
            }
        }
        Some(_) => return Err("`watchlists` must be a list".into()),
    }
    Ok(Expect {
        now,
        alerts,
        entities,
        rule,
        watchlists,
    })
}

/// The fixture cases of a rule file: `<dir>/tests/<stem>/<case>/`, sorted by name. A case
/// directory without `expect.yaml` is an error.
pub fn cases(tests_root: &Path, stem: &str) -> Result<Vec<Case>, String> {
    let dir = tests_root.join(stem);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(vec![]);
    };
    let mut dirs: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for d in dirs {
        let case_name = d
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let ep = d.join(EXPECT_FILE);
        let src = std::fs::read_to_string(&ep).map_err(|e| format!("{}: {e}", ep.display()))?;
        let expect = parse_expect(&src).map_err(|e| format!("{}: {e}", ep.display()))?;
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&d)
            .map_err(|e| format!("{}: {e}", d.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != EXPECT_FILE))
            .filter(|p| {
                !expect
                    .watchlists
                    .iter()
                    .any(|w| p.file_name().is_some_and(|n| *n == *w.file))
            })
            .collect();
        inputs.sort();
        out.push(Case {
            name: format!("{stem}/{case_name}"),
            dir: d,
            inputs,
            expect,
        });
    }
    Ok(out)
}

fn same(a: &Value, b: &Value) -> bool {
    match (text(a), text(b)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
        _ => a == b,
    }
}

/// Whether `entity` holds every key of `want` with an equal value (text compared without
/// regard to ASCII case, as entity identifiers are).
pub fn entity_matches(want: &Map<String, Value>, entity: &Value) -> bool {
    let Some(o) = entity.as_object() else {
        return false;
    };
    want.iter()
        .all(|(k, v)| o.get(k).is_some_and(|have| same(v, have)))
}

/// The mismatches between a case's expectation and the alerts a rule raised (empty: pass).
pub fn compare(expect: &Expect, alerts: &[Alert]) -> Vec<String> {
    let mut out = Vec::new();
    if alerts.len() != expect.alerts {
        out.push(format!(
            "expected {} alert(s), the rule raised {}",
            expect.alerts,
            alerts.len()
        ));
    }
    for want in &expect.entities {
        let found = alerts
            .iter()
            .any(|a| a.entities.iter().any(|e| entity_matches(want, e)));
        if !found {
            let have: Vec<String> = alerts
                .iter()
                .flat_map(|a| a.entities.iter().map(Value::to_string))
                .collect();
            out.push(format!(
                "no alert has entity {} (entities raised: {})",
                Value::Object(want.clone()),
                if have.is_empty() {
                    "none".to_string()
                } else {
                    have.join(", ")
                }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_expect() {
        let e = parse_expect(
            "now: 2024-05-01T12:00:00Z\nalerts: 2\nentities:\n  - {Type: account, Name: alice}\n",
        )
        .expect("parses");
        assert_eq!(e.alerts, 2);
        assert_eq!(e.entities.len(), 1);
        assert!(parse_expect("alerts: 1\n").is_err());
        assert!(parse_expect("now: nonsense\nalerts: 1\n").is_err());
        assert!(parse_expect("now: 2024-05-01\nalerts: -1\n").is_err());
        assert!(parse_expect("now: 2024-05-01\nalerts: 0\nentities: [x]\n").is_err());
    }

    #[test]
    fn entity_subset_match() {
        let want = json!({"Type": "account", "Name": "Alice"});
        let have = json!({"$id": "2", "Type": "account", "Name": "alice", "UPNSuffix": "x.com"});
        let Value::Object(w) = want else {
            unreachable!()
        };
        assert!(entity_matches(&w, &have));
        assert!(!entity_matches(
            &w,
            &json!({"Type": "account", "Name": "bob"})
        ));
    }
}
