//! `peregrine query`.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use engine::catalog::{Catalog, ChainCatalog, MemoryCatalog};
use engine::datafusion::catalog::TableProvider;
use engine::datafusion::prelude::{
    CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionContext,
};
use engine::{RunOptions, output};
use std::collections::HashMap;
use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
}

#[derive(Args)]
pub struct QueryArgs {
    /// The store to query (default: $PEREGRINE_STORE, else ./peregrine-data when it exists).
    #[arg(long)]
    store: Option<std::path::PathBuf>,
    /// Register a file as a table: NAME=FILE (CSV, JSON/NDJSON or Parquet, by extension).
    #[arg(long = "table", value_name = "NAME=FILE")]
    tables: Vec<String>,
    /// Register an empty table for each schema JSON file in this directory (Sentinel
    /// CustomTables format), e.g. to check that a rule plans.
    #[arg(long = "schemas", value_name = "DIR")]
    schemas: Option<std::path::PathBuf>,
    /// Pin now() (and ago()) to this datetime, e.g. 2024-05-01T00:00:00Z.
    #[arg(long)]
    now: Option<String>,
    /// Fill a {{Name}} placeholder or a declared query parameter: NAME=VALUE.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// The query text, or `-` (or nothing) to read it from standard input.
    query: Option<String>,
}

async fn register(session: &SessionContext, catalog: &mut MemoryCatalog, spec: &str) -> Result<()> {
    let Some((name, path)) = spec.split_once('=') else {
        bail!("--table expects NAME=FILE, got '{spec}'")
    };
    if !std::path::Path::new(path).exists() {
        bail!("--table {name}: file '{path}' does not exist");
    }
    let lower = path.to_ascii_lowercase();
    let df = if lower.ends_with(".parquet") {
        session.read_parquet(path, ParquetReadOptions::default()).await
    } else if lower.ends_with(".csv") {
        session.read_csv(path, CsvReadOptions::new().has_header(true)).await
    } else if lower.ends_with(".json") || lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
        let ext = std::path::Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("json").to_string();
        session.read_json(path, JsonReadOptions::default().file_extension(&format!(".{ext}"))).await
    } else {
        bail!("--table {name}: cannot tell the format of '{path}' (expected .csv, .json, .ndjson or .parquet)")
    }
    .with_context(|| format!("reading '{path}' for table {name}"))?;
    let provider: Arc<dyn TableProvider> = df.into_view();
    catalog.register(name, provider);
    Ok(())
}

pub async fn run(args: QueryArgs) -> Result<ExitCode> {
    let text = match args.query.as_deref() {
        None | Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the query from standard input")?;
            s
        }
        Some(q) => q.to_string(),
    };
    let session = engine::new_session();
    let mut catalog = MemoryCatalog::new();
    if let Some(dir) = &args.schemas {
        let schemas = engine::schema::load_dir(dir)?;
        engine::schema::register_empty(&mut catalog, &schemas)?;
    }
    for t in &args.tables {
        register(&session, &mut catalog, t).await?;
    }
    // Files named on the command line come first, so --table can stand in for a stored table.
    let mut catalogs: Vec<Arc<dyn Catalog>> = vec![Arc::new(catalog)];
    let root = crate::ingest_cmd::store_root(&args.store);
    if args.store.is_some() || root.join(store::manifest::MANIFEST_FILE).exists() {
        let st = store::Store::open(&root)
            .with_context(|| format!("opening the store at {}", root.display()))?;
        catalogs.push(Arc::new(store::StoreCatalog::new(&st)));
    }
    let catalog = ChainCatalog(catalogs);
    let now = match &args.now {
        Some(s) => engine::value::datetime::parse(s)
            .with_context(|| format!("--now: '{s}' is not a datetime"))?,
        None => {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            (d.as_nanos() / 100) as i64
        }
    };
    let mut params = HashMap::new();
    for p in &args.params {
        let Some((k, v)) = p.split_once('=') else {
            bail!("--param expects NAME=VALUE, got '{p}'")
        };
        params.insert(k.to_string(), v.to_string());
    }
    let opts = RunOptions { now, params };
    let res = match engine::run_query(&catalog, &session, &text, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}", e.render(&text, "query"));
            return Ok(ExitCode::from(1));
        }
    };
    let out = match args.format {
        Format::Json => output::to_v2_json(&res),
        Format::Ndjson => output::to_ndjson(&res),
        Format::Csv => output::to_csv(&res),
        Format::Table => output::to_table(&res, 60),
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).ok();
    if matches!(args.format, Format::Json) {
        stdout.write_all(b"\n").ok();
    }
    Ok(ExitCode::SUCCESS)
}
