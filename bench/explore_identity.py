#!/usr/bin/env python3
"""Byte identity of `gilvm explore` reports between two builds (a speed change must not
change a single report).

Runs `gilvm explore --json` on every program of the explore tests (the Python sources inside
tests/explore_*.rs and tests/races_explore.rs, `format!` placeholders filled with 2 and 3),
programs/*.toy (with check_then_act/ and fidelity/), tests/races/*.toy and bench/*.toy, under

  any dfs, any pct, py311 dfs, py311 pct, nogil dfs, py39 dfs, any --races dfs

with each binary, and compares stdout and the exit status byte for byte. Budgets are kept small
(`--max-executions`, `--runs`, `--max-steps`) so that the whole comparison takes minutes; a run
that exceeds the time limit is compared as "timeout".

Usage:
  python3 bench/explore_identity.py OLD_GILVM NEW_GILVM     compare two binaries
  python3 bench/explore_identity.py --save DIR GILVM         write the reports of one binary
  python3 bench/explore_identity.py --against DIR GILVM      compare a binary with saved ones
Options: --jobs N (runs in parallel, default 2), --list (print the cases and stop).
Exit status 0 when every report is identical, 1 otherwise.
"""

import concurrent.futures
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 120

CONFIGS = [
    ("any-dfs", ["--gil", "any", "--strategy", "dfs"]),
    ("any-pct", ["--gil", "any", "--strategy", "pct", "--runs", "300"]),
    ("py311-dfs", ["--gil", "py311", "--strategy", "dfs"]),
    ("py311-pct", ["--gil", "py311", "--strategy", "pct", "--runs", "300"]),
    ("nogil-dfs", ["--gil", "nogil", "--strategy", "dfs"]),
    ("py39-dfs", ["--gil", "py39", "--strategy", "dfs"]),
    ("any-races-dfs", ["--gil", "any", "--strategy", "dfs", "--races"]),
]
COMMON = ["--json", "--jobs", "1", "--max-executions", "1500", "--max-steps", "20000"]

STRING = re.compile(r'(format!\(\s*)?"((?:[^"\\]|\\.)*)"', re.S)


def unescape(body):
    # A `\` at the end of a line drops the newline and the next line's leading blanks.
    body = re.sub(r"\\\n\s*", "", body)
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'", "0": "\0"}.get(n, "\\" + n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def test_programs():
    """The Python programs embedded in the explore tests."""
    found = []
    files = sorted(glob.glob(os.path.join(REPO, "tests", "explore_*.rs")))
    files.append(os.path.join(REPO, "tests", "races_explore.rs"))
    for path in files:
        text = open(path, encoding="utf-8").read()
        for m in STRING.finditer(text):
            src = unescape(m.group(2))
            if "import" not in src or "\n" not in src or "threading" not in src:
                continue
            if m.group(1):
                variants = []
                for v in ("2", "3"):
                    s = re.sub(r"\{[a-z_0-9]*\}", v, src).replace("{{", "{").replace("}}", "}")
                    variants.append(s)
            else:
                variants = [src]
            for s in variants:
                if s not in found:
                    found.append(s)
    return found


def cases(tmp):
    progs = []
    for i, src in enumerate(test_programs()):
        path = os.path.join(tmp, f"test_{i:03}.toy")
        with open(path, "w", encoding="utf-8") as f:
            f.write(src)
        progs.append((f"tests/explore#{i:03}", path))
    # Run from the program's directory by its name: the report names the program as given.
    for pattern in [
        "programs/*.toy",
        "programs/check_then_act/*.toy",
        "programs/fidelity/*.toy",
        "tests/races/*.toy",
        "bench/*.toy",
    ]:
        for p in sorted(glob.glob(os.path.join(REPO, pattern))):
            progs.append((os.path.relpath(p, REPO), p))
    return [(f"{name} {cname}", path, args) for name, path in progs for cname, args in CONFIGS]


def run(gilvm, path, args):
    try:
        r = subprocess.run(
            [gilvm, "explore", os.path.basename(path)] + args + COMMON,
            cwd=os.path.dirname(path),
            capture_output=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "stdout": ""}
    return {"status": r.returncode, "stdout": r.stdout.decode("utf-8", "replace")}


def run_all(gilvm, all_cases, jobs):
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futures = {name: ex.submit(run, gilvm, path, args) for name, path, args in all_cases}
        return {name: f.result() for name, f in futures.items()}


def key(name):
    return hashlib.sha1(name.encode()).hexdigest()[:16]


def main():
    argv = sys.argv[1:]
    jobs = 2
    save = against = None
    listing = False
    rest = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--jobs":
            jobs = int(argv[i + 1])
            i += 2
        elif a == "--save":
            save = argv[i + 1]
            i += 2
        elif a == "--against":
            against = argv[i + 1]
            i += 2
        elif a == "--list":
            listing = True
            i += 1
        else:
            rest.append(a)
            i += 1
    with tempfile.TemporaryDirectory() as tmp:
        all_cases = cases(tmp)
        if listing:
            for name, _, _ in all_cases:
                print(name)
            print(f"{len(all_cases)} cases", file=sys.stderr)
            return 0
        if save and len(rest) == 1:
            os.makedirs(save, exist_ok=True)
            results = run_all(rest[0], all_cases, jobs)
            for name, r in results.items():
                with open(os.path.join(save, key(name) + ".json"), "w", encoding="utf-8") as f:
                    json.dump({"case": name, **r}, f)
            print(f"saved {len(results)} reports in {save}")
            return 0
        if against and len(rest) == 1:
            old = {}
            for name, _, _ in all_cases:
                p = os.path.join(against, key(name) + ".json")
                if os.path.exists(p):
                    with open(p, encoding="utf-8") as f:
                        old[name] = json.load(f)
            new = run_all(rest[0], all_cases, jobs)
        elif len(rest) == 2:
            old = run_all(rest[0], all_cases, jobs)
            new = run_all(rest[1], all_cases, jobs)
        else:
            print(__doc__, file=sys.stderr)
            return 2
        differ = []
        missing = 0
        for name, _, _ in all_cases:
            if name not in old:
                missing += 1
                continue
            a, b = old[name], new[name]
            if a["status"] != b["status"] or a["stdout"] != b["stdout"]:
                differ.append(name)
        compared = len(all_cases) - missing
        timeouts = sum(1 for n in new if new[n]["status"] == "timeout")
        for name in differ:
            print(f"DIFFERS: {name}")
        print(
            f"{compared} reports compared, {len(differ)} differ"
            + (f", {missing} missing from the saved set" if missing else "")
            + (f", {timeouts} timed out (compared as such)" if timeouts else "")
        )
        return 1 if differ or missing else 0


if __name__ == "__main__":
    sys.exit(main())
