"""The vanilla (Elman) RNN step.

Equations, one step (``phi`` is tanh or relu)::

    h = phi(W_ih x + b_ih + W_hh h_prev + b_hh)

With recurrent dropout, ``h_prev`` in the product is ``h_prev * mask``.
Shapes: xw (B, H) is the precomputed ``W_ih x + b_ih + b_hh``; h, h_prev (B, H).
The step writes its pre-activation over ``xw`` and, given ``out``, ``h`` into
the time loop's buffer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..backend import namespace, with_out
from .common import CellParams, StepGrads, dropped, dtanh, relu, stacked_grads, tanh


class RNNCache(NamedTuple):
    h_in: Any    # (B, H) the recurrent product's input, h_prev (times the dropout mask)
    h: Any       # (B, H) the step's output, phi(a)


def _drelu_times(h: Any, dh: Any) -> Any:
    """``dh * relu'(a)`` from the output ``h = relu(a)``."""
    xp = namespace(h)
    return xp.where(h > 0, dh, xp.zeros_like(dh))


_NONLINEARITIES = {
    "tanh": (tanh, lambda h, dh: dh * dtanh(h)),
    "relu": (relu, _drelu_times),
}


@dataclass(frozen=True, kw_only=True)
class RNNStep:
    """The vanilla RNN's step pair: one block (G = 1), state ``(h,)``; options keyword-only."""

    nonlinearity: str = "tanh"

    gates = ("h",)
    state_names = ("h",)

    def __post_init__(self) -> None:
        if self.nonlinearity not in _NONLINEARITIES:
            raise ValueError(
                f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")

    def input_bias(self, p: CellParams) -> Any:
        """Both biases add straight onto the pre-activation: the loop folds them into ``xw``."""
        return p.bias_ih + p.bias_hh

    kept = ()  # no per-step arrays beyond the state

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: tuple = (None,)) -> tuple[tuple, RNNCache]:
        """One step: ``(h,)`` and its cache from ``xw`` (B, H) and ``(h_prev,)``; h into ``out`` if given."""
        phi, _ = _NONLINEARITIES[self.nonlinearity]
        (h_prev,) = state
        h_in = dropped(h_prev, p)
        xp = with_out(namespace(xw))
        a = xp.add(xw, h_in @ p.weight_hh.T, out=xw)  # b_hh is inside xw
        h = phi(a, out=out[0])
        return (h,), RNNCache(h_in, h)

    def sequence_cache(self, xw: Any, states: tuple, kept: tuple, p: CellParams) -> RNNCache:
        """The cache of a whole sequence, as views of the (T+1, B, H) history the loop kept."""
        (hs,) = states
        return RNNCache(dropped(hs[:-1, ...], p), hs[1:, ...])

    def step_backward(self, dstate: tuple, cache: RNNCache, p: CellParams, out: Any = None) -> StepGrads:
        """Gradients of one step from ``(dh,)`` (B, H) flowing into its output (``da`` into ``out`` if given)."""
        _, dphi_times = _NONLINEARITIES[self.nonlinearity]
        (dh,) = dstate
        da = dphi_times(cache.h, dh)             # backprop through phi
        dh_prev = dropped(da @ p.weight_hh, p)   # a = ... + W_hh h_prev
        return StepGrads(da, da, (dh_prev,))

    def param_grads(self, x: Any, dxw: Any, dhw: Any, caches: RNNCache, p: CellParams) -> dict:
        """Parameter gradients from the stacked (T, ...) step caches."""
        return stacked_grads(x, caches.h_in, dxw, dhw)
