#!/usr/bin/env python3
"""Validation benchmark: 10,000 generated connection files, validated side by
side with `provision validate`, ajv-cli 5 (--spec=draft2020) and
check-jsonschema, all against the committed schema/connection.schema.json.

Prints per-tool median wall time, peak RSS and the ratio to provision.
Usage: benches/validate.py [--files N] [--runs N] [--provision PATH]
Installs ajv-cli into target/bench-tools and check-jsonschema with pip when
missing. Not a test: numbers depend on the machine; compare within one run.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "schema", "connection.schema.json")
TOOLS = os.path.join(ROOT, "target", "bench-tools")

AZURE_BASIC = """# yaml-language-server: $schema=../schema/connection.schema.json
name: orders-{i}
description: Orders replica {i}
sandbox: {sandbox}
cloud: azure
auth:
  type: basic
  server: orders-{i}.pg.example.com
  port: 5432
  database: orders
  username: aep_reader
  password: ${{ORDERS_DB_PASSWORD}}
  sslMode: Verify Full
"""
AZURE_CS = """name: billing-{i}
sandbox: {sandbox}
cloud: azure
auth:
  type: connectionString
  connectionString: Server=billing-{i}.pg.example.com;Database=billing;Port=5432;UID=aep;Password=${{BILLING_DB_PASSWORD}};EncryptionMethod=1;ValidateServerCertificate=1
"""
AWS_BASIC = """name: events-{i}
sandbox: {sandbox}
cloud: aws
auth:
  type: basic
  server: events-{i}.pg.example.com
  port: 5432
  database: events
  username: aep
  password: ${{EVENTS_DB_PASSWORD}}
  sslMode: true
"""


def generate(folder, count):
    forms = [AZURE_BASIC, AZURE_CS, AWS_BASIC]
    for i in range(count):
        sandbox = ["prod", "dev", "stage"][i % 3]
        sub = os.path.join(folder, sandbox)
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"conn-{i:05}.yaml"), "w") as f:
            f.write(forms[(i // 3) % 3].format(i=i, sandbox=sandbox))


def ensure_tools():
    ajv = os.path.join(TOOLS, "node_modules", ".bin", "ajv")
    if not os.path.exists(ajv):
        os.makedirs(TOOLS, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", TOOLS, "ajv-cli@5"], check=True)
    cjs = shutil.which("check-jsonschema")
    if cjs is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "check-jsonschema"], check=True)
        cjs = shutil.which("check-jsonschema") or "check-jsonschema"
    return ajv, cjs


def run(cmd, expect_ok=True):
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if expect_ok and code != 0:
        sys.exit(f"{cmd[0]} failed with exit {code}:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of check-jsonschema")
    parser.add_argument("--provision", default=os.path.join(ROOT, "target", "release", "provision"))
    args = parser.parse_args()

    if not os.path.exists(args.provision):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    ajv, cjs = ensure_tools()
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "connections")
        generate(folder, args.files)
        files = sorted(
            os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.endswith(".yaml")
        )
        tools = [
            ("provision validate", [args.provision, "validate", "--config", os.devnull, folder], args.runs),
            ("ajv-cli 5", [ajv, "validate", "--spec=draft2020", "-s", SCHEMA, "-d", folder + "/*/*.yaml"], args.runs),
            ("check-jsonschema", [cjs, "--schemafile", SCHEMA, *files], args.slow_runs),
        ]
        results = []
        for name, cmd, runs in tools:
            run(cmd)  # warm the page cache and the tool's own caches
            samples = [run(cmd) for _ in range(runs)]
            wall = statistics.median(s[0] for s in samples)
            rss = max(s[1] for s in samples)
            results.append((name, wall, rss, runs))
    base = results[0][1]
    print(f"{args.files} files, {os.cpu_count()} cores, median of N runs after one warm-up")
    print(f"{'tool':<20} {'runs':>4} {'median':>10} {'peak RSS':>10} {'vs provision':>13}")
    for name, wall, rss, runs in results:
        print(f"{name:<20} {runs:>4} {wall:>9.3f}s {rss:>8.1f}MiB {wall / base:>12.1f}x")


if __name__ == "__main__":
    main()
