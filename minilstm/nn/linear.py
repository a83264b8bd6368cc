"""Feed-forward layers with PyTorch's interface: Linear and Embedding.

Shape letters: ``...`` any leading axes (for example T time steps, B batch),
D input features, F output features, V vocabulary size, E embedding size.

Parameters live in ``layer.params`` under PyTorch's keys (``weight``,
``bias``) and the last backward's gradients in ``layer.grads`` under the
same keys, as in :mod:`minilstm.nn.recurrent`.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .. import init, validate
from ..backend import check_dtype, concat, get_backend, rng
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

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 seed: Any = None, dtype: str = "float32") -> None:
        self.in_features = validate.positive_int("in_features", in_features)
        self.out_features = validate.positive_int("out_features", out_features)
        self.bias = validate.boolean("bias", bias)
        self.dtype = check_dtype(dtype)
        self._rng = rng(seed)
        bound = 1.0 / math.sqrt(self.in_features)
        shapes = Linear.param_shapes(self.in_features, self.out_features, self.bias)  # weight, then bias
        self._set_params({k: init.uniform(self._rng, shape, bound) for k, shape in shapes.items()})
        self._cache: _LinearCache | None = None

    @classmethod
    def param_shapes(cls, in_features: int, out_features: int, bias: bool = True, **options: Any) -> dict:
        """``weight`` (F, D) and, with ``bias``, ``bias`` (F,): what the constructor allocates, from its arguments
        (``options``, the seed and dtype, shape nothing), each size checked as it checks it; nothing allocated."""
        D = validate.positive_int("in_features", in_features)
        F = validate.positive_int("out_features", out_features)
        return {"weight": (F, D), "bias": (F,)} if validate.boolean("bias", bias) else {"weight": (F, D)}

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
    idx: np.ndarray    # (N,) int64 on the host: the flattened indices, N = prod(...)
    lead: tuple        # the shape ``...`` of the indices


class Embedding(Module):
    """A lookup table: row ``k`` of ``weight`` is the vector of token ``k``; like ``torch.nn.Embedding``.

    Forward is ``y[...] = W[idx[...]]``; backward adds each upstream row to the
    row it was read from, ``dW[v] = sum_{n: idx[n] = v} dy[n]`` (so repeated indices
    sum), without ever building the (N, V) one-hot ``onehot(idx)^T dy`` would need.

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

    def __init__(self, num_embeddings: int, embedding_dim: int, *, seed: Any = None,
                 dtype: str = "float32") -> None:
        self.num_embeddings = validate.positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = validate.positive_int("embedding_dim", embedding_dim)
        self.dtype = check_dtype(dtype)
        self._rng = rng(seed)
        shapes = Embedding.param_shapes(self.num_embeddings, self.embedding_dim)
        self._set_params({"weight": self._rng.standard_normal(shapes["weight"])})
        self._cache: _EmbeddingCache | None = None

    @classmethod
    def param_shapes(cls, num_embeddings: int, embedding_dim: int, **options: Any) -> dict:
        """``weight`` (V, E): what the constructor allocates, from its arguments (``options``, the seed and
        dtype, shape nothing), each size checked as it checks it; nothing allocated."""
        return {"weight": (validate.positive_int("num_embeddings", num_embeddings),
                           validate.positive_int("embedding_dim", embedding_dim))}

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
        self._cache = _EmbeddingCache(np.array(host, dtype=np.int64).reshape(-1), lead)  # a copy: callers reuse theirs
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
        E = self.embedding_dim
        dy = validate.float_array("dy", dy, self.dtype)
        validate.shape("dy", dy, lead + (E,), "(the forward output's shape)")
        dy2 = xp.reshape(dy, (idx.shape[0], E))                           # (N, E)
        self.grads = {"weight": add_rows_at(dy2, idx, self.num_embeddings)}  # (V, E)
        return None


def add_rows_at(rows: Any, idx: np.ndarray, V: int) -> Any:
    """``out[v] = sum_{n: idx[n] = v} rows[n]``, a (V, E) array: NumPy's ``np.add.at`` on any backend.

    The array API has no scatter-add, and the one-hot product ``onehot(idx)^T rows``
    costs N*V (3.2 GB for 12,800 tokens of a 50,000-word vocabulary). Instead the rows
    are grouped by token (a sort of the host indices), each group is summed in place by
    a segmented scan of log2(longest group) rounds, and each token's total is put in its
    row with one ``take``: a few (N, E) arrays and the (V, E) result.

    Parameters
    ----------
    rows : (N, E) array
    idx : (N,) int host array
        Row ``n`` goes to ``out[idx[n]]``; every index in [0, V).
    V : int

    Returns
    -------
    out : (V, E) array, like ``rows``
    """
    be = get_backend()
    xp = be.xp
    N, E = rows.shape
    if N == 0:
        return be.zeros((V, E), check_dtype(rows.dtype))
    order = np.argsort(idx, kind="stable")
    token = idx[order]                                   # (N,) sorted: each token's rows side by side
    first = np.r_[True, token[1:] != token[:-1]]         # (N,) where a token's group starts
    starts = np.flatnonzero(first)                       # (U,) U distinct tokens
    ends = np.r_[starts[1:], N] - 1                      # (U,) each group's last row
    group = be.indices(np.cumsum(first) - 1)             # (N,) which group each sorted row is in
    s = xp.take(rows, be.indices(order), axis=0)         # (N, E) the rows, grouped by token
    longest, d = int(np.max(ends - starts)) + 1, 1
    while d < longest:  # a Hillis-Steele round: then s[n] sums its group's rows in (n - 2d, n]
        same = xp.reshape(group[d:] == group[:-d], (N - d, 1))
        s = concat([s[:d, :], s[d:, :] + xp.where(same, s[:-d, :], xp.zeros_like(s[:-d, :]))], axis=0)
        d *= 2
    totals = xp.take(s, be.indices(ends), axis=0)        # (U, E) each group's last row holds its sum
    slot = np.zeros(V, dtype=np.int64)
    slot[token[starts]] = np.arange(1, len(starts) + 1)  # token v's total is row slot[v]; row 0 is zero
    return xp.take(concat([xp.zeros_like(totals[:1, :]), totals], axis=0), be.indices(slot), axis=0)
