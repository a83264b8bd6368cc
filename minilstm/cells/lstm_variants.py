"""Peepholes and the LSTM variants of Greff et al. (2015): the LSTM of :mod:`minilstm.cells.lstm`, with options.

Equations, one step, with the fused pre-activations ``a = W_ih x + b_ih + W_hh h_prev + b_hh``
(one block per gate present) and, with ``peephole=True``, the diagonal weights ``p_i, p_f, p_o`` (H,)::

    i = sigmoid(a_i + p_i * c_prev)
    f = sigmoid(a_f + p_f * c_prev)
    g = tanh(a_g)
    c = f * c_prev + i * g
    o = sigmoid(a_o + p_o * c)
    h = o * tanh(c)

Without peepholes and with every other option at its default this is the LSTM
(:func:`lstm_variant` then makes the plain :class:`~minilstm.cells.lstm.LSTMStep`).
The variants of "LSTM: A Search Space Odyssey" (Greff et al. 2015) change one
line each; a removed gate has no rows in the fused weights (its block is
absent, not zeroed) and no peephole:

=======  =============================  ===========================
name     option                         the line it changes
=======  =============================  ===========================
NIG      ``input_gate=False``           ``i = 1``
NFG      ``forget_gate=False``          ``f = 1`` (the 1997 cell)
NOG      ``output_gate=False``          ``o = 1``
NIAF     ``input_activation=False``     ``g = a_g``
NOAF     ``output_activation=False``    ``h = o * c``
CIFG     ``coupled=True``               ``i = 1 - f``
=======  =============================  ===========================

Shapes as in :mod:`minilstm.cells.lstm`: ``xw`` (B, G*H), every other array (B, H).
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
    identity,
    join_gates,
    sigmoid,
    stacked_grads,
    tanh,
)
from .lstm import NO_BUFFERS, LSTMCache, LSTMStep

# Greff et al.'s names for the variants, as options of the LSTM layers (and of lstm_variant)
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


class Gates(NamedTuple):
    """Named views of the fused gate blocks; ``None`` for a gate the cell does not have."""

    i: Any
    f: Any
    g: Any
    o: Any


@dataclass(frozen=True, kw_only=True)
class LSTMVariantStep:
    """The step pair of an LSTM with peepholes or one of Greff et al.'s variants; state ``(h, c)``.

    Every option is keyword-only; the defaults are the LSTM of PyTorch. A gate the
    cell does not have is the constant 1 in its cache.
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

    @functools.cached_property
    def gates(self) -> tuple:
        """The gate blocks present in the fused weights, in PyTorch's order."""
        has = {"i": self.input_gate and not self.coupled, "f": self.forget_gate, "g": True, "o": self.output_gate}
        return tuple(k for k in ("i", "f", "g", "o") if has[k])

    @functools.cached_property
    def peepholes(self) -> tuple:
        """The sigmoid gates that carry a peephole weight (none without ``peephole``)."""
        return tuple(k for k in self.gates if k != "g") if self.peephole else ()

    @functools.cached_property
    def kept(self) -> tuple:
        """The arrays of a step the time loop keeps beside the states: the gates (i too when it is 1 - f),
        and tanh(c) unless ``h = o * c``."""
        arrays = self.gates + (("i",) if self.coupled else ())
        return tuple(k for k in "ifgo" if k in arrays) + (("tc",) if self.output_activation else ())

    def split(self, a: Any) -> Gates:
        """Named views of a fused ``(..., G*H)`` array; an absent gate is ``None``."""
        H = a.shape[-1] // len(self.gates)
        block = {k: a[..., n * H:(n + 1) * H] for n, k in enumerate(self.gates)}
        return Gates(*(block.get(k) for k in "ifgo"))

    def join(self, blocks: Gates, out: Any = None) -> Any:
        """The inverse of :meth:`split`: the present blocks as one fused array (into ``out`` if given)."""
        return join_gates(tuple(getattr(blocks, k) for k in self.gates), out=out)

    def input_bias(self, p: CellParams) -> Any:
        """Both biases add straight onto the pre-activations: the loop folds them into ``xw``."""
        return p.bias_ih + p.bias_hh

    def cache_of(self, prev: tuple, new: tuple, kept: tuple) -> LSTMCache:
        """The cache over the time loop's buffers (as :meth:`LSTMStep.cache_of`), absent gates the constant 1."""
        (h_prev, c_prev), (h, c) = prev, new
        array = dict(zip(self.kept, kept))
        return LSTMCache(h_prev, c_prev, array.get("i", 1.0), array.get("f", 1.0), array["g"], array.get("o", 1.0),
                         c, array.get("tc", c), h)

    def _gate(self, a: Any, peep: Any, seen: Any, out: Any) -> Any:
        """``sigmoid(a + peep * seen)`` with peepholes, ``sigmoid(a)`` without, into ``out``."""
        return sigmoid(a + peep * seen if self.peephole else a, out=out)

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: LSTMCache = NO_BUFFERS
                     ) -> tuple[tuple, LSTMCache]:
        """One step, as :meth:`LSTMStep.step_forward`: ``(h, c)`` and the cache, arrays into ``out``."""
        xp = with_out(namespace(xw))
        h_prev, c_prev = state
        a = self.split(xw + dropped(h_prev, p) @ p.weight_hh.T)  # b_hh is in xw
        f = self._gate(a.f, p.peep_f, c_prev, out.f) if self.forget_gate else 1.0          # NFG: f = 1
        if self.coupled:
            i = xp.subtract(1.0, f, out=out.i)                                              # CIFG: i = 1 - f
        else:
            i = self._gate(a.i, p.peep_i, c_prev, out.i) if self.input_gate else 1.0       # NIG: i = 1
        g = tanh(a.g, out=out.g) if self.input_activation else identity(a.g, out=out.g)  # NIAF: g = a_g
        c = xp.add(f * c_prev, i * g, out=out.c)
        o = self._gate(a.o, p.peep_o, c, out.o) if self.output_gate else 1.0               # NOG: o = 1
        tc = tanh(c, out=out.tc) if self.output_activation else c                          # NOAF: h = o * c
        h = xp.multiply(o, tc, out=out.h)
        return (h, c), LSTMCache(h_prev, c_prev, i, f, g, o, c, tc, h)

    def step_backward(self, dstate: tuple, cache: LSTMCache, p: CellParams, out: Any = None) -> StepGrads:
        """The gradients of one step from ``(dh, dc)`` (B, H); ``da`` (B, G*H) into ``out`` if given."""
        dh, dc = dstate
        h_prev, c_prev, i, f, g, o, c, tc, _ = cache
        dc = dc + dh * o * (dtanh(tc) if self.output_activation else 1.0)  # h = o * tanh(c) (NOAF: o * c)
        da_o = dh * tc * dsigmoid(o) if self.output_gate else None         # o = sigmoid(a_o + p_o * c)
        if "o" in self.peepholes:
            dc = dc + da_o * p.peep_o                                      # o saw c through p_o
        di, df = dc * g, dc * c_prev                                       # c = f * c_prev + i * g
        if self.coupled:
            df = df - di                                                   # i = 1 - f: f acts through i too
        da_i = di * dsigmoid(i) if "i" in self.gates else None             # i = sigmoid(a_i + p_i * c_prev)
        da_f = df * dsigmoid(f) if self.forget_gate else None              # f = sigmoid(a_f + p_f * c_prev)
        da_g = dc * i * (dtanh(g) if self.input_activation else 1.0)       # g = tanh(a_g) (NIAF: a_g)
        dc_prev = dc * f                                                   # c = f * c_prev + ...
        if "i" in self.peepholes:
            dc_prev = dc_prev + da_i * p.peep_i                            # i saw c_prev through p_i
        if "f" in self.peepholes:
            dc_prev = dc_prev + da_f * p.peep_f                            # f saw c_prev through p_f
        da = self.join(Gates(da_i, da_f, da_g, da_o), out=out)             # (B, G*H): the blocks present
        dh_prev = dropped(da @ p.weight_hh, p)                             # a = ... + W_hh h_prev
        return StepGrads(da, da, (dh_prev, dc_prev))

    def param_grads(self, x: Any, dxw: Any, caches: LSTMCache, p: CellParams) -> dict:
        """Parameter gradients from ``x`` (T, B, D), every step's ``dxw`` (T, B, G*H) and the sequence's cache."""
        grads = stacked_grads(x, dropped(caches.h_prev, p), dxw, dxw)
        xp = namespace(x)
        da = self.split(dxw)
        for k in self.peepholes:                 # i and f saw c_prev, o saw c
            seen = caches.c if k == "o" else caches.c_prev
            grads[f"peep_{k}"] = xp.sum(getattr(da, k) * seen, axis=(0, 1))
        return grads


def lstm_variant(**options: Any) -> LSTMStep | LSTMVariantStep:
    """The step of an LSTM with these options (those of :class:`LSTMVariantStep`, each checked).

    The plain :class:`~minilstm.cells.lstm.LSTMStep` when every option is its default.
    """
    step = LSTMVariantStep(**options)
    return LSTMStep() if step == LSTMVariantStep() else step
