//! `peregrine demo`: generates a tenant's logs in the real export formats with one planted
//! attack per built-in rule and benign look-alikes, ingests them, runs UEBA and the built-in
//! rules, says whether every attack was found and no look-alike alerted, and writes an HTML
//! report.

pub mod r#gen;
pub mod plant;

use anyhow::{Context, Result, bail};
use clap::Args;
use r#gen::{DAY, HOUR, Records, Rng, World};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Clone)]
pub struct DemoArgs {
    /// Days of logs to generate.
    #[arg(long, default_value_t = 14)]
    pub days: i64,
    /// Users in the tenant (at least 45).
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// Seed of the generator (the same seed gives the same files).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Output directory (exports/, store/, report.html); replaced if it holds a demo.
    #[arg(long, default_value = "./peregrine-demo")]
    pub out: PathBuf,
}

/// What a demo run found.
pub struct Outcome {
    pub found: usize,
    pub planted: usize,
    pub missed: Vec<String>,
    pub false_positives: Vec<String>,
    pub summary: String,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.missed.is_empty() && self.false_positives.is_empty() && self.found == self.planted
    }
}

pub fn demo(args: DemoArgs, rt: &tokio::runtime::Runtime) -> Result<ExitCode> {
    let o = run(&args, rt)?;
    print!("{}", o.summary);
    Ok(if o.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The end of the generated data: a Tuesday, 12:00 UTC.
fn end_time() -> i64 {
    r#gen::days_from_civil(2024, 6, 4) * DAY + 12 * HOUR
}

pub fn generate(
    args: &DemoArgs,
    exports: &Path,
) -> Result<(plant::Manifest, Vec<(String, usize)>)> {
    if args.users < plant::MIN_USERS {
        bail!("--users must be at least {}", plant::MIN_USERS);
    }
    if !(9..=90).contains(&args.days) {
        bail!("--days must be between 9 and 90");
    }
    let mut rng = Rng::new(args.seed);
    let end = end_time();
    let start = end - 12 * HOUR - (args.days - 1) * DAY;
    let users = r#gen::users(args.users, &mut rng);
    let sps = r#gen::service_principals(&mut rng);
    let mut w = World {
        users,
        sps,
        start,
        end,
        days: args.days,
    };
    plant::prepare(&mut w);
    let mut out = Records::default();
    r#gen::normal_users(&w, &mut rng, &mut out);
    r#gen::normal_sps(&w, &mut rng, &mut out);
    r#gen::normal_network(&w, &mut rng, &mut out);
    let manifest = plant::plant(&w, &mut rng, &mut out);
    // The newest event pins the hunt's now(): a workload heartbeat at the very end.
    if let Some(sp) = w.sps.iter().find(|s| s.name == "HRConnector") {
        let ip = sp.ips.first().cloned().unwrap_or_default();
        r#gen::sp_signin(&mut out, &mut rng, end, sp, &ip, r#gen::AZURE_DE, 0);
    }
    let files = out.write(exports)?;
    Ok((manifest, files))
}

struct NoProgress;
impl ingest::Progress for NoProgress {}

pub fn run(args: &DemoArgs, rt: &tokio::runtime::Runtime) -> Result<Outcome> {
    let out = &args.out;
    let exports = out.join("exports");
    let store_dir = out.join("store");
    // Only ever remove what an earlier demo wrote.
    for d in [&exports, &store_dir] {
        if d.exists() {
            std::fs::remove_dir_all(d).with_context(|| format!("removing {}", d.display()))?;
        }
    }
    let mut text = String::new();
    let (manifest, files) = generate(args, &exports)?;
    text.push_str(&format!(
        "generated {} days, {} users, seed {} under {}:\n",
        args.days,
        args.users,
        args.seed,
        exports.display()
    ));
    for (f, n) in &files {
        text.push_str(&format!("  {f:<60} {n:>7} records\n"));
    }

    // Ingest through the library, then UEBA, as `peregrine ingest` does.
    let mut st = store::Store::open_for_write(&store_dir)
        .with_context(|| format!("creating the store at {}", store_dir.display()))?;
    let opts = ingest::Options {
        format: None,
        table: None,
        strict: false,
    };
    let summary = ingest::ingest(
        &mut st,
        std::slice::from_ref(&exports),
        &opts,
        &mut NoProgress,
    )
    .map_err(anyhow::Error::msg)?;
    let rows: u64 = summary.tables.values().map(|c| c.rows).sum();
    text.push_str(&format!(
        "ingested {rows} rows into {} table(s) at {}; {} rejected, {} file(s) failed\n",
        summary.tables.len(),
        store_dir.display(),
        summary.rejected(),
        summary.failed_files()
    ));
    if summary.rejected() > 0 || summary.failed_files() > 0 {
        text.push_str(&summary.render());
    }
    let report = ueba::run(
        &mut st,
        &ueba::Options {
            now: None,
            full: false,
        },
    )
    .map_err(anyhow::Error::msg)?;
    text.push_str(&report.render());
    drop(st);

    // Hunt with every built-in rule, now = the newest event, from = the oldest.
    let st = store::Store::open(&store_dir)?;
    let rules = crate::builtin::rules()?;
    let (from, now) = crate::hunt_cmd::store_range(&st).unwrap_or((0, 0));
    let w = detect::run::Window { now, from, to: now };
    let res = rt.block_on(crate::hunt_cmd::run_over_store(&st, &rules, &w, false))?;
    for e in &res.errors {
        text.push_str(&format!("rule error: {}\n", e.rendered));
    }

    let mut o = judge(&manifest, &res.alerts);
    let mut lines = format!(
        "\nhunt: {} built-in rules, now {}: {} alert(s)\n",
        res.rules_run,
        engine::value::datetime::format_iso(now),
        res.alerts.len()
    );
    lines.push_str(&o.summary);
    if !res.errors.is_empty() {
        o.missed
            .push(format!("{} rule(s) failed to run", res.errors.len()));
    }

    let html = detect::report::html(
        &res.alerts,
        &detect::report::Meta {
            title: "Peregrine demo: identity threat hunt".into(),
            facts: vec![
                ("Store".into(), store_dir.display().to_string()),
                (
                    "Hunt window".into(),
                    format!(
                        "{} → {}",
                        engine::value::datetime::format_iso(from),
                        engine::value::datetime::format_iso(now)
                    ),
                ),
                ("Rules run".into(), res.rules_run.to_string()),
                (
                    "Planted attacks found".into(),
                    format!("{}/{}", o.found, o.planted),
                ),
                (
                    "Alerts on benign look-alikes".into(),
                    o.false_positives.len().to_string(),
                ),
            ],
        },
    );
    let report_path = out.join("report.html");
    std::fs::write(&report_path, html)
        .with_context(|| format!("writing {}", report_path.display()))?;
    lines.push_str(&format!("report: {}\n", report_path.display()));
    text.push_str(&lines);
    o.summary = text;
    Ok(o)
}

/// Lower-cased identifiers an alert names: every entity field, and `Name@UPNSuffix`.
fn names_of(a: &detect::Alert) -> Vec<String> {
    let mut out = Vec::new();
    for e in &a.entities {
        let Some(o) = e.as_object() else { continue };
        for (k, v) in o {
            if k == "Type" || k == "$id" {
                continue;
            }
            if let Some(s) = v.as_str() {
                out.push(s.to_lowercase());
            }
        }
        if let (Some(n), Some(s)) = (
            o.get("Name").and_then(Value::as_str),
            o.get("UPNSuffix").and_then(Value::as_str),
        ) {
            out.push(format!("{n}@{s}").to_lowercase());
        }
    }
    out
}

fn short(a: &detect::Alert) -> String {
    let names: Vec<String> = a
        .entities
        .iter()
        .filter_map(|e| {
            let o = e.as_object()?;
            let t = o.get("Type")?.as_str()?;
            let v = ["FullName", "Address", "Name", "AppId"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))?;
            Some(format!("{t}:{v}"))
        })
        .collect();
    format!("[{}] {} — {}", a.severity, a.alert_name, names.join(" "))
}

/// Matches alerts against the manifest.
pub fn judge(m: &plant::Manifest, alerts: &[detect::Alert]) -> Outcome {
    let mut s = String::new();
    let mut found = 0;
    let mut missed = Vec::new();
    s.push_str("planted attacks:\n");
    for at in &m.attacks {
        let hit = alerts
            .iter()
            .any(|a| a.rule_id == at.rule_id && names_of(a).contains(&at.entity));
        if hit {
            found += 1;
        } else {
            missed.push(format!("{} ({})", at.what, at.entity));
        }
        let rule = alerts
            .iter()
            .find(|a| a.rule_id == at.rule_id)
            .map(|a| a.rule_name.clone())
            .unwrap_or_else(|| at.rule_id.to_string());
        s.push_str(&format!(
            "  {} {rule}: {}\n",
            if hit { "FOUND " } else { "MISSED" },
            at.what
        ));
    }
    let mut fps = Vec::new();
    let mut related = 0;
    let mut other = Vec::new();
    for a in alerts {
        let names = names_of(a);
        let planted_hit = m
            .attacks
            .iter()
            .any(|at| at.rule_id == a.rule_id && names.contains(&at.entity));
        if let Some(l) = m
            .lookalikes
            .iter()
            .find(|l| l.entities.iter().any(|e| names.contains(e)))
        {
            fps.push(format!("{} on look-alike \"{}\"", short(a), l.what));
        } else if planted_hit {
        } else if m.attack_entities.iter().any(|e| names.contains(e)) {
            related += 1;
            s.push_str(&format!("  also on a planted attack: {}\n", short(a)));
        } else {
            other.push(short(a));
        }
    }
    s.push_str(&format!(
        "benign look-alikes planted: {}\n",
        m.lookalikes.len()
    ));
    for l in &m.lookalikes {
        s.push_str(&format!("  - {}\n", l.what));
    }
    for u in &m.ueba {
        s.push_str(&format!("ueba case: {u}\n"));
    }
    s.push_str(&format!(
        "\nplanted attacks found: {found}/{}; alerts on benign look-alikes: {}; other alerts on attack entities: {related}; unexplained alerts: {}\n",
        m.attacks.len(),
        fps.len(),
        other.len()
    ));
    for x in &missed {
        s.push_str(&format!("  missed: {x}\n"));
    }
    for x in &fps {
        s.push_str(&format!("  FALSE POSITIVE: {x}\n"));
    }
    for x in &other {
        s.push_str(&format!("  unexplained: {x}\n"));
    }
    Outcome {
        found,
        planted: m.attacks.len(),
        missed,
        false_positives: fps,
        summary: s,
    }
}
