#!/usr/bin/env python3
"""Executions per second of `gilvm explore` on one core (issue 19), next to the goal.

Runs the release binary with --jobs 1 on bench/explore_two_threads.toy (two threads of ten
steps each) with each strategy, and on bench/explore_pass.toy (an empty program: the cost of a
fresh VM and of reading its outcome), best of REPEAT runs each. Prints executions per second
and the ratio to the goal of 100,000 per second per core (Shuttle manages about 25,000 random
schedules per second on this machine).

Usage: python3 bench/explore_speed.py [REPEAT]     GILVM=path uses that binary.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

GOAL = 100_000


def binary():
    if os.environ.get("GILVM"):
        return os.environ["GILVM"]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=common.REPO, check=True)
    return os.path.join(common.target_dir(), "release", "gilvm")


def rate(gilvm, program, args, repeat):
    best = None
    executions = 0
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(
            [gilvm, "explore", program, "--jobs", "1", "--json"] + args,
            cwd=common.REPO,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        report = json.loads(out.stdout)
        executions = report["executions"] + report["pruned"]
        best = wall if best is None else min(best, wall)
    return executions, best


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    gilvm = binary()
    two = "bench/explore_two_threads.toy"
    cases = [
        ("random, two threads × 10 steps", two, ["--strategy", "random", "--runs", "20000"]),
        ("pct, two threads × 10 steps", two, ["--strategy", "pct", "--runs", "20000"]),
        (
            "dfs, two threads × 10 steps",
            two,
            ["--strategy", "dfs", "--max-executions", "20000", "--until", "exception"],
        ),
        ("random, empty program (fresh VM)", "bench/explore_pass.toy", ["--strategy", "random", "--runs", "20000"]),
    ]
    print(f"{'case':40} {'executions':>10} {'seconds':>8} {'exec/s':>9} {'÷ goal':>7}")
    for name, program, args in cases:
        n, wall = rate(gilvm, program, args, repeat)
        per_sec = n / wall
        print(f"{name:40} {n:>10,} {wall:>8.2f} {per_sec:>9,.0f} {per_sec / GOAL:>7.2f}")
    print(f"goal: {GOAL:,} executions per second per core")


if __name__ == "__main__":
    main()
