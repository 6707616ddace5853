//! User and entity behaviour analytics over the store, after Microsoft Sentinel's UEBA:
//! `BehaviorAnalytics` (one row per user sign-in with user, device and activity insights),
//! `IdentityInfo` (users seen in the logs, merged with ingested directory rows) and
//! `UserPeerAnalytics` (each user's 20 nearest peers).
//!
//! Days are profiled in order; each sign-in is compared with baselines built from the days
//! before its UTC day only, so profiling day D needs nothing but the state after day D-1.
//! That state is saved under the store root; a later run profiles only the new days. When
//! new data reaches back into profiled days, or directory facts the rows depend on changed,
//! or the outputs were touched, the run recomputes everything instead. Definitions:
//! docs/ueba.md.

pub mod codec;
pub mod identity;
pub mod insights;
pub mod model;
pub mod outputs;
pub mod peers;
pub mod read;
pub mod state;
pub mod write;

use crate::model::HashMap;
use identity::{Directory, Identities};
use insights::{DayContext, Flags, activity_json, is_dormant, is_new_account, priority};
use model::{APP, BROWSER, COUNTRY, DEVICE, DIMS, ISP, Interner, RESOURCE, day_of};
use read::{AUDIT_TABLE, AuditOp, Reader, SIGNIN_TABLES, SignIn};
use state::State;
use std::collections::BTreeSet;
use std::sync::Arc;
use store::Store;
use write::{BaRow, BaWriter};

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// TimeProcessed of the rows (ticks); default: the newest TimeGenerated of the inputs.
    pub now: Option<i64>,
    /// Recompute everything even when the saved state allows an incremental run.
    pub full: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// "full" or "incremental".
    pub mode: &'static str,
    /// Why the run was full, when state existed but could not be used.
    pub full_reason: Option<String>,
    pub days: usize,
    pub signins: u64,
    /// User-initiated AuditLogs operations profiled.
    pub operations: u64,
    pub behavior_rows: u64,
    pub identity_rows: u64,
    pub peer_rows: u64,
    /// Wall time of each phase (reading and profiling the days, identity, peers, commit,
    /// state), for the benchmark.
    pub phases: Vec<(&'static str, std::time::Duration)>,
}

impl Report {
    pub fn render(&self) -> String {
        let mut s = format!(
            "ueba: {} run, {} day(s), {} sign-in(s) and {} audit operation(s) profiled: BehaviorAnalytics +{} rows, IdentityInfo {} derived rows, UserPeerAnalytics {} rows\n",
            self.mode,
            self.days,
            self.signins,
            self.operations,
            self.behavior_rows,
            self.identity_rows,
            self.peer_rows
        );
        if let Some(r) = &self.full_reason {
            s.push_str(&format!("ueba: full recomputation because {r}\n"));
        }
        s
    }
}

/// Whether the store holds sign-ins UEBA has not profiled yet.
pub fn has_new_signins(store: &Store) -> bool {
    let done = State::load(store.root())
        .map(|s| s.signin_files)
        .unwrap_or_default();
    signin_files(store).iter().any(|(p, _)| !done.contains(p))
}

/// The input files of the store (sign-ins and AuditLogs) with the UTC day range of their rows.
fn signin_files(store: &Store) -> Vec<(String, Option<(i32, i32)>)> {
    let mut out = Vec::new();
    for t in SIGNIN_TABLES.into_iter().chain([AUDIT_TABLE]) {
        if let Some(e) = store.table(t) {
            for f in &e.files {
                let range = match (f.min_time, f.max_time) {
                    (Some(a), Some(b)) => Some((day_of(a), day_of(b))),
                    _ => None,
                };
                out.push((f.path.clone(), range));
            }
        }
    }
    out
}

fn output_files(store: &Store) -> BTreeSet<String> {
    store
        .table(write::TABLE)
        .map(|e| e.files.iter().map(|f| f.path.clone()).collect())
        .unwrap_or_default()
}

/// Fingerprint of the directory facts a user's rows depend on (FNV-1a, stable across runs).
fn directory_fp(dir: Option<&Directory>, created: Option<i64>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &[u8]| {
        for b in s.iter().chain(std::iter::once(&0xffu8)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    if let Some(d) = dir {
        eat(d.department.to_lowercase().as_bytes());
        eat(d.display.as_bytes());
        eat(d.object_id.as_bytes());
        eat(d.blast_radius().as_bytes());
    }
    eat(&created.map(day_of).unwrap_or(i32::MIN).to_le_bytes());
    h
}

fn user_fp(ids: &Identities, key: &str, object_id: &str) -> u64 {
    directory_fp(ids.lookup(key), ids.created(key, object_id))
}

/// Why a saved state cannot be continued, or None when it can.
fn stale_reason(state: &State, store: &Store, ids: &Identities) -> Option<String> {
    if state.output_files != output_files(store) {
        return Some("BehaviorAnalytics changed since the last run".into());
    }
    let files = signin_files(store);
    let current: BTreeSet<&String> = files.iter().map(|(p, _)| p).collect();
    if state.signin_files.iter().any(|p| !current.contains(p)) {
        return Some("sign-in files profiled before are gone".into());
    }
    if let Some(last) = state.last_day {
        for (p, range) in &files {
            if !state.signin_files.contains(p)
                && let Some((lo, _)) = range
                && *lo <= last
            {
                return Some(format!(
                    "new sign-ins or audit records reach back into an already profiled day ({})",
                    store::writer::day_name(i64::from(*lo))
                ));
            }
        }
    }
    for u in &state.users {
        if user_fp(ids, &u.key, &u.object_id) != u.directory_fp {
            return Some(format!("directory facts of {} changed", u.key));
        }
    }
    None
}

/// Runs UEBA over the store: profiles new days (or everything) and writes the tables.
pub fn run(store: &mut Store, opts: &Options) -> Result<Report, String> {
    let mut clock = std::time::Instant::now();
    let mut phases = Vec::new();
    let mut lap = |name: &'static str| {
        phases.push((name, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let root = store.root().to_path_buf();
    let reader = Reader::new(store)?;
    let ids = Identities::load(store, &reader)?;
    let mut report = Report::default();
    let mut state = None;
    if !opts.full
        && let Some(s) = State::load(&root)
    {
        match stale_reason(&s, store, &ids) {
            None => state = Some(s),
            Some(r) => report.full_reason = Some(r),
        }
    }
    let incremental = state.is_some();
    let mut state = state.unwrap_or_else(State::new);
    lap("load state and directory");
    report.mode = if incremental { "incremental" } else { "full" };

    let files = signin_files(store);
    let mut days: BTreeSet<i32> = BTreeSet::new();
    for (p, range) in &files {
        if incremental && state.signin_files.contains(p) {
            continue;
        }
        if let Some((lo, hi)) = range {
            days.extend(*lo..=*hi);
        }
    }
    let now = opts.now.unwrap_or_else(|| newest_input_time(store));

    let mut depts = Interner::default();
    let mut user_dept: Vec<u32> = state
        .users
        .iter()
        .map(|u| dept_id(&ids, &mut depts, &u.key))
        .collect();
    let tables: Vec<&'static str> = SIGNIN_TABLES
        .into_iter()
        .filter(|t| store.table(t).is_some())
        .collect();
    let has_audit = store.table(AUDIT_TABLE).is_some();

    let mut txn = store.begin();
    if !incremental {
        txn.replace_table(write::TABLE).map_err(|e| e.to_string())?;
    }
    let mut writer = BaWriter::new(now);
    let cols = writer.columns().to_vec();
    let mut act_cache: HashMap<Flags, Arc<str>> = HashMap::default();
    // Profiling on this thread, Parquet encoding of the finished chunks on another (a
    // bounded channel keeps at most two chunks in flight).
    let (tx, rx) = std::sync::mpsc::sync_channel::<write::Batch>(1);
    let (profiled, written) = std::thread::scope(|sc| {
        let store_writer = sc.spawn(move || -> Result<store::Transaction<'_>, String> {
            for b in rx {
                txn.write(write::TABLE, &cols, &b.batch, &b.ids)
                    .map_err(|e| e.to_string())?;
            }
            Ok(txn)
        });
        let mut send = |b: Option<write::Batch>| -> Result<(), String> {
            match b {
                Some(b) => tx
                    .send(b)
                    .map_err(|_| "the BehaviorAnalytics writer stopped".to_string()),
                None => Ok(()),
            }
        };
        let profiled = (|| -> Result<(), String> {
            for &day in &days {
                let mut data = Vec::with_capacity(tables.len());
                for t in &tables {
                    data.push(read::signins_of_day(&reader, t, day)?);
                }
                let mut evs: Vec<SignIn> = Vec::with_capacity(data.iter().map(|d| d.len()).sum());
                for d in &data {
                    d.rows(&mut evs);
                }
                let ops = if has_audit {
                    read::audit_of_day(&reader, day)?
                } else {
                    Vec::new()
                };
                if evs.is_empty() && ops.is_empty() {
                    continue;
                }
                evs.sort_by(|a, b| (a.time, a.item_id).cmp(&(b.time, b.item_id)));
                report.days += 1;
                report.signins += evs.len() as u64;
                report.operations += ops.len() as u64;
                profile_day(
                    &mut state,
                    &ids,
                    &mut depts,
                    &mut user_dept,
                    day,
                    &evs,
                    &ops,
                    &mut writer,
                    &mut send,
                    &mut act_cache,
                )?;
                state.last_day = Some(state.last_day.map_or(day, |l| l.max(day)));
            }
            send(writer.flush()?)
        })();
        drop(tx);
        let written = store_writer
            .join()
            .unwrap_or_else(|_| Err("the BehaviorAnalytics writer panicked".into()));
        (profiled, written)
    });
    // A writer error explains a profiling error ("writer stopped"), so it goes first.
    let mut txn = written?;
    profiled?;
    report.behavior_rows = writer.written;
    lap("profile days");

    for u in &mut state.users {
        u.directory_fp = user_fp(&ids, &u.key, &u.object_id);
    }
    report.identity_rows = outputs::write_identity(
        &reader,
        store_has(&txn, "IdentityInfo"),
        &mut txn,
        &state,
        &ids,
    )?;
    lap("IdentityInfo");
    let peers = peers::compute(&state, &ids);
    lap("peers");
    report.peer_rows = outputs::write_peers(&mut txn, &state, &ids, &peers, now)?;
    lap("write UserPeerAnalytics");
    txn.commit().map_err(|e| e.to_string())?;
    lap("commit");

    state.signin_files = files.into_iter().map(|(p, _)| p).collect();
    state.output_files = output_files(store);
    state.prune();
    state.save(&root)?;
    lap("save state");
    report.phases = phases;
    Ok(report)
}

fn store_has(txn: &store::Transaction, table: &str) -> bool {
    txn.store().table(table).is_some()
}

fn dept_id(ids: &Identities, depts: &mut Interner, key: &str) -> u32 {
    ids.lookup(key)
        .map(|d| depts.intern(&d.department.to_lowercase()))
        .unwrap_or(0)
}

/// The newest TimeGenerated of the inputs (not of UEBA's own tables).
fn newest_input_time(store: &Store) -> i64 {
    store
        .manifest()
        .tables
        .iter()
        .filter(|(n, _)| n.as_str() != write::TABLE && n.as_str() != peers::TABLE)
        .filter_map(|(_, t)| t.time_range().map(|(_, hi)| hi))
        .max()
        .unwrap_or(0)
}

/// Browser family of Graph's `deviceDetail.browser` ("Chrome 120.0.0" → "Chrome").
pub fn browser_family(raw: &str) -> String {
    let words: Vec<&str> = raw
        .split_whitespace()
        .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    words.join(" ")
}

/// Device family of an operating system name.
pub fn device_family(os: &str) -> &'static str {
    let l = os.to_ascii_lowercase();
    if l.is_empty() {
        ""
    } else if l.contains("windows") {
        "Windows"
    } else if l.contains("ios") || l.contains("iphone") || l.contains("ipad") {
        "iOS"
    } else if l.contains("mac") {
        "macOS"
    } else if l.contains("android") {
        "Android"
    } else if l.contains("linux") || l.contains("ubuntu") {
        "Linux"
    } else {
        "Other"
    }
}

/// ISP of a sign-in: the autonomous system ("AS8075") when nothing better is known.
pub fn isp_of(asn: &str) -> String {
    let a = asn.trim();
    if a.is_empty() || a == "0" {
        String::new()
    } else if a.starts_with("AS") {
        a.to_string()
    } else {
        format!("AS{a}")
    }
}

/// The device a sign-in came from: Entra device id, else device name.
fn device_of<'a>(e: &SignIn<'a>) -> &'a str {
    let id = e.device_id.trim();
    if !id.is_empty() && id != "00000000-0000-0000-0000-000000000000" {
        id
    } else {
        e.device_name.trim()
    }
}

/// Appends `s` as a JSON string literal, escaped exactly as serde_json escapes it.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{08}' => out.push_str("\\b"),
                '\u{0c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// UsersInsights JSON (keys in Sentinel's order, booleans as JSON booleans).
fn users_insights_json(
    out: &mut String,
    display: &str,
    object_id: &str,
    blast: &str,
    dormant: bool,
    new: bool,
) {
    out.clear();
    out.push_str("{\"AccountDisplayName\":");
    push_json_str(out, display);
    out.push_str(",\"AccountObjectID\":");
    push_json_str(out, object_id);
    out.push_str(",\"BlastRadius\":");
    push_json_str(out, blast);
    out.push_str(",\"IsDormantAccount\":");
    out.push_str(if dormant { "true" } else { "false" });
    out.push_str(",\"IsNewAccount\":");
    out.push_str(if new { "true" } else { "false" });
    out.push('}');
}

/// DevicesInsights JSON.
fn devices_insights_json(out: &mut String, browser: &str, os: &str, isp: &str, ua: &str) {
    out.clear();
    out.push_str("{\"Browser\":");
    push_json_str(out, browser);
    out.push_str(",\"DeviceFamily\":");
    push_json_str(out, device_family(os));
    out.push_str(",\"ISP\":");
    push_json_str(out, isp);
    out.push_str(",\"OperatingSystem\":");
    push_json_str(out, os);
    out.push_str(",\"UserAgent\":");
    push_json_str(out, ua);
    out.push('}');
}

struct Prepared {
    user: u32,
    vals: [u32; DIMS],
}

/// The user key of a sign-in: lower-cased UPN, else lower-cased object id ("" when neither).
fn user_key(e: &SignIn) -> String {
    if !e.upn.trim().is_empty() {
        e.upn.trim().to_lowercase()
    } else {
        e.user_id.trim().to_lowercase()
    }
}

#[allow(clippy::too_many_arguments)]
fn profile_day(
    state: &mut State,
    ids: &Identities,
    depts: &mut Interner,
    user_dept: &mut Vec<u32>,
    day: i32,
    evs: &[SignIn],
    ops: &[AuditOp],
    writer: &mut BaWriter,
    send: &mut dyn FnMut(Option<write::Batch>) -> Result<(), String>,
    act_cache: &mut HashMap<Flags, Arc<str>>,
) -> Result<(), String> {
    // 1. Users and values to ids (raw texts seen before today map straight to their ids).
    let mut prep: Vec<Option<Prepared>> = Vec::with_capacity(evs.len());
    let mut user_of: HashMap<(&str, &str), Option<u32>> = HashMap::default();
    let mut browser_of: HashMap<&str, u32> = HashMap::default();
    let mut isp_of_raw: HashMap<&str, u32> = HashMap::default();
    for e in evs {
        let user = match user_of.get(&(e.upn, e.user_id)) {
            Some(u) => *u,
            None => {
                let key = user_key(e);
                let u = (!key.is_empty()).then(|| state.user_id(&key));
                user_of.insert((e.upn, e.user_id), u);
                u
            }
        };
        let Some(user) = user else {
            prep.push(None);
            continue;
        };
        while user_dept.len() <= user as usize {
            let k = state.users[user_dept.len()].key.clone();
            user_dept.push(dept_id(ids, depts, &k));
        }
        let browser = match browser_of.get(e.browser_raw) {
            Some(&b) => b,
            None => {
                let b = state.values[BROWSER].intern(&browser_family(e.browser_raw));
                browser_of.insert(e.browser_raw, b);
                b
            }
        };
        let isp = match isp_of_raw.get(e.asn) {
            Some(&b) => b,
            None => {
                let b = state.values[ISP].intern(&isp_of(e.asn));
                isp_of_raw.insert(e.asn, b);
                b
            }
        };
        let mut vals = [0u32; DIMS];
        vals[APP] = state.values[APP].intern(e.app.trim());
        vals[BROWSER] = browser;
        vals[COUNTRY] = state.values[COUNTRY].intern(e.country.trim());
        vals[DEVICE] = state.values[DEVICE].intern(device_of(e));
        vals[ISP] = isp;
        vals[RESOURCE] = state.values[RESOURCE].intern(e.resource.trim());
        prep.push(Some(Prepared { user, vals }));
    }
    // 2. Insights against the days before.
    {
        let mut ctx = DayContext::new(state, user_dept, day);
        let mut ui = String::with_capacity(256);
        let mut di = String::with_capacity(512);
        for (e, p) in evs.iter().zip(&prep) {
            let Some(p) = p else { continue };
            let flags = ctx.activity(p.user, &p.vals);
            let u = state.users.get(p.user as usize);
            let key = u.map(|u| u.key.as_str()).unwrap_or("");
            let dir = ids.lookup(key);
            let created_day = ids.created(key, e.user_id).map(day_of);
            let new = is_new_account(day, created_day);
            let dormant = is_dormant(day, u, created_day);
            let display = dir
                .map(|d| d.display.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(e.display);
            let object_id = dir
                .map(|d| d.object_id.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(e.user_id);
            users_insights_json(
                &mut ui,
                display,
                object_id,
                dir.map(Directory::blast_radius).unwrap_or("Low"),
                dormant,
                new,
            );
            devices_insights_json(
                &mut di,
                state.values[BROWSER].name(p.vals[BROWSER]),
                e.os,
                state.values[ISP].name(p.vals[ISP]),
                e.user_agent,
            );
            let act = act_cache
                .entry(flags)
                .or_insert_with(|| Arc::from(activity_json(flags)));
            let upn = if e.upn.is_empty() { e.user_id } else { e.upn };
            let user_name = match upn.rsplit_once('@') {
                Some((name, _)) => name,
                None => e.display,
            };
            send(writer.push(BaRow {
                time: e.time,
                source_record_id: e.item_id,
                activity_type: if e.ok { "LogOn" } else { "FailedLogOn" },
                action_type: "Sign-in",
                native_table: e.table,
                user_name,
                upn,
                ip: e.ip,
                location: e.country,
                source_device: e.device_name,
                users_insights: &ui,
                devices_insights: Some(&di),
                activity_insights: Some(act),
                priority: priority(flags, dormant, new),
            })?)?;
        }
        // Directory operations of the day's users (they do not teach the baselines).
        for a in ops {
            let key = if a.upn.is_empty() {
                a.user_id.to_lowercase()
            } else {
                a.upn.to_lowercase()
            };
            let u = state
                .user_index
                .get(&key)
                .and_then(|&i| state.users.get(i as usize));
            let dir = ids.lookup(&key);
            let created_day = ids.created(&key, &a.user_id).map(day_of);
            let new = is_new_account(day, created_day);
            let dormant = is_dormant(day, u, created_day);
            let display = dir
                .map(|d| d.display.as_str())
                .filter(|s| !s.is_empty())
                .or(u.map(|u| u.display.as_str()))
                .unwrap_or("");
            let object_id = dir
                .map(|d| d.object_id.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(&a.user_id);
            users_insights_json(
                &mut ui,
                display,
                object_id,
                dir.map(Directory::blast_radius).unwrap_or("Low"),
                dormant,
                new,
            );
            let upn = if a.upn.is_empty() { &a.user_id } else { &a.upn };
            let user_name = match upn.rsplit_once('@') {
                Some((name, _)) => name,
                None => display,
            };
            send(writer.push(BaRow {
                time: a.time,
                source_record_id: &a.item_id,
                activity_type: &a.category,
                action_type: &a.operation,
                native_table: AUDIT_TABLE,
                user_name,
                upn,
                ip: &a.ip,
                location: "",
                source_device: "",
                users_insights: &ui,
                devices_insights: None,
                activity_insights: None,
                priority: priority(0, dormant, new),
            })?)?;
        }
    }
    // 3. Learn the day.
    for (e, p) in evs.iter().zip(&prep) {
        let Some(p) = p else { continue };
        if e.ok {
            state.learn(p.user, day, &p.vals);
        }
        if let Some(u) = state.users.get_mut(p.user as usize)
            && e.time >= u.last_seen
        {
            u.last_seen = e.time;
            if !e.upn.is_empty() && u.upn != e.upn {
                u.upn = e.upn.to_string();
            }
            if !e.user_id.is_empty() && u.object_id != e.user_id {
                u.object_id = e.user_id.to_string();
            }
            if !e.display.is_empty() && u.display != e.display {
                u.display = e.display.to_string();
            }
        }
    }
    Ok(())
}
