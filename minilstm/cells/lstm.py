"""The LSTM step, with peepholes and the variants of Greff et al. (2015) as options.

Gate order and weight layout follow PyTorch: the fused rows are i, f, g, o.
Equations, one step (``*`` is elementwise; the ``p_*`` terms are present only
with ``peephole=True``, where ``p_i, p_f, p_o`` are diagonal weights (H,))::

    i = sigmoid(W_ii x + b_ii + W_hi h_prev + b_hi + p_i * c_prev)
    f = sigmoid(W_if x + b_if + W_hf h_prev + b_hf + p_f * c_prev)
    g = tanh(   W_ig x + b_ig + W_hg h_prev + b_hg)
    c = f * c_prev + i * g
    o = sigmoid(W_io x + b_io + W_ho h_prev + b_ho + p_o * c)
    h = o * tanh(c)

The variants of "LSTM: A Search Space Odyssey" (Greff et al. 2015) change one
line each; a removed gate has no rows in the fused weights (its block is
absent, not zeroed) and no peephole:

=======  =============================  ===========================
name     option                         the line it changes
=======  =============================  ===========================
NIG      ``input_gate=False``           ``i = 1``
NFG      ``forget_gate=False``          ``f = 1`` (the 1997 cell)
NOG      ``output_gate=False``          ``o = 1``
NIAF     ``input_activation=False``     ``g = W_ig x + ... + b_hg``
NOAF     ``output_activation=False``    ``h = o * c``
CIFG     ``coupled=True``               ``i = 1 - f``
=======  =============================  ===========================

With recurrent dropout, ``h_prev`` in the products is ``h_prev * mask``.
Shapes: xw (B, G*H) is the precomputed ``W_ih x + b_ih + b_hh``; h, c (B, H).
The step writes its gates over ``xw`` and, given ``out``, ``h`` and ``c`` into
the time loop's buffers; the values are those of the equations either way.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..backend import namespace, with_out
from .common import (
    CellParams,
    StepGrads,
    dropped,
    dtanh,
    gate_activations,
    gate_slopes,
    join_gates,
    sigmoid,
    stacked_grads,
    tanh,
)

# Greff et al.'s names for the variants, as options of LSTMStep (and of the LSTM layers)
VARIANTS = {
    "V": {"peephole": True},
    "NIG": {"peephole": True, "input_gate": False},
    "NFG": {"peephole": True, "forget_gate": False},
    "NOG": {"peephole": True, "output_gate": False},
    "NIAF": {"peephole": True, "input_activation": False},
    "NOAF": {"peephole": True, "output_activation": False},
    "NP": {"peephole": False},
    "CIFG": {"peephole": True, "coupled": True},
}


class LSTMCache(NamedTuple):
    h_in: Any    # (B, H) the recurrent product's input, h_prev (times the dropout mask)
    c_prev: Any  # (B, H)
    i: Any       # (B, H) input gate (1 - f with coupled gates), or 1.0 without an input gate
    f: Any       # (B, H) forget gate, or 1.0 without one
    g: Any       # (B, H) candidate cell
    o: Any       # (B, H) output gate, or 1.0 without one
    c: Any       # (B, H) new cell state
    tc: Any      # (B, H) tanh(c) (c itself with output_activation=False), or None: backward recomputes it
    fused: Any   # (B, G*H) the gates present, side by side: i, f, g, o above are views of it


class Gates(NamedTuple):
    """Named views of the fused gate blocks; ``None`` for a gate the cell does not have."""

    i: Any
    f: Any
    g: Any
    o: Any


@dataclass(frozen=True, kw_only=True)
class LSTMStep:
    """The LSTM's step pair: gate blocks (i, f, g, o) less any removed gate, state ``(h, c)``.

    Every option is keyword-only; the defaults are the LSTM of PyTorch.
    """

    peephole: bool = False
    input_gate: bool = True
    forget_gate: bool = True
    output_gate: bool = True
    input_activation: bool = True
    output_activation: bool = True
    coupled: bool = False

    state_names = ("h", "c")

    def __post_init__(self) -> None:
        for name in ("peephole", "input_gate", "forget_gate", "output_gate", "input_activation",
                     "output_activation", "coupled"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.coupled and not (self.input_gate and self.forget_gate):
            raise ValueError("coupled=True (i = 1 - f) needs the forget gate and replaces the input gate: "
                             "leave input_gate and forget_gate True")

    @functools.cached_property  # read several times a step: computed once
    def gates(self) -> tuple:
        """The gate blocks present in the fused weights, in PyTorch's order."""
        has = {"i": self.input_gate and not self.coupled, "f": self.forget_gate, "g": True, "o": self.output_gate}
        return tuple(k for k in ("i", "f", "g", "o") if has[k])

    @functools.cached_property
    def peepholes(self) -> tuple:
        """The sigmoid gates that carry a peephole weight (none without ``peephole``)."""
        return tuple(k for k in self.gates if k != "g") if self.peephole else ()

    def split(self, a: Any) -> Gates:
        """Named views of a fused ``(..., G*H)`` array; an absent gate is ``None``."""
        H = a.shape[-1] // len(self.gates)
        return Gates._make([None if k is None else a[..., k * H:(k + 1) * H] for k in self._block])

    @functools.cached_property
    def _block(self) -> tuple:
        """For i, f, g, o: the gate's block number in the fused arrays, or None when absent."""
        return tuple(self.gates.index(k) if k in self.gates else None for k in "ifgo")

    def join(self, blocks: Gates, out: Any = None) -> Any:
        """The inverse of :meth:`split`: the present blocks as one fused array (into ``out`` if given)."""
        return join_gates(tuple(getattr(blocks, k) for k in self.gates), out=out)

    # no per-step arrays beyond the gates and the state: backward recomputes tanh(c), one tanh a step.
    # Keeping it instead (a (T, B, H) array more) measured the same within noise: recompute / keep
    # 0.95-1.02, quartiles across 1 (python benchmarks/kept_tanh_c.py, H = 64-512)
    kept = ()

    def input_bias(self, p: CellParams) -> Any:
        """Both biases add straight onto the pre-activations: the loop folds them into ``xw``."""
        return p.bias_ih + p.bias_hh

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: tuple = (None, None, None)
                     ) -> tuple[tuple, LSTMCache]:
        """One step: ``(h, c)`` and its cache from ``xw`` (B, G*H) and ``(h_prev, c_prev)``.

        The gates are written over ``xw``; ``h`` and ``c`` into ``out``'s arrays when given (and
        ``tanh(c)`` into a third, for a step that keeps it).
        """
        xp = with_out(namespace(xw))  # its functions take out= on every backend
        h_prev, c_prev = state
        h_out, c_out, tc_out = (*out, None, None)[:3]
        h_in = dropped(h_prev, p)
        a = xp.add(xw, h_in @ p.weight_hh.T, out=xw)  # (B, G*H) pre-activations; b_hh is in xw
        pre = self.split(a)
        for k in self.peepholes:                     # i and f see c_prev (o sees c, below)
            if k != "o":
                gate = getattr(pre, k)
                xp.add(gate, getattr(p, f"peep_{k}") * c_prev, out=gate)
        g_linear = None if self.input_activation else pre.g * 1.0  # NIAF: g = a_g, kept through the pass
        # every gate in one pass over the fused array, but o when it waits for c (its peephole)
        now = a[..., :-c_prev.shape[-1]] if "o" in self.peepholes else a
        gate_activations(now, tanh_block=pre.g if self.input_activation else None)
        if g_linear is not None:
            pre.g[...] = g_linear
        f = 1.0 if pre.f is None else pre.f
        i = 1.0 - f if self.coupled else (1.0 if pre.i is None else pre.i)
        g = pre.g
        c = xp.add(f * c_prev, i * g, out=c_out)
        if "o" in self.peepholes:
            sigmoid(xp.add(pre.o, p.peep_o * c, out=pre.o), out=pre.o)
        o = 1.0 if pre.o is None else pre.o
        tc = tanh(c, out=tc_out) if self.output_activation else c
        h = xp.multiply(o, tc, out=h_out)
        return (h, c), LSTMCache(h_in, c_prev, i, f, g, o, c, tc, a)

    def sequence_cache(self, xw: Any, states: tuple, kept: tuple, p: CellParams) -> LSTMCache:
        """The cache of a whole sequence, as views: gates (T, B, H) from ``xw`` (T, B, G*H), states from
        the (T+1, B, H) histories the loop kept (row t is the state before step t); tanh(c) is not
        kept (``None``: backward recomputes it)."""
        hs, cs = states
        gates = self.split(xw)
        f = 1.0 if gates.f is None else gates.f
        i = 1.0 - f if self.coupled else (1.0 if gates.i is None else gates.i)
        o = 1.0 if gates.o is None else gates.o
        tc = None if self.output_activation else cs[1:, ...]
        return LSTMCache(dropped(hs[:-1, ...], p), cs[:-1, ...], i, f, gates.g, o, cs[1:, ...], tc, xw)

    def step_backward(self, dstate: tuple, cache: LSTMCache, p: CellParams, out: Any = None) -> StepGrads:
        """Gradients of one step from ``(dh, dc)`` (B, H) flowing into its outputs.

        ``dy`` is the gradient at each gate's output, ``slope`` its activation's slope, and
        ``da = slope * dy`` the pre-activations' gradient, all gates in one pass. ``da`` is written
        into ``out`` when given (the loop hands the step's gates' own buffer, dead by then).
        """
        xp = with_out(namespace(cache.fused))
        dh, dc = dstate
        i, f, g, o, tc = cache.i, cache.f, cache.g, cache.o, cache.tc
        if tc is None:                           # the time loop's cache keeps no tanh(c)
            tc = tanh(cache.c)
        slopes = gate_slopes(cache.fused, len(self.gates), self._block[2] if self.input_activation else None)
        slope, dy_fused = self.split(slopes), xp.empty_like(slopes)
        if not self.input_activation:
            slope.g[...] = 1.0                   # g = a_g
        dy = self.split(dy_fused)
        dh_o = dh * o                            # h = o * tanh(c): c's two paths meet here
        dc = dc + (dh_o * dtanh(tc) if self.output_activation else dh_o)
        if dy.o is not None:
            xp.multiply(dh, tc, out=dy.o)
            if "o" in self.peepholes:
                dc = dc + dy.o * slope.o * p.peep_o  # o saw c through p_o
        xp.multiply(dc, i, out=dy.g)             # c = f * c_prev + i * g
        if dy.i is not None:
            xp.multiply(dc, g, out=dy.i)
        if dy.f is not None:
            xp.multiply(dc, cache.c_prev, out=dy.f)
            if self.coupled:
                xp.subtract(dy.f, dc * g, out=dy.f)  # i = 1 - f: f also acts through i
        dc_prev = dc * f                         # the gradient highway (f is read here for the last time)
        da = xp.multiply(slopes, dy_fused, out=out)  # back through every gate's activation at once
        if self.peepholes:
            da_gate = self.split(da)
            for k in self.peepholes:             # i and f saw c_prev
                if k != "o":
                    dc_prev = dc_prev + getattr(da_gate, k) * getattr(p, f"peep_{k}")
        dh_prev = dropped(da @ p.weight_hh, p)   # a = ... + W_hh h_prev
        return StepGrads(da, da, (dh_prev, dc_prev))

    def param_grads(self, x: Any, dxw: Any, dhw: Any, caches: LSTMCache, p: CellParams) -> dict:
        """Parameter gradients from the stacked (T, ...) step caches."""
        grads = stacked_grads(x, caches.h_in, dxw, dhw)
        xp = namespace(x)
        da = self.split(dxw)
        for k in self.peepholes:                 # i and f saw c_prev, o saw c
            seen = caches.c if k == "o" else caches.c_prev
            grads[f"peep_{k}"] = xp.sum(getattr(da, k) * seen, axis=(0, 1))
        return grads
