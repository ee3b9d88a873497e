#!/usr/bin/env python3
"""Bought-quota benchmark (issue 20): how close cognito-bulk runs to a raised UserUpdate quota.

For each quota Q, the project's fault proxy runs in stub mode (it answers every call itself, no
upstream: moto tops out near 300 updates a second on 2 cores) with a token bucket of Q calls a
second (burst Q/2) on AdminUpdateUserAttributes, answered as Cognito answers a throttle. The tool
runs `apply --rps Q` (the bought ceiling) over `--seconds` x Q rows and the script prints, from
that one run's report:

  goodput / Q      updated rows / wall seconds of the run, over Q   (target >= 0.97)
  throttled / ok   throttled calls / updated rows                   (target <= 0.02)

and, to see where the loss is, the seconds until the run first held 0.95 Q, the goodput after
the first 10 s, and the calls lost against a run at Q from its first second.

Run through bench/quota_bought.sh, which builds the binaries.
"""
import argparse
import json
import os
import subprocess
import tempfile
import urllib.request

ENV = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
           AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
POOL = "us-east-1_bench"


def start_proxy(proxy_bin, quota, burst):
    cfg = {"stub": True,
           "throttle": {"AdminUpdateUserAttributes": {"rps": quota, "burst": burst}}}
    proc = subprocess.Popen([proxy_bin, "--upstream", "127.0.0.1:9", "--config", json.dumps(cfg)],
                            stdout=subprocess.PIPE, text=True)
    return proc, "http://" + proc.stdout.readline().split()[1]


def write_csv(path, rows, value):
    with open(path, "w") as f:
        f.write("username,custom:tier\n")
        for i in range(rows):
            f.write(f"u{i:08d},{value}\n")


def run_tool(bin_, url, path, rps, concurrency, extra):
    # --current-state none: the stub has no users to read; this measures sending alone.
    p = subprocess.run([bin_, "--quiet", "--yes", "--endpoint-url", url, "apply", path,
                        "--user-pool-id", POOL, "--rps", str(rps), "--concurrency", str(concurrency),
                        "--current-state", "none", "--no-read-before-write", *extra], env=ENV)
    report = json.load(open(path + ".report.json"))
    return p.returncode, report


def proxy_stats(url):
    with urllib.request.urlopen(url + "/__proxy/stats") as r:
        return json.load(r)


def figures(report, q):
    tl = report["timeline"]
    ok, thr, wall = report["updated"], report["throttled"], report["elapsed_seconds"]
    reach = next((s["t"] for s in tl if s["successes"] >= 0.95 * q), None)
    steady = tl[10:-1]
    steady_ok = sum(s["successes"] for s in steady) / max(1, len(steady))
    return {"goodput": ok / wall / q, "throttled": thr / max(1, ok), "wall": wall, "ok": ok,
            "thr": thr, "failed": report["failed"], "reach": reach, "steady": steady_ok / q,
            "lost": q * wall - ok}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--proxy-bin", required=True)
    p.add_argument("--quotas", type=float, nargs="*", default=[100, 200, 500])
    p.add_argument("--seconds", type=float, default=60, help="rows per run: this many seconds at Q")
    p.add_argument("--runs", type=int, default=2, help="runs per quota")
    p.add_argument("--rps-factor", type=float, default=1.0, help="--rps = this x Q")
    p.add_argument("--burst-factor", type=float, default=0.5, help="bucket burst = this x Q")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--timeline", action="store_true", help="print each run's per-second timeline")
    p.add_argument("extra", nargs="*", help="more flags for apply (after --)")
    args = p.parse_args()
    work = tempfile.mkdtemp(dir=os.environ.get("BENCH_TMP"))
    print(f"--rps {args.rps_factor:g} Q, bucket Q (burst {args.burst_factor:g} Q), "
          f"--concurrency {args.concurrency}, {args.seconds:g} s of rows at Q, stub proxy")
    print(f"{'Q':>5} {'run':>3}  {'goodput/Q':>9} {'thr/ok':>7}  {'updated':>7} {'thr':>5} "
          f"{'wall s':>7} {'0.95Q at':>8} {'after 10s':>9} {'lost calls':>10}")
    for q in args.quotas:
        for run in range(1, args.runs + 1):
            proxy, url = start_proxy(args.proxy_bin, q, max(1.0, args.burst_factor * q))
            try:
                path = os.path.join(work, f"q{q:g}-{run}.csv")
                write_csv(path, int(args.seconds * q), f"r{run}")
                code, report = run_tool(args.bin, url, path, args.rps_factor * q, args.concurrency,
                                        args.extra)
                f = figures(report, q)
                seen = proxy_stats(url)["received"].get("AdminUpdateUserAttributes", 0)
            finally:
                proxy.terminate()
                proxy.wait()
            note = "" if code == 0 and f["failed"] == 0 else f"  (exit {code}, failed {f['failed']})"
            print(f"{q:5g} {run:3}  {f['goodput']:9.3f} {f['throttled']:7.3f}  {f['ok']:7} {f['thr']:5} "
                  f"{f['wall']:7.1f} {str(f['reach']) + ' s':>8} {f['steady']:9.3f} {f['lost']:10.0f}"
                  f"{note}", flush=True)
            if seen != f["ok"] + f["thr"]:
                print(f"      (the proxy saw {seen} calls)")
            if args.timeline:
                print("      t: successes/throttles/rate_limit")
                for s in report["timeline"]:
                    print(f"      {s['t']:3}: {s['successes']:4} {s['throttles']:3} {s['rate_limit']:7.1f}")


if __name__ == "__main__":
    main()
