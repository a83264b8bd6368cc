"""AttentionPool: a learned query attends over the time steps of a sequence; Attention: every step of
one sequence attends over the steps of another (an encoder-decoder's attention).

Shape letters: B batch, T time steps, H features of each step (a recurrent
layer's hidden size, times 2 if bidirectional); for Attention, Tq query steps
and Tk key steps.
"""
from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .. import init, validate
from ..backend import check_dtype, get_backend, permute_dims, rng
from .module import Module


class _CrossCache(NamedTuple):
    q: Any             # (B, Tq, H): the queries
    k: Any             # (B, Tk, H): the keys, which are also the values
    a: Any             # (B, Tq, Tk): attention weights, rows sum to 1


class _AttentionCache(NamedTuple):
    h: Any             # (B, T, H): the input, zero on padded steps
    a: Any             # (B, T): attention weights, exactly zero on padded steps
    u: Any             # (B, T, H): tanh(W h + b) for "additive", None for "dot"
    valid: Any         # (B, T) booleans: the steps inside each sequence's length, or None


class AttentionPool(Module):
    """Pool a sequence into one vector, weighting each step by a learned attention.

    With a learned query ``q`` (H,), the score of step t is::

        dot:       e_t = h_t . q / sqrt(H)
        additive:  u_t = tanh(W h_t + b),  e_t = u_t . q      (Bahdanau et al. 2015; q is their v)

    and the output is the attention-weighted sum of the steps::

        a = softmax_t(e)   (over t < lengths[b] only: padded steps get a_t = 0)
        y = sum_t a_t h_t

    Backward, with ``da_t = dy . h_t`` and the softmax's Jacobian::

        de_t = a_t (da_t - sum_s a_s da_s)
        dh_t = a_t dy + de_t de_t/dh_t

    The input is a batch-first sequence (B, T, H), as ``LSTM(..., batch_first=True)``
    gives. The last forward's weights stay in :attr:`last_attention` (B, T) to
    be plotted.

    Parameters
    ----------
    hidden : int
        H.
    kind : {"dot", "additive"}, default "dot"
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the weights.
    dtype : {"float32", "float64"}, default "float32"

    Attributes
    ----------
    params : dict
        ``query`` (H,); for ``"additive"`` also ``weight`` (H, H) and ``bias``
        (H,). All drawn from U(-1/sqrt(H), 1/sqrt(H)) (weight, bias, then query).
    grads : dict
        Gradients of the last :meth:`backward`, same keys and shapes.
    last_attention : (B, T) array or None
        The attention weights of the last :meth:`forward`; rows sum to 1.
    """

    uses_lengths = True  # Sequential passes lengths on: padded steps get no attention

    def __init__(self, hidden: int, *, kind: str = "dot", seed: Any = None, dtype: str = "float32") -> None:
        self.hidden = validate.positive_int("hidden", hidden)
        self.kind = validate.choice("kind", kind, ("dot", "additive"))
        self.dtype = check_dtype(dtype)
        self._rng = rng(seed)
        bound = 1.0 / math.sqrt(self.hidden)
        shapes = AttentionPool.param_shapes(self.hidden, kind=self.kind)  # weight, bias, then query
        self._set_params({k: init.uniform(self._rng, shape, bound) for k, shape in shapes.items()})
        self.last_attention: Any = None
        self._cache: _AttentionCache | None = None

    @classmethod
    def param_shapes(cls, hidden: int, *, kind: str = "dot", **options: Any) -> dict:
        """``query`` (H,), after ``weight`` (H, H) and ``bias`` (H,) for ``"additive"``: what the constructor
        allocates, from its arguments (``options``, the seed and dtype, shape nothing), each checked as it
        checks it; nothing allocated."""
        H = validate.positive_int("hidden", hidden)
        if validate.choice("kind", kind, ("dot", "additive")) == "additive":
            return {"weight": (H, H), "bias": (H,), "query": (H,)}
        return {"query": (H,)}

    def __repr__(self) -> str:
        return f"AttentionPool(hidden={self.hidden}, kind={self.kind!r}, dtype={self.dtype!r})"

    def _valid(self, lengths: Any, B: int, T: int) -> Any:
        """A (B, T) boolean device array: True on each sequence's first ``lengths[b]`` steps; or None."""
        if lengths is None:
            return None
        host = validate.lengths(lengths, B, T)
        return get_backend().asarray(np.arange(T)[None, :] < host[:, None], "float32") != 0

    def _scores(self, h: Any) -> tuple[Any, Any]:
        """The scores e (B, T), and u = tanh(W h + b) (B, T, H) for "additive" (else None)."""
        q = self.params["query"]
        if self.kind == "dot":
            return (h @ q) / math.sqrt(self.hidden), None
        u = get_backend().xp.tanh(h @ self.params["weight"].T + self.params["bias"])
        return u @ q, u

    def forward(self, x: Any, *, lengths: Any = None) -> Any:
        """Attend over the steps of each sequence and return their weighted sum.

        Parameters
        ----------
        x : (B, T, H) array
            Batch-first sequences.
        lengths : (B,) ints in [1, T], optional
            Valid steps of each sequence of a padded batch: padded steps get
            exactly zero attention and zero gradient, whatever they hold.

        Returns
        -------
        y : (B, H) array
        """
        xp = self._check_backend().xp
        x = validate.float_array("x", x, self.dtype)
        if x.ndim != 3 or x.shape[-1] != self.hidden:
            raise ValueError(f"x must be a batch-first 3-D array (batch, time, hidden={self.hidden}), "
                             f"got shape {tuple(x.shape)}")
        B, T, _ = x.shape
        if B == 0 or T == 0:
            raise ValueError(f"x must have at least one time step and one sequence, got shape {tuple(x.shape)}")
        valid = self._valid(lengths, B, T)
        h = x if valid is None else xp.where(valid[:, :, None], x, xp.zeros_like(x))  # padding: never read
        e, u = self._scores(h)                                           # (B, T)
        if valid is not None:
            e = xp.where(valid, e, xp.full_like(e, -math.inf))           # padded steps: exp(-inf) = 0
        z = xp.exp(e - xp.max(e, axis=1, keepdims=True))                 # stable: the largest is exp(0)
        a = z / xp.sum(z, axis=1, keepdims=True)                         # (B, T) softmax over time
        y = xp.sum(a[:, :, None] * h, axis=1)                            # (B, H)
        self._cache = _AttentionCache(h, a, u, valid)
        self.last_attention = a
        return y

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dy : (B, H) array
            Gradient of the loss with respect to ``y``.

        Returns
        -------
        dx : (B, T, H) array
            Exactly zero on padded steps.
        """
        h, a, u, valid = self._require_forward()
        xp = self._check_backend().xp
        B, T, H = h.shape
        dy = validate.float_array("dy", dy, self.dtype)
        validate.shape("dy", dy, (B, H), "(the forward output's shape (batch, hidden))")
        da = h @ dy[:, :, None]                                         # (B, T, 1): dy . h_t
        de = a[:, :, None] * (da - xp.sum(a[:, :, None] * da, axis=1, keepdims=True))  # softmax Jacobian
        dh = a[:, :, None] * dy[:, None, :]                             # y = sum_t a_t h_t
        q = self.params["query"]
        if self.kind == "dot":
            self.grads = {"query": xp.sum(de * h, axis=(0, 1)) / math.sqrt(H)}  # de_t/dq = h_t / sqrt(H)
            dh = dh + de * q / math.sqrt(H)                                  # de_t/dh_t = q / sqrt(H)
        else:
            dpre = (de * q) * (1.0 - u * u)                  # de_t/du_t = q, backprop through tanh
            dpre2 = xp.reshape(dpre, (B * T, H))
            self.grads = {"weight": dpre2.T @ xp.reshape(h, (B * T, H)),   # dL/dW = sum dpre h^T
                          "bias": xp.sum(dpre2, axis=0),
                          "query": xp.sum(de * u, axis=(0, 1))}              # de_t/dq = u_t
            dh = dh + dpre @ self.params["weight"]
        if valid is not None:  # padded steps were never read: exactly zero
            dh = xp.where(valid[:, :, None], dh, xp.zeros_like(dh))
        return dh


class Attention(Module):
    """Each query step attends over the key steps: scaled dot-product attention, the keys as values.

    The attention of an encoder-decoder (Luong et al. 2015's global attention with the
    "dot" score, scaled as Vaswani et al. 2017): the decoder's states are the queries,
    the encoder's states are the keys and the values. For query step t and key step s::

        e_ts = q_t . k_s / sqrt(H)
        a_t  = softmax_s(e_t)          (over the key steps)
        y_t  = sum_s a_ts k_s

    Backward, with ``da_ts = dy_t . k_s`` and the softmax's Jacobian::

        de_ts = a_ts (da_ts - sum_r a_tr da_tr)
        dq_t  = sum_s de_ts k_s / sqrt(H)
        dk_s  = sum_t a_ts dy_t + sum_t de_ts q_t / sqrt(H)   (k is both key and value)

    No parameters: what the queries and keys hold is learned by the layers that make
    them. The last forward's weights stay in :attr:`last_attention` (B, Tq, Tk).

    Parameters
    ----------
    hidden : int
        H, the features of each query and key step.
    dtype : {"float32", "float64"}, default "float32"

    Examples
    --------
    >>> import numpy as np, minilstm
    >>> att = minilstm.nn.Attention(4)
    >>> y = att(np.ones((2, 3, 4)), np.ones((2, 5, 4)))     # 3 query steps, 5 key steps
    >>> y.shape, att.last_attention.shape
    ((2, 3, 4), (2, 3, 5))
    """

    def __init__(self, hidden: int, *, dtype: str = "float32") -> None:
        self.hidden = validate.positive_int("hidden", hidden)
        self.dtype = check_dtype(dtype)
        self.params: dict = {}
        self.grads: dict = {}
        self.last_attention: Any = None
        self._cache: _CrossCache | None = None

    @classmethod
    def param_shapes(cls, hidden: int, **options: Any) -> dict:
        """No parameters (``hidden`` checked as the constructor checks it)."""
        validate.positive_int("hidden", hidden)
        return {}

    def __repr__(self) -> str:
        return f"Attention(hidden={self.hidden}, dtype={self.dtype!r})"

    def _sequences(self, name: str, a: Any) -> Any:
        a = validate.float_array(name, a, self.dtype)
        if a.ndim != 3 or a.shape[-1] != self.hidden or a.shape[0] == 0 or a.shape[1] == 0:
            raise ValueError(f"{name} must be a batch-first 3-D array (batch, time, hidden={self.hidden}) with at "
                             f"least one step and one sequence, got shape {tuple(a.shape)}")
        return a

    def forward(self, query: Any, keys: Any) -> Any:
        """Attend from every query step over the key steps of the same sequence.

        Parameters
        ----------
        query : (B, Tq, H) array
        keys : (B, Tk, H) array
            Also the values.

        Returns
        -------
        y : (B, Tq, H) array
            Each query step's attention-weighted sum of the keys.
        """
        xp = get_backend().xp
        q, k = self._sequences("query", query), self._sequences("keys", keys)
        if k.shape[0] != q.shape[0]:
            raise ValueError(f"keys must have the query's batch size {q.shape[0]}, got shape {tuple(k.shape)}")
        e = q @ permute_dims(k, (0, 2, 1)) / math.sqrt(self.hidden)      # (B, Tq, Tk)
        z = xp.exp(e - xp.max(e, axis=2, keepdims=True))                 # stable: the largest is exp(0)
        a = z / xp.sum(z, axis=2, keepdims=True)                         # softmax over the key steps
        self._cache = _CrossCache(q, k, a)
        self.last_attention = a
        return a @ k                                                     # (B, Tq, H)

    __call__ = forward

    def backward(self, dy: Any) -> tuple[Any, Any]:
        """Backpropagate through the last :meth:`forward`.

        Parameters
        ----------
        dy : (B, Tq, H) array
            Gradient of the loss with respect to ``y``.

        Returns
        -------
        dquery : (B, Tq, H) array
        dkeys : (B, Tk, H) array
        """
        q, k, a = self._require_forward()
        xp = get_backend().xp
        dy = validate.float_array("dy", dy, self.dtype)
        validate.shape("dy", dy, tuple(q.shape), "(the forward output's shape (batch, query steps, hidden))")
        da = dy @ permute_dims(k, (0, 2, 1))                             # (B, Tq, Tk): dy_t . k_s
        de = a * (da - xp.sum(a * da, axis=2, keepdims=True))            # softmax Jacobian
        scale = math.sqrt(self.hidden)
        dq = de @ k / scale                                              # de_ts/dq_t = k_s / sqrt(H)
        at, det = permute_dims(a, (0, 2, 1)), permute_dims(de, (0, 2, 1))
        dk = at @ dy + det @ q / scale                                   # as value, then as key
        return dq, dk
