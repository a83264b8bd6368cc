"""What goes on after a recurrent layer inside a :class:`~minilstm.Sequential`: ``LastStep``,
``MeanOverTime`` and ``MaskPadding``, without parameters.

Shape letters: B batch, T time steps, F features. Sequences are batch-first
``(B, T, F)``, as a Sequential passes them; ``lengths`` (B,) mark each
sequence's valid steps.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import validate
from ..backend import get_backend
from .module import Module, no_params


class _Cache(NamedTuple):
    select: Any    # which steps the output is made of: (B, T, ...) weights, or None (MaskPadding without lengths)
    shape: tuple   # the forward output's shape, which dy must have
    dtype: str     # and its dtype


class _Readout(Module):
    """What the readouts share: no parameters, and ``lengths`` taken inside a Sequential."""

    uses_lengths = True

    def __init__(self) -> None:
        self.params, self.grads, self.training, self.dtype = {}, {}, True, None

    @classmethod
    def param_shapes(cls, **config: Any) -> dict:
        """No parameters: ``{}`` for a config the constructor takes (a TypeError for another)."""
        return no_params(cls, **config)


class LastStep(_Readout):
    """The output at each sequence's last valid step: (B, T, K*H) -> (B, K*H).

    With ``lengths`` it reads step ``lengths[b] - 1``; after a bidirectional layer
    the reverse direction's half is read at step 0, where that direction ends (as
    PyTorch's ``h_n``). Inside a Sequential, ``bidirectional`` defaults to the
    recurrent layer before it.

    Parameters
    ----------
    bidirectional : bool, optional
        Read the second half of the features at step 0.
    """

    def __init__(self, *, bidirectional: bool | None = None) -> None:
        super().__init__()
        self.bidirectional = None if bidirectional is None else validate.boolean("bidirectional", bidirectional)

    def __repr__(self) -> str:
        return "LastStep(bidirectional=True)" if self.bidirectional else "LastStep()"

    def forward(self, x: Any, *, lengths: Any = None) -> Any:
        """``y[b] = x[b, lengths[b] - 1]`` (forward half) and ``x[b, 0]`` (reverse half, if bidirectional)."""
        be = get_backend()
        B, T, F = _sequence_shape(x)
        last = np.full(B, T - 1) if lengths is None else validate.lengths(lengths, B, T) - 1
        K = 2 if self.bidirectional else 1
        if F % K:
            raise ValueError(f"LastStep(bidirectional=True) reads two directions' halves of the features, so x must "
                             f"have an even number of them, got shape {(B, T, F)}")
        read = np.zeros((B, T, K, 1))            # 1 where a half is read: step last[b], and step 0 for reverse
        read[np.arange(B), last, 0] = 1.0
        if K == 2:
            read[:, 0, 1] = 1.0
        read = be.asarray(read, _dtype_name(x))
        halves = be.xp.reshape(x, (B, T, K, F // K))
        self._cache = _Cache(read, (B, F), _dtype_name(x))
        picked = be.xp.where(read > 0, halves, be.xp.zeros_like(halves))  # select: padding may hold nan
        return be.xp.reshape(be.xp.sum(picked, axis=1), (B, F))

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """The gradient lands on the steps that were read; every other step gets zero."""
        read, shape, dtype = self._require_forward()
        B, T, K, _ = read.shape
        xp = get_backend().xp
        dy = _upstream(dy, shape, dtype)
        dy_halves = xp.reshape(dy, (B, 1, K, dy.shape[-1] // K))
        return xp.reshape(read * dy_halves, (B, T, K * dy_halves.shape[-1]))


class MeanOverTime(_Readout):
    """The mean over each sequence's valid steps: (B, T, F) -> (B, F)."""

    def __repr__(self) -> str:
        return "MeanOverTime()"

    def forward(self, x: Any, *, lengths: Any = None) -> Any:
        """``y[b] = sum_t m[b, t] x[b, t] / lengths[b]`` with ``m`` the valid steps."""
        be = get_backend()
        B, T, F = _sequence_shape(x)
        n = np.full(B, T) if lengths is None else validate.lengths(lengths, B, T)
        weight = (np.arange(T)[None, :] < n[:, None]) / n[:, None]  # (B, T): 1/len on valid steps, 0 on padding
        w = be.asarray(weight[..., None], _dtype_name(x))
        self._cache = _Cache(w, (B, F), _dtype_name(x))
        return be.xp.sum(be.xp.where(w > 0, x, be.xp.zeros_like(x)) * w, axis=1)  # select: 0 * nan is nan

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """Each valid step gets ``dy / lengths``; padding gets zero."""
        w, shape, dtype = self._require_forward()
        dy = _upstream(dy, shape, dtype)
        return w * get_backend().xp.reshape(dy, (dy.shape[0], 1, dy.shape[-1]))


class MaskPadding(_Readout):
    """Zero every padded step of a (B, T, F) sequence, so padded outputs are 0 and pass no gradient."""

    def __repr__(self) -> str:
        return "MaskPadding()"

    def forward(self, x: Any, *, lengths: Any = None) -> Any:
        be = get_backend()
        B, T, _ = _sequence_shape(x)
        if lengths is None:
            self._cache = _Cache(None, tuple(x.shape), _dtype_name(x))
            return x
        keep = be.asarray((np.arange(T)[None, :] < validate.lengths(lengths, B, T)[:, None])[..., None], _dtype_name(x))
        self._cache = _Cache(keep, tuple(x.shape), _dtype_name(x))
        return be.xp.where(keep > 0, x, be.xp.zeros_like(x))

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        keep, shape, dtype = self._require_forward()
        dy = _upstream(dy, shape, dtype)
        return dy if keep is None else get_backend().xp.where(keep > 0, dy, get_backend().xp.zeros_like(dy))


def _sequence_shape(x: Any) -> tuple:
    if len(x.shape) != 3:
        raise ValueError(f"expected a batch-first sequence (batch, time, features), got shape {tuple(x.shape)}")
    return tuple(x.shape)


def _upstream(dy: Any, shape: tuple, dtype: str) -> Any:
    """``dy`` in the forward output's dtype, checked to have its shape (a wrong one once gave a wrong dx)."""
    dy = validate.float_array("dy", dy, dtype)
    validate.shape("dy", dy, shape, "(the forward output's shape)")
    return dy


def _dtype_name(a: Any) -> str:
    return str(a.dtype).replace("array_api_strict.", "")
