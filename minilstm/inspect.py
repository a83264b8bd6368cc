"""Seeing inside: gates, states, gradient flow and Jacobians, read from the engine's own passes.

Shape letters: L layers, K directions (1 or 2), T time steps, B batch, H hidden
units, D input features, S state size (H, or 2H for the LSTM's (h, c)).

Every function takes a recurrent layer (:class:`~minilstm.RNN`, ``LSTM``, ``GRU``,
``PeepholeLSTM``), a cell module (:class:`~minilstm.LSTMCell`, ..., run step by
step over a sequence) or a :class:`~minilstm.Model` (its recurrent part, after
its embedding). ``x`` is what that object takes: a layer's ``(T, B, D)`` (or
``(B, T, D)`` with ``batch_first``), a cell module's ``(T, B, D)``, a model's
batch-first ``(B, T, F)`` or token ids. What comes back is host NumPy arrays,
time-major and in PyTorch's ``(L*K)`` order, with the time axis in the input's
order for both directions. Nothing here imports matplotlib: :mod:`minilstm.plot`
draws what these functions return.

Everything is taken from the engine's own forward (the step caches that a recurrent
layer's :meth:`~minilstm.nn.Recurrent.forward_record` returns) and backward (its
``on_step`` hook), never from a second copy of the equations, and only through what
the layers expose publicly.
A call runs the object's forward (and backward) once, so it replaces the
object's saved forward; the object's mode is used as it is (call ``.eval()``
first to see it without dropout). A MultiheadAttention's weights per head: :func:`attention_maps`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import inspect_checks as check
from .backend import get_backend, permute_dims, to_numpy
from .inspect_attention import attention_maps  # noqa: F401 (a MultiheadAttention's weights per head)
from .nn.recurrent_base import Recurrent
from .nn.recurrent_cells import Cell

SIGMOID_GATES = ("i", "f", "o", "r", "z")  # gates squashed into (0, 1); the others (g, n, h) into (-1, 1)


@dataclass
class Trace:
    """What one forward pass did, step by step (see :func:`record`).

    Attributes
    ----------
    gates : dict of str to (L*K, T, B, H) array
        Each gate of the cell: ``"i", "f", "g", "o"`` (LSTM family, less any removed
        gate), ``"r", "z", "n"`` (GRU), ``"h"`` (RNN: its one block is its output).
    h : (L*K, T, B, H) array
        The hidden state after every step; the top layer's, directions side by
        side, is the layer's output.
    c : (L*K, T, B, H) array or None
        The cell state after every step (LSTM family).
    mask : (T, B) bool array or None
        True on real steps when ``lengths`` was given; every array above is zero
        on padded steps.
    num_layers, num_directions : int
    """

    gates: dict
    h: np.ndarray
    c: np.ndarray | None
    mask: np.ndarray | None
    num_layers: int
    num_directions: int


@dataclass
class StateGradients:
    """Gradients of a loss with respect to every state and input (see :func:`state_gradients`).

    ``h``, ``c`` (L*K, T, B, H): dL/dh_t and dL/dc_t for the state *after* step t,
    as the time loop carries them (``dh`` includes the output's gradient at t,
    ``dc`` only what comes back from later steps); ``c`` is None without a cell
    state. ``x`` (T, B, D): dL/dx_t. ``h0``, ``c0`` (L*K, B, H): the initial state's.
    ``num_directions``: K.
    """

    h: np.ndarray
    c: np.ndarray | None
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    num_directions: int


@dataclass
class Flow:
    """Batch-mean gradient norms over time (see :func:`gradient_flow`).

    Attributes
    ----------
    dh, dc : (T,) arrays
        ||dL/dh_t|| and ||dL/dc_t|| (``dc`` None without a cell state) for the top
        layer, both directions side by side when bidirectional.
    dx : (T,) array
        ||dL/dx_t|| for the input of the recurrent stack.
    dh_layers, dc_layers : (L, T) arrays
        The same for every layer (``dc_layers`` None without a cell state).
    dh0, dc0 : (L,) arrays
        Norms of the initial state's gradient: the step before step 0.
    at : int
        The step whose output the loss reads (non-negative).
    """

    dh: np.ndarray
    dc: np.ndarray | None
    dx: np.ndarray
    dh_layers: np.ndarray
    dc_layers: np.ndarray | None
    dh0: np.ndarray
    dc0: np.ndarray | None
    at: int

    def lag(self, k: int, state: str = "h") -> float:
        """The top layer's norm ``k`` steps before ``at`` (``k = at + 1`` is the initial state)."""
        per_step, initial = (self.dh, self.dh0) if check.state_name(state) == "h" else (self.dc, self.dc0)
        if per_step is None:
            raise ValueError("state='c' needs a cell state c, and this cell has none (only h)")
        k = check.index_in("k", k, self.at + 2, "lags back from at (at + 1: the initial state)")
        return float(initial[-1] if k == self.at + 1 else per_step[self.at - k])


def record(obj: Any, x: Any, state: Any = None, lengths: Any = None) -> Trace:
    """Run a forward pass and keep every gate and state of every step, layer and direction.

    Parameters
    ----------
    obj : recurrent layer, cell module or Model
    x : the input ``obj`` takes (see the module's docstring)
    state : optional
        The initial state, as ``obj`` takes it (a cell module's as a layer's, with L*K = 1).
    lengths : (B,) ints, optional
        Valid steps of each sequence of a padded batch.

    Returns
    -------
    Trace
    """
    layer, x = _recurrent(obj, x)
    _, _, run = layer.forward_record(x, _layer_state(obj, state), lengths=lengths)
    K, xp = layer.num_directions, get_backend().xp
    valid = None if run.valid is None else to_numpy(run.valid)[..., 0] > 0

    def stack(per_index: list) -> np.ndarray:
        out = np.stack([to_numpy(a) for a in per_index])
        return out if valid is None else np.where(valid[None, :, :, None], out, 0.0)  # select: 0 * nan is nan

    def in_input_order(seq: Any, idx: int, field: str) -> Any:
        a = getattr(seq.steps, field)
        return xp.flip(a, axis=0) if idx % K else a  # the reverse direction ran backwards in time

    gates = {g: stack([in_input_order(s, i, g) for i, s in enumerate(run.seqs)]) for g in layer.cell.gates}
    c = stack([in_input_order(s, i, "c") for i, s in enumerate(run.seqs)]) if "c" in layer.cell.state_names \
        else None
    return Trace(gates, stack(run.hs), c, valid, layer.num_layers, K)


def saturation(trace: Trace, low: float = 0.05, high: float = 0.95, index: int | None = None) -> dict:
    """The share of each gate's values that sit in its tails, over the real steps.

    A sigmoid gate (i, f, o, r, z) counts values below ``low`` and above ``high``; a
    tanh block (g, n, the RNN's h) the same after mapping (-1, 1) onto (0, 1).

    Parameters
    ----------
    trace : Trace
    low, high : float
    index : int, optional
        One (layer, direction) in PyTorch's ``L*K`` order; all of them when None.

    Returns
    -------
    dict of gate name to ``{"low": share, "high": share}``
    """
    low, high = check.tails(low, high)
    if index is not None:
        index = check.index_in("index", index, trace.h.shape[0], "(layer, direction) pairs, L*K")
    out = {}
    for name, values in trace.gates.items():
        v = values if index is None else values[index:index + 1]
        v = v if name in SIGMOID_GATES else (v + 1.0) / 2.0
        real = np.ones(v.shape, bool) if trace.mask is None else np.broadcast_to(trace.mask[None, :, :, None], v.shape)
        n = max(int(real.sum()), 1)
        out[name] = {"low": float(((v < low) & real).sum() / n), "high": float(((v > high) & real).sum() / n)}
    return out


def state_gradients(obj: Any, x: Any, at: int = -1, dout: Any = None, state: Any = None,
                    lengths: Any = None, seed: int = 0) -> StateGradients:
    """Every step's state gradient for the loss ``L = <u, out[at]>``, from one backward pass.

    Parameters
    ----------
    obj : recurrent layer, cell module or Model
    x : the input ``obj`` takes
    at : int, default -1
        The step whose output the loss reads.
    dout : array shaped like the recurrent output, optional
        dL/dout itself, in place of ``<u, out[at]>``.
    state, lengths : optional
        As :func:`record` takes them.
    seed : int
        Seeds ``u``, a random unit vector of size K*H shared by every sequence.

    Returns
    -------
    StateGradients
    """
    layer, x = _recurrent(obj, x)
    seed = check.seed(seed)
    out, _, run = layer.forward_record(x, _layer_state(obj, state), lengths=lengths)
    (T, B, H), LK = run.hs[0].shape, len(run.seqs)
    if dout is None:
        dout = _read_out_at(layer, out, check.step_index(at, T), seed)
    grads = [np.zeros((LK, T, B, H)) for _ in layer.cell.state_names]

    def keep(idx: int, t: int, ds: tuple) -> None:
        t_in = T - 1 - t if idx % layer.num_directions else t  # the input's time order
        for g, d in zip(grads, ds):
            g[idx, t_in] = to_numpy(d)

    dx, ds0 = layer.backward(dout, on_step=keep)
    ds0 = ds0 if isinstance(ds0, tuple) else (ds0,)
    dx = to_numpy(permute_dims(dx, (1, 0, 2)) if layer.batch_first else dx)
    h0, c0 = to_numpy(ds0[0]), (to_numpy(ds0[1]) if len(ds0) > 1 else None)
    return StateGradients(grads[0], grads[1] if len(grads) > 1 else None, dx, h0, c0, layer.num_directions)


def gradient_flow(obj: Any, x: Any, at: int = -1, state: Any = None, seed: int = 0, dout: Any = None,
                  lengths: Any = None) -> Flow:
    """How far back the gradient of ``L = <u, out[at]>`` reaches: its norm at every step.

    ``u`` is a fixed random unit vector (seeded), so the top layer's ``dh[at]`` is 1
    (without lengths). Taken from one backward pass of the engine (see
    :func:`state_gradients`, which returns the gradients themselves).

    Returns
    -------
    Flow
    """
    g = state_gradients(obj, x, at=at, dout=dout, state=state, lengths=lengths, seed=seed)
    K = g.num_directions
    dh_layers = _norms(g.h, K)
    dc_layers = None if g.c is None else _norms(g.c, K)
    dh0 = _norms(g.h0[:, None], K)[:, 0]
    dc0 = None if g.c0 is None else _norms(g.c0[:, None], K)[:, 0]
    dx = np.linalg.norm(g.x, axis=-1).mean(axis=-1)
    return Flow(dh_layers[-1], None if dc_layers is None else dc_layers[-1], dx, dh_layers, dc_layers,
                dh0, dc0, check.step_index(at, g.x.shape[0]))


def jacobian_norms(obj: Any, x: Any, state: Any = None, max_state: int = check.MAX_STATE) -> np.ndarray:
    """Per step, the spectral norm of the state Jacobian ``d s_t / d s_(t-1)``, batch-mean.

    ``s`` is ``h`` (RNN, GRU) or ``(h, c)`` (LSTM family: a 2H x 2H matrix). Each
    Jacobian is built from the cell's own step backward, one call per state unit
    (H or 2H calls per step): meant for teaching sizes. A state size over ``max_state``
    (512: H = 256 for the LSTM family, 512 for the others) is refused, as it would run for
    minutes (H = 1024 did); pass a larger ``max_state`` to run it anyway.

    Returns
    -------
    (L*K, T) array
    """
    layer, x = _recurrent(obj, x)
    check.state_size(len(layer.cell.state_names) * layer.hidden_size, max_state)
    _, _, run = layer.forward_record(x, _layer_state(obj, state))
    be = get_backend()
    (T, B, H), n = run.hs[0].shape, len(layer.cell.state_names)
    out = np.zeros((len(run.seqs), T))
    for idx, (seq, p) in enumerate(zip(run.seqs, run.cells)):
        for t in range(T):
            step = type(seq.steps)(*(f[t, ...] if hasattr(f, "shape") else f for f in seq.steps))
            rows = []
            for j in range(n * H):  # row j of J is the state gradient that a unit vector e_j pulls back
                e = np.zeros((n, B, H))
                e[j // H, :, j % H] = 1.0
                g = layer.cell.step_backward(tuple(be.asarray(part, layer.dtype) for part in e), step, p)
                rows.append(np.concatenate([to_numpy(d) for d in g.dstate], axis=-1))
            J = np.stack(rows, axis=1)  # (B, S, S)
            out[idx, T - 1 - t if idx % layer.num_directions else t] = np.linalg.norm(J, 2, axis=(1, 2)).mean()
    return out


@dataclass
class Spectrum:
    """Singular values of each recurrent weight block, against Pascanu et al. (2013)'s bound.

    Attributes
    ----------
    singular_values : dict of (key, gate) to (H,) array
        Each gate block of each ``weight_hh`` (``("weight_hh_l0", "f")``), largest first.
    gamma : dict of (key, gate) to float
        A bound on the derivative of the block's nonlinearity: 1 for tanh and ReLU,
        1/4 for the sigmoid.
    """

    singular_values: dict
    gamma: dict

    @property
    def vanishing(self) -> dict:
        """Per block: True when the largest singular value is below ``1 / gamma``.

        That is Pascanu, Mikolov & Bengio (2013)'s sufficient condition for the
        gradient through this block to vanish over long lags.
        """
        return {k: bool(s[0] < 1.0 / self.gamma[k]) for k, s in self.singular_values.items()}


def spectrum(obj: Any) -> Spectrum:
    """The singular values of every recurrent weight block (see :class:`Spectrum`)."""
    layer, _ = _recurrent(obj, None)
    values, gamma = {}, {}
    for key, w in (obj.params if isinstance(obj, Cell) else layer.params).items():  # a cell's keys have no _l0
        if not key.startswith("weight_hh"):
            continue
        check.finite_weights(key, w := to_numpy(w).astype(np.float64))
        blocks = np.split(w, len(layer.cell.gates), axis=0)
        for gate, block in zip(layer.cell.gates, blocks):
            values[key, gate] = np.linalg.svd(block, compute_uv=False)
            gamma[key, gate] = 0.25 if gate in SIGMOID_GATES else 1.0
    return Spectrum(values, gamma)


# ---------------------------------------------------------------------- helpers
def _recurrent(obj: Any, x: Any) -> tuple[Recurrent, Any]:
    """The recurrent layer inside ``obj`` and the input it takes."""
    if isinstance(obj, Recurrent):
        return obj, x
    if isinstance(obj, Cell):
        return _cell_as_layer(obj), x
    rnn = getattr(obj, "rnn", None)
    if isinstance(rnn, Recurrent):  # a Model: embed token ids first
        embedding = getattr(obj, "embedding", None)
        return rnn, (embedding(x) if embedding is not None and x is not None else x)
    raise TypeError(f"expected a recurrent layer, a cell module or a Model, got {type(obj).__name__}")


def _cell_as_layer(cell: Cell) -> Recurrent:
    """A one-layer time-major layer that runs ``cell``'s step pair on the cell's own parameter arrays."""
    layer = Recurrent(cell.cell, cell.input_size, cell.hidden_size, bias=cell.bias, dtype=cell.dtype)
    layer.params = {k + "_l0": v for k, v in cell.params.items()}
    layer.training = cell.training
    return layer


def _layer_state(obj: Any, state: Any) -> Any:
    """A cell module's (B, H) state as a layer's (1, B, H); anything else as given."""
    if state is None or not isinstance(obj, Cell):
        return state
    xp = get_backend().xp
    parts = state if isinstance(state, (tuple, list)) else (state,)
    parts = tuple(xp.reshape(xp.asarray(p), (1,) + tuple(p.shape)) for p in parts)
    return parts if len(parts) > 1 else parts[0]


def _read_out_at(layer: Recurrent, out: Any, at: int, seed: int) -> Any:
    """dL/dout for ``L = <u, out[at]>``: ``u`` (a seeded unit vector) at step ``at``, zero elsewhere."""
    u = np.random.default_rng(seed).standard_normal(out.shape[-1])
    host = np.zeros(tuple(out.shape))
    if layer.batch_first:
        host[:, at] = u / np.linalg.norm(u)
    else:
        host[at] = u / np.linalg.norm(u)
    return get_backend().asarray(host, layer.dtype)


def _norms(g: np.ndarray, K: int) -> np.ndarray:
    """(L*K, T, B, H) gradients -> (L, T) batch-mean norms, a layer's directions side by side."""
    LK, T, B, H = g.shape
    sq = (g.reshape(LK // K, K, T, B, H) ** 2).sum(axis=(1, 4))  # (L, T, B)
    return np.sqrt(sq).mean(axis=-1)
