"""What every layer shares: ``params``/``grads`` dicts, state dicts and guards.

A layer keeps its parameters in ``params`` (name -> array of the active
backend) and the gradients of its last backward in ``grads`` under the same
names. Loading a state dict copies values *into* those arrays, so an optimizer
holding them sees the new values.
"""
from __future__ import annotations

import math
from typing import Any

from . import validate
from .backend import Backend, get_backend, to_numpy


class Module:
    """Base of the layers: parameter bookkeeping, no maths."""

    params: dict
    grads: dict
    dtype: str
    _cache: Any = None

    @property
    def num_params(self) -> int:
        """The number of trainable numbers: the sum of the sizes of :attr:`params`."""
        return sum(int(math.prod(p.shape)) for p in self.params.values())

    def _set_params(self, host: dict) -> None:
        """Move host arrays to the backend as ``params``; zero ``grads`` beside them."""
        be = get_backend()
        self.params = {k: be.asarray(v, self.dtype) for k, v in host.items()}
        self.grads = {k: be.zeros(tuple(v.shape), self.dtype) for k, v in self.params.items()}

    def _check_backend(self) -> Backend:
        """The active backend, if this layer's parameters are its arrays."""
        be, p = get_backend(), next(iter(self.params.values()))
        if not isinstance(p, be.array_type):
            raise RuntimeError(f"{type(self).__name__}'s parameters are {type(p).__module__}.{type(p).__name__} "
                               f"arrays but the active backend is {be.name!r}: make the layer under the "
                               "backend it runs on (or load its state_dict() into a new one)")
        return be

    def _require_forward(self) -> Any:
        """What the last forward saved, or a RuntimeError when there was none."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward(): "
                               "run forward first, backward uses what it saved")
        return self._cache

    def state_dict(self) -> dict:
        """Parameters as host NumPy arrays under PyTorch's keys."""
        return {k: to_numpy(v).copy() for k, v in self.params.items()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load parameters (NumPy arrays, backend arrays or torch tensors) by PyTorch's keys.

        Values are copied into the existing arrays after every key and shape is checked.

        Raises
        ------
        TypeError
            If ``state_dict`` is not a dict or a value is not an array of floats.
        ValueError
            Naming every missing or unexpected key, or the first wrong shape.
        """
        validate.keys("state_dict", state_dict, self.params, type(self).__name__)
        new = {}
        for k, v in state_dict.items():
            if hasattr(v, "detach"):  # a PyTorch tensor
                v = v.detach().cpu().numpy()
            elif hasattr(v, "shape"):  # an array of any backend
                v = to_numpy(v)
            new[k] = validate.float_array(f"state_dict[{k!r}]", v, self.dtype)
            validate.shape(f"state_dict[{k!r}]", new[k], tuple(self.params[k].shape),
                           f"(the shape of {type(self).__name__}.params[{k!r}])")
        for k, v in new.items():
            self.params[k][...] = v
