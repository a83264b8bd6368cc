"""The embedded Reber grammar: next-symbol prediction.

Task
    Strings over the 7 symbols ``B T P S X V E`` come from the Reber grammar

    ::

        B -> 1;  1: T->2 | P->3;  2: S->2 | X->4;  3: T->3 | V->5
                 4: X->3 | S->6;  5: P->4 | V->6;  6: E (end)

    (each branch taken with probability 1/2); an embedded string is
    ``B T <Reber> T E`` or ``B P <Reber> P E``, so the second-to-last symbol
    must be remembered across the whole inner string. At each step the network
    sees one symbol and predicts the next. As in the paper the target is the
    *set* of legal next symbols, multi-hot (``targets="legal"``,
    ``kind="regression_seq"``, trained with a squared error); or the one
    symbol that actually follows (``targets="next"``, ``kind="classify_seq"``,
    for a softmax and cross-entropy). The input is every symbol but the final
    ``E``; strings are padded at the end and ``lengths`` gives their length.
Source
    A. S. Reber, "Implicit learning of artificial grammars", 1967; embedded
    version: Cleeremans, Servan-Schreiber and McClelland 1989; used in
    Hochreiter & Schmidhuber 1997, Experiment 1.
Success
    A string is right when, at every step, the outputs of all legal next
    symbols are higher than every other output (the paper: "the output units
    of all possible next symbols are the most active");
    :func:`reber_accuracy`. The paper asks for every test string right.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..validate import choice
from ._checks import boolean, positive_int, seed_arg
from .dataset import IGNORE, Dataset, one_hot

SYMBOLS = "BTPSXVE"
INDEX = {s: i for i, s in enumerate(SYMBOLS)}
# state -> the (symbol, next state) branches; state 6 emits E and ends
GRAMMAR = {
    1: (("T", 2), ("P", 3)),
    2: (("S", 2), ("X", 4)),
    3: (("T", 3), ("V", 5)),
    4: (("X", 3), ("S", 6)),
    5: (("P", 4), ("V", 6)),
    6: (("E", None),),
}


def _reber(rng: np.random.Generator) -> tuple[str, list[str]]:
    """One Reber string and, after each of its symbols, the legal next symbols."""
    string, legal, state = "B", [], 1
    while state is not None:
        branches = GRAMMAR[state]
        legal.append("".join(s for s, _ in branches))
        symbol, state = branches[int(rng.integers(len(branches)))]
        string += symbol
    legal.append("")  # nothing follows E
    return string, legal


def _embedded(rng: np.random.Generator) -> tuple[str, list[str]]:
    """One embedded Reber string ``B c <Reber> c E`` and its legal next symbols."""
    c = "TP"[int(rng.integers(2))]
    inner, inner_legal = _reber(rng)
    string = "B" + c + inner + c + "E"
    legal = ["TP", "B"] + inner_legal[:-1] + [c, "E", ""]
    return string, legal


def reber_strings(n: int, embedded: bool = True, seed: int | None = None
                  ) -> tuple[list[str], list[list[str]]]:
    """``n`` grammatical strings and, per symbol, the string of legal next symbols."""
    n, embedded = positive_int("n", n), boolean("embedded", embedded)
    rng = np.random.default_rng(seed_arg(seed))
    make = _embedded if embedded else _reber
    pairs = [make(rng) for _ in range(n)]
    return [s for s, _ in pairs], [legal for _, legal in pairs]


def reber_grammar(n: int = 1000, embedded: bool = True, one_hot_inputs: bool = True,
                  targets: str = "legal", seed: int | None = None) -> Dataset:
    """Generate ``n`` (embedded) Reber strings as a next-symbol prediction task.

    Parameters
    ----------
    n : int
        Number of strings.
    embedded : bool
        The embedded grammar (the paper's hard version) or the plain one.
    one_hot_inputs : bool
        ``X`` as ``(n, T, 7)`` float32 one-hot vectors (the paper), zero on
        padding; ``False``:
        ``(n, T)`` int64 symbol ids for an Embedding, padded with 0.
    targets : {"legal", "next"}
        ``"legal"``: ``Y`` ``(n, T, 7)`` float32 multi-hot legal next symbols,
        zero on padding. ``"next"``: ``Y`` ``(n, T)`` int64 id of the symbol that
        follows, -1 on padding.
    seed : int or None

    Returns
    -------
    Dataset
        ``T`` is the longest string minus one; ``lengths`` ``(n,)`` int64.
        ``meta``: ``symbols``, ``n_symbols`` (= ``n_classes`` = 7), ``strings``
        and ``legal`` (the multi-hot array, for :func:`reber_accuracy`).
    """
    one_hot_inputs = boolean("one_hot_inputs", one_hot_inputs)
    targets = choice("targets", targets, ("legal", "next"))
    strings, legal_sets = reber_strings(n, embedded, seed)
    lengths = np.array([len(s) - 1 for s in strings], dtype=np.int64)
    T = int(lengths.max())
    ids = np.zeros((len(strings), T), dtype=np.int64)
    nxt = np.full((len(strings), T), IGNORE, dtype=np.int64)
    legal = np.zeros((len(strings), T, len(SYMBOLS)), dtype=np.float32)
    for r, (s, sets) in enumerate(zip(strings, legal_sets)):
        ids[r, :len(s) - 1] = [INDEX[c] for c in s[:-1]]
        nxt[r, :len(s) - 1] = [INDEX[c] for c in s[1:]]
        for t, allowed in enumerate(sets[:-1]):
            legal[r, t, [INDEX[c] for c in allowed]] = 1.0
    valid = np.arange(T)[None, :] < lengths[:, None]
    X = one_hot(ids, len(SYMBOLS)) * valid[..., None] if one_hot_inputs else ids
    meta = dict(symbols=SYMBOLS, n_symbols=len(SYMBOLS), n_classes=len(SYMBOLS),
                strings=strings, legal=legal, embedded=embedded)
    if targets == "legal":
        return Dataset(X, legal, lengths, "regression_seq", meta)
    return Dataset(X, nxt, lengths, "classify_seq", meta)


def reber_accuracy(scores: Any, legal: Any, lengths: Any) -> float:
    """Fraction of strings whose legal next symbols always score highest.

    Parameters
    ----------
    scores : array_like
        ``(N, T, 7)`` network outputs (any monotone scale: logits, probabilities).
    legal : array_like
        ``(N, T, 7)`` multi-hot legal next symbols (``meta["legal"]``).
    lengths : array_like
        ``(N,)`` string lengths; later steps are not scored.

    Returns
    -------
    float
        A string counts when at each of its steps the lowest score of a legal
        symbol is above the highest score of an illegal one.
    """
    scores = np.asarray(scores, dtype=np.float64)
    legal = np.asarray(legal) > 0
    lengths = np.asarray(lengths)
    if scores.shape != legal.shape or scores.ndim != 3:
        raise ValueError(f"scores must have the shape of legal {legal.shape} (N, T, 7), "
                         f"got {scores.shape}")
    lowest_legal = np.where(legal, scores, np.inf).min(axis=2)
    highest_other = np.where(legal, -np.inf, scores).max(axis=2)
    valid = np.arange(scores.shape[1])[None, :] < lengths[:, None]
    right = (lowest_legal > highest_other) | ~valid
    return float(np.mean(right.all(axis=1)))
