"""The command line's entry point: the top parser, the ``check`` command, and dispatch.

Each command's parser and runner live beside this file (``train`` in
:mod:`minilstm.cli`, ``flow`` in :mod:`minilstm.cli_flow`, ``sample`` in
:mod:`minilstm.cli_sample`); ``check`` is small enough to live here. Every
``--help`` is plain text: the descriptions are written for a terminal, not
taken from these docstrings.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np

from .cli import flow as cli_flow
from .cli import sample as cli_sample
from .cli import train as cli
from .gradcheck import gradcheck
from .nn import recurrent

DESCRIPTION = "Train, check, inspect and sample small recurrent networks from the shell."
EXAMPLES = """\
examples:
  python -m minilstm train                  an LSTM on a noisy sine wave
  python -m minilstm train --task text      a character model, in runs/text-lstm
  python -m minilstm sample runs/text-lstm  text from it
  python -m minilstm check                  gradient-check every cell
  python -m minilstm flow --trained reber   gradient flow before and after training

'python -m minilstm COMMAND --help' describes a command and its options.
With no command this help is printed, the exit code is 2, and nothing is trained."""
CHECK_DESCRIPTION = """\
Gradient-check every cell and layer option of the engine: for each, the float64
gradients of backpropagation through time (with a random initial state) against
4th-order central differences of the loss. Prints, for each, how far the two
agree relative to the gradient's scale and the worst relative error left beyond
the finite differences' own rounding noise (0 for a right gradient, on any
machine), and exits with 0 when that is within --tol everywhere, 1 otherwise."""

# (label, layer class, options): every cell and layer option the engine has
CHECKS = [
    ("RNN tanh", recurrent.RNN, {}),
    ("RNN relu", recurrent.RNN, {"nonlinearity": "relu"}),
    ("LSTM", recurrent.LSTM, {}),
    ("LSTM 2 layers, bidirectional", recurrent.LSTM, {"num_layers": 2, "bidirectional": True}),
    ("LSTM batch_first, no bias", recurrent.LSTM, {"batch_first": True, "bias": False}),
    ("GRU reset_after=True", recurrent.GRU, {}),
    ("GRU reset_after=False", recurrent.GRU, {"reset_after": False}),
    ("GRU 2 layers, dropout 0.3", recurrent.GRU, {"num_layers": 2, "dropout": 0.3}),
    ("Peephole LSTM", recurrent.PeepholeLSTM, {}),
    ("Peephole LSTM bidirectional", recurrent.PeepholeLSTM, {"bidirectional": True}),
    ("LSTM no input gate (NIG)", recurrent.PeepholeLSTM, {"input_gate": False}),
    ("LSTM no forget gate (NFG)", recurrent.PeepholeLSTM, {"forget_gate": False}),
    ("LSTM no output gate (NOG)", recurrent.PeepholeLSTM, {"output_gate": False}),
    ("LSTM no input act. (NIAF)", recurrent.PeepholeLSTM, {"input_activation": False}),
    ("LSTM no output act. (NOAF)", recurrent.PeepholeLSTM, {"output_activation": False}),
    ("LSTM coupled gates (CIFG)", recurrent.PeepholeLSTM, {"coupled": True}),
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
    p.add_argument("--tol", type=cli._positive(float), default=1e-6, metavar="TOL",
                   help="largest relative error beyond the noise that passes (default 1e-06)")
    p.add_argument("--seed", type=cli._non_negative(int), default=0, metavar="S",
                   help="seed of weights, data and checked entries (default 0)")
    p.set_defaults(handler=run_check)


def run_check(args: Any) -> int:
    """Run ``python -m minilstm check`` with parsed ``args``; 0 when every check passes, else 1."""
    start = time.perf_counter()
    ok = check(args.tol, args.seed)
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    """The top parser, with every command's subparser."""
    parser = cli.Parser(prog="python -m minilstm", description=DESCRIPTION, epilog=EXAMPLES,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    cli.add_train_parser(sub)
    add_check_parser(sub)
    cli_flow.add_flow_parser(sub)
    cli_sample.add_sample_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    With no command it prints the help to stdout and returns 2, the code argparse
    gives an incomplete command line; it never trains by default, so a script
    that relied on that fails loudly instead of overwriting a run.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.handler(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
