#!/usr/bin/env python3
"""Executions per second of `gilvm explore` (issue 19), next to the goal, and `--jobs` scaling.

Runs the release binary on bench/explore_two_threads.toy (two threads of ten steps each) with
each strategy, and on bench/explore_pass.toy (an empty program: the cost of a fresh VM and of
reading its outcome), REPEAT times each, and prints the medians:

- executions per second of wall time with --jobs 1, and per second of CPU time (user + system
  of the process: what one core does, whatever else shares the machine), with the ratio of
  each to the goal of 100,000 executions per second per core (Shuttle manages about 25,000
  random schedules per second on this machine);
- the same with --jobs 2: executions per second of wall time, the speed-up over --jobs 1 (the
  ratio of the median wall times), and executions per second of CPU time (what splitting the
  work costs: with the machine to itself, the speed-up approaches 2 × this rate ÷ the --jobs 1
  CPU-time rate).

Both runs of a case print the same report (same executions), so their rates compare.

Usage: python3 bench/explore_speed.py [REPEAT]     GILVM=path uses that binary.
"""

import json
import os
import statistics
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


def measure(gilvm, program, args, jobs):
    """One run: (executions, wall seconds, CPU seconds)."""
    before = os.times()
    start = time.perf_counter()
    out = subprocess.run(
        [gilvm, "explore", program, "--jobs", str(jobs), "--json"] + args,
        cwd=common.REPO,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    report = json.loads(out.stdout)
    return report["executions"] + report["pruned"], wall, cpu


def main():
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    gilvm = binary()
    two = "bench/explore_two_threads.toy"
    n = "40000"
    cases = [
        ("random, two threads × 10 steps", two, ["--strategy", "random", "--runs", n]),
        ("pct, two threads × 10 steps", two, ["--strategy", "pct", "--runs", n]),
        (
            "dfs, two threads × 10 steps",
            two,
            ["--strategy", "dfs", "--max-executions", n, "--until", "exception"],
        ),
        ("random, empty program (fresh VM)", "bench/explore_pass.toy", ["--strategy", "random", "--runs", n]),
    ]
    print(
        f"{'case':34} {'execs':>7} {'wall/s':>8} {'÷goal':>6} {'cpu/s':>8} {'÷goal':>6}"
        f" {'jobs 2 wall/s':>13} {'×':>5} {'jobs 2 cpu/s':>12}"
    )
    for name, program, args in cases:
        one = [measure(gilvm, program, args, 1) for _ in range(repeat)]
        two_jobs = [measure(gilvm, program, args, 2) for _ in range(repeat)]
        execs = one[0][0]
        wall_rate = statistics.median(e / w for e, w, _ in one)
        cpu_rate = statistics.median(e / max(c, 1e-9) for e, _, c in one)
        wall_rate2 = statistics.median(e / w for e, w, _ in two_jobs)
        cpu_rate2 = statistics.median(e / max(c, 1e-9) for e, _, c in two_jobs)
        speedup = statistics.median(w for _, w, _ in one) / statistics.median(w for _, w, _ in two_jobs)
        print(
            f"{name:34} {execs:>7,} {wall_rate:>8,.0f} {wall_rate / GOAL:>6.2f} {cpu_rate:>8,.0f}"
            f" {cpu_rate / GOAL:>6.2f} {wall_rate2:>13,.0f} {speedup:>5.2f} {cpu_rate2:>12,.0f}"
        )
    print(f"goal: {GOAL:,} executions per second per core; medians of {repeat} runs each")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
