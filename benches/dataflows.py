#!/usr/bin/env python3
"""Dataflow benchmark against the emulator (a separate process on
127.0.0.1), with the release binary.

- apply: N dataflows (default 200), each over its own base connection
  created in the same run, at a fixed emulator latency (default 50 ms) and
  --parallelism (default 16), against the ideal ceil(creates / p) x latency,
  where creates = N base connections + 4 N objects (source connection,
  target connection, mapping set, flow). Median of --runs runs, each on a
  fresh emulator and state.
- plan: M dataflows (default 2,000) applied at zero latency, then `plan`
  and `plan --refresh` against the emulator holding them (medians).

Usage: benches/dataflows.py [--runs N] [--apply-flows N] [--plan-flows M]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apply  # noqa: E402
from apply import BIN, ROOT, SETTINGS, timed  # noqa: E402

FIXTURES = """datasets:
  - name: Orders
    schema: https://ns.adobe.com/bench/schemas/orders
explore:
  tables:
    - path: public.orders
      columns:
        - { name: order_id, type: integer }
        - { name: customer_name, type: text }
        - { name: updated_at, type: timestamp with time zone }
"""

CHAIN = """name: db-{i:05}
sandbox: prod
cloud: azure
auth:
  type: basic
  server: db{i}.example.com
  port: 5432
  database: app
  username: aep
  password: ${{DB_PASSWORD}}
  sslMode: Verify Full
---
kind: dataflow
name: flow-{i:05}
sandbox: prod
cloud: azure
source:
  connection: db-{i:05}
  table: public.orders
  columns: [order_id, customer_name, updated_at]
target:
  dataset: {{ name: Orders }}
mapping:
  - {{ source: order_id, destination: _id }}
  - {{ source: customer_name, destination: person.name.fullName }}
delta: {{ column: updated_at }}
schedule:
  frequency: hour
  interval: 1
  start: 2030-01-01T00:00:00Z
"""


def project(folder, count):
    os.makedirs(os.path.join(folder, "connections"), exist_ok=True)
    with open(os.path.join(folder, "provision.yaml"), "w") as f:
        f.write(SETTINGS)
    for i in range(count):
        with open(os.path.join(folder, "connections", f"f{i:05}.yaml"), "w") as f:
            f.write(CHAIN.format(i=i))


def emulator_with(latency_ms, fixtures):
    """apply.py's emulator, serving the fixtures' datasets and tables."""
    return apply.Emulator(latency_ms, "--fixtures", fixtures)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--apply-flows", type=int, default=200)
    parser.add_argument("--plan-flows", type=int, default=2_000)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)

    with tempfile.TemporaryDirectory() as tmp:
        fixtures = os.path.join(tmp, "emulator.yaml")
        with open(fixtures, "w") as f:
            f.write(FIXTURES)

        apply_dir = os.path.join(tmp, "apply")
        project(apply_dir, args.apply_flows)
        applies = []
        for _ in range(args.runs):
            shutil.rmtree(os.path.join(apply_dir, ".provision"), ignore_errors=True)
            emulator = emulator_with(args.latency_ms, fixtures)
            try:
                endpoint = ["--endpoint", emulator.url, "--ims", emulator.url]
                applies.append(timed([BIN, "apply", "--parallelism", str(args.parallelism), *endpoint], apply_dir))
            finally:
                emulator.stop()
        creates = args.apply_flows * 5
        ideal = math.ceil(creates / args.parallelism) * args.latency_ms / 1000
        apply_median = statistics.median(applies)

        plan_dir = os.path.join(tmp, "plan")
        project(plan_dir, args.plan_flows)
        emulator = emulator_with(0, fixtures)
        try:
            endpoint = ["--endpoint", emulator.url, "--ims", emulator.url]
            setup = timed([BIN, "apply", "--parallelism", "32", *endpoint], plan_dir)
            plans = [timed([BIN, "plan", "--detailed-exitcode", *endpoint], plan_dir) for _ in range(args.runs)]
            refreshes = [timed([BIN, "plan", "--refresh", "--detailed-exitcode", *endpoint], plan_dir)
                         for _ in range(args.runs)]
        finally:
            emulator.stop()

    print(f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}; medians")
    print(f"apply  {args.apply_flows} dataflows + their base connections ({creates} creates), "
          f"{args.latency_ms} ms latency, parallelism {args.parallelism}: {apply_median:.3f}s vs ideal "
          f"{ideal:.3f}s = {apply_median / ideal:.2f}x (runs: {', '.join(f'{a:.3f}' for a in applies)})")
    print(f"plan   {args.plan_flows} dataflows + connections held by the emulator: "
          f"{statistics.median(plans):.3f}s; plan --refresh {statistics.median(refreshes):.3f}s "
          f"(setup apply {setup:.1f}s)")


if __name__ == "__main__":
    main()
