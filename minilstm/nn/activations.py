"""Parameter-free layers: ReLU, Tanh and (inverted) Dropout.

Shape letters: ``...`` any axes. Each layer keeps the float32/float64 dtype
of its input unless it was made with a ``dtype``, and has empty ``params`` and
``grads`` so that it composes with the layers that learn.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .. import validate
from ..backend import check_dtype, get_backend, rng
from .module import Module, no_params


class _OutputCache(NamedTuple):
    y: Any             # (...): the forward output, whose values give the derivative


class _MaskCache(NamedTuple):
    mask: Any          # (...): the dropout mask (0 or 1/(1-p)), or None when dropout was off
    shape: tuple       # the input's shape
    dtype: str         # the input's dtype


class _Parameterless(Module):
    """What the parameter-free layers share: empty ``params``/``grads``, ``train``/``eval``, dtype."""

    def __init__(self, *, dtype: str | None = None) -> None:
        self.dtype = None if dtype is None else check_dtype(dtype)
        self.params: dict = {}
        self.grads: dict = {}
        self.training = True
        self._cache: Any = None

    @classmethod
    def param_shapes(cls, *args: Any, **config: Any) -> dict:
        """No parameters: ``{}`` for arguments the constructor takes (a TypeError for others)."""
        return no_params(cls, *args, **config)

    def _input(self, name: str, a: Any) -> Any:
        """``a`` as a float array of the active backend, in the layer's dtype or its own."""
        dtype = self.dtype
        if dtype is None:
            try:
                dtype = check_dtype(getattr(a, "dtype", "float64"))
            except ValueError:  # integers are refused by float_array, float16 is widened
                dtype = "float64"
        return validate.float_array(name, a, dtype)

    @staticmethod
    def _upstream(dy: Any, shape: tuple, dtype: Any) -> Any:
        """``dy`` in the forward output's dtype, checked to have its shape."""
        dy = validate.float_array("dy", dy, check_dtype(dtype))
        validate.shape("dy", dy, shape, "(the forward output's shape)")
        return dy

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Parameterless):
    """``y = max(x, 0)``, elementwise; like ``torch.nn.ReLU``.

    Backward: ``dx = dy * [y > 0]`` (the subgradient at 0 is 0, as PyTorch's).

    Parameters
    ----------
    dtype : {"float32", "float64"}, optional
        Cast inputs to this dtype; by default keep the input's.
    """

    def forward(self, x: Any) -> Any:
        """``y = max(x, 0)``; ``x`` and ``y`` are (...) arrays."""
        xp = get_backend().xp
        x = self._input("x", x)
        y = xp.where(x > 0, x, xp.zeros_like(x))
        self._cache = _OutputCache(y)
        return y

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """``dx = dy * [y > 0]``; ``dy`` and ``dx`` are (...) arrays shaped like ``y``."""
        (y,) = self._require_forward()
        xp = get_backend().xp
        dy = self._upstream(dy, tuple(y.shape), y.dtype)
        return xp.where(y > 0, dy, xp.zeros_like(dy))  # the slope is 1 where the unit is on, else 0


class Tanh(_Parameterless):
    """``y = tanh(x)``, elementwise; like ``torch.nn.Tanh``.

    Backward from the saved output: ``dx = dy * (1 - y^2)``.

    Parameters
    ----------
    dtype : {"float32", "float64"}, optional
        Cast inputs to this dtype; by default keep the input's.
    """

    def forward(self, x: Any) -> Any:
        """``y = tanh(x)``; ``x`` and ``y`` are (...) arrays."""
        xp = get_backend().xp
        y = xp.tanh(self._input("x", x))
        self._cache = _OutputCache(y)
        return y

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """``dx = dy * (1 - y^2)``; ``dy`` and ``dx`` are (...) arrays shaped like ``y``."""
        (y,) = self._require_forward()
        dy = self._upstream(dy, tuple(y.shape), y.dtype)
        return dy * (1.0 - y * y)  # backprop through tanh


class Dropout(_Parameterless):
    """Inverted dropout; like ``torch.nn.Dropout``.

    In training mode each entry is kept with probability ``1 - p`` and scaled
    by ``1/(1-p)``, so the expected output equals the input:
    ``y = x * m`` with ``m = [u >= p] / (1 - p)``, ``u ~ U(0, 1)``. In
    evaluation mode (:meth:`eval`) and for ``p = 0`` it is the identity.
    Backward multiplies by the same mask: ``dx = dy * m``.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        The probability of dropping an entry.
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the masks (the same on every backend).
    dtype : {"float32", "float64"}, optional
        Cast inputs to this dtype; by default keep the input's.
    """

    def __init__(self, p: float = 0.5, *, seed: Any = None, dtype: str | None = None) -> None:
        super().__init__(dtype=dtype)
        self.p = validate.probability("p", p)
        self._rng = rng(seed)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

    def forward(self, x: Any) -> Any:
        """``y = x * m`` in training mode, ``y = x`` otherwise; ``x`` and ``y`` are (...) arrays."""
        x = self._input("x", x)
        shape = tuple(x.shape)
        mask = None
        if self.training and self.p > 0.0:
            keep = self._rng.random(shape) >= self.p  # drawn on the host: same masks on every backend
            mask = get_backend().asarray(keep / (1.0 - self.p), check_dtype(x.dtype))
        self._cache = _MaskCache(mask, shape, check_dtype(x.dtype))
        return x if mask is None else x * mask

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """``dx = dy * m`` (the forward's mask); ``dy`` and ``dx`` are (...) arrays."""
        mask, shape, dtype = self._require_forward()
        dy = self._upstream(dy, shape, dtype)
        return dy if mask is None else dy * mask
