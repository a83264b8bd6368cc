"""The python task's default run, timed: does it beat gzip -9 within ten minutes on two cores?

    python benchmarks/python_default_run.py            # runs the command below, writes results/python_default_run.json

It runs ``python -m minilstm train --task python --out runs/python-lstm --force --no-progress`` exactly as a user
would (a child process, the BLAS threads the machine gives), and records its wall and CPU time, the held-out
bits per character after each epoch (from the run's ``metrics.json``), the compressors' figures on the same
held-out text, the machine's load while it ran, and the BLAS kernel. The README's ``<!-- python-default-run -->``
block is built from that file. Like every timing script here it unsets ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` for its own run, so OpenBLAS picks the CPU's kernel.
"""
from __future__ import annotations

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
RESULTS = ROOT / "benchmarks" / "results" / "python_default_run.json"
OUT = "runs/python-lstm"
COMMAND = [sys.executable, "-m", "minilstm", "train", "--task", "python", "--out", OUT, "--force", "--no-progress"]


def block(r: dict) -> str:
    """The README's paragraph on the default run, from its results."""
    epochs = ", ".join(f"{b:.3f}" for b in r["val_bpc"])
    verdict = "below" if r["val_bpc"][-1] < r["gzip"] else "not below"
    return (f"The default run, `python -m minilstm train --task python`, measured by "
            f"`python benchmarks/python_default_run.py` on {r['machine']} ({r['cores']} cores, BLAS "
            f"{r['blas']}; load average {r['load_before']:.1f} before it started): held-out bits per character "
            f"{epochs} after its {len(r['val_bpc'])} epochs, {verdict} gzip -9's {r['gzip']:.3f} (bz2 -9 "
            f"{r['bz2']:.3f}, xz -9e {r['xz']:.3f}), in {r['wall_s'] / 60:.1f} minutes of wall time and "
            f"{r['cpu_s'] / 60:.1f} of CPU time.")


def _blas() -> str:
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return f"{info[0].get('internal_api')} {info[0].get('architecture')}" if info else "unknown"


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run(COMMAND, cwd=ROOT, env=env, check=True)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    metrics = json.loads((ROOT / OUT / "metrics.json").read_text(encoding="utf-8"))
    held_out = data.python_corpus()["held_out_text"]
    marks = {m: data.compressed_bits_per_char(held_out, m) for m in ("gzip", "bz2", "xz")}
    results = {
        "command": "python -m minilstm train --task python",
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
    RESULTS.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(block(results))


if __name__ == "__main__":
    main()
