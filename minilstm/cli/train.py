"""``python -m minilstm train``: train a model on a built-in task and write its results."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import checkpoint, data, plot
from ..backend import use_backend
from ..model import CELLS
from ..train import TrainingDiverged, predict, train
from .args import UsageError, float32, non_negative, positive, probability, saved_settings
from .tasks import (
    LENGTHS,
    SAMPLE_LENGTH,
    SAMPLE_TEMPERATURE,
    TASKS,
    Task,
    known_words,
    new_model,
    write_vocab,
)

ARCHITECTURE = ("cell", "hidden", "layers", "forget_bias", "length", "dropout", "recurrent_dropout")  # kept by --resume
DROPOUTS = ("dropout", "recurrent_dropout")  # off by default, and then left out of the printed settings
TRAIN_DESCRIPTION = """\
Train a model on a built-in task; write to --out the last epoch's model.npz, the
best epoch's best.npz, metrics.json (settings, losses and metrics per epoch),
loss.png and the task's plot (and, for text, vocab.json: the characters, which
the sample command needs). Options left out take the task's defaults (tuned for
the LSTM) or, with --resume, the resumed run's.

tasks: sine (forecast a noisy sine wave), adding (the adding problem), reber
(the embedded Reber grammar), order (temporal order), copy (recall K symbols
after a delay), text (the next character of a small built-in corpus), python
(the next character of the standard library's own source, every tenth file
held out; stateful truncated BPTT, validation in bits per character, compared
with gzip -9 on the same held-out text).

exit codes: 0 done; 1 training diverged; 2 a mistake in the command line;
130 stopped by Ctrl-C after a batch, with everything written."""


TRAIN_EXAMPLES = """\
examples:
  python -m minilstm train --task adding --cell gru --epochs 5
  python -m minilstm train --task text --out runs/text
  python -m minilstm train --task python
  python -m minilstm train --resume runs/text --epochs 10"""


def _task_defaults(field: str) -> str:
    """``"(default: the task's: copy 64, text 128, others 32)"``: each task's default of ``field``."""
    values = {name: getattr(task, field) for name, task in sorted(TASKS.items())}
    common = Counter(values.values()).most_common(1)[0][0]
    odd = [f"{name} {value:g}" for name, value in values.items() if value != common]
    return f"(default: the task's: {', '.join(odd)}, others {common:g})"


def add_train_parser(sub: Any) -> None:
    """The ``train`` subcommand and its options (None: the task's default, or the resumed run's)."""
    p = sub.add_parser("train", help="train a model on a built-in task; write model, metrics and plots",
                       description=TRAIN_DESCRIPTION, epilog=TRAIN_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(TASKS), help="the problem to learn (default sine)")
    p.add_argument("--cell", choices=sorted(CELLS), help="recurrent cell (default lstm)")
    p.add_argument("--hidden", type=positive(int), metavar="N",
                   help=f"hidden units per layer {_task_defaults('hidden')}")
    p.add_argument("--layers", type=positive(int), metavar="N", help="stacked recurrent layers (default 1)")
    p.add_argument("--forget-bias", type=float32, metavar="B",
                   help=f"initial forget-gate bias of the lstm and peephole cells {_task_defaults('forget_bias')}")
    p.add_argument("--length", type=positive(int), metavar="N", help="the task's length (default: the task's): " +
                   "; ".join(f"{k} {TASKS[k].length}, {v}" for k, v in LENGTHS.items() if k != "reber"))
    p.add_argument("--epochs", type=positive(int), metavar="N",
                   help=f"epochs to train, also when resuming {_task_defaults('epochs')}")
    p.add_argument("--batch-size", type=positive(int), metavar="N",
                   help=f"sequences per batch {_task_defaults('batch_size')}")
    p.add_argument("--lr", type=positive(float), metavar="LR", help=f"Adam's learning rate {_task_defaults('lr')}")
    p.add_argument("--dropout", type=probability, metavar="P",
                   help="dropout on the outputs of each recurrent layer but the last, as in PyTorch (default 0; "
                        "needs --layers 2 or more)")
    p.add_argument("--recurrent-dropout", type=probability, metavar="P",
                   help="dropout on the hidden state the recurrent product reads, one mask per sequence (default 0; "
                        "Gal & Ghahramani 2016; works with one layer)")
    p.add_argument("--clip", type=non_negative(float), default=1.0, metavar="C",
                   help="clip the global gradient norm (default 1.0; 0: off)")
    p.add_argument("--seed", type=non_negative(int), metavar="S",
                   help="seed of data, weights and batch order (default 0)")
    p.add_argument("--backend", choices=["numpy", "cupy"], default="numpy", help="array backend (default numpy)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: the --resume folder, else runs/<task>-<cell>)")
    p.add_argument("--resume", default=None, metavar="DIR",
                   help="continue the run saved in DIR (its task, seed and model) for --epochs more epochs "
                        "(default: none, a new run)")
    p.add_argument("--force", action="store_true",
                   help="replace the run already in --out (default: refuse; --resume continues the run in its own "
                        "folder)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar on a terminal or in Jupyter, never in a log file)")
    p.set_defaults(handler=run_train)


def run_train(args: Any) -> int:
    """Run ``python -m minilstm train`` with parsed ``args``; return the exit code.

    A user's mistake (a missing run, a folder that is a file, a backend that is
    not there, options that would change a resumed run) is one line on stderr
    and exit code 2; Ctrl-C stops after the current batch, writes everything
    and exits with 130; a run that diverges is one line on stderr (where, the last
    finite gradient norm, the checkpoint left in ``--out``) and exit code 1.
    """
    try:
        return _train(args)
    except UsageError as err:
        print(f"python -m minilstm train: error: {err}", file=sys.stderr)
        return 2
    except TrainingDiverged as err:
        print(f"python -m minilstm train: {err}", file=sys.stderr)
        return 1


def _train(args: Any) -> int:
    try:
        use_backend(args.backend)
    except (ImportError, RuntimeError) as err:
        raise UsageError(f"--backend {args.backend}: {str(err).splitlines()[0]}") from None
    saved = _resumed(args) if args.resume is not None else None
    name = args.task or (saved or {}).get("task", "sine")
    task = TASKS[name]
    settings = _settings(args, task, saved)
    out = args.out or args.resume or os.path.join("runs", f"{name}-{settings['cell']}")
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out}: it is a file, not a folder")
    _check_out(out, args)
    try:
        rows = {"rows": settings["batch_size"]} if task.stream else {}  # one row of the stream per batch entry
        train_set, val_set = task.make(settings["seed"], settings["length"], **rows)
    except ValueError as err:  # a --length the task cannot have
        raise UsageError(f"--length {settings['length']}: {err}") from None
    if saved is not None:
        path = os.path.join(args.resume, "model.npz")
        try:
            model = checkpoint.load(path)
        except ValueError as err:  # a file that reads but whose architecture does not build
            raise UsageError(f"--resume {args.resume}: {err}") from None
    else:
        path, model = None, new_model(train_set, task, settings)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out {out}: {err.strerror}") from None
    if task.prime is not None:  # before training, so that every checkpoint in out has its characters beside it
        write_vocab(out, train_set.meta["vocab"])
    print(f"minilstm: {settings['cell']} on {name}, {model.num_params} parameters, {len(train_set)} training "
          f"and {len(val_set)} validation sequences, backend {args.backend}")
    print("settings: " + ", ".join(f"{k.replace('_', ' ')} {v:g}" if isinstance(v, float) else
                                   f"{k.replace('_', ' ')} {v}" for k, v in settings.items()
                                   if k not in ("cell", "seed") and v is not None and not (k in DROPOUTS and not v))
          + f", seed {settings['seed']}"
          + ("" if saved is None else f" ({_resumed_at(args.resume, saved)})"))
    start = time.perf_counter()
    history = train(model, train_set, val_data=val_set, lr=settings["lr"], epochs=settings["epochs"],
                    batch_size=settings["batch_size"], clip_norm=args.clip or None, schedule=task.schedule,
                    metrics={task.metric: task.score}, progress=not args.no_progress, seed=settings["seed"],
                    checkpoint_dir=out, resume=path, overwrite=args.force, callbacks=[_print_epoch(task.metric)],
                    tbptt=settings["length"] if task.stream else None,
                    verbose=1)  # the bar where it redraws; the epoch lines are _print_epoch's
    seconds = time.perf_counter() - start
    final = {f"val_{task.metric}": history[f"val_{task.metric}"][-1], "val_loss": history["val_loss"][-1]}
    if name == "sine":
        final["noise"] = float(val_set.meta["noise"])
    if name == "adding":  # the 1997 criterion: >= 99 % within 0.04 of the target, mean |error| < 0.01
        final["val_mae"] = float(np.mean(np.abs(predict(model, val_set).reshape(-1) - val_set.Y.reshape(-1))))
        final["criterion_met"] = float(final["val_accuracy"] >= 0.99 and final["val_mae"] < 0.01)
    if name == "python":  # the marks to beat, on exactly the text validated on
        held_out = val_set.meta["held_out_text"]
        final.update({f"{c}_bpc": data.compressed_bits_per_char(held_out, c) for c in ("gzip", "bz2")})
    sample = None
    if task.prime is not None:
        sample = data.sample(model.step_fn(), train_set.meta["vocab"], task.prime, SAMPLE_LENGTH,
                             temperature=SAMPLE_TEMPERATURE, rng=settings["seed"])
        known, words = known_words(sample, train_set.meta["text"])
        final["sample_known_words"] = known / max(words, 1)
    _write_results(out, name, settings, history, final, seconds, sample)
    _plots(out, name, task, model, history, val_set)
    print("final: " + ", ".join(f"{k} {v:.4g}" for k, v in final.items()) + f" ({seconds:.1f} s)")
    if name == "adding":
        print(f"the 1997 criterion (>= 99 % of the sequences within 0.04, mean |error| < 0.01) "
              f"{'holds' if final['criterion_met'] else 'does not hold'} on the validation set")
    if name == "python":
        verdict = "below" if final["val_bpc"] < final["gzip_bpc"] else "not below"
        print(f"held-out bits per character {final['val_bpc']:.3f}, {verdict} gzip -9's {final['gzip_bpc']:.3f} "
              f"on the same text (bz2 -9: {final['bz2_bpc']:.3f})")
    if sample is not None:
        print(f"sample (temperature {SAMPLE_TEMPERATURE:g}; {known} of its {words} whole words are words of the "
              f"corpus): {sample!r}")
    best = ", best.npz" if os.path.exists(os.path.join(out, "best.npz")) else ""  # unless no epoch improved
    print(f"wrote {out}/model.npz{best}, metrics.json, {'vocab.json, ' if task.prime is not None else ''}loss.png and "
          f"{'predictions.png' if name == 'sine' else 'accuracy.png'}")
    if history.interrupted:
        print(f"interrupted: stopped after a batch of epoch {history.epochs}; the run is saved in {out} "
              f"(continue it with --resume {out})", file=sys.stderr)
        return 130
    return 0


def _check_out(out: str, args: Any) -> None:
    """A UsageError when ``out`` holds a run (its checkpoints or metrics.json) that this one would overwrite:
    unless ``--force``, only the run ``--resume`` continues may be written over."""
    held = [name for name in ("model.npz", "best.npz", "metrics.json") if os.path.exists(os.path.join(out, name))]
    if not held or args.force:
        return
    if args.resume is not None and os.path.isdir(out) and os.path.samefile(out, args.resume):
        return
    raise UsageError(f"--out {out}: it holds another run ({', '.join(held)}); continue that run with --resume {out}, "
                     "choose another --out, or give --force to replace it")


def _resumed(args: Any) -> dict:
    """What the run in ``--resume`` was (its metrics.json and checkpoint), or a UsageError."""
    if os.path.isfile(args.resume) and args.resume.endswith(".npz"):  # the checkpoint itself was named
        args.resume = os.path.dirname(args.resume) or "."
    path = os.path.join(args.resume, "model.npz")
    if not os.path.isfile(path):
        raise UsageError(f"--resume {args.resume}: no run there (no {path}); start one with --out {args.resume}")
    try:
        training = checkpoint.read(path).meta.get("training") or {}
    except ValueError as err:
        raise UsageError(f"--resume {args.resume}: {err}") from None
    try:
        with open(os.path.join(args.resume, "metrics.json"), encoding="utf-8") as f:
            saved = saved_settings(args.resume, json.load(f), TASKS, CELLS)
    except (OSError, ValueError):
        raise UsageError(f"--resume {args.resume}: no readable metrics.json there, so its task and settings "
                         "are unknown") from None
    saved["epoch"] = training.get("epoch", 0)
    saved["unfinished"] = training.get("unfinished")
    for key in ("task", "seed", *ARCHITECTURE):
        given = getattr(args, key)
        if given is not None and key in saved and given != saved[key]:
            option = "--" + key.replace("_", "-")
            raise UsageError(f"--resume {args.resume}: that run has {option} {saved[key]}, not {given}; a resumed "
                             f"run keeps its {'task and data' if key in ('task', 'seed', 'length') else 'model'} "
                             f"(leave {option} out, or start a new run with another --out)")
    if args.lr is not None and args.lr != saved.get("lr"):
        raise UsageError(f"--resume {args.resume}: --lr {args.lr:g} cannot change a resumed run (its optimizer "
                         f"continues with lr {saved.get('lr')}); leave --lr out")
    return saved


def _settings(args: Any, task: Task, saved: dict | None) -> dict:
    """The run's settings: given options, else the resumed run's, else the task's defaults."""
    base = saved or {}
    cell = args.cell or base.get("cell", "lstm")
    defaults = {"hidden": task.hidden, "layers": 1, "length": task.length, "forget_bias": task.forget_bias,
                "epochs": task.epochs, "lr": task.lr, "batch_size": task.batch_size, "dropout": 0.0,
                "recurrent_dropout": 0.0, "seed": 0}
    settings = {"cell": cell}
    for key, default in defaults.items():
        given = getattr(args, key)
        settings[key] = given if given is not None else base.get(key, default)
    if args.epochs is None:  # a resumed run goes on for the task's epochs, not the saved count
        settings["epochs"] = task.epochs
    settings["schedule"] = task.schedule
    if settings["dropout"] and settings["layers"] < 2:
        raise UsageError(f"--dropout {settings['dropout']:g}: it acts between stacked layers, and there is one; give "
                         "--layers 2 or more, or --recurrent-dropout, which works with one layer")
    if cell not in ("lstm", "peephole"):
        if args.forget_bias is not None:
            raise UsageError(f"--forget-bias: the {cell} cell has no forget gate (lstm and peephole have)")
        settings["forget_bias"] = None
    return settings


def _resumed_at(run: str, saved: dict) -> str:
    """Where a resumed run picks up: after its whole epochs, or inside the one Ctrl-C stopped."""
    done = f"resumed from {run} after {saved['epoch']} whole epochs"
    unfinished = saved.get("unfinished")
    if unfinished:
        done += f", finishing epoch {saved['epoch'] + 1} from sequence {unfinished['seen'] + 1}"
    return done


def _print_epoch(metric: str) -> Callable:
    def show(epoch: int, logs: dict, model: Any) -> None:
        print(f"epoch {epoch:3d}  train loss {logs['train_loss']:.4g}  val loss {logs['val_loss']:.4g}  "
              f"val {metric} {logs[f'val_{metric}']:.4g}  ({logs['time']:.2f} s)"
              + ("  partial: stopped by Ctrl-C, --resume finishes it" if logs.get("partial") else ""), flush=True)
    return show


def _write_results(out: str, name: str, settings: dict, history: Any, final: dict, seconds: float,
                   sample: str | None = None) -> None:
    results = {"task": name, "cell": settings["cell"], "seed": settings["seed"], "seconds": seconds,
               "settings": {"task": name, **settings}, "interrupted": history.interrupted,
               "train_loss": history["train_loss"], "val_loss": history["val_loss"], "final": final,
               "history": history.logs}
    if sample is not None:
        results["sample"] = sample
    with open(os.path.join(out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)


def _plots(out: str, name: str, task: Task, model: Any, history: Any, val_set: Any) -> None:
    try:
        loss = "cross-entropy" if val_set.kind.startswith("classify") else "mean squared error"
        plot.loss_curves(history, os.path.join(out, "loss.png"), title=f"{name}: {loss} per epoch", loss=loss)
        if name == "sine":
            scaler = val_set.meta["scaler"]
            plot.predictions(scaler.inverse_transform(val_set.Y), scaler.inverse_transform(predict(model, val_set)),
                             os.path.join(out, "predictions.png"), title="sine: validation forecast")
        else:
            chance = task.chance  # text: always guessing the commonest character
            if chance is None:
                chance = float(np.bincount(val_set.Y.ravel()).max() / val_set.Y.size)
            plot.metric_curve(history, f"val_{task.metric}", os.path.join(out, "accuracy.png"),
                              title=f"{name}: {plot.label('val_' + task.metric)}", chance=chance)
    except ImportError as err:
        print(f"no plots: {err}")
