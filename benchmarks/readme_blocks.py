"""The README's blocks, each built from a committed results file; ``python examples/regenerate.py`` writes them.

A block is the text between ``<!-- name -->`` and ``<!-- /name -->`` in README.md. :func:`blocks` builds
every one from the files as committed: the default run in "Two commands", the gradient-flow table, the
examples table and "Every task's default" from what ``examples/regenerate.py`` recorded in examples/, and
the Speed, BLAS threads, classic-results and text-compression tables, the python samples and the test
command's cost from what the benchmarks wrote in benchmarks/results/.
``python examples/regenerate.py --readme-only`` writes them into the README; tests/test_readme_results.py
checks that the README holds them.
"""
from __future__ import annotations

import ast
import json
import math
import re
import textwrap
from pathlib import Path

import python_default_run  # beside this file
import python_samples
import speed_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_RESULTS = ROOT / "examples" / "results.json"
TASK_RESULTS = ROOT / "examples" / "task_defaults.json"
FLOW_RESULTS = ROOT / "examples" / "flow.json"
BENCHMARKS = ROOT / "benchmarks" / "results"
TEST_COST_RESULTS = BENCHMARKS / "test_cost.json"    # benchmarks/test_cost.py: the test command's cost
SPEED_RESULTS = BENCHMARKS / "speed-2026-11-29.json"   # the Speed section analysis reads it (before the redesign)
SPEED_NOW = BENCHMARKS / "speed-2026-12-07.json"       # the redesigned engine's run, shown first
README = ROOT / "README.md"
ORDER = ("lstm_predictor", "sine_forecaster", "hybrid_conv_lstm", "text_classifier", "gru_model",
         "bidirectional_tagger", "attention", "uncertainty", "attention_forecaster", "hyperparameter_search",
         "export_to_torch", "seeing_inside")   # the README's, a course's order


def examples() -> list[Path]:
    """The example scripts, in the order of the README's table (one ORDER does not name yet comes last)."""
    scripts = [p for p in (ROOT / "examples").glob("*.py") if p.stem != "regenerate"]
    return sorted(scripts, key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))


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
    if name == "attention_forecaster":
        torch = r["torch_max_abs_difference"]
        return (f"test RMSE: {each('test_rmse', ('LSTM', 'LSTM + attention'))} (noise {r['noise']:g}); gradient "
                f"check {'passed' if r['gradcheck_passed'] else 'failed'}"
                + ("" if torch is None else f"; the article's PyTorch module loaded, largest difference {torch:.0e}"))
    if name == "bidirectional_tagger":
        return (f"per-step accuracy: {each('val_per_step_accuracy', ('bidirectional', 'one-directional'))} "
                f"(always the commoner tag {r['always_the_commoner_tag']:.3f})")
    if name == "gru_model":
        return (f"sine test RMSE: {each('sine_test_rmse', ('LSTM', 'GRU'))}; "
                f"Reber validation accuracy: {each('reber_val_accuracy', ('LSTM', 'GRU'))}")
    if name == "export_to_torch":
        kib = {k: r[k]["file_kib"] for k in ("scripted (float32)", "quantized (int8)")}
        return (f"largest difference from minilstm: scripted {r['scripted (float32)']['max_abs_difference']:.0e}, "
                f"quantized {r['quantized (int8)']['max_abs_difference']:.0e} (test RMSE "
                f"{r['quantized (int8)']['test_rmse']:.3f} against minilstm's {r['minilstm_test_rmse']:.3f}); files: "
                f"scripted {kib['scripted (float32)']:.0f} KiB, quantized {kib['quantized (int8)']:.0f} KiB")
    if name == "hybrid_conv_lstm":
        return f"test RMSE: {each('test_rmse', ('Conv1d + LSTM', 'LSTM'))} (noise {r['noise']:g})"
    if name == "hyperparameter_search":
        p = r["best_params"]
        dropout = f", dropout {p['dropout']:.2f}" if "dropout" in p else ""
        return (f"best of {r['trials']} trials ({r['pruned']} pruned): hidden {p['hidden']}, {p['num_layers']} "
                f"layer{'s' * (p['num_layers'] > 1)}, lr {p['lr']:.4f}{dropout}; test RMSE {r['best_test_rmse']:.3f} "
                f"(noise {r['noise']:g})")
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


def test_cost_block(r: dict) -> str:
    """The README's paragraph on what the test command costs, from the results ``r``."""
    m, t, q = r["machine"], r["tests"], r["quick_tests"]
    kernel = ", ".join(f"{b['library']} {b['kernel']} kernel" for b in m["blas"])
    text = (f"It installs pytest, pytest-xdist, Hypothesis, the array-API stand-in, Jupyter's kernel, matplotlib, "
            f"tqdm, Optuna and PyTorch (the CPU build is enough: the parity tests compare with it), "
            f"{r['environment_mb'] / 1000:.1f} GB on disk, {r['torch_mb']} MB of it PyTorch. Where pip would take "
            f"PyTorch's multi-GB CUDA build, install the CPU build first (`pip install torch --index-url "
            f"https://download.pytorch.org/whl/cpu`). The tests run in one process per CPU (pytest-xdist; `-n 0` "
            f"runs them in one). On {m['cores']} cores ({m['cpu']}, {kernel}) the install took "
            f"{r['install_s']:.0f} s and the tests {r['test_s']:.0f} s: {t.get('passed', 0)} passed, "
            f"{t.get('skipped', 0)} skipped (the CuPy cases, without a GPU), {m['date']}, commit {m['commit']}; "
            f"`python benchmarks/test_cost.py` measures it again. Changed one cell? Its specification, gradient "
            f"checks, PyTorch parity and one-step cell run alone in {r['quick_s']:.0f} s ({q.get('passed', 0)} "
            f"tests, for the GRU):")
    return f"{_wrap(text)}\n\n```bash\n{r['quick_command']}\n```"


def speed_now_block(run: dict) -> str:
    """The redesigned engine's Speed tables, under a sentence that says where and how they were measured."""
    m, load = run["machine"], run["load"]
    text = _wrap(f"The redesigned engine (commit {m['commit']}), measured {run['date'][:10]} by the command above on "
                 f"this machine: {m['cpu']} ({', '.join(m['cpu_flags'])}), OpenBLAS's {m['kernel']} kernel, "
                 f"{m['threads']} threads, sgemm {run['sgemm']['gflops']:.0f} GFLOP/s; {load['rounds_under_load']} "
                 f"of {load['rounds']} rounds under load, {run['seconds'] / 60:.1f} minutes (the full output: "
                 f"`benchmarks/results/{SPEED_NOW.stem}.md`):")
    return text + "\n\n" + speed_report.readme_tables(run)


def blocks() -> dict:
    """Every README block, by marker name, as the committed results files say it should read."""
    results, tasks, flow, speed = (json.loads(path.read_text(encoding="utf-8")) for path in
                                   (EXAMPLE_RESULTS, TASK_RESULTS, FLOW_RESULTS, SPEED_RESULTS))
    return {"default-run": default_run_block(tasks),
            "flow-table": flow_block(flow),
            "examples-table": examples_block(results, tasks),
            "task-defaults": task_defaults_block(tasks),
            "speed-tables": speed_report.readme_tables(speed),
            "speed-now": speed_now_block(json.loads(SPEED_NOW.read_text(encoding="utf-8"))),
            "blas-table": results_table(BENCHMARKS / "blas_threads.txt"),
            "tasks-table": results_table(BENCHMARKS / "tasks.md"),
            "text-compression": (BENCHMARKS / "text_compression.md").read_text(encoding="utf-8").rstrip("\n"),
            "python-samples": python_samples.block(json.loads(python_samples.RESULTS.read_text(encoding="utf-8"))),
            "python-default-run": _wrap(python_default_run.block(
                json.loads(python_default_run.RESULTS.read_text(encoding="utf-8")))),
            "python-long-run": _wrap(python_default_run.block(
                json.loads(python_default_run.LONG_RESULTS.read_text(encoding="utf-8")))),
            "test-cost": test_cost_block(json.loads(TEST_COST_RESULTS.read_text(encoding="utf-8")))}


def readme_text() -> str:
    """The README with every block rebuilt from the committed results files."""
    readme = README.read_text(encoding="utf-8")
    for name, block in blocks().items():
        readme = rebuilt(readme, name, block)
    return readme
