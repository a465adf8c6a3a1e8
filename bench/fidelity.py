#!/usr/bin/env python3
"""Fidelity of gilvm's GIL models to real CPython (DESIGN.md §4.3, issue 6).

Runs each race program of programs/fidelity/ (a default-interval and a tiny-interval variant)
several times on every CPython that pyenv has here, and over many seeds on gilvm's matching
model (py27 <-> 2.7, py39 <-> 3.9, py311 <-> 3.11/3.12/3.13, nogil <-> free-threaded 3.13t),
then prints the verdicts side by side: "loses" (some run lost an update) or "never", with how
many runs did. A gilvm cell that disagrees with a CPython version it models is marked ✗.

No free-threaded CPython is installed here, so the 3.13t column comes from the measurements in
shared/research/cpython-gil.md §6.7 (programs it does not cover show "not measured").
gilvm models this gilvm does not have yet are shown as "no model"; `any` (the textbook model,
every instruction boundary a switch point) is shown for reference and compared with nothing.

A verdict comes from the program's own output, for CPython and gilvm alike: every program
prints `NAME=GOT expected=WANT`, and a run lost updates when GOT != WANT.

Run manually (not part of `cargo test`); it takes a few minutes:
    bench/fidelity.py                       # print the table (Markdown)
    bench/fidelity.py --out docs/fidelity.md   # and write the docs page
Options: --runs N (CPython runs per cell, default 5), --seeds N (gilvm seeds, default 40),
--versions 2.7.18,3.9.18,... , --gilvm PATH (default: build and use target/release/gilvm).
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (row label, program file, the interval it runs at)
ROWS = [
    ("plain counter", "plain.toy", "default"),
    ("plain counter", "plain_tiny.toy", "tiny"),
    ("plain counter, 10^6 iterations", "plain_1m.toy", "default"),
    ("counter = counter + one()", "withcall.toy", "default"),
    ("counter = counter + one()", "withcall_tiny.toy", "tiny"),
    ("d['k'] += 1", "dict_item.toy", "default"),
    ("d['k'] += 1", "dict_item_tiny.toy", "tiny"),
    ("lazy init (check-then-act)", "lazy_init.toy", "default"),
    ("lazy init (check-then-act)", "lazy_init_tiny.toy", "tiny"),
]

# CPython versions (pyenv names) and the gilvm model that stands for each.
CPYTHONS = [
    ("2.7.18", "py27"),
    ("3.9.18", "py39"),
    ("3.11.7", "py311"),
    ("3.12.1", "py311"),
    ("3.13.0", "py311"),
]
GILVM_MODELS = ["py27", "py39", "py311", "nogil"]

# Free-threaded 3.13.0t, from research/cpython-gil.md §6.7 (5 runs each, 4 threads, N=1e5).
# Values: (runs that lost, runs).
FREE_THREADED = {
    "plain.toy": (5, 5),
    "plain_tiny.toy": (5, 5),
    "withcall.toy": (5, 5),
    "withcall_tiny.toy": (5, 5),
}

NOTES_MARKER = "<!-- notes: kept when bench/fidelity.py rewrites this file -->"

RESULT = re.compile(r"^\S+=(-?\d+) expected=(-?\d+)$")


def lost(stdout):
    """True/False for a result line, None when the output has none."""
    lines = stdout.strip().splitlines()
    m = RESULT.match(lines[-1].strip()) if lines else None
    if not m:
        return None
    return m.group(1) != m.group(2)


class Cell:
    """Runs that lost updates out of runs, plus failed runs (crash, timeout, no result)."""

    def __init__(self, losing=0, runs=0, errors=0, note=""):
        self.losing, self.runs, self.errors, self.note = losing, runs, errors, note

    def verdict(self):
        if self.runs == 0:
            return None
        return "loses" if self.losing > 0 else "never"

    def text(self):
        if self.note:
            return self.note
        v = self.verdict()
        if v is None:
            return "error" if self.errors else "—"
        s = "%s %d/%d" % (v, self.losing, self.runs)
        if self.errors:
            s += " (+%d errors)" % self.errors
        return s


def python_of(version):
    """The interpreter of a pyenv version. (Not the `python` shim: when this script runs under
    pyenv, its own version's bin/ comes first on PATH and would win over PYENV_VERSION.)"""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None
    exe = os.path.join(root, "versions", version, "bin", "python")
    return exe if os.path.exists(exe) else None


def cpython_cell(version, path, runs, timeout):
    cell = Cell()
    for _ in range(runs):
        try:
            p = subprocess.run([python_of(version), path], cwd=ROOT, capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            cell.errors += 1
            continue
        verdict = lost(p.stdout) if p.returncode == 0 else None
        if verdict is None:
            cell.errors += 1
            sys.stderr.write("  %s %s: exit %d: %s\n" % (version, path, p.returncode,
                                                          (p.stderr.strip().splitlines() or [""])[-1]))
        else:
            cell.runs += 1
            cell.losing += verdict
    return cell


def pyenv_has(version):
    exe = python_of(version)
    if exe is None:
        return False
    try:
        p = subprocess.run([exe, "-c", "import sys; print(sys.version.split()[0])"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0 and p.stdout.strip() == version


def gilvm_models(gilvm):
    """The models of GILVM_MODELS that this gilvm's sweep accepts."""
    have = []
    for m in GILVM_MODELS + ["any"]:
        p = subprocess.run([gilvm, "sweep", "-", "--seeds", "0..1", "--gil", m, "--json"],
                           input="", capture_output=True, text=True)
        if p.returncode == 0:
            have.append(m)
    return have


def gilvm_cells(gilvm, path, models, seeds, jobs):
    """One sweep of `path` under every model; returns {model: Cell}."""
    cmd = [gilvm, "sweep", path, "--seeds", "0..%d" % seeds, "--json"]
    for m in models:
        cmd += ["--gil", m]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        sys.stderr.write("  gilvm %s: %s\n" % (path, msg))
        return {m: Cell(note="error") for m in models}
    report = json.loads(p.stdout)
    cells = {}
    for m in report["models"]:
        cell = Cell()
        for row in m["stdout"]:
            verdict = lost(row["stdout"])
            if verdict is None:
                continue
            cell.runs += row["count"]
            cell.losing += row["count"] * verdict
        cell.errors = m["runs"] - cell.runs
        if cell.errors:
            bad = [e for e in m["exits"] if e["status"] != 0]
            why = bad[0]["stderr_last"] if bad else "no result line"
            sys.stderr.write("  gilvm %s (%s): %d runs without a result: %s\n"
                             % (path, m["model"], cell.errors, why))
        cells[m["model"]] = cell
    return cells


def build_gilvm():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(target, "release", "gilvm")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="CPython runs per cell")
    ap.add_argument("--seeds", type=int, default=40, help="gilvm seeds per cell")
    ap.add_argument("--versions", default=",".join(v for v, _ in CPYTHONS))
    ap.add_argument("--gilvm", help="the gilvm binary (default: cargo build --release)")
    ap.add_argument("--jobs", type=int, help="gilvm sweep --jobs")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per CPython run")
    ap.add_argument("--out", help="also write the Markdown page to this file")
    args = ap.parse_args()

    started = time.time()
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else []
    gilvm = args.gilvm or build_gilvm()
    gilvm_version = subprocess.run([gilvm, "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    wanted = args.versions.split(",")
    pythons = [(v, m) for v, m in CPYTHONS if v in wanted]
    present = [(v, m) for v, m in pythons if pyenv_has(v)]
    for v, _ in pythons:
        if (v, _) not in present:
            sys.stderr.write("skipped: CPython %s not found by pyenv\n" % v)
    models = gilvm_models(gilvm)
    sys.stderr.write("gilvm models: %s\n" % ", ".join(models))

    results = []  # per row: {column: Cell}
    for label, prog, interval in ROWS:
        path = os.path.join("programs", "fidelity", prog)
        sys.stderr.write("%s …\n" % path)
        cells = {}
        for v, _ in present:
            cells[v] = cpython_cell(v, path, args.runs, args.timeout)
        ft = FREE_THREADED.get(prog)
        cells["3.13t"] = Cell(ft[0], ft[1]) if ft else Cell(note="not measured")
        got = gilvm_cells(gilvm, path, models, args.seeds, args.jobs) if models else {}
        for m in GILVM_MODELS + ["any"]:
            cells["gilvm " + m] = got.get(m, Cell(note="no model"))
        results.append(cells)

    # Columns: each gilvm model right after the CPython versions it stands for.
    columns = []
    for m in GILVM_MODELS:
        columns += [v for v, mm in present if mm == m]
        if m == "nogil":
            columns.append("3.13t")
        columns.append("gilvm " + m)
    columns.append("gilvm any")

    disagreements = []
    table = ["| program | interval | " + " | ".join(columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    for (label, prog, interval), cells in zip(ROWS, results):
        row = []
        for c in columns:
            text = cells[c].text()
            if c.startswith("gilvm ") and c != "gilvm any":
                m = c.split()[1]
                refs = [v for v, mm in present if mm == m] + (["3.13t"] if m == "nogil" else [])
                mine = cells[c].verdict()
                for r in refs:
                    theirs = cells[r].verdict()
                    if mine and theirs and mine != theirs:
                        text += " ✗"
                        disagreements.append("%s (%s interval, `%s`): gilvm %s %s, CPython %s %s"
                                             % (label, interval, prog, m, cells[c].text(), r,
                                                cells[r].text()))
                        break
            row.append(text)
        table.append("| %s | %s | %s |" % (label, interval, " | ".join(row)))

    now = datetime.datetime.now(datetime.timezone.utc)
    cmd = "bench/fidelity.py " + " ".join(a for a in sys.argv[1:])
    lines = [
        "# Fidelity: gilvm's GIL models against CPython",
        "",
        "Generated by `%s` on %s UTC (%.0f s), on %s with %d CPUs (load average at the start: %s)." % (
            cmd.strip(), now.strftime("%Y-%m-%d %H:%M"), time.time() - started,
            platform.machine(), os.cpu_count() or 0, " ".join(load) or "?"),
        "gilvm: %s (commit %s), models available: %s." % (gilvm_version, commit or "?",
                                                          ", ".join(models) or "none"),
        "CPython (pyenv): %s; free-threaded 3.13.0t from `research/cpython-gil.md` §6.7."
        % (", ".join(v for v, _ in present) or "none"),
        "",
        "Each cell: the verdict (\"loses\": some run lost an update; \"never\": none did) and how many",
        "runs lost updates — out of %d runs for CPython and %d seeds (`gilvm sweep --seeds 0..%d`) for gilvm."
        % (args.runs, args.seeds, args.seeds),
        "A run's verdict comes from the program's own output (`NAME=GOT expected=WANT`). The tiny",
        "interval is `sys.setswitchinterval(1e-6)` (2.7: `sys.setcheckinterval(1)`), set by the",
        "`*_tiny.toy` variants themselves. ✗ marks a gilvm model that disagrees with a CPython version it",
        "models. \"no model\": this gilvm does not have that `--gil` model yet. `gilvm any` (the textbook",
        "model) is for reference only.",
        "",
    ] + table + [""]
    if disagreements:
        lines += ["Disagreements:", ""] + ["- " + d for d in disagreements] + [""]
    else:
        lines += ["No disagreements between a gilvm model and the CPython versions it models.", ""]
    text = "\n".join(lines)
    sys.stdout.write(text)
    if args.out:
        out = os.path.join(ROOT, args.out) if not os.path.isabs(args.out) else args.out
        # Hand-written notes below the marker survive a re-run.
        notes = ""
        if os.path.exists(out):
            with open(out) as f:
                old = f.read()
            if NOTES_MARKER in old:
                notes = old[old.index(NOTES_MARKER):]
        with open(out, "w") as f:
            f.write(text + ("\n" + notes if notes else ""))
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
