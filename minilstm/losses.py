"""Losses, each a pure function returning ``(loss, dpred)`` and a thin class around it.

Shape letters: ``...`` any leading axes (for example T time steps, B batch),
F features, C classes. A ``mask`` covers the leading axes of the prediction
(``(T, B)`` for a ``(T, B, F)`` prediction, or the full shape) and holds
booleans or 0/1; the mean runs over the masked-in entries only, and masked-out
entries add exactly zero to the loss and to the gradient.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import validate
from .backend import check_dtype, get_backend, to_numpy


def _float_input(name: str, a: Any, dtype: str | None = None) -> Any:
    """``a`` as a float array of the active backend, keeping float32/float64 (or casting to ``dtype``)."""
    if dtype is None:
        try:
            dtype = check_dtype(getattr(a, "dtype", "float64"))
        except ValueError:  # integers are refused below, float16 is widened
            dtype = "float64"
    return validate.float_array(name, a, dtype)


def _mask(mask: Any, shape: tuple) -> tuple[Any, Any, int]:
    """Check a mask on the host; return it there, on the device, and the kept count.

    Returns ``(host, keep, count)``: ``host`` the mask as NumPy booleans of its
    own shape, ``keep`` a boolean device array with trailing axes of length 1
    so that it broadcasts against ``shape``, ``count`` the number of kept
    entries of ``shape``. Without a mask: ``(None, None, prod(shape))``.
    """
    if mask is None:
        host, keep, count = None, None, math.prod(shape)
    else:
        host = to_numpy(mask)
        if host.dtype.kind not in "biuf":
            raise TypeError(f"mask must hold booleans or 0/1, got dtype {host.dtype}")
        if host.dtype.kind != "b" and not np.all((host == 0) | (host == 1)):
            raise ValueError("mask must hold booleans or 0/1 only")
        k = host.ndim
        if tuple(host.shape) != tuple(shape[:k]):
            raise ValueError(f"mask must have the leading axes of shape {tuple(shape)} "
                             f"(for example {tuple(shape[:-1])}), got {tuple(host.shape)}")
        host = host != 0
        be = get_backend()
        keep = be.xp.reshape(be.asarray(host, "float32"), host.shape + (1,) * (len(shape) - k)) != 0
        count = int(np.count_nonzero(host)) * math.prod(shape[k:])
    if count == 0:
        raise ValueError(f"nothing to average: the mask keeps no entries of shape {tuple(shape)}"
                         if mask is not None else f"nothing to average: shape {tuple(shape)} is empty")
    return host, keep, count


def _masked(a: Any, keep: Any) -> Any:
    """``a`` with the masked-out entries set to exactly zero, whatever they held."""
    xp = get_backend().xp
    return a if keep is None else xp.where(keep, a, xp.zeros_like(a))


def mse_loss(pred: Any, target: Any, mask: Any = None) -> tuple[float, Any]:
    """Mean squared error and its gradient.

    ``L = (1/n) sum_k m_k (pred_k - target_k)^2`` with ``n = sum_k m_k`` (every
    entry when there is no mask), so ``dL/dpred = (2/n) m (pred - target)``.

    Parameters
    ----------
    pred : (..., F) float array
    target : (..., F) float array
        Same shape as ``pred``; cast to its dtype.
    mask : array of booleans or 0/1, optional
        The leading axes of ``pred`` (``(...)`` or ``(..., F)``).

    Returns
    -------
    loss : float
    dpred : array shaped and typed like ``pred``
    """
    xp = get_backend().xp
    pred = _float_input("pred", pred)
    target = _float_input("target", target, check_dtype(pred.dtype))
    if tuple(pred.shape) != tuple(target.shape):
        raise ValueError(f"pred and target must have the same shape, "
                         f"got pred {tuple(pred.shape)} and target {tuple(target.shape)}")
    _, keep, n = _mask(mask, tuple(pred.shape))
    diff = _masked(pred - target, keep)          # e = pred - target, 0 where masked out
    loss = float(xp.sum(diff * diff)) / n
    dpred = (2.0 / n) * diff                     # d(e^2)/dpred = 2e, averaged over n
    return loss, dpred


def softmax_cross_entropy(logits: Any, targets: Any, mask: Any = None) -> tuple[float, Any]:
    """Softmax cross-entropy against class indices, and its gradient.

    ``log p = z - log sum_c exp(z_c)`` with ``z = logits - max(logits)`` (the
    shift changes nothing but keeps ``exp`` from overflowing);
    ``L = -(1/n) sum_k m_k log p_k[t_k]`` with ``n = sum_k m_k``, so
    ``dL/dlogits = (1/n) m (p - onehot(t))``.

    Parameters
    ----------
    logits : (..., C) float array
    targets : (...) integer array
        Class indices in [0, C) where the mask keeps them; masked-out
        positions may hold anything (-1 for padding, say).
    mask : array of booleans or 0/1, optional
        The leading axes of ``targets``.

    Returns
    -------
    loss : float
    dlogits : array shaped and typed like ``logits``
    """
    be = get_backend()
    xp = be.xp
    logits = _float_input("logits", logits)
    host_t = validate.integer_array("targets", targets)
    if logits.ndim == 0 or tuple(logits.shape[:-1]) != tuple(host_t.shape):
        raise ValueError(f"logits must be (..., C) and targets (...), "
                         f"got logits {tuple(logits.shape)} and targets {tuple(host_t.shape)}")
    C = logits.shape[-1]
    host_m, keep, n = _mask(mask, tuple(host_t.shape))
    _check_classes(host_t, C, host_m)
    z = logits - xp.max(logits, axis=-1, keepdims=True)               # shift: exp(z) <= 1
    logp = z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))     # (..., C) log-softmax
    # class indices compared as float64 (exact below 2**53); a masked-out target
    # outside [0, C) simply gives an all-zero row
    classes = be.asarray(np.arange(C), "float64")
    onehot = xp.astype(be.asarray(host_t, "float64")[..., None] == classes, logits.dtype)
    nll = _masked(-xp.sum(onehot * logp, axis=-1), keep)             # (...) -log p[t]
    loss = float(xp.sum(nll)) / n
    keep_c = None if keep is None else keep[..., None]                # broadcast over C
    dlogits = _masked((xp.exp(logp) - onehot) / n, keep_c)            # d(-log p[t])/dz = p - onehot
    return loss, dlogits


def _check_classes(host_t: np.ndarray, C: int, host_m: Any) -> None:
    """A ValueError unless every kept target lies in [0, C) (checked on the host)."""
    bad = (host_t < 0) | (host_t >= C)
    if host_m is not None:  # masked-out targets may hold anything
        bad &= np.broadcast_to(host_m.reshape(host_m.shape + (1,) * (host_t.ndim - host_m.ndim)), host_t.shape)
    if np.any(bad):
        raise ValueError(f"targets must be class indices in [0, {C}) where not masked out, "
                         f"got {host_t[bad][:5].tolist()} (first bad values)")


class _Loss:
    """A loss object: ``forward`` returns the float loss, ``backward`` its gradient."""

    _fn: Any = None

    def __init__(self) -> None:
        self._grad: Any = None

    def forward(self, pred: Any, target: Any, mask: Any = None) -> float:
        """The loss of ``pred`` against ``target`` (see the pure function for shapes)."""
        loss, self._grad = self._fn(pred, target, mask)
        return loss

    __call__ = forward

    def backward(self) -> Any:
        """The gradient of the last :meth:`forward`'s loss with respect to ``pred``."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward(): "
                               "run forward first, backward returns what it computed")
        return self._grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(_Loss):
    """Mean squared error; like ``torch.nn.MSELoss()``, plus a mask. See :func:`mse_loss`."""

    _fn = staticmethod(mse_loss)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits and class indices; like ``torch.nn.CrossEntropyLoss()``
    with the classes in the last axis, plus a mask. See :func:`softmax_cross_entropy`."""

    _fn = staticmethod(softmax_cross_entropy)
