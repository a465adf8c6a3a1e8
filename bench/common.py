"""Shared helpers of the benchmark harness (perf.py) and the instruction-count guard (guard.py).

Python 3 standard library only. Everything here is about *finding and building* the two
interpreters being compared and about running one process and measuring it:

- gilvm is built with `cargo build --release` and the binary is then copied to a private
  temporary file, so another build writing the same target directory cannot swap the binary
  under a measurement.
- CPython is the real 3.11 interpreter binary (`sys.executable`), never the pyenv shell shim,
  which adds about 47 ms of start-up to every run.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = os.path.join(REPO, "bench", "programs")

# What gilvm prints on stderr when a program uses a feature it does not implement yet.
NOT_YET = re.compile(r"NotImplementedError: (.*not available in gilvm yet.*)")
# The run summary: "gilvm: seed 1 · model any (...) · 2,800,175 instructions · 28,002 switches · ..."
SUMMARY_INSTR = re.compile(r"· ([\d,]+) instructions")
SUMMARY_SWITCHES = re.compile(r"· ([\d,]+) switches")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def target_dir(explicit=None):
    """The cargo target directory: --target-dir, else $CARGO_TARGET_DIR, else <repo>/target."""
    return explicit or os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")


def build_gilvm(tdir, skip_build=False):
    """Builds gilvm in release mode into `tdir` and returns a private copy of the binary."""
    if not skip_build:
        log(f"building: cargo build --release (target dir {tdir}) ...")
        t0 = time.monotonic()
        env = dict(os.environ, CARGO_TARGET_DIR=tdir)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, env=env, check=True)
        log(f"built in {time.monotonic() - t0:.1f} s")
    built = os.path.join(tdir, "release", "gilvm")
    if not os.path.exists(built):
        sys.exit(f"error: {built} does not exist (build it, or drop --skip-build)")
    fd, private = tempfile.mkstemp(prefix="gilvm-bench-")
    os.close(fd)
    shutil.copy2(built, private)
    os.chmod(private, 0o755)
    return private


def find_cpython(explicit=None):
    """The real CPython 3.11 binary and its version string, or (None, reason)."""
    candidates = []
    if explicit:
        candidates.append(([explicit], {}))
    else:
        # pyenv: pin 3.11.7 (harmless when python3 is not a pyenv shim), then plain names.
        candidates.append((["python3"], {"PYENV_VERSION": "3.11.7"}))
        candidates.append((["python3.11"], {}))
        candidates.append((["python3"], {}))
    probe = "import sys; print(sys.executable); print(sys.version.split()[0])"
    for argv, extra in candidates:
        try:
            out = subprocess.run(argv + ["-c", probe], env=dict(os.environ, **extra),
                                 capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        lines = out.stdout.split()
        if out.returncode == 0 and len(lines) == 2 and (explicit or lines[1].startswith("3.11")):
            return os.path.realpath(lines[0]), lines[1]
    return None, "no CPython 3.11 found (tried PYENV_VERSION=3.11.7 python3, python3.11, python3)"


def run_measured(argv, cwd=None, timeout=600):
    """Runs argv once. Returns dict(wall_ms, cpu_ms, maxrss_kb, status, stdout, stderr).

    Wall time is the whole process (spawn to reap). Output goes to temporary files, not pipes,
    so a chatty child can never block while we sit in wait4. `maxrss_kb` is wait4's ru_maxrss,
    which on Linux is never below the *harness's* own peak RSS (see peak_rss_kb), so use
    peak_rss_kb for memory figures.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        # Block in wait4 (no polling: the harness must not compete for the CPU it measures);
        # a timer kills a runaway child.
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, rusage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = (time.perf_counter() - t0) * 1000.0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "wall_ms": wall,
            "maxrss_kb": rusage.ru_maxrss,
            "cpu_ms": (rusage.ru_utime + rusage.ru_stime) * 1000.0,
            "status": proc.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def parse_summary(stderr):
    """(instructions, switches) from gilvm's run summary, or (None, None)."""
    m = SUMMARY_INSTR.search(stderr)
    s = SUMMARY_SWITCHES.search(stderr)
    instr = int(m.group(1).replace(",", "")) if m else None
    sw = int(s.group(1).replace(",", "")) if s else None
    return instr, sw


def not_yet(stderr):
    """The 'not available in gilvm yet' message when a program needs a missing feature."""
    m = NOT_YET.search(stderr)
    return m.group(1) if m else None


def rustc_version():
    try:
        return subprocess.run(["rustc", "--version"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def libc_version():
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") or "unknown"
    except (ValueError, OSError):
        return "unknown"


GNU_TIME = "/usr/bin/time"


def _gnu_time_works():
    try:
        out = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True,
                             timeout=30)
        return out.returncode == 0 and out.stderr.strip().isdigit()
    except (OSError, subprocess.TimeoutExpired):
        return False


def without_aslr(argv):
    """argv run with address-space randomisation off (`setarch -R`), when the machine can.

    A process's peak RSS moves by ~0.5 MB from run to run with where the kernel places its
    binary, heap and mappings; with the layout fixed, the same run gives the same figure to
    the KB, which is what a difference of a few hundred bytes per thread needs.
    """
    setarch = shutil.which("setarch")
    if setarch and subprocess.run([setarch, "-R", "true"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode == 0:
        return [setarch, "-R"] + list(argv)
    return list(argv)


def peak_rss_kb(argv, cwd=None):
    """Peak RSS of one run of argv in KB, and how it was measured.

    Linux's ru_maxrss (wait4/getrusage) of an exec'd child includes the memory of the process
    that forked it: at exec the old address space's high-water mark is kept (fs/exec.c), and a
    forked copy (or a vfork'd child, which shares the parent's memory) starts with the parent's
    resident pages. Spawned from this Python harness, even /bin/true reports ~10-14 MB. So the
    child is forked by GNU time (a small C program, which reads the same wait4 rusage) when
    it is installed; otherwise we fork directly and report the harness's floor alongside.
    """
    if _gnu_time_works():
        with tempfile.NamedTemporaryFile("r") as f:
            subprocess.run([GNU_TIME, "-f", "%M", "-o", f.name] + argv, cwd=cwd,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            text = f.read().strip().splitlines()
        if text and text[-1].isdigit():
            return int(text[-1]), "GNU time"
    floor = _fork_wait4_rss(["/bin/true"], cwd)
    rss = _fork_wait4_rss(argv, cwd)
    return rss, f"wait4 (values below {floor / 1024:.0f} MB are the harness's floor)"


def _fork_wait4_rss(argv, cwd):
    pid = os.fork()
    if pid == 0:  # the child: only exec or _exit
        try:
            if cwd:
                os.chdir(cwd)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, _, rusage = os.wait4(pid, 0)
    return rusage.ru_maxrss
