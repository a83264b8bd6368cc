"""Backpropagation through time, written once for every cell.

Shape letters: T time steps, B batch, D input features, H hidden units,
G gate blocks of the cell. Sequences are time-major, ``(T, B, D)``.

A cell is any object with ``input_bias(p) -> (G*H,)``,
``step_forward(xw, state, p, out) -> (state, cache)``,
``step_backward(dstate, cache, p, out) -> StepGrads``,
``sequence_cache(xw, states, kept, p) -> cache``, a tuple ``kept`` of the
per-step arrays it needs beyond its gates and state, and
``param_grads(x, dxw, dhw, caches, p) -> dict`` (see :mod:`minilstm.cells`;
``dhw`` is ``None`` when the steps kept their recurrent gradient in the cache).
The loop is fast by structure: the input projections of all steps (with every
bias that adds straight onto a pre-activation) are one matrix product before
the loop, and the input and weight gradients are stacked matrix products after
it; inside the loop only the recurrent product and the elementwise gate maths
remain. Nothing is copied per step: each step writes its gates over its row of
the projection, and its state (and ``kept`` arrays) into ``out``, rows of
(T+1, B, H) histories; the sequence's cache is views of those buffers, and
backward writes each step's gate gradients over its gates. Measured against
the loop that stored a copy of every cache field per step (LSTM, float32, one
thread, CPU time): training step 0.89x at H=256, 0.83x at H=512, inference
0.74x at H=256; a training step's peak memory 2.7 -> 1.4x the cache's minimum.

A cache field may be a Python number instead of an array (a gate a cell
variant does not have is the constant 1); it is kept as it is, not stacked.

Padded batches: an optional ``mask`` (T, B, 1) of ones (real steps) and zeros
(padding) freezes each sequence's state over its padded steps and zeroes its
output there, so padded steps contribute exactly zero gradient::

    s_t   = cell(x_t, s_{t-1}) if m_t else s_{t-1}
    out_t = h_t if m_t else 0

Padding is selected away (``where``), never multiplied by zero, and its inputs
are zeroed before the input projection: ``0 * nan`` is ``nan``, so NaN or Inf
in the padding would otherwise reach a sequence's state and every gradient.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .backend import check_dtype, get_backend, namespace, with_out
from .cells.common import CellParams


class SequenceCache(NamedTuple):
    """What :func:`backward` needs from :func:`forward`."""

    x: Any       # (T, B, D) the input sequence
    steps: Any   # the cell's sequence cache, every field (T, B, ...) (views into the buffers below)
    mask: Any    # (T, B, 1) ones on real steps, zeros on padding; None: no padding
    work: Any    # (T, B, G*H) the projections' buffer: the gates after forward, their gradients after backward


def forward(cell: Any, x: Any, state: tuple, p: CellParams, mask: Any = None, keep: bool = True
            ) -> tuple[Any, tuple, SequenceCache | None]:
    """Run ``cell`` over a sequence.

    Parameters
    ----------
    cell : cell object
    x : (T, B, D) array
    state : tuple of (B, H) arrays
        The initial state, ``(h0,)`` or ``(h0, c0)``.
    p : CellParams
    mask : (T, B, 1) array, optional
        Ones on real steps, zeros on padded ones.
    keep : bool, default True
        Keep what :func:`backward` needs; False (inference) keeps nothing and
        returns ``None`` for the cache.

    Returns
    -------
    hs : (T, B, H) array
        The hidden state after every step (zero on padded steps).
    state : tuple of (B, H) arrays
        The final state.
    cache : SequenceCache or None
    """
    xp = namespace(x)
    T, B, _ = x.shape
    if mask is not None:  # whatever the padding holds, the cell sees zeros there (its cache stays finite)
        x = xp.where(mask > 0, x, xp.zeros_like(x))
    bias = cell.input_bias(p)
    # inference projects a chunk of steps at a time (its buffer is not kept); training all at once
    chunk = T if keep else min(T, max(1, _CHUNK_ROWS // B))
    # the recurrent product reads a contiguous W_hh.T: about 10 % off each step's GEMM at H = 256-512
    p_step = p._replace(weight_hh=_contiguous_t(p.weight_hh))
    # state histories (T+1, B, H): row 0 the initial state, row t+1 the state after step t, written in place
    # by the cell; they are the cache's states, so no step copies anything. Inference keeps two rows of c.
    states = tuple(_history(T + 1 if keep or k == 0 else 2, s) for k, s in enumerate(state))
    kept = tuple(_empty((T if keep else 1,) + tuple(state[0].shape), state[0]) for _ in cell.kept)
    rows = tuple(s.shape[0] for s in states)
    for t in range(T):
        if t % chunk == 0:
            work = None  # the last chunk's buffer goes before the next is made
            work = _project(x[t:min(t + chunk, T), ...], p.weight_ih, bias)  # (chunk, B, G*H)
        prev = tuple([s[t % n, ...] for s, n in zip(states, rows)])  # a list comprehension: 1.1 us, a generator 1.3
        out = tuple([s[(t + 1) % n, ...] for s, n in zip(states, rows)] + [k[t % k.shape[0], ...] for k in kept])
        cell.step_forward(work[t % chunk, ...], prev, p_step, out=out)  # gates over xw, state into out
        if mask is not None:  # padded steps keep the previous state
            m = mask[t, ...] > 0
            for new, old in zip(out, prev):
                new[...] = xp.where(m, new, old)
    hs = states[0][1:, ...]
    if mask is not None:
        hs = xp.where(mask > 0, hs, xp.zeros_like(hs))
    final = tuple(s[T % n, ...] for s, n in zip(states, rows))
    if not keep:
        return hs, final, None
    return hs, final, SequenceCache(x, cell.sequence_cache(work, states, kept, p), mask, work)


def backward(cell: Any, dhs: Any, dstate: tuple, cache: SequenceCache, p: CellParams,
             on_step: Callable[[int, tuple], None] | None = None) -> tuple[Any, tuple, dict]:
    """Backpropagate through the sequence that :func:`forward` ran.

    The gates' gradients are written over the gates (each step's are dead once
    its backward is done), so a cache serves one backward.

    Parameters
    ----------
    cell : cell object
    dhs : (T, B, H) array
        Gradient of the loss with respect to every step's hidden state.
    dstate : tuple of (B, H) arrays
        Gradient with respect to the final state (zeros if it was not used).
    cache : SequenceCache
    p : CellParams
    on_step : callable, optional
        ``on_step(t, ds)`` sees, at every step from the last to the first, the
        gradient ``ds`` (a tuple of (B, H) arrays, ``(dh,)`` or ``(dh, dc)``) of
        the loss with respect to the state *after* step ``t``, just before the
        step's backward uses it (zero on padded steps). It is how
        :mod:`minilstm.inspect` reads gradient flow without a second BPTT.

    Returns
    -------
    dx : (T, B, D) array
    dstate0 : tuple of (B, H) arrays
        Gradient with respect to the initial state.
    grads : dict
        Parameter gradients keyed like :class:`CellParams` fields.
    """
    xp = namespace(dhs)
    x, steps, mask, dxw = cache  # dxw: the gates' buffer, each step's gradient written over its gates
    T, B, D = x.shape
    arrays = tuple(_is_array(field) for field in steps)
    own_dhw = None  # (T, B, G*H) only for a cell that hands back a recurrent gradient unlike dxw
    for t in range(T - 1, -1, -1):
        step = steps._make([f[t, ...] if a else f for f, a in zip(steps, arrays)])
        dnew = (dstate[0] + dhs[t, ...],) + tuple(dstate[1:])  # h_t feeds the output too
        if mask is not None:  # only real steps reach the cell; padding passes the state on
            m = mask[t, ...] > 0
            dnew, dpass = tuple(xp.where(m, d, xp.zeros_like(d)) for d in dnew), \
                tuple(xp.where(m, xp.zeros_like(d), d) for d in dstate)
        if on_step is not None:
            on_step(t, dnew)
        slot = dxw[t, ...]
        g = cell.step_backward(dnew, step, p, out=slot)
        if g.dxw is not slot:
            slot[...] = g.dxw
        if g.dhw is not None and g.dhw is not g.dxw:
            if own_dhw is None:
                own_dhw = _empty((T,) + tuple(g.dhw.shape), g.dhw)
            own_dhw[t, ...] = g.dhw
        dstate = g.dstate if mask is None else tuple(a + b for a, b in zip(g.dstate, dpass))
    GH = dxw.shape[-1]
    dx = xp.reshape(xp.reshape(dxw, (T * B, GH)) @ p.weight_ih, (T, B, D))
    # dhw None: the cell kept its recurrent gradient in its cache (the GRU's dhn, over hn)
    dhw = own_dhw if own_dhw is not None else (None if g.dhw is None else dxw)
    return dx, dstate, cell.param_grads(x, dxw, dhw, steps, p)


# rows (steps x batch) of an inference chunk's input projection: a GEMM still as fast per row as the
# whole sequence's, while the buffer is a fraction of it
_CHUNK_ROWS = 512


def _project(x: Any, w: Any, b: Any) -> Any:
    """``x @ w.T + b`` for all steps at once: (T, B, D) -> (T, B, G*H)."""
    xp = namespace(x)
    T, B, D = x.shape
    xw = xp.reshape(x, (T * B, D)) @ w.T
    xw = with_out(xp).add(xw, b, out=xw)  # in place: one (T, B, G*H) array at the peak, not two
    return xp.reshape(xw, (T, B, w.shape[0]))


def _contiguous_t(w: Any) -> Any:
    """``w`` as a view of a contiguous copy of ``w.T``: ``h @ result.T`` reads memory in order."""
    wt = _empty(tuple(w.T.shape), w)  # row-major on every backend; filled by the copy below
    wt[...] = w.T
    return wt.T


def _history(rows: int, s0: Any) -> Any:
    """A (rows, B, H) buffer for a state over time, not zero-filled, with ``s0`` in row 0."""
    out = _empty((rows,) + tuple(s0.shape), s0)
    out[0, ...] = s0
    return out


def _empty(shape: tuple, like: Any) -> Any:
    """An uninitialised array of ``shape`` (every element is written before it is read), dtype of ``like``."""
    return get_backend().empty(shape, check_dtype(like.dtype))


def _is_array(a: Any) -> bool:
    """True for an array of any backend, False for a cache's constant (a Python number)."""
    return hasattr(a, "shape")
