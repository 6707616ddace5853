#!/usr/bin/env python3
"""Generates sign-in tables as Parquet for the engine benchmark.

SigninLogs and AADNonInteractiveUserSignInLogs with the columns the benchmark queries use.
`LocationDetails` is JSON text tagged `kql.type=dynamic` in the Arrow field metadata, which is
how Peregrine reads dynamic columns. Deterministic for a given --seed.
"""
import argparse
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "JP", "NL", "CA", "AU", "RU", "CN", "KP", "IR"]
APPS = ["Office 365 Exchange Online", "Microsoft Teams", "Azure Portal", "SharePoint Online", "Graph Explorer"]
CLIENTS = ["Browser", "Mobile Apps and Desktop clients", "Exchange ActiveSync", "IMAP4", "POP3", "Authenticated SMTP", "Other clients"]
CLIENT_P = [0.55, 0.35, 0.03, 0.02, 0.02, 0.02, 0.01]


def table(n, users, start_us, span_us, rng, interactive):
    t = start_us + rng.integers(0, span_us, n)
    u = rng.integers(0, users, n)
    upn = np.char.add(np.char.add("user", u.astype(str)), "@contoso.com")
    ip = np.char.add("10.", (rng.integers(0, 255, n)).astype(str))
    ip = np.char.add(np.char.add(ip, "."), rng.integers(0, 255, n).astype(str))
    ip = np.char.add(np.char.add(ip, ".1"), "")
    asn = rng.integers(1000, 1100, n).astype(str)
    country = rng.choice(COUNTRIES, n, p=[0.3, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.04, 0.03, 0.01, 0.01, 0.005, 0.005])
    loc = np.array([json.dumps({"city": "X", "countryOrRegion": c}) for c in COUNTRIES])
    loc_idx = np.searchsorted(np.array(COUNTRIES), country, sorter=np.argsort(COUNTRIES))
    loc_col = loc[np.argsort(COUNTRIES)][loc_idx]
    result = np.where(rng.random(n) < 0.9, "0", "50126")
    fields = [
        pa.field("TimeGenerated", pa.timestamp("us")),
        pa.field("UserPrincipalName", pa.string()),
        pa.field("IPAddress", pa.string()),
        pa.field("AutonomousSystemNumber", pa.string()),
        pa.field("AppDisplayName", pa.string()),
        pa.field("ClientAppUsed", pa.string()),
        pa.field("ResultType", pa.string()),
        pa.field("LocationDetails", pa.string(), metadata={"kql.type": "dynamic"}),
    ]
    cols = [
        pa.array(t, pa.timestamp("us")),
        pa.array(upn),
        pa.array(ip),
        pa.array(asn),
        pa.array(rng.choice(APPS, n)),
        pa.array(rng.choice(CLIENTS, n, p=CLIENT_P) if interactive else np.full(n, "Mobile Apps and Desktop clients")),
        pa.array(result),
        pa.array(loc_col),
    ]
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--users", type=int, default=50_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="bench-data")
    a = ap.parse_args()
    import os
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    start = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
    span = a.days * 86_400_000_000
    pq.write_table(table(a.rows, a.users, start, span, rng, True), f"{a.out}/SigninLogs.parquet", row_group_size=1_000_000)
    pq.write_table(table(a.rows // 5, a.users, start, span, rng, False), f"{a.out}/AADNonInteractiveUserSignInLogs.parquet", row_group_size=1_000_000)
    print(f"wrote {a.rows} interactive and {a.rows // 5} non-interactive sign-ins to {a.out}/")


if __name__ == "__main__":
    main()
