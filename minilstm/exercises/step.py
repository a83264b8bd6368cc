"""Rungs 1 and 2 of the ladder: your step forward and your step backward against the engine's.

Shape letters: B batch, D input features, H hidden units, G gate blocks (RNN 1, LSTM 4, GRU 3).

Both take the signature of the engine's step pair (``RNNStep``, ``LSTMStep``,
``GRUStep`` in :mod:`minilstm.cells`, without its ``out=``)::

    def my_step_forward(xw, state, p):
        # xw:    (B, G*H) the input projection x W_ih^T + step.input_bias(p), gate blocks side by side
        # state: (h_prev,) or (h_prev, c_prev), each (B, H)
        # p:     the CellParams (p.weight_hh (G*H, H), p.bias_hh (G*H,), ...)
        return state, cache           # (h,) or (h, c); the engine's cache type, e.g. RNNCache(h_prev, h)

    def my_step_backward(dstate, cache, p):
        # dstate: (dh,) or (dh, dc), each (B, H): the gradient flowing into the step's new state
        return dxw, dhw, dstate_prev  # (B, G*H), (B, G*H), (dh_prev,) or (dh_prev, dc_prev)

``dxw`` is the gradient of the input projection ``xw`` (``dx = dxw W_ih``,
``dW_ih = dxw^T x``); ``dhw`` that of the recurrent projection ``h_prev W_hh^T``
(``dW_hh = dhw^T h_prev``): ``dxw`` again for the RNN and the LSTM, different in
the GRU's n block, where the reset gate meets the product.

:func:`check_step_forward` and :func:`check_step_backward` run yours on random
float64 inputs next to the engine's and say which result is wrong (in a fused
array, which gate's block), by how much, where, and the equation it comes from.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..cells import CellParams, GRUStep, LSTMStep, RNNStep
from . import hints
from .report import Check, ShapeStop, call, compare, seed_of, tolerance, verdict

STEPS = {"rnn": RNNStep, "lstm": LSTMStep, "gru": GRUStep}
StepCheck = Check  # the first edition's name


class Problem(NamedTuple):
    """One random float64 step: the step pair, its parameters, an input and state, the engine's forward
    of them and an upstream gradient for the new state."""

    step: Any
    p: CellParams
    x: np.ndarray        # (B, D)
    xw: np.ndarray       # (B, G*H) x W_ih^T + step.input_bias(p)
    state: tuple         # (B, H) each
    cache: Any           # the engine's cache of step_forward(xw, state, p)
    dstate: tuple        # (B, H) each


def step_of(cell: str, options: dict) -> Any:
    """The engine's step pair for ``cell`` with ``options``, or an error naming what it takes."""
    if cell not in STEPS:
        raise ValueError(f"cell must be one of {tuple(STEPS)}, got {cell!r}")
    return STEPS[cell](**options)


def draw_params(rng: np.random.Generator, G: int, D: int, H: int) -> CellParams:
    """Float64 :class:`CellParams` of G gate blocks, every entry from N(0, 0.5^2)."""
    return CellParams(*(0.5 * rng.standard_normal(s) for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))))


def random_problem(cell: str = "lstm", seed: int = 0, B: int = 3, D: int = 4, H: int = 5, **options: Any) -> Problem:
    """A :class:`Problem` of ``cell`` drawn from ``seed``: parameters from N(0, 0.5^2), the rest N(0, 1)."""
    step = step_of(cell, options)
    rng = np.random.default_rng(seed_of(seed))
    p = draw_params(rng, len(step.gates), D, H)
    x = rng.standard_normal((B, D))
    state = tuple(rng.standard_normal((B, H)) for _ in step.state_names)
    xw = x @ p.weight_ih.T + step.input_bias(p)
    _, cache = step.step_forward(xw, state, p)
    dstate = tuple(rng.standard_normal((B, H)) for _ in step.state_names)
    return Problem(step, p, x, xw, state, cache, dstate)


def random_step(cell: str = "lstm", seed: int = 0, B: int = 3, D: int = 4, H: int = 5, **options: Any) -> tuple:
    """``(step, p, cache, dstate)`` of :func:`random_problem`: what a step backward is called with."""
    prob = random_problem(cell, seed, B, D, H, **options)
    return prob.step, prob.p, prob.cache, prob.dstate


def label(cell: str, what: str, options: dict) -> str:
    return f"{cell.upper()} {what}" + "".join(f", {k}={v!r}" for k, v in options.items())


def shapes(prob: Problem) -> str:
    """Every array a step sees, with its letters and its size here, for a shape error's message."""
    (B, H), G = prob.state[0].shape, len(prob.step.gates)
    D = prob.x.shape[1]
    states = ", ".join(prob.step.state_names)
    return (f"B={B}, D={D}, H={H}, G={G} gate block(s) {', '.join(prob.step.gates)}.\n"
            f"    xw, dxw, dhw: (B, G*H) = {(B, G * H)};  {states}, their gradients and every cache field: "
            f"(B, H) = {(B, H)};\n"
            f"    p.weight_ih (G*H, D) = {(G * H, D)};  p.weight_hh (G*H, H) = {(G * H, H)};  "
            f"p.bias_ih, p.bias_hh (G*H,) = {(G * H,)}.\n"
            f"    So h_prev @ p.weight_hh.T is (B, H) @ (H, G*H) -> (B, G*H), and da @ p.weight_hh is "
            f"(B, G*H) @ (G*H, H) -> (B, H).")


def check_step_forward(my_fn: Any, cell: str = "lstm", seed: int = 0, rtol: float = 1e-6, **options: Any) -> Check:
    """Compare a learner's step forward with the engine's: the new state and every field of the cache.

    Parameters
    ----------
    my_fn : callable
        ``my_fn(xw, state, p) -> (state, cache)`` (see this module's docstring); the cache is the
        engine's type (``RNNCache``, ``LSTMCache``, ``GRUCache``) or any object with its fields.
    cell : {"rnn", "lstm", "gru"}
    seed : int >= 0
        Seeds the parameters, the input and the state.
    rtol : float in (0, 1)
        A result passes when its worst error is at most ``rtol`` times the engine's largest value there.
    **options
        The step's options: ``nonlinearity="relu"`` (RNN), ``reset_after=False`` (GRU).

    Returns
    -------
    Check
    """
    rtol = tolerance(rtol)
    prob = random_problem(cell, seed, **options)
    step, told = prob.step, hints.of(cell, options)
    what = label(cell, "step forward", options)
    try:
        got = call(my_fn, (prob.xw.copy(), tuple(s.copy() for s in prob.state), prob.p), what, shapes(prob))
    except ShapeStop as stop:
        return stop.check
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise TypeError(f"your step forward must return two things, (state, cache), got {type(got).__name__}")
    state, cache = got
    state = tuple(state) if isinstance(state, (tuple, list)) else (state,)
    if len(state) != len(step.state_names):
        raise TypeError(f"the state you return must hold {len(step.state_names)} array(s) "
                        f"({', '.join(step.state_names)}), got {len(state)}")
    names = [f"state {s}" for s in step.state_names]
    pairs = list(zip(names, state, [getattr(prob.cache, s) for s in step.state_names]))
    fields = {name: want for name, want in prob.cache._asdict().items() if want is not None}
    missing = [name for name in fields if not hasattr(cache, name)]
    if missing:
        raise TypeError(f"your cache has no field {', '.join(missing)}: return the engine's "
                        f"{type(prob.cache).__name__}({', '.join(prob.cache._fields)})")
    for name, want in fields.items():
        mine = getattr(cache, name)
        if name in step.state_names and _same(mine, state[step.state_names.index(name)]):
            continue  # the state you return, judged (and named) once
        names.append(f"cache.{name}")
        pairs.append((f"cache.{name}", mine, want))
    errors, lines = {}, []
    for name, mine, want in pairs:
        field = name.split(".")[-1].replace("state ", "")
        errors[name], line = compare(name, mine, want, "(B, H)", rtol, ("batch", "unit"), hint=told.get(field))
        lines.append(line + _forward_diagnosis(prob, name, mine) if line else "")
    return verdict(what, names, errors, lines)


def check_step_backward(my_fn: Any, cell: str = "lstm", seed: int = 0, rtol: float = 1e-6,
                        **options: Any) -> Check:
    """Compare a learner's step backward with the engine's, gradient by gradient.

    Parameters
    ----------
    my_fn : callable
        ``my_fn(dstate, cache, p) -> (dxw, dhw, dstate_prev)``, the signature of the
        engine's ``step_backward`` (see this module's docstring).
    cell : {"rnn", "lstm", "gru"}
    seed : int >= 0
        Seeds the parameters, the input, the state and the upstream gradient.
    rtol : float in (0, 1)
        A gradient passes when its worst error is at most ``rtol`` times the
        engine's largest value in that array.
    **options
        The step's options: ``nonlinearity="relu"`` (RNN), ``reset_after=False`` (GRU).

    Returns
    -------
    Check
        ``passed``, the ``wrong`` gradients and a ``message`` naming each wrong one,
        its gate block, its worst entry (batch, unit), your value and the engine's.
    """
    rtol = tolerance(rtol)
    prob = random_problem(cell, seed, **options)
    step, p, cache, dstate = prob.step, prob.p, prob.cache, prob.dstate
    expected = step.step_backward(dstate, cache, p)
    what = label(cell, "step backward", options)
    try:
        got = call(my_fn, (tuple(d.copy() for d in dstate), cache, p), what, shapes(prob))
    except ShapeStop as stop:
        return stop.check
    names = ["dxw", "dhw"] + [f"d{s}_prev" for s in step.state_names]
    want = [expected.dxw, expected.dhw, *expected.dstate]
    mine = _unpack(got, len(step.state_names))
    told = hints.of(cell, options)
    errors, lines = {}, []
    for name, a, b in zip(names, mine, want):
        fused = name in ("dxw", "dhw")
        errors[name], line = compare(name, a, b, "(B, G*H)" if fused else "(B, H)", rtol,
                                     ("batch", "column" if fused else "unit"), step.gates if fused else None,
                                     told.get(name))
        lines.append(line + _backward_diagnosis(prob, expected, name, a) if line else "")
    return verdict(what, names, errors, lines, what="gradients")


def _unpack(got: Any, n_states: int) -> list:
    """``[dxw, dhw, *dstate_prev]`` from what the learner's function returned."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise TypeError("your function must return three things, (dxw, dhw, dstate_prev), "
                        f"got {type(got).__name__}" + (f" of length {len(got)}" if hasattr(got, '__len__') else ""))
    dxw, dhw, dstate = got
    if not isinstance(dstate, (tuple, list)):
        dstate = (dstate,)
    if len(dstate) != n_states:
        raise TypeError(f"dstate_prev must hold {n_states} array(s) "
                        f"({'(dh_prev, dc_prev)' if n_states == 2 else '(dh_prev,)'}), got {len(dstate)}")
    return [dxw, dhw, *dstate]


def _same(mine: Any, other: Any) -> bool:
    """True when ``mine`` is ``other`` to within float64 rounding (False if either is not an array of numbers)."""
    try:
        a, b = np.asarray(mine, dtype=np.float64), np.asarray(other, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


def _forward_diagnosis(prob: Problem, name: str, mine: Any) -> str:
    """A named mistake, where ``mine`` is exactly what it gives: a product with W_hh not transposed."""
    step, p = prob.step, prob.p
    square = p.weight_hh.shape[0] == p.weight_hh.shape[1]
    if name not in ("state h", "cache.h") or not isinstance(step, RNNStep) or not square:
        return ""
    flipped = step.step_forward(prob.xw, prob.state, p._replace(weight_hh=p.weight_hh.T))[0][0]
    return "\n    found it: this is h_prev @ p.weight_hh, W_hh not transposed (W_hh is (H, H), so the shapes " \
           "could not warn you); the product is h_prev W_hh^T, h_prev @ p.weight_hh.T" if _same(mine, flipped) else ""


def _backward_diagnosis(prob: Problem, expected: Any, name: str, mine: Any) -> str:
    """A named mistake, where ``mine`` is exactly what it gives: W_hh transposed in dh_prev, or the
    derivative of the nonlinearity left out."""
    p = prob.p
    if name == "dh_prev" and isinstance(prob.step, RNNStep) and p.weight_hh.shape[0] == p.weight_hh.shape[1] \
            and _same(mine, expected.dhw @ p.weight_hh.T):
        return "\n    found it: this is da @ p.weight_hh.T; W_hh is (H, H), so the shapes could not warn " \
               "you: the forward's h_prev W_hh^T goes back as da W_hh, da @ p.weight_hh"
    if name in ("dxw", "dhw") and isinstance(prob.step, RNNStep) and _same(mine, prob.dstate[0]):
        return "\n    found it: this is dh itself; the derivative of the nonlinearity is missing"
    return ""
