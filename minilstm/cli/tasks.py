"""The built-in tasks the commands run, and what a text run leaves beside its model.

Each task says how to make its data, the model's shape, its metric (the 1997
criterion where there is one) and the plot that shows it. The defaults of the
whole command train an LSTM on the noisy sine wave in well under a minute.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import data
from ..model import Model


@dataclass(frozen=True)
class Task:
    """How the command line runs one task, and its defaults (each measured to reach the task's
    criterion in well under a minute on 2 cores; the README's "Every task's default" table)."""

    make: Callable[[int, int], tuple]           # (seed, length) -> (train, val) datasets
    readout: str                                # the Model's readout: "last" or "all"
    metric: str                                 # the name logged as val_<metric>
    score: Callable[[np.ndarray, Any], float]   # (pred, dataset) -> metric
    length: int                                 # the task's length knob (see LENGTHS)
    hidden: int = 32
    epochs: int = 20
    lr: float = 1e-2
    batch_size: int = 32
    forget_bias: float = 1.0                    # LSTM and peephole LSTM only
    schedule: str | None = None                 # the learning-rate schedule over the run's epochs
    chance: float | None = None                 # the metric of a model that learned nothing
    stream: bool = False                        # stateful TBPTT: make takes rows=batch_size, length is seq_len
    prime: str | None = None                    # a text task's sample starts from it (None: not a text task)


# what --length sets for each task
LENGTHS = {"sine": "the input window", "adding": "T, the minimal sequence length", "reber": "strings (no length knob)",
           "order": "T, the sequence length", "copy": "the delay between the K symbols and the recall",
           "text": "characters per training sequence",
           "python": "seq_len, the steps of truncated BPTT"}


def _sine(seed: int, length: int) -> tuple:
    train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=seed, window=length))
    return train_set, val_set


def _random_split(name: str, length_kw: str | None, **kw: Any) -> Callable[[int, int], tuple]:
    def make(seed: int, length: int) -> tuple:
        extra = {length_kw: length} if length_kw else {}
        train_set, val_set = data.split(data.make_task(name, seed=seed, **kw, **extra), (0.8, 0.2), seed=seed)
        return train_set, val_set
    return make


def _python(seed: int, length: int, rows: int) -> tuple:
    """The training files as ``rows`` contiguous rows; the held-out files as 32 (state carried along each)."""
    return data.make_task("python", seed=seed, rows=rows), data.python_source(rows=VAL_ROWS, part="held_out")


def _char_accuracy(pred: np.ndarray, ds: Any) -> float:
    return float(np.mean(pred.argmax(axis=-1) == ds.Y))


TASKS = {
    "sine": Task(_sine, "last", "rmse", lambda p, ds: data.rmse(p, ds.Y, ds.meta["scaler"]), length=20,
                 epochs=30),
    "adding": Task(_random_split("adding", "T", n=10000), "last", "accuracy",
                   lambda p, ds: data.adding_accuracy(p, ds.Y), length=50, hidden=32, epochs=10, lr=5e-3,
                   forget_bias=5.0, schedule="cosine", chance=0.15),
    "reber": Task(_random_split("reber", None, n=1000), "all", "accuracy",
                  lambda p, ds: data.reber_accuracy(p, ds.Y, ds.lengths), length=0, epochs=20, chance=0.0),
    "order": Task(_random_split("order", "T", n=2000), "last", "accuracy",
                  lambda p, ds: data.class_accuracy(p, ds.Y), length=50, epochs=30, lr=5e-3, chance=0.25),
    "copy": Task(_random_split("copy", "delay", n=4000, K=5), "all", "accuracy",
                 lambda p, ds: data.copy_accuracy(p, ds.Y), length=10, hidden=64, epochs=30, lr=5e-3,
                 chance=0.0),
    "text": Task(_random_split("text", "seq_len"), "all", "char_accuracy", _char_accuracy, length=50,
                 hidden=128, epochs=30, lr=5e-3, batch_size=16, prime="The "),
    # measured to beat gzip -9 on the held-out files within 10 minutes on two cores (README, "Real text")
    "python": Task(_python, "all", "bpc", lambda p, ds: data.bits_per_char(p, ds.Y), length=100, hidden=256,
                   epochs=3, lr=3e-3, batch_size=64, schedule="cosine", stream=True, prime="def ",
                   chance=float(np.log2(98))),  # bits per character of a uniform guess over the 98 characters
}
VAL_ROWS = 32  # the python task's held-out text, cut into this many rows read with the state carried
SAMPLE_TEMPERATURE = 0.5  # of the text task's sample: lower repeats the commonest words, higher misspells
SAMPLE_PRIME, SAMPLE_LENGTH = "The ", 200  # the text task's sample: its start and the characters drawn after it
SAMPLE_PRIMES = {name: task.prime for name, task in TASKS.items() if task.prime is not None}  # the text tasks
VOCAB_FILE = "vocab.json"  # a text run's characters, which `python -m minilstm sample` maps the model's ids to


def new_model(train_set: Any, task: Task, settings: dict) -> Model:
    """A new model for ``train_set``, shaped by ``settings``."""
    vocab = train_set.meta.get("n_symbols") if train_set.X.ndim == 2 else None
    n_out = train_set.meta.get("n_classes", train_set.Y.shape[-1] if train_set.Y.ndim > 1 else 1)
    options = {} if settings["forget_bias"] is None else {"forget_bias": settings["forget_bias"]}
    return Model(32 if vocab else train_set.X.shape[-1], settings["hidden"], n_out, cell=settings["cell"],
                 num_layers=settings["layers"], readout=task.readout, vocab_size=vocab, seed=settings["seed"],
                 dropout=settings.get("dropout", 0.0), recurrent_dropout=settings.get("recurrent_dropout", 0.0),
                 **options)


def write_vocab(out: str, vocab: data.CharVocab) -> None:
    """Write ``out/vocab.json``, ``{"chars": "..."}``: the text model's id ``i`` is the character ``chars[i]``."""
    with open(os.path.join(out, VOCAB_FILE), "w", encoding="utf-8") as f:
        json.dump({"chars": vocab.chars}, f)


def read_vocab(folder: str) -> data.CharVocab:
    """The vocabulary that :func:`write_vocab` wrote in ``folder``.

    Raises
    ------
    OSError
        When ``folder`` holds no readable ``vocab.json``.
    ValueError
        When it holds one that is not a JSON object whose ``"chars"`` is a string of distinct characters.
    """
    path = os.path.join(folder, VOCAB_FILE)
    with open(path, encoding="utf-8") as f:
        try:
            chars = json.load(f)["chars"]
        except (ValueError, TypeError, KeyError):  # not JSON (or not UTF-8), not an object, no "chars"
            chars = None
    if not isinstance(chars, str) or not chars or len(set(chars)) != len(chars):
        raise ValueError(f"{path} is not a vocabulary: a JSON object whose \"chars\" is a string of distinct "
                         "characters")
    return data.CharVocab(chars)


def known_words(sample: str, corpus: str) -> tuple[int, int]:
    """``(known, words)``: how many of the whole words of ``sample`` (its last word, perhaps cut short,
    left out) are words of ``corpus``, ignoring case."""
    words = re.findall(r"[a-z]+", sample.lower())[:-1]
    vocabulary = set(re.findall(r"[a-z]+", corpus.lower()))
    return sum(word in vocabulary for word in words), len(words)
