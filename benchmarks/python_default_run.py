"""The python task's default run, timed: does it beat gzip -9 within ten minutes on two cores?

    python benchmarks/python_default_run.py            # runs the command below, writes results/python_default_run.json
    python benchmarks/python_default_run.py --long     # the README's longer run, writes results/python_long_run.json

The longer run is ``python -m minilstm train --task python --hidden 512 --recurrent-dropout 0.25 --epochs 10``:
the one meant to get below bz2 -9 (without the dropout it overfits: its held-out bits per character had nearly
stopped falling after 5 epochs while its training loss went on down; ``results/python_long_run_no_dropout.log``).
Its paragraph is the README's ``<!-- python-long-run -->`` block.

It runs ``python -m minilstm train --task python --out runs/python-lstm --force --no-progress`` exactly as a user
would (a child process, the BLAS threads the machine gives), and records its wall and CPU time, the held-out
bits per character after each epoch (from the run's ``metrics.json``), the compressors' figures on the same
held-out text, the machine's load while it ran, and the BLAS kernel. The README's ``<!-- python-default-run -->``
block is built from that file. Like every timing script here it unsets ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` for its own run, so OpenBLAS picks the CPU's kernel.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_info

from minilstm import data  # NumPy with it, so threadpoolctl sees its BLAS

ROOT = Path(__file__).resolve().parents[1]
RUNS = {
    # name: (results file, run folder, the options after ``--task python``)
    "default": ("python_default_run.json", "runs/python-lstm", []),
    "long": ("python_long_run.json", "runs/python-512", ["--hidden", "512", "--recurrent-dropout", "0.25",
                                                          "--epochs", "10"]),
}

RESULTS = ROOT / "benchmarks" / "results" / RUNS["default"][0]  # the default run's results
LONG_RESULTS = ROOT / "benchmarks" / "results" / RUNS["long"][0]  # the longer run's


def _command(options: list[str]) -> str:
    return " ".join(["python -m minilstm train --task python", *options])


def block(r: dict) -> str:
    """The README's paragraph on the default run, from its results."""
    epochs = ", ".join(f"{b:.3f}" for b in r["val_bpc"])
    long = r.get("run", "default") == "long"
    mark = "bz2" if long else "gzip"
    verdict = "below" if r["val_bpc"][-1] < r[mark] else "not below"
    others = [m for m in ("gzip", "bz2", "xz") if m != mark]
    names = {"gzip": "gzip -9", "bz2": "bz2 -9", "xz": "xz -9e"}
    return (f"The {'longer' if long else 'default'} run, `{r['command']}`, measured by "
            f"`python benchmarks/python_default_run.py{' --long' if long else ''}` on {r['machine']} "
            f"({r['cores']} cores, BLAS {r['blas']}; load average {r['load_before']:.1f} before it started, "
            f"{r['load_after']:.1f} after): held-out bits per character {epochs} after its {len(r['val_bpc'])} "
            f"epochs, {verdict} {names[mark]}'s {r[mark]:.3f} ({names[others[0]]} {r[others[0]]:.3f}, "
            f"{names[others[1]]} {r[others[1]]:.3f}), in {r['wall_s'] / 60:.1f} minutes of wall time and "
            f"{r['cpu_s'] / 60:.1f} of CPU time.")


def _blas() -> str:
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return f"{info[0].get('internal_api')} {info[0].get('architecture')}" if info else "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="time the README's longer run instead of the default")
    name = "long" if parser.parse_args(argv).long else "default"
    results_name, out, options = RUNS[name]
    command = [sys.executable, "-m", "minilstm", "train", "--task", "python", *options, "--out", out, "--force",
               "--no-progress"]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    metrics = json.loads((ROOT / out / "metrics.json").read_text(encoding="utf-8"))
    held_out = data.python_corpus()["held_out_text"]
    marks = {m: data.compressed_bits_per_char(held_out, m) for m in ("gzip", "bz2", "xz")}
    results = {
        "run": name,
        "command": _command(options),
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "blas": _blas(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "val_bpc": metrics["history"]["val_bpc"],
        **marks,
        "metrics": metrics,
    }
    (ROOT / "benchmarks" / "results" / results_name).write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(block(results))


if __name__ == "__main__":
    main()
