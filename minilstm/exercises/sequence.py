"""Rungs 3 and 4 of the ladder: your loop of BPTT over a sequence, and your own numerical gradient.

Shape letters: T time steps, B batch, D input features, H hidden units, G gate blocks.

Rung 3 runs a step pair over a sequence with a loss at every step,
``L = sum_t <dhs[t], h_t>`` (so ``dL/dh_t`` from the loss is ``dhs[t]``)::

    def my_bptt(step, x, state0, p, dhs):
        # step: the engine's step pair (step.step_forward, step.step_backward, step.input_bias)
        # x (T, B, D), state0 (h0,) or (h0, c0) each (B, H), p: CellParams, dhs (T, B, H)
        ...
        return hs, dx, dstate0, grads
        # hs (T, B, H) every step's h; dx (T, B, D); dstate0 like state0;
        # grads {"weight_ih": (G*H, D), "weight_hh": (G*H, H), "bias_ih": (G*H,), "bias_hh": (G*H,)}

Rung 4 is the check that proves the rest, written by you::

    def my_numerical_gradient(f, w, eps):
        # f(w) -> float, w an array; return dL/dw by finite differences, shaped like w
        ...

:func:`check_bptt` and :func:`check_numerical_gradient` compare yours with the
engine and name the classic mistakes when yours is exactly one of them: the
loss of the earlier steps left out, the gradient of later steps not carried
back, weight gradients overwritten instead of summed; a one-sided difference,
a missing 2, w left perturbed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import hints
from .report import Check, ShapeStop, call, compare, seed_of, tolerance, verdict
from .step import draw_params, label, step_of

PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def reference(step: Any, x: np.ndarray, state0: tuple, p: Any, dhs: np.ndarray, carry: bool = True) -> tuple:
    """The engine's step pair over the sequence, forward then back: ``(hs, dx, dstate0, per_step)``.

    ``per_step[t]`` is step t's share of every parameter's gradient; ``carry=False`` drops the
    gradient that later steps send back (a classic mistake, to recognise it).
    """
    T = x.shape[0]
    state, caches, hs = state0, [], []
    for t in range(T):
        state, cache = step.step_forward(x[t] @ p.weight_ih.T + step.input_bias(p), state, p)
        caches.append(cache)
        hs.append(state[0])
    ds = tuple(np.zeros_like(s) for s in state0)
    dx, per_step = np.zeros_like(x), [None] * T
    for t in range(T - 1, -1, -1):
        g = step.step_backward((ds[0] + dhs[t],) + ds[1:], caches[t], p)
        ds = g.dstate if carry else tuple(np.zeros_like(s) for s in ds)
        dx[t] = g.dxw @ p.weight_ih
        one = type(caches[t])._make([None if a is None else a[None] for a in caches[t]])  # a (1, B, H) stack
        per_step[t] = step.param_grads(x[t:t + 1], g.dxw[None], one, p)
    return np.stack(hs), dx, (g.dstate if carry else ds), per_step


def _total(per_step: list) -> dict:
    return {k: sum(g[k] for g in per_step) for k in PARAMS}


def check_bptt(my_fn: Any, cell: str = "rnn", seed: int = 0, rtol: float = 1e-6, T: int = 4,
               **options: Any) -> Check:
    """Compare a learner's BPTT over a sequence, with a loss at every step, with the engine's.

    Parameters
    ----------
    my_fn : callable
        ``my_fn(step, x, state0, p, dhs) -> (hs, dx, dstate0, grads)`` (see this module's docstring).
    cell : {"rnn", "lstm", "gru"}
    seed : int >= 0
    rtol : float in (0, 1)
    T : int
        Steps of the sequence.
    **options
        The step's options: ``nonlinearity="relu"`` (RNN), ``reset_after=False`` (GRU).

    Returns
    -------
    Check
        Its message names each wrong result (``hs``, ``dx``, ``dh0``, ``dc0``, a weight), its worst
        entry (step, batch, ...) and, where yours is exactly a classic mistake, which one.
    """
    rtol, step = tolerance(rtol), step_of(cell, options)
    rng = np.random.default_rng(seed_of(seed))
    B, D, H, G = 3, 4, 5, len(step.gates)
    p = draw_params(rng, G, D, H)
    x = rng.standard_normal((T, B, D))
    state0 = tuple(rng.standard_normal((B, H)) for _ in step.state_names)
    dhs = rng.standard_normal((T, B, H))
    hs, dx, ds0, per_step = reference(step, x, state0, p, dhs)
    what = label(cell, "BPTT", options)
    table = (f"T={T}, B={B}, D={D}, H={H}, G={G}: x, dx (T, B, D) = {x.shape}; hs, dhs (T, B, H) = {dhs.shape}; "
             f"each state (B, H) = {(B, H)}; p.weight_ih (G*H, D) = {p.weight_ih.shape}; p.weight_hh (G*H, H) = "
             f"{p.weight_hh.shape}; a step's dxw, dhw (B, G*H) = {(B, G * H)}")
    try:
        got = call(my_fn, (step, x.copy(), tuple(s.copy() for s in state0), p, dhs.copy()), what, table)
    except ShapeStop as stop:
        return stop.check
    if not isinstance(got, (tuple, list)) or len(got) != 4 or not isinstance(got[3], dict):
        raise TypeError("your BPTT must return four things, (hs, dx, dstate0, grads) with grads a dict of "
                        f"{', '.join(PARAMS)}, got {type(got).__name__}")
    mine_hs, mine_dx, mine_ds0, grads = got
    mine_ds0 = tuple(mine_ds0) if isinstance(mine_ds0, (tuple, list)) else (mine_ds0,)
    missing = [k for k in PARAMS if k not in grads]
    if missing or len(mine_ds0) != len(state0):
        raise TypeError(f"grads must hold {', '.join(PARAMS)} (missing: {', '.join(missing) or 'none'}) and "
                        f"dstate0 {len(state0)} array(s), got {len(mine_ds0)}")
    told, total = hints.of(cell, options), _total(per_step)
    rows = [("hs", mine_hs, hs, "(T, B, H)", ("step", "batch", "unit"), None),
            ("dx", mine_dx, dx, "(T, B, D)", ("step", "batch", "feature"), None)]
    rows += [(f"d{s}0", m, w, "(B, H)", ("batch", "unit"), None) for s, m, w in zip(step.state_names, mine_ds0, ds0)]
    letters = {"weight_ih": "(G*H, D)", "weight_hh": "(G*H, H)", "bias_ih": "(G*H,)", "bias_hh": "(G*H,)"}
    rows += [(k, grads[k], total[k], letters[k], ("row", "column")[:total[k].ndim], step.gates) for k in PARAMS]
    errors, lines = {}, []
    for name, mine, want, letters, axes, blocks in rows:
        errors[name], line = compare(name, mine, want, letters, rtol, axes, blocks, told.get(name),
                                     gate_axis=-1 if blocks is None else 0)
        lines.append(line)
    result = verdict(what, [r[0] for r in rows], errors, lines)
    found = "" if result.passed else _bptt_diagnosis(step, x, state0, p, dhs, got, per_step)
    if found:
        result.message += f"\nfound it: {found}"
    return result


def _close(mine: Any, want: np.ndarray) -> bool:
    try:
        a = np.asarray(mine, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == want.shape and bool(np.allclose(a, want, rtol=1e-9, atol=1e-12))


def _bptt_diagnosis(step: Any, x: np.ndarray, state0: tuple, p: Any, dhs: np.ndarray, got: tuple,
                    per_step: list) -> str:
    """Which classic mistake the learner's results are exactly, or ""."""
    _, mine_dx, _, grads = got
    last_only = np.zeros_like(dhs)
    last_only[-1] = dhs[-1]
    if _close(mine_dx, reference(step, x, state0, p, last_only)[1]):
        return ("your gradients are those of a loss on the last step alone: the per-step loss term is missing. "
                "The loss reads every h_t, so step t's backward must start from dh_t + dhs[t] (the gradient from "
                "later steps plus the loss's own at t), not only from what later steps send back.")
    if _close(mine_dx, reference(step, x, state0, p, dhs, carry=False)[1]):
        return ("each step's backward sees only its own loss dhs[t]: the state gradient from later steps is not "
                "carried back. Pass the dstate_prev that step t's backward returns into step t-1's.")
    for order, which in ((0, "first step's (the last your backward loop visits)"), (-1, "last step's")):
        if all(_close(grads[k], per_step[order][k]) for k in ("weight_ih", "weight_hh")):
            return (f"your weight gradients are the {which} share alone: a weight is used at every step, so its "
                    f"gradient is the sum over the steps; add each step's (+=), do not assign it (=).")
    return ""


def check_numerical_gradient(my_fn: Any, cell: str = "rnn", seed: int = 0, rtol: float = 1e-6, eps: float = 1e-4,
                             wrt: str = "weight_hh", **options: Any) -> Check:
    """Compare a learner's finite-difference gradient with the engine's analytic one.

    The function differentiated is a weighted sum of every step's hidden state of a short sequence,
    ``f(w) = sum_t <R_t, h_t>`` with ``w`` the parameter ``wrt`` and a fixed random ``R``.

    Parameters
    ----------
    my_fn : callable
        ``my_fn(f, w, eps) -> array shaped like w``.
    cell : {"rnn", "lstm", "gru"}
    seed : int >= 0
    rtol : float in (0, 1)
        Passes when the worst difference from the analytic gradient is at most ``rtol`` times its largest
        value (a central difference at eps = 1e-4 is good to about 1e-8 of it here).
    eps : float in (0, 0.1]
        The step handed to ``my_fn``.
    wrt : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    **options
        The step's options.

    Returns
    -------
    Check
    """
    rtol, step = tolerance(rtol), step_of(cell, options)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps <= 0.1:
        raise ValueError(f"eps must be a number in (0, 0.1], got {eps!r}")
    if wrt not in PARAMS:
        raise ValueError(f"wrt must be one of {PARAMS}, got {wrt!r}")
    rng = np.random.default_rng(seed_of(seed))
    p = draw_params(rng, len(step.gates), 3, 4)
    x = rng.standard_normal((3, 2, 3))
    state0 = tuple(rng.standard_normal((2, 4)) for _ in step.state_names)
    R = rng.standard_normal((3, 2, 4))

    def f(w: Any) -> float:
        return float(np.sum(reference_forward(step, x, state0, p._replace(**{wrt: np.asarray(w)})) * R))

    analytic = _total(reference(step, x, state0, p, R)[3])[wrt]
    w = getattr(p, wrt).copy()
    kept = w.copy()
    what = label(cell, f"numerical gradient of {wrt}", options)
    try:
        got = call(my_fn, (f, w, float(eps)), what, f"w {w.shape}; f(w) is a float; return an array {w.shape}")
    except ShapeStop as stop:
        return stop.check
    axes = ("row", "column")[:w.ndim]
    error, line = compare(wrt, got, analytic, str(w.shape), rtol, axes, step.gates, gate_axis=0)
    result = verdict(what, [wrt], {wrt: error}, [line], what="gradients")
    if not np.array_equal(w, kept):
        k = tuple(int(i) for i in np.argwhere(w != kept)[0])
        result = Check(False, [wrt], {wrt: error}, result.message + (
            f"\nand you left w changed (first at [{', '.join(map(str, k))}], now {w[k]:.6g}, was {kept[k]:.6g}): "
            f"put each entry back after nudging it, or f sees a shifted w for every entry after it."))
    elif not result.passed:
        found = _difference_diagnosis(f, kept, got, eps)
        result.message += f"\nfound it: {found}" if found else ""
    return result


def reference_forward(step: Any, x: np.ndarray, state0: tuple, p: Any) -> np.ndarray:
    """Every step's h (T, B, H), from the engine's step forward."""
    state, hs = state0, []
    for t in range(x.shape[0]):
        state, _ = step.step_forward(x[t] @ p.weight_ih.T + step.input_bias(p), state, p)
        hs.append(state[0])
    return np.stack(hs)


def _difference_diagnosis(f: Any, w: np.ndarray, got: Any, eps: float) -> str:
    """Which wrong finite-difference formula the learner's numbers are exactly, or ""."""
    plus, minus, f0 = np.zeros_like(w), np.zeros_like(w), f(w)
    for idx in np.ndindex(*w.shape):
        for sign, out in ((1, plus), (-1, minus)):
            v = w.copy()
            v[idx] += sign * eps
            out[idx] = f(v)
    central = (plus - minus) / (2 * eps)
    forms = [((plus - f0) / eps, "the one-sided difference (f(w + eps) - f(w)) / eps: its error shrinks only like "
                                 "eps. Take the central difference (f(w + eps) - f(w - eps)) / (2 eps), whose "
                                 "error shrinks like eps**2"),
             ((f0 - minus) / eps, "the one-sided difference (f(w) - f(w - eps)) / eps: its error shrinks only like "
                                  "eps; take the central difference (f(w + eps) - f(w - eps)) / (2 eps)"),
             (2 * central, "twice the gradient: the central difference divides by the distance between its two "
                           "points, 2 eps, not eps"),
             (central / 2, "half the gradient: divide f(w + eps) - f(w - eps) by 2 eps, not 4 eps"),
             (-central, "the gradient with its sign flipped: (f(w + eps) - f(w - eps)), in that order"),
             (np.zeros_like(w), "all zero: f never saw the nudge. Change the entry of the array you pass to f "
                                "(w[idx] += eps; f(w)), or pass f a changed copy")]
    for form, words in forms:
        if _close(got, form):
            return f"yours is {words}."
    return ""
