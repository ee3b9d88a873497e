#!/usr/bin/env python3
"""Quota benchmark: how close cognito-bulk runs to a throttled quota, how it shares it with a
live client, and what it costs in client CPU next to a plain boto3 script.

Run through bench/quota.sh, which builds the binaries and installs moto. Everything runs on
loopback: a moto pool seeded in-process, the project's fault proxy in front of it with a token
bucket of Q calls per second on AdminUpdateUserAttributes.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(
    os.environ,
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
)


def free_port():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_moto(work, users):
    ready = os.path.join(work, "ready")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "scripts/moto_pool.py"), "--port", str(free_port()),
         "--pool", os.path.join(ROOT, "samples/pool.json"), "--extra-users", str(users),
         "--ready-file", ready],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
        if proc.poll() is not None:
            sys.exit("moto_pool.py failed")
        time.sleep(0.1)
    url, pool = open(ready).read().split()
    return proc, url, pool


def start_proxy(proxy_bin, upstream, quota):
    cfg = {"throttle": {"AdminUpdateUserAttributes": {"rps": quota, "burst": max(1.0, quota / 2)}}}
    proc = subprocess.Popen([proxy_bin, "--upstream", upstream, "--config", json.dumps(cfg)],
                            stdout=subprocess.PIPE, text=True)
    addr = proc.stdout.readline().split()[1]
    return proc, f"http://{addr}"


def write_input(work, name, first, count, value):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("username,custom:tier\n")
        for i in range(first, first + count):
            f.write(f"user{i:06d},{value}\n")
    return path


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_tool(bin_, url, pool, path, rps, concurrency):
    cpu0, t0 = children_cpu(), time.monotonic()
    # --current-state none: this measures sending; the pre-read is a phase of its own (plan bench).
    proc = subprocess.run([bin_, "--quiet", "--yes", "--endpoint-url", url, "apply", path, "--user-pool-id", pool,
                           "--rps", str(rps), "--concurrency", str(concurrency), "--current-state", "none", "--no-read-before-write"],
                          env=ENV)
    cpu, wall = children_cpu() - cpu0, time.monotonic() - t0
    report = json.load(open(path + ".report.json"))
    if proc.returncode != 0:
        print(f"  (tool exit code {proc.returncode})")
    return report, cpu, wall


class SteadyClient(threading.Thread):
    """Another application drawing on the same quota at a steady rate, without retries."""

    def __init__(self, url, pool, rps):
        super().__init__(daemon=True)
        self.client = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing",
                                   config=Config(retries={"mode": "standard", "max_attempts": 1}))
        self.pool, self.period = pool, 1.0 / rps
        self.ok = self.throttled = self.other = 0
        self.stop = threading.Event()

    def run(self):
        n, next_at = 0, time.monotonic()
        while not self.stop.is_set():
            user = f"user{4001 + n % 1000:06d}"
            n += 1
            try:
                self.client.admin_update_user_attributes(
                    UserPoolId=self.pool, Username=user,
                    UserAttributes=[{"Name": "custom:tier", "Value": f"live-{n}"}])
                self.ok += 1
            except self.client.exceptions.TooManyRequestsException:
                self.throttled += 1
            except Exception:
                self.other += 1
            next_at += self.period
            time.sleep(max(0.0, next_at - time.monotonic()))


def steady_state(report, skip=10):
    """Successes per second after the first `skip` seconds (the pacer's convergence)."""
    tl = report["timeline"][skip:-1] or report["timeline"]
    return sum(s["successes"] for s in tl) / max(1, len(tl)), sum(s["throttles"] for s in tl), sum(s["successes"] for s in tl)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--proxy-bin", required=True)
    p.add_argument("--quota", type=float, default=25.0)
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--rows", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args()
    q = args.quota
    work = tempfile.mkdtemp()
    moto, url, pool = start_moto(work, args.users)
    proxy, purl = start_proxy(args.proxy_bin, url.replace("http://", ""), q)
    try:
        print(f"quota Q = {q:g}/s, --rps {4 * q:g}, --concurrency {args.concurrency}, {args.rows} rows")

        report, _, _ = run_tool(args.bin, purl, pool, write_input(work, "a.csv", 1, args.rows, "a"), 4 * q, args.concurrency)
        goodput = report["updated"] / report["elapsed_seconds"]
        steady, st_thr, st_ok = steady_state(report)
        print("1. alone against the quota")
        print(f"   goodput / Q                 = {goodput / q:.3f}   (target >= 0.95; steady state after 10 s: {steady / q:.3f})")
        print(f"   throttled / successful      = {report['throttled'] / max(1, report['updated']):.3f}   (target <= 0.05; steady state: {st_thr / max(1, st_ok):.3f})")
        print(f"   updated {report['updated']}, failed {report['failed']}, throttled {report['throttled']}, {report['elapsed_seconds']:.1f} s")

        other = SteadyClient(purl, pool, 0.4 * q)
        other.start()
        time.sleep(3)
        report, _, _ = run_tool(args.bin, purl, pool, write_input(work, "b.csv", 1, args.rows, "b"), 4 * q, args.concurrency)
        other.stop.set()
        other.join()
        goodput = report["updated"] / report["elapsed_seconds"]
        free = 0.6 * q
        total_other = other.ok + other.throttled + other.other
        print(f"2. sharing the quota with a steady client at 0.4 Q = {0.4 * q:g}/s")
        print(f"   tool goodput / (0.6 Q)      = {goodput / free:.3f}   (target >= 0.90; steady state: {steady_state(report)[0] / free:.3f})")
        print(f"   tool throttled / successful = {report['throttled'] / max(1, report['updated']):.3f}")
        print(f"   other client's calls through = {other.ok / max(1, total_other):.3f}   (target >= 0.95; {other.ok} ok, {other.throttled} throttled, {other.other} other errors)")

        # CPU: both clients straight against moto (no quota), same rows, same concurrency.
        path = write_input(work, "c.csv", 1, args.rows, "c")
        _, tool_cpu, tool_wall = run_tool(args.bin, url, pool, path, 10000, 8)
        cpu0, t0 = children_cpu(), time.monotonic()
        out = subprocess.run([sys.executable, os.path.join(ROOT, "bench/boto3_baseline.py"), url, pool,
                              write_input(work, "d.csv", 1, args.rows, "d"), "8"], capture_output=True, text=True)
        boto_cpu, boto_wall = children_cpu() - cpu0, time.monotonic() - t0
        per_k = lambda cpu: cpu / args.rows * 1000
        print("3. client CPU per 1,000 updates (no quota, concurrency 8, straight to moto)")
        print(f"   cognito-bulk {per_k(tool_cpu):.3f} s ({tool_wall:.1f} s wall), boto3 {per_k(boto_cpu):.3f} s ({boto_wall:.1f} s wall; {out.stdout.strip()} ok)")
        print(f"   ratio cognito-bulk / boto3  = {tool_cpu / boto_cpu:.3f}")
    finally:
        proxy.terminate()
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
