"""Lesson 9's exercise 1: scaled dot-product attention by hand, checked against ``nn.Attention``.

The learner writes ``attention_forward(q, k) -> (y, cache)`` and
``attention_backward(dy, cache) -> (dq, dk)`` for

    e_ts = q_t . k_s / sqrt(H),   a_ts = softmax_s(e_ts),   y_t = sum_s a_ts k_s,

with the keys also the values, so ``dk`` has a term from each role. :func:`check_attention`
runs both on random float64 inputs (``Tq != Tk``, so a transposed product cannot hide),
compares ``y``, ``dq`` and ``dk`` with the engine's, and names the usual mistakes: the
softmax Jacobian's subtracted term left out, the ``1/sqrt(H)`` left out, a role of ``k``
forgotten; NaN, inf and wrong shapes fail, and a shape error inside the learner's code
comes back as a message with its line and every array's shape.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..nn import Attention
from .report import Check, ShapeStop, call, compare, seed_of, tolerance, verdict

AXES = {"y": ("batch", "query step", "feature"), "dq": ("batch", "query step", "feature"),
        "dk": ("batch", "key step", "feature")}
LETTERS = {"y": "(B, Tq, H)", "dq": "(B, Tq, H)", "dk": "(B, Tk, H)"}


def _pieces(q: np.ndarray, k: np.ndarray, dy: np.ndarray) -> dict:
    """The right answers and the usual wrong ones, each an array named by its mistake."""
    s = math.sqrt(q.shape[-1])
    e = q @ k.transpose(0, 2, 1) / s
    a = np.exp(e - e.max(axis=2, keepdims=True))
    a /= a.sum(axis=2, keepdims=True)
    da = dy @ k.transpose(0, 2, 1)                                  # dL/da_ts = dy_t . k_s
    de = a * (da - (a * da).sum(axis=2, keepdims=True))             # the softmax's Jacobian
    no_jac = a * da                                                 # its subtracted term left out
    e1 = q @ k.transpose(0, 2, 1)                                   # the scale left out in the forward
    a1 = np.exp(e1 - e1.max(axis=2, keepdims=True))
    a1 /= a1.sum(axis=2, keepdims=True)
    value, key = a.transpose(0, 2, 1) @ dy, de.transpose(0, 2, 1) @ q / s
    return {"y unscaled": a1 @ k,
            "dq no jacobian": no_jac @ k / s, "dq unscaled": de @ k,
            "dk no jacobian": value + no_jac.transpose(0, 2, 1) @ q / s, "dk unscaled": value + key * s,
            "dk no value": key, "dk no key": value}


FOUND = {
    "y unscaled": "this is softmax(q k^T) k: the scores need the 1/sqrt(H), e = q k^T / sqrt(H)",
    "dq no jacobian": "this uses de = a * da: the softmax's Jacobian also subtracts a_ts * sum_s' a_ts' da_ts' "
                      "(de = a * (da - sum(a * da, over s)))",
    "dk no jacobian": "its key term uses de = a * da: the softmax's Jacobian also subtracts a_ts * sum_s' a_ts' "
                      "da_ts' (de = a * (da - sum(a * da, over s)))",
    "dq unscaled": "the 1/sqrt(H) of the scores is missing: dq = de k / sqrt(H)",
    "dk unscaled": "the 1/sqrt(H) of the scores is missing in the key term: de^T q / sqrt(H)",
    "dk no value": "only the key term: k is also the value, so dk also has a^T dy",
    "dk no key": "only the value term a^T dy: k is also the key, so dk also has de^T q / sqrt(H)",
}


def _found(name: str, mine: Any, pieces: dict) -> str:
    """``found it: ...`` where ``mine`` is exactly one of the usual mistakes for ``name``."""
    try:
        a = np.asarray(mine, dtype=np.float64)
    except (TypeError, ValueError):
        return ""
    for key, wrong in pieces.items():
        if key.split()[0] == name and a.shape == wrong.shape and np.allclose(a, wrong, rtol=1e-9, atol=1e-12):
            return f"\n    found it: {FOUND[key]}"
    return ""


def check_attention(forward: Any, backward: Any, seed: int = 0, rtol: float = 1e-6) -> Check:
    """Check a learner's attention forward and backward against ``minilstm.nn.Attention`` (float64).

    Parameters
    ----------
    forward : callable
        ``forward(q (B, Tq, H), k (B, Tk, H)) -> (y (B, Tq, H), cache)``.
    backward : callable
        ``backward(dy (B, Tq, H), cache) -> (dq (B, Tq, H), dk (B, Tk, H))``.
    seed : int >= 0
        Draws q, k and dy (B = 2, Tq = 3, Tk = 5, H = 4).
    rtol : float in (0, 1)
        A result passes when its worst error is at most ``rtol`` times the engine's largest value there.

    Returns
    -------
    Check
        True when y, dq and dk all match; its message names each wrong one, its worst entry
        (batch, step, feature), both values and, for the usual mistakes, what was left out.
    """
    rtol, seed = tolerance(rtol), seed_of(seed)
    rng = np.random.default_rng(seed)
    B, Tq, Tk, H = 2, 3, 5, 4
    q, k, dy = rng.standard_normal((B, Tq, H)), rng.standard_normal((B, Tk, H)), rng.standard_normal((B, Tq, H))
    ref = Attention(H, dtype="float64")
    want = {"y": np.asarray(ref(q, k))}
    want["dq"], want["dk"] = (np.asarray(g) for g in ref.backward(dy))
    shapes = f"q (B, Tq, H) = {q.shape}, k (B, Tk, H) = {k.shape}, dy (B, Tq, H) = {dy.shape}, " \
             f"e and a (B, Tq, Tk) = {(B, Tq, Tk)}, y (B, Tq, H) = {(B, Tq, H)}"
    try:
        got = call(forward, (q.copy(), k.copy()), "attention forward", shapes)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise TypeError(f"your attention forward must return (y, cache), got {type(got).__name__}")
        mine = {"y": got[0]}
        grads = call(backward, (dy.copy(), got[1]), "attention backward", shapes)
    except ShapeStop as stop:
        return stop.check
    if not isinstance(grads, (tuple, list)) or len(grads) != 2:
        raise TypeError(f"your attention backward must return (dq, dk), got {type(grads).__name__}")
    mine["dq"], mine["dk"] = grads
    pieces = _pieces(q, k, dy)
    errors, lines = {}, []
    for name in ("y", "dq", "dk"):
        errors[name], line = compare(name, mine[name], want[name], LETTERS[name], rtol, AXES[name])
        lines.append(line + _found(name, mine[name], pieces) if line else "")
    return verdict("attention", ["y", "dq", "dk"], errors, lines)
