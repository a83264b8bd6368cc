"""The checks a recurrent layer applies to what a user hands it: a sequence (or its gradient) and a state.

Shape letters: T time steps, B batch, F features, H hidden units, L layers,
K = 2 if bidirectional else 1. Each function reads the layer's public
attributes (``cell``, ``num_layers``, ``num_directions``, ``hidden_size``,
``dtype``, ``batch_first``) and raises an error that names the argument and
the shape it takes.
"""
from __future__ import annotations

from typing import Any

from .. import validate
from ..backend import get_backend, permute_dims


def checked_state(layer: Any, state: Any, name: str, B: int) -> tuple:
    """A tuple of (L*K, B, H) arrays (zeros where None) from a user's ``state`` for a recurrent ``layer``."""
    be = get_backend()
    n = len(layer.cell.state_names)
    LK, H = layer.num_layers * layer.num_directions, layer.hidden_size
    given = (f"a {type(state).__name__} of {len(state)}" if isinstance(state, (tuple, list))
             else type(state).__name__)
    if state is None:
        parts = (None,) * n
    elif n == 1:
        if isinstance(state, (tuple, list)):
            raise TypeError(f"{name} must be one array (L*K, B, H) for {type(layer).__name__}, "
                            f"not a tuple, got {given}")
        parts = (state,)
    else:
        if not isinstance(state, (tuple, list)) or len(state) != n:
            raise TypeError(f"{name} must be a tuple ({', '.join(layer.cell.state_names)}) of {n} "
                            f"arrays (L*K, B, H) for {type(layer).__name__}, got {given}")
        parts = tuple(state)
    out = []
    for s, part in zip(layer.cell.state_names, parts):
        label = f"{name} {s}" if n > 1 else name
        if part is None:
            out.append(be.zeros((LK, B, H), layer.dtype))
            continue
        part = validate.float_array(label, part, layer.dtype)
        validate.shape(label, part, (LK, B, H),
                       f"(num_layers * num_directions={LK}, batch={B}, hidden_size={H})")
        out.append(part)
    return tuple(out)

def time_major(layer: Any, name: str, a: Any, features: int, what: str, like: tuple | None = None) -> Any:
    """A (T, B, F) time-major float array from the user's ``a`` for ``layer`` (its ``dtype`` and
    ``batch_first``); ``like`` is the (T, B) it must have."""
    a = validate.float_array(name, a, layer.dtype)
    order = "(batch, time, features)" if layer.batch_first else "(time, batch, features)"
    if a.ndim != 3:
        raise ValueError(f"{name} must be a batched 3-D array {order}, got {a.ndim}-D shape "
                         f"{tuple(a.shape)}" + (" (add a batch axis of size 1)" if a.ndim == 2 else ""))
    if a.shape[-1] != features:
        raise ValueError(f"{name} must have {features} features ({what}) in its last axis, "
                         f"got shape {tuple(a.shape)}")
    if like is not None:  # checked before the permute, so the message shows the user's layout
        T, B = like
        validate.shape(name, a, (B, T, features) if layer.batch_first else (T, B, features),
                       f"(forward's output, {order})")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must have at least one time step and one sequence, got shape {tuple(a.shape)}")
    return permute_dims(a, (1, 0, 2)) if layer.batch_first else a
