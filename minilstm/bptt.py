"""Backpropagation through time, written once for every cell.

Shape letters: T time steps, B batch, D input features, H hidden units,
G gate blocks of the cell. Sequences are time-major, ``(T, B, D)``.

A cell is any object with ``input_bias(p) -> (G*H,)``,
``step_forward(xw, state, p) -> (state, cache)``,
``step_backward(dstate, cache, p) -> StepGrads`` and
``param_grads(x, dxw, dhw, caches, p) -> dict`` (see :mod:`minilstm.cells`).
The loop is fast by structure: the input projections of all steps (with every
bias that adds straight onto a pre-activation) are one matrix product before
the loop, and the input and weight gradients are stacked matrix products after
it; inside the loop only the recurrent product and the elementwise gate maths
remain.

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

from .backend import check_dtype, get_backend, namespace
from .cells.common import CellParams


class SequenceCache(NamedTuple):
    """What :func:`backward` needs from :func:`forward`."""

    x: Any       # (T, B, D) the input sequence
    steps: Any   # the cell's step cache, every field stacked to (T, B, ...)
    mask: Any    # (T, B, 1) ones on real steps, zeros on padding; None: no padding


def forward(cell: Any, x: Any, state: tuple, p: CellParams, mask: Any = None
            ) -> tuple[Any, tuple, SequenceCache]:
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

    Returns
    -------
    hs : (T, B, H) array
        The hidden state after every step (zero on padded steps).
    state : tuple of (B, H) arrays
        The final state.
    cache : SequenceCache
    """
    xp = namespace(x)
    T = x.shape[0]
    if mask is not None:  # whatever the padding holds, the cell sees zeros there (its cache stays finite)
        x = xp.where(mask > 0, x, xp.zeros_like(x))
    xw = _project(x, p.weight_ih, cell.input_bias(p))  # (T, B, G*H)
    for t in range(T):
        new, cache = cell.step_forward(xw[t, ...], state, p)
        if mask is not None:  # padded steps keep the previous state
            m = mask[t, ...] > 0
            new = tuple(xp.where(m, n, s) for s, n in zip(state, new))
        state = new
        if t == 0:  # the first step gives the shapes of the sequence's buffers, made once
            hs, steps = _buffer(T, state[0]), type(cache)(*(_buffer(T, field) for field in cache))
        hs[t, ...] = state[0] if mask is None else xp.where(mask[t, ...] > 0, state[0], xp.zeros_like(state[0]))
        for buf, field in zip(steps, cache):
            if _is_array(field):
                buf[t, ...] = field
    return hs, state, SequenceCache(x, steps, mask)


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
    dxw = dhw = None  # (T, B, G*H) buffers for every step's projection gradients
    for t in range(T - 1, -1, -1):
        step = type(steps)(*(field[t, ...] if _is_array(field) else field for field in steps))
        dnew = (dstate[0] + dhs[t, ...],) + tuple(dstate[1:])  # h_t feeds the output too
        if mask is not None:  # only real steps reach the cell; padding passes the state on
            m = mask[t, ...] > 0
            dnew, dpass = tuple(xp.where(m, d, xp.zeros_like(d)) for d in dnew), \
                tuple(xp.where(m, xp.zeros_like(d), d) for d in dstate)
        if on_step is not None:
            on_step(t, dnew)
        g = cell.step_backward(dnew, step, p)
        if dxw is None:  # made once; RNN and LSTM give one array for both (one pre-activation)
            dxw = _buffer(T, g.dxw)
            dhw = dxw if g.dhw is g.dxw else _buffer(T, g.dhw)
        dxw[t, ...] = g.dxw
        if dhw is not dxw:
            dhw[t, ...] = g.dhw
        dstate = g.dstate if mask is None else tuple(a + b for a, b in zip(g.dstate, dpass))
    GH = dxw.shape[-1]
    dx = xp.reshape(xp.reshape(dxw, (T * B, GH)) @ p.weight_ih, (T, B, D))
    return dx, dstate, cell.param_grads(x, dxw, dhw, steps, p)


def _project(x: Any, w: Any, b: Any) -> Any:
    """``x @ w.T + b`` for all steps at once: (T, B, D) -> (T, B, G*H)."""
    xp = namespace(x)
    T, B, D = x.shape
    return xp.reshape(xp.reshape(x, (T * B, D)) @ w.T + b, (T, B, w.shape[0]))


def _buffer(T: int, a: Any) -> Any:
    """A (T, ...) array of zeros to hold ``a`` of every step, on the active backend; a constant as it is."""
    if not _is_array(a):
        return a
    return get_backend().zeros((T,) + tuple(a.shape), check_dtype(a.dtype))


def _is_array(a: Any) -> bool:
    """True for an array of any backend, False for a cache's constant (a Python number)."""
    return hasattr(a, "shape")
