"""The LSTM cell, with peepholes as an option (Gers & Schmidhuber 2000).

Gate order and weight layout follow PyTorch: the fused rows are i, f, g, o.
Equations, one step (``*`` is elementwise; the ``p_*`` terms are present only
with ``peephole=True``, where ``p_i, p_f, p_o`` are diagonal weights (H,))::

    i = sigmoid(W_ii x + b_ii + W_hi h_prev + b_hi + p_i * c_prev)
    f = sigmoid(W_if x + b_if + W_hf h_prev + b_hf + p_f * c_prev)
    g = tanh(   W_ig x + b_ig + W_hg h_prev + b_hg)
    c = f * c_prev + i * g
    o = sigmoid(W_io x + b_io + W_ho h_prev + b_ho + p_o * c)
    h = o * tanh(c)

With recurrent dropout, ``h_prev`` in the products is ``h_prev * mask``.
Shapes: xw (B, 4H) is the precomputed ``W_ih x + b_ih + b_hh``; h, c (B, H).
Variants (no forget gate, coupled gates, ...) belong here as further options.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..backend import namespace
from .common import CellParams, StepGrads, dropped, dsigmoid, dtanh, join_gates, sigmoid, split_gates, stacked_grads


class LSTMCache(NamedTuple):
    h_in: Any    # (B, H) the recurrent product's input, h_prev (times the dropout mask)
    c_prev: Any  # (B, H)
    i: Any       # (B, H) input gate
    f: Any       # (B, H) forget gate
    g: Any       # (B, H) candidate cell
    o: Any       # (B, H) output gate
    c: Any       # (B, H) new cell state
    tc: Any      # (B, H) tanh(c)


@dataclass(frozen=True)
class LSTMCell:
    """LSTM cell: four gate blocks (i, f, g, o), state ``(h, c)``."""

    peephole: bool = False
    gates: tuple = ("i", "f", "g", "o")
    state_names: tuple = ("h", "c")

    def input_bias(self, p: CellParams) -> Any:
        """Both biases add straight onto the pre-activations: the loop folds them into ``xw``."""
        return p.bias_ih + p.bias_hh

    def step_forward(self, xw: Any, state: tuple, p: CellParams) -> tuple[tuple, LSTMCache]:
        """One step: ``(h, c)`` and its cache from ``xw`` (B, 4H) and ``(h_prev, c_prev)``."""
        xp = namespace(xw)
        h_prev, c_prev = state
        h_in = dropped(h_prev, p)
        a = xw + h_in @ p.weight_hh.T            # (B, 4H) all four pre-activations; b_hh is inside xw
        ai, af, ag, ao = split_gates(a, 4)
        if self.peephole:                        # i and f also see c_prev
            i, f = sigmoid(ai + p.peep_i * c_prev), sigmoid(af + p.peep_f * c_prev)
        else:                                    # i, f and o in one sigmoid pass over the fused
            i, f, _, o = split_gates(sigmoid(a), 4)  # array (its g block goes unused: g is a tanh)
        g = xp.tanh(ag)
        c = f * c_prev + i * g
        if self.peephole:                        # o sees the new c, so it waits for it
            o = sigmoid(ao + p.peep_o * c)
        tc = xp.tanh(c)
        h = o * tc
        return (h, c), LSTMCache(h_in, c_prev, i, f, g, o, c, tc)

    def step_backward(self, dstate: tuple, cache: LSTMCache, p: CellParams) -> StepGrads:
        """Gradients of one step from ``(dh, dc)`` (B, H) flowing into its outputs."""
        dh, dc = dstate
        i, f, g, o, tc = cache.i, cache.f, cache.g, cache.o, cache.tc
        dao = dh * tc * dsigmoid(o)              # h = o * tanh(c), through sigmoid
        dc = dc + dh * o * dtanh(tc)             # the cell state's two paths meet here
        if self.peephole:
            dc = dc + dao * p.peep_o             # o saw c through p_o
        dai = dc * g * dsigmoid(i)               # c = f * c_prev + i * g
        daf = dc * cache.c_prev * dsigmoid(f)
        dag = dc * i * dtanh(g)
        dc_prev = dc * f                         # the gradient highway
        if self.peephole:
            dc_prev = dc_prev + dai * p.peep_i + daf * p.peep_f
        da = join_gates((dai, daf, dag, dao))
        dh_prev = dropped(da @ p.weight_hh, p)   # a = ... + W_hh h_prev
        return StepGrads(da, da, (dh_prev, dc_prev))

    def param_grads(self, x: Any, dxw: Any, dhw: Any, caches: LSTMCache, p: CellParams) -> dict:
        """Parameter gradients from the stacked (T, ...) step caches."""
        grads = stacked_grads(x, caches.h_in, dxw, dhw)
        if self.peephole:
            xp = namespace(x)
            dai, daf, _, dao = split_gates(dxw, 4)
            grads["peep_i"] = xp.sum(dai * caches.c_prev, axis=(0, 1))
            grads["peep_f"] = xp.sum(daf * caches.c_prev, axis=(0, 1))
            grads["peep_o"] = xp.sum(dao * caches.c, axis=(0, 1))
        return grads
