#!/usr/bin/env python3
"""Build gilvm's wheel, install it into a fresh virtual environment and run the demo from it.

This is what `pip install gilvm` / `pipx install gilvm` / `uv tool install gilvm` gives a
user: the `gilvm` binary on the PATH with no Rust toolchain. The script

1. installs maturin (from PyPI, into target/wheel-check/build-venv) unless it is importable,
2. builds the wheel with `maturin build --release` (the release build shares target/),
3. creates a fresh virtual environment (target/wheel-check/venv) and installs the wheel in it
   with pip, offline (`--no-index`: the wheel has no dependencies),
4. runs `gilvm run programs/counter_race.toy --seed 7` with a PATH made of the venv's bin/ and
   the system directories that hold no `cargo` or `rustc`, and compares exit status, stdout
   and stderr with programs/counter_race.run.golden, byte for byte.

Exit status 0 when all of it holds; otherwise it says what differed and exits 1.
`.ci/run` runs it; run it locally with `python3 scripts/wheel_check.py`.
"""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "wheel-check"
GOLDEN = ROOT / "programs" / "counter_race.run.golden"


def step(msg):
    print(f"wheel-check: {msg}", flush=True)


def fail(msg):
    print(f"wheel-check: FAILED: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd, **kw):
    step("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def bin_dir(env_dir):
    return env_dir / ("Scripts" if os.name == "nt" else "bin")


def maturin_command():
    """`python -m maturin` from this Python if it has maturin, else from a build venv."""
    probe = subprocess.run(
        [sys.executable, "-m", "maturin", "--version"], capture_output=True, text=True
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "maturin"]
    build_venv = WORK / "build-venv"
    py = bin_dir(build_venv) / "python"
    if not py.exists():
        venv.create(build_venv, with_pip=True)
    run([py, "-m", "pip", "install", "--quiet", "maturin>=1.5,<2.0"])
    return [py, "-m", "maturin"]


def toolchain_free_path(venv_bin):
    """The venv's bin/ and the standard system directories without cargo or rustc."""
    dirs = [str(venv_bin)]
    for d in ["/usr/local/bin", "/usr/bin", "/bin"]:
        if not any(Path(d, tool).exists() for tool in ("cargo", "rustc")):
            dirs.append(d)
    return os.pathsep.join(dirs)


def parse_golden(text):
    """(command, exit status, stdout, stderr) of a golden file (tests/golden.rs's format)."""
    head, rest = text.split("\n--- stdout\n", 1)
    stdout, stderr = rest.split("--- stderr\n", 1)
    command, exit_line = head.split("\n", 1)
    return command.removeprefix("$ "), int(exit_line.removeprefix("exit: ")), stdout, stderr


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    dist = WORK / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    run(maturin_command() + ["build", "--release", "--out", dist], cwd=ROOT)
    wheels = sorted(dist.glob("gilvm-*.whl"))
    if len(wheels) != 1:
        fail(f"expected one wheel in {dist}, found {[w.name for w in wheels]}")
    wheel = wheels[0]
    step(f"built {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB)")

    env_dir = WORK / "venv"
    shutil.rmtree(env_dir, ignore_errors=True)
    venv.create(env_dir, with_pip=True)
    py = bin_dir(env_dir) / "python"
    run([py, "-m", "pip", "install", "--quiet", "--no-index", wheel])

    path = toolchain_free_path(bin_dir(env_dir))
    for tool in ("cargo", "rustc"):
        if shutil.which(tool, path=path):
            fail(f"{tool} is on the test PATH {path}")
    gilvm = shutil.which("gilvm", path=path)
    if gilvm is None or Path(gilvm).parent != bin_dir(env_dir):
        fail(f"the wheel put no gilvm in {bin_dir(env_dir)} (found {gilvm})")

    command, want_code, want_out, want_err = parse_golden(GOLDEN.read_text())
    args = command.split()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO", "RUSTUP"))}
    env["PATH"] = path
    step(f"$ PATH={path} {command}")
    got = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    sys.stdout.write(got.stdout)
    sys.stderr.write(got.stderr)
    if (got.returncode, got.stdout, got.stderr) != (want_code, want_out, want_err):
        fail(
            f"the installed gilvm's output differs from {GOLDEN.relative_to(ROOT)}:\n"
            f"exit {got.returncode} (want {want_code})\n--- stdout\n{got.stdout}"
            f"--- want\n{want_out}--- stderr\n{got.stderr}--- want\n{want_err}"
        )
    step("ok: the wheel installs gilvm on the PATH and the demo runs from a venv without cargo")


if __name__ == "__main__":
    main()
