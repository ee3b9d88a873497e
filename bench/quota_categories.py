#!/usr/bin/env python3
"""Two quota categories paced together (issue 19): UserUpdate (AdminUpdateUserAttributes) and
UserRead (AdminGetUser, the read just before each update), each against its own quota.

The project's fault proxy runs in stub mode (it answers every call itself) with one token
bucket per quota category, as Cognito meters them: UserUpdate at Qw calls a second, UserRead at
Qr (bursts of half a second). The tool runs `apply --current-state none`, which reads each user
just before its update. A share of the input's users (1 - Qw/Qr) does not exist (`absent-*`:
the stub answers UserNotFoundException), so those rows cost a read and no write: the calls come
in the ratio Qr:Qw, and both categories can be full at once. From the run's report, per
category:

  goodput / Q      successful calls of the category / wall seconds of the run, over its Q
                   (target >= 0.95)
  throttled / ok   throttled calls / successful calls of the category   (target <= 0.05)

measured in one run, with --rps and --read-rps at `--rps-factor` x their quota (1: the quotas
are known; above 1: each pacer has to find its quota from the throttles).

Run through bench/quota_categories.sh, which builds the binaries.
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


def start_proxy(proxy_bin, buckets):
    cfg = {"stub": True, "category_throttle": buckets}
    proc = subprocess.Popen([proxy_bin, "--upstream", "127.0.0.1:9", "--config", json.dumps(cfg)],
                            stdout=subprocess.PIPE, text=True)
    return proc, "http://" + proc.stdout.readline().split()[1]


def write_csv(path, rows, absent_share, value):
    """Rows whose users exist and rows whose users do not, evenly interleaved."""
    with open(path, "w") as f:
        f.write("username,custom:tier\n")
        gone = 0.0
        for i in range(rows):
            gone += absent_share
            if gone >= 1.0:
                gone -= 1.0
                f.write(f"absent-{i:08d},{value}\n")
            else:
                f.write(f"u{i:08d},{value}\n")


def run_tool(bin_, url, path, rps, read_rps, concurrency, extra):
    p = subprocess.run([bin_, "--quiet", "--yes", "--endpoint-url", url, "apply", path,
                        "--user-pool-id", POOL, "--rps", str(rps), "--read-rps", str(read_rps),
                        "--concurrency", str(concurrency), "--current-state", "none",
                        "--max-failure-rate", "100", *extra],
                       env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode, json.load(open(path + ".report.json"))


def proxy_stats(url):
    with urllib.request.urlopen(url + "/__proxy/stats") as r:
        return json.load(r)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--proxy-bin", required=True)
    p.add_argument("--update-quota", type=float, default=50, help="Qw: UserUpdate calls a second")
    p.add_argument("--read-quota", type=float, default=100, help="Qr: UserRead calls a second")
    p.add_argument("--seconds", type=float, default=60, help="rows: this many seconds of reads at Qr")
    p.add_argument("--rps-factors", type=float, nargs="*", default=[1.0, 1.5],
                   help="--rps = factor x Qw and --read-rps = factor x Qr, one run each")
    p.add_argument("--runs", type=int, default=1, help="runs per factor")
    p.add_argument("--burst-factor", type=float, default=0.5, help="bucket burst = this x Q")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("extra", nargs="*", help="more flags for apply (after --)")
    args = p.parse_args()
    qw, qr = args.update_quota, args.read_quota
    if qw > qr:
        p.error("every row reads: the update quota cannot be above the read quota here")
    work = tempfile.mkdtemp(dir=os.environ.get("BENCH_TMP"))
    rows = int(args.seconds * qr)
    print(f"UserUpdate Q={qw:g}/s, UserRead Q={qr:g}/s (buckets of burst {args.burst_factor:g} Q), "
          f"{rows} rows ({1 - qw / qr:.0%} of users absent), --concurrency {args.concurrency}, "
          f"stub proxy")
    print(f"{'factor':>6} {'run':>3}  {'category':<10} {'goodput/Q':>9} {'thr/ok':>7} "
          f"{'ok':>6} {'thr':>5} {'proxy thr':>9} {'wall s':>7}")
    for factor in args.rps_factors:
        for run in range(1, args.runs + 1):
            buckets = {name: {"rps": q, "burst": max(1.0, args.burst_factor * q)}
                       for name, q in (("UserUpdate", qw), ("UserRead", qr))}
            proxy, url = start_proxy(args.proxy_bin, buckets)
            try:
                path = os.path.join(work, f"f{factor:g}-{run}.csv")
                write_csv(path, rows, 1 - qw / qr, f"r{run}")
                code, report = run_tool(args.bin, url, path, factor * qw, factor * qr,
                                        args.concurrency, args.extra)
                stats = proxy_stats(url)
            finally:
                proxy.terminate()
                proxy.wait()
            wall = report["elapsed_seconds"]
            by = {c["category"]: c for c in report["categories"]}
            for name, q in (("UserUpdate", qw), ("UserRead", qr)):
                c = by.get(name, {"successes": 0, "throttles": 0})
                ok, thr = c["successes"], c["throttles"]
                seen = stats.get("throttled_by_category", {}).get(name, 0)
                print(f"{factor:6g} {run:3}  {name:<10} {ok / wall / q:9.3f} {thr / max(1, ok):7.3f} "
                      f"{ok:6} {thr:5} {seen:9} {wall:7.1f}", flush=True)
            if report["stopped"]:
                print(f"      (stopped: {report['stopped']}; exit {code})")


if __name__ == "__main__":
    main()
