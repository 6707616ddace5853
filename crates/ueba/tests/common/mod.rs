//! Helpers for the UEBA tests: generated Graph sign-ins and audit records, a store built from
//! them with `ingest::ingest`, UEBA runs and KQL queries over the result.

#![allow(dead_code)]

use engine::output::cell_json;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// 2024-01-01T00:00:00Z as day 0 of the generated data; days may be negative.
pub const BASE_DAY: i64 = 19723;

pub fn iso(day: i64, minute: i64) -> String {
    let ticks = (BASE_DAY + day) * engine::types::TICKS_PER_DAY + minute * 600_000_000;
    engine::value::datetime::format_iso(ticks)
}

/// A Graph sign-in; change fields with the builder methods.
#[derive(Clone)]
pub struct SignIn {
    pub day: i64,
    pub minute: i64,
    pub upn: String,
    pub user_id: String,
    pub country: String,
    pub app: String,
    pub resource: String,
    pub browser: String,
    pub os: String,
    pub device: String,
    pub asn: i64,
    pub error: i64,
    pub interactive: bool,
}

pub fn signin(upn: &str, day: i64) -> SignIn {
    SignIn {
        day,
        minute: 9 * 60,
        upn: upn.to_string(),
        user_id: format!("id-{}", upn.to_lowercase()),
        country: "US".into(),
        app: "Office 365 Exchange Online".into(),
        resource: "Office 365 Exchange Online".into(),
        browser: "Edge 120.0.0".into(),
        os: "Windows10".into(),
        device: format!("dev-{}", upn.to_lowercase()),
        asn: 8075,
        error: 0,
        interactive: true,
    }
}

impl SignIn {
    pub fn country(mut self, c: &str) -> Self {
        self.country = c.into();
        self
    }
    pub fn app(mut self, a: &str) -> Self {
        self.app = a.into();
        self
    }
    pub fn resource(mut self, r: &str) -> Self {
        self.resource = r.into();
        self
    }
    pub fn browser(mut self, b: &str) -> Self {
        self.browser = b.into();
        self
    }
    pub fn device(mut self, d: &str) -> Self {
        self.device = d.into();
        self
    }
    pub fn asn(mut self, a: i64) -> Self {
        self.asn = a;
        self
    }
    pub fn error(mut self, e: i64) -> Self {
        self.error = e;
        self
    }
    pub fn minute(mut self, m: i64) -> Self {
        self.minute = m;
        self
    }
    pub fn non_interactive(mut self) -> Self {
        self.interactive = false;
        self
    }
    /// The sign-in's Graph id (also what makes its `_ItemId` unique).
    pub fn id(&self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.upn, self.day, self.minute, self.country, self.app
        )
    }
    pub fn json(&self) -> Value {
        json!({
            "id": self.id(),
            "createdDateTime": iso(self.day, self.minute),
            "userPrincipalName": self.upn,
            "userId": self.user_id,
            "userDisplayName": self.upn.split('@').next().unwrap_or(""),
            "appDisplayName": self.app,
            "resourceDisplayName": self.resource,
            "ipAddress": "203.0.113.7",
            "isInteractive": self.interactive,
            "status": {"errorCode": self.error},
            "location": {"city": "X", "countryOrRegion": self.country},
            "deviceDetail": {"browser": self.browser, "operatingSystem": self.os, "deviceId": self.device, "displayName": format!("PC-{}", self.device)},
            "autonomousSystemNumber": self.asn,
            "userAgent": "Mozilla/5.0 (Windows NT 10.0)",
        })
    }
}

/// A diagnostic AuditLogs "Add user" record.
pub fn add_user(upn: &str, day: i64) -> Value {
    json!({
        "time": iso(day, 8 * 60),
        "category": "AuditLogs",
        "operationName": "Add user",
        "tenantId": "t1",
        "properties": {
            "id": format!("audit-{upn}-{day}"),
            "activityDateTime": iso(day, 8 * 60),
            "activityDisplayName": "Add user",
            "category": "UserManagement",
            "result": "success",
            "loggedByService": "Core Directory",
            "initiatedBy": {"user": {"userPrincipalName": "admin@contoso.com"}},
            "targetResources": [{"id": format!("id-{}", upn.to_lowercase()), "userPrincipalName": upn, "type": "User"}]
        }
    })
}

/// A diagnostic AuditLogs record of `operation` initiated by the user `actor`.
pub fn audit_op(actor: &str, operation: &str, day: i64, minute: i64) -> Value {
    json!({
        "time": iso(day, minute),
        "category": "AuditLogs",
        "operationName": operation,
        "tenantId": "t1",
        "properties": {
            "id": format!("audit-{actor}-{operation}-{day}-{minute}"),
            "activityDateTime": iso(day, minute),
            "activityDisplayName": operation,
            "category": "GroupManagement",
            "result": "success",
            "loggedByService": "Core Directory",
            "initiatedBy": {"user": {"id": format!("id-{}", actor.to_lowercase()), "userPrincipalName": actor, "ipAddress": "198.51.100.9"}},
            "targetResources": [{"id": "g1", "displayName": "Finance", "type": "Group"}]
        }
    })
}

pub fn write_ndjson(dir: &Path, name: &str, rows: &[Value]) -> PathBuf {
    let p = dir.join(name);
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&p, text).expect("write fixture");
    p
}

/// Ingests sign-ins (and audit records) into the store at `root`.
pub fn ingest(root: &Path, tag: &str, signins: &[SignIn], audit: &[Value]) {
    let dir = root.join(format!("in-{tag}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut paths = Vec::new();
    if !signins.is_empty() {
        let rows: Vec<Value> = signins.iter().map(SignIn::json).collect();
        paths.push(write_ndjson(&dir, "signins.json", &rows));
    }
    if !audit.is_empty() {
        paths.push(write_ndjson(&dir, "audit.json", audit));
    }
    let mut st = store::Store::open_for_write(&root.join("store")).expect("store opens");
    let s = ingest::ingest(
        &mut st,
        &paths,
        &ingest::Options::default(),
        &mut ingest::NoProgress,
    )
    .expect("ingest runs");
    assert_eq!(s.failed_files(), 0, "{}", s.render());
}

pub fn run_ueba(root: &Path, full: bool) -> ueba::Report {
    let mut st = store::Store::open_for_write(&root.join("store")).expect("store opens");
    ueba::run(&mut st, &ueba::Options { now: None, full }).expect("ueba runs")
}

/// Runs a KQL query over the store; rows as JSON objects keyed by column name.
pub fn query(root: &Path, kql: &str) -> Vec<serde_json::Map<String, Value>> {
    let st = store::Store::open(&root.join("store")).expect("store opens");
    let catalog = store::StoreCatalog::new(&st);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let session = engine::new_session();
    let opts = engine::RunOptions {
        now: 0,
        params: Default::default(),
    };
    let res = rt
        .block_on(engine::run_query(&catalog, &session, kql, &opts))
        .unwrap_or_else(|e| panic!("query failed: {}", e.render(kql, "test")));
    let mut out = Vec::new();
    for b in &res.batches {
        for r in 0..b.num_rows() {
            out.push(
                res.columns
                    .iter()
                    .enumerate()
                    .map(|(c, (n, t))| (n.clone(), cell_json(b.column(c), r, *t)))
                    .collect(),
            );
        }
    }
    out
}

/// BehaviorAnalytics rows by the source sign-in's Graph id.
pub fn behaviour(
    root: &Path,
) -> std::collections::BTreeMap<String, serde_json::Map<String, Value>> {
    let rows = query(
        root,
        "BehaviorAnalytics | join kind=inner (SigninLogs | project _ItemId, Id) on $left.SourceRecordId == $right._ItemId",
    );
    rows.into_iter()
        .map(|r| {
            let id = r
                .get("Id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            (id, r)
        })
        .collect()
}

/// An insight value of a row: ActivityInsights key as "True"/"False", or a UsersInsights key.
pub fn insight(row: &serde_json::Map<String, Value>, col: &str, key: &str) -> Value {
    let v = row.get(col).cloned().unwrap_or(Value::Null);
    let v = match v {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
        other => other,
    };
    v.get(key).cloned().unwrap_or(Value::Null)
}
