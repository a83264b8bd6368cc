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
   ``<!-- /name -->``) is rebuilt from its committed results file: the default
   run in "Two commands", the gradient-flow table, the examples table and "Every
   task's default" from the files above, and the Speed, BLAS threads and classic
   results tables from benchmarks/results/, which the benchmarks wrote
   (--readme-only does only this; tests/test_readme_results.py checks that the
   README matches the files, tests/test_readme_numbers.py the numbers in its prose).

Each results file records the machine, the BLAS library, the date and the
wall time of its part. The children run with one BLAS thread unless
OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS, MKL_NUM_THREADS) is set, and import
this checkout's minilstm. WORK is runs/regenerate under the current folder
unless --work says otherwise.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # this checkout's minilstm, the one the results describe (as its children get)
sys.path.insert(1, str(ROOT / "benchmarks"))   # speed_report, which builds the Speed tables

import numpy as np  # noqa: E402
import speed_report  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import minilstm  # noqa: E402

FIGURES = ROOT / "examples" / "figures"
EXAMPLE_RESULTS = ROOT / "examples" / "results.json"
TASK_RESULTS = ROOT / "examples" / "task_defaults.json"
FLOW_RESULTS = ROOT / "examples" / "flow.json"
BENCHMARKS = ROOT / "benchmarks" / "results"
SPEED_RESULTS = BENCHMARKS / "speed-2026-11-29.json"   # the run the README's Speed section shows
README = ROOT / "README.md"
TASKS = ("sine", "adding", "reber", "order", "copy", "text")
ORDER = ("lstm_predictor", "sine_forecaster", "hybrid_conv_lstm", "text_classifier", "gru_model",
         "bidirectional_tagger", "attention", "uncertainty", "seeing_inside")   # the README's, a course's order
BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def examples() -> list[Path]:
    """The example scripts, in the order of the README's table (one ORDER does not name yet comes last)."""
    scripts = [p for p in (ROOT / "examples").glob("*.py") if p.stem != "regenerate"]
    return sorted(scripts, key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))


# ---- running -------------------------------------------------------------------------------------------------

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
        subprocess.run([sys.executable, *command[1:], "--out", str(out)], env=env, check=True)
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
    from minilstm import __main__ as command_line
    from minilstm import cli_flow

    args = command_line.build_parser().parse_args(["flow"])
    flows = cli_flow.untrained(args)
    return {"settings": {key: getattr(args, key) for key in ("steps", "hidden", "batch", "seed")},
            "gradient_norm": {name.upper(): {str(lag): float(flow.lag(lag)) for lag in cli_flow.LAGS}
                              for name, flow in flows.items()}}


# ---- the README ----------------------------------------------------------------------------------------------

def percent(share: float) -> str:
    """``share`` in per cent to one decimal (two where one would round to 100), ``.0`` dropped."""
    text = f"{100 * share:.1f}"
    if text == "100.0" and share < 1:
        text = f"{100 * share:.2f}"
    return text.removesuffix(".0") + " %"


def summary(script: Path) -> str:
    """The first line of the script's docstring: what the example is."""
    return ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))).splitlines()[0]


def printed(name: str, r: dict) -> str:
    """The table's last column for the example ``name``: what it printed, every number from its results ``r``."""
    def each(metric: str, names: tuple, digits: int = 3) -> str:   # "LSTM 0.103, GRU 0.097"
        return ", ".join(f"{n} {r[n][metric]:.{digits}f}" for n in names)

    if name == "attention":
        return (f"validation accuracy {r['val_accuracy']:.3f} (chance {r['chance']:.3f}); mean attention on the "
                f"marked step {r['mean_attention_on_marked_step']:.2f}")
    if name == "bidirectional_tagger":
        return (f"per-step accuracy: {each('val_per_step_accuracy', ('bidirectional', 'one-directional'))} "
                f"(always the commoner tag {r['always_the_commoner_tag']:.3f})")
    if name == "gru_model":
        return (f"sine test RMSE: {each('sine_test_rmse', ('LSTM', 'GRU'))}; "
                f"Reber validation accuracy: {each('reber_val_accuracy', ('LSTM', 'GRU'))}")
    if name == "hybrid_conv_lstm":
        return f"test RMSE: {each('test_rmse', ('Conv1d + LSTM', 'LSTM'))} (noise {r['noise']:g})"
    if name == "lstm_predictor":
        return (f"test R² {r['y0, gated total']['test_r2']:.2f} (y0, gated total) and "
                f"{r['y1, moving average']['test_r2']:.2f} (y1, moving average)")
    if name == "seeing_inside":
        norms = r["gradient_norm_steps_back"]
        lag = max(norms["RNN"], key=int)              # the longest lag measured
        return f"‖dL/dh‖ {lag} steps back: " + ", ".join(f"{cell} {norm[lag]:.1e}" for cell, norm in norms.items())
    if name == "sine_forecaster":
        return (f"test RMSE {r['test_rmse']:.3f} (noise {r['noise']:g}; repeating the last value: "
                f"{r['repeat_last_value_rmse']:.3f})")
    if name == "text_classifier":
        return f"validation accuracy {r['val_accuracy']:.3f} (chance {r['chance']:g})"
    if name == "uncertainty":
        return (f"test RMSE {r['test_rmse']:.3f}; {percent(r['inside_band'])} of the test points inside the band "
                f"({percent(r['inside_band_if_calibrated'])} if calibrated)")
    raise KeyError(f"examples/regenerate.py does not know how examples/{name}.py's results read")


def provenance(m: dict) -> str:
    blas = ", ".join(f"{b['library']} {b['version']} ({b['kernel']})" for b in m["blas"])
    return (f"{m['date']}, {m['cpu']} ({m['cores']} cores), Python {m['python']}, NumPy {m['numpy']}, {blas}, "
            f"OPENBLAS_NUM_THREADS={m['blas_threads']['OPENBLAS_NUM_THREADS']}, commit {m['commit']}")


def examples_block(results: dict, tasks: dict) -> str:
    rows = ["| command | what it is (the first line of its docstring) | it printed |", "|---|---|---|"]
    for script in examples():
        r = results["examples"][script.stem]
        rows.append(f"| `python examples/{script.name}` | {summary(script)} | {printed(script.stem, r)} |")
    minutes = (results["seconds"] + tasks["seconds"]) / 60
    return "\n".join(rows) + "\n\n" + _wrap(
        f"The last regeneration took {minutes:.1f} minutes ({results['seconds'] / 60:.1f} for the examples, "
        f"{tasks['seconds'] / 60:.1f} for the task defaults): {provenance(results['machine'])}.")


def defaults(run: dict) -> str:
    """The settings column: hidden, epochs, lr, batch; then what else sets the task apart."""
    s, d = run["settings"], run["data"]
    lr = f"{s['lr']:.0e}".replace("e-0", "e-") + (f" {s['schedule']}" if s["schedule"] else "")
    other = {"sine": f"windows of {s['length']}",
             "adding": f"T = {s['length']}",
             "reber": f"{d['train_sequences']} strings",
             "order": f"T = {s['length']}",
             "copy": f"K = {d.get('K')} symbols, delay {s['length']}",
             "text": f"{s['length']} characters per sequence, a corpus of {d.get('corpus_characters')} characters",
             }[s["task"]]
    if s["forget_bias"] not in (None, 1.0):
        other += f", forget bias {s['forget_bias']:g}"
    if s["task"] in ("adding", "order", "copy"):
        other += f", {d['train_sequences']} sequences"
    return f"{s['hidden']}, {s['epochs']}, {lr}, {s['batch_size']}; {other}"


def reaches(run: dict) -> str:
    """The final validation metric, in the task's words."""
    f, d, task = run["final"], run["data"], run["settings"]["task"]
    if task == "sine":
        return f"RMSE {f['val_rmse']:.3f} against noise {f['noise']:g}"
    if task == "adding":
        return (f"{percent(f['val_accuracy'])} within {d['tolerance']:g}, mean \\|error\\| {f['val_mae']:.4f}: "
                f"the criterion {'holds' if f['criterion_met'] else 'does not hold'}")
    if task == "text":
        return f"{percent(f['val_char_accuracy'])} character accuracy; a sample below"
    what = {"reber": "of the strings right at every step", "order": "of the sequences classified",
            "copy": f"of the sequences with all {d.get('K')} symbols right"}[task]
    return f"{percent(f['val_accuracy'])} {what}"


def task_defaults_block(tasks: dict) -> str:
    rows = ["| task | defaults (hidden, epochs, lr, batch; other) | reaches (validation) | chance | time (s) | load |",
            "|---|---|---|---:|---:|---:|"]
    for task, run in tasks["tasks"].items():
        chance = "-" if run["data"]["chance"] is None else percent(run["data"]["chance"])
        rows.append(f"| {task} | {defaults(run)} | {reaches(run)} | {chance} | {run['seconds']:.1f} "
                    f"| {run['load']:.1f} |")
    text = tasks["tasks"]["text"]
    sample, val_loss = text["sample"], text["val_loss"]
    lowest = min(range(len(val_loss)), key=val_loss.__getitem__)
    return "\n\n".join([
        "\n".join(rows),
        _wrap(f"({provenance(tasks['machine'])}.)"),
        f"The text task's sample (temperature {sample['temperature']:g}) after its default run:",
        _wrap(sample["text"].replace("\n", " "), prefix="> "),
        _wrap(f"({sample['known_words']} of its {sample['whole_words']} whole words are words of the corpus.) "
              f"Its validation loss was lowest at epoch {lowest + 1} of {len(val_loss)} ({val_loss[lowest]:.3f}) "
              f"and ended at {val_loss[-1]:.3f}, the training loss at {text['train_loss'][-1]:.3f}.")])


def _wrap(text: str, prefix: str = "") -> str:
    """``text`` in lines of at most 100 characters, as the README's prose, each starting with ``prefix``."""
    return "\n".join(prefix + line for line in textwrap.wrap(text, 100 - len(prefix), break_on_hyphens=False))


def rebuilt(readme: str, name: str, block: str) -> str:
    """``readme`` with the text between ``<!-- name -->`` and ``<!-- /name -->`` replaced by ``block``."""
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
    if not pattern.search(readme):
        raise ValueError(f"README.md has no <!-- {name} --> ... <!-- /{name} --> markers")
    return pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), readme, count=1)


def default_run_block(tasks: dict) -> str:
    """The sentence before the first command in "Two commands": the sine task's default run."""
    run = tasks["tasks"]["sine"]
    return _wrap(f"Install, then train an LSTM on a noisy sine wave (the default run: {run['seconds']:.1f} seconds of "
                 f"training on a {tasks['machine']['cores']}-core CPU, as measured under \"Every task's default\"; it "
                 f"prints each epoch, ends at a validation RMSE of {run['final']['val_rmse']:.3f} against noise of "
                 f"{run['final']['noise']:g}, and writes a checkpoint, `metrics.json` and plots to `runs/sine-lstm/`):")


def flow_block(flow: dict) -> str:
    """The gradient-flow table under "Seeing inside" and the line under it."""
    norms, s, m = flow["gradient_norm"], flow["settings"], flow["machine"]
    lags = list(norms["RNN"])
    rows = ["| lag (steps back) | " + " | ".join(lags) + " |", "|---|" + "---:|" * len(lags)]
    rows += [f"| {cell} | " + " | ".join(f"{norm:.1e}" for norm in by_lag.values()) + " |"
             for cell, by_lag in norms.items()]
    times = norms["LSTM"][lags[-1]] / norms["RNN"][lags[-1]]
    return "\n".join(rows) + "\n\n" + _wrap(
        f"(`{flow['command']}`: untrained, {s['hidden']} units, {s['batch']} random sequences, seed {s['seed']}; "
        f"the command took {flow['seconds']:.1f} seconds, Python's start-up and the plot included ({m['cpu']}, "
        f"{m['date']}). With the forget gate starting open, the LSTM's gradient {lags[-1]} steps back is more than "
        f"10^{math.floor(math.log10(times))} times the RNN's.)")


def results_table(path: Path) -> str:
    """The Markdown table in a benchmark's results file (the first, where it wrote several), as it wrote it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


def blocks() -> dict:
    """Every README block, by marker name, as the committed results files say it should read."""
    results, tasks, flow, speed = (json.loads(path.read_text(encoding="utf-8")) for path in
                                   (EXAMPLE_RESULTS, TASK_RESULTS, FLOW_RESULTS, SPEED_RESULTS))
    return {"default-run": default_run_block(tasks),
            "flow-table": flow_block(flow),
            "examples-table": examples_block(results, tasks),
            "task-defaults": task_defaults_block(tasks),
            "speed-tables": speed_report.readme_tables(speed),
            "blas-table": results_table(BENCHMARKS / "blas_threads.txt"),
            "tasks-table": results_table(BENCHMARKS / "tasks.md")}


def readme_text() -> str:
    """The README with every block rebuilt from the committed results files."""
    readme = README.read_text(encoding="utf-8")
    for name, block in blocks().items():
        readme = rebuilt(readme, name, block)
    return readme


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
