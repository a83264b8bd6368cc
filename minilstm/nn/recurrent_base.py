"""The base of the recurrent layers: ``Recurrent`` runs any cell's step pair over a padded, stacked,
bidirectional batch, forward and back, through the one time loop (:mod:`minilstm.bptt`).

Shape letters: T time steps, B batch, D input features, H hidden units,
L layers, K = 2 if bidirectional else 1. Inside, sequences are time-major
(T, B, D); ``batch_first=True`` converts at the edges only. The layers a user
builds (``RNN``, ``LSTM``, ``GRU``, ``PeepholeLSTM``) are in
:mod:`minilstm.nn.recurrent`.
"""
from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from .. import bptt, validate
from ..backend import check_dtype, concat, get_backend, permute_dims, rng
from ..cells import CellParams
from .module import Module
from .recurrent_checks import checked_state, time_major
from .recurrent_params import (
    FIELD_KEYS,
    cell_params,
    cell_shapes,
    initial_cell_params,
    step_options,
)


class _ForwardCache(NamedTuple):
    seqs: list    # one bptt.SequenceCache per (layer, direction)
    cells: list   # the CellParams each (layer, direction) ran with, recurrent masks included
    masks: list   # per layer: the dropout mask applied to its output, or None
    in_masks: list  # per layer: the input-dropout mask (1, B, D) applied to its input, or None
    T: int
    B: int


class ForwardRecord(NamedTuple):
    """What one forward ran, per (layer, direction) in PyTorch's ``L*K`` order (see
    :meth:`Recurrent.forward_record`): the public face of the cache, which :mod:`minilstm.inspect` reads."""

    hs: list      # the hidden states (T, B, H), in the input's time order
    seqs: list    # the time loop's bptt.SequenceCache: its ``steps`` hold every step's cache, in the direction's order
    cells: list   # the CellParams each ran with, its recurrent-dropout mask included
    valid: Any    # (T, B, 1): ones on each sequence's real steps; None without lengths


# what a layer holds in place of a cache after an eval-mode forward, and after the backward that used it up
_NO_CACHE, _USED = object(), object()


class Recurrent(Module):
    """A stack of recurrent layers over one cell (the shared base of RNN, LSTM, GRU).

    The arguments up to ``bidirectional`` take PyTorch's places (``torch.nn.LSTM``'s
    positional list), so a positional call means what it means in PyTorch; minilstm's
    own options after them are keyword-only, so a PyTorch call with more positional
    arguments (``proj_size``, ``device``) is a TypeError, never another meaning.

    Parameters
    ----------
    cell : cell object
    input_size, hidden_size : int
        D and H.
    num_layers : int, default 1
    bias : bool, default True
    batch_first : bool, default False
        Take and return (B, T, ...) instead of (T, B, ...).
    dropout : float in [0, 1), default 0
        Inverted dropout on every layer's output but the last, in training mode.
    recurrent_dropout : float in [0, 1), default 0
        Inverted dropout on the recurrent input ``h_prev`` of every layer, one mask
        per sequence shared across time (Gal & Ghahramani 2016), in training mode.
    input_dropout : float in [0, 1), default 0
        Inverted dropout on every layer's input ``x_t``, one mask per sequence shared
        across time, in training mode: what Keras calls an LSTM's ``dropout``
        (PyTorch's ``dropout`` acts between layers instead).
    bidirectional : bool, default False
    seed : int or numpy Generator, optional
        Seeds the host generator that draws the weights and dropout masks.
    dtype : {"float32", "float64"}, default "float32"
    forget_bias : float, optional
        LSTM only: initial forget-gate bias (its ``bias_ih`` entries); a cell
        without a forget gate refuses it.
    """

    def __init__(self, cell: Any, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, seed: Any = None, dtype: str = "float32",
                 forget_bias: float | None = None, recurrent_dropout: float = 0.0,
                 input_dropout: float = 0.0) -> None:
        self.cell = cell
        self.input_size = validate.positive_int("input_size", input_size)
        self.hidden_size = validate.positive_int("hidden_size", hidden_size)
        self.num_layers = validate.positive_int("num_layers", num_layers)
        self.bias = validate.boolean("bias", bias)
        self.batch_first = validate.boolean("batch_first", batch_first)
        self.dropout = validate.probability("dropout", dropout)
        self.recurrent_dropout = validate.probability("recurrent_dropout", recurrent_dropout)
        self.input_dropout = validate.probability("input_dropout", input_dropout)
        self.bidirectional = validate.boolean("bidirectional", bidirectional)
        self.dtype = check_dtype(dtype)
        if self.dropout > 0 and self.num_layers == 1:  # PyTorch's warning, word for word
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=3)
        if forget_bias is not None and "f" not in cell.gates:
            raise TypeError(f"{type(self).__name__} got an unexpected keyword argument 'forget_bias' "
                            f"(only a cell with a forget gate, the LSTM's, takes it), got {forget_bias!r}")
        forget_bias = validate.in_dtype("forget_bias", 0.0 if forget_bias is None else forget_bias, self.dtype)
        self.num_directions = 2 if self.bidirectional else 1
        self.training = True
        self._rng = rng(seed)
        shapes = Recurrent.param_shapes(cell, self.input_size, self.hidden_size, self.num_layers, self.bias,
                                        bidirectional=self.bidirectional)
        self._set_params(self._initial_params(shapes, forget_bias))
        self._cache: _ForwardCache | None = None

    @classmethod
    def param_shapes(cls, cell: Any, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                     batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                     **options: Any) -> dict:
        """``{key: shape}`` as the constructor allocates it, from its arguments (each size checked as it checks
        it; nothing allocated): :func:`cell_shapes` for every layer and direction under PyTorch's suffixes
        (``_l0``, ``_l0_reverse``, ``_l1``, ...); layer 0 reads D inputs, each later one the K*H outputs below."""
        D = validate.positive_int("input_size", input_size)
        H = validate.positive_int("hidden_size", hidden_size)
        L = validate.positive_int("num_layers", num_layers)
        K = 2 if validate.boolean("bidirectional", bidirectional) else 1
        bias = validate.boolean("bias", bias)
        return {key + cls._suffix(layer, d): shape for layer in range(L) for d in range(K)
                for key, shape in cell_shapes(cell, D if layer == 0 else K * H, H, bias).items()}

    def __repr__(self) -> str:
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "recurrent_dropout": 0.0, "input_dropout": 0.0, "bidirectional": False, "dtype": "float32"}
        options = "".join(f", {k}={getattr(self, k)!r}" for k, v in defaults.items() if getattr(self, k) != v)
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{options}{step_options(self.cell)})"

    # ------------------------------------------------------------------ parameters
    @staticmethod
    def _suffix(layer: int, direction: int) -> str:
        return f"_l{layer}" + ("_reverse" if direction else "")

    def _initial_params(self, shapes: dict, forget_bias: float) -> dict:
        """Host arrays of the ``shapes`` :meth:`param_shapes` gives, drawn a cell at a time in a fixed order."""
        out = {}
        for layer in range(self.num_layers):
            for d in range(self.num_directions):
                out.update(initial_cell_params(self._rng, self.cell, shapes, forget_bias, self._suffix(layer, d)))
        return out

    def _cell_params(self, layer: int, direction: int) -> CellParams:
        return cell_params(self.params, self.cell, self.hidden_size, self.dtype, self._suffix(layer, direction))

    # ------------------------------------------------------------------ forward / backward
    def forward(self, x: Any, state: Any = None, *, lengths: Any = None) -> tuple[Any, Any]:
        """Run the stack over a batch of sequences.

        Parameters
        ----------
        x : (T, B, D) array, or (B, T, D) with ``batch_first``
        state : optional
            RNN/GRU: ``h0`` (L*K, B, H). LSTM: ``(h0, c0)``, each (L*K, B, H).
            Missing means zeros.
        lengths : (B,) ints in [1, T], optional
            Valid steps of each sequence of a padded batch: the state stops at each
            sequence's last valid step, padded outputs are zero and padded steps
            get exactly zero gradient.

        Returns
        -------
        out : (T, B, K*H) array, or (B, T, K*H) with ``batch_first``
            The last layer's hidden states (both directions side by side).
        state : ``h_n`` or ``(h_n, c_n)``, each (L*K, B, H)
        """
        out, state_n, _ = self._forward(x, state, lengths)
        return out, state_n

    __call__ = forward

    def forward_record(self, x: Any, state: Any = None, *, lengths: Any = None) -> tuple[Any, Any, ForwardRecord]:
        """:meth:`forward`, keeping what :meth:`backward` needs in either mode, and a record of what it ran.

        Returns ``(out, state, record)``: ``out`` and ``state`` as :meth:`forward` returns them, and a
        :class:`ForwardRecord` of every (layer, direction)'s hidden states, step caches, parameters and
        the mask of real steps. :mod:`minilstm.inspect` reads gates and states from it; a backward may
        follow, with ``on_step`` to see every step's state gradients.
        """
        out, state_n, hs = self._forward(x, state, lengths, keep=True)
        cache = self._cache
        return out, state_n, ForwardRecord(hs, cache.seqs, cache.cells, self._length_mask(lengths, cache.T, cache.B))

    def _forward(self, x: Any, state: Any, lengths: Any, keep: bool | None = None) -> tuple[Any, Any, list]:
        """:meth:`forward`, and every (layer, direction)'s hidden states (T, B, H) in input time order.

        ``keep`` (default: in training mode) keeps what backward needs; in eval mode nothing is kept.
        """
        self._cache = None  # the previous forward's cache goes before this one's is built
        keep = self.training if keep is None else keep
        xp = self._check_backend().xp
        x = time_major(self, "x", x, self.input_size, "input_size")
        T, B, _ = x.shape
        state = checked_state(self, state, "state", B)
        valid = self._length_mask(lengths, T, B)
        K, seqs, cells, masks, in_masks, layer_hs = self.num_directions, [], [], [], [], []
        finals = [[] for _ in state]
        layer_in = x
        for layer in range(self.num_layers):
            in_mask = self._dropout_mask((1, B, layer_in.shape[-1]), self.input_dropout)  # one per sequence
            layer_in = layer_in if in_mask is None else layer_in * in_mask
            in_masks.append(in_mask)
            outs = []
            for d in range(K):
                s0 = tuple(s[layer * K + d, ...] for s in state)
                flip = (lambda a: xp.flip(a, axis=0)) if d else (lambda a: a)  # reverse reads time backwards
                p = self._cell_params(layer, d)._replace(recurrent_mask=self._recurrent_mask(B))
                hs, s_T, seq = bptt.forward(self.cell, flip(layer_in), s0, p, None if valid is None else flip(valid),
                                            keep)
                outs.append(flip(hs))
                layer_hs.append(outs[-1])
                seqs.append(seq)
                cells.append(p)
                for k, s in enumerate(s_T):
                    finals[k].append(s)
            layer_in = concat(outs, axis=-1) if K == 2 else outs[0]
            mask = self._dropout_mask(layer_in.shape) if layer < self.num_layers - 1 else None
            if mask is not None:
                layer_in = layer_in * mask
            masks.append(mask)
        self._cache = _ForwardCache(seqs, cells, masks, in_masks, T, B) if keep else _NO_CACHE
        out = permute_dims(layer_in, (1, 0, 2)) if self.batch_first else layer_in
        state_n = tuple(xp.stack(f, axis=0) for f in finals)
        return out, (state_n if len(state_n) > 1 else state_n[0]), layer_hs

    def _dropout_mask(self, shape: tuple, rate: float | None = None) -> Any:
        """An inverted-dropout mask (kept units scaled by 1/(1-p)), or None when off."""
        rate = self.dropout if rate is None else rate
        if not self.training or rate == 0.0:
            return None
        keep = self._rng.random(shape) >= rate
        return get_backend().asarray(keep / (1.0 - rate), self.dtype)

    def _recurrent_mask(self, B: int) -> Any:
        """One (B, H) recurrent-dropout mask for a whole sequence, or None when off."""
        return self._dropout_mask((B, self.hidden_size), self.recurrent_dropout)

    def _length_mask(self, lengths: Any, T: int, B: int) -> Any:
        """A (T, B, 1) mask of ones on each sequence's first ``lengths[b]`` steps, or None."""
        if lengths is None:
            return None
        host = validate.lengths(lengths, B, T)
        steps = np.arange(T)[:, None, None]
        return get_backend().asarray(steps < host[None, :, None], self.dtype)

    def backward(self, dout: Any, dstate: Any = None, on_step: Any = None) -> tuple[Any, Any]:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dout : array shaped like ``out``
            Gradient of the loss with respect to the output sequence.
        dstate : optional
            Gradient with respect to the final state, shaped like it (``dh_n`` or
            ``(dh_n, dc_n)``); missing parts mean zero.
        on_step : callable ``on_step(index, t, ds)``, optional
            A hook that sees the state gradients of every step as the time loop carries
            them (see :func:`minilstm.bptt.backward`): ``index = layer * K + direction``,
            ``t`` in the direction's own time order. :mod:`minilstm.inspect` reads them so.

        Returns
        -------
        dx : array shaped like ``x``
        dstate0 : ``dh0`` or ``(dh0, dc0)``, shaped like the initial state
        """
        return self._backward(dout, dstate, on_step)

    def _backward(self, dout: Any, dstate: Any, on_step: Any = None) -> tuple[Any, Any]:
        """:meth:`backward`; ``on_step(index, t, ds)``, if given, sees each (layer, direction)'s state
        gradients (see :func:`minilstm.bptt.backward`), ``index = layer * K + direction``, ``t`` in the
        direction's own time order."""
        if self._require_forward() is _NO_CACHE:
            raise RuntimeError(f"{type(self).__name__}.backward() after a forward in eval mode, which keeps no "
                               "cache: call train() before the forward to backpropagate through")
        if self._cache is _USED:
            raise RuntimeError(f"{type(self).__name__}.backward() twice after one forward: the first backward "
                               "released the cache; run forward again")
        seqs, cells, masks, in_masks, T, B = self._cache
        xp = self._check_backend().xp
        K, H = self.num_directions, self.hidden_size
        dout = time_major(self, "dout", dout, K * H, "num_directions * hidden_size", like=(T, B))
        dstate = checked_state(self, dstate, "dstate", B)
        self.grads = {}  # the last step's gradients go before this one's are made (a whole set of weights' size)
        dstate0 = [[None] * (self.num_layers * K) for _ in dstate]
        grads = {}
        d_layer_out = dout
        for layer in range(self.num_layers - 1, -1, -1):
            if masks[layer] is not None:
                d_layer_out = d_layer_out * masks[layer]
            d_in = None
            for d in range(K):
                idx = layer * K + d
                dhs = d_layer_out[..., d * H:(d + 1) * H]
                dhs = xp.flip(dhs, axis=0) if d else dhs
                hook = None if on_step is None else (lambda t, ds, idx=idx: on_step(idx, t, ds))
                dx, ds0, g = bptt.backward(self.cell, dhs, tuple(s[idx, ...] for s in dstate), seqs[idx],
                                           cells[idx], hook)
                dx = xp.flip(dx, axis=0) if d else dx
                d_in = dx if d_in is None else d_in + dx
                for k, s in enumerate(ds0):
                    dstate0[k][idx] = s
                sfx = self._suffix(layer, d)
                grads.update({FIELD_KEYS[f] + sfx: v for f, v in g.items()})
            d_layer_out = d_in if in_masks[layer] is None else d_in * in_masks[layer]
        self.grads = {k: grads[k] for k in self.params}
        self._cache = _USED
        dx = permute_dims(d_layer_out, (1, 0, 2)) if self.batch_first else d_layer_out
        ds = tuple(xp.stack(s, axis=0) for s in dstate0)
        return dx, (ds if len(ds) > 1 else ds[0])
