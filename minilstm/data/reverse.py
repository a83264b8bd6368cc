"""Reverse or sort a sequence: the small sequence-to-sequence tasks of encoder-decoder lessons.

Task
    The input is ``T`` random symbols from an alphabet of ``alphabet``
    symbols; the target is the same symbols reversed (``mode="reverse"``) or
    sorted in ascending order (``mode="sort"``), one target symbol per step::

        input   s1 s2 .. sT
        target  sT .. s2 s1          (reverse)
                sorted(s1 .. sT)     (sort)

    As a per-step labelling (one output per input step) ``reverse`` needs the
    future: the target at step t is the input at step ``T - 1 - t``, so a
    left-to-right network has not yet seen it for ``t < T/2``, while a
    bidirectional one has. As an encoder-decoder task the decoder reads the
    target shifted right by one behind a start symbol (:func:`shift_right`,
    teacher forcing) and writes the target. ``kind = "classify_seq"``.
Source
    Sutskever et al. 2014 reversed their source sentences, and
    reversal and sorting are the toy tasks of the attention tutorials
    (Bahdanau et al. 2015's alignment pictures; sorting as in Vinyals et al.
    2015, "Order matters").
Success
    A sequence is right when every one of its ``T`` output steps is right
    (:func:`minilstm.data.sequence_accuracy`). Guessing gets
    ``alphabet ** -T`` of them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..validate import choice
from ._checks import at_least, boolean, count, positive_int, seed_arg
from .dataset import Dataset, one_hot

MODES = ("reverse", "sort")


def reverse_task(n: int = 1000, T: int = 8, alphabet: int = 8, mode: str = "reverse",
                 one_hot_inputs: bool = True, seed: int | None = None) -> Dataset:
    """Generate ``n`` sequences of ``T`` symbols and their reversed (or sorted) copies.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Symbols per sequence (>= 2).
    alphabet : int
        Number of distinct symbols (>= 2).
    mode : {"reverse", "sort"}
        The target: the input reversed, or sorted in ascending order.
    one_hot_inputs : bool
        ``X`` as ``(n, T, alphabet)`` float32 one-hot vectors; ``False``:
        ``(n, T)`` int64 ids for an Embedding.
    seed : int or None

    Returns
    -------
    Dataset
        ``Y`` ``(n, T)`` int64 symbol ids; ``meta``: ``mode``, ``n_classes``
        (= ``alphabet``), ``n_symbols`` (= ``alphabet``), ``start`` (=
        ``alphabet``, the decoder's start symbol, one past the alphabet) and
        ``source`` (the ``(n, T)`` input ids).
    """
    n = positive_int("n", n)
    T = at_least("T", T, 2, "one symbol is its own reverse")
    alphabet = at_least("alphabet", alphabet, 2, "one symbol needs no memory")
    mode = choice("mode", mode, MODES)
    one_hot_inputs = boolean("one_hot_inputs", one_hot_inputs)
    rng = np.random.default_rng(seed_arg(seed))

    ids = rng.integers(0, alphabet, (n, T)).astype(np.int64)
    Y = ids[:, ::-1].copy() if mode == "reverse" else np.sort(ids, axis=1)
    X = one_hot(ids, alphabet) if one_hot_inputs else ids
    meta = dict(mode=mode, n_classes=alphabet, n_symbols=alphabet, start=alphabet, source=ids)
    return Dataset(X, Y, None, "classify_seq", meta)


def shift_right(Y: Any, start: int) -> np.ndarray:
    """The decoder's inputs under teacher forcing: ``start``, then ``Y`` without its last step.

    Parameters
    ----------
    Y : (N, T) int array
        Target ids.
    start : int
        The start symbol's id.

    Returns
    -------
    (N, T) int64 array
        ``[start, Y[:, 0], ..., Y[:, T-2]]`` per row: at step t the decoder reads the
        target of step t - 1 and predicts the target of step t.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2 or not np.issubdtype(Y.dtype, np.integer):
        raise ValueError(f"Y must be a 2-D int array (sequences, steps), got {Y.dtype} shape {Y.shape}")
    start = count("start", start)
    return np.concatenate([np.full((Y.shape[0], 1), start, np.int64), Y[:, :-1].astype(np.int64)], axis=1)
