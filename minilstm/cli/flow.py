"""``python -m minilstm flow``: a teacher's one command for the vanishing gradient.

It builds an RNN, an LSTM and a GRU of one size, reads the gradient of
``L = <u, out[T-1]>`` back through a random sequence of ``--steps`` steps with
:func:`minilstm.inspect.gradient_flow`, prints the norm at a few lags and draws
all three cells on one log axes. It trains nothing and needs no data, unless
``--trained TASK`` asks it to train each cell briefly on a built-in task first and
draw the flow before and after training, on that task's own sequences.
"""
from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from .. import inspect, plot
from ..nn.recurrent import GRU, LSTM, RNN
from ..train import train
from .args import checked, non_negative, positive
from .tasks import TASKS, new_model

MAX_FLOW_HIDDEN = 1024  # --hidden at most this: 4000 ran for minutes with no word

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
LAGS = (1, 10, 50, 100)


FLOW_DESCRIPTION = """\
Show the vanishing gradient: build an RNN, an LSTM and a GRU of one size, send
the gradient of L = <u, out[T-1]> (u random) back through a random sequence of
--steps steps, print its norm at a few lags behind T-1 and draw the three cells
on one log axis in --out/gradient_flow.png. It trains nothing and needs no data.

With --trained TASK it trains each cell for --epochs on a built-in task instead,
and draws the flow on that task's validation sequences before and after, in
--out/gradient_flow_TASK.png (the untrained plot is left as it is)."""
FLOW_EXAMPLES = """\
examples:
  python -m minilstm flow --steps 200
  python -m minilstm flow --trained adding --epochs 5"""


def add_flow_parser(sub: Any) -> None:
    """The ``flow`` subcommand and its options."""
    p = sub.add_parser("flow", help="gradient flow of RNN, LSTM and GRU side by side, as a plot",
                       description=FLOW_DESCRIPTION, epilog=FLOW_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=positive(int), default=100, metavar="T",
                   help="sequence length (default 100; with --trained: the task's)")
    p.add_argument("--hidden", type=checked(int, 0, strict=True, high=MAX_FLOW_HIDDEN), default=32, metavar="N",
                   help=f"hidden units of every cell, at most {MAX_FLOW_HIDDEN} (default 32)")
    p.add_argument("--batch", type=positive(int), default=16, metavar="B",
                   help="sequences averaged over (default 16)")
    p.add_argument("--seed", type=non_negative(int), default=0, metavar="S",
                   help="seed of weights, inputs and u (default 0)")
    p.add_argument("--trained", choices=sorted(TASKS), default=None, metavar="TASK",
                   help=f"train each cell briefly on a built-in task first and draw before/after: "
                        f"{', '.join(sorted(TASKS))} (default: none, untrained cells only)")
    p.add_argument("--epochs", type=positive(int), default=3, metavar="N",
                   help="epochs of that brief training (default 3)")
    p.add_argument("--out", default=os.path.join("runs", "flow"), metavar="DIR",
                   help="output folder (default runs/flow)")
    p.set_defaults(handler=run_flow)


def run_flow(args: Any) -> int:
    """Run ``python -m minilstm flow`` with parsed ``args``; return the exit code."""
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise SystemExit(f"minilstm flow: error: --out {args.out} is a file, not a folder")
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as err:  # /proc/x, a read-only place: one line, not a traceback
        raise SystemExit(f"minilstm flow: error: --out {args.out}: {err.strerror}") from None
    start = time.perf_counter()
    if args.trained is None:
        before, after = untrained(args), None
        print(f"gradient flow: L = <u, out[{args.steps - 1}]>, {args.steps} steps, hidden {args.hidden}, "
              f"batch {args.batch}, seed {args.seed}, untrained cells")
    else:
        before, after = _trained(args)
    _table("before training" if after else "", before)
    if after:
        _table(f"after {args.epochs} epochs on {args.trained}", after)
    path = plot_path(args.out, args.trained)
    _draw(before, after, args, path)
    print(f"wrote {path} ({time.perf_counter() - start:.1f} s)")
    return 0


def plot_path(out: str, trained: str | None) -> str:
    """Where the plot goes: ``gradient_flow.png`` for untrained cells, ``gradient_flow_<task>.png`` with
    ``--trained``, so that neither overwrites the other (nor one task's plot another's)."""
    return os.path.join(out, "gradient_flow.png" if trained is None else f"gradient_flow_{trained}.png")


def untrained(args: Any) -> dict:
    """Each cell's flow on one random sequence (every cell reads the same one), as the command computes it
    from its parsed ``args``; ``examples/regenerate.py`` records it for the README's table."""
    D = 8
    x = np.random.default_rng(args.seed).standard_normal((args.steps, args.batch, D))
    return {name: inspect.gradient_flow(cls(D, args.hidden, seed=args.seed), x, seed=args.seed)
            for name, cls in CELLS.items()}


def _trained(args: Any) -> tuple[dict, dict]:
    """Each cell's flow on the task's validation sequences, before and after a brief training."""
    task = TASKS[args.trained]
    train_set, val_set = task.make(args.seed, task.length)
    X = _longest(val_set, args.batch)
    print(f"gradient flow on {args.trained}: {X.shape[1]} steps, hidden {args.hidden}, {len(X)} validation "
          f"sequences, seed {args.seed}; training each cell {args.epochs} epochs")
    before, after = {}, {}
    for name in CELLS:
        model = new_model(train_set, task, {"hidden": args.hidden, "cell": name, "layers": 1, "seed": args.seed,
                                             "forget_bias": task.forget_bias if name == "lstm" else None})
        model.eval()
        before[name] = inspect.gradient_flow(model, X, seed=args.seed)
        train(model, train_set, lr=task.lr, epochs=args.epochs, batch_size=task.batch_size, clip_norm=1.0,
              seed=args.seed, progress=False)
        model.eval()
        after[name] = inspect.gradient_flow(model, X, seed=args.seed)
    return before, after


def _longest(ds: Any, n: int) -> np.ndarray:
    """The data set's ``n`` longest sequences, cut to the shortest of them (no padding to read through)."""
    if ds.lengths is None:
        return ds.X[:n]
    pick = np.argsort(-ds.lengths, kind="stable")[:n]
    return ds.X[pick, :int(ds.lengths[pick].min())]


def _table(title: str, flows: dict) -> None:
    """The top layer's ||dL/dh|| at a few lags behind the step the loss reads."""
    at = next(iter(flows.values())).at
    lags = [k for k in LAGS if k <= at + 1]
    if title:
        print(title)
    print(f"{'cell':<6}" + "".join(f"{f'lag {k}':>11}" for k in lags))
    for name, flow in flows.items():
        print(f"{name:<6}" + "".join(f"{flow.lag(k):>11.2e}" for k in lags))


def _draw(before: dict, after: dict | None, args: Any, path: str) -> None:
    try:
        plt = plot.pyplot()
    except ImportError as err:
        print(f"no plot: {err}")
        return
    fig, axes = plt.subplots(1, 2 if after else 1, figsize=(12 if after else 7, 4.5), squeeze=False)
    where = f" on {args.trained}" if args.trained else ""
    plot.gradient_flow({k.upper(): v for k, v in before.items()}, ax=axes[0][0],
                       title=("before training" if after else "untrained cells") + where)
    if after:
        plot.gradient_flow({k.upper(): v for k, v in after.items()}, ax=axes[0][1],
                           title=f"after {args.epochs} epochs{where}")
    fig.suptitle("how far back the gradient of L = <u, out[T-1]> reaches")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
