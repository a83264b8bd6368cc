"""The LSTM step, as PyTorch's ``nn.LSTM`` computes it.

Gate order and weight layout follow PyTorch: the fused rows of ``W_ih`` (4H, D)
and ``W_hh`` (4H, H) are the gate blocks i, f, g, o. Equations, one step
(``*`` is elementwise)::

    i = sigmoid(W_ii x + b_ii + W_hi h_prev + b_hi)
    f = sigmoid(W_if x + b_if + W_hf h_prev + b_hf)
    g = tanh(   W_ig x + b_ig + W_hg h_prev + b_hg)
    o = sigmoid(W_io x + b_io + W_ho h_prev + b_ho)
    c = f * c_prev + i * g
    h = o * tanh(c)

With recurrent dropout, ``h_prev`` in the products is ``h_prev * mask``.
Shapes: B batch, H hidden units; ``xw`` (B, 4H) is the input's share of the
pre-activations, ``W_ih x + b_ih + b_hh`` (the time loop makes every step's in
one product); every other array is (B, H).

Peepholes and the variants of Greff et al. (2015) are in
:mod:`minilstm.cells.lstm_variants`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..backend import namespace, with_out
from .common import (
    CellParams,
    StepGrads,
    dropped,
    dsigmoid,
    dtanh,
    join_gates,
    no_buffers,
    sigmoid,
    split_gates,
    stacked_grads,
    tanh,
)


class LSTMCache(NamedTuple):
    """One step's arrays, each (B, H) (the time loop keeps (T, B, H) of each): the state before the step,
    its gates, the state after it."""

    h_prev: Any
    c_prev: Any
    i: Any       # input gate
    f: Any       # forget gate
    g: Any       # candidate cell
    o: Any       # output gate
    c: Any       # new cell state
    tc: Any      # tanh(c)
    h: Any       # new hidden state


NO_BUFFERS = no_buffers(LSTMCache)  # as a step forward's out: every array a new one


@dataclass(frozen=True)
class LSTMStep:
    """The LSTM's step pair: gate blocks i, f, g, o; state ``(h, c)``."""

    gates = ("i", "f", "g", "o")
    state_names = ("h", "c")
    kept = ("i", "f", "g", "o", "tc")  # the arrays of a step the time loop keeps, beside the states

    def input_bias(self, p: CellParams) -> Any:
        """Both biases add straight onto the pre-activations: the loop folds them into ``xw``."""
        return p.bias_ih + p.bias_hh

    def cache_of(self, prev: tuple, new: tuple, kept: tuple) -> LSTMCache:
        """The cache over the time loop's buffers: the states before and after the step, and ``kept``.

        Each array is (B, H) for one step or (T, B, H) for the whole sequence.
        """
        (h_prev, c_prev), (h, c), (i, f, g, o, tc) = prev, new, kept
        return LSTMCache(h_prev, c_prev, i, f, g, o, c, tc, h)

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: LSTMCache = NO_BUFFERS
                     ) -> tuple[tuple, LSTMCache]:
        """One step: the new state ``(h, c)`` and the cache, from ``xw`` (B, 4H) and ``(h_prev, c_prev)``.

        Each array is written into its field of ``out`` (the time loop's buffers), or is a new one.
        """
        xp = with_out(namespace(xw))  # its functions take out= on every backend
        h_prev, c_prev = state
        a_i, a_f, a_g, a_o = split_gates(xw + dropped(h_prev, p) @ p.weight_hh.T, 4)  # b_hh is in xw
        i = sigmoid(a_i, out=out.i)
        f = sigmoid(a_f, out=out.f)
        g = tanh(a_g, out=out.g)
        o = sigmoid(a_o, out=out.o)
        c = xp.add(f * c_prev, i * g, out=out.c)
        tc = tanh(c, out=out.tc)
        h = xp.multiply(o, tc, out=out.h)
        return (h, c), LSTMCache(h_prev, c_prev, i, f, g, o, c, tc, h)

    def step_backward(self, dstate: tuple, cache: LSTMCache, p: CellParams, out: Any = None) -> StepGrads:
        """The gradients of one step from ``(dh, dc)`` (B, H), those flowing into its new state.

        ``da`` (B, 4H), the gradient of the pre-activations, is written into ``out`` if given.
        """
        dh, dc = dstate
        h_prev, c_prev, i, f, g, o, c, tc, _ = cache
        dc = dc + dh * o * dtanh(tc)             # h = o * tanh(c): c reaches the loss through h too
        da_o = dh * tc * dsigmoid(o)             # h = o * tanh(c),        o = sigmoid(a_o)
        da_i = dc * g * dsigmoid(i)              # c = f * c_prev + i * g, i = sigmoid(a_i)
        da_f = dc * c_prev * dsigmoid(f)         # c = f * c_prev + i * g, f = sigmoid(a_f)
        da_g = dc * i * dtanh(g)                 # c = f * c_prev + i * g, g = tanh(a_g)
        dc_prev = dc * f                         # c = f * c_prev + ...: the gradient highway
        da = join_gates((da_i, da_f, da_g, da_o), out=out)  # (B, 4H), the blocks in the weights' order
        dh_prev = dropped(da @ p.weight_hh, p)   # a = ... + W_hh h_prev
        return StepGrads(da, da, (dh_prev, dc_prev))

    def param_grads(self, x: Any, dxw: Any, caches: LSTMCache, p: CellParams) -> dict:
        """Parameter gradients from ``x`` (T, B, D), every step's ``dxw`` (T, B, 4H) and the sequence's cache."""
        return stacked_grads(x, dropped(caches.h_prev, p), dxw, dxw)  # both projections add onto a
