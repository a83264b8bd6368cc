"""The :class:`Dataset` every task returns, and how to split and batch it.

Data live on the host as NumPy arrays, batch-first; the training code moves
each batch to the backend (and to time-major ``(T, B, D)``) itself.

Shape letters: ``N`` sequences, ``T`` steps (the longest, for padded tasks),
``F`` input features, ``D`` regression outputs, ``C`` classes.

Kinds (they tell the training code which head and which loss to use):

=================== =================================== ====================================
kind                ``Y``                               scored where
=================== =================================== ====================================
``regression_last`` ``(N, D)`` float32                  step ``lengths - 1`` (else ``T - 1``)
``regression_seq``  ``(N, T, D)`` float32               steps ``< lengths`` (else all)
``classify_last``   ``(N,)`` int64 class ids            step ``lengths - 1`` (else ``T - 1``)
``classify_seq``    ``(N, T)`` int64, ``-1``: unscored  steps with ``Y >= 0``
=================== =================================== ====================================
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import boolean, positive_int, rng_arg

KINDS = ("regression_last", "regression_seq", "classify_last", "classify_seq")
IGNORE = -1  # the class id of a step that is not scored (classify_seq)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Sequences and their targets, on the host.

    Attributes
    ----------
    X : ndarray
        ``(N, T, F)`` float32 inputs, or ``(N, T)`` int64 token ids.
    Y : ndarray
        Targets, shaped by ``kind`` (see the module docstring).
    lengths : ndarray or None
        ``(N,)`` int64 true lengths of padded sequences; steps ``>= lengths``
        are padding. ``None``: every sequence has all ``T`` steps.
    kind : str
        One of :data:`KINDS`.
    meta : dict
        Task facts a caller may need (``n_classes``, ``vocab``, ``scaler``, ...).
    """

    X: np.ndarray
    Y: np.ndarray
    lengths: np.ndarray | None = None
    kind: str = "regression_last"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        for name in ("X", "Y", "lengths"):
            a = getattr(self, name)
            if not isinstance(a, np.ndarray) and not (name == "lengths" and a is None):
                raise TypeError(f"Dataset {name} must be a NumPy array, got {type(a).__name__}: "
                                f"convert it first, np.asarray({name})")
        for name, a, what in (("X", self.X, "float inputs or int token ids"),
                              ("Y", self.Y, "float targets or int class ids")):
            if a.dtype.kind not in "fiu":  # an object array holding None would train on nan without a word
                raise TypeError(f"Dataset {name} must hold numbers ({what}), got dtype {a.dtype}: "
                                f"convert it first, e.g. np.asarray({name}, dtype=np.float32)")
        n = self.X.shape[0]
        if self.Y.shape[0] != n:
            raise ValueError(f"Y must have {n} rows like X, got shape {self.Y.shape}")
        if self.lengths is not None and tuple(self.lengths.shape) != (n,):
            raise ValueError(f"lengths must have shape ({n},), got {self.lengths.shape}")

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def subset(self, idx: Any) -> Dataset:
        """The sequences at ``idx`` (an index array or a slice), same kind and meta."""
        lengths = None if self.lengths is None else self.lengths[idx]
        return Dataset(self.X[idx], self.Y[idx], lengths, self.kind, self.meta)


def part_sizes(n: int, fractions: Any) -> list[int]:
    """Part sizes for ``n`` items; every part gets at least one."""
    try:
        f = np.asarray(fractions, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"fractions must be a sequence of numbers, got {fractions!r}") from None
    if f.ndim != 1 or f.size < 1 or not np.all(f > 0) or abs(f.sum() - 1.0) > 1e-6:
        raise ValueError(f"fractions must be positive numbers that sum to 1, got {fractions!r}")
    bounds = np.round(np.cumsum(f) * n).astype(np.int64)
    sizes = np.diff(np.concatenate([[0], bounds])).tolist()
    if min(sizes) < 1:
        raise ValueError(f"fractions {tuple(f.tolist())} leave an empty part of {n} sequences")
    return sizes


def split(dataset: Dataset, fractions: Any = (0.8, 0.1, 0.1), seed: int | None = None,
          shuffle: bool = True) -> tuple[Dataset, ...]:
    """Split into parts of the given fractions (train, val, test by default).

    Parameters
    ----------
    dataset : Dataset
    fractions : sequence of float
        Positive, summing to 1; one part per entry.
    seed : int or None
        Seeds the shuffle.
    shuffle : bool
        Shuffle the sequences first. ``False`` keeps their order (time series).

    Returns
    -------
    tuple of Dataset
    """
    shuffle = boolean("shuffle", shuffle)
    sizes = part_sizes(len(dataset), fractions)
    order = rng_arg(seed).permutation(len(dataset)) if shuffle else np.arange(len(dataset))
    parts = np.split(order, np.cumsum(sizes)[:-1])
    return tuple(dataset.subset(p) for p in parts)


def chronological_split(dataset: Dataset) -> tuple[Dataset, ...]:
    """The parts a time-series task made itself, in time order (``meta["split_sizes"]``).

    Used by the forecasting tasks, whose scaler is fitted on the first part only.
    """
    sizes = dataset.meta.get("split_sizes")
    if sizes is None:
        raise ValueError("dataset has no meta['split_sizes']; use split(dataset, fractions)")
    if sum(sizes) != len(dataset):
        raise ValueError(f"meta['split_sizes'] {tuple(sizes)} does not add up to the "
                         f"{len(dataset)} sequences (is this already a part?)")
    bounds = np.cumsum([0, *sizes])
    return tuple(dataset.subset(slice(a, b)) for a, b in zip(bounds[:-1], bounds[1:]))


def batches(dataset: Dataset, batch_size: int, shuffle: bool = True, rng: Any = None,
            drop_last: bool = False) -> Iterator[Dataset]:
    """Yield mini-batches of ``dataset`` as sub-datasets.

    Parameters
    ----------
    dataset : Dataset
    batch_size : int
        Sequences per batch (the last batch may be smaller unless ``drop_last``).
    shuffle : bool
        Visit the sequences in a random order.
    rng : numpy.random.Generator, int or None
        The generator for the shuffle (pass the same Generator every epoch).
    drop_last : bool
        Skip a last batch smaller than ``batch_size``.
    """
    batch_size = positive_int("batch_size", batch_size)
    shuffle, drop_last = boolean("shuffle", shuffle), boolean("drop_last", drop_last)
    n = len(dataset)
    order = rng_arg(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield dataset.subset(order[start:start + batch_size])


def one_hot(ids: np.ndarray, depth: int) -> np.ndarray:
    """``(...,)`` int ids as ``(..., depth)`` float32 one-hot vectors."""
    return np.eye(depth, dtype=np.float32)[ids]


def mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """``(N, T)`` bool, True on the steps ``< lengths`` (the real, unpadded ones)."""
    return np.arange(T)[None, :] < np.asarray(lengths)[:, None]


def class_accuracy(scores: Any, labels: Any) -> float:
    """Fraction of sequences whose highest score is the label (``classify_last``).

    ``scores`` : ``(N, C)``; ``labels`` : ``(N,)`` int.
    """
    scores, labels = np.asarray(scores), np.asarray(labels)
    if scores.ndim != 2 or scores.shape[0] != labels.shape[0]:
        raise ValueError(f"scores must have shape (N, C) with N={labels.shape[0]}, "
                         f"got {scores.shape}")
    return float(np.mean(scores.argmax(axis=1) == labels))


def sequence_accuracy(scores: Any, targets: Any) -> float:
    """Fraction of sequences right at every scored step (``classify_seq``).

    ``scores`` : ``(N, T, C)``; ``targets`` : ``(N, T)`` int, ``-1`` where not scored.
    """
    scores, targets = np.asarray(scores), np.asarray(targets)
    if scores.ndim != 3 or scores.shape[:2] != targets.shape:
        raise ValueError(f"scores must have shape {targets.shape + ('C',)} (N, T, C), "
                         f"got {scores.shape}")
    right = (scores.argmax(axis=2) == targets) | (targets == IGNORE)
    return float(np.mean(right.all(axis=1)))
