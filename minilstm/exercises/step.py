"""Checkers for the lessons' exercises: your own step backward against the engine's.

Shape letters: B batch, H hidden units, G gate blocks (RNN 1, LSTM 4, GRU 3).

A learner writes a cell's step backward with exactly the signature of the
engine's (``RNNStep.step_backward``, ``LSTMStep.step_backward``,
``GRUStep.step_backward`` in :mod:`minilstm.cells`)::

    def my_step_backward(dstate, cache, p):
        # dstate: (dh,) or (dh, dc), each (B, H): the gradient flowing into the step's new state
        # cache:  the engine's named cache of the step forward (RNNCache, LSTMCache, GRUCache)
        # p:      the CellParams (p.weight_hh (G*H, H), p.bias_hh (G*H,), ...)
        ...
        return dxw, dhw, dstate_prev

and returns three things:

- ``dxw`` (B, G*H): the gradient of the input projection ``xw = x W_ih^T + b``,
  the gates' pre-activations as the input sees them (gate blocks side by side,
  in PyTorch's order); ``dx = dxw W_ih`` and ``dW_ih = dxw^T x`` follow from it.
- ``dhw`` (B, G*H): the gradient of the recurrent projection ``h_prev W_hh^T``
  (``dW_hh = dhw^T h_prev``). For the RNN and the LSTM it is ``dxw`` again; the
  GRU's differs in its n block, where the reset gate multiplies the product.
- ``dstate_prev``: ``(dh_prev,)`` or ``(dh_prev, dc_prev)`` (a single array is
  fine for the one-state cells).

:func:`check_step_backward` runs it on random float64 inputs next to the engine
and says which gradient is wrong (and, in a fused array, which gate's block),
by how much, and where.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..cells import CellParams, GRUStep, LSTMStep, RNNStep

STEPS = {"rnn": RNNStep, "lstm": LSTMStep, "gru": GRUStep}
GATE_WORDS = {"h": "pre-activation a", "i": "input gate i", "f": "forget gate f", "g": "candidate g",
              "o": "output gate o", "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
# where each returned gradient comes from, said once per cell (shown next to a wrong one)
HINTS = {
    "rnn": {"dxw": "h = tanh(a): da = dh * (1 - h**2)",
            "dhw": "the same da: a = xw + h_prev W_hh^T",
            "dh_prev": "a = xw + h_prev W_hh^T: dh_prev = da W_hh"},
    "lstm": {"dxw": "c receives dc + dh * o * (1 - tanh(c)**2); then di = dc*g, df = dc*c_prev, dg = dc*i, "
                    "do = dh*tanh(c), each times its gate's derivative",
             "dhw": "the same fused da as dxw",
             "dh_prev": "dh_prev = da W_hh, da all four gate blocks",
             "dc_prev": "c = f * c_prev + i * g: dc_prev = f * (total dc)"},
    "gru": {"dxw": "h = (1-z)*n + z*h_prev; n = tanh(xn + r*hn): the n block is dn * (1 - n**2)",
            "dhw": "like dxw, but its n block is the gradient of hn = h_prev W_hn^T + b_hn: dan * r",
            "dh_prev": "two paths: dh * z directly, plus dhw W_hh through the three products"},
}


@dataclass
class StepCheck:
    """What :func:`check_step_backward` found; shows as its message in a notebook.

    Attributes
    ----------
    passed : bool
    wrong : list of str
        The names of the wrong gradients (``"dxw"``, ``"dhw"``, ``"dh_prev"``, ``"dc_prev"``).
    errors : dict of str to float
        Each gradient's worst error relative to the engine's largest value there.
    message : str
    """

    passed: bool
    wrong: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    message: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


def random_step(cell: str = "lstm", seed: int = 0, B: int = 3, D: int = 4, H: int = 5, **options: Any) -> tuple:
    """A step pair, its float64 parameters and one step forward on random inputs.

    Returns ``(step, p, cache, dstate)``: the engine's step pair (``options`` as
    ``nonlinearity="relu"`` or ``reset_after=False``), :class:`CellParams` drawn
    from N(0, 0.5^2), the cache of ``step.step_forward`` on a random input and
    state, and a random upstream gradient ``dstate`` for the new state.
    """
    if cell not in STEPS:
        raise ValueError(f"cell must be one of {tuple(STEPS)}, got {cell!r}")
    step = STEPS[cell](**options)
    rng = np.random.default_rng(seed)
    G = len(step.gates)

    def draw(*shape: int) -> np.ndarray:
        return 0.5 * rng.standard_normal(shape)

    p = CellParams(draw(G * H, D), draw(G * H, H), draw(G * H), draw(G * H))
    x = rng.standard_normal((B, D))
    state = tuple(rng.standard_normal((B, H)) for _ in step.state_names)
    _, cache = step.step_forward(x @ p.weight_ih.T + step.input_bias(p), state, p)
    dstate = tuple(rng.standard_normal((B, H)) for _ in step.state_names)
    return step, p, cache, dstate


def check_step_backward(my_fn: Any, cell: str = "lstm", seed: int = 0, rtol: float = 1e-6,
                        **options: Any) -> StepCheck:
    """Compare a learner's step backward with the engine's, gradient by gradient.

    Parameters
    ----------
    my_fn : callable
        ``my_fn(dstate, cache, p) -> (dxw, dhw, dstate_prev)``, the signature of the
        engine's ``step_backward`` (see this module's docstring).
    cell : {"rnn", "lstm", "gru"}
    seed : int
        Seeds the parameters, the input, the state and the upstream gradient.
    rtol : float
        A gradient passes when its worst error is at most ``rtol`` times the
        engine's largest value in that array.
    **options
        The step's options: ``nonlinearity="relu"`` (RNN), ``reset_after=False`` (GRU).

    Returns
    -------
    StepCheck
        ``passed``, the ``wrong`` gradients and a ``message`` naming each wrong one,
        its gate block, its worst entry (batch, unit), your value and the engine's.
    """
    step, p, cache, dstate = random_step(cell, seed, **options)
    expected = step.step_backward(dstate, cache, p)
    got = my_fn(tuple(d.copy() for d in dstate), cache, p)
    names = ["dxw", "dhw"] + [f"d{s}_prev" for s in step.state_names]
    want = [expected.dxw, expected.dhw, *expected.dstate]
    mine = _unpack(got, len(step.state_names))
    blocks = step.gates
    wrong, errors, lines = [], {}, []
    for name, a, b in zip(names, mine, want):
        fused = name in ("dxw", "dhw")
        problem = _shape_problem(name, a, b.shape, "(B, G*H)" if fused else "(B, H)")
        if problem:
            wrong.append(name)
            errors[name] = float("inf")
            lines.append(problem)
            continue
        diff = np.abs(np.asarray(a, dtype=np.float64) - b)
        scale = max(float(np.abs(b).max()), 1e-12)
        errors[name] = float(diff.max()) / scale
        if errors[name] > rtol:
            wrong.append(name)
            lines.append(_describe(name, np.asarray(a), b, diff, scale, blocks if fused else None,
                                   HINTS[cell].get(name)))
    label = f"{cell.upper()} step backward" + "".join(f", {k}={v!r}" for k, v in options.items())
    if not wrong:
        worst = max(errors.values())
        message = f"All {len(names)} gradients of your {label} match the engine's " \
                  f"({', '.join(names)}; worst relative error {worst:.1e})."
    else:
        right = [n for n in names if n not in wrong]
        message = f"Your {label}: {len(wrong)} of {len(names)} gradients " \
                  f"{'is' if len(wrong) == 1 else 'are'} wrong " \
                  f"({', '.join(wrong)})" + (f"; right: {', '.join(right)}" if right else "") + ".\n" \
                  + "\n".join(lines)
    return StepCheck(not wrong, wrong, errors, message)


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


def _shape_problem(name: str, a: Any, shape: tuple, letters: str) -> str:
    if a is None:
        return f"- {name}: you returned None; expected an array {letters} = {shape}."
    if tuple(np.shape(a)) != tuple(shape):
        return f"- {name}: shape {tuple(np.shape(a))}, expected {letters} = {tuple(shape)}."
    return ""


def _describe(name: str, a: np.ndarray, b: np.ndarray, diff: np.ndarray, scale: float, blocks: Any,
              hint: str | None) -> str:
    """One wrong gradient: by how much, its worst entry (and its gate block), and the equation behind it."""
    batch, col = np.unravel_index(int(np.argmax(diff)), diff.shape)
    where = f"batch {batch}, unit {col}"
    if blocks is not None and len(blocks) > 1:
        H = b.shape[-1] // len(blocks)
        gate, unit = blocks[col // H], col % H
        where = f"batch {batch}, column {col}: the {GATE_WORDS[gate]} block, unit {unit}"
        bad = [GATE_WORDS[g] for k, g in enumerate(blocks) if diff[:, k * H:(k + 1) * H].max() > 1e-6 * scale]
        where += f" (wrong blocks: {', '.join(bad)})"
    text = (f"- {name}: off by up to {diff.max():.3g} ({diff.max() / scale:.1%} of the engine's largest |value| "
            f"{scale:.3g}); worst at [{where}]: yours {a[batch, col]:.6g}, engine {b[batch, col]:.6g}.")
    return text + (f"\n    where it comes from: {hint}" if hint else "")
