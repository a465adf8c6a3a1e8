#!/usr/bin/env python3
"""Start-up time: `gilvm run` of a one-line program against `python3 -c pass`.

Both are whole processes started the same way (subprocess, output discarded), so the ratio is
what a learner feels between pressing Enter and getting the prompt back. Reports the median
(and min) of --runs runs each, interleaved so that a busy machine slows both alike, the ratio
gilvm / CPython, and the size of the release binary.

    python3 bench/startup.py                 # builds the release binary first
    python3 bench/startup.py --skip-build    # uses target/release/gilvm as it is
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import build_gilvm, find_cpython, target_dir  # noqa: E402

PROGRAM = 'print("hello")\n'


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--skip-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--target-dir", help="cargo target dir (default $CARGO_TARGET_DIR or ./target)")
    args = ap.parse_args()

    tdir = target_dir(args.target_dir)
    gilvm = build_gilvm(tdir, args.skip_build)
    python, version = find_cpython()
    if python is None:
        sys.exit(f"error: no CPython to compare with: {version}")
    with tempfile.NamedTemporaryFile("w", suffix=".toy", delete=False) as f:
        f.write(PROGRAM)
        prog = f.name
    try:
        g_cmd = [gilvm, "run", prog, "--seed", "1", "-q"]
        p_cmd = [python, "-c", "pass"]
        p_run = [python, prog]
        for cmd in (g_cmd, p_cmd, p_run):  # warm the page cache
            timed(cmd)
        g, p, pr = [], [], []
        for _ in range(args.runs):
            g.append(timed(g_cmd))
            p.append(timed(p_cmd))
            pr.append(timed(p_run))
    finally:
        os.unlink(prog)
        os.unlink(gilvm)
    ms = lambda xs: f"median {statistics.median(xs) * 1e3:6.2f} ms  min {min(xs) * 1e3:6.2f} ms"  # noqa: E731
    size = os.path.getsize(os.path.join(tdir, "release", "gilvm"))
    print(f"start-up, {args.runs} runs each ({version})")
    print(f"  gilvm run hello.toy    {ms(g)}")
    print(f"  python3 -c pass        {ms(p)}")
    print(f"  python3 hello.toy      {ms(pr)}")
    print(f"  ratio gilvm / python3 -c pass: {statistics.median(g) / statistics.median(p):.2f}")
    print(f"  ratio gilvm / python3 hello.toy: {statistics.median(g) / statistics.median(pr):.2f}")
    print(f"  release binary: {size / 1e6:.1f} MB (target/release/gilvm, with line tables)")
    stripped = stripped_size(os.path.join(tdir, "release", "gilvm"))
    if stripped is not None:
        print(f"  stripped (strip, as in the wheel's binary less its line tables): {stripped / 1e6:.1f} MB")


def stripped_size(binary):
    """The size of a stripped copy of `binary`, or None without `strip`."""
    with tempfile.TemporaryDirectory() as d:
        copy = os.path.join(d, "gilvm")
        try:
            subprocess.run(["strip", "-o", copy, binary], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        return os.path.getsize(copy)


if __name__ == "__main__":
    main()
