"""Convolution over time: Conv1d, on batch-first sequences with the channels last.

Shape letters: B batch, T input time steps, U output time steps, C input
channels, F output channels, K kernel taps, N = B*U output positions.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from .. import init, validate
from ..backend import check_dtype, concat, get_backend, rng
from .module import Module

# the most steps of padding, and of one window's reach dilation*(kernel_size-1): a forward pads the input to
# (B, T + padding, C), so a config of dilation 10**12 would ask for TiBs
MAX_STEPS = 2**16


class _ConvCache(NamedTuple):
    cols: Any          # (N, C*K): the input window under every output position, (c, j) ordered like weight's (C, K)
    x_shape: tuple     # (B, T, C): the input's shape
    left: int          # zero steps padded before the input


class Conv1d(Module):
    """1-D convolution over time with PyTorch's weights; like ``torch.nn.Conv1d`` (no groups).

    The arguments up to ``dilation`` take PyTorch's places; ``bias`` and the rest are keyword-only
    (PyTorch's seventh is ``groups``, which this layer lacks, so a longer positional call is a TypeError).

    Input and output are batch-first sequences with the channels last,
    ``(B, T, C)`` in and ``(B, U, F)`` out, the layout minilstm's models take
    data in, so a convolution feeds ``LSTM(..., batch_first=True)`` (or a
    ``Linear``) with no transposes. PyTorch's ``Conv1d`` takes ``(B, C, T)``:
    give it ``x.transpose(1, 2)``. The weights are PyTorch's, so a
    ``torch.nn.Conv1d``'s ``state_dict()`` loads as it is.

    With the input zero-padded by P_l steps before and P_r after (``xpad``)::

        y[b, u, o] = bias[o] + sum_c sum_j weight[o, c, j] * xpad[b, u*stride + j*dilation, c]
        U = floor((T + P_l + P_r - dilation*(K-1) - 1) / stride) + 1

    computed as one matrix product: the K taps' windows are gathered into
    ``cols`` (N, C*K) ("im2col") and ``y = cols weight^T + bias`` with
    ``weight`` flattened to (F, C*K).

    Parameters
    ----------
    in_channels, out_channels : int
        C and F.
    kernel_size : int
        K.
    stride, dilation : int, default 1
    padding : int, "valid" or "same", default 0
        Zero steps added at both ends; ``"valid"`` is 0 and ``"same"`` (stride 1
        only) pads ``dilation*(K-1)`` steps in all, the extra one at the end, so
        that U = T, as PyTorch does. ``padding`` and a window's reach
        ``dilation*(K-1)`` are at most :data:`MAX_STEPS` (65,536) steps each.
    bias : bool, default True
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the weights.
    dtype : {"float32", "float64"}, default "float32"

    Attributes
    ----------
    params : dict
        ``weight`` (F, C, K) and ``bias`` (F,), both drawn from
        U(-1/sqrt(C*K), 1/sqrt(C*K)) like PyTorch (weight first, then bias).
    grads : dict
        Gradients of the last :meth:`backward`, same keys and shapes.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | str = 0, dilation: int = 1, *, bias: bool = True, seed: Any = None,
                 dtype: str = "float32") -> None:
        self.in_channels = validate.positive_int("in_channels", in_channels)
        self.out_channels = validate.positive_int("out_channels", out_channels)
        self.kernel_size = validate.positive_int("kernel_size", kernel_size)
        self.stride = validate.positive_int("stride", stride)
        self.dilation = validate.positive_int("dilation", dilation)
        self.padding = padding if isinstance(padding, str) else validate.count("padding", padding)
        _check_reach(self.kernel_size, self.dilation, self.padding)
        self._pads = self._padding_steps(padding)
        self.bias = validate.boolean("bias", bias)
        self.dtype = check_dtype(dtype)
        self._rng = rng(seed)
        C, F, K = self.in_channels, self.out_channels, self.kernel_size
        bound = 1.0 / math.sqrt(C * K)  # PyTorch's kaiming_uniform(a=sqrt(5)) and bias bound, fan_in = C*K
        shapes = Conv1d.param_shapes(C, F, K, bias=self.bias)  # weight, then bias
        self._set_params({k: init.uniform(self._rng, shape, bound) for k, shape in shapes.items()})
        self._cache: _ConvCache | None = None

    @classmethod
    def param_shapes(cls, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                     padding: int | str = 0, dilation: int = 1, *, bias: bool = True, **options: Any) -> dict:
        """``weight`` (F, C, K) and, with ``bias``, ``bias`` (F,): what the constructor allocates, from its
        arguments (stride, padding, dilation and ``options`` shape only the output), each size checked as it
        checks it (padding and dilation bounded too); nothing allocated."""
        C = validate.positive_int("in_channels", in_channels)
        F = validate.positive_int("out_channels", out_channels)
        K = validate.positive_int("kernel_size", kernel_size)
        validate.positive_int("stride", stride)
        _check_reach(K, validate.positive_int("dilation", dilation),
                     padding if isinstance(padding, str) else validate.count("padding", padding))
        return {"weight": (F, C, K), "bias": (F,)} if validate.boolean("bias", bias) else {"weight": (F, C, K)}

    def _padding_steps(self, padding: Any) -> tuple[int, int]:
        """(P_l, P_r) from ``padding``, or an error naming it."""
        if not isinstance(padding, str):
            return (int(padding), int(padding))
        validate.choice("padding", padding, ("valid", "same"))
        if padding == "valid":
            return (0, 0)
        if self.stride != 1:
            raise ValueError(f"padding='same' needs stride=1 (as in PyTorch), got stride={self.stride}")
        total = self.dilation * (self.kernel_size - 1)
        return (total // 2, total - total // 2)

    def __repr__(self) -> str:
        return (f"Conv1d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}, dilation={self.dilation}, "
                f"bias={self.bias}, dtype={self.dtype!r})")

    def output_steps(self, T: int) -> int:
        """U, the number of output steps for T input steps (0 when the kernel does not fit)."""
        span = self.dilation * (self.kernel_size - 1) + 1  # steps one window covers
        return max(0, (T + sum(self._pads) - span) // self.stride + 1)

    def _sequence(self, x: Any) -> Any:
        """``x`` as a (B, T, C) float array, or an error saying what is wrong with it."""
        x = validate.float_array("x", x, self.dtype)
        C = self.in_channels
        if x.ndim != 3:
            raise ValueError(f"x must be a batched 3-D array (batch, time, channels), got {x.ndim}-D shape "
                             f"{tuple(x.shape)}" + (" (add a batch axis of size 1)" if x.ndim == 2 else ""))
        if x.shape[-1] != C:
            hint = (" (it looks like PyTorch's (batch, channels, time): swap the last two axes)"
                    if x.shape[1] == C else "")
            raise ValueError(f"x must have in_channels={C} in its last axis (batch, time, channels), "
                             f"got shape {tuple(x.shape)}{hint}")
        T = x.shape[1]
        if self.output_steps(T) == 0:
            span = self.dilation * (self.kernel_size - 1) + 1
            raise ValueError(f"kernel_size={self.kernel_size} with dilation={self.dilation} spans {span} steps, "
                             f"more than the padded input's {T + sum(self._pads)} (x has T={T} steps, "
                             f"padding adds {sum(self._pads)})")
        return x

    def forward(self, x: Any) -> Any:
        """Convolve every sequence of a batch over time.

        Parameters
        ----------
        x : (B, T, C) array

        Returns
        -------
        y : (B, U, F) array
        """
        xp = self._check_backend().xp
        x = self._sequence(x)
        B, T, C = x.shape
        F, K, s, d = self.out_channels, self.kernel_size, self.stride, self.dilation
        U, (left, right) = self.output_steps(T), self._pads
        zeros = get_backend().zeros
        xpad = concat([zeros((B, left, C), self.dtype), x, zeros((B, right, C), self.dtype)], axis=1)
        # tap j of output step u reads step u*s + j*d: one strided slice per tap, (B, U, C) each
        taps = [xpad[:, j * d:j * d + (U - 1) * s + 1:s, :] for j in range(K)]
        cols = xp.reshape(xp.stack(taps, axis=-1), (B * U, C * K))     # (N, C*K), (c, j) like weight
        y2 = cols @ xp.reshape(self.params["weight"], (F, C * K)).T      # (N, F)
        if self.bias:
            y2 = y2 + self.params["bias"]
        self._cache = _ConvCache(cols, (B, T, C), left)
        return xp.reshape(y2, (B, U, F))

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dy : (B, U, F) array
            Gradient of the loss with respect to ``y``.

        Returns
        -------
        dx : (B, T, C) array
        """
        cols, (B, T, C), left = self._require_forward()
        xp = self._check_backend().xp
        F, K, s, d = self.out_channels, self.kernel_size, self.stride, self.dilation
        U = cols.shape[0] // B
        dy = validate.float_array("dy", dy, self.dtype)
        validate.shape("dy", dy, (B, U, F), "(the forward output's shape (batch, steps, out_channels))")
        dy2 = xp.reshape(dy, (B * U, F))                                 # (N, F)
        grads = {"weight": xp.reshape(dy2.T @ cols, (F, C, K))}         # dL/dW = sum_n dy_n cols_n^T
        if self.bias:
            grads["bias"] = xp.sum(dy2, axis=0)                          # b is added at every position
        self.grads = grads
        W2 = xp.reshape(self.params["weight"], (F, C * K))
        dcols = xp.reshape(dy2 @ W2, (B, U, C, K))                       # dL/dcols = dy W
        # scatter the windows' gradients back: each tap adds to the steps it read (overlaps sum)
        dxpad = get_backend().zeros((B, T + sum(self._pads), C), self.dtype)
        for j in range(K):
            at = slice(j * d, j * d + (U - 1) * s + 1, s)
            dxpad[:, at, :] = dxpad[:, at, :] + dcols[:, :, :, j]
        return dxpad[:, left:left + T, :]                                # padding steps have no input


def _check_reach(K: int, dilation: int, padding: int | str) -> None:
    """A ValueError when ``padding`` or one window's reach ``dilation*(K-1)`` is over :data:`MAX_STEPS`."""
    if not isinstance(padding, str) and padding > MAX_STEPS:
        raise ValueError(f"padding must be at most {MAX_STEPS} steps, got {padding}")
    if dilation * (K - 1) > MAX_STEPS:
        raise ValueError(f"dilation*(kernel_size-1), the steps one window reaches over, must be at most {MAX_STEPS}, "
                         f"got dilation={dilation} with kernel_size={K}")
