"""The vanilla (Elman) RNN step.

Equation, one step (``phi`` is tanh or relu)::

    h = phi(W_ih x + b_ih + W_hh h_prev + b_hh)

With recurrent dropout, ``h_prev`` in the product is ``h_prev * mask``.
Shapes: B batch, H hidden units; ``xw`` (B, H) is the input's share of the
pre-activation, ``W_ih x + b_ih + b_hh`` (the time loop makes every step's in one
product); every other array is (B, H).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..backend import namespace, with_out
from .common import CellParams, StepGrads, drelu, dropped, dtanh, no_buffers, relu, stacked_grads, tanh


class RNNCache(NamedTuple):
    """One step's arrays, each (B, H) (the time loop's: (T, B, H))."""

    h_prev: Any
    h: Any       # new hidden state, phi(a)


NO_BUFFERS = no_buffers(RNNCache)  # as a step forward's out: every array a new one


# phi and its derivative from its output
_NONLINEARITIES = {"tanh": (tanh, dtanh), "relu": (relu, drelu)}


@dataclass(frozen=True, kw_only=True)
class RNNStep:
    """The vanilla RNN's step pair: one block (G = 1), state ``(h,)``; options keyword-only."""

    nonlinearity: str = "tanh"

    gates = ("h",)
    state_names = ("h",)
    kept = ()  # no arrays of a step beyond the state

    def __post_init__(self) -> None:
        if self.nonlinearity not in _NONLINEARITIES:
            raise ValueError(
                f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")

    def input_bias(self, p: CellParams) -> Any:
        """Both biases add straight onto the pre-activation: the loop folds them into ``xw``."""
        return p.bias_ih + p.bias_hh

    def cache_of(self, prev: tuple, new: tuple, kept: tuple) -> RNNCache:
        """The cache over the time loop's buffers: the state before and after the step.

        Each array is (B, H) for one step or (T, B, H) for the whole sequence.
        """
        (h_prev,), (h,) = prev, new
        return RNNCache(h_prev, h)

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: RNNCache = NO_BUFFERS
                     ) -> tuple[tuple, RNNCache]:
        """One step: the new state ``(h,)`` and the cache, from ``xw`` (B, H) and ``(h_prev,)``.

        ``h`` is written into ``out.h`` (the time loop's buffer), or is a new array.
        """
        phi, _ = _NONLINEARITIES[self.nonlinearity]
        (h_prev,) = state
        h = phi(xw + dropped(h_prev, p) @ p.weight_hh.T, out=out.h)  # b_hh is in xw
        return (h,), RNNCache(h_prev, h)

    def step_backward(self, dstate: tuple, cache: RNNCache, p: CellParams, out: Any = None) -> StepGrads:
        """The gradients of one step from ``(dh,)`` (B, H); ``da`` (B, H) into ``out`` if given."""
        _, dphi = _NONLINEARITIES[self.nonlinearity]
        (dh,) = dstate
        da = with_out(namespace(dh)).multiply(dh, dphi(cache.h), out=out)  # h = phi(a)
        dh_prev = dropped(da @ p.weight_hh, p)   # a = ... + W_hh h_prev
        return StepGrads(da, da, (dh_prev,))

    def param_grads(self, x: Any, dxw: Any, caches: RNNCache, p: CellParams) -> dict:
        """Parameter gradients from ``x`` (T, B, D), every step's ``dxw`` (T, B, H) and the sequence's cache."""
        return stacked_grads(x, dropped(caches.h_prev, p), dxw, dxw)  # both projections add onto a
