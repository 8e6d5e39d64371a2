#!/usr/bin/env python3
"""Plan and apply benchmark against the emulator (a separate process on
127.0.0.1), with the release binary.

- plan: 10,000 connections with a 10,000-entry state (median of N runs);
- apply: 1,000 creates at 50 ms emulator latency and --parallelism 16,
  against the ideal ceil(1000/16) x 50 ms (median of N runs, each on a fresh
  emulator and state).

Usage: benches/apply.py [--runs N] [--plan-files N] [--apply-files N]
Not a test: compare the ratio, not absolute seconds, on a shared machine.
"""

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "provision")

SETTINGS = """orgs:
  azure: { imsOrg: "BENCHAZURE@AdobeOrg" }
  aws: { imsOrg: "BENCHAWS@AdobeOrg" }
credentials:
  clientId: ${AEP_CLIENT_ID}
  clientSecret: ${AEP_CLIENT_SECRET}
"""

CONNECTION = """name: db-{i:05}
description: benchmark connection {i}
sandbox: {sandbox}
cloud: {cloud}
auth:
  type: basic
  server: db{i}.example.com
  port: 5432
  database: app
  username: aep
  password: ${{DB_PASSWORD}}
  sslMode: {ssl}
"""


def project(folder, count):
    os.makedirs(os.path.join(folder, "connections"), exist_ok=True)
    with open(os.path.join(folder, "provision.yaml"), "w") as f:
        f.write(SETTINGS)
    for i in range(count):
        cloud, ssl = ("azure", "Verify Full") if i % 2 == 0 else ("aws", "true")
        sandbox = ["prod", "dev", "stage", "qa"][i % 4]
        with open(os.path.join(folder, "connections", f"c{i:05}.yaml"), "w") as f:
            f.write(CONNECTION.format(i=i, cloud=cloud, sandbox=sandbox, ssl=ssl))


class Emulator:
    """The release binary's emulator on 127.0.0.1, with `extra` arguments."""

    def __init__(self, latency_ms, *extra):
        self.proc = subprocess.Popen(
            [BIN, "emulator", "--port", "0", "--latency-ms", str(latency_ms), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.url = self.proc.stdout.readline().strip()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def env():
    e = dict(os.environ)
    e.update({"AEP_CLIENT_ID": "provision-local", "AEP_CLIENT_SECRET": "provision-local-secret",
              "DB_PASSWORD": "bench-password", "NO_COLOR": "1"})
    return e


def timed(cmd, cwd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plan-files", type=int, default=10_000)
    parser.add_argument("--apply-files", type=int, default=1_000)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)

    with tempfile.TemporaryDirectory() as tmp:
        # plan over N connections with an N-entry state
        plan_dir = os.path.join(tmp, "plan")
        project(plan_dir, args.plan_files)
        emulator = Emulator(0)
        try:
            endpoint = ["--endpoint", emulator.url, "--ims", emulator.url]
            setup = timed([BIN, "apply", "--parallelism", "32", *endpoint], plan_dir)
            plans = [timed([BIN, "plan", "--detailed-exitcode", *endpoint], plan_dir) for _ in range(args.runs + 2)]
        finally:
            emulator.stop()
        plan_median = statistics.median(plans)

        # apply of N creates at the given latency
        apply_dir = os.path.join(tmp, "apply")
        project(apply_dir, args.apply_files)
        applies = []
        for _ in range(args.runs):
            shutil.rmtree(os.path.join(apply_dir, ".provision"), ignore_errors=True)
            emulator = Emulator(args.latency_ms)
            try:
                endpoint = ["--endpoint", emulator.url, "--ims", emulator.url]
                applies.append(timed([BIN, "apply", "--parallelism", str(args.parallelism), *endpoint], apply_dir))
            finally:
                emulator.stop()
        apply_median = statistics.median(applies)
        ideal = math.ceil(args.apply_files / args.parallelism) * args.latency_ms / 1000

    print(f"{os.cpu_count()} cores; medians")
    print(f"plan   {args.plan_files} connections, {args.plan_files}-entry state: {plan_median:.3f}s "
          f"(runs: {', '.join(f'{p:.3f}' for p in plans)}; setup apply {setup:.1f}s)")
    print(f"apply  {args.apply_files} creates, {args.latency_ms} ms latency, parallelism {args.parallelism}: "
          f"{apply_median:.3f}s vs ideal {ideal:.3f}s = {apply_median / ideal:.2f}x "
          f"(runs: {', '.join(f'{a:.3f}' for a in applies)})")


if __name__ == "__main__":
    main()
