"""Backpropagation through time, written once for every cell.

Shape letters: T time steps, B batch, D input features, H hidden units,
G gate blocks of the cell. Sequences are time-major, ``(T, B, D)``.

A cell is any object with

- ``gates`` (its G gate blocks), ``state_names`` (``("h",)`` or ``("h", "c")``)
  and ``kept``, the names of the (B, H) arrays of a step it needs kept beside
  its states;
- ``input_bias(p) -> (G*H,)``, the biases that add straight onto the
  pre-activations, which the loop folds into the input projection;
- ``cache_of(prev, new, kept) -> cache``, its cache over the loop's buffers: the
  states before and after a step and the ``kept`` arrays, rows of one step or
  whole (T, B, H) sequences;
- ``step_forward(xw, state, p, out) -> (state, cache)``, writing each array into
  its field of ``out``;
- ``step_backward(dstate, cache, p, out) -> StepGrads``, writing ``dxw`` into ``out``;
- ``param_grads(x, dxw, caches, p) -> dict`` over all steps at once

(see :mod:`minilstm.cells`). The loop is fast by structure: the input
projections of a chunk of steps (512 rows of steps times batch) are one matrix
product before those steps, and the input and weight gradients of a chunk are
stacked matrix products after its backward steps; inside the loop only the
recurrent product and the elementwise gate maths remain. Nothing is copied per
step: the loop makes its buffers once, (T+1, B, H) histories of the states (row
0 the initial state, row t+1 the state after step t) and a (T, B, H) buffer per
``kept`` array, and each step writes into its rows; the sequence's cache is
views of them. Backward leaves that cache as forward made it: each step writes
its ``dxw`` into a chunk's buffer of its own.

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
    steps: Any   # the cell's cache of the whole sequence, every array field (T, B, H): views of the loop's buffers
    mask: Any    # (T, B, 1) ones on real steps, zeros on padding; None: no padding


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
    # the biases that add straight onto the pre-activations go into the input projection (RNN and LSTM:
    # b_ih + b_hh). Adding b_hh in every step instead took 1.06-1.09x as long in inference and 1.03-1.05x
    # in training (ab_cells_tricks.txt): under 10 %, but inference would then be slower than before
    bias = cell.input_bias(p)
    chunk = _chunk(T, B)
    # the recurrent product reads a contiguous W_hh.T. Without it (ab_speed.py, one process, 21 rounds;
    # benchmarks/results/ab_cells_tricks.txt) inference took 1.18x (LSTM) and 1.10x (GRU) as long at
    # H = 64, 1.04-1.07x at H = 256, and a training step 1.02-1.09x
    p_step = p._replace(weight_hh=_contiguous_t(p.weight_hh))
    # the state histories: every row for backward; in inference h's (the output) and two rows of c
    lengths = tuple([T + 1 if keep or k == 0 else 2 for k in range(len(state))])
    states = tuple([_history(n, s) for n, s in zip(lengths, state)])
    kept = tuple([_empty((T if keep else 1,) + tuple(state[0].shape), state[0]) for _ in cell.kept])
    for t in range(T):
        if t % chunk == 0:
            xw = None  # the last chunk's buffer goes before the next is made
            xw = _project(x[t:min(t + chunk, T), ...], p.weight_ih, bias)  # (chunk, B, G*H)
        prev = tuple([s[t % n, ...] for s, n in zip(states, lengths)])  # the step's rows of the buffers
        new = tuple([s[(t + 1) % n, ...] for s, n in zip(states, lengths)])
        out = cell.cache_of(prev, new, tuple([k[t % k.shape[0], ...] for k in kept]))
        cell.step_forward(xw[t % chunk, ...], prev, p_step, out=out)
        if mask is not None:  # padded steps keep the previous state
            m = mask[t, ...] > 0
            for s_new, s_old in zip(new, prev):
                s_new[...] = xp.where(m, s_new, s_old)
    hs = states[0][1:, ...]
    if mask is not None:
        hs = xp.where(mask > 0, hs, xp.zeros_like(hs))
    final = tuple([s[T % n, ...] for s, n in zip(states, lengths)])
    if not keep:
        return hs, final, None
    steps = cell.cache_of(tuple([s[:-1, ...] for s in states]), tuple([s[1:, ...] for s in states]), kept)
    return hs, final, SequenceCache(x, steps, mask)


def backward(cell: Any, dhs: Any, dstate: tuple, cache: SequenceCache, p: CellParams,
             on_step: Callable[[int, tuple], None] | None = None) -> tuple[Any, tuple, dict]:
    """Backpropagate through the sequence that :func:`forward` ran.

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
    x, steps, mask = cache
    T, B, D = x.shape
    arrays = tuple([_is_array(field) for field in steps])
    chunk = _chunk(T, B)
    dx = _empty((T, B, D), dhs)
    dxw = _empty((chunk, B, p.weight_ih.shape[0]), dhs)  # the gradients of a chunk's input projections
    grads = None
    for t in range(T - 1, -1, -1):
        step = steps._make([f[t, ...] if a else f for f, a in zip(steps, arrays)])
        dnew = (dstate[0] + dhs[t, ...],) + tuple(dstate[1:])  # h_t feeds the output too
        if mask is not None:  # only real steps reach the cell; padding passes the state on
            m = mask[t, ...] > 0
            dnew, dpass = tuple([xp.where(m, d, xp.zeros_like(d)) for d in dnew]), \
                tuple([xp.where(m, xp.zeros_like(d), d) for d in dstate])
        if on_step is not None:
            on_step(t, dnew)
        g = cell.step_backward(dnew, step, p, out=dxw[t % chunk, ...])
        dstate = g.dstate if mask is None else tuple([a + b for a, b in zip(g.dstate, dpass)])
        if t % chunk == 0:  # the chunk's first step: its input and weight gradients, as stacked products
            done = slice(t, min(t + chunk, T))
            dxw_done = dxw[:done.stop - t, ...]
            dx[done, ...] = _project(dxw_done, p.weight_ih.T, None)
            g_done = cell.param_grads(x[done, ...], dxw_done, steps._make([f[done, ...] if a else f for f, a in
                                                                            zip(steps, arrays)]), p)
            if grads is None:
                grads = g_done
            else:  # in place, and the chunk's gradients dropped before the next chunk's are made: two
                for k, v in g_done.items():  # weight-sized sets at the peak, not four
                    grads[k] += v
            g_done = None
    return dx, dstate, grads


def _chunk(T: int, B: int) -> int:
    """How many steps' input projections (forward) or their gradients (backward) one buffer holds."""
    return min(T, max(1, _CHUNK_ROWS // B))


# rows (steps x batch) of a chunk's input projection or its gradient: a GEMM still as fast per row as the
# whole sequence's, while the buffer is a fraction of it
_CHUNK_ROWS = 512


def _project(x: Any, w: Any, b: Any = None) -> Any:
    """``x @ w.T + b`` for a chunk of steps at once: (T, B, D) -> (T, B, K), ``w`` (K, D)."""
    xp = namespace(x)
    T, B, D = x.shape
    xw = xp.reshape(x, (T * B, D)) @ w.T
    if b is not None:
        xw = with_out(xp).add(xw, b, out=xw)  # in place: one (T, B, K) array at the peak, not two
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
