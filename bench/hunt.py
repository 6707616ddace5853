#!/usr/bin/env python3
"""Detection benchmark: `peregrine hunt` (every built-in rule in one process) against the same
rules' queries run one by one through `peregrine query` (one process per rule), over the demo
tenant, in the same run. Prints the demo's wall time, the hunt's, the per-query times and their
sum, the ratio hunt / sum of queries (below 1 means the hunt is faster than the queries one by
one), per rule the result rows of both paths, and the machine.

  cargo build --release -p peregrine
  python3 bench/hunt.py --bin $CARGO_TARGET_DIR/release/peregrine --users 2000 --days 30

What is measured:

* demo: `peregrine demo --users U --days D --seed S --out DIR` — generates the exports, ingests
  them, computes UEBA, runs one hunt and writes the report, all in one process (the demo has no
  generate-only flag), so this time includes one hunt. `--reuse` keeps an existing DIR/store;
* hunt: `peregrine hunt --store DIR/store --format json --out /dev/null` — all built-in rules,
  `now` pinned by default to the newest TimeGenerated in the store, range from the oldest;
  median of --reps;
* queries: for each rule file in rules/ (what the binary builds in), its `query` text through
  `peregrine query --store DIR/store --format json --now NOW` with NOW the hunt's default (the
  newest time over the store's tables, read from its manifest) and `--param` filling
  `{{StartTimeISO}}`/`{{EndTimeISO}}`/`{{StartTime}}`/`{{EndTime}}` with the hunt's range;
  median of --reps per rule, summed. Each time includes process start-up and opening the store.
  The reps are interleaved (a hunt, then every query, then again) so that load from other
  processes falls on both sides alike.

Cross-check, from one more (untimed) hunt written to a file: every built-in rule groups
AlertPerResult, so a rule's alerts carry exactly its result rows as evidence; the script
compares, per rule, the query's rows with the hunt's evidence rows (count, and the rows
themselves as a multiset), and that every alert's TimeGenerated is the NOW the queries used.
Arrays in a row may differ in element order only (make_set()/make_list() order is unspecified,
in Kusto too, and varies between runs under parallel aggregation); that is reported, not
counted as a mismatch; nor are columns a rule assigns from take_any()/any() (any value of
the group, on either path). Mismatches are printed and make the exit status 1. (No built-in rule
uses the range placeholders today; `peregrine query` already had --now and --param, so the
queries are pinned exactly as the hunt pins them, through the same engine RunOptions.)

Measured 2026-11-23, release build of 738b254, 2 cores (AMD EPYC) shared with other sessions' builds and
tests (load average 4.4-7.5), --users 2000 --days 30 --reps 5: demo 85.8 s (497,550 ingested
rows); hunt 4.50 s (reps 4.59, 4.50, 3.73, 4.91, 4.27); the 10 queries one by one 4.77 s
(new-country-signin 3.29 s, impossible-travel 0.33, sp-credential-foreign-signin-sentinel 0.33,
password-spray-success 0.22, network-alert-ip-then-signin 0.17,
sp-credential-foreign-signin-defender 0.15, suspicious-cloud-account-signin 0.09,
signin-asn-mismatch 0.08, mfa-fatigue 0.07, sp-signin-many-ips 0.03); hunt / queries 0.94x. Same rows on
both paths for all 10 rules (14 alerts; 1 row each, 5 for new-country-signin). The ratio is
noisy under that load: single-rep reruns over the same store gave 0.70x and 1.04x.
"""
import argparse
import collections
import datetime
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rules")


def iso(ticks):
    """100-ns ticks since the Unix epoch (the store's times) as ISO 8601 with 7 decimals."""
    secs, frac = divmod(ticks, 10_000_000)
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:07d}Z"


def ticks(s):
    """ISO 8601 UTC ('…Z', any number of decimals) to 100-ns ticks since the Unix epoch."""
    whole, _, frac = s.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 10_000_000 + int((frac + "0000000")[:7])


def store_range(store):
    """The hunt's default window: oldest and newest time over all tables (as `hunt` computes)."""
    with open(os.path.join(store, "manifest.json")) as f:
        m = json.load(f)
    lo, hi = None, None
    for t in m["tables"].values():
        mins = [x["min_time"] for x in t.get("files", []) if x.get("min_time") is not None]
        maxs = [x["max_time"] for x in t.get("files", []) if x.get("max_time") is not None]
        if mins and maxs:
            lo = min(mins) if lo is None else min(lo, min(mins))
            hi = max(maxs) if hi is None else max(hi, max(maxs))
    if hi is None:
        raise SystemExit(f"{store}: no table has a time range")
    return lo, hi


def load_rules():
    rules = []
    for path in sorted(glob.glob(os.path.join(RULES_DIR, "*.yaml"))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict) or "query" not in doc or doc.get("enabled", True) is False:
            continue
        rules.append({"file": os.path.basename(path)[: -len(".yaml")], "id": doc["id"],
                      "name": doc["name"], "query": doc["query"]})
    return rules


def run(cmd, what):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{what} failed (exit {p.returncode}):\n{p.stderr}")
    return wall, p


def any_columns(query):
    """Columns a query assigns from take_any()/any(): any value of the group, so either path
    may return a different one (as Kusto may)."""
    return set(re.findall(r"(\w+)\s*=\s*(?:take_any|any)\s*\(", query))


def canon(row, sort_arrays=False, drop=()):
    row = {k: v for k, v in row.items() if k not in drop}
    if sort_arrays:
        row = {k: sorted(v, key=lambda x: json.dumps(x, sort_keys=True)) if isinstance(v, list) else v
               for k, v in row.items()}
    return json.dumps(row, sort_keys=True, separators=(",", ":"))


def same(a, b, sort_arrays=False, drop=()):
    return (collections.Counter(canon(x, sort_arrays, drop) for x in a)
            == collections.Counter(canon(x, sort_arrays, drop) for x in b))


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{os.cpu_count()} cores ({model or platform.machine()}), {platform.system()} {platform.release()}; load average {load}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", default=None, help="demo output directory (default: a new temp dir)")
    ap.add_argument("--reuse", action="store_true", help="keep DIR/store when it exists")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="peregrine-hunt-bench-")
    store = os.path.join(work, "store")
    print(f"machine: {machine()}")
    print(f"binary: {a.bin}")

    if a.reuse and os.path.exists(os.path.join(store, "manifest.json")):
        print(f"demo: reusing {store}")
    else:
        t = time.perf_counter()
        p = subprocess.run([a.bin, "demo", "--users", str(a.users), "--days", str(a.days),
                            "--seed", str(a.seed), "--out", work], capture_output=True, text=True)
        demo_wall = time.perf_counter() - t
        # Exit 1 means a planted attack was missed or a look-alike alerted: still a store to
        # measure, so report it and go on; 2 is an error.
        if p.returncode not in (0, 1):
            raise SystemExit(f"demo failed (exit {p.returncode}):\n{p.stderr}")
        found = [ln for ln in p.stdout.splitlines() if ln.startswith(("ingested", "planted attacks found"))]
        print(f"demo --users {a.users} --days {a.days} --seed {a.seed}: {demo_wall:.1f} s "
              f"(generate + ingest + UEBA + one hunt + report, one process)")
        for ln in found:
            print(f"  {ln}")

    lo, hi = store_range(store)
    now = iso(hi)
    params = {"StartTimeISO": iso(lo), "EndTimeISO": now, "StartTime": iso(lo), "EndTime": now}
    rules = load_rules()
    print(f"now pinned at {now} (newest TimeGenerated in the store); range from {iso(lo)}; "
          f"{len(rules)} rules from {os.path.normpath(RULES_DIR)}; median of {a.reps}")

    hunt_cmd = [a.bin, "hunt", "--store", store, "--format", "json"]
    param_args = [x for k, v in params.items() for x in ("--param", f"{k}={v}")]
    query_cmds = [[a.bin, "query", "--store", store, "--now", now, *param_args, "--format", "json",
                   r["query"]] for r in rules]
    # Interleaved (one hunt, then every query, per rep) so that load from other processes
    # falls on both sides alike.
    hunt_times, query_times, last = [], [[] for _ in rules], [None] * len(rules)
    for _ in range(a.reps):
        hunt_times.append(run(hunt_cmd + ["--out", os.devnull], "hunt")[0])
        for i, (r, cmd) in enumerate(zip(rules, query_cmds)):
            wall, last[i] = run(cmd, f"query of {r['file']}")
            query_times[i].append(wall)
    hunt_med = statistics.median(hunt_times)
    per_rule = []
    for r, times, p in zip(rules, query_times, last):
        frame = json.loads(p.stdout)
        cols = [c["ColumnName"] for c in frame["Columns"]]
        rows = [dict(zip(cols, row)) for row in frame["Rows"]]
        per_rule.append((r, statistics.median(times), rows))
    q_sum = sum(m for _, m, _ in per_rule)

    # Cross-check against one more hunt, written to a file.
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        run(hunt_cmd + ["--out", tmp.name], "hunt")
        out = json.load(open(tmp.name))
    alerts = out["Alerts"] if isinstance(out, dict) else out
    by_rule = collections.defaultdict(list)
    for al in alerts:
        by_rule[al["RuleId"]].append(al)
    problems = []
    stamps = {al["TimeGenerated"] for al in alerts}
    if any(ticks(s) != hi for s in stamps):
        problems.append(f"hunt alerts have TimeGenerated {sorted(stamps)}, queries used now {now}")

    print()
    print(f"{'rule':45s} {'query rows':>10s} {'alerts':>7s} {'evidence':>9s} {'query s':>8s}  check")
    for r, med, rows in per_rule:
        als = by_rule.get(r["id"], [])
        evidence = [e for al in als for e in al.get("Evidence", [])]
        if len(evidence) != len(rows):
            check = f"MISMATCH: {len(rows)} query rows, {len(evidence)} evidence rows"
        elif same(evidence, rows):
            check = "same rows"
        elif same(evidence, rows, sort_arrays=True):
            # make_set()/make_list() order is unspecified (in Kusto too) and varies from run
            # to run under parallel aggregation.
            check = "same rows (array elements in another order)"
        elif (anys := any_columns(r["query"])) and same(evidence, rows, True, anys):
            differ = sorted(c for c in anys if not same(evidence, rows, True, anys - {c}))
            check = f"same rows but take_any() column(s) {', '.join(differ)}"
        else:
            check = "MISMATCH: same count, different rows"
        if check.startswith("MISMATCH"):
            problems.append(f"{r['file']}: {check}")
        print(f"{r['file']:45s} {len(rows):10d} {len(als):7d} {len(evidence):9d} {med:8.2f}  {check}")
    print()
    print(f"hunt (all {len(rules)} rules, one process): {hunt_med:.2f} s  "
          f"(reps: {', '.join(f'{t:.2f}' for t in hunt_times)})")
    print(f"queries one by one ({len(rules)} processes), sum of medians: {q_sum:.2f} s")
    print(f"ratio hunt / sum of queries: {hunt_med / q_sum:.2f}x")
    print(f"alerts: {len(alerts)}; machine after the run: {machine()}")
    for pr in problems:
        print(f"PROBLEM: {pr}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
