#!/usr/bin/env python3
"""Ingest benchmark: `peregrine ingest` against DuckDB's `read_json_auto` → Parquet on the same
generated Graph sign-in JSON, in the same run. Prints MB/s and rows/s (medians of --reps runs,
the tools taking turns), peak memory (max RSS of each child process, highest run) for both,
and Peregrine's throughput over DuckDB's (above 1 means Peregrine is faster). DuckDB runs in a child process too, with its default threads.

  python3 bench/ingest.py --bin $CARGO_TARGET_DIR/release/peregrine --gb 1 [--order time|days]

The records come newest first over 28 days (`--order time`, the order of Graph's
/auditLogs/signIns and its downloads), or round-robin over the 28 days (`--order days`, a
stress case for the store's per-day partitioning that no export produces).
"""
import argparse
import datetime
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

COUNTRIES = [("US", "Seattle"), ("GB", "London"), ("DE", "Berlin"), ("NO", "Oslo"), ("IN", "Pune"),
             ("BR", "Recife"), ("JP", "Osaka"), ("NL", "Delft"), ("CA", "Ottawa"), ("KP", "Pyongyang")]
APPS = [("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
        ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
        ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal")]
CLIENTS = ["Browser", "Mobile Apps and Desktop clients", "Exchange ActiveSync", "IMAP4", "Other clients"]


def signin(rng, i, users, created):
    u = rng.randrange(users)
    c, city = rng.choice(COUNTRIES)
    app_id, app = rng.choice(APPS)
    ok = rng.random() < 0.9
    inter = rng.random() < 0.6
    return {
        "id": f"{i:08x}-0000-4000-8000-{rng.getrandbits(48):012x}",
        "createdDateTime": created,
        "userDisplayName": f"User {u}", "userPrincipalName": f"user{u}@contoso.com",
        "userId": f"{u:08x}-1111-4222-8333-444455556666",
        "appId": app_id, "appDisplayName": app,
        "ipAddress": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "clientAppUsed": rng.choice(CLIENTS), "correlationId": f"{rng.getrandbits(128):032x}",
        "conditionalAccessStatus": "notApplied", "isInteractive": inter,
        "riskDetail": "none", "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none",
        "riskState": "none", "riskEventTypes_v2": [],
        "resourceDisplayName": "Microsoft Graph", "resourceId": "00000003-0000-0000-c000-000000000000",
        "autonomousSystemNumber": rng.randrange(1000, 60000),
        "status": {"errorCode": 0 if ok else 50126, "failureReason": "Other." if ok else "Invalid username or password.",
                   "additionalDetails": None},
        "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows 10",
                         "browser": "Edge 120.0.0", "isCompliant": False, "isManaged": False, "trustType": ""},
        "location": {"city": city, "state": city, "countryOrRegion": c,
                     "geoCoordinates": {"altitude": None, "latitude": 47.6, "longitude": -122.3}},
        "appliedConditionalAccessPolicies": [],
        "authenticationRequirement": "singleFactorAuthentication",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "userType": "member", "tokenIssuerType": "AzureAD", "processingTimeInMilliseconds": rng.randrange(20, 400),
    }


# Average generated line, to spread the records over DAYS when they come in time order.
LINE_BYTES = 1394
DAYS = 28
START = datetime.datetime(2026, 10, 1, tzinfo=datetime.timezone.utc)


def created(rng, i, order, est_rows):
    """createdDateTime of the i-th record. `time`: newest first, evenly over DAYS days, as the
    Graph API (/auditLogs/signIns is sorted by createdDateTime, descending), its portal downloads
    and hourly diagnostic-settings blobs hand sign-ins over. `days`: consecutive records
    round-robin over DAYS days at random times of day, an order no export has (a stress case
    for the per-day partitioning)."""
    if order == "days":
        return (f"2026-10-{1 + i % DAYS:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
                f"{rng.randrange(60):02d}.{rng.randrange(10**7):07d}Z")
    span = DAYS * 86400 * 10**7
    ticks = span - 1 - (i * span) // max(est_rows, 1)
    t = START + datetime.timedelta(microseconds=ticks // 10)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ticks % 10**7:07d}Z"


def generate(path, target_bytes, users, seed, order):
    rng = random.Random(seed)
    rows = 0
    est_rows = target_bytes // LINE_BYTES
    with open(path, "w") as f:
        size = 0
        while size < target_bytes:
            rec = signin(rng, rows, users, created(rng, rows, order, est_rows))
            line = json.dumps(rec, separators=(",", ":")) + "\n"
            f.write(line)
            size += len(line)
            rows += 1
    return rows


def run_child(cmd):
    """Wall time and max RSS (MiB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: run each measured command
    # in a fresh wrapper so the figure is its own.
    return wall, max(after, before) / 1024.0


def measured(cmd):
    out = subprocess.run([sys.executable, __file__, "--measure", "--", *cmd], check=True,
                         capture_output=True, text=True).stdout
    wall, rss = out.split()
    return float(wall), float(rss)


def main():
    if "--measure" in sys.argv:
        cmd = sys.argv[sys.argv.index("--") + 1:]
        wall, rss = run_child(cmd)
        print(wall, rss)
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--order", choices=["time", "days"], default="time",
                    help="record order: time (newest first, as exports come) or days "
                         "(round-robin over the days, a stress case)")
    ap.add_argument("--reps", type=int, default=3,
                    help="runs of each tool, interleaved; medians are reported")
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="peregrine-ingest-bench-")
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, f"signins-{a.order}-{a.gb:g}gb.json")
    if not os.path.exists(src):
        print(f"generating {a.gb} GB of Graph sign-ins ({a.order} order) in {src} …", flush=True)
        generate(src, int(a.gb * 1e9), a.users, a.seed, a.order)
    size = os.path.getsize(src)
    with open(src) as f:
        rows = sum(1 for _ in f)
    store = os.path.join(work, "store")
    out = os.path.join(work, "duck.parquet")
    script = (f"import duckdb; duckdb.sql(\"COPY (SELECT * FROM read_json_auto('{src}')) "
              f"TO '{out}' (FORMAT parquet)\")")
    p_runs, d_runs = [], []
    for _ in range(max(1, a.reps)):
        # Ingest alone, like DuckDB's conversion: behaviour analytics (which `ingest` runs
        # after new sign-ins by default) is a separate step with its own benchmark.
        shutil.rmtree(store, ignore_errors=True)
        p_runs.append(measured([a.bin, "ingest", "--quiet", "--no-ueba", "--store", store, src]))
        d_runs.append(measured([sys.executable, "-c", script]))
    for name, runs in (("peregrine", p_runs), ("duckdb", d_runs)):
        print(f"{name} runs (s): " + ", ".join(f"{w:.2f}" for w, _ in runs))
    p_wall = statistics.median(w for w, _ in p_runs)
    d_wall = statistics.median(w for w, _ in d_runs)
    p_rss = max(r for _, r in p_runs)
    d_rss = max(r for _, r in d_runs)
    mb = size / 1e6
    print(f"input: {mb:.0f} MB, {rows} Graph sign-ins (NDJSON, {a.order} order)")
    print(f"{'':12} {'MB/s':>8} {'rows/s':>10} {'peak MiB':>9}")
    print(f"{'peregrine':12} {mb / p_wall:8.1f} {rows / p_wall:10.0f} {p_rss:9.0f}")
    print(f"{'duckdb':12} {mb / d_wall:8.1f} {rows / d_wall:10.0f} {d_rss:9.0f}")
    print(f"throughput ratio peregrine/duckdb (medians of {max(1, a.reps)}): {d_wall / p_wall:.2f}x")


if __name__ == "__main__":
    main()
