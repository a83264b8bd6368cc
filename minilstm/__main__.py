"""The command line.

``python -m minilstm train`` trains a model on a built-in task (default: an LSTM
on a noisy sine wave) and writes a checkpoint, metrics and plots;
``python -m minilstm check`` gradient-checks every cell and option;
``python -m minilstm flow`` draws the gradient flow of RNN, LSTM and GRU.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from . import cli, cli_flow, layers
from .gradcheck import gradcheck

# (label, layer class, options): every cell and layer option the engine has
CHECKS = [
    ("RNN tanh", layers.RNN, {}),
    ("RNN relu", layers.RNN, {"nonlinearity": "relu"}),
    ("LSTM", layers.LSTM, {}),
    ("LSTM 2 layers, bidirectional", layers.LSTM, {"num_layers": 2, "bidirectional": True}),
    ("LSTM batch_first, no bias", layers.LSTM, {"batch_first": True, "bias": False}),
    ("GRU reset_after=True", layers.GRU, {}),
    ("GRU reset_after=False", layers.GRU, {"reset_after": False}),
    ("GRU 2 layers, dropout 0.3", layers.GRU, {"num_layers": 2, "dropout": 0.3}),
    ("Peephole LSTM", layers.PeepholeLSTM, {}),
    ("Peephole LSTM bidirectional", layers.PeepholeLSTM, {"bidirectional": True}),
    ("LSTM no input gate (NIG)", layers.PeepholeLSTM, {"input_gate": False}),
    ("LSTM no forget gate (NFG)", layers.PeepholeLSTM, {"forget_gate": False}),
    ("LSTM no output gate (NOG)", layers.PeepholeLSTM, {"output_gate": False}),
    ("LSTM no input act. (NIAF)", layers.PeepholeLSTM, {"input_activation": False}),
    ("LSTM no output act. (NOAF)", layers.PeepholeLSTM, {"output_activation": False}),
    ("LSTM coupled gates (CIFG)", layers.PeepholeLSTM, {"coupled": True}),
]


def check(tol: float = 1e-6, seed: int = 0) -> bool:
    """Gradient-check every cell and option with a given initial state; print a table."""
    rng = np.random.default_rng(seed)
    T, B, D, H = 5, 3, 4, 6
    print(f"Gradient check: float64, T={T} B={B} D={D} H={H}, 4th-order central differences")
    print(f"{'cell and options':<32} {'worst parameter':<18} {'worst rel. error':>16}  result")
    ok = True
    for label, cls, options in CHECKS:
        layer = cls(D, H, dtype="float64", seed=seed, **options)
        x = rng.standard_normal((B, T, D) if layer.batch_first else (T, B, D))
        shape = (layer.num_layers * layer.num_directions, B, H)
        state = tuple(rng.standard_normal(shape) for _ in layer.cell.state_names)
        report = gradcheck(layer, x, state if len(state) > 1 else state[0], max_entries=20, seed=seed)
        name = max(report.errors, key=report.errors.get)
        passed = report.passed(tol)
        ok &= passed
        print(f"{label:<32} {name:<18} {report.worst:>16.2e}  {'ok' if passed else 'FAILED'}")
    print(f"{'all passed' if ok else 'SOME FAILED'} (tolerance {tol:g})")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = cli.Parser(prog="python -m minilstm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    cli.add_train_parser(sub)
    p_check = sub.add_parser("check", help="gradient-check every cell and option, print worst errors")
    p_check.add_argument("--tol", type=cli._positive(float), default=1e-6, help="largest relative error that passes")
    p_check.add_argument("--seed", type=cli._non_negative(int), default=0,
                         help="seed of weights, data and checked entries")
    cli_flow.add_flow_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "flow":
        return cli_flow.run_flow(args)
    if args.command in (None, "train"):
        if args.command is None:  # the default run: train with every default
            args = parser.parse_args(["train", *(argv or [])])
        return cli.run_train(args)
    start = time.perf_counter()
    ok = check(args.tol, args.seed)
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
