"""The copy (memory) task: read K symbols, wait, then write them back.

Task
    The input is ``K`` random symbols from an alphabet of ``alphabet``
    symbols, ``delay`` blanks, a delimiter, then ``K`` more blanks while the
    network writes the ``K`` symbols back in order::

        input   s1 .. sK  _ .. _  :  _ .. _        T = 2K + delay + 1 steps
        target  -  ..  -  - .. -  -  s1 .. sK      ("-" = -1, not scored)

    Ids: symbols ``0 .. alphabet-1``, blank ``alphabet``, delimiter
    ``alphabet + 1``; targets are symbol ids, so a head needs ``alphabet``
    classes. ``kind = "classify_seq"``.
Source
    The memory/copy task of Hochreiter & Schmidhuber 1997 (its long-lag
    experiments), in the form of Graves et al. 2014 ("Neural Turing
    Machines") and Arjovsky et al. 2016 ("Unitary Evolution RNNs").
Success
    A sequence is copied when every one of its ``K`` output steps is right
    (:func:`copy_accuracy`). Guessing gets ``alphabet ** -K`` of them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import at_least, boolean, count, positive_int, seed_arg
from .dataset import IGNORE, Dataset, one_hot, sequence_accuracy


def copy_task(n: int = 1000, K: int = 10, delay: int = 20, alphabet: int = 8,
              one_hot_inputs: bool = True, seed: int | None = None) -> Dataset:
    """Generate ``n`` copy-task sequences of length ``2K + delay + 1``.

    Parameters
    ----------
    n : int
        Number of sequences.
    K : int
        Symbols to remember.
    delay : int
        Blanks between the last symbol and the delimiter (>= 0).
    alphabet : int
        Number of distinct symbols (>= 2).
    one_hot_inputs : bool
        ``X`` as ``(n, T, alphabet + 2)`` float32 one-hot vectors; ``False``:
        ``(n, T)`` int64 ids for an Embedding.
    seed : int or None

    Returns
    -------
    Dataset
        ``Y`` ``(n, T)`` int64, ``-1`` except the last ``K`` steps;
        ``meta``: ``K``, ``delay``, ``n_classes`` (= ``alphabet``),
        ``n_symbols`` (= ``alphabet + 2``), ``blank``, ``delimiter``.
    """
    n, K = positive_int("n", n), positive_int("K", K)
    delay = count("delay", delay)
    alphabet = at_least("alphabet", alphabet, 2, "one symbol needs no memory")
    one_hot_inputs = boolean("one_hot_inputs", one_hot_inputs)
    rng = np.random.default_rng(seed_arg(seed))

    blank, delimiter = alphabet, alphabet + 1
    T = 2 * K + delay + 1
    symbols = rng.integers(0, alphabet, (n, K))
    ids = np.full((n, T), blank, dtype=np.int64)
    ids[:, :K] = symbols
    ids[:, K + delay] = delimiter
    Y = np.full((n, T), IGNORE, dtype=np.int64)
    Y[:, T - K:] = symbols

    X = one_hot(ids, alphabet + 2) if one_hot_inputs else ids
    meta = dict(K=K, delay=delay, n_classes=alphabet, n_symbols=alphabet + 2,
                blank=blank, delimiter=delimiter)
    return Dataset(X, Y, None, "classify_seq", meta)


def copy_accuracy(scores: Any, targets: Any) -> float:
    """Fraction of sequences copied exactly.

    Parameters
    ----------
    scores : array_like
        ``(N, T, C)`` outputs (``C >= alphabet``; the highest is the guess).
    targets : array_like
        ``(N, T)`` int64, ``-1`` on steps that are not scored.
    """
    return sequence_accuracy(scores, targets)
