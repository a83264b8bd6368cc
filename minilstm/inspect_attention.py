"""Attention maps: the weights of every :class:`~minilstm.MultiheadAttention` in a model, per head.

Shape letters: B batch, h heads, L query steps, S key steps. :func:`attention_maps` runs
the model's forward once and reads each layer's public ``last_attention``; it returns host
NumPy arrays and never imports matplotlib (:func:`minilstm.plot.attention_maps` draws them).
"""
from __future__ import annotations

from typing import Any

from .backend import to_numpy
from .nn.multihead import MultiheadAttention


def attention_maps(model: Any, x: Any, lengths: Any = None) -> dict:
    """Every head's (query, key) weights of every MultiheadAttention inside ``model``, for the input ``x``.

    Parameters
    ----------
    model : MultiheadAttention, Sequential or Model
        Run once as it is (its mode kept: call ``.eval()`` first to see it without dropout); this replaces
        its saved forward.
    x : array
        What ``model`` takes (a Sequential's batch-first ``(B, T, F)``; a bare layer's query, self-attention).
    lengths : (B,) ints, optional
        Valid steps of each sequence: padded keys come back with weight exactly 0.

    Returns
    -------
    dict of str to (B, h, L, S) array
        By module path (``"1"``, ``"attention"``, ``"block.0"``; ``""`` for a bare layer); each row sums to 1.
    """
    layers = _attention_layers(model)
    if not layers:
        raise ValueError(f"{type(model).__name__} holds no MultiheadAttention: there are no attention maps to read")
    if lengths is None:
        model(x)
    else:
        model(x, lengths=lengths)
    return {path: to_numpy(layer.last_attention) for path, layer in layers.items()}


def _attention_layers(module: Any, prefix: str = "") -> dict:
    """``{path: layer}`` of every MultiheadAttention in ``module`` (itself included), through Sequentials."""
    if isinstance(module, MultiheadAttention):
        return {prefix.rstrip("."): module}
    found = {}
    for name, part in getattr(module, "modules", {}).items():
        found.update(_attention_layers(part, f"{prefix}{name}."))
    return found
