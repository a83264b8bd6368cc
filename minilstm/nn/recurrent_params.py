"""The parameter helpers of the recurrent layers and cells: one cell's initial weights, its
:class:`~minilstm.cells.CellParams` from a ``params`` dict, a gate's bias, the LSTM step of a layer's options.

Shape letters: D input features, H hidden units, G gate blocks.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .. import init, validate
from ..backend import get_backend
from ..cells import CellParams, LSTMStep, LSTMVariantStep, lstm_variant

# CellParams field -> PyTorch's parameter key (a layer adds its _l{k}[_reverse] suffix)
FIELD_KEYS = {"weight_ih": "weight_ih", "weight_hh": "weight_hh", "bias_ih": "bias_ih",
               "bias_hh": "bias_hh", "peep_i": "weight_peep_i", "peep_f": "weight_peep_f",
               "peep_o": "weight_peep_o"}


def initial_cell_params(rng: Any, cell: Any, shapes: dict, forget_bias: float, suffix: str = "") -> dict:
    """One cell's host parameters, each of the shape ``shapes`` gives its key (+ ``suffix``), drawn in a fixed order.

    ``weight_ih`` (G*H, D) Glorot uniform and ``weight_hh`` (G*H, H) orthogonal, one
    block per gate; biases zero but the forget gate's ``bias_ih`` (``forget_bias``);
    peepholes (H,) U(-1/sqrt(H), 1/sqrt(H)). Returned under the same keys, suffix included.
    """
    (GH, D), H = shapes["weight_ih" + suffix], shapes["weight_hh" + suffix][1]  # (G*H, D) and (G*H, H)
    out = {}
    out["weight_ih"], out["weight_hh"] = init.recurrent_weights(rng, GH // H, D, H)
    if "bias_ih" + suffix in shapes:
        b_ih = np.zeros(shapes["bias_ih" + suffix])
        if "f" in cell.gates:  # forget gate starts open
            k = cell.gates.index("f")
            b_ih[k * H:(k + 1) * H] = forget_bias
        out["bias_ih"], out["bias_hh"] = b_ih, np.zeros(shapes["bias_hh" + suffix])
    for gate in getattr(cell, "peepholes", ()):
        out[f"weight_peep_{gate}"] = init.uniform(rng, shapes[f"weight_peep_{gate}" + suffix], 1.0 / np.sqrt(H))
    return {k + suffix: v for k, v in out.items()}


def cell_params(params: dict, cell: Any, H: int, dtype: str, suffix: str = "") -> CellParams:
    """The :class:`CellParams` of one cell from a ``params`` dict under PyTorch's keys (+ ``suffix``)."""
    fields = {f: params.get(k + suffix) for f, k in FIELD_KEYS.items()}
    for f in ("bias_ih", "bias_hh"):
        if fields[f] is None:  # bias=False: zero biases, their gradients dropped
            fields[f] = get_backend().zeros((len(cell.gates) * H,), dtype)
    return CellParams(**fields)


def step_options(step: Any) -> str:
    """``", name=value"`` for each option of a step pair that is not its default (peephole: the class says it)."""
    return "".join(f", {f.name}={getattr(step, f.name)!r}" for f in dataclasses.fields(step)
                   if f.name != "peephole" and getattr(step, f.name) != f.default)


def set_gate_bias(params: dict, cell: Any, H: int, gate: str, name: str, value: float, bias: bool,
                  dtype: str) -> None:
    """Set one gate's block of every ``bias_ih*`` in ``params`` to ``value`` (after the seeded draws)."""
    value = validate.in_dtype(name, value, dtype)
    if value == 0.0:
        return
    if not bias:
        raise ValueError(f"{name}={value!r} needs biases, but the layer was made with bias=False")
    k = cell.gates.index(gate)
    for key, b in params.items():
        if key.startswith("bias_ih"):
            b[k * H:(k + 1) * H] = value


def lstm_step(peephole: bool, forget_bias: float | None, **variant: Any
              ) -> tuple[LSTMStep | LSTMVariantStep, float | None]:
    """The step pair of a layer's or cell's LSTM options (each checked to be a bool; see
    :func:`minilstm.cells.lstm_variant`), and its forget bias: 1.0 when not given and there is a forget
    gate; refused when there is none."""
    step = lstm_variant(peephole=peephole, **{k: validate.boolean(k, v) for k, v in variant.items()})
    if forget_bias is not None and "f" not in step.gates:
        raise TypeError(f"forget_bias needs a forget gate; this LSTM has none (forget_gate=False), "
                        f"got {forget_bias!r}")
    return step, (1.0 if forget_bias is None and "f" in step.gates else forget_bias)


def cell_shapes(cell: Any, D: int, H: int, bias: bool) -> dict:
    """One cell's parameter shapes under PyTorch's keys (no layer suffix), in the order they are drawn.

    ``weight_ih`` (G*H, D) and ``weight_hh`` (G*H, H): a block of H rows for each of the step's
    ``gates`` (an LSTM variant's removed gate has none); ``bias_ih`` and ``bias_hh`` (G*H,) with
    ``bias``; ``weight_peep_{gate}`` (H,) for each of its ``peepholes``.
    """
    if not isinstance(getattr(cell, "gates", None), tuple):
        raise TypeError(f"cell must be a step pair of minilstm.cells (RNNStep, LSTMStep, GRUStep), "
                        f"got {type(cell).__name__} {cell!r:.60}")
    G = len(cell.gates)
    out = {"weight_ih": (G * H, D), "weight_hh": (G * H, H)}
    if bias:
        out.update(bias_ih=(G * H,), bias_hh=(G * H,))
    out.update({f"weight_peep_{gate}": (H,) for gate in getattr(cell, "peepholes", ())})
    return out
