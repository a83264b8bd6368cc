"""GaussianHead: a predicted mean and a predicted variance, for a Gaussian likelihood.

Shape letters: ``...`` any leading axes (for example B batch), D input
features, F output features, N = prod(...) rows.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

from .. import init, validate
from ..backend import check_dtype, rng
from .linear import Linear
from .module import Module

MIN_VAR = 1e-6  # the floor added to the softplus, as Lakshminarayanan et al. (2017) do


class _GaussianCache(NamedTuple):
    x2: Any            # (N, D): the input with its leading axes flattened
    s: Any             # (N, F): softplus(z), the variance without its floor
    lead: tuple        # the leading axes ``...`` of the input


class GaussianHead(Module):
    """Two affine maps from the same features: a mean and a positive variance.

    ::

        mean = x W_m^T + b_m
        z    = x W_v^T + b_v
        s    = softplus(z) = log(1 + exp(z))
        var  = s + min_var

    The softplus keeps the variance positive and smooth, and the floor
    ``min_var`` (default 1e-6, as in Lakshminarayanan et al. 2017, "Simple and
    Scalable Predictive Uncertainty Estimation using Deep Ensembles") keeps it
    away from 0, where the likelihood would divide by it. Train it with
    :class:`minilstm.GaussianNLLLoss`, whose ``backward()`` gives the
    ``(dmean, dvar)`` that :meth:`backward` takes.

    Parameters
    ----------
    in_features, out_features : int
        D and F.
    bias : bool, default True
    min_var : float > 0, default 1e-6
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the weights.
    dtype : {"float32", "float64"}, default "float32"

    Attributes
    ----------
    params : dict
        ``mean.weight`` (F, D), ``mean.bias`` (F,), ``var.weight`` (F, D) and
        ``var.bias`` (F,), each drawn from U(-1/sqrt(D), 1/sqrt(D)) in that order,
        like two ``torch.nn.Linear`` named ``mean`` and ``var`` (whose
        ``state_dict`` loads as it is).
    grads : dict
        Gradients of the last :meth:`backward`, same keys and shapes.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, min_var: float = MIN_VAR,
                 seed: Any = None, dtype: str = "float32") -> None:
        self.in_features = validate.positive_int("in_features", in_features)
        self.out_features = validate.positive_int("out_features", out_features)
        self.bias = validate.boolean("bias", bias)
        self.dtype = check_dtype(dtype)
        self.min_var = validate.in_dtype("min_var", validate.at_least("min_var", min_var, 0.0, strict=True),
                                         self.dtype, positive=True)
        self._rng = rng(seed)
        bound = 1.0 / math.sqrt(self.in_features)
        shapes = GaussianHead.param_shapes(self.in_features, self.out_features, self.bias)  # mean's, then var's
        self._set_params({k: init.uniform(self._rng, shape, bound) for k, shape in shapes.items()})
        self._cache: _GaussianCache | None = None

    @classmethod
    def param_shapes(cls, in_features: int, out_features: int, bias: bool = True, **options: Any) -> dict:
        """A :class:`~minilstm.Linear`'s shapes under ``mean.`` and again under ``var.``: what the constructor
        allocates, from its arguments (``options``, min_var, the seed and dtype, shape nothing), each size
        checked as it checks it; nothing allocated."""
        linear = Linear.param_shapes(in_features, out_features, bias)
        return {f"{head}.{k}": shape for head in ("mean", "var") for k, shape in linear.items()}

    def __repr__(self) -> str:
        return (f"GaussianHead(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias}, min_var={self.min_var}, dtype={self.dtype!r})")

    def _affine(self, head: str, x2: Any) -> Any:
        """``x W^T + b`` of the ``mean`` or ``var`` head; (N, D) -> (N, F)."""
        y2 = x2 @ self.params[f"{head}.weight"].T
        return y2 + self.params[f"{head}.bias"] if self.bias else y2

    def forward(self, x: Any) -> tuple[Any, Any]:
        """The mean and variance of a Gaussian for every row of ``x``.

        Parameters
        ----------
        x : (..., D) array

        Returns
        -------
        mean, var : (..., F) arrays, ``var >= min_var``
        """
        xp = self._check_backend().xp
        x = validate.float_array("x", x, self.dtype)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"x must have in_features={self.in_features} in its last axis, "
                             f"got shape {tuple(x.shape)}")
        lead = tuple(x.shape[:-1])
        x2 = xp.reshape(x, (math.prod(lead), self.in_features))       # (N, D)
        mean = self._affine("mean", x2)
        z = self._affine("var", x2)
        s = xp.maximum(z, xp.zeros_like(z)) + xp.log1p(xp.exp(-xp.abs(z)))  # softplus, no overflow
        self._cache = _GaussianCache(x2, s, lead)
        shape = lead + (self.out_features,)
        return xp.reshape(mean, shape), xp.reshape(s + self.min_var, shape)

    __call__ = forward

    def backward(self, dmean: Any, dvar: Any) -> Any:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dmean, dvar : (..., F) arrays
            Gradients of the loss with respect to ``mean`` and ``var``.

        Returns
        -------
        dx : (..., D) array
        """
        x2, s, lead = self._require_forward()
        xp = self._check_backend().xp
        N, F = s.shape
        upstream = []
        for name, g in (("dmean", dmean), ("dvar", dvar)):
            g = validate.float_array(name, g, self.dtype)
            validate.shape(name, g, lead + (F,), "(the forward output's shape)")
            upstream.append(xp.reshape(g, (N, F)))
        dmean2, dvar2 = upstream
        dz = dvar2 * -xp.expm1(-s)          # softplus'(z) = sigmoid(z) = 1 - exp(-s), from the output
        grads = {}
        for head, dy2 in (("mean", dmean2), ("var", dz)):
            grads[f"{head}.weight"] = dy2.T @ x2                          # dL/dW = sum_n dy_n x_n^T
            if self.bias:
                grads[f"{head}.bias"] = xp.sum(dy2, axis=0)
        self.grads = grads
        dx2 = dmean2 @ self.params["mean.weight"] + dz @ self.params["var.weight"]  # both heads read x
        return xp.reshape(dx2, lead + (self.in_features,))
