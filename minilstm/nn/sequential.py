"""Composition: ``Sequential`` runs modules in order (the adapters that pick what goes on after a
recurrent layer, ``LastStep``, ``MeanOverTime`` and ``MaskPadding``, are in :mod:`.readouts`).

Shape letters: B batch, T time steps, F features. A Sequential takes batch-first
data, as models and data sets do: ``(B, T, F)`` sequences (or ``(B, T)`` token
ids for an Embedding first). A recurrent layer inside passes on its output
sequence, and a ``MultiheadAttention`` attends over it (self-attention); one made
time-major (``batch_first=False``, the default) is turned at its edges, so
``Sequential(LSTM(5, 32), LastStep(), Linear(32, 2))`` reads like the PyTorch original.
``lengths`` (B,) flow to every module that takes them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import checkpoint_file, validate
from ..backend import permute_dims, to_numpy
from .module import Module, registered, shape_rule
from .multihead import MultiheadAttention
from .readouts import LastStep, MaskPadding
from .recurrent_base import Recurrent


class Sequential(Module):
    """Modules run in order forward and in reverse backward; like ``torch.nn.Sequential``.

    Parameters
    ----------
    *modules : Module
        Named ``"0"``, ``"1"``, ... in order.
    **named : Module
        Or give names (``Sequential(rnn=LSTM(...), head=Linear(...))``), in order.

    Attributes
    ----------
    modules : dict of str to Module
    params, grads : dict
        Every module's, keyed ``"<name>.<key>"`` (``"0.weight_ih_l0"``), as PyTorch's keys.
    """

    uses_lengths = True

    def __init__(self, *modules: Module, **named: Module) -> None:
        if modules and named:
            raise TypeError("Sequential takes modules either by position or by name, not both")
        items = [(str(i), m) for i, m in enumerate(modules)] or list(named.items())
        if not items:
            raise ValueError("Sequential needs at least one module")
        for name, _ in items:
            _check_name(name)
        for name, m in items:
            missing = [a for a in ("forward", "backward", "params", "grads", "train") if not hasattr(m, a)]
            if missing:
                raise TypeError(f"module {name!r} ({type(m).__name__}) lacks {', '.join(missing)}: "
                                "see minilstm.nn.module for what a module needs")
        _refuse_repeats(items)
        self.modules = dict(items)
        self.training = True
        _resolve_last_steps(items)

    @property
    def config(self) -> dict:
        """``{"modules": [[name, type, config], ...]}``: what a checkpoint rebuilds it from."""
        return {"modules": [[name, checkpoint_file.type_name(m), m.config] for name, m in self.modules.items()]}

    @classmethod
    def param_shapes(cls, **config: Any) -> dict | None:
        """``{"<name>.<key>": shape}`` of every module its :attr:`config` lists, from their classes' own
        ``param_shapes`` (each config checked as they check it; nothing allocated). None when a module's class
        has no rule of its own (a learner's): such a Sequential is built before its shapes are known."""
        out = {}
        for name, part, part_config in sequential_parts(config):
            rule = shape_rule(part)
            shapes = None if rule is None else rule(**part_config)
            if shapes is None:
                return None
            out.update({f"{name}.{k}": shape for k, shape in shapes.items()})
        return out

    @property
    def dtype(self) -> str:
        """The first module's dtype that is set (parameter-free modules keep their input's)."""
        return next((m.dtype for m in self.modules.values() if getattr(m, "dtype", None)), "float32")

    @property
    def params(self) -> dict:
        """Every parameter (live arrays), keyed ``"<name>.<key>"``."""
        return {f"{name}.{k}": v for name, m in self.modules.items() for k, v in m.params.items()}

    @property
    def grads(self) -> dict:
        """The last backward's gradients, keyed like :attr:`params`."""
        return {f"{name}.{k}": v for name, m in self.modules.items() for k, v in m.grads.items()}

    @property
    def num_params(self) -> int:
        """The number of trainable numbers in every module."""
        return sum(getattr(m, "num_params", 0) for m in self.modules.values())

    def state_dict(self, format: str = "numpy", keys: dict | None = None) -> dict:
        """Copies of :attr:`params`: host NumPy arrays, or torch tensors with ``format="torch"``.

        ``keys`` renames the first part of each key (``{"0": "lstm", "2": "fc"}`` gives
        ``"lstm.weight_ih_l0"``), to match a PyTorch module's attribute names.
        """
        validate.choice("format", format, ("numpy", "torch"))
        out = _renamed_all({f"{name}.{k}": v for name, m in self.modules.items() for k, v in m.state_dict().items()},
                           keys, "keys")
        if format == "torch":
            import torch  # optional: pip install ".[torch]"
            out = {k: torch.from_numpy(v) for k, v in out.items()}
        return out

    def load_state_dict(self, state_dict: Any, keys: dict | None = None) -> None:
        """Copy parameters in place, by ``"<name>.<key>"``.

        Parameters
        ----------
        state_dict : dict, or a PyTorch module
            NumPy arrays, backend arrays or torch tensors; a module's own ``state_dict()``
            is read (``seq.load_state_dict(torch_model, keys={"lstm": "0", "fc": "2"})``).
        keys : dict, optional
            Renames the first part of each given key to one of this Sequential's names.

        Every key and shape is checked before anything is copied.
        """
        if not isinstance(state_dict, dict) and callable(getattr(state_dict, "state_dict", None)):
            state_dict = state_dict.state_dict()
        if keys is not None:
            if not isinstance(keys, dict):
                raise TypeError(f"keys must be a dict from the source's names to ours, got {type(keys).__name__}")
            state_dict = _renamed_all(state_dict, keys, "keys")
        validate.keys("state_dict", state_dict, self.params, type(self).__name__)
        parts = {}
        for name, m in self.modules.items():
            prefix = f"{name}."
            parts[name] = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
            if m.params:  # check every module's shapes before copying into any (load_state_dict checks first)
                for k, v in parts[name].items():
                    validate.shape(f"state_dict[{prefix + k!r}]", v, tuple(m.params[k].shape),
                                   f"(the shape of {name}.params[{k!r}])")
        for name, m in self.modules.items():
            if m.params:
                m.load_state_dict(parts[name])

    def train(self, mode: bool = True) -> Sequential:
        """Training mode (dropout on) or, with ``mode=False``, evaluation mode, for every module."""
        self.training = validate.boolean("mode", mode)
        for m in self.modules.values():
            m.train(mode)
        return self

    def __repr__(self) -> str:
        lines = [f"  ({name}): {m!r}" for name, m in self.modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + f"\n)  # {self.num_params:,} parameters"

    def forward(self, x: Any, state: Any = None, *, lengths: Any = None, return_state: bool = False) -> Any:
        """Run every module in order.

        The same call as a recurrent layer's, ``forward(x, state=None, *, lengths=None)``, but it
        returns the output alone unless asked for the state too.

        Parameters
        ----------
        x : (B, T, F) array, or (B, T) token ids for an Embedding first
        state : optional
            The initial state of the first recurrent layer (as that layer takes it).
        lengths : (B,) ints, optional
            Valid steps of each sequence; passed to every module that takes them.
        return_state : bool, default False
            Also return the first recurrent layer's final state (truncated BPTT carries it).

        Returns
        -------
        y, or ``(y, state)`` with ``return_state`` (``state`` None without a recurrent layer)
        """
        final = None
        first = next(iter(self.modules.values()), None)
        if lengths is not None and not isinstance(first, Recurrent) and not getattr(first, "uses_lengths", False) \
                and getattr(x, "dtype", None) is not None and to_numpy(x[:0]).dtype.kind == "f":
            # a Linear or a Tanh first would carry the padding's nan into its gradient (0 * nan is nan): select it away
            x = MaskPadding()(validate.float_array("x", x, self.dtype), lengths=lengths)
        for m in self.modules.values():
            if isinstance(m, Recurrent):
                x_in = x if m.batch_first else permute_dims(x, (1, 0, 2))
                out, s = m(x_in, state if final is None else None, lengths=lengths)
                x = out if m.batch_first else permute_dims(out, (1, 0, 2))
                final = (s,) if final is None else final
            elif isinstance(m, MultiheadAttention):  # self-attention over the sequence; weights in m.last_attention
                out, _ = m(x if m.batch_first else permute_dims(x, (1, 0, 2)), lengths=lengths, need_weights=False)
                x = out if m.batch_first else permute_dims(out, (1, 0, 2))
            elif getattr(m, "uses_lengths", False):
                x = m(x, lengths=lengths)
            else:
                x = m(x)
        return (x, None if final is None else final[0]) if return_state else x

    __call__ = forward

    def backward(self, dy: Any, *more: Any) -> Any:
        """Backpropagate ``dy`` (shaped like the output) through every module in reverse; fills :attr:`grads`.

        A Sequential whose last module has several outputs (a GaussianHead's ``(mean, var)``)
        takes their gradients as a tuple, or one argument each.

        Returns
        -------
        dx shaped like ``x``, or None for token ids
        """
        dy = (dy, *more) if more else dy
        for m in reversed(self.modules.values()):
            if isinstance(m, (Recurrent, MultiheadAttention)):
                d_out = dy if m.batch_first else permute_dims(dy, (1, 0, 2))
                dx = m.backward(d_out)
                dx = dx[0] if isinstance(m, Recurrent) else dx  # a recurrent layer's (dx, dstate)
                dy = dx if m.batch_first else permute_dims(dx, (1, 0, 2))
            else:  # a module of several outputs (GaussianHead's mean and var) takes their gradients apart
                dy = m.backward(*dy) if isinstance(dy, tuple) else m.backward(dy)
            if dy is None:  # token ids: nothing before them has a gradient
                break
        return dy


def sequential_parts(config: Any) -> list:
    """``[(name, class, config), ...]`` of a Sequential's config ``{"modules": [[name, type, config], ...]}``,
    each type found in the registry: what a checkpoint builds a Sequential from, and its shapes come from."""
    modules = config.get("modules") if isinstance(config, dict) else None
    if not isinstance(modules, list) or not all(isinstance(m, list) and len(m) == 3 for m in modules):
        raise ValueError("a Sequential's config must list [name, type, config] for each module")
    parts, seen = [], set()
    for name, type_name, part_config in modules:
        _check_name(name)
        if name in seen:
            raise ValueError(f"a Sequential's config names two modules {name!r}: each name must be its own")
        seen.add(name)
        part = registered(type_name)
        if not isinstance(part_config, dict):
            raise ValueError(f"the config of a {type_name} must be a dict, got {type(part_config).__name__}")
        parts.append((name, part, part_config))
    return parts


def _check_name(name: Any) -> None:
    """A module's name: a non-empty string without a dot (a dot would make its parameters' keys ambiguous)."""
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"a module's name must be a non-empty string without '.', as in PyTorch, got {name!r}")


def _renamed(key: str, keys: dict | None) -> str:
    """``key`` with its first dotted part renamed by ``keys`` (when it is there)."""
    if not keys:
        return key
    head, dot, rest = key.partition(".")
    return str(keys.get(head, head)) + dot + rest


def _renamed_all(arrays: dict, keys: dict | None, name: str) -> dict:
    """``arrays`` with every key renamed by ``keys`` (see :func:`_renamed`); a ValueError when two keys become one."""
    out: dict = {}
    for key, v in arrays.items():
        new = _renamed(key, keys)
        if new in out:
            raise ValueError(f"{name} gives two parameters the same name {new!r}: rename each module to a name "
                             f"of its own, got {name}={keys!r}")
        out[new] = v
    return out


def _refuse_repeats(items: list) -> None:
    """A ValueError when one module object sits in two places (nested Sequentials too).

    Each module keeps the one cache its last forward saved, and its backward fills ``grads`` anew, so an
    object run twice would backpropagate its second use alone: PyTorch sums the gradients of a shared module,
    minilstm refuses it rather than give wrong gradients.
    """
    seen: dict = {}
    todo = list(items)
    for path, m in todo:  # breadth first: a nested Sequential's modules are appended as it is met
        if id(m) in seen:
            raise ValueError(f"module {path!r} is the same {type(m).__name__} object as module {seen[id(m)]!r}: "
                             "a module keeps one forward's cache, so it cannot run twice in a Sequential (its "
                             "gradients would be its last use's alone); give each place a module of its own")
        seen[id(m)] = path
        inner = getattr(m, "modules", None)
        todo += [(f"{path}.{name}", part) for name, part in inner.items()] if isinstance(inner, dict) else []


def _resolve_last_steps(items: list) -> None:
    """A LastStep without ``bidirectional`` reads as many directions as the recurrent layer before it, unless
    a layer with weights (a Linear) came between: its features mix the two directions' halves."""
    directions = 1
    for _, m in items:
        if isinstance(m, Recurrent):
            directions = m.num_directions
        elif m.params:
            directions = 1
        elif isinstance(m, LastStep) and m.bidirectional is None:
            m.bidirectional = directions == 2


def as_sequential(module: Any) -> Sequential:
    """``module`` itself if it is a Sequential (or a Model), else a Sequential of it alone.

    :func:`minilstm.train`, :func:`~minilstm.predict` and :func:`~minilstm.evaluate`
    run any module this way; the wrapper holds the module's own parameter arrays.
    """
    if isinstance(module, Sequential):
        return module
    if not all(hasattr(module, a) for a in ("forward", "backward", "params", "grads")):
        raise TypeError(f"expected a module (forward, backward, params, grads; see minilstm.nn.module), "
                        f"got {type(module).__name__}")
    return Sequential(module)


def random_generators(module: Any, prefix: str = "") -> dict:
    """Every seeded host generator inside ``module`` (dropout masks come from them), by module path."""
    own = getattr(module, "generator", None)
    out = {prefix.rstrip(".") or "": own} if isinstance(own, np.random.Generator) else {}
    for name, m in getattr(module, "modules", {}).items():
        for k, g in random_generators(m, f"{prefix}{name}.").items():
            if all(g is not seen for seen in out.values()):  # a Model's generator is its rnn's
                out[k] = g
    return out
