"""The adding problem (Hochreiter & Schmidhuber 1997, Experiment 4).

Task
    Each step carries a pair ``(value, marker)``: ``value`` uniform in
    [-1, 1], ``marker`` in {-1, 0, 1}. Exactly two pairs are marked with 1:
    one of the first ten (its value is ``X1``) and one of the first ``T/2``
    pairs not already marked (``X2``). The first and the last pair are marked
    -1 unless marked 1 (a first pair marked 1 has its value set to 0).
    At the sequence end the target is ``0.5 + (X1 + X2) / 4``, the sum scaled
    to [0, 1]. Lengths are random integers in ``[T, T + T // 10]`` as in the
    paper (``variable=False`` makes them all ``T``); sequences are zero-padded
    at the end. ``kind = "regression_last"``: read the output at step ``lengths - 1``.
Source
    S. Hochreiter and J. Schmidhuber, "Long Short-Term Memory", Neural
    Computation 9(8), 1997, section 5.4 (Experiment 4), with ``T`` = 100, 500, 1000.
Success
    A sequence is processed correctly when the absolute error at its end is
    below 0.04 (:func:`adding_accuracy`). Always predicting 0.5 gets about
    15 % right.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import at_least, boolean, positive_int, seed_arg
from .dataset import Dataset

TOLERANCE = 0.04  # the paper's threshold on |error| at the sequence end


def adding_problem(n: int = 1000, T: int = 100, variable: bool = True,
                   seed: int | None = None) -> Dataset:
    """Generate ``n`` adding-problem sequences.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Minimal length (>= 20, so both marks fall in the first half).
    variable : bool
        Lengths random in ``[T, T + T // 10]`` (the paper); ``False``: all ``T``.
    seed : int or None

    Returns
    -------
    Dataset
        ``X`` ``(n, Tmax, 2)`` float32 (value, marker), zero after each length;
        ``Y`` ``(n, 1)`` float32 targets in [0, 1]; ``lengths`` ``(n,)`` int64;
        ``meta``: ``T``, ``tolerance``, ``positions`` ``(n, 2)`` of the two marks.
    """
    n = positive_int("n", n)
    T = at_least("T", T, 20, "one mark among the first ten steps, one in the first half")
    variable = boolean("variable", variable)
    rng = np.random.default_rng(seed_arg(seed))
    rows = np.arange(n)

    lengths = rng.integers(T, T + T // 10 + 1, n) if variable else np.full(n, T)
    Tmax = int(lengths.max())
    values = rng.uniform(-1.0, 1.0, (n, Tmax))
    p1 = rng.integers(0, 10, n)
    # uniform over the first T // 2 positions other than p1: draw from T // 2 - 1, skip p1
    p2 = rng.integers(0, T // 2 - 1, n)
    p2 = p2 + (p2 >= p1)

    markers = np.zeros((n, Tmax))
    markers[:, 0] = -1.0
    markers[rows, lengths - 1] = -1.0
    markers[rows, p1] = 1.0
    markers[rows, p2] = 1.0
    # the paper zeroes X1 when the first pair is marked; we do so for either mark
    values[:, 0] = np.where((p1 == 0) | (p2 == 0), 0.0, values[:, 0])

    valid = np.arange(Tmax)[None, :] < lengths[:, None]
    X = np.stack([values, markers], axis=-1) * valid[..., None]
    Y = 0.5 + (values[rows, p1] + values[rows, p2]) / 4.0
    meta = dict(T=T, tolerance=TOLERANCE, positions=np.stack([p1, p2], axis=1))
    return Dataset(X.astype(np.float32), Y[:, None].astype(np.float32),
                   lengths.astype(np.int64), "regression_last", meta)


def adding_accuracy(pred: Any, target: Any) -> float:
    """Fraction of sequences with ``|pred - target| < 0.04`` (the paper's criterion).

    Parameters
    ----------
    pred, target : array_like
        ``(N,)`` or ``(N, 1)`` predictions at each sequence end and the targets.
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1)
    target = np.asarray(target, dtype=np.float64).reshape(-1)
    if pred.shape != target.shape:
        raise ValueError(f"pred must hold one value per target ({target.size}), got {pred.size}")
    return float(np.mean(np.abs(pred - target) < TOLERANCE))
