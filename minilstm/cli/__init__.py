"""The command line, ``python -m minilstm COMMAND``: the top parser and one module per command.

- :mod:`.train`: ``train``, a model on a built-in task (:mod:`.tasks` holds the tasks);
- :mod:`.check`: ``check``, every cell and option gradient-checked;
- :mod:`.flow`: ``flow``, the gradient flow of an RNN, an LSTM and a GRU side by side;
- :mod:`.sample`: ``sample``, text from a trained text model;
- :mod:`.args`: what their parsers share.

Every ``--help`` is plain text: the descriptions are written for a terminal, not
taken from these docstrings. Scripts read the tasks and the text task's sample
settings from here (``minilstm.cli.TASKS``, ...).
"""
from __future__ import annotations

import argparse

from . import check, flow, sample, train
from .args import Parser
from .tasks import SAMPLE_LENGTH, SAMPLE_PRIME, SAMPLE_TEMPERATURE, TASKS, known_words, read_vocab, write_vocab

__all__ = ["main", "build_parser", "TASKS", "SAMPLE_LENGTH", "SAMPLE_PRIME", "SAMPLE_TEMPERATURE", "known_words",
           "read_vocab", "write_vocab"]

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


def build_parser() -> argparse.ArgumentParser:
    """The top parser, with every command's subparser."""
    parser = Parser(prog="python -m minilstm", description=DESCRIPTION, epilog=EXAMPLES,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    train.add_train_parser(sub)
    check.add_check_parser(sub)
    flow.add_flow_parser(sub)
    sample.add_sample_parser(sub)
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
