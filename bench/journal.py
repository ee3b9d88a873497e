#!/usr/bin/env python3
"""Journal benchmark: what journaling costs on a fast endpoint, and the memory a resume needs.

1. A 100,000-row run against the fault proxy in stub mode (answers every call at once, no
   upstream), with and without the journal: wall time and client CPU, as ratios.
2. Peak memory (max RSS) of `apply` resuming a finished journal of 1,000,000 and of 10,000,000
   rows: every row is skipped, so this is the cost of reading the input and the journal.
Run through bench/journal.sh.
"""
import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ENV = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
           AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
POOL = "us-east-1_bench"
MAXRSS = ("import resource, subprocess, sys; c = subprocess.run(sys.argv[1:]).returncode; "
          "print(c, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")


def children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def write_csv(path, rows):
    with open(path, "w") as f:
        f.write("username,custom:tier\n")
        for i in range(rows):
            f.write(f"u{i:08d},pro\n")


def run(bin_, url, path, extra):
    cpu0, t0 = children(), time.monotonic()
    # A fresh interpreter per run, so that its RUSAGE_CHILDREN max RSS is this run's alone.
    # The stub endpoint has no users to read: send blind (--current-state none).
    p = subprocess.run([sys.executable, "-c", MAXRSS, bin_, "--quiet", "--yes", "--endpoint-url", url, "apply", path,
                        "--user-pool-id", POOL, "--rps", "10000", "--concurrency", "32",
                        "--current-state", "none", "--no-read-before-write", *extra],
                       env=ENV, stderr=subprocess.PIPE, text=True)
    wall, cpu = time.monotonic() - t0, children() - cpu0
    code, max_rss_kb = map(int, p.stderr.strip().splitlines()[-1].split())
    return code, wall, cpu, max_rss_kb


def finished_journal(csv_path, rows):
    """Writes INPUT.journal as a finished run of `csv_path` would leave it."""
    sha = hashlib.sha256()
    with open(csv_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    header = {"kind": "cognito-bulk-journal", "version": 1, "input": csv_path,
              "input_sha256": sha.hexdigest(), "user_pool_id": POOL, "rows_total": rows,
              "options": {"format": "csv", "key_column": "username", "empty_cells": "ignore",
                          "client_metadata": {}},
              "created_unix": int(time.time())}
    with open(csv_path.rsplit(".", 1)[0] + ".journal", "w") as f:
        f.write(json.dumps(header, separators=(",", ":")) + "\n")
        t = time.time()
        for i in range(rows):
            f.write(f'{{"n":{i},"line":{i + 2},"user":"u{i:08d}","outcome":"updated","attempts":1,"throttled":0,"t":{t:.3f}}}\n')


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--proxy-bin", required=True)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--resume-rows", type=int, nargs="*", default=[1_000_000, 10_000_000])
    args = p.parse_args()
    work = tempfile.mkdtemp(dir=os.environ.get("BENCH_TMP"))
    proxy = subprocess.Popen([args.proxy_bin, "--upstream", "127.0.0.1:9", "--config", '{"stub": true}'],
                             stdout=subprocess.PIPE, text=True)
    url = "http://" + proxy.stdout.readline().split()[1]
    try:
        path = os.path.join(work, "j.csv")
        write_csv(path, args.rows)
        print(f"1. journal overhead: {args.rows} rows against a stub endpoint (--rps 10000, --concurrency 32)")
        results = {}
        for label, extra in [("without journal", ["--no-journal"]), ("with journal", ["--restart"])]:
            code, wall, cpu, _ = run(args.bin, url, path, extra)
            results[label] = (wall, cpu)
            print(f"   {label:16} {wall:7.2f} s wall  {cpu:7.2f} s CPU  ({args.rows / wall:,.0f} rows/s, exit {code})")
        (w0, c0), (w1, c1) = results["without journal"], results["with journal"]
        print(f"   ratio with/without: wall {w1 / w0:.3f}, CPU {c1 / c0:.3f}")

        print("2. peak memory resuming a finished journal (every row skipped)")
        base = None
        for rows in args.resume_rows:
            path = os.path.join(work, f"r{rows}.csv")
            write_csv(path, rows)
            finished_journal(path, rows)
            code, wall, cpu, rss = run(args.bin, url, path, [])
            base = base or (rows, rss)
            size = os.path.getsize(path.rsplit(".", 1)[0] + ".journal") / 1e6
            print(f"   {rows:>11,} rows (journal {size:,.0f} MB): max RSS {rss / 1024:7.1f} MiB, {wall:6.1f} s, exit {code}")
            os.remove(path.rsplit(".", 1)[0] + ".journal")
            os.remove(path)
        if len(args.resume_rows) > 1:
            print(f"   RSS ratio {args.resume_rows[-1] // base[0]}x rows: {rss / base[1]:.2f}")
    finally:
        proxy.terminate()


if __name__ == "__main__":
    main()
