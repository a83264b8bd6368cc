"""Temporal order: classify the order of two widely separated symbols.

Task
    A sequence starts with ``E``, ends with the trigger ``B`` and otherwise
    holds random distractors from ``{a, b, c, d}``, except at two positions
    ``t1`` and ``t2`` that hold ``X`` or ``Y``. The class is the order of
    these two: ``XX -> 0 (Q)``, ``XY -> 1 (R)``, ``YX -> 2 (S)``, ``YY -> 3 (U)``.
    With ``T = 100`` (the paper) lengths are random in [100, 110], ``t1`` in
    [10, 20] and ``t2`` in [50, 60]; other ``T`` scale these ranges
    (``[T, T + T//10]``, ``[T//10, T//5]``, ``[T//2, T//2 + T//10]``).
    ``kind = "classify_last"``: read the output at step ``lengths - 1`` (the ``B``).
Source
    Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation
    9(8), 1997, Experiment 6a (two relevant, widely separated symbols).
Success
    The paper counts a sequence right when every output unit is within 0.3 of
    its one-hot target; with a softmax head use the fraction whose highest
    output is the class (:func:`~minilstm.data.class_accuracy`), which the
    paper's criterion implies. LSTM reaches all test sequences right.
"""
from __future__ import annotations

import numpy as np

from ._checks import at_least, boolean, positive_int, seed_arg
from .dataset import Dataset, one_hot

SYMBOLS = ("E", "B", "a", "b", "c", "d", "X", "Y")
E_ID, B_ID, X_ID, Y_ID = 0, 1, 6, 7
DISTRACTORS = (2, 3, 4, 5)
CLASSES = ("XX", "XY", "YX", "YY")  # the paper's Q, R, S, U


def temporal_order(n: int = 1000, T: int = 100, one_hot_inputs: bool = True,
                   seed: int | None = None) -> Dataset:
    """Generate ``n`` temporal-order sequences (4 classes).

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Minimal length (>= 10); 100 gives the paper's setup.
    one_hot_inputs : bool
        ``X`` as ``(n, Tmax, 8)`` float32 one-hot vectors (the paper's local
        code, zero on padding); ``False``: ``(n, Tmax)`` int64 ids, padded with 0.
    seed : int or None

    Returns
    -------
    Dataset
        ``Y`` ``(n,)`` int64 class in 0..3; ``lengths`` ``(n,)`` int64;
        ``meta``: ``symbols``, ``classes``, ``n_classes`` (4), ``n_symbols`` (8),
        ``positions`` ``(n, 2)`` (``t1``, ``t2``).
    """
    n = positive_int("n", n)
    T = at_least("T", T, 10, "room for E, t1 < t2 and the trigger B")
    one_hot_inputs = boolean("one_hot_inputs", one_hot_inputs)
    rng = np.random.default_rng(seed_arg(seed))
    rows = np.arange(n)

    lengths = rng.integers(T, T + T // 10 + 1, n)
    Tmax = int(lengths.max())
    ids = rng.choice(np.array(DISTRACTORS), size=(n, Tmax))
    t1 = rng.integers(T // 10, T // 5 + 1, n)
    t2 = rng.integers(T // 2, T // 2 + T // 10 + 1, n)
    first, second = rng.integers(2, size=(2, n))  # 0 = X, 1 = Y
    ids[rows, t1] = np.where(first == 0, X_ID, Y_ID)
    ids[rows, t2] = np.where(second == 0, X_ID, Y_ID)
    ids[:, 0] = E_ID
    ids[rows, lengths - 1] = B_ID
    valid = np.arange(Tmax)[None, :] < lengths[:, None]
    ids = np.where(valid, ids, 0)

    X = one_hot(ids, len(SYMBOLS)) * valid[..., None] if one_hot_inputs else ids
    labels = 2 * first + second
    meta = dict(symbols=SYMBOLS, classes=CLASSES, n_classes=len(CLASSES),
                n_symbols=len(SYMBOLS), positions=np.stack([t1, t2], axis=1))
    return Dataset(X, labels.astype(np.int64), lengths.astype(np.int64), "classify_last", meta)
