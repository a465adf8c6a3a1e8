#!/usr/bin/env python3
"""Regression guard that does not depend on wall time: x86 instructions (callgrind's Ir) that
the release gilvm binary executes for a few small, seeded programs, compared with the
checked-in bench/baseline.json.

    python3 bench/guard.py            # build, measure, compare (exit 1 on a regression)
    python3 bench/guard.py --bless    # measure and rewrite bench/baseline.json

Ir for a fixed binary, program and seed is repeatable to about 0.01% (what varies is hashing
with std's random keys). It does depend on the compiler, the C library and the architecture, so the
baseline records them: when one differs here, the guard prints a visible SKIPPED line and exits 0
rather than failing on a fresh machine for a reason that is not a regression. It also skips
when valgrind is not installed, and skips a program that uses a feature gilvm does not have yet.
Standard library only.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

BASELINE = os.path.join(common.REPO, "bench", "baseline.json")
DEFAULT_TOLERANCE = 0.10

# name, program in bench/programs, extra gilvm args. All run with --seed 1.
GUARDED = [
    ("race_10k", "guard_race_10k.py", []),
    ("race_20k", "guard_race_20k.py", []),
    ("race_10k_py311", "guard_race_10k.py", ["--gil", "py311"]),
    ("locked_5k", "guard_locked_5k.py", []),
    ("threads_1000", "guard_threads_1000.py", []),
    ("queue_5k", "guard_queue_5k.py", []),
    ("flat_10", "guard_flat_10.py", []),
    ("flat_2000", "guard_flat_2000.py", []),
    # Issue 21's language suite (bench/programs/l_*.py), each scaled down for callgrind.
    ("l_calls", "guard_l_calls.py", []),
    ("l_listdict", "guard_l_listdict.py", []),
    ("l_strings", "guard_l_strings.py", []),
    ("l_comp", "guard_l_comp.py", []),
    ("l_exc", "guard_l_exc.py", []),
    ("l_fib", "guard_l_fib.py", []),
    ("l_classes", "guard_l_classes.py", []),
    ("l_executor", "guard_l_executor.py", []),
    ("l_bigint", "guard_l_bigint.py", []),
    ("l_gen", "guard_l_gen.py", []),
    ("l_builtins", "guard_l_builtins.py", []),
    ("l_dunder", "guard_l_dunder.py", []),
    # One object's attributes updated from four threads: the lost-update detector's path.
    ("shared_attr", "guard_shared_attr.py", []),
]
# The marginal cost of one VM instruction of the unlocked counter loop, start-up excluded:
# (Ir(race_20k) - Ir(race_10k)) / (instructions(race_20k) - instructions(race_10k)).
MARGINAL = ("race_20k", "race_10k")
# Cost flatness: the same locked work over 2,000 and over 10 threads. Ir per VM instruction may
# grow by thread start-up (≈8,000 Ir per thread, ≈10% here) but not with the number of threads
# otherwise (an O(n) step per switch or per wake-up would): an absolute limit, not a baseline.
FLAT = ("flat_2000", "flat_10")
FLAT_LIMIT = 1.25

COLLECTED = re.compile(r"Collected : (\d+)")


def valgrind_version():
    try:
        out = subprocess.run(["valgrind", "--version"], capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else None
    except OSError:
        return None


def measure(gilvm, fname, extra):
    """(Ir, VM instructions, None) or (None, None, why-skipped)."""
    path = os.path.join(common.PROGRAMS, fname)
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out",
             gilvm, "run", "--seed", "1"] + extra + [fname],
            cwd=common.PROGRAMS, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    missing = common.not_yet(out.stderr)
    if missing:
        return None, None, f"not runnable yet ({missing})"
    m = COLLECTED.search(out.stderr)
    instr, _ = common.parse_summary(out.stderr)
    if out.returncode != 0 or not m or not instr:
        tail = "\n".join(out.stderr.strip().splitlines()[-5:])
        sys.exit(f"error: `gilvm run --seed 1 {' '.join(extra)} {path}` under callgrind "
                 f"failed (status {out.returncode}):\n{tail}")
    return int(m.group(1)), instr, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bless", action="store_true", help="rewrite bench/baseline.json")
    ap.add_argument("--skip-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--target-dir", help="cargo target dir (default $CARGO_TARGET_DIR or ./target)")
    ap.add_argument("--tolerance", type=float, help="allowed relative Ir growth (default: baseline's)")
    args = ap.parse_args()

    vg = valgrind_version()
    if vg is None:
        print("guard SKIPPED: valgrind is not installed (apt-get install valgrind)")
        return 0
    rustc, libc, arch = common.rustc_version(), common.libc_version(), platform.machine()
    baseline = None
    if os.path.exists(BASELINE):
        with open(BASELINE) as f:
            baseline = json.load(f)
    if not args.bless:
        if baseline is None:
            print("guard SKIPPED: no bench/baseline.json (create it with --bless)")
            return 0
        for key, here in (("rustc", rustc), ("libc", libc), ("arch", arch)):
            if baseline.get(key) != here:
                print(f"guard SKIPPED: the baseline was recorded with {key} "
                      f"'{baseline.get(key)}', this machine has '{here}'; instruction counts "
                      f"are only comparable with the same toolchain. Re-bless with "
                      f"`python3 bench/guard.py --bless` on this toolchain.")
                return 0
    tolerance = args.tolerance if args.tolerance is not None else (
        baseline.get("tolerance", DEFAULT_TOLERANCE) if baseline else DEFAULT_TOLERANCE)

    t0 = time.monotonic()
    gilvm = common.build_gilvm(common.target_dir(args.target_dir), args.skip_build)
    t_built = time.monotonic()
    try:
        results = {}
        for name, fname, extra in GUARDED:
            ir, instr, skipped = measure(gilvm, fname, extra)
            results[name] = {"program": fname, "args": extra, "ir": ir, "instructions": instr,
                             "skipped": skipped}
    finally:
        os.unlink(gilvm)
    t_done = time.monotonic()

    failed = False
    print(f"callgrind guard ({vg}, {rustc}, {libc}); tolerance {tolerance:.0%}")
    print(f"{'program':<16} {'Ir':>13} {'baseline':>13} {'change':>8} {'VM instr':>10} "
          f"{'Ir/instr':>9}  verdict")
    base_progs = (baseline or {}).get("programs", {})
    for name, r in results.items():
        if r["skipped"]:
            print(f"{name:<16} {r['skipped']}")
            continue
        base = base_progs.get(name)
        per = r["ir"] / r["instructions"]
        if args.bless:
            verdict, base_ir, change = "blessed", "", ""
        elif base is None or base.get("ir") is None:
            verdict, base_ir, change = "no baseline (run --bless)", "", ""
        else:
            rel = r["ir"] / base["ir"] - 1
            base_ir, change = f"{base['ir']:,}", f"{rel:+.1%}"
            if rel > tolerance:
                verdict, failed = "REGRESSION", True
            elif rel < -tolerance:
                verdict = "faster than the baseline by more than the tolerance: re-bless"
            else:
                verdict = "ok"
            if base.get("instructions") != r["instructions"]:
                verdict += (f" (VM instructions changed: {base.get('instructions'):,} -> "
                            f"{r['instructions']:,}; the bytecode or the schedule changed)")
        print(f"{name:<16} {r['ir']:>13,} {base_ir:>13} {change:>8} {r['instructions']:>10,} "
              f"{per:>9.1f}  {verdict}")
    big, small = (results[k] for k in MARGINAL)
    if big["ir"] and small["ir"]:
        marginal = (big["ir"] - small["ir"]) / (big["instructions"] - small["instructions"])
        print(f"marginal Ir per VM instruction of the unlocked counter loop "
              f"({MARGINAL[0]} - {MARGINAL[1]}): {marginal:.1f}")
    many, few = (results[k] for k in FLAT)
    if many["ir"] and few["ir"]:
        ratio = (many["ir"] / many["instructions"]) / (few["ir"] / few["instructions"])
        ok = ratio <= FLAT_LIMIT
        failed = failed or not ok
        print(f"Ir per VM instruction, {FLAT[0]} / {FLAT[1]}: {ratio:.2f}x "
              f"(limit {FLAT_LIMIT}x): {'ok' if ok else 'REGRESSION: cost grows with threads'}")
    print(f"time: build {t_built - t0:.0f} s, callgrind runs {t_done - t_built:.0f} s")

    if args.bless:
        doc = {
            "comment": "callgrind Ir of the release gilvm on bench/programs/guard_*.py, seed 1; "
                       "written by `python3 bench/guard.py --bless`. Only comparable with the "
                       "same rustc and libc.",
            "rustc": rustc, "libc": libc, "arch": arch, "valgrind": vg, "tolerance": tolerance,
            "programs": {k: {"program": v["program"], "args": v["args"], "ir": v["ir"],
                             "instructions": v["instructions"]}
                         for k, v in results.items() if not v["skipped"]},
        }
        with open(BASELINE, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print(f"wrote {os.path.relpath(BASELINE, common.REPO)}")
        return 0
    if failed:
        print("guard FAILED: instruction counts grew beyond the tolerance (see REGRESSION "
              "above). If the growth is intended, re-bless with `python3 bench/guard.py --bless` "
              "and say why in the commit.")
        return 1
    print("guard passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
