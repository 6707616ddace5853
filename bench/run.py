#!/usr/bin/env python3
"""Engine benchmark: each KQL query through `peregrine query` against hand-written equivalent
SQL in DuckDB over the same Parquet files, in the same run. Prints the ratio per query
(Peregrine time / DuckDB time; below 1 means Peregrine is faster). Both sides read the Parquet
files from disk on every run; Peregrine's time includes process start-up. Medians of --reps.

  python3 bench/gen_signins.py --rows 5000000 --out bench-data
  python3 bench/run.py --data bench-data --bin $CARGO_TARGET_DIR/release/peregrine
"""
import argparse
import statistics
import subprocess
import time

import duckdb

QUERIES = [
    (
        "filter + summarize by user",
        "SigninLogs | where ResultType == 0 | summarize n = count() by UserPrincipalName | count",
        "select count(*) from (select UserPrincipalName, count(*) from read_parquet('{d}/SigninLogs.parquet') "
        "where ResultType = '0' group by 1)",
    ),
    (
        "has_any over a string column",
        'SigninLogs | where ClientAppUsed has_any ("IMAP4", "POP3", "Authenticated SMTP") | count',
        "select count(*) from read_parquet('{d}/SigninLogs.parquet') "
        "where regexp_matches(ClientAppUsed, '(?i)(^|[^a-z0-9])(imap4|pop3|authenticated smtp)($|[^a-z0-9])')",
    ),
    (
        "dynamic field extraction + group by",
        "SigninLogs | summarize n = count() by Country = tostring(LocationDetails.countryOrRegion) | count",
        "select count(*) from (select json_extract_string(LocationDetails, '$.countryOrRegion') c, count(*) "
        "from read_parquet('{d}/SigninLogs.parquet') group by 1)",
    ),
    (
        "10-minute window self-join (seed 003 shape)",
        "let i = SigninLogs | where ResultType == 0 | project T1 = TimeGenerated, U = UserPrincipalName, IP1 = IPAddress; "
        "let n = AADNonInteractiveUserSignInLogs | where ResultType == 0 | project T2 = TimeGenerated, U = UserPrincipalName, IP2 = IPAddress; "
        "i | join kind=inner n on U | where T2 between (T1 .. (T1 + 10m)) and IP1 != IP2 | count",
        "select count(*) from (select TimeGenerated t1, UserPrincipalName u, IPAddress ip1 from read_parquet('{d}/SigninLogs.parquet') where ResultType='0') a "
        "join (select TimeGenerated t2, UserPrincipalName u, IPAddress ip2 from read_parquet('{d}/AADNonInteractiveUserSignInLogs.parquet') where ResultType='0') b "
        "on a.u = b.u and b.t2 between a.t1 and a.t1 + interval 10 minute and a.ip1 <> b.ip2",
    ),
]


def timed(f, reps):
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="bench-data")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    tables = [
        "--table", f"SigninLogs={a.data}/SigninLogs.parquet",
        "--table", f"AADNonInteractiveUserSignInLogs={a.data}/AADNonInteractiveUserSignInLogs.parquet",
    ]
    con = duckdb.connect()
    print(f"{'query':45s} {'rows (both)':>14s} {'ratio':>8s}")
    for name, kql, sql in QUERIES:
        def run_kql():
            p = subprocess.run([a.bin, "query", *tables, "--format", "csv", kql], capture_output=True, text=True)
            if p.returncode != 0:
                raise SystemExit(f"peregrine failed on {name}: {p.stderr}")
            return p.stdout.strip().splitlines()[-1]
        tk, rk = timed(run_kql, a.reps)
        td, rd = timed(lambda: con.execute(sql.format(d=a.data)).fetchone()[0], a.reps)
        agree = "" if str(rd) == rk else f" (MISMATCH: {rk} vs {rd})"
        print(f"{name:45s} {rk:>14s} {tk / td:8.2f}x{agree}")


if __name__ == "__main__":
    main()
