"""Character-level text: a vocabulary, stateful TBPTT batches and sampling.

Task
    Predict the next character of a text, one character per step
    (``kind = "classify_seq"``, ``vocab.size`` classes). The text is any
    UTF-8 file the caller names, or the small built-in corpus
    (:data:`~minilstm.data._corpus.CORPUS`, original prose, nothing downloaded).
Source
    The char-rnn setup of A. Karpathy's ``min-char-rnn`` and "The
    Unreasonable Effectiveness of Recurrent Neural Networks" (2015): the
    stream cut into ``batch_size`` contiguous rows, read ``seq_len`` steps at
    a time with the hidden state carried from one chunk to the next.
Success
    Cross-entropy per character in nats (``log(vocab.size)`` for a model
    that knows nothing, below about 1.5 once spelling is learned on the
    built-in corpus); samples should show words, spaces and punctuation.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import boolean, positive_int, real, rng_arg, seed_arg
from ._corpus import CORPUS
from .dataset import Dataset, one_hot


def load_text(path: str | os.PathLike | None = None) -> str:
    """The text of ``path`` (read as UTF-8), or the built-in corpus when ``None``."""
    if path is None:
        return CORPUS
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str, a path or None, got {type(path).__name__} {path!r}")
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"path: no text file at {str(p)!r}")
    text = p.read_text(encoding="utf-8")
    if not text:
        raise ValueError(f"path: the text file {str(p)!r} is empty")
    return text


@dataclass(frozen=True)
class CharVocab:
    """The characters of a text, each with an id (its rank in sorted order).

    Attributes
    ----------
    chars : str
        The distinct characters, sorted; ``chars[i]`` has id ``i``.
    """

    chars: str

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The vocabulary of the characters in ``text``."""
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty str, got {text!r:.40}")
        return cls("".join(sorted(set(text))))

    @property
    def size(self) -> int:
        """Number of distinct characters (the number of classes ``V``)."""
        return len(self.chars)

    @functools.cached_property
    def _ids(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> np.ndarray:
        """``text`` as ``(L,)`` int64 ids; a character not in the vocabulary is a ValueError."""
        try:
            return np.array([self._ids[c] for c in text], dtype=np.int64)
        except KeyError as err:
            raise ValueError(f"text holds {err.args[0]!r}, not in the vocabulary") from None

    def decode(self, ids: Any) -> str:
        """``(L,)`` int ids back to a string."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"ids must be in [0, {self.size}), got {ids.min()}..{ids.max()}")
        return "".join(self.chars[i] for i in ids.tolist())


def char_text(path: str | os.PathLike | None = None, seq_len: int = 100,
              one_hot_inputs: bool = False, seed: int | None = None) -> Dataset:
    """The text cut into non-overlapping windows of ``seq_len`` characters.

    Parameters
    ----------
    path : str, path or None
        A UTF-8 text file; ``None``: the built-in corpus.
    seq_len : int
        Steps per sequence; the text needs at least ``seq_len + 1`` characters.
    one_hot_inputs : bool
        ``X`` as ``(N, seq_len, V)`` float32 one-hot; ``False``: ``(N, seq_len)`` int64 ids.
    seed : int or None
        Accepted for a uniform :func:`~minilstm.data.make_task`; the text has no randomness.

    Returns
    -------
    Dataset
        ``Y`` ``(N, seq_len)`` int64, ``X`` shifted by one character;
        ``meta``: ``vocab`` (:class:`CharVocab`), ``n_classes``, ``ids`` (the
        whole stream, for :func:`text_batches_tbptt`), ``text``.
    """
    seed_arg(seed)
    seq_len = positive_int("seq_len", seq_len)
    one_hot_inputs = boolean("one_hot_inputs", one_hot_inputs)
    text = load_text(path)
    vocab = CharVocab.from_text(text)
    ids = vocab.encode(text)
    N = (len(ids) - 1) // seq_len
    if N < 1:
        raise ValueError(f"seq_len={seq_len} needs a text of at least {seq_len + 1} characters, "
                         f"got {len(ids)}")
    x = ids[:N * seq_len].reshape(N, seq_len)
    y = ids[1:N * seq_len + 1].reshape(N, seq_len)
    X = one_hot(x, vocab.size) if one_hot_inputs else x
    meta = dict(vocab=vocab, n_classes=vocab.size, n_symbols=vocab.size, ids=ids, text=text)
    return Dataset(X, y, None, "classify_seq", meta)


def text_batches_tbptt(ids: Any, batch_size: int, seq_len: int
                       ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(x, y)`` chunks of the stateful truncated-BPTT layout.

    The stream (minus its last id) is cut into ``batch_size`` contiguous rows
    of ``L = (len(ids) - 1) // batch_size`` ids; chunk ``k`` is columns
    ``k * seq_len`` to ``(k + 1) * seq_len`` of them, so row ``r`` of chunk
    ``k + 1`` continues row ``r`` of chunk ``k`` and the hidden state can be
    carried across. ``y`` is ``x`` shifted by one id in the stream.

    Parameters
    ----------
    ids : array_like
        ``(L_total,)`` int token ids.
    batch_size : int
        Rows ``B``.
    seq_len : int
        Steps per chunk ``S`` (the last chunk may be shorter).

    Yields
    ------
    x, y : ndarray
        ``(B, S)`` int64 inputs and next-token targets (batch-first).
    """
    batch_size, seq_len = positive_int("batch_size", batch_size), positive_int("seq_len", seq_len)
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D array of ints, got {ids.dtype} shape {ids.shape}")
    L = (len(ids) - 1) // batch_size
    if L < 1:
        raise ValueError(f"batch_size={batch_size} needs at least {batch_size + 1} ids, "
                         f"got {len(ids)}")
    rows_x = ids[:batch_size * L].reshape(batch_size, L).astype(np.int64)
    rows_y = ids[1:batch_size * L + 1].reshape(batch_size, L).astype(np.int64)
    for start in range(0, L, seq_len):
        yield rows_x[:, start:start + seq_len], rows_y[:, start:start + seq_len]


def sample(step_fn: Callable[[np.ndarray], Any], vocab: CharVocab, prime: str, length: int,
           temperature: float = 1.0, rng: Any = None) -> str:
    """Generate ``length`` characters after ``prime``, one at a time.

    Parameters
    ----------
    step_fn : callable or model
        ``step_fn(token_ids) -> logits``, given by the caller, who keeps the
        model's state between calls: it gets the ``(P,)`` int64 ids of the
        prime first, then one id ``(1,)`` per call, and returns the logits
        after its last id, ``(V,)`` (or ``(k, V)``: the last row is used).
        Any text model with a ``step_fn()`` method (a :class:`~minilstm.Model`
        with ``vocab_size`` and ``readout="all"``) may be passed itself.
    vocab : CharVocab
    prime : str
        Non-empty text to start from (all its characters in ``vocab``).
    length : int
        Characters to generate.
    temperature : float
        Divides the logits before the softmax (> 0): below 1 sharpens the
        choice toward the argmax, above 1 flattens it.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    str
        ``prime`` followed by the generated characters.
    """
    length = positive_int("length", length)
    temperature = real("temperature", temperature)
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature}")
    if not isinstance(prime, str) or not prime:
        raise ValueError(f"prime must be a non-empty str, got {prime!r}")
    rng = rng_arg(rng)
    if hasattr(step_fn, "step_fn"):  # a model: a fresh state-carrying step function of it
        step_fn = step_fn.step_fn()
    ids = list(vocab.encode(prime))
    feed = np.array(ids, dtype=np.int64)
    for _ in range(length):
        logits = np.asarray(step_fn(feed), dtype=np.float64)
        if logits.ndim not in (1, 2) or logits.shape[-1] != vocab.size:
            raise ValueError(f"step_fn must return logits of shape ({vocab.size},) or "
                             f"(k, {vocab.size}), got {logits.shape}")
        logits = logits.reshape(-1, vocab.size)[-1]
        if not np.all(np.isfinite(logits)):
            raise ValueError(f"step_fn returned logits that are not all finite (after {len(ids)} characters): "
                             f"the model has diverged or its weights hold NaN/inf")
        with np.errstate(over="ignore"):  # a tiny temperature sends every non-best logit to -inf: weight 0
            z = (logits - logits.max()) / temperature  # the max first: the largest is 0 at any temperature
        p = np.exp(z)  # stable softmax: the best character weighs 1, so p.sum() >= 1
        nxt = int(rng.choice(vocab.size, p=p / p.sum()))
        ids.append(nxt)
        feed = np.array([nxt], dtype=np.int64)
    return vocab.decode(ids)
