"""``python -m minilstm sample``: text from a model that ``python -m minilstm train --task text`` wrote.

The run's folder holds the model (``model.npz``) and its characters
(``vocab.json``, see :func:`minilstm.cli.tasks.write_vocab`); :func:`minilstm.data.sample`
feeds the prime, then each character it draws, back into the model, the
recurrent state carried from one step to the next. With the defaults and the
run's own seed it prints the sample that training printed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .. import checkpoint, data
from ..model import Model
from .args import UsageError, non_negative, positive
from .tasks import SAMPLE_LENGTH, SAMPLE_PRIME, SAMPLE_PRIMES, SAMPLE_TEMPERATURE, read_vocab

SAMPLE_DESCRIPTION = """\
Print text from a model trained by 'python -m minilstm train --task text' (or
--task python): the
prime, then --length characters, each drawn from the softmax of the model's
next-character logits divided by --temperature and fed back in, the recurrent
state carried from one character to the next. RUN is the run's folder, or its
model.npz or best.npz; the folder's vocab.json maps the model's ids to
characters. With every default, RUN's model.npz prints the sample that
training printed.

exit codes: 0 done; 2 a mistake (no such run, not a text run, a prime with
characters outside the run's vocabulary, a bad option)."""
SAMPLE_EXAMPLES = ("examples:\n"
                   "  python -m minilstm train --task text --out runs/text\n"
                   "  python -m minilstm sample runs/text --length 500 --temperature 0.8 --seed 1\n"
                   "  python -m minilstm sample runs/text/best.npz --prime 'The keeper'")


def add_sample_parser(sub: Any) -> None:
    """The ``sample`` subcommand and its options."""
    p = sub.add_parser("sample", help="print text sampled from a trained text model",
                       description=SAMPLE_DESCRIPTION, epilog=SAMPLE_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="a text run's folder, or its model.npz or best.npz")
    p.add_argument("--length", type=positive(int), default=SAMPLE_LENGTH, metavar="N",
                   help=f"characters to draw after the prime (default {SAMPLE_LENGTH})")
    p.add_argument("--temperature", type=positive(float), default=SAMPLE_TEMPERATURE, metavar="T",
                   help=f"divides the logits: lower repeats the commonest words, higher misspells "
                        f"(default {SAMPLE_TEMPERATURE:g})")
    p.add_argument("--prime", default=None, metavar="TEXT",
                   help="the text to start from, printed first (default: the task's, as training drew its sample: "
                        + ", ".join(f"{task} {prime!r}" for task, prime in SAMPLE_PRIMES.items()) + ")")
    p.add_argument("--seed", type=non_negative(int), default=None, metavar="S",
                   help="seed of the draws (default: the run's seed, as training drew its sample)")
    p.set_defaults(handler=run_sample)


def run_sample(args: Any) -> int:
    """Run ``python -m minilstm sample`` with parsed ``args``: print the text; return the exit code.

    A mistake (a missing run, a run that is not a text run, a prime with
    characters outside the run's vocabulary) is one line on stderr and exit code 2.
    """
    try:
        text = _sample(args)
    except UsageError as err:
        print(f"python -m minilstm sample: error: {err}", file=sys.stderr)
        return 2
    print(text)
    return 0


def _sample(args: Any) -> str:
    folder, path = _locate(args.run)
    settings = _settings(folder)
    vocab = _vocab(args.run, folder, settings)
    model = _load(args.run, path, vocab)
    prime = args.prime if args.prime is not None else SAMPLE_PRIMES.get(settings.get("task"), SAMPLE_PRIME)
    _check_prime(prime, vocab)
    seed = args.seed if args.seed is not None else settings.get("seed", 0)
    return data.sample(model.step_fn(), vocab, prime, args.length, temperature=args.temperature, rng=seed)


def _locate(run: str) -> tuple[str, str]:
    """``(folder, checkpoint)`` of ``RUN``: a run's folder (its model.npz) or a checkpoint in one."""
    if os.path.isfile(run):
        if not run.endswith(".npz"):
            raise UsageError(f"{run}: a file, but not a checkpoint (.npz); give the run's folder")
        return os.path.dirname(run) or ".", run
    if not os.path.isdir(run):
        raise UsageError(f"{run}: no such folder")
    path = os.path.join(run, "model.npz")
    if not os.path.isfile(path):
        raise UsageError(f"{run}: no run there (no model.npz); train one with "
                         f"python -m minilstm train --task text --out {run}")
    return run, path


def _settings(folder: str) -> dict:
    """The run's settings, from its metrics.json (``{}`` when there is none, or none readable)."""
    try:
        with open(os.path.join(folder, "metrics.json"), encoding="utf-8") as f:
            settings = json.load(f).get("settings")
    except (OSError, ValueError, AttributeError):
        return {}
    return settings if isinstance(settings, dict) else {}


def _vocab(run: str, folder: str, settings: dict) -> data.CharVocab:
    """The run's characters, or a UsageError saying why a run that is not a text run has none."""
    task = settings.get("task")
    if task is not None and task not in SAMPLE_PRIMES:
        raise UsageError(f"{run}: a {task} run, not a text run; sample reads runs of "
                         f"python -m minilstm train --task {' or --task '.join(SAMPLE_PRIMES)}")
    try:
        return read_vocab(folder)
    except OSError:
        raise UsageError(f"{run}: no vocab.json in {folder}, so the model's characters are unknown (a text run "
                         "writes it; one trained before minilstm did must be trained again)") from None
    except ValueError as err:
        raise UsageError(f"{run}: {err}") from None


def _load(run: str, path: str, vocab: data.CharVocab) -> Model:
    """The checkpoint's model, checked to be a character model of ``vocab``'s size."""
    try:
        model = checkpoint.load(path)
    except (OSError, ValueError) as err:
        raise UsageError(f"{run}: {err}") from None
    config = model.config if isinstance(model, Model) else {}
    if config.get("readout") != "all" or not config.get("vocab_size") == config.get("output_size") == vocab.size:
        raise UsageError(f"{run}: {path} is not a character model of vocab.json's {vocab.size} characters "
                         f"(its vocab_size {config.get('vocab_size')}, output_size {config.get('output_size')})")
    return model


def _check_prime(prime: str, vocab: data.CharVocab) -> None:
    """A UsageError unless ``prime`` is non-empty text of ``vocab``'s characters."""
    if not prime:
        raise UsageError("--prime: empty; the model needs at least one character to start from")
    unknown = "".join(sorted(set(prime) - set(vocab.chars)))
    if unknown:
        raise UsageError(f"--prime: {unknown!r} not in the run's vocabulary, whose {vocab.size} characters are "
                         f"{vocab.chars!r}")
