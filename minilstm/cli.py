"""``python -m minilstm train``: train a model on a built-in task and write its results.

Each task says how to make its data, the model's shape, its metric (the 1997
criterion where there is one) and the plot that shows it. The defaults of the
whole command train an LSTM on the noisy sine wave in well under a minute.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import checkpoint, data, plot
from .backend import use_backend
from .model import CELLS, Model
from .train import predict, train


@dataclass(frozen=True)
class Task:
    """How the command line runs one task."""

    make: Callable[[int], tuple]                # seed -> (train, val) datasets
    head: str                                   # "last" or "all"
    metric: str                                 # the name logged as val_<metric>
    score: Callable[[np.ndarray, Any], float]   # (pred, dataset) -> metric
    hidden: int = 32
    epochs: int = 20
    lr: float = 1e-2
    batch_size: int = 32


def _sine(seed: int) -> tuple:
    train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=seed))
    return train_set, val_set


def _random_split(name: str, **kw: Any) -> Callable[[int], tuple]:
    def make(seed: int) -> tuple:
        train_set, val_set = data.split(data.make_task(name, seed=seed, **kw), (0.8, 0.2), seed=seed)
        return train_set, val_set
    return make


def _char_accuracy(pred: np.ndarray, ds: Any) -> float:
    return float(np.mean(pred.argmax(axis=-1) == ds.Y))


TASKS = {
    "sine": Task(_sine, "last", "rmse", lambda p, ds: data.rmse(p, ds.Y, ds.meta["scaler"]), epochs=30),
    "adding": Task(_random_split("adding", n=2000, T=50), "last", "accuracy",
                   lambda p, ds: data.adding_accuracy(p, ds.Y), epochs=30, lr=5e-3),
    "reber": Task(_random_split("reber", n=1000), "all", "accuracy",
                  lambda p, ds: data.reber_accuracy(p, ds.Y, ds.lengths), epochs=20),
    "order": Task(_random_split("order", n=2000, T=50), "last", "accuracy",
                  lambda p, ds: data.class_accuracy(p, ds.Y), epochs=30, lr=5e-3),
    "copy": Task(_random_split("copy", n=2000, K=5, delay=10), "all", "accuracy",
                 lambda p, ds: data.copy_accuracy(p, ds.Y), hidden=64, epochs=40, lr=5e-3),
    "text": Task(_random_split("text", seq_len=50), "all", "char_accuracy", _char_accuracy,
                 hidden=128, epochs=20, lr=3e-3),
}


def _positive(kind: Callable) -> Callable:
    """An argparse type: ``kind(text)`` when it is > 0, else argparse's usage error (exit code 2)."""
    def parse(text: str) -> Any:
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    parse.__name__ = kind.__name__  # named in argparse's "invalid int value" message
    return parse


def add_train_parser(sub: Any) -> None:
    """The ``train`` subcommand and its options."""
    p = sub.add_parser("train", help="train a model on a built-in task; write model, metrics and plots",
                       description=__doc__)
    p.add_argument("--task", choices=sorted(TASKS), default="sine", help="the problem to learn (default sine)")
    p.add_argument("--cell", choices=sorted(CELLS), default="lstm", help="recurrent cell (default lstm)")
    p.add_argument("--hidden", type=_positive(int), help="hidden units per layer (default: the task's)")
    p.add_argument("--layers", type=_positive(int), default=1, help="stacked recurrent layers (default 1)")
    p.add_argument("--epochs", type=_positive(int), help="epochs to train (default: the task's)")
    p.add_argument("--batch-size", type=_positive(int), help="sequences per batch (default: the task's)")
    p.add_argument("--lr", type=_positive(float), help="Adam's learning rate (default: the task's)")
    p.add_argument("--clip", type=float, default=1.0, help="clip the global gradient norm (default 1.0; 0: off)")
    p.add_argument("--seed", type=int, default=0, help="seed of data, weights and batch order (default 0)")
    p.add_argument("--backend", choices=["numpy", "cupy"], default="numpy", help="array backend (default numpy)")
    p.add_argument("--out", default=None, help="output folder (default: the --resume folder, else runs/<task>-<cell>)")
    p.add_argument("--resume", default=None, metavar="DIR",
                   help="continue the run saved in DIR (same task and --seed) for --epochs more epochs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_train(args: Any) -> int:
    """Run ``python -m minilstm train`` with parsed ``args``; return the exit code."""
    use_backend(args.backend)
    task = TASKS[args.task]
    out = args.out or args.resume or os.path.join("runs", f"{args.task}-{args.cell}")
    os.makedirs(out, exist_ok=True)
    train_set, val_set = task.make(args.seed)
    if args.resume is not None:
        path = os.path.join(args.resume, "model.npz")
        model = checkpoint.load(path)
    else:
        path = None
        vocab = train_set.meta.get("n_symbols") if train_set.X.ndim == 2 else None
        n_out = train_set.meta.get("n_classes", train_set.Y.shape[-1] if train_set.Y.ndim > 1 else 1)
        model = Model(32 if vocab else train_set.X.shape[-1], args.hidden or task.hidden, n_out,
                      cell=args.cell, num_layers=args.layers, head=task.head, vocab_size=vocab, seed=args.seed)
    args.cell = model.config["cell"]  # a resumed run keeps its checkpoint's cell
    print(f"minilstm: {args.cell} on {args.task}, {sum(int(np.prod(p.shape)) for p in model.params.values())} "
          f"parameters, {len(train_set)} training and {len(val_set)} validation sequences, backend {args.backend}")
    start = time.perf_counter()
    history = train(model, train_set, val_data=val_set, lr=args.lr or task.lr,
                    epochs=args.epochs if args.epochs is not None else task.epochs,
                    batch_size=args.batch_size or task.batch_size, clip_norm=args.clip or None,
                    metrics={task.metric: task.score}, progress=not args.no_progress, seed=args.seed,
                    checkpoint_dir=out, resume=path, callbacks=[_print_epoch(task.metric)])
    seconds = time.perf_counter() - start
    final = {f"val_{task.metric}": history[f"val_{task.metric}"][-1], "val_loss": history["val_loss"][-1]}
    if args.task == "sine":
        final["noise"] = float(val_set.meta["noise"])
    _write_results(out, args, history, final, seconds)
    _plots(out, args.task, task, model, history, val_set)
    print("final: " + ", ".join(f"{k} {v:.4g}" for k, v in final.items()) + f" ({seconds:.1f} s)")
    if args.task == "text":
        text = data.sample(model.step_fn(), train_set.meta["vocab"], "The ", 200, temperature=0.8, rng=args.seed)
        print(f"sample (temperature 0.8): {text!r}")
    print(f"wrote {out}/model.npz, metrics.json, loss.png and "
          f"{'predictions.png' if args.task == 'sine' else 'accuracy.png'}")
    return 0


def _print_epoch(metric: str) -> Callable:
    def show(epoch: int, logs: dict, model: Any) -> None:
        print(f"epoch {epoch:3d}  train loss {logs['train_loss']:.4g}  val loss {logs['val_loss']:.4g}  "
              f"val {metric} {logs[f'val_{metric}']:.4g}  ({logs['time']:.2f} s)", flush=True)
    return show


def _write_results(out: str, args: Any, history: Any, final: dict, seconds: float) -> None:
    results = {"task": args.task, "cell": args.cell, "seed": args.seed, "seconds": seconds,
               "train_loss": history["train_loss"], "val_loss": history["val_loss"], "final": final,
               "history": history.logs}
    with open(os.path.join(out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)


def _plots(out: str, name: str, task: Task, model: Any, history: Any, val_set: Any) -> None:
    try:
        plot.loss_curves(history, os.path.join(out, "loss.png"), title=f"{name}: loss")
        if name == "sine":
            scaler = val_set.meta["scaler"]
            plot.predictions(scaler.inverse_transform(val_set.Y), scaler.inverse_transform(predict(model, val_set)),
                             os.path.join(out, "predictions.png"), title="sine: validation forecast")
        else:
            plot.metric_curve(history, f"val_{task.metric}", os.path.join(out, "accuracy.png"),
                              title=f"{name}: validation {task.metric}")
    except ImportError as err:
        print(f"no plots: {err}")
