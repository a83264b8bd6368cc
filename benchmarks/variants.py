"""A miniature of Greff et al. (2015), "LSTM: A Search Space Odyssey": eight LSTM variants on two small tasks.

Run: python benchmarks/variants.py [--tasks text adding] [--variants V NIG NFG NOG NIAF NOAF NP CIFG]
                                   [--seeds 5] [--quick] [--out benchmarks/results/variants.md]

The paper's vanilla LSTM (V) is the peephole LSTM with all three gates; each
other variant changes one part of it (``minilstm.cells.VARIANTS``): no input
gate (NIG), no forget gate (NFG), no output gate (NOG), no input activation
(NIAF), no output activation (NOAF), no peepholes (NP), coupled input and
forget gates, i = 1 - f (CIFG). Every variant is trained on every task with
the same settings (hidden size, Adam's learning rate, epochs, batch size,
clipping at global norm 1.0) and five seeds. Seed s makes the task's data
(its generated sequences or its train/validation split), the initial weights
and the batch order, so the runs of the eight variants with one seed see the
same data and are compared in pairs. The table reports, per task and variant,
the validation metric and loss after the last epoch (mean and min-max over
seeds), the mean paired difference from V, and the lowest validation loss of
any epoch (what early stopping, as in the paper, would keep). The plot shows
each seed's final metric and loss.

The paper tuned each variant's hyperparameters by random search (200 trials
per variant and data set) on speech, handwriting and music; this miniature
gives every variant one shared setting chosen for V in a few trial runs, which
is weaker evidence and may favour V.

The default run (five seeds) takes about 5 minutes on 2 CPU cores (one BLAS thread, see
below); ``--quick`` (two seeds, tiny budgets: a smoke test) takes well under a
minute. Not part of CI.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# One BLAS thread (unless the caller sets one): these matrices are tiny, and on a busy machine
# OpenBLAS's extra threads spin (see benchmarks/tasks.py).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads on import)
from speed_measure import cpu_name  # noqa: E402  (benchmarks/, beside this script)

import minilstm  # noqa: E402
from minilstm import cli, data  # noqa: E402
from minilstm.cells import VARIANTS  # noqa: E402

CLIP_NORM = 1.0
EMBED = 16  # the text task's embedding size (the model's input_size with vocab_size)


@dataclass(frozen=True)
class Setting:
    """One task of the study: its data and the training settings every variant shares."""

    make: Callable[[int], tuple]      # seed -> (train, val) datasets
    about: str                        # the data, for the caption
    hidden: int
    lr: float
    epochs: int
    batch_size: int
    quick: dict                       # overrides for --quick: epochs and a smaller make


def _text(seq_len: int) -> Callable[[int], tuple]:
    def make(seed: int) -> tuple:  # the built-in corpus has no randomness: the seed picks the split
        return data.split(data.make_task("text", seq_len=seq_len), (0.8, 0.2), seed=seed)
    return make


def _adding(n: int, T: int) -> Callable[[int], tuple]:
    def make(seed: int) -> tuple:
        return data.split(data.make_task("adding", n=n, T=T, seed=seed), (0.8, 0.2), seed=seed)
    return make


SETTINGS = {
    "text": Setting(_text(25), f"the built-in corpus ({len(data.load_text()):,} characters) cut into windows of "
                    "25 characters, 80/20 random split; next-character prediction, cross-entropy; "
                    "metric: character accuracy",
                    hidden=32, lr=1e-2, epochs=50, batch_size=32, quick=dict(epochs=3)),
    "adding": Setting(_adding(2000, 20), "2,000 sequences of length 20-22, 80/20 split; squared error; "
                      "metric: fraction within 0.04 of the sum (the 1997 criterion)",
                      hidden=32, lr=1e-2, epochs=16, batch_size=64, quick=dict(epochs=2, make=_adding(300, 20))),
}


@dataclass(frozen=True)
class Run:
    """One trained model's validation results."""

    task: str
    variant: str
    seed: int
    params: int
    metric: float       # after the last epoch
    loss: float         # after the last epoch
    best_loss: float    # the lowest of any epoch
    best_epoch: int
    seconds: float


def derive_seed(*keys: int) -> int:
    """An independent int seed for each tuple of keys (data, weights, batch order)."""
    return int(np.random.SeedSequence(list(keys)).generate_state(1)[0])


def make_model(train_set: Any, readout: str, hidden: int, variant: str, seed: int) -> minilstm.Model:
    """The variant's model for the task's data: an embedding for token ids, a Linear head."""
    options = dict(VARIANTS[variant])
    cell = "peephole" if options.pop("peephole") else "lstm"  # Model takes the peepholes as its cell
    vocab = train_set.meta.get("n_symbols") if train_set.X.ndim == 2 else None
    n_in = EMBED if vocab else train_set.X.shape[-1]
    n_out = train_set.meta.get("n_classes", 1)
    return minilstm.Model(n_in, hidden, n_out, cell=cell, readout=readout, vocab_size=vocab, seed=seed, **options)


def run_one(name: str, variant: str, seed: int, quick: bool) -> Run:
    """Train ``variant`` on task ``name`` with ``seed``; its final and best validation scores."""
    setting, task = SETTINGS[name], cli.TASKS[name]  # cli.TASKS: the readout, the metric and its scorer
    make = setting.quick.get("make", setting.make) if quick else setting.make
    epochs = setting.quick["epochs"] if quick else setting.epochs
    task_id = sorted(SETTINGS).index(name)
    train_set, val_set = make(derive_seed(seed, task_id, 0))
    model = make_model(train_set, task.readout, setting.hidden, variant, derive_seed(seed, task_id, 1))
    start = time.perf_counter()
    history = minilstm.train(model, train_set, val_data=val_set, optimizer="adam", lr=setting.lr, epochs=epochs,
                             batch_size=setting.batch_size, clip_norm=CLIP_NORM, seed=derive_seed(seed, task_id, 2),
                             metrics={task.metric: task.score}, progress=False)
    losses = np.array(history["val_loss"])
    best = int(np.nanargmin(losses)) if np.isfinite(losses).any() else len(losses) - 1
    return Run(name, variant, seed, sum(int(p.size) for p in model.params.values()),
               history[f"val_{task.metric}"][-1], float(losses[-1]), float(losses[best]), best + 1,
               time.perf_counter() - start)


# ----------------------------------------------------------------- the table
HEADER = ("| variant | parameters | val {metric} (final): mean (min-max) | minus V | "
          "val loss (final): mean (min-max) | minus V | seeds with loss above V's | "
          "lowest val loss: mean (min-max), at epochs | s per run |\n"
          "|---|---:|---|---:|---|---:|---:|---|---:|")


def _spread(values: np.ndarray, fmt: str) -> str:
    return f"{values.mean():{fmt}} ({values.min():{fmt}}-{values.max():{fmt}})"


def _paired(runs: list, v_runs: list, key: str) -> np.ndarray:
    """Each seed's ``key`` minus V's with the same seed."""
    v = {r.seed: getattr(r, key) for r in v_runs}
    return np.array([getattr(r, key) - v[r.seed] for r in runs if r.seed in v])


def row(variant: str, runs: list, v_runs: list) -> str:
    """One table row: the variant's runs on one task, over seeds, against V's."""
    metric, loss = np.array([r.metric for r in runs]), np.array([r.loss for r in runs])
    dm, dl = _paired(runs, v_runs, "metric"), _paired(runs, v_runs, "loss")
    dm_text = "" if variant == "V" or not dm.size else f"{dm.mean():+.3f}"
    dl_text = "" if variant == "V" or not dl.size else f"{dl.mean():+.2g}"
    worse = "" if variant == "V" or not dl.size else f"{int((dl > 0).sum())}/{dl.size}"
    best = np.array([r.best_loss for r in runs])
    epochs = ", ".join(str(r.best_epoch) for r in runs)
    seconds = np.mean([r.seconds for r in runs])
    return (f"| {variant} | {runs[0].params:,} | {_spread(metric, '.3f')} | {dm_text} | "
            f"{_spread(loss, '.3g')} | {dl_text} | {worse} | {_spread(best, '.3g')}, at {epochs} | {seconds:.1f} |")


def table(results: list, tasks: list, variants: list) -> list:
    lines = []
    for name in tasks:
        lines += ["", f"### {name}", "", HEADER.format(metric=cli.TASKS[name].metric)]
        v_runs = [r for r in results if r.task == name and r.variant == "V"]
        for variant in variants:
            runs = [r for r in results if r.task == name and r.variant == variant]
            lines.append(row(variant, runs, v_runs))
    return lines


def summary(results: list, tasks: list, variants: list) -> list:
    """Facts computed from this run: the order by final loss, and who lost to V in every seed."""
    lines = []
    for name in tasks:
        runs = [r for r in results if r.task == name]
        v_runs = [r for r in runs if r.variant == "V"]
        mean = {v: np.mean([r.loss for r in runs if r.variant == v]) for v in variants}
        order = " < ".join(sorted(variants, key=mean.get))
        if not v_runs:
            lines.append(f"- **{name}**: by mean final validation loss, best first: {order}.")
            continue
        paired = {v: _paired([r for r in runs if r.variant == v], v_runs, "loss") for v in variants if v != "V"}
        worse = [v for v, d in paired.items() if d.size and (d > 0).all()]
        better = [v for v, d in paired.items() if d.size and (d < 0).all()]
        lines.append(f"- **{name}**: by mean final validation loss, best first: {order}. Final loss above V's "
                     f"in every seed: {', '.join(worse) or 'none'}; below V's in every seed: "
                     f"{', '.join(better) or 'none'}.")
    return lines


def settings_text(tasks: list, quick: bool) -> list:
    lines = []
    for name in tasks:
        s, task = SETTINGS[name], cli.TASKS[name]
        epochs = s.quick["epochs"] if quick else s.epochs
        lines.append(f"- **{name}** (readout \"{task.readout}\"): {s.about}. Hidden {s.hidden}, Adam lr {s.lr:g}, "
                     f"{epochs} epochs, batch {s.batch_size}, "
                     f"global-norm clipping at {CLIP_NORM:g}."
                     + (" (--quick: smaller data.)" if quick and "make" in s.quick else ""))
    return lines


def markdown(results: list, args: Any, total: float) -> str:
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    default_run = (not args.quick and args.seeds == 5 and args.tasks == list(SETTINGS)
                   and args.variants == list(VARIANTS))
    return "\n".join([
        "# LSTM variants (a miniature of Greff et al. 2015, \"LSTM: A Search Space Odyssey\")", "",
        f"Made by `{command}` on {datetime.date.today().isoformat()}: CPU {cpu_name()}, "
        f"os.cpu_count() = {os.cpu_count()} (shared with other work), numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.system()}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; "
        f"seeds {', '.join(map(str, range(args.seeds)))}; total {total / 60:.1f} min.", "",
        "Settings, the same for every variant (one recurrent layer and a Linear head, float32, "
        "minilstm's default initialisation: forget-gate bias 1 where there is a forget gate, "
        "peephole weights U(-1/sqrt(H), 1/sqrt(H))):", "",
        *settings_text(args.tasks, args.quick), "",
        "\"minus V\" is the mean over seeds of the variant's value minus V's with the same seed (same data, "
        "same batch order); \"seeds with loss above V's\" counts the seeds where the variant's final "
        "validation loss is higher (worse) than V's. The lowest validation loss is each seed's, with its "
        "epoch. The plot is `variants.png` next to this file.",
        *table(results, args.tasks, args.variants), "",
        "## Summary of this run (computed)", "", *summary(results, args.tasks, args.variants), "",
        *(["## What this miniature found", "", FINDINGS, ""] if default_run else []),
    ])


FINDINGS = """(Written by hand for the default run of this script; a rerun reprints it unchanged, so check it
against the table above. Seeded runs repeat bit for bit; only the timings change.)

- **Text: the forget gate and the output activation matter most, as in the paper.** NOAF has the worst
  final loss (+0.41 above V, every seed; accuracy -0.047), NFG the next (+0.086, every seed; accuracy
  -0.038). Much of NOAF's deficit is overfitting: without tanh on c it fits the training windows
  fastest, its validation loss is lowest around epochs 16-23 and then climbs; at their lowest (what
  early stopping keeps) NFG is the worst (1.99) and NOAF next (1.97), against V's 1.88. NIAF also ends
  above V in every seed, by less (+0.065; accuracy -0.007) and again partly by overfitting earlier
  (lowest at epochs 25-36, 1.91). NIG, NOG and NP are within the seed-to-seed spread of V (loss
  differences of 0.02-0.03 of both signs across seeds). CIFG ends below V in every seed (-0.059;
  accuracy +0.017): with the same settings it is the best variant here, with 18 % fewer parameters.
- **Adding (T = 20): a different order.** NIG is worst (accuracy -0.087, loss above V's in every seed),
  then NOG (4 of 5 seeds) and NFG (its mean is pulled down by one poor seed; its lowest losses match
  V's). CIFG (0.990 against 0.959) and NIAF (0.980) are better than V in every seed; NOAF and NP are
  level with V. A sum of two marked numbers suits a linear candidate (NIAF), and the short lag leaves
  little for the forget gate to do. Here 16 epochs is a fixed budget, not convergence (most runs are
  still improving at the last epoch), so this measures how fast each variant learns.
- **Against the paper:** it found the forget gate and the output activation critical, and coupling the
  gates (CIFG) or dropping the peepholes (NP) cheap. The text task agrees on all four points. The
  adding task agrees that CIFG and NP cost nothing, does not show NOAF hurting, and shows the input gate
  mattering more than the forget gate, which the paper did not find. The paper's smaller harms from
  NIG, NOG and NIAF show on adding for NIG and NOG, and on text (mildly) for NIAF.
- **Weak evidence.** Five seeds, two tiny tasks (an 8,900-character corpus that a 32-unit model starts to
  overfit within 50 epochs; adding with lags of about 20 steps), and one shared setting chosen from a few trial
  runs by V's validation curves, where the paper tuned every variant with 200 random-search trials per data set and
  tested differences with Welch's t-test. "Every seed" is 5 of 5: a coin would give it 1 time in 32 for
  one comparison in one direction, and this table holds 14 comparisons in two directions, so about one
  such result is expected by chance alone. Only the larger effects (NOAF and NFG on text, NIG on adding,
  CIFG's lead on adding) are worth much, and those only for these tasks and settings."""


# ----------------------------------------------------------------- the plot
def plot(results: list, tasks: list, variants: list, path: str) -> None:
    """Per task, each seed's final validation metric (top) and loss (bottom) per variant, V's mean dashed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        print(f"no plot: {err}")
        return
    fig, axes = plt.subplots(2, len(tasks), figsize=(5.5 * len(tasks), 7), squeeze=False)
    for col, name in enumerate(tasks):
        for r, (key, label) in enumerate([("metric", f"val {cli.TASKS[name].metric}"), ("loss", "val loss")]):
            ax = axes[r, col]
            seeds = sorted({run.seed for run in results})
            for x, variant in enumerate(variants):
                runs = [run for run in results if run.task == name and run.variant == variant]
                for run in runs:  # one colour per seed: the runs with one seed share their data
                    ax.scatter(x + 0.08 * (run.seed - (len(seeds) - 1) / 2), getattr(run, key), s=22, alpha=0.8,
                               color=f"C{run.seed % 10}", zorder=3, label=f"seed {run.seed}" if x == 0 else None)
                mean = np.mean([getattr(run, key) for run in runs])
                ax.hlines(mean, x - 0.3, x + 0.3, color="k", lw=2, zorder=4, label="mean" if x == 0 else None)
                if variant == "V":
                    ax.axhline(mean, color="gray", ls="--", lw=1, label="V's mean")
            values = [getattr(run, key) for run in results if run.task == name]
            if key == "loss" and min(values) > 0 and max(values) / min(values) > 20:
                ax.set_yscale("log")
            ax.set_xticks(range(len(variants)), variants)
            ax.set_ylabel(f"{label} (final epoch)")
            ax.set_title(f"{name}: {label}" + (" (higher is better)" if key == "metric" else " (lower is better)"))
            ax.grid(axis="y", alpha=0.3)
        axes[1, col].set_xlabel("variant")
    fig.suptitle("LSTM variants (Greff et al. 2015), a miniature: final validation scores per seed")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------- main
def parse_args(argv: Any = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 5; 2 with --quick)")
    p.add_argument("--quick", action="store_true", help="tiny budgets: a smoke test of well under a minute")
    p.add_argument("--out", default=os.path.join("benchmarks", "results", "variants.md"),
                   help="the Markdown table; the plot goes next to it (.png)")
    args = p.parse_args(argv)
    if args.seeds is None:
        args.seeds = 2 if args.quick else 5
    if args.seeds < 1:
        p.error(f"--seeds must be >= 1, got {args.seeds}")
    return args


def main(argv: Any = None) -> None:
    args = parse_args(argv)
    start, results = time.perf_counter(), []
    for name in args.tasks:
        for variant in args.variants:
            for seed in range(args.seeds):
                r = run_one(name, variant, seed, args.quick)
                results.append(r)
                print(f"{name:7s} {variant:5s} seed {seed}: val {cli.TASKS[name].metric} {r.metric:.3f}, "
                      f"loss {r.loss:.4g} (lowest {r.best_loss:.4g} at epoch {r.best_epoch}), "
                      f"{r.seconds:.1f} s", flush=True)
    text = markdown(results, args, time.perf_counter() - start)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    png = os.path.splitext(args.out)[0] + ".png"
    plot(results, args.tasks, args.variants, png)
    print(f"wrote {args.out} and {png} ({(time.perf_counter() - start) / 60:.1f} min)")


if __name__ == "__main__":
    main()
