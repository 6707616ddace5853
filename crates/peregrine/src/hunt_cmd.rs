//! `peregrine hunt`, `peregrine rules validate` and `peregrine rules test` (in `test_cmd`).

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use detect::run::Window;
use engine::catalog::{Catalog, ChainCatalog};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Clone, Copy, ValueEnum)]
pub enum HuntFormat {
    Table,
    Json,
    Ndjson,
}

#[derive(Args)]
pub struct HuntArgs {
    /// The store directory (default: $PEREGRINE_STORE, else ./peregrine-data).
    #[arg(long)]
    store: Option<PathBuf>,
    /// Rule files or directories (Sentinel YAML, hunting YAML, ARM/JSON exports).
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Run only the rules given with --rules.
    #[arg(long)]
    no_builtin: bool,
    /// Pin now() (default: the newest TimeGenerated in the store).
    #[arg(long)]
    now: Option<String>,
    /// Start of the hunt range for {{StartTimeISO}} (default: the store's oldest time).
    #[arg(long)]
    from: Option<String>,
    /// End of the hunt range for {{EndTimeISO}} (default: now).
    #[arg(long)]
    to: Option<String>,
    /// Run scheduled rules as Sentinel would have over the range: one run per queryFrequency.
    #[arg(long)]
    replay: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: HuntFormat,
    /// Write the alerts to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write a self-contained HTML report of the alerts to this file.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Exclusions (YAML) to apply to the alerts, besides <store>/exclusions.yaml when present.
    #[arg(long, value_name = "FILE")]
    exclusions: Vec<PathBuf>,
    /// Apply no exclusions, not even <store>/exclusions.yaml.
    #[arg(long, conflicts_with = "exclusions")]
    no_exclusions: bool,
    /// Also list the alerts exclusions dropped, with the entry and reason.
    #[arg(long)]
    show_excluded: bool,
}

/// The exclusions file a store carries, applied to every hunt over it.
pub const STORE_EXCLUSIONS: &str = "exclusions.yaml";

/// The exclusions for a hunt: `<store>/exclusions.yaml` when present, then the given files.
fn load_exclusions(st: &store::Store, files: &[PathBuf]) -> Result<detect::exclusions::Exclusions> {
    let mut ex = detect::exclusions::Exclusions::default();
    let in_store = st.root().join(STORE_EXCLUSIONS);
    let mut paths: Vec<PathBuf> = Vec::new();
    if in_store.exists() {
        paths.push(in_store);
    }
    for f in files {
        // The store's file given again with --exclusions is read once.
        let canon = std::fs::canonicalize(f).ok();
        let seen = canon.is_some() && paths.iter().any(|p| std::fs::canonicalize(p).ok() == canon);
        if !seen {
            paths.push(f.clone());
        }
    }
    for p in &paths {
        ex.extend(detect::exclusions::Exclusions::load(p)?);
    }
    Ok(ex)
}

fn wall_clock_ticks() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_nanos() / 100) as i64
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Check rule files: YAML and KQL problems (unknown tables or columns, type errors) with
    /// file:line:column.
    Validate(ValidateArgs),
    /// Run rules against their fixtures (`<dir>/tests/<rule-stem>/<case>/` with input files
    /// and expect.yaml) and compare the alerts; default: the built-in pack.
    Test(TestArgs),
}

#[derive(Args)]
pub struct TestArgs {
    /// Rule files or directories (default: the built-in pack and rules/tests).
    paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ValidateArgs {
    /// The store whose tables rules are checked against (default: $PEREGRINE_STORE, else
    /// ./peregrine-data when it exists; else the built-in table schemas).
    #[arg(long)]
    store: Option<PathBuf>,
    /// Check against the built-in table schemas instead of a store.
    #[arg(long)]
    schemas: bool,
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

fn parse_time(what: &str, s: &str) -> Result<i64> {
    engine::value::datetime::parse(s).with_context(|| format!("{what}: '{s}' is not a datetime"))
}

fn load_rules(paths: &[PathBuf]) -> (Vec<detect::Rule>, Vec<String>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for f in detect::rule::rule_files(paths) {
        match detect::rule::load_file(&f) {
            Ok(rs) => rules.extend(rs),
            Err(e) => errors.push(format!("{e}")),
        }
    }
    (rules, errors)
}

fn open_store(arg: &Option<PathBuf>) -> Result<store::Store> {
    let root = crate::ingest_cmd::store_root(arg);
    store::Store::open(&root).with_context(|| format!("opening the store at {}", root.display()))
}

/// The store's time range over all tables.
pub fn store_range(st: &store::Store) -> Option<(i64, i64)> {
    let ranges: Vec<(i64, i64)> = st
        .manifest()
        .tables
        .values()
        .filter_map(|t| t.time_range())
        .collect();
    let lo = ranges.iter().map(|r| r.0).min()?;
    let hi = ranges.iter().map(|r| r.1).max()?;
    Some((lo, hi))
}

pub async fn hunt(args: HuntArgs) -> Result<ExitCode> {
    let st = open_store(&args.store)?;
    let (mut rules, load_errors) = load_rules(&args.rules);
    for e in &load_errors {
        eprintln!("{e}");
    }
    if !args.no_builtin {
        rules.extend(crate::builtin::rules()?);
    }
    if rules.is_empty() {
        bail!("no rules to run (give --rules PATH, or drop --no-builtin)");
    }
    let exclusions = if args.no_exclusions {
        detect::exclusions::Exclusions::default()
    } else {
        load_exclusions(&st, &args.exclusions)?
    };
    for (entry, rule) in exclusions.unknown_rules(&rules) {
        eprintln!(
            "warning: {entry} names rule '{rule}', which no rule in this hunt has (by id or name)"
        );
    }
    let range = store_range(&st);
    let now = match &args.now {
        Some(s) => parse_time("--now", s)?,
        None => range.map(|r| r.1).unwrap_or(0),
    };
    let from = match &args.from {
        Some(s) => parse_time("--from", s)?,
        None => range.map(|r| r.0).unwrap_or(now),
    };
    let to = match &args.to {
        Some(s) => parse_time("--to", s)?,
        None => now,
    };
    let w = Window { now, from, to };
    let mut res = run_over_store(&st, &rules, &w, args.replay).await?;
    for e in &res.errors {
        eprintln!("{e}");
    }
    if !exclusions.is_empty() {
        res.apply_exclusions(&exclusions, wall_clock_ticks());
        for r in res.exclusions.iter().filter(|r| r.expired) {
            eprintln!(
                "warning: exclusion {} expired {} ({}): it no longer applies — renew or remove it",
                r.entry,
                r.expires.as_deref().unwrap_or("?"),
                r.reason
            );
        }
    }
    let text = match args.format {
        HuntFormat::Json => {
            let mut v = serde_json::json!({
                "Alerts": res.alerts,
                "Incidents": res.incidents,
                "Suppressed": res.suppressed,
                "Summary": json_summary(&res),
            });
            if args.show_excluded {
                v["ExcludedAlerts"] = serde_json::to_value(&res.excluded)?;
            }
            serde_json::to_string_pretty(&v)? + "\n"
        }
        HuntFormat::Ndjson => {
            let mut out = String::new();
            for a in &res.alerts {
                out.push_str(&serde_json::to_string(a)?);
                out.push('\n');
            }
            if args.show_excluded {
                for x in &res.excluded {
                    out.push_str(&serde_json::to_string(
                        &serde_json::json!({ "Excluded": x }),
                    )?);
                    out.push('\n');
                }
            }
            out.push_str(&serde_json::to_string(
                &serde_json::json!({ "HuntSummary": json_summary(&res) }),
            )?);
            out.push('\n');
            out
        }
        HuntFormat::Table => summary(&res, args.show_excluded),
    };
    if let Some(p) = &args.report {
        let fmt = engine::value::datetime::format_iso;
        let meta = detect::report::Meta {
            title: "Peregrine hunt".into(),
            facts: vec![
                ("Hunt window".into(), format!("{} → {}", fmt(from), fmt(to))),
                ("Rules run".into(), res.rules_run.to_string()),
                ("Rule errors".into(), res.errors.len().to_string()),
                ("Incidents".into(), res.incidents.len().to_string()),
                ("Suppressed alerts".into(), res.suppressed.len().to_string()),
            ]
            .into_iter()
            .chain(exclusion_facts(&res))
            .collect(),
        };
        let html = detect::report::html_with_incidents(&res.alerts, &res.incidents, &meta);
        std::fs::write(p, html).with_context(|| format!("writing {}", p.display()))?;
    }
    match &args.out {
        Some(p) => std::fs::write(p, &text).with_context(|| format!("writing {}", p.display()))?,
        None => print!("{text}"),
    }
    Ok(if res.errors.is_empty() && load_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `rules` over the store at `w`. Tables the store lacks but Peregrine knows read as
/// empty, so one missing source does not stop a rule that unions several; a note names them.
pub async fn run_over_store(
    st: &store::Store,
    rules: &[detect::Rule],
    w: &Window,
    replay: bool,
) -> Result<detect::hunt::HuntResult> {
    let stored: Vec<String> = st.manifest().tables.keys().cloned().collect();
    let mut empty = engine::catalog::MemoryCatalog::new();
    let absent: Vec<engine::schema::TableSchema> = ingest::schemas::known_tables()
        .filter(|s| !stored.contains(&s.name))
        .cloned()
        .collect();
    engine::schema::register_empty(&mut empty, &absent)?;
    let catalog: Arc<dyn Catalog> = Arc::new(ChainCatalog(vec![
        Arc::new(store::StoreCatalog::new(st)),
        Arc::new(empty),
    ]));
    let session = engine::new_session();
    let absent_names: Vec<String> = absent.iter().map(|s| s.name.clone()).collect();
    let missing: std::collections::BTreeSet<String> = rules
        .iter()
        .flat_map(|r| detect::hunt::tables_used(r, &absent_names))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "note: not in the store, read as empty: {}",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(detect::hunt::hunt(rules, catalog.as_ref(), &session, w, replay).await)
}

/// The hunt's counts and what each exclusion entry did, for JSON and NDJSON output.
fn json_summary(res: &detect::hunt::HuntResult) -> serde_json::Value {
    serde_json::json!({
        "Alerts": res.alerts.len(),
        "RulesRun": res.rules_run,
        "Runs": res.runs,
        "Duplicates": res.duplicates,
        "RuleErrors": res.errors.len(),
        "Incidents": res.incidents.len(),
        "Suppressed": res.suppressed.len(),
        "SuppressedRuns": res.suppressed_runs,
        "Excluded": res.excluded.len(),
        "Exclusions": res.exclusions,
    })
}

/// Report header lines: the excluded count and each entry that dropped alerts or expired.
fn exclusion_facts(res: &detect::hunt::HuntResult) -> Vec<(String, String)> {
    if res.exclusions.is_empty() {
        return vec![];
    }
    let mut out = vec![(
        "Excluded alerts".to_string(),
        res.excluded.len().to_string(),
    )];
    for r in &res.exclusions {
        if r.excluded > 0 || r.expired {
            let state = if r.expired { " (expired)" } else { "" };
            out.push((
                format!("Excluded by {}{state}", r.entry),
                format!("{} — {}", r.excluded, r.reason),
            ));
        }
    }
    out
}

fn entity_text(a: &detect::Alert) -> String {
    let ents: Vec<String> = a
        .entities
        .iter()
        .filter_map(|e| {
            let o = e.as_object()?;
            let t = o.get("Type")?.as_str()?;
            let v = o
                .iter()
                .find(|(k, _)| *k != "Type" && *k != "$id")
                .and_then(|(_, v)| v.as_str())?;
            Some(format!("{t}:{v}"))
        })
        .collect();
    ents.join(" ")
}

/// The exclusions part of the table output: every entry with its count and reason, and with
/// `show`, the excluded alerts.
fn exclusions_summary(res: &detect::hunt::HuntResult, show: bool) -> String {
    if res.exclusions.is_empty() {
        return String::new();
    }
    let mut rows = vec![vec![
        "exclusion".to_string(),
        "excluded".into(),
        "reason".into(),
        "matches".into(),
    ]];
    for r in &res.exclusions {
        let entry = match (&r.expires, r.expired) {
            (Some(t), true) => format!("{} (expired {t})", r.entry),
            (Some(t), false) => format!("{} (until {t})", r.entry),
            _ => r.entry.clone(),
        };
        rows.push(vec![
            entry,
            r.excluded.to_string(),
            r.reason.clone(),
            r.matches.clone(),
        ]);
    }
    let mut out = format!(
        "\n{} alert(s) excluded by {} exclusion(s):\n",
        res.excluded.len(),
        res.exclusions.len()
    );
    out.push_str(&crate::ingest_cmd::grid(&rows));
    if show && !res.excluded.is_empty() {
        let mut rows = vec![vec![
            "exclusion".to_string(),
            "severity".into(),
            "alert".into(),
            "entities".into(),
            "start".into(),
            "rule".into(),
        ]];
        for x in &res.excluded {
            rows.push(vec![
                x.entry.clone(),
                x.alert.severity.clone(),
                x.alert.alert_name.clone(),
                entity_text(&x.alert),
                x.alert.start_time.clone(),
                x.alert.rule_name.clone(),
            ]);
        }
        out.push_str("\nexcluded alerts:\n");
        out.push_str(&crate::ingest_cmd::grid(&rows));
    }
    out
}

fn summary(res: &detect::hunt::HuntResult, show_excluded: bool) -> String {
    let mut rows = vec![vec![
        "severity".to_string(),
        "alert".into(),
        "entities".into(),
        "start".into(),
        "rule".into(),
    ]];
    let mut alerts: Vec<&detect::Alert> = res.alerts.iter().collect();
    alerts.sort_by(|a, b| {
        sev_rank(&b.severity)
            .cmp(&sev_rank(&a.severity))
            .then(a.start_time.cmp(&b.start_time))
    });
    for a in alerts {
        rows.push(vec![
            a.severity.clone(),
            a.alert_name.clone(),
            entity_text(a),
            a.start_time.clone(),
            a.rule_name.clone(),
        ]);
    }
    let mut out = crate::ingest_cmd::grid(&rows);
    out.push_str(&incident_summary(res));
    out.push_str(&format!(
        "{} alert(s) from {} rule(s) in {} run(s); {} repeated alert(s) reported once; {} alert(s) suppressed in {} suppressed run(s); {} incident(s); {} rule error(s)\n",
        res.alerts.len(),
        res.rules_run,
        res.runs,
        res.duplicates,
        res.suppressed.len(),
        res.suppressed_runs,
        res.incidents.len(),
        res.errors.len()
    ));
    out.push_str(&exclusions_summary(res, show_excluded));
    out
}

/// The incidents as a table (when any), and what suppression held back.
fn incident_summary(res: &detect::hunt::HuntResult) -> String {
    let mut out = String::new();
    if !res.incidents.is_empty() {
        let mut rows = vec![vec![
            "severity".to_string(),
            "incident".into(),
            "alerts".into(),
            "first".into(),
            "last".into(),
            "grouping".into(),
            "id".into(),
        ]];
        let mut incs: Vec<&detect::incident::Incident> = res.incidents.iter().collect();
        incs.sort_by(|a, b| {
            sev_rank(&b.severity)
                .cmp(&sev_rank(&a.severity))
                .then(a.first_activity_time.cmp(&b.first_activity_time))
        });
        for i in incs {
            rows.push(vec![
                i.severity.clone(),
                i.title.clone(),
                i.alert_ids.len().to_string(),
                i.first_activity_time.clone(),
                i.last_activity_time.clone(),
                i.grouping.clone(),
                i.incident_id.clone(),
            ]);
        }
        out.push_str("\nincidents:\n");
        out.push_str(&crate::ingest_cmd::grid(&rows));
    }
    for s in &res.suppressed {
        out.push_str(&format!(
            "suppressed: {} ({}) at {}, rule suppressed until {}\n",
            s.alert_name, s.system_alert_id, s.run_time, s.suppressed_until
        ));
    }
    out
}

fn sev_rank(s: &str) -> u8 {
    detect::Severity::parse(s).map_or(0, |s| s as u8)
}

pub async fn rules(cmd: RulesCommand) -> Result<ExitCode> {
    match cmd {
        RulesCommand::Validate(a) => validate(a).await,
        RulesCommand::Test(a) => crate::test_cmd::test(a.paths).await,
    }
}

async fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let (rules, mut problems) = load_rules(&args.paths);
    let root = crate::ingest_cmd::store_root(&args.store);
    let use_store = !args.schemas
        && (args.store.is_some() || root.join(store::manifest::MANIFEST_FILE).exists());
    let catalog: Arc<dyn Catalog> = if use_store {
        Arc::new(store::StoreCatalog::new(&open_store(&args.store)?))
    } else {
        let mut c = engine::catalog::MemoryCatalog::new();
        let schemas: Vec<engine::schema::TableSchema> =
            ingest::schemas::known_tables().cloned().collect();
        engine::schema::register_empty(&mut c, &schemas)?;
        Arc::new(c)
    };
    let session = engine::new_session();
    let w = Window {
        now: 0,
        from: 0,
        to: 0,
    };
    let mut ok = 0;
    for r in &rules {
        match detect::hunt::validate(r, catalog.as_ref(), &session, &w) {
            Ok(()) => ok += 1,
            Err(e) => problems.push(e.rendered),
        }
    }
    for p in &problems {
        eprintln!("{p}");
    }
    println!("{} rule(s) valid, {} problem(s)", ok, problems.len());
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
