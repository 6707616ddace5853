//! UEBA benchmark: generates sign-ins straight into a fresh store (SigninLogs with the columns
//! UEBA reads), then times a full run and an incremental run over one more day, and prints the
//! peak resident memory of each run (the peak is reset after generating, on Linux).
//!
//! `cargo run --release -p ueba --bin ueba-bench -- --rows 10000000 --users 50000 --days 30 --dir /tmp/ueba-bench`
//! (add `--step generate`, then `--step full`, then `--step incremental` with the same
//! arguments to run each step in its own process).

use engine::KqlType;
use engine::datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use engine::datafusion::arrow::datatypes::Schema;
use std::sync::Arc;
use std::time::Instant;
use store::{ColumnDef, Store};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resets the peak RSS (Linux: `clear_refs` 5), so the runs' peak excludes the generator's.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb / 1024)
}

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn write_day(
    store: &mut Store,
    day: i64,
    rows: u64,
    users: u64,
    rng: &mut Rng,
) -> Result<(), String> {
    const COUNTRIES: [&str; 8] = ["US", "US", "US", "GB", "DE", "FR", "IN", "BR"];
    const APPS: [&str; 5] = [
        "Office 365 Exchange Online",
        "Microsoft Teams",
        "Azure Portal",
        "SharePoint Online",
        "Graph Explorer",
    ];
    const BROWSERS: [&str; 4] = ["Edge 120.0", "Chrome 119.0", "Firefox 120", "Safari 17"];
    let cols: Vec<ColumnDef> = [
        ("TimeGenerated", KqlType::DateTime),
        ("_ItemId", KqlType::String),
        ("UserPrincipalName", KqlType::String),
        ("UserId", KqlType::String),
        ("UserDisplayName", KqlType::String),
        ("IPAddress", KqlType::String),
        ("ResultType", KqlType::String),
        ("LocationDetails", KqlType::Dynamic),
        ("DeviceDetail", KqlType::Dynamic),
        ("AutonomousSystemNumber", KqlType::String),
        ("UserAgent", KqlType::String),
        ("AppDisplayName", KqlType::String),
        ("ResourceDisplayName", KqlType::String),
    ]
    .iter()
    .map(|(n, t)| ColumnDef::new(n, *t))
    .collect();
    let chunk = 500_000u64;
    let mut done = 0u64;
    let mut txn = store.begin();
    while done < rows {
        let n = chunk.min(rows - done);
        let mut t = Vec::with_capacity(n as usize);
        let mut s: Vec<Vec<String>> = (0..12).map(|_| Vec::with_capacity(n as usize)).collect();
        let mut ids = Vec::with_capacity(n as usize);
        for i in 0..n {
            let u = rng.below(users);
            let habit = u % 5;
            let odd = rng.below(50) == 0;
            let c = if odd {
                COUNTRIES[rng.below(8) as usize]
            } else {
                COUNTRIES[(habit % 3) as usize]
            };
            let app = APPS[if odd { rng.below(5) } else { habit } as usize];
            let br = BROWSERS[(if odd { rng.below(4) } else { habit % 2 }) as usize];
            t.push(
                day * engine::types::TICKS_PER_DAY
                    + rng.below(engine::types::TICKS_PER_DAY as u64) as i64,
            );
            let item = format!("d{day}-{}", done + i);
            ids.push(ingest::itemid::id_hash(&item));
            s[0].push(item);
            s[1].push(format!("user{u}@contoso.com"));
            s[2].push(format!("id-{u}"));
            s[3].push(format!("User {u}"));
            s[4].push(format!("10.{}.{}.1", u % 250, rng.below(250)));
            s[5].push(if rng.below(10) == 0 {
                "50126".into()
            } else {
                "0".into()
            });
            s[6].push(format!("{{\"city\":\"X\",\"countryOrRegion\":\"{c}\"}}"));
            s[7].push(format!("{{\"browser\":\"{br}\",\"operatingSystem\":\"Windows10\",\"deviceId\":\"dev-{u}\",\"displayName\":\"PC-{u}\"}}"));
            s[8].push(format!(
                "{}",
                8075 + if odd { rng.below(100) } else { u % 3 }
            ));
            s[9].push("Mozilla/5.0".into());
            s[10].push(app.into());
            s[11].push(app.into());
        }
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(t))];
        for col in s {
            arrays.push(Arc::new(StringArray::from(col)));
        }
        let fields: Vec<_> = cols.iter().map(|c| c.ty().field(&c.name)).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| e.to_string())?;
        txn.write("SigninLogs", &cols, &batch, &ids)
            .map_err(|e| e.to_string())?;
        done += n;
    }
    txn.commit().map_err(|e| e.to_string())
}

fn main() -> std::process::ExitCode {
    let rows = arg("--rows", 10_000_000);
    let users = arg("--users", 50_000);
    let days = arg("--days", 30) as i64;
    let dir = std::env::args()
        .skip_while(|a| a != "--dir")
        .nth(1)
        .unwrap_or_else(|| "ueba-bench-store".into());
    // `--step generate|full|incremental` runs one step per process (so each process's peak
    // RSS is that step's); default: all three in this process.
    let step = std::env::args()
        .skip_while(|a| a != "--step")
        .nth(1)
        .unwrap_or_else(|| "all".into());
    let (gen_step, full_step, inc_step) = match step.as_str() {
        "generate" => (true, false, false),
        "full" => (false, true, false),
        "incremental" => (false, false, true),
        _ => (true, true, true),
    };
    let root = std::path::PathBuf::from(&dir);
    if gen_step {
        let _ = std::fs::remove_dir_all(&root);
    }
    let result = (|| -> Result<(), String> {
        let mut store = Store::open_for_write(&root).map_err(|e| e.to_string())?;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let first = 19723i64;
        let per_day = rows / days.max(1) as u64;
        if gen_step {
            let t0 = Instant::now();
            for d in 0..days {
                write_day(&mut store, first + d, per_day, users, &mut rng)?;
            }
            println!(
                "generated {} sign-ins over {days} days in {:.1?} (peak RSS {} MiB)",
                per_day * days as u64,
                t0.elapsed(),
                peak_rss_mib()
            );
            reset_peak_rss();
        }
        if full_step {
            full_run(&mut store)?;
        }
        if inc_step {
            incremental_run(&mut store, first + days, per_day, users, &mut rng)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ueba-bench: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn full_run(store: &mut Store) -> Result<(), String> {
    {
        let t1 = Instant::now();
        let r = ueba::run(
            store,
            &ueba::Options {
                now: None,
                full: true,
            },
        )?;
        print!("{}", r.render());
        for (p, d) in &r.phases {
            println!("  {p}: {d:.1?}");
        }
        println!(
            "full: {:.1?}, peak RSS {} MiB",
            t1.elapsed(),
            peak_rss_mib()
        );
    }
    Ok(())
}

fn incremental_run(
    store: &mut Store,
    day: i64,
    per_day: u64,
    users: u64,
    rng: &mut Rng,
) -> Result<(), String> {
    {
        write_day(store, day, per_day, users, rng)?;
        reset_peak_rss();
        let t2 = Instant::now();
        let r = ueba::run(store, &ueba::Options::default())?;
        print!("{}", r.render());
        for (p, d) in &r.phases {
            println!("  {p}: {d:.1?}");
        }
        println!(
            "incremental (one day): {:.1?}, peak RSS {} MiB",
            t2.elapsed(),
            peak_rss_mib()
        );
    }
    Ok(())
}
