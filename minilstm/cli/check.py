"""``python -m minilstm check``: gradient-check every cell and layer option of the engine."""
from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from ..gradcheck import gradcheck
from ..nn.recurrent import GRU, LSTM, RNN, PeepholeLSTM
from .args import non_negative, positive

CHECK_DESCRIPTION = """\
Gradient-check every cell and layer option of the engine: for each, the float64
gradients of backpropagation through time (with a random initial state) against
4th-order central differences of the loss. Prints, for each, how far the two
agree relative to the gradient's scale and the worst relative error left beyond
the finite differences' own rounding noise (0 for a right gradient, on any
machine), and exits with 0 when that is within --tol everywhere, 1 otherwise."""

# (label, layer class, options): every cell and layer option the engine has
CHECKS = [
    ("RNN tanh", RNN, {}),
    ("RNN relu", RNN, {"nonlinearity": "relu"}),
    ("LSTM", LSTM, {}),
    ("LSTM 2 layers, bidirectional", LSTM, {"num_layers": 2, "bidirectional": True}),
    ("LSTM batch_first, no bias", LSTM, {"batch_first": True, "bias": False}),
    ("GRU reset_after=True", GRU, {}),
    ("GRU reset_after=False", GRU, {"reset_after": False}),
    ("GRU 2 layers, dropout 0.3", GRU, {"num_layers": 2, "dropout": 0.3}),
    ("Peephole LSTM", PeepholeLSTM, {}),
    ("Peephole LSTM bidirectional", PeepholeLSTM, {"bidirectional": True}),
    ("LSTM no input gate (NIG)", PeepholeLSTM, {"input_gate": False}),
    ("LSTM no forget gate (NFG)", PeepholeLSTM, {"forget_gate": False}),
    ("LSTM no output gate (NOG)", PeepholeLSTM, {"output_gate": False}),
    ("LSTM no input act. (NIAF)", PeepholeLSTM, {"input_activation": False}),
    ("LSTM no output act. (NOAF)", PeepholeLSTM, {"output_activation": False}),
    ("LSTM coupled gates (CIFG)", PeepholeLSTM, {"coupled": True}),
]


def check(tol: float = 1e-6, seed: int = 0) -> bool:
    """Gradient-check every cell and option with a given initial state; print a table."""
    rng = np.random.default_rng(seed)
    T, B, D, H = 5, 3, 4, 6
    print(f"Gradient check: float64, T={T} B={B} D={D} H={H}, 4th-order central differences")
    print(f"{'cell and options':<32} {'worst parameter':<18} {'rel. error':>10} {'beyond noise':>12}  result")
    ok = True
    for label, cls, options in CHECKS:
        layer = cls(D, H, dtype="float64", seed=seed, **options)
        x = rng.standard_normal((B, T, D) if layer.batch_first else (T, B, D))
        shape = (layer.num_layers * layer.num_directions, B, H)
        state = tuple(rng.standard_normal(shape) for _ in layer.cell.state_names)
        report = gradcheck(layer, x, state if len(state) > 1 else state[0], max_entries=20, seed=seed)
        name = max(report.errors, key=lambda k: (report.errors[k], report.agreement[k]))
        passed = report.passed(tol)
        ok &= passed
        print(f"{label:<32} {name:<18} {report.agreement[name]:>10.1e} {report.worst:>12.1e}  "
              f"{'ok' if passed else 'FAILED'}")
    print(f"{'all passed' if ok else 'SOME FAILED'} (tolerance {tol:g})")
    return ok


def add_check_parser(sub: Any) -> None:
    """The ``check`` subcommand and its options."""
    p = sub.add_parser("check", help="gradient-check every cell and option, print the worst errors",
                       description=CHECK_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tol", type=positive(float), default=1e-6, metavar="TOL",
                   help="largest relative error beyond the noise that passes (default 1e-06)")
    p.add_argument("--seed", type=non_negative(int), default=0, metavar="S",
                   help="seed of weights, data and checked entries (default 0)")
    p.set_defaults(handler=run_check)


def run_check(args: Any) -> int:
    """Run ``python -m minilstm check`` with parsed ``args``; 0 when every check passes, else 1."""
    start = time.perf_counter()
    ok = check(args.tol, args.seed)
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0 if ok else 1
