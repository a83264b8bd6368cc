"""Feed-forward layers with PyTorch's interface: Linear and Embedding.

Shape letters: ``...`` any leading axes (for example T time steps, B batch),
D input features, F output features, V vocabulary size, E embedding size.

Parameters live in ``layer.params`` under PyTorch's keys (``weight``,
``bias``) and the last backward's gradients in ``layer.grads`` under the
same keys, as in :mod:`minilstm.layers`.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from . import init, validate
from .backend import check_dtype, get_backend, rng
from .module import Module


class _LinearCache(NamedTuple):
    x2: Any            # (N, D): the input with its leading axes flattened, N = prod(...)
    lead: tuple        # the leading axes ``...`` of the input


class Linear(Module):
    """Affine map ``y = x W^T + b``; like ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
        D and F.
    bias : bool, default True
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the weights.
    dtype : {"float32", "float64"}, default "float32"

    Attributes
    ----------
    params : dict
        ``weight`` (F, D) and ``bias`` (F,), both drawn from
        U(-1/sqrt(D), 1/sqrt(D)) like PyTorch (weight first, then bias).
    grads : dict
        Gradients of the last :meth:`backward`, same keys and shapes.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 seed: Any = None, dtype: str = "float32") -> None:
        self.in_features = validate.positive_int("in_features", in_features)
        self.out_features = validate.positive_int("out_features", out_features)
        self.bias = validate.boolean("bias", bias)
        self.dtype = check_dtype(dtype)
        self._rng = rng(seed)
        D, F, bound = self.in_features, self.out_features, 1.0 / math.sqrt(self.in_features)
        host = {"weight": init.uniform(self._rng, (F, D), bound)}
        if self.bias:
            host["bias"] = init.uniform(self._rng, (F,), bound)
        self._set_params(host)
        self._cache: _LinearCache | None = None

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias}, dtype={self.dtype!r})")

    def forward(self, x: Any) -> Any:
        """``y = x W^T + b``.

        Parameters
        ----------
        x : (..., D) array

        Returns
        -------
        y : (..., F) array
        """
        xp = self._check_backend().xp
        x = validate.float_array("x", x, self.dtype)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"x must have in_features={self.in_features} in its last axis, "
                             f"got shape {tuple(x.shape)}")
        lead = tuple(x.shape[:-1])
        x2 = xp.reshape(x, (math.prod(lead), self.in_features))  # (N, D)
        y2 = x2 @ self.params["weight"].T                        # (N, F)
        if self.bias:
            y2 = y2 + self.params["bias"]
        self._cache = _LinearCache(x2, lead)
        return xp.reshape(y2, lead + (self.out_features,))

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dy : (..., F) array
            Gradient of the loss with respect to ``y``.

        Returns
        -------
        dx : (..., D) array
        """
        x2, lead = self._require_forward()
        xp = self._check_backend().xp
        dy = validate.float_array("dy", dy, self.dtype)
        validate.shape("dy", dy, lead + (self.out_features,), "(the forward output's shape)")
        dy2 = xp.reshape(dy, (x2.shape[0], self.out_features))  # (N, F)
        grads = {"weight": dy2.T @ x2}                          # dL/dW = sum_n dy_n x_n^T
        if self.bias:
            grads["bias"] = xp.sum(dy2, axis=0)                 # b is added to every row
        self.grads = grads
        dx2 = dy2 @ self.params["weight"]                       # dL/dx = dy W
        return xp.reshape(dx2, lead + (self.in_features,))


class _EmbeddingCache(NamedTuple):
    idx: Any           # (N,) int64: the flattened indices, N = prod(...)
    lead: tuple        # the shape ``...`` of the indices


class Embedding(Module):
    """A lookup table: row ``k`` of ``weight`` is the vector of token ``k``; like ``torch.nn.Embedding``.

    Forward is ``y[...] = W[idx[...]]``; backward adds each upstream row to the
    row it was read from, ``dW = onehot(idx)^T dy`` (so repeated indices sum).

    Parameters
    ----------
    num_embeddings, embedding_dim : int
        V and E.
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the weights.
    dtype : {"float32", "float64"}, default "float32"

    Attributes
    ----------
    params : dict
        ``weight`` (V, E), drawn from N(0, 1) like PyTorch.
    grads : dict
        Gradient of the last :meth:`backward`, same key and shape.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, seed: Any = None,
                 dtype: str = "float32") -> None:
        self.num_embeddings = validate.positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = validate.positive_int("embedding_dim", embedding_dim)
        self.dtype = check_dtype(dtype)
        self._rng = rng(seed)
        self._set_params({"weight": self._rng.standard_normal((self.num_embeddings, self.embedding_dim))})
        self._cache: _EmbeddingCache | None = None

    def __repr__(self) -> str:
        return (f"Embedding(num_embeddings={self.num_embeddings}, "
                f"embedding_dim={self.embedding_dim}, dtype={self.dtype!r})")

    def _indices(self, indices: Any) -> np.ndarray:
        """The indices on the host, checked to be integers in [0, V)."""
        host = validate.integer_array("indices", indices)
        V = self.num_embeddings
        if host.size and (host.min() < 0 or host.max() >= V):
            raise ValueError(f"indices must lie in [0, num_embeddings={V}), "
                             f"got values in [{host.min()}, {host.max()}]")
        return host

    def forward(self, indices: Any) -> Any:
        """Look up the rows of ``weight``.

        Parameters
        ----------
        indices : (...) integer array
            Token ids in [0, V).

        Returns
        -------
        y : (..., E) array
        """
        xp = self._check_backend().xp
        host = self._indices(indices)
        lead = tuple(host.shape)
        idx = xp.reshape(get_backend().indices(host), (math.prod(lead),))  # (N,)
        y2 = xp.take(self.params["weight"], idx, axis=0)         # (N, E)
        self._cache = _EmbeddingCache(idx, lead)
        return xp.reshape(y2, lead + (self.embedding_dim,))

    __call__ = forward

    def backward(self, dy: Any) -> None:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dy : (..., E) array
            Gradient of the loss with respect to ``y``.

        Returns
        -------
        None
            Integer indices have no gradient.
        """
        idx, lead = self._require_forward()
        xp = self._check_backend().xp
        V, E = self.num_embeddings, self.embedding_dim
        dy = validate.float_array("dy", dy, self.dtype)
        validate.shape("dy", dy, lead + (E,), "(the forward output's shape)")
        dy2 = xp.reshape(dy, (idx.shape[0], E))                           # (N, E)
        # the array API has no scatter-add (np.add.at): a one-hot (N, V) product
        # sums the rows of dy that read the same token
        onehot = xp.astype(idx[:, None] == get_backend().indices(np.arange(V)), dy2.dtype)
        self.grads = {"weight": onehot.T @ dy2}                           # (V, E)
        return None
