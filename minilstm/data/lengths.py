"""Variable lengths: is the sum of a random-length sequence positive?

Task
    Each sequence has a random length in ``[min_len, max_len]`` and values
    uniform in [-1, 1]; its class is 1 when the sum of its values is
    positive, else 0. Sequences are padded at the end with ``pad_value``
    (0 by default) and ``lengths`` gives the true lengths.
    ``kind = "classify_last"``: read the output at step ``lengths - 1``.
    The task exists to exercise padding and masks: an RNN that keeps running
    over the padding drifts away from the state it had at the true end, and
    ``pad_value=float("nan")`` makes any use of a padded step visible.
Source
    A sanity task for padded batches, written for minilstm (generated, nothing
    downloaded).
Success
    Accuracy (:func:`~minilstm.data.class_accuracy`) above 0.95; guessing
    gets 0.5.
"""
from __future__ import annotations

import numpy as np

from ._checks import positive_int, real, seed_arg
from .dataset import Dataset


def sum_sign(n: int = 1000, min_len: int = 5, max_len: int = 30, pad_value: float = 0.0,
             seed: int | None = None) -> Dataset:
    """Generate ``n`` variable-length sequences labelled by the sign of their sum.

    Parameters
    ----------
    n : int
        Number of sequences.
    min_len, max_len : int
        Lengths are uniform integers in ``[min_len, max_len]``.
    pad_value : float
        Value of the padded steps (NaN is allowed, to catch leaks).
    seed : int or None

    Returns
    -------
    Dataset
        ``X`` ``(n, max(lengths), 1)`` float32; ``Y`` ``(n,)`` int64 in {0, 1};
        ``lengths`` ``(n,)`` int64; ``meta``: ``n_classes`` (2), ``pad_value``.
    """
    n = positive_int("n", n)
    min_len, max_len = positive_int("min_len", min_len), positive_int("max_len", max_len)
    if max_len < min_len:
        raise ValueError(f"max_len must be >= min_len={min_len}, got {max_len}")
    pad_value = real("pad_value", pad_value)
    rng = np.random.default_rng(seed_arg(seed))

    lengths = rng.integers(min_len, max_len + 1, n)
    Tmax = int(lengths.max())
    values = rng.uniform(-1.0, 1.0, (n, Tmax))
    valid = np.arange(Tmax)[None, :] < lengths[:, None]
    labels = (np.where(valid, values, 0.0).sum(axis=1) > 0).astype(np.int64)
    X = np.where(valid, values, pad_value)[..., None].astype(np.float32)
    return Dataset(X, labels, lengths.astype(np.int64), "classify_last",
                   dict(n_classes=2, pad_value=pad_value))
