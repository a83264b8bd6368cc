"""What the README's test command costs a newcomer: install time, disk, test time and counts.

Run: python benchmarks/test_cost.py [--readme-only]

1. Clones this repository's HEAD into a temporary folder (a fresh clone, as a
   newcomer has; uncommitted changes are not in it), makes a fresh virtual
   environment there and upgrades its pip, as ``.ci/run`` does.
2. Runs the README's test command in two timed parts, ``pip install -e ".[test]"``
   and ``python -m pytest``, and reads pytest's summary line (passed, skipped,
   failed) and the number of test processes (``-n auto``: one per CPU).
3. Times the quick subset the README offers a learner who changed one cell
   (``QUICK``), and measures the environment's size on disk and PyTorch's part of it.
4. Writes ``benchmarks/results/test_cost.json`` (with the machine, the BLAS
   kernel, the commit and the date) and rebuilds the README's paragraph between
   ``<!-- test-cost -->`` markers from it with ``readme_blocks.test_cost_block``
   (``--readme-only`` does only this; ``tests/test_readme_results.py`` checks
   that the README matches the file).

As every benchmark here, it unsets ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``
for its own children, so OpenBLAS picks the CPU's own kernel. It takes about as
long as the install and the test run (a few minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import readme_blocks  # beside this file: the README's blocks, this one's among them

ROOT = Path(__file__).resolve().parents[1]
RESULTS = readme_blocks.TEST_COST_RESULTS
README = readme_blocks.README
INSTALL = ["pip", "install", "-e", ".[test]"]   # the README's test command, in its two parts
TEST = ["python", "-m", "pytest"]
CELL = "gru"  # the cell of the quick subset's example
QUICK = ["python", "-m", "pytest", "-n", "0", f"tests/cells/test_{CELL}.py", "tests/test_gradcheck_cells.py",
         "tests/test_torch_parity.py", "tests/nn/test_recurrent_cells.py", "-k", CELL]
SUMMARY = re.compile(r"(\d+) (passed|skipped|failed|errors?|deselected)")


def counts(output: str) -> dict:
    """pytest's summary line (``1900 passed, 315 skipped in 81.40s``) as numbers."""
    line = [row for row in output.splitlines() if " in " in row and SUMMARY.search(row)][-1]
    return {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in SUMMARY.findall(line)}


def timed(command: list, cwd: Path, env: dict) -> tuple[float, str]:
    """Seconds of wall time and the output of ``command``, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def megabytes(path: Path) -> float:
    """Size on disk of everything under ``path``, in MB (10^6 bytes)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def environment(venv: Path) -> dict:
    """A child environment that runs the venv's Python and lets OpenBLAS pick the CPU's kernel."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                            "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def machine(clone: Path, env: dict) -> dict:
    """The CPU, cores, BLAS kernel and threads the tests ran with, and the commit measured."""
    probe = ("import json, numpy, threadpoolctl; print(json.dumps([{'kernel': p.get('architecture'), "
             "'threads': p['num_threads'], 'library': p['internal_api']} for p in threadpoolctl.threadpool_info() "
             "if p['user_api'] == 'blas']))")
    blas = json.loads(subprocess.run(["python", "-c", probe], cwd=clone, env=env, capture_output=True,
                                     text=True, check=True).stdout)
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or platform.machine()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True,
                            check=True).stdout.strip()
    return {"date": datetime.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "blas": blas, "commit": commit}


def measure(work: Path) -> dict:
    """Clone, install and test in ``work``; every figure the README's paragraph states."""
    clone = work / "minilstm"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = environment(venv)
    subprocess.run(["python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"], env=env, check=True)
    install_s, _ = timed(INSTALL, clone, env)
    test_s, out = timed(TEST, clone, env)
    quick_s, quick_out = timed(QUICK, clone, env)
    site = next((venv / "lib").glob("python*/site-packages"))
    return {"machine": machine(clone, env),
            "install_s": round(install_s, 1), "test_s": round(test_s, 1), "tests": counts(out),
            "quick_command": " ".join(QUICK), "quick_s": round(quick_s, 1), "quick_tests": counts(quick_out),
            "environment_mb": round(megabytes(site)), "torch_mb": round(megabytes(site / "torch"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readme-only", action="store_true", help="measure nothing; rebuild the README paragraph")
    args = parser.parse_args()
    if not args.readme_only:
        work = Path(tempfile.mkdtemp(prefix="minilstm-test-cost-"))
        try:
            results = measure(work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(results, indent=2))
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    block = readme_blocks.test_cost_block(results)
    readme = readme_blocks.rebuilt(README.read_text(encoding="utf-8"), "test-cost", block)
    README.write_text(readme, encoding="utf-8")
    print("rebuilt the README's test-cost paragraph")


if __name__ == "__main__":
    main()
