"""Pieces every cell shares: activations, their derivatives, gate views and named results.

Shape letters used by every cell module: B batch, D input features, H hidden
units, G gate blocks (RNN 1, GRU 3, LSTM 4), T time steps.
"""
from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

from ..backend import concat, namespace, with_out


def sigmoid(x: Any, out: Any = None) -> Any:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, into ``out`` if given (it may be ``x``).

    This form keeps relative precision in both tails: ``sigmoid(-80)`` is 1.8e-35
    in float32 (the older ``(1 + tanh(x/2)) / 2`` was exactly 0 below about -17,
    and so was its gradient). ``-x`` is capped where ``exp`` would overflow (88 in
    float32, 709 in float64), so no x warns; below -88 a float32 sigmoid stays at
    ``sigmoid(-88)`` = 6e-39, a subnormal, not 0, and its gradient flows on.
    """
    xp = with_out(namespace(x))
    # -x as x * -1: NumPy 2.4's negative gives wrong values for a float32 column view written in
    # place (a gate block of H = 1 inside the fused (B, 4) array: tests/test_engine_numerics.py)
    e = xp.multiply(x, -1.0, out=out)
    e = xp.minimum(e, _exp_cap(xp, x.dtype), out=e)   # exp(-x) stays finite
    e = xp.exp(e, out=e)
    e = xp.add(e, 1.0, out=e)
    return xp.divide(1.0, e, out=e)


@functools.cache
def _exp_cap(xp: Any, dtype: Any) -> float:
    """The largest whole number whose ``exp`` is finite in ``dtype``: 88 (float32) or 709 (float64)."""
    return float(math.floor(math.log(xp.finfo(dtype).max)))


def gate_activations(a: Any, tanh_block: Any = None) -> Any:
    """Sigmoid over a fused array of pre-activations, in place, and tanh over ``tanh_block`` (a view of ``a``).

    One exp pass serves every block, the tanh one too, as ``tanh(x) = 2 sigmoid(2x) - 1``: three cheap
    passes over the block instead of a ``tanh`` of it (1.7x an ``exp`` per element here) and a copy.
    Measured on an LSTM step's gates (float32, one thread, medians of 400 calls) against a tanh of the g
    block and a sigmoid of them all: 260 against 296 us at B = 64, H = 256; 185 against 225 us at B = 32,
    H = 512; at B = 16, H = 64, where each call's own cost dominates, 40 against 35 us.
    """
    xp = with_out(namespace(a))
    if tanh_block is not None:
        xp.multiply(tanh_block, 2.0, out=tanh_block)
    sigmoid(a, out=a)
    if tanh_block is not None:
        xp.multiply(tanh_block, 2.0, out=tanh_block)
        xp.subtract(tanh_block, 1.0, out=tanh_block)
    return a


def gate_slopes(y: Any, n: int, tanh_block: int | None = None) -> Any:
    """The slopes of the activations that made the fused gates ``y`` (..., n*H), from their outputs.

    ``dsigmoid(y) = y * (1 - y)`` for every block but block number ``tanh_block``, which gets
    ``dtanh(y) = 1 - y*y``, as ``y * (1 - y) + (1 - y)``: three array passes in all, whatever ``n``,
    instead of two per gate (LSTM, float32, one thread, medians: 64 against 71 us at B = 64, H = 256;
    13.5 against 28 us at B = 16, H = 64). A new array; ``y`` is left as it is.
    """
    q = 1.0 - y
    s = y * q
    if tanh_block is not None:
        H = y.shape[-1] // n
        block = (..., slice(tanh_block * H, (tanh_block + 1) * H))
        with_out(namespace(y)).add(s[block], q[block], out=s[block])
    return s


def tanh(x: Any, out: Any = None) -> Any:
    """``tanh(x)``, into ``out`` if given (it may be ``x``)."""
    return with_out(namespace(x)).tanh(x, out=out)


def dsigmoid(y: Any) -> Any:
    """Derivative of the sigmoid from its output ``y = sigmoid(x)``."""
    return y * (1.0 - y)


def dtanh(y: Any) -> Any:
    """Derivative of tanh from its output ``y = tanh(x)``."""
    return 1.0 - y * y


def relu(x: Any, out: Any = None) -> Any:
    """``max(x, 0)``, into ``out`` if given."""
    return with_out(namespace(x)).maximum(x, 0.0, out=out)


def split_gates(a: Any, n: int) -> tuple:
    """Views of the ``n`` gate blocks of a fused ``(..., n*H)`` array, in order."""
    H = a.shape[-1] // n
    return tuple([a[..., k * H:(k + 1) * H] for k in range(n)])


def join_gates(blocks: tuple, out: Any = None) -> Any:
    """The inverse of :func:`split_gates`: one fused ``(..., n*H)`` array (into ``out`` if given)."""
    return concat(list(blocks), axis=-1, out=out)


class CellParams(NamedTuple):
    """One direction of one layer's parameters, in PyTorch's fused layout.

    ``weight_ih`` (G*H, D), ``weight_hh`` (G*H, H), ``bias_ih`` and ``bias_hh``
    (G*H,). A layer built with ``bias=False`` passes zero biases. The peephole
    weights (H,) are ``None`` for cells without peepholes.
    """

    weight_ih: Any
    weight_hh: Any
    bias_ih: Any
    bias_hh: Any
    peep_i: Any = None
    peep_f: Any = None
    peep_o: Any = None
    recurrent_mask: Any = None


def dropped(h: Any, p: CellParams) -> Any:
    """``h`` as the recurrent product sees it: times the recurrent-dropout mask, if any.

    Multiplying by the mask is its own backward, so the same call carries the
    gradient back from the product to ``h``.
    """
    return h if p.recurrent_mask is None else h * p.recurrent_mask


class StepGrads(NamedTuple):
    """What a step backward returns.

    Attributes
    ----------
    dxw : (B, G*H)
        Gradient of the step's input projection ``x @ W_ih.T + b_ih``; the time
        loop turns these into ``dx`` and ``dW_ih`` with one product each.
    dhw : (B, G*H) or None
        Gradient of the recurrent projection (``h @ W_hh.T + b_hh``, per block
        as the cell defines it); the loop turns these into ``dW_hh``. ``None``
        when a step given ``out`` kept it in its cache instead (the GRU's
        ``dhn``, written over ``hn``), where its ``param_grads`` finds it.
    dstate : tuple
        Gradient of the previous state: ``(dh,)`` or ``(dh, dc)``.
    """

    dxw: Any
    dhw: Any
    dstate: tuple


def stacked_grads(x: Any, h_in: Any, dxw: Any, dhw: Any) -> dict:
    """Weight and bias gradients of the two projections, summed over all steps.

    ``x`` (T, B, D), ``h_in`` (T, B, H) the recurrent product's input at every
    step, ``dxw`` and ``dhw`` (T, B, G*H): one matrix product each instead of one
    per step.
    """
    T, B, D = x.shape
    H = h_in.shape[-1]
    GH = dxw.shape[-1]
    xp = namespace(x)
    dxw2 = xp.reshape(dxw, (T * B, GH))
    dhw2 = xp.reshape(dhw, (T * B, GH))
    bias_ih = xp.sum(dxw2, axis=0)
    return {
        "weight_ih": dxw2.T @ xp.reshape(x, (T * B, D)),
        "weight_hh": dhw2.T @ xp.reshape(h_in, (T * B, H)),
        "bias_ih": bias_ih,
        # the same sum when dhw is dxw (RNN, LSTM): a copy, not a second pass over (T, B, G*H)
        "bias_hh": xp.asarray(bias_ih, copy=True) if dhw is dxw else xp.sum(dhw2, axis=0),
    }
