"""Learning curves of the adding problem at T = 100: RNN against LSTM and GRU, several seeds.

Run: python benchmarks/adding_curves.py [--seeds 0 1 2] [--cells rnn lstm gru] [--budget 150000]
                                        [--every 5000] [--jobs 2] [--quick]
                                        [--out benchmarks/results/adding100_curves.json]
     python benchmarks/adding_curves.py --merge A.json B.json --out C.json

The settings are benchmarks/tasks.py's ``adding100`` (one layer of 64 units, Adam
lr 3e-3, batch 32, global-norm clipping at 1.0, freshly generated sequences of
length T to T + T/10, the LSTM with forget bias 5, the RNN and GRU with
minilstm's default initialisation), but every (cell, seed) run trains for the
whole budget instead of stopping at the 1997 criterion, so the curves can be
drawn side by side: every ``--every`` sequences the run records, on one
validation set of 1000 sequences (its own seed, the same for every cell), the
share predicted within 0.04 (the 1997 criterion for one sequence) and the mean
absolute error. Lesson 6 draws the file this script writes.

``--jobs 2`` runs two (cell, seed) runs at once in separate processes, each with
one BLAS thread. The default (3 seeds, 150,000 sequences) took the time the
results file records on 2 shared CPU cores; ``--quick`` (2,000 sequences) is a
smoke test of a few seconds. Not part of CI. ``--merge`` joins the runs of files
made with the same settings (seeds run as separate invocations, to use more
processes) into one file that lists every command.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
import time
from multiprocessing import get_context
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # see tasks.py
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import tasks  # noqa: E402  (beside this file: the task's settings, seeds and data)

import minilstm  # noqa: E402

NAME = "adding100"
TASK = tasks.TASKS[NAME]
T = 100


def accuracy_and_mae(model: Any, ds: Any) -> tuple[float, float]:
    """The share of ``ds`` within the 1997 tolerance, and the mean absolute error."""
    err = np.abs(minilstm.predict(model, ds).reshape(-1) - ds.Y.reshape(-1))
    return float((err < minilstm.data.adding.TOLERANCE).mean()), float(err.mean())


def run_curve(job: tuple) -> dict:
    """Train one ``cell`` from ``seed`` for ``budget`` sequences; record the validation set every ``every``."""
    cell, seed, budget, every = job
    task_id = sorted(tasks.TASKS).index(NAME)
    val_set = TASK.make(tasks.VAL_SIZE, tasks.derive_seed(0, task_id, 1))  # one validation set for all runs
    options = {"forget_bias": TASK.forget_bias} if cell == "lstm" else {}
    model = minilstm.Model(TASK.n_in, TASK.hidden, TASK.n_out, cell=cell, readout=TASK.readout,
                           seed=tasks.derive_seed(seed, task_id, 3), **options)
    opt = minilstm.Adam(model.params, lr=TASK.lr)
    start, seen = time.perf_counter(), 0
    acc, mae = accuracy_and_mae(model, val_set)
    curve = {"seen": [0], "accuracy": [acc], "mae": [mae]}
    while seen < budget:
        n = min(every, budget - seen)
        train_set = TASK.make(n, tasks.derive_seed(seed, task_id, 4, seen))
        minilstm.train(model, train_set, optimizer=opt, epochs=1, batch_size=TASK.batch_size,
                       clip_norm=tasks.CLIP_NORM, progress=False, seed=tasks.derive_seed(seed, task_id, 5, seen))
        seen += n
        acc, mae = accuracy_and_mae(model, val_set)
        for key, value in (("seen", seen), ("accuracy", acc), ("mae", mae)):
            curve[key].append(value)
    seconds = time.perf_counter() - start
    print(f"{cell} seed {seed}: accuracy {acc:.3f}, MAE {mae:.4f} after {seen:,} sequences, {seconds:.0f} s",
          flush=True)
    return {"cell": cell, "seed": seed, "seconds": seconds, **curve}


def parse_args(argv: Any = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--cells", nargs="+", choices=("rnn", "lstm", "gru"), default=["rnn", "lstm", "gru"])
    p.add_argument("--budget", type=int, default=150_000, help="training sequences per run")
    p.add_argument("--every", type=int, default=5000, help="sequences between two validation checks")
    p.add_argument("--jobs", type=int, default=2, help="runs at once, one process each")
    p.add_argument("--quick", action="store_true", help="2,000 sequences, checked every 1,000: a smoke test")
    p.add_argument("--out", default=os.path.join("benchmarks", "results", "adding100_curves.json"))
    p.add_argument("--merge", nargs="+", metavar="FILE", help="join these results files' runs into --out")
    return p.parse_args(argv)


def merge(paths: list, out: str) -> None:
    """One results file from several made with the same settings: their runs, seed by seed, and every command."""
    parts = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            parts.append(json.load(f))
    if any(part["settings"] != parts[0]["settings"] for part in parts):
        raise ValueError(f"the files {paths} were made with different settings; only like runs can be merged")
    result = dict(parts[0])
    result["command"] = " ; ".join(part["command"] for part in parts) + " ; then merged by PYTHONPATH=. python " \
        + " ".join(shlex.quote(a) for a in sys.argv)
    result["total_seconds"] = sum(part["total_seconds"] for part in parts)
    result["runs"] = sorted((r for part in parts for r in part["runs"]), key=lambda r: (r["seed"], r["cell"]))
    cells, seeds = {r["cell"] for r in result["runs"]}, {r["seed"] for r in result["runs"]}
    result["complete"] = len({(r["cell"], r["seed"]) for r in result["runs"]}) == len(cells) * len(seeds)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {out}: {len(result['runs'])} runs from {len(paths)} files")


def main(argv: Any = None) -> None:
    args = parse_args(argv)
    if args.merge:
        return merge(args.merge, args.out)
    budget, every = (2000, 1000) if args.quick else (args.budget, args.every)
    jobs = [(cell, seed, budget, every) for seed in args.seeds for cell in args.cells]  # seed by seed
    start, runs = time.perf_counter(), []
    with get_context("spawn").Pool(args.jobs) as pool:
        for run in pool.imap_unordered(run_curve, jobs, chunksize=1):  # the file grows run by run
            runs.append(run)
            write(args, budget, every, sorted(runs, key=lambda r: (jobs.index((r["cell"], r["seed"], budget, every)))),
                  time.perf_counter() - start, done=len(runs) == len(jobs))
    print(f"wrote {args.out} ({(time.perf_counter() - start) / 60:.1f} min)")


def write(args: argparse.Namespace, budget: int, every: int, runs: list, total: float, done: bool) -> None:
    """The results file: settings, how it was made, and every finished run's curve."""
    result = {
        "task": f"adding problem, T = {T} (lengths {T} to {T + T // 10})",
        "command": "PYTHONPATH=. python " + " ".join(shlex.quote(a) for a in sys.argv),
        "date": datetime.date.today().isoformat(),
        "machine": f"numpy {np.__version__}, Python {platform.python_version()}, {platform.system()}, "
                   f"os.cpu_count() = {os.cpu_count()}, {args.jobs} runs at once, one BLAS thread each",
        "total_seconds": total,
        "complete": done,
        "settings": {"hidden": TASK.hidden, "lr": TASK.lr, "batch_size": TASK.batch_size, "clip_norm": tasks.CLIP_NORM,
                     "lstm_forget_bias": TASK.forget_bias, "budget": budget, "every": every,
                     "validation_size": tasks.VAL_SIZE, "tolerance": minilstm.data.adding.TOLERANCE},
        "runs": runs,
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)

if __name__ == "__main__":
    main()
