"""Argument checks of :mod:`minilstm.inspect` and of the plots that draw what it returns.

Each error names the argument, what it takes and what it got, before any work is
done: a nonsense argument (``saturation(index=99)``, ``state="x"``) once gave a
plausible answer (shares of 0, the cell state's curve), and a size that runs for
minutes is refused past a documented limit rather than left to run.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import validate

STATES = ("h", "c")  # the states a flow holds: the hidden state, the LSTM family's cell state
MAX_TEXT = 2000      # characters plot.activation_text draws: each is a patch and a text (20,000 took minutes)
MAX_STATE = 512      # state size S (H, or 2H for the LSTM family) inspect.jacobian_norms takes by default


def index_in(name: str, value: Any, n: int, what: str) -> int:
    """``value`` as an int in ``[0, n)``, else an error naming ``name`` and ``what`` it counts."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, an index into the {n} {what} (0 to {n - 1}), got {value!r}")
    if not 0 <= value < n:
        raise ValueError(f"{name} must be an index into the {n} {what}: 0 to {n - 1}, got {value}")
    return int(value)


def step_index(at: Any, T: int) -> int:
    """``at`` as a step index in ``[0, T)`` (a negative one counts from the end)."""
    if isinstance(at, bool) or not isinstance(at, numbers.Integral) or not -T <= at < T:
        raise ValueError(f"at must be a step index in [-{T}, {T}), got {at!r}")
    return int(at) % T


def state_name(state: Any) -> str:
    """``"h"`` or ``"c"``, else an error (any other value once silently meant c)."""
    return validate.choice("state", state, STATES)


def seed(value: Any) -> int:
    """A seed for ``u``: an int >= 0, as NumPy's generators take it."""
    return validate.count("seed", value)


def tails(low: Any, high: Any) -> tuple[float, float]:
    """``saturation``'s ``low < high``, both in [0, 1]."""
    low, high = validate.finite("low", low), validate.finite("high", high)
    for name, v in (("low", low), ("high", high)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} must be in [0, 1] (a gate's range, a tanh block's mapped onto it), got {v}")
    if not low < high:
        raise ValueError(f"low must be below high (the two tails of [0, 1]), got low={low}, high={high}")
    return low, high


def state_size(S: int, max_state: Any) -> None:
    """``jacobian_norms`` builds an S x S Jacobian per step from S step backwards: refuse S past ``max_state``."""
    max_state = validate.positive_int("max_state", max_state)
    if S > max_state:
        raise ValueError(f"jacobian_norms builds a {S} x {S} Jacobian per step from {S} step backwards, which "
                         f"takes minutes: the state size is at most max_state={max_state} (H up to "
                         f"{MAX_STATE // 2} for the LSTM family, {MAX_STATE} for the others); pass a larger "
                         "max_state to run it anyway")


def text_size(text: Any, width: Any) -> int:
    """``activation_text``'s text (a str of at most MAX_TEXT characters) and width (an int >= 1)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, the characters the network read, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text must be at most {MAX_TEXT} characters (each one is drawn as a patch, and "
                         f"{len(text)} would take minutes), got {len(text)}: plot a slice, text[:{MAX_TEXT}]")
    return validate.positive_int("width", width)


def finite_weights(key: str, w: Any) -> None:
    """Singular values of a weight with nan or inf do not exist: say which weight it is."""
    if not np.isfinite(w).all():
        raise ValueError(f"{key} holds nan or inf: it has no singular values (did the training diverge?)")
