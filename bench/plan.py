#!/usr/bin/env python3
"""Plan and export benchmark, against an N-user moto pool (no quota in front):
1. `plan` of N rows (ListUsers pre-read, schema check, diff, plan file): rows per second and
   peak memory (max RSS). Half the rows change custom:tier, half keep the value they have.
2. `export` of the whole pool to CSV: users per second and peak memory.
Run through bench/plan.sh.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quota import ENV, start_moto  # noqa: E402

MAXRSS = ("import resource, subprocess, sys; c = subprocess.run(sys.argv[1:]).returncode; "
          "print(c, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--rows", type=int, default=100_000)
    args = p.parse_args()
    work = tempfile.mkdtemp()
    t0 = time.monotonic()
    moto, url, pool = start_moto(work, args.rows)
    print(f"seeded a pool of {args.rows:,} users in {time.monotonic() - t0:.0f} s")
    path = os.path.join(work, "p.csv")
    with open(path, "w") as f:
        f.write("username,custom:tier\n")
        for i in range(1, args.rows + 1):
            f.write(f"user{i:06d},{'pro' if i % 2 else 'free'}\n")
    try:
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-c", MAXRSS, args.bin, "--endpoint-url", url, "plan", path,
                              "--user-pool-id", pool, "--current-state", "list", "--show", "0"],
                             env=ENV, capture_output=True, text=True)
        wall = time.monotonic() - t0
        code, rss = map(int, out.stderr.strip().splitlines()[-1].split())
        summary = next((l for l in out.stdout.splitlines() if l.startswith("Plan:")), out.stdout[-500:])
        print(f"plan of {args.rows:,} rows against {args.rows:,} users (--current-state list):")
        print(f"   {summary}")
        print(f"   {wall:.1f} s, {args.rows / wall:,.0f} rows/s, max RSS {rss / 1024:.1f} MiB, exit {code}")
        print(f"   ListUsers pages: {args.rows // 60 + 1} at <= 20/s (UserList quota 30/s) is the floor: "
              f"{(args.rows // 60 + 1) / 20:.0f} s")
        out_path = os.path.join(work, "export.csv")
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-c", MAXRSS, args.bin, "--quiet", "--endpoint-url", url, "export",
                              "--user-pool-id", pool, "--output", out_path], env=ENV, capture_output=True, text=True)
        wall = time.monotonic() - t0
        code, rss = map(int, out.stderr.strip().splitlines()[-1].split())
        with open(out_path) as f:
            lines = sum(1 for _ in f) - 1
        print(f"export of the pool ({lines:,} users) to CSV:")
        print(f"   {wall:.1f} s, {lines / wall:,.0f} users/s, max RSS {rss / 1024:.1f} MiB, exit {code}")
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
