#!/usr/bin/env python3
"""State write and refresh benchmark: how apply's and plan --refresh's cost
grows with the number of connections, with the release binary against
`provision emulator` (a separate process on 127.0.0.1) at zero latency.

For each size (default 1,000, 5,000 and 20,000):
- apply: N creates at --parallelism 16 into a fresh file state, and into a
  fresh namespace of a throwaway PostgreSQL server (started here with
  initdb/pg_ctl, fsync off like the tests' servers);
- plan --refresh over the N connections just applied (file state), and plain
  plan beside it: what reading the platform adds to loading and validating
  the N files and the state.
Each figure is the median of --runs runs, with the 1-minute load average
before and after each size. Not a test: the machine is noisy; read the
growth from 1,000 to 20,000, not the absolute seconds.

Usage: benches/state.py [--runs N] [--sizes 1000,5000,20000] [--no-postgres]
"""

import argparse
import glob
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apply import BIN, ROOT, Emulator, project, timed  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway server: trust authentication on 127.0.0.1."""

    def __init__(self, root):
        found = shutil.which("initdb")
        bindir = os.path.dirname(found) if found else None
        if bindir is None:
            candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
            bindir = os.path.dirname(candidates[-1]) if candidates else None
        if bindir is None:
            raise RuntimeError("no initdb on PATH or in /usr/lib/postgresql/*/bin")
        self.bindir, self.root = bindir, root
        self.data = os.path.join(root, "data")
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(root, "postgres", "postgres")
        self.port = free_port()
        self.run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{root}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        self.run("pg_ctl", "-D", self.data, "-w", "-l", os.path.join(root, "log"), "start")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, tool, *args):
        cmd = [os.path.join(self.bindir, tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root)

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "immediate", "stop")


def apply_once(folder, state_args, parallelism):
    emulator = Emulator(0)
    try:
        endpoint = ["--endpoint", emulator.url, "--ims", emulator.url]
        return timed([BIN, "apply", "--parallelism", str(parallelism), *state_args, *endpoint], folder), emulator
    except BaseException:
        emulator.stop()
        raise


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        pg = None
        if not args.no_postgres:
            pg_root = os.path.join(tmp, "pg")
            os.makedirs(pg_root)
            pg = Postgres(pg_root)
        try:
            for size in sizes:
                folder = os.path.join(tmp, f"p{size}")
                project(folder, size)
                file_runs, pg_runs, refresh_runs, plan_runs = [], [], [], []
                load_before = os.getloadavg()[0]
                for run in range(args.runs):
                    shutil.rmtree(os.path.join(folder, ".provision"), ignore_errors=True)
                    seconds, emulator = apply_once(folder, [], args.parallelism)
                    file_runs.append(seconds)
                    try:
                        endpoint = ["--endpoint", emulator.url, "--ims", emulator.url]
                        refresh_runs.append(timed([BIN, "plan", "--refresh", *endpoint], folder))
                        plan_runs.append(timed([BIN, "plan", *endpoint], folder))
                    finally:
                        emulator.stop()
                    if pg is not None:
                        state = ["--state-url", pg.url, "--state-namespace", f"bench-{size}-{run}"]
                        seconds, emulator = apply_once(folder, state, args.parallelism)
                        emulator.stop()
                        pg_runs.append(seconds)
                load = f"{load_before:.1f} / {os.getloadavg()[0]:.1f}"
                rows.append((size, file_runs, pg_runs, refresh_runs, plan_runs, load))
                median = lambda xs: f"{statistics.median(xs):.2f}s" if xs else "-"  # noqa: E731
                print(f"{size:>6} connections: apply file {median(file_runs)}, apply postgres "
                      f"{median(pg_runs)}, plan --refresh {median(refresh_runs)} (plan {median(plan_runs)}), "
                      f"load {load}", flush=True)
        finally:
            if pg is not None:
                pg.stop()

    print(f"\n{os.cpu_count()} cores; medians of {args.runs}; zero latency, parallelism {args.parallelism}")
    print("| connections | apply, file state | apply, PostgreSQL state | plan --refresh | plan | load before / after |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size, file_runs, pg_runs, refresh_runs, plan_runs, load in rows:
        runs = (file_runs, pg_runs, refresh_runs, plan_runs)
        cells = [f"{statistics.median(xs):.2f} s" if xs else "-" for xs in runs]
        print(f"| {size:,} | {' | '.join(cells)} | {load} |")


if __name__ == "__main__":
    main()
