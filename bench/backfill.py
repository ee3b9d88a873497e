#!/usr/bin/env python3
"""Backfill benchmark (issue 11):
1. Template cost per user: the issue's rule (`--set` from the email domain, `--where` untagged)
   evaluated in-process over N synthetic users (examples/template_cost.rs), next to the client
   CPU per row of sending (apply of N rows to the fault proxy in stub mode, blind).
   Target: template / sending under 5%.
2. `plan --set ... --where ...` with the pool as input, against a moto pool of --users users
   (emails of 7 domains): wall time and max RSS, once with a rule every user matches and once
   with one nobody matches (what the pool alone costs in memory).
Run through bench/backfill.sh.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from journal import ENV, MAXRSS, POOL, children, write_csv  # noqa: E402
from quota import ROOT, free_port  # noqa: E402

RULE = "custom:signup_source={{ email | split(\"@\") | last | lower }}"
WHERE = "attrs[\"custom:signup_source\"] is not defined and email is defined"


def template_cost(example, users):
    out = subprocess.run([example, str(users)], capture_output=True, text=True, check=True)
    n, seconds = out.stdout.split()
    return float(seconds) / int(n)


def send_cost(bin_, proxy_bin, rows, work):
    proxy = subprocess.Popen([proxy_bin, "--upstream", "127.0.0.1:9", "--config", '{"stub": true}'],
                             stdout=subprocess.PIPE, text=True)
    try:
        url = "http://" + proxy.stdout.readline().split()[1]
        path = os.path.join(work, "send.csv")
        write_csv(path, rows)
        cpu0 = children()
        subprocess.run([bin_, "--quiet", "--yes", "--endpoint-url", url, "apply", path, "--user-pool-id", POOL,
                        "--rps", "10000", "--concurrency", "32", "--current-state", "none", "--no-journal", "--no-read-before-write"],
                       env=ENV, check=False)
        return (children() - cpu0) / rows
    finally:
        proxy.terminate()
        proxy.wait()


def start_moto(work, users):
    ready = os.path.join(work, "ready")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "scripts/moto_pool.py"), "--port", str(free_port()),
         "--pool", os.path.join(ROOT, "samples/pool.json"), "--extra-users", str(users), "--extra-emails",
         "--ready-file", ready],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
        if proc.poll() is not None:
            sys.exit("moto_pool.py failed")
        time.sleep(0.1)
    url, pool = open(ready).read().split()
    return proc, url, pool


def plan(bin_, url, pool, where, work):
    out_path = os.path.join(work, "b.plan")
    cpu0, t0 = children(), time.monotonic()
    out = subprocess.run([sys.executable, "-c", MAXRSS, bin_, "--endpoint-url", url, "plan", "--user-pool-id", pool,
                          "--set", RULE, "--where", where, "--show", "0", "--out", out_path],
                         env=ENV, capture_output=True, text=True, cwd=work)
    wall, cpu = time.monotonic() - t0, children() - cpu0
    code, rss = map(int, out.stderr.strip().splitlines()[-1].split())
    summary = next((l for l in out.stdout.splitlines() if l.startswith("Plan:")), out.stdout[-300:] + out.stderr[-300:])
    return summary, wall, cpu, rss, code


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--proxy-bin", required=True)
    p.add_argument("--template-bin", required=True)
    p.add_argument("--rows", type=int, default=20_000, help="rows for the cost comparison")
    p.add_argument("--users", type=int, default=100_000, help="pool size for the plan")
    args = p.parse_args()
    args.bin = os.path.abspath(args.bin)
    work = tempfile.mkdtemp()

    t = template_cost(args.template_bin, args.rows)
    s = send_cost(args.bin, args.proxy_bin, args.rows, work)
    print(f"1. per user: template {t * 1e6:.1f} us, sending {s * 1e6:.1f} us client CPU "
          f"({args.rows:,} rows to a stub endpoint); template / sending = {t / s:.3f} (target < 0.05)")

    if args.users == 0:
        return
    t0 = time.monotonic()
    moto, url, pool = start_moto(work, args.users)
    print(f"seeded a pool of {args.users:,} users in {time.monotonic() - t0:.0f} s")
    try:
        for label, where in [("every user matches", WHERE), ("no user matches", "false")]:
            summary, wall, cpu, rss, code = plan(args.bin, url, pool, where, work)
            print(f"2. plan from the pool, {label}: {summary}")
            print(f"   {wall:.1f} s wall, {cpu:.1f} s CPU, max RSS {rss / 1024:.1f} MiB, exit {code}")
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
