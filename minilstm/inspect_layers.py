"""What :mod:`minilstm.inspect` runs: the recurrent layer inside a layer, a cell module or a Model.

A cell module runs as a one-layer time-major layer over the cell's own parameter
arrays, so every function of :mod:`minilstm.inspect` reads one kind of object.
Shape letters: B batch, H hidden units.
"""
from __future__ import annotations

from typing import Any

from .backend import get_backend
from .nn.recurrent_base import Recurrent
from .nn.recurrent_cells import Cell


def recurrent_of(obj: Any, x: Any) -> tuple[Recurrent, Any]:
    """The recurrent layer inside ``obj`` and the input it takes."""
    if isinstance(obj, Recurrent):
        return obj, x
    if isinstance(obj, Cell):
        return cell_as_layer(obj), x
    rnn = getattr(obj, "rnn", None)
    if isinstance(rnn, Recurrent):  # a Model: embed token ids first
        embedding = getattr(obj, "embedding", None)
        return rnn, (embedding(x) if embedding is not None and x is not None else x)
    raise TypeError(f"expected a recurrent layer, a cell module or a Model, got {type(obj).__name__}")


def cell_as_layer(cell: Cell) -> Recurrent:
    """A one-layer time-major layer that runs ``cell``'s step pair on the cell's own parameter arrays."""
    layer = Recurrent(cell.cell, cell.input_size, cell.hidden_size, bias=cell.bias, dtype=cell.dtype)
    layer.params = {k + "_l0": v for k, v in cell.params.items()}
    layer.training = cell.training
    return layer


def layer_state(obj: Any, state: Any) -> Any:
    """A cell module's (B, H) state as a layer's (1, B, H); anything else as given."""
    if state is None or not isinstance(obj, Cell):
        return state
    xp = get_backend().xp
    parts = state if isinstance(state, (tuple, list)) else (state,)
    parts = tuple(xp.reshape(xp.asarray(p), (1,) + tuple(p.shape)) for p in parts)
    return parts if len(parts) > 1 else parts[0]
