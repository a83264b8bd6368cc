"""The GRU step, in PyTorch's gate order r, z, n.

Equations, one step, with ``reset_after=True`` (PyTorch, cuDNN and Keras)::

    r  = sigmoid(W_ir x + b_ir + W_hr h_prev + b_hr)
    z  = sigmoid(W_iz x + b_iz + W_hz h_prev + b_hz)
    hn = W_hn h_prev + b_hn
    n  = tanh(W_in x + b_in + r * hn)
    h  = (1 - z) * n + z * h_prev

With ``reset_after=False`` (Cho et al. 2014) the reset gate acts before the product::

    hn = W_hn (r * h_prev) + b_hn
    n  = tanh(W_in x + b_in + hn)

With recurrent dropout, ``h_prev`` inside the products (not in the last
line) is ``h_prev * mask``, as in Keras.
Shapes: B batch, H hidden units; ``xw`` (B, 3H) is the input's share of the
pre-activations, ``W_ih x + b_ih`` plus ``b_hr, b_hz`` (the time loop makes every
step's in one product; ``b_hn`` stays in the step, inside ``hn``); every other
array is (B, H).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..backend import concat, namespace, with_out
from .common import (
    CellParams,
    StepGrads,
    dropped,
    dsigmoid,
    dtanh,
    join_gates,
    no_buffers,
    sigmoid,
    split_gates,
    tanh,
)


class GRUCache(NamedTuple):
    """One step's arrays, each (B, H) (the time loop keeps (T, B, H) of each): the state before the step,
    its gates and the products' terms, the state after it."""

    h_prev: Any
    r: Any       # reset gate
    z: Any       # update gate
    n: Any       # candidate
    hn: Any      # the n block's recurrent term
    rh: Any      # r * h_prev, the n block's product input (reset_after=False; None with reset_after)
    h: Any       # new hidden state


NO_BUFFERS = no_buffers(GRUCache)  # as a step forward's out: every array a new one


@dataclass(frozen=True, kw_only=True)
class GRUStep:
    """The GRU's step pair: three gate blocks (r, z, n), state ``(h,)``; options keyword-only."""

    reset_after: bool = True

    gates = ("r", "z", "n")
    state_names = ("h",)

    def __post_init__(self) -> None:
        if not isinstance(self.reset_after, bool):
            raise TypeError(f"reset_after must be True or False, got {self.reset_after!r}")

    @property
    def kept(self) -> tuple:
        """The arrays of a step the time loop keeps, beside the state."""
        return ("r", "z", "n", "hn") if self.reset_after else ("r", "z", "n", "hn", "rh")

    def input_bias(self, p: CellParams) -> Any:
        """``b_ih`` plus ``b_hr, b_hz`` (they add straight onto r's and z's pre-activations)."""
        xp = namespace(p.bias_hh)
        b_hr, b_hz, b_hn = split_gates(p.bias_hh, 3)
        return p.bias_ih + join_gates((b_hr, b_hz, xp.zeros_like(b_hn)))

    def cache_of(self, prev: tuple, new: tuple, kept: tuple) -> GRUCache:
        """The cache over the time loop's buffers: the state before and after the step, and ``kept``.

        Each array is (B, H) for one step or (T, B, H) for the whole sequence.
        """
        (h_prev,), (h,), (r, z, n, hn, *rh) = prev, new, kept
        return GRUCache(h_prev, r, z, n, hn, rh[0] if rh else None, h)

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: GRUCache = NO_BUFFERS
                     ) -> tuple[tuple, GRUCache]:
        """One step: the new state ``(h,)`` and the cache, from ``xw`` (B, 3H) and ``(h_prev,)``.

        Each array is written into its field of ``out`` (the time loop's buffers), or is a new one.
        """
        xp = with_out(namespace(xw))  # its functions take out= on every backend
        (h_prev,) = state
        h_in = dropped(h_prev, p)
        x_r, x_z, x_n = split_gates(xw, 3)                  # b_hr, b_hz are in xw
        b_hn = _rows(p.bias_hh, 2, 3)
        if self.reset_after:                                # one product serves all three blocks
            h_r, h_z, h_n = split_gates(h_in @ p.weight_hh.T, 3)
        else:                                               # W_hn waits for r
            h_r, h_z = split_gates(h_in @ _rows(p.weight_hh, 0, 2).T, 2)
        r = sigmoid(x_r + h_r, out=out.r)
        z = sigmoid(x_z + h_z, out=out.z)
        if self.reset_after:
            rh = None
            hn = xp.add(h_n, b_hn, out=out.hn)
            n = tanh(x_n + r * hn, out=out.n)
        else:
            rh = xp.multiply(r, h_in, out=out.rh)
            hn = xp.add(rh @ _rows(p.weight_hh, 2, 3).T, b_hn, out=out.hn)
            n = tanh(x_n + hn, out=out.n)
        h = xp.add((1.0 - z) * n, z * h_prev, out=out.h)
        return (h,), GRUCache(h_prev, r, z, n, hn, rh, h)

    def step_backward(self, dstate: tuple, cache: GRUCache, p: CellParams, out: Any = None) -> StepGrads:
        """The gradients of one step from ``(dh,)`` (B, H), that flowing into its new state.

        ``dxw`` (B, 3H) is written into ``out`` if given.
        """
        (dh,) = dstate
        h_prev, r, z, n, hn, _, _ = cache
        h_in = dropped(h_prev, p)
        da_n = dh * (1.0 - z) * dtanh(n)          # h = (1 - z) * n + z * h_prev, n = tanh(a_n)
        da_z = dh * (h_prev - n) * dsigmoid(z)    # h = (1 - z) * n + z * h_prev, z = sigmoid(a_z)
        if self.reset_after:
            dhn = da_n * r                        # a_n = x_n + r * hn
            da_r = da_n * hn * dsigmoid(r)        # a_n = x_n + r * hn,            r = sigmoid(a_r)
            dhw = join_gates((da_r, da_z, dhn))   # the recurrent products' share: hn's block is dhn
            dh_in = dhw @ p.weight_hh             # (h_r, h_z, hn - b_hn) = W_hh h_in
        else:
            W_hr, W_hz, W_hn = (_rows(p.weight_hh, k, k + 1) for k in range(3))
            dhn = da_n                            # a_n = x_n + hn
            drh = dhn @ W_hn                      # hn = W_hn rh + b_hn
            da_r = drh * h_in * dsigmoid(r)       # rh = r * h_in,                 r = sigmoid(a_r)
            dhw = join_gates((da_r, da_z, dhn))
            dh_in = da_r @ W_hr + da_z @ W_hz + drh * r  # h_r = W_hr h_in, h_z = W_hz h_in, rh = r * h_in
        dxw = join_gates((da_r, da_z, da_n), out=out)  # (B, 3H): the input's share, xw = W_ih x + ...
        dh_prev = dh * z + dropped(dh_in, p)      # h = ... + z * h_prev, and h_in = h_prev * mask
        return StepGrads(dxw, dhw, (dh_prev,))

    def param_grads(self, x: Any, dxw: Any, caches: GRUCache, p: CellParams) -> dict:
        """Parameter gradients from ``x`` (T, B, D), every step's ``dxw`` (T, B, 3H) and the sequence's cache.

        The n block's recurrent gradient ``dhn`` is made again here for all steps at once, from ``dxw``
        and ``r``, so that the time loop keeps one gradient array, not two.
        """
        xp = namespace(x)
        T, B, D = x.shape

        def rows(a: Any) -> Any:  # (T, B, K) -> (T*B, K)
            return xp.reshape(a, (T * B, a.shape[-1]))
        h_in = rows(dropped(caches.h_prev, p))
        da_r, da_z, da_n = split_gates(rows(dxw), 3)
        if self.reset_after:
            dhn, n_in = da_n * rows(caches.r), h_in          # hn = W_hn h_in + b_hn, inside r * hn
        else:
            dhn, n_in = da_n, rows(caches.rh)                # hn = W_hn (r * h_in) + b_hn
        dxw2 = rows(dxw)
        return {
            "weight_ih": dxw2.T @ rows(x),
            "weight_hh": concat([da_r.T @ h_in, da_z.T @ h_in, dhn.T @ n_in], axis=0),
            "bias_ih": xp.sum(dxw2, axis=0),
            "bias_hh": concat([xp.sum(da_r, axis=0), xp.sum(da_z, axis=0), xp.sum(dhn, axis=0)], axis=0),
        }


def _rows(w: Any, first: int, last: int) -> Any:
    """Gate blocks ``first`` to ``last - 1`` of a fused (3H, ...) weight or (3H,) bias, as one view."""
    H = w.shape[0] // 3
    return w[first * H:last * H, ...]

