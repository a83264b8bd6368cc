"""MultiheadAttention: scaled dot-product attention in several heads, with PyTorch's parameters.

Shape letters: B batch, L query steps, S key (and value) steps, E embedding size
(``embed_dim``), h heads, d = E / h features per head. Inside, arrays are
batch-first (B, L, E); ``batch_first=False`` (the default, as PyTorch's) takes and
returns time-major (L, B, E) and converts at the edges only.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .. import init, validate
from ..backend import check_dtype, concat, get_backend, permute_dims, rng, to_numpy
from .module import Module

PROJECTIONS = ("q", "k", "v")  # the row blocks of in_proj_weight (3E, E), in PyTorch's order


class _AttentionCache(NamedTuple):
    query: Any   # (B, L, E): the query input (zero on padded steps of a self-attention with lengths)
    key: Any     # (B, S, E): the key input, zero on padded keys
    value: Any   # (B, S, E): the value input, zero on padded keys
    q: Any       # (B, h, L, d): projected queries, one slice of features per head
    k: Any       # (B, h, S, d): projected keys
    v: Any       # (B, h, S, d): projected values
    a: Any       # (B, h, L, S): softmax weights, exactly zero on padded keys
    drop: Any    # (B, h, L, S): the dropout mask scaled by 1/(1-p), or None
    o: Any       # (B, L, E): the heads' outputs side by side
    valid: Any   # (B, S) booleans: the keys that are read, or None
    given: int   # arrays given: 1 (self-attention), 2 (query, key = value) or 3
    weights: bool  # whether forward returned weights (then backward may take their gradient)


class MultiheadAttention(Module):
    """Multi-head attention; like ``torch.nn.MultiheadAttention``, with the same parameters.

    Each head ``j`` attends with its own slice of the projections (Vaswani et al. 2017)::

        q = query W_q^T + b_q,   k = key W_k^T + b_k,   v = value W_v^T + b_v     (split into h heads of d)
        s_j = q_j k_j^T / sqrt(d)            (L, S) scores; padded keys get -inf
        a_j = softmax_S(s_j)                 each row sums to 1, exactly 0 on padded keys
        o_j = a_j v_j                        (L, d); o = [o_1 ... o_h]  (L, E)
        y   = o W_o^T + b_o

    where ``[W_q; W_k; W_v]`` is ``in_proj_weight`` and ``W_o`` is ``out_proj.weight``.
    In training mode ``a`` is followed by inverted dropout of rate ``dropout``, as in PyTorch.
    Backward, with ``da`` the gradient of the weights and the softmax's Jacobian::

        da_j = do_j v_j^T,   dv_j = a_j^T do_j
        ds_j = a_j * (da_j - rowsum(a_j * da_j)) / sqrt(d)
        dq_j = ds_j k_j,     dk_j = ds_j^T q_j

    Parameters
    ----------
    embed_dim : int
        E.
    num_heads : int
        h; must divide E.
    dropout : float in [0, 1), default 0
        Dropout on the attention weights, in training mode.
    bias : bool, default True
        ``in_proj_bias`` and ``out_proj.bias``.
    batch_first : bool, default False
        Take and return (B, L, E) instead of (L, B, E).
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the weights and the dropout masks.
    dtype : {"float32", "float64"}, default "float32"

    Attributes
    ----------
    params : dict
        ``in_proj_weight`` (3E, E), Glorot uniform as PyTorch's; ``in_proj_bias`` (3E,), zero;
        ``out_proj.weight`` (E, E), U(-1/sqrt(E), 1/sqrt(E)); ``out_proj.bias`` (E,), zero:
        a torch module's ``state_dict()`` loads as it is.
    grads : dict
        Gradients of the last :meth:`backward`, same keys and shapes.
    last_attention : (B, h, L, S) array or None
        Every head's weights of the last :meth:`forward` (after dropout, as returned), to be plotted.
    """

    uses_lengths = True  # Sequential passes lengths on: padded keys get no attention

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, *,
                 batch_first: bool = False, seed: Any = None, dtype: str = "float32") -> None:
        shapes = MultiheadAttention.param_shapes(embed_dim, num_heads, dropout, bias)
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = validate.probability("dropout", dropout)
        self.bias = validate.boolean("bias", bias)
        self.batch_first = validate.boolean("batch_first", batch_first)
        self.dtype = check_dtype(dtype)
        self._rng = rng(seed)
        E = self.embed_dim
        host = {"in_proj_weight": init.glorot_uniform(self._rng, 3 * E, E),
                "out_proj.weight": init.uniform(self._rng, (E, E), 1.0 / math.sqrt(E))}
        self._set_params({k: host.get(k, np.zeros(shape)) for k, shape in shapes.items()})  # biases zero
        self.last_attention: Any = None
        self._cache: _AttentionCache | None = None

    @classmethod
    def param_shapes(cls, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                     **options: Any) -> dict:
        """``in_proj_weight`` (3E, E), ``in_proj_bias`` (3E,), ``out_proj.weight`` (E, E), ``out_proj.bias`` (E,)
        (no biases without ``bias``), in PyTorch's order: what the constructor allocates, each argument checked
        as it checks it (``options``, batch_first, seed and dtype, shape nothing); nothing allocated."""
        E = validate.positive_int("embed_dim", embed_dim)
        h = validate.positive_int("num_heads", num_heads)
        if E % h:
            raise ValueError(f"embed_dim must be divisible by num_heads: embed_dim={E}, num_heads={h} "
                             f"leave {E % h} features over")
        validate.probability("dropout", dropout)
        if validate.boolean("bias", bias):
            return {"in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,), "out_proj.weight": (E, E),
                    "out_proj.bias": (E,)}
        return {"in_proj_weight": (3 * E, E), "out_proj.weight": (E, E)}

    def __repr__(self) -> str:
        options = [f"embed_dim={self.embed_dim}", f"num_heads={self.num_heads}"]  # then what is not the default
        options += [f"dropout={self.dropout}"] * (self.dropout > 0) + ["bias=False"] * (not self.bias) \
            + ["batch_first=True"] * self.batch_first + [f"dtype={self.dtype!r}"] * (self.dtype != "float32")
        return f"MultiheadAttention({', '.join(options)})"

    def _rows(self, which: str) -> slice:
        """The rows of ``in_proj_weight`` (and entries of ``in_proj_bias``) of projection ``which``."""
        E, j = self.embed_dim, PROJECTIONS.index(which)
        return slice(j * E, (j + 1) * E)

    def _project(self, x: Any, which: str) -> Any:
        """``x W^T + b`` of projection ``which``, split into heads: (B, N, E) -> (B, h, N, d)."""
        y = x @ self.params["in_proj_weight"][self._rows(which), :].T
        if self.bias:
            y = y + self.params["in_proj_bias"][self._rows(which)]
        return self._heads(y)

    def _heads(self, x: Any) -> Any:
        """(B, N, E) -> (B, h, N, d): head j holds features j*d to (j+1)*d, as PyTorch splits them."""
        B, N, _ = x.shape
        return permute_dims(get_backend().xp.reshape(x, (B, N, self.num_heads, self.head_dim)), (0, 2, 1, 3))

    def _merge(self, x: Any) -> Any:
        """(B, h, N, d) -> (B, N, E): the heads side by side again."""
        B, _, N, _ = x.shape
        return get_backend().xp.reshape(permute_dims(x, (0, 2, 1, 3)), (B, N, self.embed_dim))

    def _batch_first(self, name: str, x: Any) -> Any:
        """``x`` checked to be a 3-D array of E features, as (B, N, E)."""
        x = validate.float_array(name, x, self.dtype)
        if x.ndim != 3 or x.shape[-1] != self.embed_dim or 0 in x.shape:
            layout = "(batch, steps, embed_dim)" if self.batch_first else "(steps, batch, embed_dim)"
            raise ValueError(f"{name} must be a non-empty 3-D array {layout} with embed_dim={self.embed_dim}, "
                             f"got shape {tuple(x.shape)}")
        return x if self.batch_first else permute_dims(x, (1, 0, 2))

    def _edge(self, x: Any) -> Any:
        """A batch-first (B, N, E) array in the caller's layout."""
        return x if self.batch_first else permute_dims(x, (1, 0, 2))

    def _valid(self, lengths: Any, key_padding_mask: Any, B: int, S: int) -> Any:
        """A (B, S) boolean device array, True on the keys that are read; or None."""
        if lengths is not None and key_padding_mask is not None:
            raise ValueError("give lengths or key_padding_mask, not both")
        if lengths is not None:
            keep = np.arange(S)[None, :] < validate.lengths(lengths, B, S)[:, None]
        elif key_padding_mask is not None:
            mask = to_numpy(key_padding_mask) if hasattr(key_padding_mask, "shape") else np.asarray(key_padding_mask)
            if mask.dtype != np.bool_:
                raise TypeError(f"key_padding_mask must hold booleans (True marks a padded key, as in PyTorch), "
                                f"got dtype {mask.dtype}")
            validate.shape("key_padding_mask", mask, (B, S), "(batch, key steps)")
            if mask.all(axis=1).any():
                raise ValueError("key_padding_mask must leave at least one key of every sequence unmasked, got "
                                 f"every key masked in sequence {int(np.flatnonzero(mask.all(axis=1))[0])}")
            keep = ~mask
        else:
            return None
        return get_backend().asarray(keep, "float32") != 0

    def forward(self, query: Any, key: Any = None, value: Any = None, *, lengths: Any = None,
                key_padding_mask: Any = None, need_weights: bool = True, average_attn_weights: bool = True) -> tuple:
        """Attend from every query step over the key steps; return the output and the weights.

        Parameters
        ----------
        query : (L, B, E) array, or (B, L, E) with ``batch_first``
        key : (S, B, E) array, optional
            Default: ``query`` (self-attention).
        value : (S, B, E) array, optional
            Default: ``key``.
        lengths : (B,) ints in [1, S], optional
            Valid steps of each sequence of a padded batch: later keys get exactly zero weight and zero
            gradient, whatever they hold; in a self-attention the later query steps are padding too (read
            as zeros, zero gradient).
        key_padding_mask : (B, S) booleans, optional
            PyTorch's: True marks a key to ignore (exactly zero weight and gradient). Not with ``lengths``.
        need_weights : bool, default True
            Return the weights too (else None in their place).
        average_attn_weights : bool, default True
            The weights averaged over the heads, (B, L, S), as PyTorch returns them; False: per head,
            (B, h, L, S).

        Returns
        -------
        y : (L, B, E) array, or (B, L, E) with ``batch_first``
        weights : (B, L, S) or (B, h, L, S) array, or None
        """
        xp = self._check_backend().xp
        need_weights = validate.boolean("need_weights", need_weights)
        average = validate.boolean("average_attn_weights", average_attn_weights)
        given = 1 if key is None else 3 if value is not None else 2
        query = self._batch_first("query", query)
        key = query if key is None else self._batch_first("key", key)
        value = key if value is None else self._batch_first("value", value)
        B, S = query.shape[0], key.shape[1]
        if key.shape[0] != B or value.shape[:2] != key.shape[:2]:
            raise ValueError(f"key and value must have the query's batch ({B}) and the same steps, got query "
                             f"{tuple(self._edge(query).shape)}, key {tuple(self._edge(key).shape)}, value "
                             f"{tuple(self._edge(value).shape)}")
        valid = self._valid(lengths, key_padding_mask, B, S)
        if valid is not None:  # padding is never read: it may hold anything, nan included
            key = xp.where(valid[:, :, None], key, xp.zeros_like(key))
            value = xp.where(valid[:, :, None], value, xp.zeros_like(value))
            query = key if given == 1 and lengths is not None else query
        q, k, v = self._project(query, "q"), self._project(key, "k"), self._project(value, "v")
        s = (q @ permute_dims(k, (0, 1, 3, 2))) / math.sqrt(self.head_dim)   # (B, h, L, S)
        if valid is not None:
            s = xp.where(valid[:, None, None, :], s, xp.full_like(s, -math.inf))  # exp(-inf) = 0
        z = xp.exp(s - xp.max(s, axis=-1, keepdims=True))                    # stable: the largest is exp(0)
        a = z / xp.sum(z, axis=-1, keepdims=True)                            # softmax over the keys
        drop = None
        if self.training and self.dropout > 0.0:
            keep = self._rng.random(tuple(a.shape)) >= self.dropout         # drawn on the host, any backend
            drop = get_backend().asarray(keep / (1.0 - self.dropout), self.dtype)
        used = a if drop is None else a * drop                               # the weights the values get
        o = self._merge(used @ v)                                            # (B, L, E)
        y = o @ self.params["out_proj.weight"].T
        if self.bias:
            y = y + self.params["out_proj.bias"]
        self._cache = _AttentionCache(query, key, value, q, k, v, a, drop, o, valid, given, need_weights)
        self.last_attention = used
        if not need_weights:
            return self._edge(y), None
        return self._edge(y), (xp.mean(used, axis=1) if average else used)

    __call__ = forward

    def backward(self, dy: Any, dweights: Any = None) -> Any:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dy : (L, B, E) array, or (B, L, E) with ``batch_first``
            Gradient of the loss with respect to ``y``.
        dweights : array shaped like the returned weights, optional
            Gradient with respect to the weights, when the loss reads them.

        Returns
        -------
        dx : the gradient of each array forward was given: ``dquery`` alone for a self-attention (the
            sum of its three uses), ``(dquery, dkey)`` when ``value`` defaulted to ``key``, else
            ``(dquery, dkey, dvalue)``; each exactly zero on padded steps.
        """
        c = self._require_forward()
        xp = self._check_backend().xp
        dy = validate.float_array("dy", dy, self.dtype)
        validate.shape("dy", dy, tuple(self._edge(c.o).shape), "(the forward output's shape)")
        dy = self._edge(dy)
        used = c.a if c.drop is None else c.a * c.drop
        do = self._heads(dy @ self.params["out_proj.weight"])                    # (B, h, L, d)
        dused = do @ permute_dims(c.v, (0, 1, 3, 2))                             # (B, h, L, S)
        if dweights is not None:
            dused = dused + self._weights_gradient(dweights, used)
        dv = permute_dims(used, (0, 1, 3, 2)) @ do                               # o = a v
        da = dused if c.drop is None else dused * c.drop                         # backprop through dropout
        ds = c.a * (da - xp.sum(c.a * da, axis=-1, keepdims=True)) / math.sqrt(self.head_dim)  # softmax Jacobian
        dq, dk = ds @ c.k, permute_dims(ds, (0, 1, 3, 2)) @ c.q                 # s = q k^T / sqrt(d)
        dproj = {"q": self._merge(dq), "k": self._merge(dk), "v": self._merge(dv)}
        inputs = {"q": c.query, "k": c.key, "v": c.value}
        grads = {"in_proj_weight": concat([_summed_outer(dproj[p], inputs[p]) for p in PROJECTIONS], axis=0)}
        if self.bias:
            grads["in_proj_bias"] = concat([xp.sum(dproj[p], axis=(0, 1)) for p in PROJECTIONS], axis=0)
        grads["out_proj.weight"] = _summed_outer(dy, c.o)                      # dL/dW_o = sum dy o^T
        if self.bias:
            grads["out_proj.bias"] = xp.sum(dy, axis=(0, 1))
        self.grads = grads
        dx = {p: dproj[p] @ self.params["in_proj_weight"][self._rows(p), :] for p in PROJECTIONS}
        if c.valid is not None:  # padded keys were never read: exactly zero
            for p in ("k", "v") if c.query is not c.key else PROJECTIONS:
                dx[p] = xp.where(c.valid[:, :, None], dx[p], xp.zeros_like(dx[p]))
        if c.given == 1:
            return self._edge(dx["q"] + dx["k"] + dx["v"])
        if c.given == 2:
            return self._edge(dx["q"]), self._edge(dx["k"] + dx["v"])
        return self._edge(dx["q"]), self._edge(dx["k"]), self._edge(dx["v"])

    def _weights_gradient(self, dweights: Any, used: Any) -> Any:
        """The gradient of the returned weights as one of every head's: the mean's spreads over the heads."""
        if not self._cache.weights:
            raise ValueError("dweights was given but forward returned no weights (need_weights=False)")
        dweights = validate.float_array("dweights", dweights, self.dtype)
        B, h, L, S = used.shape
        if tuple(dweights.shape) == (B, L, S):
            return get_backend().xp.reshape(dweights, (B, 1, L, S)) / h   # w = mean_j a_j
        validate.shape("dweights", dweights, (B, h, L, S), f"(the returned weights' shape, or {(B, L, S)})")
        return dweights


def _summed_outer(dy: Any, x: Any) -> Any:
    """``sum_{b,n} dy[b, n]^T x[b, n]``: (B, N, F) and (B, N, D) -> (F, D), a weight's gradient."""
    B, N, F = dy.shape
    xp = get_backend().xp
    return xp.reshape(dy, (B * N, F)).T @ xp.reshape(x, (B * N, x.shape[-1]))
