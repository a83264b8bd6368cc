"""Pieces every cell shares: activations, their derivatives, gate views and named results.

Shape letters used by every cell module: B batch, D input features, H hidden
units, G gate blocks (RNN 1, GRU 3, LSTM 4), T time steps.

Every function that makes an array takes ``out=``: the array to write it into
(the time loop's buffer), or ``None`` for a new one. A step forward is handed
its ``out`` arrays as one cache of buffers, :func:`no_buffers` when it should
make new ones.
"""
from __future__ import annotations

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
    k = _constants(x)
    # -x as x * -1: NumPy 2.4's negative gives wrong values for a float32 column view written in
    # place (a gate block of H = 1 inside the fused (B, 4) array: tests/test_engine_numerics.py)
    e = xp.multiply(x, k.minus_one, out=out)
    e = xp.minimum(e, k.exp_cap, out=e)   # exp(-x) stays finite
    e = xp.exp(e, out=e)
    e = xp.add(e, k.one, out=e)
    return xp.divide(k.one, e, out=e)


class _Constants(NamedTuple):
    minus_one: Any
    one: Any
    exp_cap: Any  # the largest whole number whose exp is finite in the dtype: 88 (float32) or 709 (float64)


def _constants(x: Any) -> _Constants:
    """The activations' constants as 0-d arrays of ``x``'s dtype and device.

    NumPy converts a Python float operand anew on every call. With Python floats in the sigmoid and the
    derivatives (ab_speed.py, one process, 21 rounds; benchmarks/results/ab_cells_tricks.txt) inference
    took 1.10x (LSTM) and 1.07x (GRU) as long at H = 64, 1.00x at H = 256, and a training step 1.00-1.04x.
    """
    key = (type(x), x.dtype, getattr(x, "device", None))
    made = _CONSTANTS.get(key)
    if made is None:  # once per array type, dtype and device
        xp = namespace(x)
        cap = float(math.floor(math.log(xp.finfo(x.dtype).max)))
        made = _CONSTANTS[key] = _Constants(*(xp.asarray(v, dtype=x.dtype, device=key[2]) for v in (-1.0, 1.0, cap)))
    return made


# the constants of each (array type, dtype, device), asked 8 times a step of the LSTM: a plain dict costs half of
# what functools.cache on (namespace, dtype, device) did. With concat's direct write (backend.py) the LSTM's
# training step at H = 64 took 0.966x as long (ab_speed.py --base cb21b04, 25 rounds; results/ab_cells.txt)
_CONSTANTS: dict = {}


def tanh(x: Any, out: Any = None) -> Any:
    """``tanh(x)``, into ``out`` if given (it may be ``x``)."""
    return with_out(namespace(x)).tanh(x, out=out)


def relu(x: Any, out: Any = None) -> Any:
    """``max(x, 0)``, into ``out`` if given."""
    return with_out(namespace(x)).maximum(x, 0.0, out=out)


def identity(x: Any, out: Any = None) -> Any:
    """``x`` itself, copied into ``out`` if given (an activation that is none: the NIAF LSTM's g)."""
    return x if out is None else with_out(namespace(x)).positive(x, out=out)


def dsigmoid(y: Any) -> Any:
    """Derivative of the sigmoid from its output ``y = sigmoid(x)``."""
    return y * (_constants(y).one - y)


def dtanh(y: Any) -> Any:
    """Derivative of tanh from its output ``y = tanh(x)``."""
    return _constants(y).one - y * y


def drelu(y: Any) -> Any:
    """Derivative of relu from its output ``y = relu(x)``: 1 where ``y > 0``, else 0."""
    xp = namespace(y)
    return xp.where(y > 0, xp.ones_like(y), xp.zeros_like(y))


def split_gates(a: Any, n: int) -> tuple:
    """Views of the ``n`` gate blocks of a fused ``(..., n*H)`` array, in order."""
    H = a.shape[-1] // n
    return tuple([a[..., k * H:(k + 1) * H] for k in range(n)])


def join_gates(blocks: tuple, out: Any = None) -> Any:
    """The inverse of :func:`split_gates`: one fused ``(..., n*H)`` array (into ``out`` if given)."""
    return concat(list(blocks), axis=-1, out=out)


def no_buffers(cache_type: type) -> Any:
    """A ``cache_type`` whose every field is ``None``: as a step forward's ``out``, every array is a new one."""
    return cache_type._make([None] * len(cache_type._fields))


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
    dhw : (B, G*H)
        Gradient of the recurrent projection (``h @ W_hh.T + b_hh``, per block as
        the cell defines it): ``dxw`` itself for the RNN and the LSTM; the GRU's
        differs in its n block.
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
    return {
        "weight_ih": dxw2.T @ xp.reshape(x, (T * B, D)),
        "weight_hh": dhw2.T @ xp.reshape(h_in, (T * B, H)),
        "bias_ih": xp.sum(dxw2, axis=0),
        "bias_hh": xp.sum(dhw2, axis=0),
    }
