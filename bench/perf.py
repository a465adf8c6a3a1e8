#!/usr/bin/env python3
"""gilvm vs CPython 3.11, side by side: whole-process wall time, ratio, instructions per
second, peak memory, and the targets of DESIGN.md §9 / issue 7.

    python3 bench/perf.py                 # build, then 7 alternating runs per program
    python3 bench/perf.py --runs 3 --only a,c --skip-build
    python3 bench/perf.py --threads-only  # memory per idle thread and ns per instruction,
                                          # 1 to 1,000,000 threads (a section of a full run)
    python3 bench/perf.py --races         # the cost of `--races`: ratio to a plain run, goal 3×
                                          # (a full run prints it for the seed counters a, a/py311, b)

Standard library only. Prints a Markdown table on stdout (progress goes to stderr), ready to
paste into docs/performance.md, which says what each program is and how the numbers are
taken; in short:

- each program runs N times with gilvm (`run -q --seed 1`) and N times with the real CPython
  binary, alternating and swapping the order every round (ABBA...), so load from other work on
  the machine falls on both sides alike;
- wall time is whole-process (start-up included, as a user sees it), peak RSS is ru_maxrss
  from wait4;
- gilvm's instruction count comes from one extra run without -q (its own counter in the
  summary); ns/instruction = median wall / instructions, start-up included.
"""

import argparse
import datetime
import os
import platform
import resource
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# key, file, extra gilvm args, target ratio (gilvm/CPython), target ns/instr, target peak RSS
# (MB, gilvm), compare stdout with CPython's, description.
PROGRAMS = [
    ("a", "a_counter_race.py", [], 0.5, 2.5, None, False, "4 × 1M unlocked `counter += 1`"),
    ("a/py311", "a_counter_race.py", ["--gil", "py311"], None, None, None, True,
     "(a) under `--gil py311`"),
    ("b", "b_counter_locked.py", [], 0.3, None, None, True, "4 × 1M `with lock: counter += 1`"),
    ("c", "c_single_thread.py", [], 0.5, None, None, True, "1 thread, 4M increments"),
    ("d", "d_queue.py", [], 0.2, None, None, True, "queue.Queue 2 producers × 50k, 2 consumers"),
    ("f", "f_many_threads_locked.py", [], 0.2, None, None, True, "1,000 threads × 100 locked"),
    ("g", "g_event_100k.py", [], None, None, 256, True, "100,000 threads wait on one Event"),
    # Ordinary Python, one thread (issue 21's suite; goal: each ≤ 0.5× CPython's time).
    ("l/calls", "l_calls.py", [], 0.5, None, None, True,
     "function calls with keyword and default arguments, a closure"),
    ("l/listdict", "l_listdict.py", [], 0.5, None, None, True, "list and dict loop"),
    ("l/strings", "l_strings.py", [], 0.5, None, None, True,
     "`s += \"x\"` in a function, f-strings, `%`, `format`, `join`"),
    ("l/comp", "l_comprehensions.py", [], 0.5, None, None, True,
     "comprehensions, `sorted(key=)`, `min`/`max`/`sum`"),
    ("l/exc", "l_exceptions.py", [], 0.5, None, None, True, "exceptions raised and caught"),
    ("l/fib", "l_fib.py", [], 0.5, None, None, True, "recursion: fib(25)"),
    ("l/classes", "l_classes.py", [], 0.5, None, None, True,
     "instance attributes and method calls"),
    ("l/executor", "l_executor.py", [], 0.5, None, None, True,
     "ThreadPoolExecutor: 20,000 submits and results, then a 5,000-item map"),
    ("l/bigint", "l_bigint.py", [], 0.5, None, None, True,
     "big ints: 40 × factorial(2000) by a loop, printed (5,736 digits)"),
    ("l/gen", "l_gen.py", [], 0.5, None, None, True,
     "generators: `for` over one, a genexpr in `sum`, `yield from`, `next`"),
    ("l/builtins", "l_builtins.py", [], 0.5, None, None, True,
     "built-in functions and str/list methods: `len`, `str`, `min`, `split`, `join`…"),
    ("l/dunder", "l_dunder.py", [], 0.5, None, None, True,
     "a class with `__add__`, `__eq__`, `__abs__`, a property"),
    # Not in issue 21's suite: the seed's bank-account race as a learner writes it, where
    # every attribute access goes through the lost-update detector (no target: shown).
    ("shared", "shared_attr.py", [], None, None, None, True,
     "4 threads × 100,000 unlocked `self.balance += n` on one object"),
]

# Cost flatness: the same total work split over more threads, once unlocked and once locked.
# 4,000,000 increments in total, so that even at 10,000 threads each thread runs 400 loop
# iterations. Starting and joining 10,000 threads (≈2.3 µs each here, a third of it page
# faults on fresh memory, 1.5-2.1 us per 4 KB page on the 2026-12 VM) is measured apart and
# left out of the cost per instruction.
FLAT_THREADS = [2, 100, 1_000, 10_000]
FLAT_TOTAL = 4_000_000
FLAT_LIMIT = 1.5
FLAT_UNLOCKED = """\
import threading

counter = 0

def increment():
    global counter
    for _ in range({iters}):
        counter += 1

threads = [threading.Thread(target=increment) for _ in range({threads})]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)
"""
FLAT_LOCKED = """\
import threading

counter = 0
lock = threading.Lock()

def increment():
    global counter
    for _ in range({iters}):
        with lock:
            counter += 1

threads = [threading.Thread(target=increment) for _ in range({threads})]
[t.start() for t in threads]
[t.join() for t in threads]
print(counter)
"""
FLAT_WORKLOADS = [("unlocked `counter += 1`", FLAT_UNLOCKED), ("`with lock: counter += 1`", FLAT_LOCKED)]


def fmt_ms(xs):
    return f"{statistics.median(xs):.0f} [{min(xs):.0f}–{max(xs):.0f}]"


def cpython_skip_reason(key):
    """Why CPython cannot run a program on this machine, or None."""
    if key == "g":
        soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
        if soft != resource.RLIM_INFINITY and soft < 100_000:
            return f"not run: 100,000 OS threads exceed `ulimit -u` = {soft}"
    return None


def gilvm_argv(gilvm, path, extra, quiet=True):
    return [gilvm, "run"] + (["-q"] if quiet else []) + ["--seed", "1"] + extra + [path]


def bench_program(gilvm, python, prog, runs):
    key, fname, extra, t_ratio, t_ns, t_rss, compare, desc = prog
    path = os.path.join(common.PROGRAMS, fname)
    row = {"key": key, "desc": desc, "targets": (t_ratio, t_ns, t_rss)}
    # One counting run without -q: gilvm's own instruction counter, and a feature probe.
    probe = common.run_measured(gilvm_argv(gilvm, path, extra, quiet=False), cwd=common.PROGRAMS)
    missing = common.not_yet(probe["stderr"])
    if missing:
        row["skip"] = f"not runnable yet ({missing})"
        return row
    if probe["status"] != 0:
        tail = probe["stderr"].strip().splitlines()[-1:] or ["?"]
        row["skip"] = f"gilvm failed with status {probe['status']}: {tail[0]}"
        return row
    row["instructions"], row["switches"] = common.parse_summary(probe["stderr"])
    skip_py = None if python else "no CPython 3.11"
    skip_py = skip_py or cpython_skip_reason(key)
    row["py_skip"] = skip_py
    g_ms, p_ms, g_cpu, p_cpu = [], [], [], []
    g_out = p_out = None
    for i in range(runs):
        order = ("g", "p") if i % 2 == 0 else ("p", "g")
        for who in order:
            if who == "g":
                r = common.run_measured(gilvm_argv(gilvm, path, extra), cwd=common.PROGRAMS)
                if r["status"] != 0:
                    row["skip"] = f"gilvm failed with status {r['status']}"
                    return row
                g_ms.append(r["wall_ms"])
                g_cpu.append(r["cpu_ms"])
                g_out = r["stdout"]
            elif not skip_py:
                r = common.run_measured([python, fname], cwd=common.PROGRAMS)
                if r["status"] != 0:
                    skip_py = f"CPython failed with status {r['status']}"
                    continue
                p_ms.append(r["wall_ms"])
                p_cpu.append(r["cpu_ms"])
                p_out = r["stdout"]
        common.log(f"  {key} run {i + 1}/{runs}: gilvm {g_ms[-1]:.0f} ms"
                   + (f", CPython {p_ms[-1]:.0f} ms" if p_ms else ""))
    # Peak RSS: one more run each, forked from a small process (see common.peak_rss_kb).
    g_rss, row["rss_how"] = common.peak_rss_kb(gilvm_argv(gilvm, path, extra), cwd=common.PROGRAMS)
    p_rss = None
    if p_ms:
        p_rss, _ = common.peak_rss_kb([python, fname], cwd=common.PROGRAMS)
    row.update(g_ms=g_ms, g_cpu=g_cpu, p_cpu=p_cpu, g_rss=g_rss, p_ms=p_ms, p_rss=p_rss, py_skip=skip_py,
               g_out=g_out.strip())
    if compare and p_out is not None and g_out != p_out:
        row["mismatch"] = f"gilvm printed {g_out.strip()!r}, CPython {p_out.strip()!r}"
    return row


def verdict(row):
    t_ratio, t_ns, t_rss = row["targets"]
    parts, ok = [], True
    if t_ratio is not None:
        parts.append(f"ratio ≤ {t_ratio}")
        ok &= row.get("ratio") is not None and row["ratio"] <= t_ratio
    if t_ns is not None:
        parts.append(f"≤ {t_ns} ns/instr")
        ok &= row.get("ns") is not None and row["ns"] <= t_ns
    if t_rss is not None:
        parts.append(f"completes, RSS ≤ {t_rss} MB")
        ok &= row["g_rss"] / 1024 <= t_rss
    if not parts:
        return "—"
    return ", ".join(parts) + (": **pass**" if ok else ": **FAIL**")


def print_table(rows):
    print("| prog | what | gilvm ms median [min–max] | CPython ms median [min–max] "
          "| gilvm/CPython | CPU-time ratio | gilvm instructions | M instr/s | ns/instr | peak RSS gilvm / CPython "
          "| target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if "skip" in row:
            print(f"| ({row['key']}) | {row['desc']} | {row['skip']} | | | | | | | | |")
            continue
        g_med = statistics.median(row["g_ms"])
        instr = row["instructions"]
        row["ns"] = g_med * 1e6 / instr if instr else None
        if row["p_ms"]:
            row["ratio"] = g_med / statistics.median(row["p_ms"])
            py, ratio = fmt_ms(row["p_ms"]), f"**{row['ratio']:.2f}**"
            cpu_ratio = f"{statistics.median(row['g_cpu']) / statistics.median(row['p_cpu']):.2f}"
            py_rss = f"{row['p_rss'] / 1024:.1f} MB"
        else:
            py, ratio, cpu_ratio, py_rss = row["py_skip"], "—", "—", "—"
        rate = f"{instr / g_med / 1e3:.0f}" if instr else "?"
        ns = f"{row['ns']:.2f}" if row["ns"] else "?"
        note = f" ⚠ {row['mismatch']}" if "mismatch" in row else ""
        print(f"| ({row['key']}) | {row['desc']} | {fmt_ms(row['g_ms'])} | {py} | {ratio} "
              f"| {cpu_ratio} | {instr:,} | {rate} | {ns} | {row['g_rss'] / 1024:.1f} MB / {py_rss} "
              f"| {verdict(row)}{note} |")


def flatness(gilvm, runs):
    """Cost per instruction of the same work split over 2 … 10,000 threads, per workload.

    Each program runs beside its twin whose threads run one iteration each: what starting and
    joining the threads (and the process) costs. The cost per instruction is the difference
    of the two medians over the difference of their instruction counts — the marginal cost,
    as the guard's race_20k − race_10k — and the whole-process figure, start-up included, is
    shown beside it. Thread counts run in interleaved rounds (2, 100, 1,000, 10,000, then the
    reverse order, …), so that a change in the machine's speed during the measurement falls
    on every thread count alike instead of on whichever ran last."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for wi, (name, template) in enumerate(FLAT_WORKLOADS):
            paths, probes = {}, {}
            for n in FLAT_THREADS:
                pair, counts = [], []
                for kind, iters in (("full", FLAT_TOTAL // n), ("start", 1)):
                    path = os.path.join(tmp, f"flat_{wi}_{n}_{kind}.py")
                    with open(path, "w") as f:
                        f.write(template.format(threads=n, iters=iters))
                    probe = common.run_measured(gilvm_argv(gilvm, path, [], quiet=False))
                    instr, sw = common.parse_summary(probe["stderr"])
                    if probe["status"] != 0 or not instr:
                        probes[n] = f"error (status {probe['status']})"
                        break
                    pair.append(path)
                    counts.append((instr, sw or 0))
                else:
                    paths[n] = pair
                    probes[n] = counts
            ms = {n: ([], []) for n in paths}
            for r in range(runs):
                order = list(paths) if r % 2 == 0 else list(paths)[::-1]
                for n in order:
                    for k, path in enumerate(paths[n]):
                        ms[n][k].append(common.run_measured(gilvm_argv(gilvm, path, []))["wall_ms"])
            cells, marginal, whole, rates = [], [], [], []
            for n in FLAT_THREADS:
                if n not in paths:
                    cells.append(probes[n])
                    continue
                (instr, sw), (start_instr, _) = probes[n]
                full_ms, start_ms = (statistics.median(x) for x in ms[n])
                ns = (full_ms - start_ms) * 1e6 / (instr - start_instr)
                ns_whole = full_ms * 1e6 / instr
                rate = 1000 * sw / instr
                common.log(f"  flat {name}, {n} threads: {instr:,} instructions, {sw:,} switches, "
                           f"{fmt_ms(ms[n][0])} ms (start and join {fmt_ms(ms[n][1])} ms): "
                           f"{ns:.2f} ns per instruction, {ns_whole:.2f} whole-process")
                marginal.append(ns)
                whole.append(ns_whole)
                rates.append(rate)
                cells.append(f"**{ns:.2f}** ({ns_whole:.2f} whole-process; {rate:.0f} sw/k; "
                             f"{fmt_ms(ms[n][0])} ms, start and join {start_ms:.0f} ms)")
            rows.append((name, cells, marginal, whole, rates))
    print()
    print(f"Cost flatness: {FLAT_TOTAL:,} increments in total, split over T threads; gilvm ns per "
          f"instruction from the medians of {runs} interleaved runs, without the threads' start "
          f"and join (in brackets: with them, i.e. whole-process; switches per 1,000 "
          f"instructions; wall ms median [min–max]; the same threads' start and join alone):")
    print()
    print("| workload | " + " | ".join(f"T = {n:,}" for n in FLAT_THREADS) + " | slowest / fastest |")
    print("|---|" + "---|" * (len(FLAT_THREADS) + 1))
    for name, cells, marginal, whole, rates in rows:
        if len(marginal) == len(FLAT_THREADS):
            spread = max(marginal) / min(marginal)
            # "Flat" allows the noise of whole-process wall times on a busy machine.
            verdict = "**pass**" if spread <= FLAT_LIMIT else "**FAIL**"
            summary = (f"{spread:.2f}× (≤ {FLAT_LIMIT}×): {verdict}; whole-process "
                       f"{max(whole) / min(whole):.2f}×")
            if max(rates) > 1.5 * min(rates):
                summary += f"; the program switches {max(rates) / min(rates):.1f}× as often at some T"
        else:
            summary = "incomplete"
        print(f"| {name} | " + " | ".join(cells) + f" | {summary} |")


# Nothing quadratic that CPython does linearly (issue 21): each operation runs n times at
# three sizes; the time per element (the process's CPU time less the same program's at
# n = 0, start-up; CPU time because it is steadier than wall time on a shared machine) should
# stay flat, as CPython's does. Each program prints a checksum, which
# must equal CPython's.
SCALING_SIZES = [100_000, 400_000, 1_600_000]
SCALING_LIMIT = 1.5
SCALING_OPS = [
    ("`s += \"x\"` in a function", """\
def f(n):
    s = ""
    for i in range(n):
        s += "x"
    return s
print(len(f({n})))
"""),
    ("`list.append` then `list.pop()`", """\
def f(n):
    a = []
    for i in range(n):
        a.append(i)
    t = 0
    for i in range(n):
        t += a.pop()
    return t
print(f({n}))
"""),
    # Deleting from the front: the worst case for a dict that shifted its later entries
    # (`vm::dictmap` leaves a tombstone instead).
    ("dict insert then `del`", """\
def f(n):
    d = {{}}
    for i in range(n):
        d[i] = i
    for i in range(n):
        del d[i]
    return len(d)
print(f({n}))
"""),
    ("`in` on a dict and a set", """\
def f(n):
    d = {{i: i for i in range(0, n, 2)}}
    s = set(d)
    c = 0
    for i in range(n):
        if i in d:
            c += 1
        if i in s:
            c += 1
    return c
print(f({n}))
"""),
    ("`str.join` of n strings", """\
def f(n):
    parts = ["ab"] * n
    return len("".join(parts)) + len(",".join(parts))
print(f({n}))
"""),
    ("slicing a list and a str in chunks of 100", """\
def f(n):
    a = list(range(n))
    s = "x" * n
    t = 0
    for i in range(0, n, 100):
        t += len(a[i:i + 100]) + len(s[i:i + 100])
    return t
print(f({n}))
"""),
]


def scaling(gilvm, python, runs):
    """Time per element of each operation at three sizes, gilvm and CPython side by side."""
    print()
    print(f"Nothing quadratic: each operation n times, n = "
          f"{', '.join(f'{n:,}' for n in SCALING_SIZES)}; ns per element = (CPU-time median of "
          f"{runs} − the same program's at n = 0) / n; ratio = the largest n's ns per element / "
          f"the smallest's (flat: ≤ {SCALING_LIMIT}×)")
    print()
    print("| operation | gilvm ns/element | gilvm ratio | CPython ns/element | CPython ratio "
          "| gilvm / CPython at the largest n | verdict |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for oi, op in enumerate(SCALING_OPS):
            name, template = op[0], op[-1]
            sizes = op[1] if len(op) == 3 else SCALING_SIZES
            per = {"g": [], "p": []}
            mismatch = None
            for side in ("g", "p") if python else ("g",):
                base = None
                for n in [0] + sizes:
                    path = os.path.join(tmp, f"scale_{oi}_{n}.py")
                    with open(path, "w") as f:
                        f.write(template.format(n=n))
                    argv = gilvm_argv(gilvm, path, []) if side == "g" else [python, path]
                    ms, out = [], None
                    for _ in range(runs):
                        r = common.run_measured(argv)
                        if r["status"] != 0:
                            mismatch = f"{'gilvm' if side == 'g' else 'CPython'} failed at n = {n}"
                            break
                        ms.append(r["cpu_ms"])
                        out = r["stdout"]
                    if mismatch:
                        break
                    med = statistics.median(ms)
                    if n == 0:
                        base = med
                    else:
                        per[side].append(max(med - base, 0.0) * 1e6 / n)
                        per.setdefault(f"{side}_out_{n}", out)
                    common.log(f"  {name}, {'gilvm' if side == 'g' else 'CPython'}, n = {n:,}: "
                               f"{fmt_ms(ms)} ms CPU")
                if mismatch:
                    break
            if mismatch:
                print(f"| {name} | {mismatch} | | | | | |")
                continue
            for n in sizes:
                p_out = per.get(f"p_out_{n}")
                if p_out is not None and p_out != per[f"g_out_{n}"]:
                    mismatch = f"⚠ at n = {n:,} gilvm printed {per[f'g_out_{n}'].strip()!r}, " \
                               f"CPython {p_out.strip()!r}"
            g, p = per["g"], per["p"]
            g_ratio = g[-1] / g[0] if g[0] > 0 else float("inf")
            cells = " / ".join(f"{x:.0f}" for x in g)
            if sizes != SCALING_SIZES:
                cells += f" (n = {', '.join(f'{n:,}' for n in sizes)})"
            if p:
                p_ratio = p[-1] / p[0] if p[0] > 0 else float("inf")
                p_cells = " / ".join(f"{x:.0f}" for x in p)
                side = f"{g[-1] / p[-1]:.2f}" if p[-1] > 0 else "—"
                p_ratio_s = f"{p_ratio:.2f}×"
            else:
                p_cells, p_ratio_s, side = "—", "—", "—"
            ok = "**pass**" if g_ratio <= SCALING_LIMIT else "**FAIL**"
            print(f"| {name} | {cells} | {g_ratio:.2f}× | {p_cells} | {p_ratio_s} | {side} | "
                  f"{ok}{' ' + mismatch if mismatch else ''} |")


# Threads stay cheap (issue 21): at most 1.3 KB per idle thread up to 1,000,000 threads, and
# the cost per instruction flat from 1 to 1,000,000 threads. One program family serves both:
# T threads start and all block on one Event, then it is set and each runs its share of a
# fixed total of unlocked increments, so at the largest T a million threads are runnable at
# once. The twin with one increment per thread is what starting, blocking, waking and joining
# the threads cost; while its threads wait, the process holds T idle threads, so its peak RSS
# less the same program's at T = 1, over T − 1, is the memory of an idle thread (a `Thread`
# object in the program's list included, as a user's program would hold one). The base is one
# thread, not none: what running any thread at all costs once — the pages of the threading
# code and the per-thread arrays' first blocks, up to 190 KB depending on the binary's layout,
# which at T = 0 landed on the 1,000-thread figure as up to 190 bytes a thread — is not a cost
# per thread. Peak RSS is taken with address-space randomisation off (`common.without_aslr`),
# so each figure is the same from run to run. The cost per
# instruction is the marginal one, (CPU time of the full program − its twin's) / (instructions
# − the twin's): CPU time (user + system) because a million threads' pages make wall time on
# a shared machine mostly waiting.
THREADS_COUNTS = [1, 1_000, 100_000, 1_000_000]
THREADS_TOTAL = 16_000_000
THREADS_BYTES_GOAL = 1300
THREADS_FLAT_LIMIT = 1.5
RSS_RUNS = 7
THREADS_PROGRAM = """\
import threading

counter = 0
go = threading.Event()

def work():
    global counter
    go.wait()
    for _ in range({iters}):
        counter += 1

threads = [threading.Thread(target=work) for _ in range({threads})]
for t in threads:
    t.start()
go.set()
for t in threads:
    t.join()
print(counter)
"""


def threads_cheap(gilvm, runs):
    """Memory per idle thread and cost per instruction at 1 … 1,000,000 threads."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        def write(name, threads, iters):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(THREADS_PROGRAM.format(threads=threads, iters=iters))
            return path

        def median_rss(path, times):
            got = [common.peak_rss_kb(common.without_aslr(gilvm_argv(gilvm, path, [])))
                   for _ in range(times)]
            return statistics.median(kb for kb, _ in got), got[0][1]

        # Without address-space randomisation the figures repeat to the KB; where `setarch`
        # is missing a process's peak RSS wobbles by ~0.6 MB from run to run (where the
        # allocator's arenas and the binary land), which is 600 bytes per thread at 1,000
        # threads but 6 at 100,000: medians of RSS_RUNS runs for T = 1 and for the small T.
        one_rss, how = median_rss(write("t_1_base.py", 1, 1), RSS_RUNS)
        if common.without_aslr(["x"]) != ["x"]:
            how += ", address-space randomisation off"
        for n in THREADS_COUNTS:
            full = write(f"t_{n}_full.py", n, THREADS_TOTAL // n)
            twin = write(f"t_{n}_twin.py", n, 1)
            counts, failed = [], None
            for path in (full, twin):
                probe = common.run_measured(gilvm_argv(gilvm, path, [], quiet=False))
                instr, _ = common.parse_summary(probe["stderr"])
                if probe["status"] != 0 or not instr:
                    failed = f"error (status {probe['status']})"
                    break
                counts.append(instr)
            if failed:
                rows.append((n, failed, None, None))
                continue
            cpu = ([], [])
            for r in range(runs):
                order = (0, 1) if r % 2 == 0 else (1, 0)
                for k in order:
                    res = common.run_measured(gilvm_argv(gilvm, (full, twin)[k], []))
                    cpu[k].append(res["cpu_ms"])
            full_ms, twin_ms = (statistics.median(x) for x in cpu)
            ns = (full_ms - twin_ms) * 1e6 / (counts[0] - counts[1])
            rss, _ = median_rss(twin, RSS_RUNS if n < 100_000 else 1)
            per_thread = (rss - one_rss) * 1024 / max(n - 1, 1)
            common.log(f"  threads {n:,}: {counts[0]:,} instructions, CPU {fmt_ms(cpu[0])} ms, "
                       f"twin {fmt_ms(cpu[1])} ms: {ns:.2f} ns per instruction; peak RSS "
                       f"{rss / 1024:.1f} MB, {per_thread:.0f} bytes per idle thread")
            rows.append((n, f"{fmt_ms(cpu[0])} / {fmt_ms(cpu[1])}", ns, (rss, per_thread)))
    print()
    print(f"Threads stay cheap: T threads block on one Event, then share {THREADS_TOTAL:,} "
          f"unlocked increments; ns per instruction = (CPU-time median of {runs} − the twin's "
          f"with one increment per thread) / (instructions − the twin's); bytes per idle thread "
          f"= (the twin's peak RSS − {one_rss / 1024:.1f} MB at T = 1) / (T − 1), measured with "
          f"{how} (medians of {RSS_RUNS} runs at T = 1 and T < 100,000)")
    print()
    print("| threads | CPU ms full / twin, median [min–max] | ns per instruction | peak RSS (twin) "
          "| bytes per idle thread |")
    print("|---|---|---|---|---|")
    nss, per = [], []
    for n, cells, ns, mem in rows:
        if ns is None:
            print(f"| {n:,} | {cells} | | | |")
            continue
        nss.append(ns)
        rss, per_thread = mem
        if n >= 1000:
            per.append(per_thread)
        bytes_cell = f"{per_thread:,.0f}" if n >= 1000 else "—"
        print(f"| {n:,} | {cells} | **{ns:.2f}** | {rss / 1024:.1f} MB | {bytes_cell} |")
    print()
    if len(nss) == len(THREADS_COUNTS):
        spread = max(nss) / min(nss)
        ok = "**pass**" if spread <= THREADS_FLAT_LIMIT else "**FAIL**"
        print(f"Cost per instruction, slowest / fastest: {spread:.2f}× (≤ {THREADS_FLAT_LIMIT}×): {ok}")
    if per:
        ok = "**pass**" if max(per) <= THREADS_BYTES_GOAL else "**FAIL**"
        print(f"Memory per idle thread, largest: {max(per):,.0f} bytes (≤ {THREADS_BYTES_GOAL:,}): {ok}")


# `--races` may cost at most this many plain runs (issue #18), on the seed's counters:
# unlocked, unlocked under py311 (which prints the full count), locked. A full run prints
# their rows after the main table; `--races` prints only that table (for any `--only`).
RACES_GOAL = 3.0
RACES_SEEDS = ["a", "a/py311", "b"]


def races_overhead(gilvm, progs, runs):
    """`run --races` against a plain `run` of each program, alternating (ABBA), and their
    ratio of medians next to the goal. `--races` exits with status 6 on a racy program."""
    print()
    print(f"`--races` overhead (wall time, median [min–max] of {runs} runs each, alternating; "
          f"goal: at most {RACES_GOAL:.0f}× a plain run)")
    print()
    print("| program | plain ms | --races ms | ratio | goal | verdict | races found |")
    print("|---|---|---|---|---|---|---|")
    for key, fname, extra, *_rest in progs:
        desc = _rest[-1]
        path = os.path.join(common.PROGRAMS, fname)
        plain, raced, found = [], [], "?"
        failed = None
        for i in range(runs):
            order = (False, True) if i % 2 == 0 else (True, False)
            for races in order:
                argv = gilvm_argv(gilvm, path, extra + (["--races"] if races else []), quiet=not races)
                r = common.run_measured(argv, cwd=common.PROGRAMS)
                ok = r["status"] in ((0, 6) if races else (0,))
                if not ok:
                    failed = f"status {r['status']}"
                    break
                (raced if races else plain).append(r["wall_ms"])
                if races:
                    line = [ln for ln in r["stderr"].splitlines() if ln.startswith("gilvm: races:")]
                    found = line[0][len("gilvm: races: "):] if line else "?"
            if failed:
                break
            common.log(f"  {key} run {i + 1}/{runs}: plain {plain[-1]:.0f} ms, --races {raced[-1]:.0f} ms")
        if failed:
            print(f"| ({key}) {desc} | | | | | failed: {failed} | |")
            continue
        ratio = statistics.median(raced) / statistics.median(plain)
        ok = "✓" if ratio <= RACES_GOAL else "✗"
        print(f"| ({key}) {desc} | {fmt_ms(plain)} | {fmt_ms(raced)} | {ratio:.2f}× | "
              f"≤ {RACES_GOAL:.0f}× | {ok} | {found} |")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="runs per program and side (default 7)")
    ap.add_argument("--only", help="comma-separated program keys, e.g. a,b,a/py311")
    ap.add_argument("--skip-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--target-dir", help="cargo target dir (default $CARGO_TARGET_DIR or ./target)")
    ap.add_argument("--python", help="CPython binary (default: the real python3.11 binary)")
    ap.add_argument("--no-flat", action="store_true", help="skip the cost-flatness row")
    ap.add_argument("--flat-only", action="store_true", help="only the cost-flatness row")
    ap.add_argument("--flat-runs", type=int, default=5, help="runs per thread count (default 5)")
    ap.add_argument("--no-scaling", action="store_true",
                    help="skip the nothing-quadratic check (three sizes per operation)")
    ap.add_argument("--scaling-only", action="store_true", help="only the nothing-quadratic check")
    ap.add_argument("--scaling-runs", type=int, default=3, help="runs per size (default 3)")
    ap.add_argument("--no-threads", action="store_true",
                    help="skip the threads-stay-cheap check (1 to 1,000,000 threads)")
    ap.add_argument("--threads-only", action="store_true",
                    help="only the threads-stay-cheap check")
    ap.add_argument("--threads-runs", type=int, default=3, help="runs per thread count (default 3)")
    ap.add_argument("--races", action="store_true",
                    help="only the cost of `--races`: each program with and without it")
    ap.add_argument("--no-races", action="store_true",
                    help="skip the `--races` overhead rows a full run prints for the seed counters")
    args = ap.parse_args()

    gilvm = common.build_gilvm(common.target_dir(args.target_dir), args.skip_build)
    try:
        python, pyver = common.find_cpython(args.python)
        if python is None:
            common.log(f"warning: {pyver}; gilvm only")
            pyver = "none"
        keys = args.only.split(",") if args.only else None
        if args.races:
            progs = [p for p in PROGRAMS if keys is None or p[0] in keys]
            print(f"Command: python3 bench/perf.py {' '.join(sys.argv[1:])}".rstrip())
            races_overhead(gilvm, progs, args.runs)
            return
        only_section = args.flat_only or args.scaling_only or args.threads_only
        progs = [p for p in PROGRAMS if (keys is None or p[0] in keys) and not only_section]
        rows = []
        for prog in progs:
            common.log(f"({prog[0]}) {prog[1]} {' '.join(prog[2])}")
            rows.append(bench_program(gilvm, python, prog, args.runs))
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        print(f"Date: {now} · machine: {os.cpu_count()} CPUs, {cpu_model()} · "
              f"{common.rustc_version()} · CPython {pyver} ({python}) · "
              f"runs per side: {args.runs}, alternating")
        print(f"Command: python3 bench/perf.py {' '.join(sys.argv[1:])}".rstrip())
        if rows:
            print()
            print_table(rows)
        hows = sorted({r["rss_how"] for r in rows if "rss_how" in r})
        if hows:
            print()
            print(f"Peak RSS measured with: {'; '.join(hows)}.")
        if not args.no_flat and not args.scaling_only and not args.threads_only:
            flatness(gilvm, args.flat_runs)
        seeds = [p for p in progs if p[0] in RACES_SEEDS]
        if seeds and not args.no_races:
            races_overhead(gilvm, seeds, args.runs)
        if not args.no_scaling and not args.flat_only and not args.threads_only:
            scaling(gilvm, python, args.scaling_runs)
        if not args.no_threads and not args.flat_only and not args.scaling_only:
            threads_cheap(gilvm, args.threads_runs)
    finally:
        os.unlink(gilvm)


if __name__ == "__main__":
    main()
