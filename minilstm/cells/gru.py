"""The GRU step, in PyTorch's gate order r, z, n.

Equations, one step, with ``reset_after=True`` (PyTorch, cuDNN and Keras)::

    r = sigmoid(W_ir x + b_ir + W_hr h_prev + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h_prev + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h_prev + b_hn))
    h = (1 - z) * n + z * h_prev

With ``reset_after=False`` (Cho et al. 2014) the reset gate acts before the product::

    n = tanh(W_in x + b_in + W_hn (r * h_prev) + b_hn)

With recurrent dropout, ``h_prev`` inside the products (not in the last
line) is ``h_prev * mask``, as in Keras.
Shapes: xw (B, 3H) is the precomputed ``W_ih x + b_ih`` plus ``b_hr, b_hz``
(``b_hn`` stays in the step: with ``reset_after`` it sits inside ``r * (...)``); h (B, H).
The step writes r, z and n over ``xw`` and, given ``out``, ``h`` and ``hn`` into
the time loop's buffers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from ..backend import concat, namespace, with_out
from .common import (
    CellParams,
    StepGrads,
    dropped,
    gate_slopes,
    join_gates,
    sigmoid,
    split_gates,
    tanh,
)


class GRUCache(NamedTuple):
    h_prev: Any  # (B, H)
    h_in: Any    # (B, H) the recurrent products' input, h_prev (times the dropout mask)
    r: Any       # (B, H) reset gate
    z: Any       # (B, H) update gate
    n: Any       # (B, H) candidate
    hn: Any      # (B, H) W_hn h_in + b_hn (reset_after) or W_hn (r * h_in) + b_hn
    rh: Any = None  # (B, H) r * h_in, the n block's product input (reset_after=False; r is gone after backward)
    fused: Any = None  # (B, 3H) r, z, n side by side (r, z, n above are views of it)


def _rz_n(a: Any, axis: int = -1) -> tuple:
    """The r and z blocks side by side (2H), and the n block (H), of a fused 3H axis (last or first)."""
    H = a.shape[axis] // 3
    if axis == 0:   # the rows of a weight matrix (3H, H)
        return a[:2 * H, ...], a[2 * H:, ...]
    return a[..., :2 * H], a[..., 2 * H:]


@dataclass(frozen=True, kw_only=True)
class GRUStep:
    """The GRU's step pair: three gate blocks (r, z, n), state ``(h,)``; options keyword-only."""

    reset_after: bool = True

    gates = ("r", "z", "n")
    state_names = ("h",)

    def __post_init__(self) -> None:
        if not isinstance(self.reset_after, bool):
            raise TypeError(f"reset_after must be True or False, got {self.reset_after!r}")

    def input_bias(self, p: CellParams) -> Any:
        """``b_ih`` plus ``b_hr, b_hz`` (they add straight onto r's and z's pre-activations)."""
        xp = namespace(p.bias_hh)
        b_hr, b_hz, b_hn = split_gates(p.bias_hh, 3)
        return p.bias_ih + join_gates((b_hr, b_hz, xp.zeros_like(b_hn)))

    @property
    def kept(self) -> tuple:
        """Per-step arrays the backward needs beyond the gates and the state (the loop keeps their buffers)."""
        return ("hn",) if self.reset_after else ("hn", "rh")

    def step_forward(self, xw: Any, state: tuple, p: CellParams, out: tuple = (None, None, None)
                     ) -> tuple[tuple, GRUCache]:
        """One step: ``(h,)`` and its cache from ``xw`` (B, 3H) and ``(h_prev,)``; ``h`` and the
        :attr:`kept` arrays into ``out`` if given."""
        xp = with_out(namespace(xw))  # its functions take out= on every backend
        (h_prev,) = state
        h_out, hn_out, rh_out = (*out, None)[:3]  # rh only with reset_after=False
        rh = None
        xrz, xn = _rz_n(xw)                      # b_hr, b_hz are inside xw
        _, b_hn = _rz_n(p.bias_hh)
        h_in = dropped(h_prev, p)
        if self.reset_after:                     # one product serves all three blocks
            hrz, hn = _rz_n(h_in @ p.weight_hh.T)
            r, z = split_gates(sigmoid(xp.add(xrz, hrz, out=xrz), out=xrz), 2)  # r, z in one pass
            hn = xp.add(hn, b_hn, out=hn_out)
            n = tanh(xp.add(xn, r * hn, out=xn), out=xn)
        else:                                    # r comes first: W_hn sees r * h_in
            W_hrz, W_hn = _rz_n(p.weight_hh, axis=0)
            r, z = split_gates(sigmoid(xp.add(xrz, h_in @ W_hrz.T, out=xrz), out=xrz), 2)
            rh = xp.multiply(r, h_in, out=rh_out)
            hn = xp.add(rh @ W_hn.T, b_hn, out=hn_out)
            n = tanh(xp.add(xn, hn, out=xn), out=xn)
        h = xp.add(n, z * (h_prev - n), out=h_out)  # (1 - z) * n + z * h_prev, with one product less
        return (h,), GRUCache(h_prev, h_in, r, z, n, hn, rh, xw)

    def sequence_cache(self, xw: Any, states: tuple, kept: tuple, p: CellParams) -> GRUCache:
        """The cache of a whole sequence, as views: r, z, n (T, B, H) from ``xw`` (T, B, 3H), ``h_prev``
        from the (T+1, B, H) history the loop kept, ``hn`` from its kept buffer."""
        (hs,) = states
        r, z, n = split_gates(xw, 3)
        hn, rh = (*kept, None)[:2]
        return GRUCache(hs[:-1, ...], dropped(hs[:-1, ...], p), r, z, n, hn, rh, xw)

    def step_backward(self, dstate: tuple, cache: GRUCache, p: CellParams, out: Any = None) -> StepGrads:
        """Gradients of one step from ``(dh,)`` (B, H) flowing into its output.

        ``dxw`` is written into ``out`` when given (the loop hands the step's gates' own buffer); then
        ``dhn`` is written over ``cache.hn`` and ``dhw`` is ``None`` (see :meth:`param_grads`).
        """
        (dh,) = dstate
        xp = with_out(namespace(dh))
        h_prev, r, z, n = cache.h_prev, cache.r, cache.z, cache.n
        W_hrz, W_hn = _rz_n(p.weight_hh, axis=0)
        # dsigmoid(r), dsigmoid(z), dtanh(n), from the gates' outputs, in one pass over the three
        slope_r, slope_z, slope_n = split_gates(gate_slopes(cache.fused, 3, tanh_block=2), 3)
        dan = dh * (1.0 - z) * slope_n           # h = (1 - z) * n + z * h_prev, through tanh
        daz = dh * (h_prev - n) * slope_z
        dh_prev = dh * z
        if self.reset_after:
            dar = dan * cache.hn * slope_r       # n = tanh(xn + r * hn)
            # in the loop (out given), dhn goes over hn, read just above for the last time: param_grads
            # finds it there, and no (T, B, 3H) buffer of dhw is kept (benchmarks/speed.py: a training step's
            # warm peak 1.36-1.51 -> 0.87-1.08 times the minimum cache)
            dhn = xp.multiply(dan, r, out=None if out is None else cache.hn)
            dhw = join_gates((dar, daz, dhn))
            dh_prev = dh_prev + dropped(dhw @ p.weight_hh, p)
            dxw = join_gates((dar, daz, dan), out=out)  # over the gates: read above for the last time
            if out is not None:
                dhw = None                       # kept in the cache instead
        else:
            drh = dan @ W_hn                     # n = tanh(xn + W_hn (r * h_in) + b_hn)
            dar = drh * cache.h_in * slope_r
            drh_r = drh * r
            dhw = dxw = join_gates((dar, daz, dan), out=out)  # dhn = dan; over the gates, now dead
            dh_prev = dh_prev + dropped(_rz_n(dhw)[0] @ W_hrz + drh_r, p)
        return StepGrads(dxw, dhw, (dh_prev,))

    def param_grads(self, x: Any, dxw: Any, dhw: Any, caches: GRUCache, p: CellParams) -> dict:
        """Parameter gradients from the stacked (T, ...) step caches.

        ``dhw`` (T, B, 3H) is the steps' recurrent gradient, or ``None`` when the time loop ran the
        steps in place: then each step's ``dhn`` is in ``caches.hn``, written over ``hn``.
        """
        xp = namespace(x)
        T, B, H = caches.h_prev.shape

        def rows(a: Any) -> Any:  # (T, B, K) -> (T*B, K)
            return xp.reshape(a, (T * B, a.shape[-1]))
        dxw2, h_in = rows(dxw), rows(caches.h_in)
        dxw_rz, dxw_n = _rz_n(dxw2)
        if dhw is not None:
            dhn = _rz_n(rows(dhw))[1]
        else:
            dhn = rows(caches.hn) if self.reset_after else dxw_n  # without reset_after dhn = dan
        # the n block's recurrent product saw h_in (reset_after) or r * h_in (Cho et al.)
        n_in = h_in if self.reset_after else rows(caches.rh)
        bias_ih = xp.sum(dxw2, axis=0)
        return {
            "weight_ih": dxw2.T @ rows(x),
            "weight_hh": concat([dxw_rz.T @ h_in, dhn.T @ n_in], axis=0),
            "bias_ih": bias_ih,
            "bias_hh": concat([bias_ih[:2 * H], xp.sum(dhn, axis=0)], axis=0),  # b_hr, b_hz act like b_ir, b_iz
        }
