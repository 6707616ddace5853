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
    let res = run_over_store(&st, &rules, &w, args.replay).await?;
    for e in &res.errors {
        eprintln!("{e}");
    }
    let text = match args.format {
        HuntFormat::Json => serde_json::to_string_pretty(&json_output(&res))? + "\n",
        HuntFormat::Ndjson => res
            .alerts
            .iter()
            .map(|a| serde_json::to_string(a).map(|s| s + "\n"))
            .collect::<Result<String, _>>()?,
        HuntFormat::Table => summary(&res),
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
            ],
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

fn summary(res: &detect::hunt::HuntResult) -> String {
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
        rows.push(vec![
            a.severity.clone(),
            a.alert_name.clone(),
            ents.join(" "),
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
    out
}

/// `--format json`: the alerts, their incidents, what suppression held back, and counts.
fn json_output(res: &detect::hunt::HuntResult) -> serde_json::Value {
    serde_json::json!({
        "alerts": res.alerts,
        "incidents": res.incidents,
        "suppressed": res.suppressed,
        "stats": {
            "rules_run": res.rules_run,
            "runs": res.runs,
            "duplicates": res.duplicates,
            "suppressed_alerts": res.suppressed.len(),
            "suppressed_runs": res.suppressed_runs,
            "incidents": res.incidents.len(),
            "rule_errors": res.errors.len(),
        },
    })
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
