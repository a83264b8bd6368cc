"""Regenerate the examples' committed figures and results, and every README block built from a results file.

Run: python examples/regenerate.py [--only {examples,tasks,flow}] [--readme-only] [--work DIR]

1. Every example in examples/ runs in full (its own sizes, no --quick), each in
   a fresh process, into WORK/examples/<name>/; its figures are copied to
   examples/figures/ and the numbers it printed (its results.json) go into
   examples/results.json.
2. ``python -m minilstm train --task TASK --no-progress`` runs for each built-in
   task into WORK/tasks/<task>/; its metrics.json (settings, losses, final
   metrics, training time), the load average at its start, the data's sizes and
   the task's chance level go into examples/task_defaults.json.
3. ``python -m minilstm flow`` runs as a class would run it, timed, into
   WORK/flow/; the gradient norms it prints, to full precision, go into
   examples/flow.json.
4. Every README block between marker comments (``<!-- name -->`` ...
   ``<!-- /name -->``) is rebuilt from its committed results file by
   benchmarks/readme_blocks.py: the default run in "Two commands", the
   gradient-flow table, the examples table and "Every task's default" from the
   files above, and the Speed, BLAS threads and classic results tables from
   benchmarks/results/, which the benchmarks wrote (--readme-only does only
   this; tests/test_readme_results.py checks that the README matches the files,
   tests/test_readme_numbers.py the numbers in its prose).

Each results file records the machine, the BLAS library, the date and the
wall time of its part. The children run with one BLAS thread unless
OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS, MKL_NUM_THREADS) is set, and import
this checkout's minilstm. WORK is runs/regenerate under the current folder
unless --work says otherwise.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # this checkout's minilstm, the one the results describe (as its children get)
sys.path.insert(1, str(ROOT / "benchmarks"))   # readme_blocks, which builds the README from the results files

import numpy as np  # noqa: E402
from readme_blocks import EXAMPLE_RESULTS, FLOW_RESULTS, README, TASK_RESULTS, examples, readme_text  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import minilstm  # noqa: E402

FIGURES = ROOT / "examples" / "figures"
TASKS = ("sine", "adding", "reber", "order", "copy", "text")
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child_env() -> dict:
    """The children's environment: this checkout's minilstm first, one BLAS thread unless set, no display."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT),
                                                                                     os.environ.get("PYTHONPATH")))))
    for var in BLAS_VARS:
        env.setdefault(var, "1")
    return env


def machine(env: dict) -> dict:
    """Where and when the numbers were made."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or platform.machine()
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:  # no git
        commit = ""
    blas = [{"library": p["internal_api"], "version": p["version"], "kernel": p.get("architecture")}
            for p in threadpool_info() if p["user_api"] == "blas"]
    return {"date": datetime.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(),
            "system": platform.system(), "python": platform.python_version(), "numpy": np.__version__,
            "minilstm": minilstm.__version__, "commit": commit or None, "blas": blas,
            "blas_threads": {var: env[var] for var in BLAS_VARS}}


def run_examples(work: Path, env: dict, where: dict) -> dict:
    """Run every example in full; copy its figures to examples/figures/; return what it printed."""
    start, printed = time.perf_counter(), {}
    FIGURES.mkdir(exist_ok=True)
    for script in examples():
        out = work / script.stem
        print(f"== python examples/{script.name} --out {out}", flush=True)
        subprocess.run([sys.executable, str(script), "--out", str(out)], env=env, check=True)
        printed[script.stem] = json.loads((out / "results.json").read_text(encoding="utf-8"))
        for png in sorted(out.glob("*.png")):
            shutil.copyfile(png, FIGURES / png.name)
    return {"machine": where, "seconds": time.perf_counter() - start, "examples": printed}


def run_task_defaults(work: Path, env: dict, where: dict) -> dict:
    """Run ``python -m minilstm train --task TASK --no-progress`` for each task; return its metrics and facts."""
    from minilstm import cli  # the command's own tasks: their data, chance level, sample temperature

    start, runs = time.perf_counter(), {}
    for task in TASKS:
        out = work / task
        command = ["python", "-m", "minilstm", "train", "--task", task, "--no-progress"]
        print(f"== {' '.join(command)} --out {out}", flush=True)
        load = os.getloadavg()[0]
        # --force: the work folder's run of an earlier regeneration is replaced
        subprocess.run([sys.executable, *command[1:], "--out", str(out), "--force"], env=env, check=True)
        metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
        runs[task] = {"command": " ".join(command), "load": load, "seconds": metrics["seconds"],
                      "settings": metrics["settings"], "final": metrics["final"],
                      "train_loss": metrics["train_loss"], "val_loss": metrics["val_loss"],
                      "data": task_data(cli.TASKS[task], metrics["settings"])}
        if "sample" in metrics:
            known, words = cli.known_words(metrics["sample"], runs[task]["data"].pop("corpus"))
            runs[task]["sample"] = {"text": metrics["sample"], "temperature": cli.SAMPLE_TEMPERATURE,
                                    "known_words": known, "whole_words": words}
    return {"machine": where, "seconds": time.perf_counter() - start, "tasks": runs}


def task_data(task: Any, settings: dict) -> dict:
    """The sizes of the task's data as the command made them (``task`` is its ``cli.TASKS`` entry), and the
    score of a model that learned nothing."""
    train_set, val_set = task.make(settings["seed"], settings["length"])
    facts = {"train_sequences": len(train_set), "val_sequences": len(val_set), "chance": task.chance}
    if task.chance is None and val_set.kind.startswith("classify"):   # text: always the commonest character
        facts["chance"] = float(np.bincount(val_set.Y.ravel()).max() / val_set.Y.size)
    for key in ("K", "tolerance", "noise"):
        if key in train_set.meta:
            facts[key] = train_set.meta[key]
    if "text" in train_set.meta:
        facts["corpus"] = train_set.meta["text"]
        facts["corpus_characters"] = len(train_set.meta["text"])
    return facts


def run_flow(work: Path, env: dict, where: dict) -> dict:
    """Time ``python -m minilstm flow`` as a class runs it (start-up and plot included); return the time and
    the gradient norms it prints, to full precision."""
    command = ["python", "-m", "minilstm", "flow"]
    print(f"== {' '.join(command)} --out {work}", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, *command[1:], "--out", str(work)], env=env, check=True)
    seconds = time.perf_counter() - start
    with threadpool_limits(1):   # as in the child
        return {"machine": where, "command": " ".join(command), "seconds": seconds, **flow_norms()}


def flow_norms() -> dict:
    """What ``python -m minilstm flow`` computes with its defaults: the settings and each cell's ||dL/dh|| at
    the lags it prints (``tests/test_readme_results.py`` recomputes it against the committed file)."""
    from minilstm import cli
    from minilstm.cli import flow as cli_flow

    args = cli.build_parser().parse_args(["flow"])
    flows = cli_flow.untrained(args)
    return {"settings": {key: getattr(args, key) for key in ("steps", "hidden", "batch", "seed")},
            "gradient_norm": {name.upper(): {str(lag): float(flow.lag(lag)) for lag in cli_flow.LAGS}
                              for name, flow in flows.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("examples", "tasks", "flow"),
                        help="run only this part (the others' files stay)")
    parser.add_argument("--readme-only", action="store_true", help="run nothing; rebuild the README's blocks")
    parser.add_argument("--work", type=Path, default=Path("runs", "regenerate"), help="folder for the runs")
    args = parser.parse_args()
    env = child_env()
    where = machine(env)   # before anything is rewritten, so that the commit is the checkout's as it was
    if not args.readme_only and args.only in (None, "examples"):
        EXAMPLE_RESULTS.write_text(json.dumps(run_examples(args.work / "examples", env, where), indent=2) + "\n",
                                   encoding="utf-8")
    if not args.readme_only and args.only in (None, "tasks"):
        TASK_RESULTS.write_text(json.dumps(run_task_defaults(args.work / "tasks", env, where), indent=2) + "\n",
                                encoding="utf-8")
    if not args.readme_only and args.only in (None, "flow"):
        FLOW_RESULTS.write_text(json.dumps(run_flow(args.work / "flow", env, where), indent=2) + "\n",
                                encoding="utf-8")
    README.write_text(readme_text(), encoding="utf-8")
    print("rebuilt the README's blocks" + ("" if args.readme_only else " from the new results"))


if __name__ == "__main__":
    main()
