"""The parameter shapes a module's config implies, worked out without building the module.

A checkpoint's JSON says how to rebuild its model. Before :func:`minilstm.load`
draws a single weight it compares these shapes with the arrays the file holds,
so a config that disagrees with them (``hidden_size=4000`` beside 4-unit
weights, whether by tampering or by a bug) is refused at once, instead of after
allocating and initialising a model of that size.

The rules mirror the constructors of minilstm's own modules (``Linear``,
``initial_cell_params`` of the recurrent layers, ...); ``tests/test_checkpoint.py``
checks them against a built module of every kind, so they cannot drift
silently. A class they do not know (a learner's own module) gives None: it is
built first and its shapes are checked after.

Shape letters as in the modules: D inputs, H hidden units, G gates, F outputs,
V vocabulary, C channels, K kernel steps.
"""
from __future__ import annotations

import dataclasses
import inspect as pyinspect
from typing import Any

from . import validate
from .cells import GRUStep, LSTMStep, RNNStep
from .model import CELLS, Model
from .nn.activations import Dropout, ReLU, Tanh
from .nn.attention import AttentionPool
from .nn.conv import Conv1d
from .nn.gaussian import GaussianHead
from .nn.linear import Embedding, Linear
from .nn.module import REGISTRY
from .nn.readouts import LastStep, MaskPadding, MeanOverTime
from .nn.recurrent import GRU, LSTM, RNN, PeepholeLSTM
from .nn.recurrent_cells import GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell
from .nn.recurrent_params import lstm_step

_VARIANT = tuple(f.name for f in dataclasses.fields(LSTMStep) if f.name != "peephole")


def param_shapes(type_name: str, config: Any, most: int | None = None) -> dict | None:
    """``{key: shape}`` of the module ``REGISTRY[type_name](**config)`` would be, or None when unknown.

    ``most``, if given, is the number of arrays there can be (those a file holds):
    a ``num_layers`` that needs more is refused before any key is listed.

    Raises
    ------
    TypeError, ValueError
        When the config cannot make that module (an unknown argument, a size that is not a positive int).
    """
    if type_name == "Sequential":
        modules = config.get("modules") if isinstance(config, dict) else None
        if not isinstance(modules, list) or not all(isinstance(m, list) and len(m) == 3 for m in modules):
            return None  # build() names what is wrong
        out: dict = {}
        for name, sub_type, sub_config in modules:
            sub = param_shapes(sub_type, sub_config, most)
            if sub is None:
                return None
            out.update({f"{name}.{k}": shape for k, shape in sub.items()})
        return out
    cls = REGISTRY.get(type_name) if isinstance(type_name, str) else None
    rule = _RULES.get(cls)
    if rule is None:
        return None
    if not isinstance(config, dict):
        raise ValueError(f"the config of a {type_name} must be a dict, got {type(config).__name__}")
    args = _arguments(cls, config)
    if most is not None and "num_layers" in args:  # two weights per layer at least: listing more is wasted work
        layers = validate.positive_int("num_layers", args["num_layers"])
        if 2 * layers > most:
            raise ValueError(f"num_layers={layers} needs {2 * layers} weight arrays or more, the file holds {most}")
    return rule(args)


def _arguments(cls: type, config: dict) -> dict:
    """The constructor's arguments, defaults filled in and ``**kwargs`` merged in (as the constructor sees them)."""
    sig = pyinspect.signature(cls.__init__)
    bound = sig.bind(None, **config)  # a TypeError names an argument the class does not take
    bound.apply_defaults()
    args = dict(bound.arguments)
    args.pop(next(iter(sig.parameters)))  # self
    for name, p in sig.parameters.items():
        if p.kind is pyinspect.Parameter.VAR_KEYWORD:
            args.update(args.pop(name, {}))
    return args


def cell_shapes(gates: tuple, peepholes: tuple, D: int, H: int, bias: bool, suffix: str = "") -> dict:
    """One recurrent cell's shapes: ``weight_ih`` (G*H, D), ``weight_hh`` (G*H, H), biases, peepholes (H,)."""
    G = len(gates)
    out = {"weight_ih": (G * H, D), "weight_hh": (G * H, H)}
    if bias:
        out.update(bias_ih=(G * H,), bias_hh=(G * H,))
    out.update({f"weight_peep_{gate}": (H,) for gate in peepholes})
    return {k + suffix: shape for k, shape in out.items()}


def _step(cls: type, args: dict) -> Any:
    """The step pair a recurrent layer or cell of class ``cls`` makes from ``args`` (no arrays)."""
    if issubclass(cls, (LSTM, LSTMCell)):
        peephole = args.get("peephole")
        peephole = cls._peephole if peephole is None else peephole
        return lstm_step(peephole, args.get("forget_bias"), **{k: args[k] for k in _VARIANT if k in args})[0]
    return GRUStep() if issubclass(cls, (GRU, GRUCell)) else RNNStep()


def _recurrent(cls: type, args: dict) -> dict:
    step = _step(cls, args)
    D = validate.positive_int("input_size", args["input_size"])
    H = validate.positive_int("hidden_size", args["hidden_size"])
    L = validate.positive_int("num_layers", args["num_layers"])
    K = 2 if validate.boolean("bidirectional", args.get("bidirectional", False)) else 1
    bias = validate.boolean("bias", args.get("bias", True))
    peepholes = getattr(step, "peepholes", ())
    out = {}
    for layer in range(L):
        for d in range(K):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            out.update(cell_shapes(step.gates, peepholes, D if layer == 0 else K * H, H, bias, suffix))
    return out


def _cell(cls: type, args: dict) -> dict:
    step = _step(cls, args)
    D = validate.positive_int("input_size", args["input_size"])
    H = validate.positive_int("hidden_size", args["hidden_size"])
    return cell_shapes(step.gates, getattr(step, "peepholes", ()), D, H, validate.boolean("bias", args["bias"]))


def _linear(args: dict, prefix: str = "") -> dict:
    D = validate.positive_int("in_features", args["in_features"])
    F = validate.positive_int("out_features", args["out_features"])
    out = {f"{prefix}weight": (F, D)}
    if validate.boolean("bias", args["bias"]):
        out[f"{prefix}bias"] = (F,)
    return out


def _embedding(args: dict) -> dict:
    return {"weight": (validate.positive_int("num_embeddings", args["num_embeddings"]),
                       validate.positive_int("embedding_dim", args["embedding_dim"]))}


def _conv(args: dict) -> dict:
    C = validate.positive_int("in_channels", args["in_channels"])
    F = validate.positive_int("out_channels", args["out_channels"])
    K = validate.positive_int("kernel_size", args["kernel_size"])
    return {"weight": (F, C, K), **({"bias": (F,)} if validate.boolean("bias", args["bias"]) else {})}


def _attention(args: dict) -> dict:
    H = validate.positive_int("hidden", args["hidden"])
    additive = validate.choice("kind", args["kind"], ("dot", "additive")) == "additive"
    return {**({"weight": (H, H), "bias": (H,)} if additive else {}), "query": (H,)}


def _gaussian(args: dict) -> dict:
    return {**_linear(args, "mean."), **_linear(args, "var.")}


def _model(args: dict) -> dict:
    """Embedding (V, D) if any, the recurrent stack under ``rnn.``, the head (F, K*H) and (F,)."""
    cls = CELLS[validate.choice("cell", args["cell"], tuple(CELLS))]
    validate.choice("readout", args["readout"], ("last", "all"))
    layer = _arguments(cls, {k: v for k, v in args.items() if k not in _MODEL_ONLY})
    out = {}
    if args["vocab_size"] is not None:
        out["embedding.weight"] = (validate.positive_int("vocab_size", args["vocab_size"]),
                                   validate.positive_int("input_size", args["input_size"]))
    out.update({f"rnn.{k}": shape for k, shape in _recurrent(cls, layer).items()})
    K = 2 if layer.get("bidirectional") else 1
    F = validate.positive_int("output_size", args["output_size"])
    out.update({"head.weight": (F, K * layer["hidden_size"]), "head.bias": (F,)})
    return out


# Model's own arguments; the rest (cell options) go to the recurrent layer
_MODEL_ONLY = ("output_size", "cell", "readout", "vocab_size", "dropout", "recurrent_dropout", "seed", "dtype")

_RULES: dict = {
    Model: _model, Linear: _linear, Embedding: _embedding, Conv1d: _conv, AttentionPool: _attention,
    GaussianHead: _gaussian, LastStep: lambda args: {}, MeanOverTime: lambda args: {},
    MaskPadding: lambda args: {},
    **{cls: (lambda args, cls=cls: _recurrent(cls, args)) for cls in (RNN, LSTM, GRU, PeepholeLSTM)},
    **{cls: (lambda args, cls=cls: _cell(cls, args)) for cls in (RNNCell, LSTMCell, PeepholeLSTMCell, GRUCell)},
    **{cls: (lambda args: {}) for cls in (ReLU, Tanh, Dropout)},  # no parameters
}
