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

# (country, city, state, latitude, longitude): Entra geolocates by IP, so a city always comes
# with the same coordinates.
COUNTRIES = [("US", "Seattle", "Washington", 47.6062, -122.3321), ("GB", "London", "London", 51.5072, -0.1276),
             ("DE", "Berlin", "Berlin", 52.52, 13.405), ("NO", "Oslo", "Oslo", 59.9139, 10.7522),
             ("IN", "Pune", "Maharashtra", 18.5204, 73.8567), ("BR", "Recife", "Pernambuco", -8.0476, -34.877),
             ("JP", "Osaka", "Osaka", 34.6937, 135.5023), ("NL", "Delft", "Zuid-Holland", 52.0116, 4.3571),
             ("CA", "Ottawa", "Ontario", 45.4215, -75.6972), ("KP", "Pyongyang", "Pyongyang", 39.0392, 125.7625)]
APPS = [("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
        ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
        ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
        ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
        ("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI")]
RESOURCES = [("00000003-0000-0000-c000-000000000000", "Microsoft Graph"),
             ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
             ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
             ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API")]
CLIENTS = ["Browser", "Mobile Apps and Desktop clients", "Exchange ActiveSync", "IMAP4", "Other clients"]
# (operating system, browser, user agent)
DEVICES = [
    ("Windows 10", "Edge 120.0.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                  "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0"),
    ("Windows 10", "Chrome 121.0.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                    "Chrome/121.0.0.0 Safari/537.36"),
    ("Windows 11", "Rich Client 4.58.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36 "
                                        "(KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.22631"),
    ("MacOs", "Safari 17.1", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                             "Version/17.1 Safari/605.1.15"),
    ("Ios 17.1", "Mobile Safari 17.1", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
                                       "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"),
    ("Android 14", "Chrome Mobile 120.0.0", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                                            "Chrome/120.0.6099.144 Mobile Safari/537.36"),
    ("Linux", "Python Requests 2.31", "python-requests/2.31.0"),
    ("Windows 10", "Firefox 121.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"),
]
TRUST = ["", "Azure AD joined", "Hybrid Azure AD joined", "Azure AD registered"]
RISK = ["none"] * 17 + ["low", "medium", "high"]
POLICY = {"id": "5a7d2b7e-8f5c-4a51-9c3d-0c7cbd1e3a11", "displayName": "Require MFA for admins",
          "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "notApplied"}


def guid(bits):
    """A version-4 GUID from 128 random bits, as Entra's ids are."""
    h = f"{(bits & ~(0xF << 76) | (4 << 76)) & ~(0x3 << 62) | (0x2 << 62):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def user_guid(u):
    """The object id of user `u`: the same for every sign-in of the user."""
    return guid(random.Random(u).getrandbits(128))


def signin(rng, i, users, created):
    """A Graph sign-in record. Fields vary as they do in a tenant's export (device, browser,
    client, app, resource, risk, conditional access), so that no column is constant unless
    it is constant in real exports too."""
    u = rng.randrange(users)
    c, city, state, lat, lon = rng.choice(COUNTRIES)
    app_id, app = rng.choice(APPS)
    res_id, res = rng.choice(RESOURCES)
    os_name, browser, agent = rng.choice(DEVICES)
    ok = rng.random() < 0.9
    inter = rng.random() < 0.6
    managed = rng.random() < 0.5
    risk = rng.choice(RISK)
    ca = rng.choice(["notApplied", "notApplied", "success", "failure"])
    return {
        "id": guid(rng.getrandbits(128)),
        "createdDateTime": created,
        "userDisplayName": f"User {u}", "userPrincipalName": f"user{u}@contoso.com",
        "userId": user_guid(u),
        "appId": app_id, "appDisplayName": app,
        "ipAddress": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "clientAppUsed": rng.choice(CLIENTS), "correlationId": guid(rng.getrandbits(128)),
        "conditionalAccessStatus": ca, "isInteractive": inter,
        "riskDetail": "none" if risk == "none" else "userPassedMFADrivenByRiskBasedPolicy",
        "riskLevelAggregated": risk, "riskLevelDuringSignIn": risk,
        "riskState": "none" if risk == "none" else rng.choice(["atRisk", "remediated", "dismissed"]),
        "riskEventTypes_v2": [] if risk == "none" else [rng.choice(["unfamiliarFeatures", "anonymizedIPAddress"])],
        "resourceDisplayName": res, "resourceId": res_id,
        "autonomousSystemNumber": rng.randrange(1000, 60000),
        "status": {"errorCode": 0 if ok else 50126, "failureReason": "Other." if ok else "Invalid username or password.",
                   "additionalDetails": None if ok else "The user didn't enter the right credentials."},
        "deviceDetail": {"deviceId": guid(random.Random(-u).getrandbits(128)) if managed else "",
                         "displayName": f"PC-{u % 5000:04d}" if managed else "", "operatingSystem": os_name,
                         "browser": browser, "isCompliant": managed and rng.random() < 0.9, "isManaged": managed,
                         "trustType": rng.choice(TRUST[1:]) if managed else ""},
        "location": {"city": city, "state": state, "countryOrRegion": c,
                     "geoCoordinates": {"altitude": None, "latitude": lat, "longitude": lon}},
        "appliedConditionalAccessPolicies": [] if ca == "notApplied" else [dict(POLICY, result=ca)],
        "authenticationRequirement": rng.choice(["singleFactorAuthentication", "multiFactorAuthentication"]),
        "userAgent": agent,
        "userType": "guest" if rng.random() < 0.05 else "member",
        "tokenIssuerType": "AzureAD", "processingTimeInMilliseconds": rng.randrange(20, 400),
    }


# Average generated line, to spread the records over DAYS when they come in time order.
LINE_BYTES = 1539
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
    src = os.path.join(work, f"graph-signins-{a.order}-{a.gb:g}gb.json")
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
