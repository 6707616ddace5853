//! `peregrine hunt --replay` against a single `peregrine hunt` over a week of demo data, and
//! suppression and incident grouping through the command line.
//!
//! A single hunt runs each rule once, at `now` = the newest event; a replay runs each scheduled
//! rule once per `queryFrequency` step over the range, the last step at the same `now`. So:
//!
//! * replay never reports one finding twice (by alert id, nor by a stable identity: rule,
//!   entities and evidence time span);
//! * every replayed alert's evidence happened by its run's time (a run sees no later events);
//! * every alert of the single run is among the replay's (its last step is the single run);
//! * for rules whose look-back covers their logic and that have no threshold over the run's
//!   own window (the table in `REACH` says which, and why), replay and single run give the same
//!   alerts within the single run's reach — replay's other alerts are findings from earlier in
//!   the week that a run at `now` cannot see, and all of them lie before that reach.

mod common;
use common::peregrine;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const HOUR: i64 = 3600;

fn hunt_json(args: &[&str]) -> Value {
    let mut all = vec!["hunt", "--format", "json"];
    all.extend_from_slice(args);
    let (ok, out, err) = peregrine(&all);
    assert!(ok, "hunt {args:?} failed\n{err}");
    serde_json::from_str(&out).expect("hunt JSON")
}

fn alerts(v: &Value) -> Vec<Map<String, Value>> {
    v["Alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a.as_object().cloned())
        .collect()
}

/// Seconds since the epoch of an ISO time as Peregrine prints it (`YYYY-MM-DDTHH:MM:SS[.f]Z`).
fn secs(t: &str) -> i64 {
    engine::value::datetime::parse(t).map_or(0, |ticks| ticks.div_euclid(10_000_000))
}

fn text(a: &Map<String, Value>, k: &str) -> String {
    a.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Rule, entities (without the alert-local `$id`) and the evidence's time span.
fn identity(a: &Map<String, Value>) -> String {
    let mut ents: Vec<String> = a
        .get("Entities")
        .and_then(Value::as_array)
        .map(|es| {
            es.iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(o) = e.as_object_mut() {
                        o.remove("$id");
                    }
                    e.to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    ents.sort();
    format!(
        "{} | {} .. {} | {}",
        text(a, "RuleName"),
        text(a, "StartTime"),
        text(a, "EndTime"),
        ents.join(" ")
    )
}

/// The built-in rules (by id) for which a replay must give the single run's alerts, with the
/// reach of one run (how far before `now` the evidence it reports can lie) — and why.
/// Rules not listed (new or changed ones included) are still checked for duplicates, for
/// evidence after the run, and for containing the single run's alerts.
const REACH: &[(&str, i64, &str)] = &[
    // Reports each hop whose second sign-in is in the last hour; the 1d look-back only finds
    // the previous sign-in. Rows are per sign-in pair: nothing summed over the run's window.
    (
        "b84f55ac-503e-4510-a496-0c8a3d3eba58",
        HOUR,
        "impossible travel",
    ),
    // A success in the last hour with MFA failures in the hour before *that success* (the
    // 2h look-back covers it): the threshold is anchored on the success, not on the run.
    ("24e22b31-edec-48ea-8f9c-a37e040d87c7", HOUR, "MFA fatigue"),
    // Activity in the last hour after a network alert up to an hour earlier (2h look-back);
    // no threshold.
    (
        "1c8dbbaa-8ae7-466e-a49e-c42675507f27",
        HOUR,
        "network alert IP",
    ),
    // Sign-ins of the last day against a baseline of the 13 days before (14d look-back); runs
    // daily, so each day is reported by exactly one run.
    (
        "159cf02e-4c5b-4a35-b50b-36e778e55060",
        24 * HOUR,
        "new country",
    ),
    // A success in the last hour after failures from its IP in the 12 hours before that
    // success (1d look-back): the account-count threshold is anchored on the success.
    (
        "6eaba0f4-eb64-45aa-8be8-24f73b76d621",
        HOUR,
        "password spray",
    ),
    // An interactive sign-in in the last hour and non-interactive ones within 10 minutes of
    // it (look-back 1h10m); no threshold.
    ("9c7590e1-5a39-44c5-ae54-1d3a9096797d", HOUR, "ASN mismatch"),
    // Per sign-in, no threshold.
    (
        "8fb738d7-2730-4158-9719-01ad46dbcfcc",
        HOUR,
        "suspicious sign-in",
    ),
    // Not listed:
    // * sp-signin-many-ips (21d81a96…): a distinct-IP threshold over the run's own hour — a
    //   burst across two steps is judged per step, so alerts depend on where the windows fall;
    // * sp-credential-foreign-signin-defender / -sentinel (47939de6…, 6f06b567…): they summarise
    //   every sign-in within a day of a change seen in a 2d look-back, so a run's finding keeps
    //   growing from run to run, and a change near the edge of the look-back is seen by earlier
    //   runs but not by the run at `now`.
];

#[test]
fn replay_over_a_week_matches_the_single_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo");
    let out_s = out.to_string_lossy().to_string();
    // The demo generates at least 9 days; the hunts below take the last 7.
    let (_, stdout, stderr) = peregrine(&[
        "demo", "--days", "9", "--users", "45", "--seed", "11", "--out", &out_s,
    ]);
    let store = out.join("store");
    assert!(
        store.join("manifest.json").exists(),
        "demo wrote no store\n{stdout}\n{stderr}"
    );
    let store_s = store.to_string_lossy().to_string();
    // The demo's data ends at a fixed time (demo/mod.rs `end_time`), and the hunt's `now`
    // defaults to the newest event.
    let now = "2024-06-04T12:00:00Z";
    let from = "2024-05-28T12:00:00Z";
    let single = hunt_json(&["--store", &store_s, "--from", from]);
    let replay = hunt_json(&["--store", &store_s, "--from", from, "--replay"]);
    let single = alerts(&single);
    let replay_all = replay.clone();
    let replay = alerts(&replay);
    assert!(
        !single.is_empty(),
        "the demo's planted attacks raise alerts"
    );
    for a in &single {
        assert_eq!(text(a, "TimeGenerated"), now, "single run's now");
    }
    assert!(
        replay_all["Summary"]["Runs"].as_u64().unwrap_or(0) > 7 * 24,
        "replay ran hourly rules once per hour: {}",
        replay_all["Summary"]
    );

    // Never the same alert twice.
    let mut ids = BTreeSet::new();
    let mut idents = BTreeSet::new();
    for a in &replay {
        assert!(
            ids.insert(text(a, "SystemAlertId")),
            "alert id twice: {}",
            identity(a)
        );
        assert!(idents.insert(identity(a)), "finding twice: {}", identity(a));
    }

    // No run reports what happened after it.
    for a in &replay {
        assert!(
            secs(&text(a, "EndTime")) <= secs(&text(a, "TimeGenerated")),
            "evidence after its run: {} (run {})",
            identity(a),
            text(a, "TimeGenerated")
        );
    }

    // The single run's alerts are all among the replay's.
    for a in &single {
        assert!(
            idents.contains(&identity(a)),
            "single-run alert missing from the replay: {}",
            identity(a)
        );
    }

    // Same alerts within the single run's reach, for the rules whose logic allows it.
    let reach: BTreeMap<&str, i64> = REACH.iter().map(|(id, r, _)| (*id, *r)).collect();
    let single_ids: BTreeSet<String> = single.iter().map(identity).collect();
    let mut earlier: BTreeMap<String, usize> = BTreeMap::new();
    for a in &replay {
        let Some(r) = reach.get(text(a, "RuleId").as_str()) else {
            continue;
        };
        let within = secs(&text(a, "StartTime")) > secs(now) - r;
        if within {
            assert!(
                single_ids.contains(&identity(a)),
                "replay-only alert within the single run's reach: {}",
                identity(a)
            );
        } else {
            *earlier.entry(text(a, "RuleName")).or_default() += 1;
        }
    }
    for a in &single {
        if let Some(r) = reach.get(text(a, "RuleId").as_str()) {
            assert!(
                secs(&text(a, "StartTime")) > secs(now) - r,
                "single-run alert outside the rule's stated reach: {}",
                identity(a)
            );
        }
    }
    println!(
        "single run: {} alert(s); replay: {} alert(s), {}; earlier findings only a replay sees: {earlier:?}",
        single.len(),
        replay.len(),
        replay_all["Summary"]
    );
}

// ---------------------------------------------------------------------------------------
// Suppression and incidents through `peregrine hunt`.

fn signin(id: u32, time: &str, upn: &str) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{id:012}"),
        "createdDateTime": time,
        "userDisplayName": upn, "userPrincipalName": upn,
        "userId": "5f1c8a2e-1111-4a4a-9b9b-000000000001",
        "appId": "00000002-0000-0ff1-ce00-000000000000",
        "appDisplayName": "Office 365 Exchange Online",
        "ipAddress": "203.0.113.10", "clientAppUsed": "Browser", "isInteractive": true,
        "status": {"errorCode": 0},
        "location": {"city": "Berlin", "countryOrRegion": "DE"}
    })
}

fn rule_with(dir: &Path, extra: &str) -> String {
    rule_over(dir, 1, extra)
}

/// A rule reporting every sign-in of the last `hours` hours, run hourly.
fn rule_over(dir: &Path, hours: u32, extra: &str) -> String {
    let text = format!(
        "id: every-signin\nname: Every sign-in\nseverity: Low\nkind: Scheduled\nqueryFrequency: 1h\nqueryPeriod: {hours}h\ntriggerOperator: gt\ntriggerThreshold: 0\neventGroupingSettings:\n  aggregationKind: AlertPerResult\n{extra}query: |\n  SigninLogs\n  | where TimeGenerated > ago({hours}h)\n  | project TimeGenerated, UserPrincipalName\nentityMappings:\n  - entityType: Account\n    fieldMappings:\n      - identifier: FullName\n        columnName: UserPrincipalName\n"
    );
    let p = dir.join("rule.yaml");
    std::fs::write(&p, text).expect("write rule");
    p.to_string_lossy().to_string()
}

#[test]
fn replay_suppresses_and_groups_incidents() {
    let dir = tempfile::tempdir().expect("tempdir");
    // One sign-in in each of the hours ending 01:00, 02:00, 03:00 and 05:00.
    let records: String = [
        signin(1, "2024-05-01T00:30:00Z", "alice@contoso.com"),
        signin(2, "2024-05-01T01:30:00Z", "bob@contoso.com"),
        signin(3, "2024-05-01T02:30:00Z", "alice@contoso.com"),
        signin(4, "2024-05-01T04:30:00Z", "carol@contoso.com"),
    ]
    .iter()
    .map(|r| format!("{r}\n"))
    .collect();
    let export = dir.path().join("signins.json");
    std::fs::write(&export, records).expect("write export");
    let store = dir.path().join("store");
    let store_s = store.to_string_lossy().to_string();
    let (ok, o, e) = peregrine(&[
        "ingest",
        "--no-ueba",
        "--store",
        &store_s,
        &export.to_string_lossy(),
    ]);
    assert!(ok, "{o}\n{e}");
    let range = [
        "--store",
        &store_s,
        "--from",
        "2024-05-01T00:00:00Z",
        "--now",
        "2024-05-01T05:00:00Z",
        "--no-builtin",
        "--replay",
    ];

    // Without suppression: four alerts, one incident each.
    let rule = rule_with(dir.path(), "");
    let mut args = range.to_vec();
    args.extend(["--rules", &rule]);
    let v = hunt_json(&args);
    assert_eq!(alerts(&v).len(), 4, "{}", v["Summary"]);
    assert_eq!(v["Incidents"].as_array().map(Vec::len), Some(4));
    assert_eq!(v["Summary"]["Suppressed"], 0);

    // Suppressed for 3h after the 01:00 run alerts: the 02:00 and 03:00 runs are held back
    // (their alerts listed as suppressed), 04:00 runs and finds nothing, 05:00 alerts again.
    // Grouped by AnyAlert within 5h: one incident.
    let rule = rule_with(
        dir.path(),
        "suppressionEnabled: true\nsuppressionDuration: 3h\nincidentConfiguration:\n  createIncident: true\n  groupingConfiguration:\n    enabled: true\n    reopenClosedIncident: false\n    lookbackDuration: 5h\n    matchingMethod: AnyAlert\n",
    );
    let mut args = range.to_vec();
    args.extend(["--rules", &rule]);
    let v = hunt_json(&args);
    let got: Vec<String> = alerts(&v).iter().map(|a| text(a, "StartTime")).collect();
    assert_eq!(
        got,
        ["2024-05-01T00:30:00Z", "2024-05-01T04:30:00Z"],
        "{}",
        v["Summary"]
    );
    assert_eq!(v["Summary"]["SuppressedRuns"], 2);
    let suppressed = v["Suppressed"].as_array().expect("suppressed list");
    let runs: Vec<&str> = suppressed
        .iter()
        .filter_map(|s| s["RunTime"].as_str())
        .collect();
    assert_eq!(runs, ["2024-05-01T02:00:00Z", "2024-05-01T03:00:00Z"]);
    assert!(
        suppressed
            .iter()
            .all(|s| s["SuppressedUntil"] == "2024-05-01T04:00:00Z")
    );
    let incidents = v["Incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["AlertIds"].as_array().map(Vec::len), Some(2));
    assert_eq!(incidents[0]["Grouping"], "AnyAlert");
    assert_eq!(incidents[0]["FirstActivityTime"], "2024-05-01T00:30:00Z");
    assert_eq!(incidents[0]["LastActivityTime"], "2024-05-01T04:30:00Z");

    // The table says so too.
    let mut args = vec!["hunt"];
    args.extend_from_slice(&range);
    args.extend(["--rules", &rule, "--format", "table"]);
    let (ok, out, err) = peregrine(&args);
    assert!(ok, "{err}");
    assert!(
        out.contains("2 alert(s) suppressed in 2 suppressed run(s)"),
        "{out}"
    );
    assert!(out.contains("1 incident(s)"), "{out}");

    // A 6h look-back with 2h suppression: bob's sign-in, held back by the suppressed 02:00
    // run, is reported by the 03:00 run (which sees it again), so it is not counted as
    // suppressed; the 04:00 run is suppressed but has nothing new.
    let rule = rule_over(
        dir.path(),
        6,
        "suppressionEnabled: true\nsuppressionDuration: 2h\n",
    );
    let mut args = range.to_vec();
    args.extend(["--rules", &rule]);
    let v = hunt_json(&args);
    let mut got: Vec<String> = alerts(&v).iter().map(|a| text(a, "StartTime")).collect();
    got.sort();
    assert_eq!(
        got,
        [
            "2024-05-01T00:30:00Z",
            "2024-05-01T01:30:00Z",
            "2024-05-01T02:30:00Z",
            "2024-05-01T04:30:00Z"
        ],
        "{}",
        v["Summary"]
    );
    assert_eq!(v["Summary"]["SuppressedRuns"], 2);
    assert_eq!(v["Summary"]["Suppressed"], 0, "{}", v["Suppressed"]);
}
