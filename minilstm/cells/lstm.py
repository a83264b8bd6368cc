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
    dsigmoid,
    dtanh,
    join_gates,
    sigmoid,
    split_gates,
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

    @property
    def tc(self) -> Any:
        """``tanh(c)``, recomputed: one tanh costs less than keeping a (T, B, H) array per sequence."""
        return tanh(self.c)


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
        blocks = split_gates(a, len(self.gates))
        return Gates(*(None if k is None else blocks[k] for k in self._block))

    @functools.cached_property
    def _block(self) -> tuple:
        """For i, f, g, o: the gate's block number in the fused arrays, or None when absent."""
        return tuple(self.gates.index(k) if k in self.gates else None for k in "ifgo")

    def join(self, blocks: Gates, out: Any = None) -> Any:
        """The inverse of :meth:`split`: the present blocks as one fused array (into ``out`` if given)."""
        return join_gates(tuple(getattr(blocks, k) for k in self.gates), out=out)

    kept = ()  # no per-step arrays beyond the gates and the state

    def input_bias(self, p: CellParams) -> Any:
        """Both biases add straight onto the pre-activations: the loop folds them into ``xw``."""
        return p.bias_ih + p.bias_hh

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: tuple = (None, None)
                     ) -> tuple[tuple, LSTMCache]:
        """One step: ``(h, c)`` and its cache from ``xw`` (B, G*H) and ``(h_prev, c_prev)``.

        The gates are written over ``xw``; ``h`` and ``c`` into ``out``'s arrays when given.
        """
        xp = with_out(namespace(xw))  # its functions take out= on every backend
        h_prev, c_prev = state
        h_out, c_out = out
        h_in = dropped(h_prev, p)
        a = xp.add(xw, h_in @ p.weight_hh.T, out=xw)  # (B, G*H) pre-activations; b_hh is in xw
        pre = self.split(a)
        if self.peephole:        # each sigmoid gate waits for its c (in _gate)
            g = xp.tanh(pre.g, out=pre.g) if self.input_activation else pre.g
        else:                    # every sigmoid gate in one pass over the fused array (its g block too, so
            g = xp.tanh(pre.g) if self.input_activation else pre.g * 1.0  # g is taken first and put back):
            sigmoid(a, out=a)    # 2 to 4 numpy calls fewer per step than a pass per gate
            pre.g[...] = g
            g = pre.g
        f = self._gate(pre.f, p.peep_f, c_prev)
        i = 1.0 - f if self.coupled else self._gate(pre.i, p.peep_i, c_prev)
        c = xp.add(f * c_prev, i * g, out=c_out)
        o = self._gate(pre.o, p.peep_o, c)
        h = xp.multiply(o, xp.tanh(c) if self.output_activation else c, out=h_out)
        return (h, c), LSTMCache(h_in, c_prev, i, f, g, o, c)

    def _gate(self, a: Any, peep: Any, c: Any) -> Any:
        """A sigmoid gate over its pre-activation ``a``: ``sigmoid(a + peep * c)`` with a peephole
        (without, the fused pass already made it); 1 when the gate is absent."""
        if a is None:
            return 1.0
        if peep is None:
            return a
        return sigmoid(with_out(namespace(a)).add(a, peep * c, out=a), out=a)

    def sequence_cache(self, xw: Any, states: tuple, kept: tuple, p: CellParams) -> LSTMCache:
        """The cache of a whole sequence, as views: gates (T, B, H) from ``xw`` (T, B, G*H), states from
        the (T+1, B, H) histories the loop kept (row t is the state before step t)."""
        hs, cs = states
        gates = self.split(xw)
        f = 1.0 if gates.f is None else gates.f
        i = 1.0 - f if self.coupled else (1.0 if gates.i is None else gates.i)
        o = 1.0 if gates.o is None else gates.o
        return LSTMCache(dropped(hs[:-1, ...], p), cs[:-1, ...], i, f, gates.g, o, cs[1:, ...])

    def step_backward(self, dstate: tuple, cache: LSTMCache, p: CellParams, out: Any = None) -> StepGrads:
        """Gradients of one step from ``(dh, dc)`` (B, H) flowing into its outputs.

        ``da`` is written into ``out`` when given (the loop hands the step's gates' own buffer).
        """
        dh, dc = dstate
        i, f, g, o = cache.i, cache.f, cache.g, cache.o
        tc = cache.tc if self.output_activation else cache.c
        dao = dh * tc * dsigmoid(o) if self.output_gate else None  # h = o * tanh(c), through sigmoid
        dc = dc + dh * o * (dtanh(tc) if self.output_activation else 1.0)  # c's two paths meet here
        if "o" in self.peepholes:
            dc = dc + dao * p.peep_o             # o saw c through p_o
        di = dc * g                              # c = f * c_prev + i * g
        df = dc * cache.c_prev
        if self.coupled:
            df = df - di                         # i = 1 - f: f also acts through i
        dai = di * dsigmoid(i) if "i" in self.gates else None
        daf = df * dsigmoid(f) if self.forget_gate else None
        dag = dc * i * (dtanh(g) if self.input_activation else 1.0)
        dc_prev = dc * f                         # the gradient highway
        if "i" in self.peepholes:
            dc_prev = dc_prev + dai * p.peep_i
        if "f" in self.peepholes:
            dc_prev = dc_prev + daf * p.peep_f
        da = self.join(Gates(dai, daf, dag, dao), out=out)  # over the gates: read above for the last time
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
