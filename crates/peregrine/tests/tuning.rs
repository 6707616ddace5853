//! Tuning end to end: a store built with `peregrine ingest` from Graph sign-ins, a watchlist
//! added with `peregrine watchlist add` and read by `_GetWatchlist` in `peregrine query`,
//! `rules validate` and `peregrine hunt`, and a hunt with an exclusions file whose per-entry
//! counts are checked.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_peregrine");

/// (user, ip, app) of each successful sign-in, one hour apart.
const SIGNINS: &[(&str, &str, &str)] = &[
    ("ceo@contoso.com", "203.0.113.5", "Office 365"),
    ("ceo@contoso.com", "10.1.2.3", "Office 365"),
    ("bob@contoso.com", "10.20.0.7", "Teams"),
    ("bob@contoso.com", "2001:db8:1::20", "Teams"),
    ("alice@contoso.com", "198.51.100.4", "Qualys Cloud Agent"),
    ("svc-backup@contoso.com", "198.51.100.9", "Backup"),
    ("eve@contoso.com", "192.0.2.66", "Office 365"),
];

fn signin_ndjson() -> String {
    SIGNINS
        .iter()
        .enumerate()
        .map(|(i, (upn, ip, app))| {
            format!(
                "{{\"id\":\"s{i}\",\"createdDateTime\":\"2024-05-01T{:02}:00:00Z\",\"userPrincipalName\":\"{upn}\",\"userId\":\"u{i}\",\"appId\":\"a{i}\",\"appDisplayName\":\"{app}\",\"ipAddress\":\"{ip}\",\"isInteractive\":true,\"status\":{{\"errorCode\":0}},\"location\":{{\"city\":\"Oslo\",\"countryOrRegion\":\"NO\"}},\"deviceDetail\":{{\"browser\":\"Edge\"}},\"clientAppUsed\":\"Browser\"}}\n",
                8 + i
            )
        })
        .collect()
}

const RULE: &str = "id: 7d0c3a59-5b1e-4c55-9d55-000000000001
name: Every successful sign-in
description: One alert per successful sign-in (a test rule).
severity: Low
queryFrequency: 1d
queryPeriod: 14d
triggerOperator: gt
triggerThreshold: 0
tactics: [InitialAccess]
query: |
  SigninLogs
  | where ResultType == \"0\"
  | lookup kind=leftouter (_GetWatchlist('VIPUsers') | project UserPrincipalName = SearchKey, VipTitle = Title) on UserPrincipalName
  | extend IsVip = isnotempty(VipTitle)
  | project TimeGenerated, UserPrincipalName, IPAddress, AppDisplayName, IsVip
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserPrincipalName
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
customDetails:
  App: AppDisplayName
eventGroupingSettings:
  aggregationKind: AlertPerResult
";

const MISSING_WATCHLIST_RULE: &str = "id: 7d0c3a59-5b1e-4c55-9d55-000000000002
name: Needs a watchlist the store lacks
description: Test.
severity: Low
queryFrequency: 1d
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: 0
query: |
  SigninLogs
  | where UserPrincipalName in (_GetWatchlist('Terminated') | project SearchKey)
";

const EXCLUSIONS: &str = "exclusions:
  - reason: Corporate egress (IPv4)
    entity_type: ip
    entity: 10.0.0.0/8
  - reason: Corporate egress (IPv6), this rule only
    rules: Every successful sign-in
    entity: \"2001:db8::/32\"
  - reason: Service accounts are covered by their own rule
    entity: \"svc-*@contoso.com\"
  - reason: The vulnerability scanner's agent
    column: App
    value: \"regex:^Qualys\"
  - reason: Expired tuning from an old incident
    entity: eve@contoso.com
    expires: 2020-01-01
  - reason: Scoped to a rule this hunt does not run
    rules: Some other rule
    entity: eve@contoso.com
";

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run peregrine")
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "peregrine {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

fn query_json(store: &str, q: &str) -> Value {
    let out = ok(&["query", "--format", "json", "--store", store, q]);
    serde_json::from_slice(&out.stdout).expect("query json")
}

#[test]
fn watchlists_and_exclusions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let input = d.join("signins.json");
    std::fs::write(&input, signin_ndjson()).expect("write signins");
    let store_dir = d.join("store");
    let store = p(&store_dir);
    ok(&[
        "ingest",
        "--quiet",
        "--no-ueba",
        "--store",
        store,
        p(&input),
    ]);

    // A watchlist from CSV, and one from JSON.
    let vip = d.join("vip.csv");
    std::fs::write(
        &vip,
        "UserPrincipalName,Title\nceo@contoso.com,Chief Executive\n\"cfo@contoso.com\",\"Finance, chief\"\n",
    )
    .expect("write csv");
    let out = ok(&[
        "watchlist",
        "add",
        "VIPUsers",
        p(&vip),
        "--key",
        "UserPrincipalName",
        "--store",
        store,
        "--description",
        "Executives",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 item(s)"));
    let ips = d.join("ips.json");
    std::fs::write(
        &ips,
        r#"[{"Range":"10.0.0.0/8","Site":"HQ"},{"Range":"2001:db8::/32","Site":"DC"}]"#,
    )
    .expect("write json");
    ok(&[
        "watchlist",
        "add",
        "Egress",
        p(&ips),
        "--key",
        "Range",
        "--store",
        store,
    ]);
    let list = ok(&["watchlist", "list", "--store", store]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("VIPUsers") && list.contains("Egress") && list.contains("Executives"));

    // Adding the same name again is refused without --replace.
    let again = run(&[
        "watchlist",
        "add",
        "Egress",
        p(&ips),
        "--key",
        "Range",
        "--store",
        store,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--replace"));

    // Bad CSV: file:line and what was expected, nothing added.
    let bad = d.join("bad.csv");
    std::fs::write(&bad, "UserPrincipalName,Title\na@x.com,A\nb@x.com\n").expect("write bad");
    let out = run(&[
        "watchlist",
        "add",
        "Bad",
        p(&bad),
        "--key",
        "UserPrincipalName",
        "--store",
        store,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv:3: expected 2 fields"), "{err}");
    let out = run(&[
        "watchlist",
        "add",
        "Bad",
        p(&vip),
        "--key",
        "Email",
        "--store",
        store,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("key column 'Email'"));

    // _GetWatchlist in a query: Sentinel's columns, and the `in (let)` idiom.
    let v = query_json(store, "_GetWatchlist('VIPUsers') | order by SearchKey asc");
    let cols: Vec<&str> = v["Columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["ColumnName"].as_str())
        .collect();
    assert_eq!(
        cols,
        [
            "_DTItemId",
            "LastUpdatedTimeUTC",
            "SearchKey",
            "WatchlistName",
            "WatchlistItemId",
            "UserPrincipalName",
            "Title"
        ]
    );
    assert_eq!(v["Columns"][1]["ColumnType"], "datetime");
    assert_eq!(v["Rows"][0][2], "ceo@contoso.com");
    assert_eq!(v["Rows"][1][6], "Finance, chief");
    assert_eq!(v["Rows"][0][3], "VIPUsers");
    let v = query_json(
        store,
        "let vips = _GetWatchlist('VIPUsers') | project SearchKey; SigninLogs | where UserPrincipalName in (vips) | count",
    );
    assert_eq!(v["Rows"][0][0], 2);
    let v = query_json(
        store,
        "SigninLogs | where ipv4_is_in_any_range(IPAddress, toscalar(_GetWatchlist('Egress') | summarize make_list(SearchKey))) | count",
    );
    assert_eq!(v["Rows"][0][0], 2);

    // An unknown watchlist is a planning error naming the known ones.
    let out = run(&["query", "--store", store, "_GetWatchlist('Nope')"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown watchlist 'Nope'") && err.contains("Egress, VIPUsers"),
        "{err}"
    );

    // rules validate: the rule using VIPUsers plans; the one using a missing watchlist is reported.
    let rules = d.join("rules");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::write(rules.join("every-signin.yaml"), RULE).expect("write rule");
    let other = d.join("other-rules");
    std::fs::create_dir_all(&other).expect("mkdir");
    let missing = other.join("missing.yaml");
    std::fs::write(&missing, MISSING_WATCHLIST_RULE).expect("write rule");
    ok(&["rules", "validate", "--store", store, p(&rules)]);
    let out = run(&["rules", "validate", "--store", store, p(&missing)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing.yaml:11:") && err.contains("unknown watchlist 'Terminated'"),
        "{err}"
    );

    // A hunt without exclusions: one alert per sign-in, VIP flag from the watchlist.
    let base = [
        "hunt",
        "--store",
        store,
        "--no-builtin",
        "--rules",
        p(&rules),
        "--format",
        "json",
    ];
    let out = ok(&base);
    let v: Value = serde_json::from_slice(&out.stdout).expect("hunt json");
    let alerts = v["Alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), SIGNINS.len());
    let vips = alerts
        .iter()
        .filter(|a| a["Evidence"][0]["IsVip"] == true)
        .count();
    assert_eq!(vips, 2);
    assert_eq!(v["Summary"]["Excluded"], 0);

    // With exclusions: each entry's count, the expired one warned about and inactive.
    let ex = d.join("exclusions.yaml");
    std::fs::write(&ex, EXCLUSIONS).expect("write exclusions");
    let mut args = base.to_vec();
    args.extend(["--exclusions", p(&ex), "--show-excluded"]);
    let out = ok(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("#5 expired 2020-01-01"), "{err}");
    assert!(err.contains("'Some other rule'"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("hunt json");
    let counts: Vec<i64> = v["Summary"]["Exclusions"]
        .as_array()
        .expect("exclusions")
        .iter()
        .map(|e| e["Excluded"].as_i64().unwrap_or(-1))
        .collect();
    // 10.1.2.3 and 10.20.0.7; 2001:db8:1::20; svc-backup; Qualys; expired; other rule.
    assert_eq!(counts, [2, 1, 1, 1, 0, 0]);
    assert_eq!(v["Summary"]["Excluded"], 5);
    assert_eq!(v["Alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["Summary"]["Exclusions"][4]["Expired"], true);
    assert_eq!(
        v["ExcludedAlerts"][0]["Reason"], "Corporate egress (IPv4)",
        "excluded alerts are listed with the entry's reason"
    );

    // <store>/exclusions.yaml is picked up without the flag; table output shows the counts.
    std::fs::copy(&ex, store_dir.join("exclusions.yaml")).expect("copy");
    let out = ok(&[
        "hunt",
        "--store",
        store,
        "--no-builtin",
        "--rules",
        p(&rules),
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("5 alert(s) excluded by 6 exclusion(s)"),
        "{table}"
    );
    assert!(table.contains("Corporate egress (IPv4)"), "{table}");
    // NDJSON ends with the summary line.
    let out = ok(&[
        "hunt",
        "--store",
        store,
        "--no-builtin",
        "--rules",
        p(&rules),
        "--format",
        "ndjson",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    let last: Value =
        serde_json::from_str(text.lines().last().unwrap_or("")).expect("summary line");
    assert_eq!(last["HuntSummary"]["Excluded"], 5);
    // --no-exclusions sees everything.
    let mut args = base.to_vec();
    args.push("--no-exclusions");
    let v: Value = serde_json::from_slice(&ok(&args).stdout).expect("hunt json");
    assert_eq!(v["Alerts"].as_array().map(Vec::len), Some(SIGNINS.len()));

    // An invalid exclusions file: file:line:column, exit 2, no hunt.
    std::fs::write(
        &ex,
        "exclusions:\n  - reason: typo\n    entity: 10.0.0.0/8\n  - reason: bad range\n    entity: 10.0.0.0/40\n",
    )
    .expect("write");
    let out = run(&[
        "hunt",
        "--store",
        store,
        "--no-builtin",
        "--rules",
        p(&rules),
        "--exclusions",
        p(&ex),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("exclusions.yaml:4:3: error: exclusion 2"),
        "{err}"
    );

    // Removing a watchlist: the rule using it no longer plans.
    ok(&["watchlist", "remove", "VIPUsers", "--store", store]);
    let out = run(&["rules", "validate", "--store", store, p(&rules)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown watchlist 'VIPUsers' (known watchlists: Egress)")
    );
}

const VIP_RULE: &str = "id: 7d0c3a59-5b1e-4c55-9d55-000000000003
name: VIP sign-in
description: A sign-in of a user on the VIPUsers watchlist.
severity: Low
queryFrequency: 1d
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: 0
query: |
  let vips = _GetWatchlist('VIPUsers') | project SearchKey;
  SigninLogs
  | where UserPrincipalName in (vips)
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserPrincipalName
";

/// `rules test` fixtures can carry watchlists (`watchlists:` in expect.yaml): the files are
/// added to the case's store, not ingested.
#[test]
fn rule_fixtures_with_watchlists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("vip-signin.yaml"), VIP_RULE).expect("write rule");
    for (case, vip, alerts) in [
        ("positive", "ceo@contoso.com", 1),
        ("negative", "nobody@contoso.com", 0),
    ] {
        let c = d.join("tests/vip-signin").join(case);
        std::fs::create_dir_all(&c).expect("mkdir");
        std::fs::write(c.join("signins.json"), signin_ndjson()).expect("write");
        std::fs::write(c.join("vip.csv"), format!("UserPrincipalName\n{vip}\n")).expect("write");
        std::fs::write(
            c.join("expect.yaml"),
            format!(
                "now: 2024-05-01T23:00:00Z\nalerts: {alerts}\nwatchlists:\n  - {{name: VIPUsers, file: vip.csv, key: UserPrincipalName}}\n"
            ),
        )
        .expect("write");
    }
    let out = ok(&["rules", "test", p(&d.join("vip-signin.yaml"))]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 case(s) passed, 0 failed"), "{text}");
}
