"""How many BLAS threads should minilstm train with? Times three runs under three thread settings.

Run: python benchmarks/blas_threads.py [--repeats 3] [--epochs 20] [--timeout 180] [--quick]

Runs (each in a fresh Python process, timed inside it, training only):
- ``default run``: ``python -m minilstm train`` with every default (an LSTM on the noisy sine);
- ``forecaster``: the seed articles' pipeline: the noisy sine in windows of 20, an LSTM of 50
  units, Adam at 1e-3, batches of 32, gradient norm clipped at 1.0, ``--epochs`` epochs;
- ``large layer``: 4 training steps of an LSTM with H = 512 on batches of B = 64 (T = 50, D = 64),
  where BLAS threads have the most to give.

Thread settings:
- ``1 thread``: ``OPENBLAS_NUM_THREADS=1`` (the library then leaves BLAS alone);
- ``default threads``: ``OPENBLAS_NUM_THREADS`` = the number of cores, OpenBLAS's own default,
  which is what users got before minilstm limited the threads itself;
- ``policy``: no variable set, so minilstm's policy (:mod:`minilstm.threads`) decides.

Conditions: ``idle`` (nothing added; the script prints the load average, which counts other users'
work too) and ``busy`` (one spinning process per core, as when another program or a test suite
runs). The repeats are interleaved (each repeat runs every setting once, in turn), and the table
gives medians. ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are removed from the environment of the
measured processes only, so that OpenBLAS picks its kernel from the CPU itself.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORES = os.cpu_count() or 1
SETTINGS = {"1 thread": "1", "default threads": str(CORES), "policy": None}

FORECASTER = """
import time, minilstm
from minilstm import data
train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=0))
model = minilstm.Model(1, 50, 1, cell="lstm", seed=0)
start = time.perf_counter()
minilstm.train(model, train_set, val_data=val_set, optimizer="adam", lr=1e-3, epochs={epochs},
               batch_size=32, clip_norm=1.0, progress=False, seed=0)
print(time.perf_counter() - start)
"""

LARGE = """
import time, numpy as np, minilstm
rng = np.random.default_rng(0)
X, Y = rng.standard_normal((256, 50, 64)).astype("float32"), rng.standard_normal((256, 1)).astype("float32")
model = minilstm.Model(64, 512, 1, cell="lstm", seed=0)
start = time.perf_counter()
minilstm.train(model, (X, Y), epochs=1, batch_size=64, progress=False, seed=0)
print(time.perf_counter() - start)
"""


def _env(threads: str | None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                        "MKL_NUM_THREADS", "BLIS_NUM_THREADS")}
    env["PYTHONPATH"] = os.pathsep.join([ROOT, env.get("PYTHONPATH", "")])
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = threads
    return env


def _time(run: str, threads: str | None, epochs: int, timeout: float) -> float:
    """Seconds of training of ``run`` in a fresh process; inf when it ran past ``timeout``."""
    try:
        if run == "default run":
            with tempfile.TemporaryDirectory() as out:
                subprocess.run([sys.executable, "-m", "minilstm", "train", "--out", out, "--no-progress"],
                               env=_env(threads), check=True, capture_output=True, timeout=timeout)
                with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
                    return float(json.load(f)["seconds"])
        code = FORECASTER.format(epochs=epochs) if run == "forecaster" else LARGE
        done = subprocess.run([sys.executable, "-c", code], env=_env(threads), check=True, capture_output=True,
                              text=True, timeout=timeout)
        return float(done.stdout.split()[-1])
    except subprocess.TimeoutExpired:
        return float("inf")


def _spinners() -> list:
    """One busy-looping process per core."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(CORES)]


def _loadavg() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def _kernel() -> str:
    done = subprocess.run([sys.executable, "-c", "import json, numpy, threadpoolctl; "
                           "print(json.dumps(threadpoolctl.threadpool_info()))"],
                          env=_env(None), capture_output=True, text=True, check=True)
    libs = [f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')} kernel, "
            f"{p.get('num_threads')} threads by default)" for p in json.loads(done.stdout)]
    return "; ".join(libs) or "no BLAS found by threadpoolctl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats per cell (default 3)")
    parser.add_argument("--epochs", type=int, default=20, help="forecaster epochs (default 20)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a run counts as > timeout")
    parser.add_argument("--quick", action="store_true", help="1 repeat, 2 forecaster epochs: a smoke test")
    args = parser.parse_args()
    repeats, epochs = (1, 2) if args.quick else (args.repeats, args.epochs)
    runs = ["default run", "forecaster", "large layer"]
    print(f"BLAS: {_kernel()}; {CORES} cores; {repeats} interleaved repeats; forecaster {epochs} epochs")
    rows = []
    for condition in ("idle", "busy"):
        spinners = _spinners() if condition == "busy" else []
        try:
            if spinners:
                time.sleep(1.0)  # let the spinners take the cores
            load_before = _loadavg()
            times = {(r, s): [] for r in runs for s in SETTINGS}
            for rep in range(repeats):
                for run in runs:
                    for name, threads in SETTINGS.items():
                        t = _time(run, threads, epochs, args.timeout)
                        times[run, name].append(t)
                        print(f"  {condition} repeat {rep + 1}: {run}, {name}: {t:.2f} s", flush=True)
            print(f"{condition}: load average {load_before} before, {_loadavg()} after")
        finally:
            for p in spinners:
                p.kill()
                p.wait()
        for run in runs:
            med = {s: statistics.median(times[run, s]) for s in SETTINGS}
            rows.append((run, condition, med))
    print("\n| run | condition | 1 thread (s) | default threads (s) | policy (s) | policy / 1 thread "
          "| policy / default |")
    print("|---|---|---:|---:|---:|---:|---:|")
    def fmt(t: float) -> str:
        return f"> {args.timeout:.0f}" if t == float("inf") else f"{t:.2f}"

    for run, condition, med in rows:
        one, default, policy = med["1 thread"], med["default threads"], med["policy"]
        print(f"| {run} | {condition} | {fmt(one)} | {fmt(default)} | {fmt(policy)} | {policy / one:.2f} "
              f"| {policy / default:.2f} |")


if __name__ == "__main__":
    main()
