"""Losses, each a pure function returning ``(loss, dpred)`` and a thin class around it.

One name per loss, PyTorch's pair: the function as ``torch.nn.functional`` names it and the module
as ``torch.nn`` does. The function's name is also what :func:`minilstm.train` and
:func:`~minilstm.evaluate` take as ``loss="..."``:

=====================  ======================  ==========================================
function / ``loss=``   module                  for
=====================  ======================  ==========================================
``mse_loss``           ``MSELoss()``           regression (the default for float targets)
``cross_entropy``      ``CrossEntropyLoss()``  classification (the default for class ids)
``gaussian_nll_loss``  ``GaussianNLLLoss()``   a :class:`~minilstm.GaussianHead`'s ``(mean, var)``
=====================  ======================  ==========================================

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

from .. import validate
from ..backend import check_dtype, get_backend, to_numpy


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


def _time_axis_hint(pred: tuple, target: tuple) -> str:
    """A hint when the model's output keeps a time axis (B, T, ...) that a per-sequence target (B, ...) lacks."""
    if len(pred) == len(target) + 1 and pred[:1] == target[:1] and pred[2:] == target[1:]:
        return (": the model gives an output per time step, the data one per sequence; end the model "
                "with LastStep() (or MeanOverTime()), or give per-step targets")
    return ""


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
                         f"got pred {tuple(pred.shape)} and target {tuple(target.shape)}"
                         + _time_axis_hint(tuple(pred.shape), tuple(target.shape)))
    _, keep, n = _mask(mask, tuple(pred.shape))
    diff = _masked(pred - target, keep)          # e = pred - target, 0 where masked out
    loss = float(xp.sum(diff * diff)) / n
    dpred = (2.0 / n) * diff                     # d(e^2)/dpred = 2e, averaged over n
    return loss, dpred


def cross_entropy(logits: Any, targets: Any, mask: Any = None) -> tuple[float, Any]:
    """Softmax cross-entropy against class indices, and its gradient; as ``torch.nn.functional.cross_entropy``.

    ``log p = z - log sum_c exp(z_c)`` with ``z = logits - max(logits)`` (the
    shift changes nothing but keeps ``exp`` from overflowing);
    ``L = -(1/n) sum_k m_k log p_k[t_k]`` with ``n = sum_k m_k``, so
    ``dL/dlogits = (1/n) m (p - onehot(t))``.

    As in PyTorch, a logit of ``-inf`` is a class of probability 0: it adds
    nothing to the loss and gets a zero gradient, and a ``-inf`` logit at the
    target gives an infinite loss (with a finite gradient, ``p - onehot``).

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
                         f"got logits {tuple(logits.shape)} and targets {tuple(host_t.shape)}"
                         + _time_axis_hint(tuple(logits.shape[:-1]), tuple(host_t.shape)))
    C = logits.shape[-1]
    if C < 2:  # one class: p = 1 whatever the logit, so the loss and its gradient are always 0
        raise ValueError(f"logits must have at least 2 classes in the last axis, got C = {C} (shape "
                         f"{tuple(logits.shape)}): a model trained with cross-entropy needs one output per "
                         "class, output_size=2 for two classes")
    host_m, keep, n = _mask(mask, tuple(host_t.shape))
    _check_classes(host_t, C, host_m)
    z = logits - xp.max(logits, axis=-1, keepdims=True)               # shift: exp(z) <= 1
    logp = z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))     # (..., C) log-softmax
    # class indices compared as float64 (exact below 2**53); a masked-out target
    # outside [0, C) simply gives an all-zero row
    classes = be.asarray(np.arange(C), "float64")
    is_t = be.asarray(host_t, "float64")[..., None] == classes       # (..., C) True at the target
    onehot = xp.astype(is_t, logits.dtype)
    # pick log p[t] by selection: onehot * logp would be 0 * -inf = nan at a -inf logit
    nll = _masked(-xp.sum(_masked(logp, is_t), axis=-1), keep)       # (...) -log p[t]
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
    with the classes in the last axis, plus a mask. See :func:`cross_entropy`."""

    _fn = staticmethod(cross_entropy)


def gaussian_nll_loss(mean: Any, target: Any, var: Any, mask: Any = None, *, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> tuple[float, tuple[Any, Any]]:
    """Gaussian negative log-likelihood and its gradients; as ``torch.nn.functional.gaussian_nll_loss``.

    With ``v = max(var, eps)`` (the clamp keeps ``log`` finite; as in PyTorch the
    gradient passes it unchanged) and ``e = mean - target``::

        l_k = (1/2) (log v_k + e_k^2 / v_k)   (+ (1/2) log(2 pi) if full)
        L = (1/n) sum_k m_k l_k,   n = sum_k m_k  ("mean"; n = 1 for "sum")
        dL/dmean_k = m_k e_k / (n v_k)
        dL/dvar_k  = m_k (1/v_k - e_k^2 / v_k^2) / (2n)

    Parameters
    ----------
    mean, target : (..., F) float arrays
        The predicted mean and the observed value; ``target`` is cast to ``mean``'s dtype.
    var : float array of non-negative variances
        ``(..., F)`` (one per entry), or one per row of ``...`` for every feature:
        ``(...)`` or ``(..., 1)``, or any shape that differs from ``mean``'s only by
        one axis of length 1 (PyTorch's rules); its gradient is summed over the
        entries it was broadcast to.
    mask : array of booleans or 0/1, optional
        The leading axes of ``mean``, as for :func:`mse_loss`.
    full : bool, default False
        Add the constant ``(1/2) log(2 pi)``.
    eps : float, default 1e-6
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : float
    (dmean, dvar) : arrays shaped and typed like ``mean`` and ``var``
    """
    xp = get_backend().xp
    validate.boolean("full", full)
    eps = validate.at_least("eps", eps, 0.0, strict=True)
    validate.choice("reduction", reduction, ("mean", "sum"))
    mean = _float_input("mean", mean)
    dtype = check_dtype(mean.dtype)
    target = _float_input("target", target, dtype)
    var = _float_input("var", var, dtype)
    if tuple(target.shape) != tuple(mean.shape):
        raise ValueError(f"mean and target must have the same shape, "
                         f"got mean {tuple(mean.shape)} and target {tuple(target.shape)}"
                         + _time_axis_hint(tuple(mean.shape), tuple(target.shape)))
    var_shape, axis = _variance_shape(tuple(mean.shape), tuple(var.shape))
    if bool(xp.any(var < 0)):
        raise ValueError("var must be non-negative (a variance), got negative entries")
    _, keep, n = _mask(mask, tuple(mean.shape))
    n = n if reduction == "mean" else 1
    v = xp.reshape(xp.maximum(var, xp.full_like(var, eps)), var_shape)    # broadcasts against mean
    e = mean - target
    nll = 0.5 * (xp.log(v) + e * e / v)                                    # (..., F)
    if full:
        nll = nll + 0.5 * math.log(2.0 * math.pi)
    loss = float(xp.sum(_masked(nll, keep))) / n
    dmean = _masked(e / v, keep) / n                                       # d(e^2 / 2v)/dmean = e / v
    dv = _masked(0.5 * (1.0 / v - e * e / (v * v)), keep) / n             # d(log v / 2)/dv + d(e^2 / 2v)/dv
    if axis is not None:  # one variance served every entry along this axis: their gradients add
        dv = xp.sum(dv, axis=axis, keepdims=True)
    return loss, (dmean, xp.reshape(dv, tuple(var.shape)))


def _variance_shape(mean_shape: tuple, var_shape: tuple) -> tuple[tuple, int | None]:
    """The shape ``var`` takes to broadcast against ``mean``, and the axis it is broadcast along (if any)."""
    if var_shape == mean_shape:
        return var_shape, None
    if var_shape == mean_shape[:-1]:  # one variance per row: add the feature axis
        var_shape = var_shape + (1,)
    differ = [k for k, (m, v) in enumerate(zip(mean_shape, var_shape)) if m != v]
    if len(var_shape) != len(mean_shape) or len(differ) != 1 or var_shape[differ[0]] != 1:
        raise ValueError(f"var must have mean's shape {mean_shape}, or it without its last axis, or "
                         f"one of its axes of length 1 (for example {mean_shape[:-1] + (1,)}), got {var_shape}")
    return var_shape, differ[0]


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood; like ``torch.nn.GaussianNLLLoss``, plus a mask.

    ``forward(mean, target, var, mask=None)`` returns the float loss and
    :meth:`backward` the pair ``(dmean, dvar)``, ready for
    :meth:`minilstm.GaussianHead.backward`. See :func:`gaussian_nll_loss`.

    Parameters
    ----------
    full : bool, default False
    eps : float, default 1e-6
    reduction : {"mean", "sum"}, default "mean"
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__()
        self.full = validate.boolean("full", full)
        self.eps = validate.at_least("eps", eps, 0.0, strict=True)
        self.reduction = validate.choice("reduction", reduction, ("mean", "sum"))

    def forward(self, mean: Any, target: Any, var: Any, mask: Any = None) -> float:  # type: ignore[override]
        """The loss of the Gaussian ``(mean, var)`` against ``target`` (shapes: :func:`gaussian_nll_loss`)."""
        loss, self._grad = gaussian_nll_loss(mean, target, var, mask, full=self.full, eps=self.eps,
                                             reduction=self.reduction)
        return loss

    __call__ = forward

    def __repr__(self) -> str:
        return f"GaussianNLLLoss(full={self.full}, eps={self.eps}, reduction={self.reduction!r})"
