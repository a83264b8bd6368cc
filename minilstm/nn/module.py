"""What every layer shares: ``params``/``grads`` dicts, state dicts, its config, and guards.

The module protocol: what :class:`~minilstm.Sequential`, :func:`minilstm.train`,
:func:`~minilstm.predict`, :func:`~minilstm.evaluate`, :func:`~minilstm.gradcheck`
and checkpoints need of a module, one that ships with minilstm or a learner's own
(a subclass of :class:`Module`, whose ``__init__`` arguments are its config):

- ``forward(x) -> y`` (``__call__`` too), saving what the backward needs; a module
  that reads padding takes ``lengths=`` as well, by keyword (``forward(x, *, lengths=None)``),
  and sets ``uses_lengths = True``.
- ``backward(dy) -> dx``: the gradient with respect to ``x`` (None for token ids),
  filling ``grads``.
- ``params``, ``grads``: dicts of arrays under the same keys (empty without parameters).
- ``train(mode=True)`` / ``eval()`` and ``training``; ``dtype``.
- ``generator``: the seeded host generator its dropout masks come from, or None;
  a checkpoint of a training run keeps its state (a :class:`Module` sets ``_rng``).
- ``config``: the constructor's arguments as JSON (numbers, strings, lists, dicts),
  recorded by :class:`Module` itself; a checkpoint rebuilds the module as
  ``REGISTRY[name](**config)``, where every subclass of :class:`Module` enters
  itself when it is defined (see :func:`minilstm.checkpoint_file.type_name`).
- ``save(path)``: a checkpoint that :func:`minilstm.load` rebuilds (:class:`Module` has it).
- ``param_shapes(**config) -> {key: shape}``, a classmethod: the keys and shapes of the
  ``state_dict()`` the module of that config holds, in order, worked out without allocating
  anything; every argument a shape depends on is checked as the constructor checks it (a
  TypeError or ValueError naming it). Each of minilstm's classes has one beside its constructor,
  which allocates from it (a Sequential's and a Model's combine their modules'), so the rule that
  builds a layer is the rule a checkpoint's config is checked against: :func:`minilstm.load`
  compares it with the stored arrays before building anything. A learner's class may define its
  own; without one (:func:`shape_rule` is None) a checkpoint builds the module first and checks
  its shapes after.

A layer keeps its parameters in ``params`` (name -> array of the active
backend) and the gradients of its last backward in ``grads`` under the same
names. Loading a state dict copies values *into* those arrays, so an optimizer
holding them sees the new values.
"""
from __future__ import annotations

import inspect as pyinspect
import math
import numbers
from typing import Any

import numpy as np

from .. import checkpoint_file, validate
from ..backend import Backend, get_backend, to_numpy

# type name -> Module subclass: how a checkpoint rebuilds a module from its type and config. minilstm's own
# classes enter under their class name ("LSTM"), every other one under its qualified name
# ("__main__.LSTM"), so a learner's `class LSTM(minilstm.LSTM)` never replaces the built-in entry
REGISTRY: dict = {}


def _register(cls: type) -> None:
    """Enter ``cls`` in :data:`REGISTRY` under :func:`minilstm.checkpoint_file.type_name`.

    A class defined again under the same module and name (a notebook cell run twice) replaces its
    earlier self. A built-in entry is never replaced: only another of minilstm's own classes could
    reach its name, and that would be a bug of minilstm's. minilstm's private classes (``_Parameterless``,
    a base of the activations) are not entered: a checkpoint names only public classes.
    """
    if checkpoint_file.is_builtin(cls) and cls.__name__.startswith("_"):
        return
    name, where = checkpoint_file.type_name(cls), (cls.__module__, cls.__qualname__)
    old = REGISTRY.get(name)
    if old is not None and checkpoint_file.is_builtin(old) and (old.__module__, old.__qualname__) != where:
        raise TypeError(f"the registry name {name!r} belongs to {old.__module__}.{old.__qualname__}; "
                        f"{'.'.join(where)} cannot replace it")
    REGISTRY[name] = cls


def registered(type_name: str) -> type:
    """The class :data:`REGISTRY` holds for ``type_name``, or a ValueError saying what to define first.

    A file written before learners' classes were registered under their qualified names holds the bare
    class name (``"Scale"``): it still finds the one learner's class of that name, if there is one.
    """
    if isinstance(type_name, str) and type_name in REGISTRY:
        return REGISTRY[type_name]
    if isinstance(type_name, str) and "." not in type_name:
        same = [name for name, cls in REGISTRY.items()
                if not checkpoint_file.is_builtin(cls) and cls.__name__ == type_name]
        if len(same) == 1:
            return REGISTRY[same[0]]
        if same:
            raise ValueError(f"module type {type_name!r} is ambiguous: {', '.join(sorted(same))} are all defined")
    raise ValueError(f"unknown module type {type_name!r}: define or import its class (a subclass of "
                     "minilstm.nn.Module) before loading")


def shape_rule(cls: type) -> Any:
    """``cls.param_shapes`` where it speaks for ``cls``; None where the module must be built to know its shapes.

    minilstm's own classes each have theirs. A learner's class speaks only through one it defines itself:
    one it inherits (``class Mine(minilstm.LSTM)``) describes the parent's constructor, not its own.
    """
    if checkpoint_file.is_builtin(cls) or "param_shapes" in vars(cls):
        return getattr(cls, "param_shapes", None)
    return None


def no_params(cls: type, *args: Any, **config: Any) -> dict:
    """The ``param_shapes`` of a layer without parameters: ``{}``, once ``config`` is seen to be arguments its
    constructor takes (a TypeError naming the one it does not, as the constructor would)."""
    try:
        pyinspect.signature(cls.__init__).bind(None, *args, **config)
    except TypeError as err:
        raise TypeError(f"{cls.__name__}() {err}") from None
    return {}


class Module:
    """Base of the layers: parameter bookkeeping and config, no maths."""

    params: dict
    grads: dict
    dtype: str
    _cache: Any = None
    _rng: Any = None      # the seeded host generator of its draws (weights, dropout masks), if any
    uses_lengths = False  # True: forward takes lengths= (Sequential passes them on)
    training = True       # dropout and the like act in training mode only

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls)

    def __new__(cls, *args: Any, **kwargs: Any) -> Module:
        self = super().__new__(cls)
        # the constructor's arguments, bound to their names: the module's config
        self._init_arguments = pyinspect.signature(cls.__init__).bind_partial(None, *args, **kwargs).arguments
        return self

    @property
    def config(self) -> dict:
        """The constructor's arguments as JSON-able values (a seed Generator becomes None)."""
        args = dict(getattr(self, "_init_arguments", {}))
        args.pop(next(iter(args), None), None)  # self
        kinds = {k: p.kind for k, p in pyinspect.signature(type(self).__init__).parameters.items()}
        out = {}
        for k, v in args.items():
            if kinds[k] is pyinspect.Parameter.VAR_KEYWORD:
                out.update({kk: _json_value(kk, vv) for kk, vv in v.items()})
            else:
                out[k] = _json_value(k, v)
        return out

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """``module(x)`` is ``module.forward(x)``."""
        return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout on) or, with ``mode=False``, evaluation mode; returns the module."""
        self.training = validate.boolean("mode", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout off."""
        return self.train(False)

    @property
    def generator(self) -> np.random.Generator | None:
        """The seeded host generator the module draws from (dropout masks after init), or None.

        :func:`minilstm.train` saves its state with a checkpoint and restores it on resume,
        and :func:`~minilstm.gradcheck` replays it, so masks are the same draws again.
        """
        return self._rng

    @property
    def num_params(self) -> int:
        """The number of trainable numbers: the sum of the sizes of :attr:`params`."""
        return sum(int(math.prod(p.shape)) for p in self.params.values())

    def _set_params(self, host: dict) -> None:
        """Move host arrays to the backend as ``params``; zero ``grads`` beside them."""
        be = get_backend()
        self.params = {k: be.asarray(v, self.dtype) for k, v in host.items()}
        self.grads = {k: be.zeros(tuple(v.shape), self.dtype) for k, v in self.params.items()}

    def _check_backend(self) -> Backend:
        """The active backend, if this layer's parameters are its arrays."""
        be, p = get_backend(), next(iter(self.params.values()))
        if not isinstance(p, be.array_type):
            raise RuntimeError(f"{type(self).__name__}'s parameters are {type(p).__module__}.{type(p).__name__} "
                               f"arrays but the active backend is {be.name!r}: make the layer under the "
                               "backend it runs on (or load its state_dict() into a new one)")
        return be

    def _require_forward(self) -> Any:
        """What the last forward saved, or a RuntimeError when there was none."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward(): "
                               "run forward first, backward uses what it saved")
        return self._cache

    def save(self, path: str, optimizer: Any = None, *, overwrite: bool = False, **training_state: Any) -> str:
        """Write a checkpoint of this module (and ``optimizer``'s state); return the path.

        The same as :func:`minilstm.save(module, path) <minilstm.save>` (a read-only file at ``path``
        is replaced only with ``overwrite=True``); :func:`minilstm.load` rebuilds it.
        ``training_state`` (JSON-like) is stored beside it (see :func:`minilstm.checkpoint_file.save`).
        """
        return checkpoint_file.save(self, path, optimizer, overwrite=overwrite, **training_state)

    def state_dict(self) -> dict:
        """Parameters as host NumPy arrays under PyTorch's keys."""
        return {k: to_numpy(v).copy() for k, v in self.params.items()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load parameters (NumPy arrays, backend arrays or torch tensors) by PyTorch's keys.

        Values are copied into the existing arrays after every key and shape is checked,
        cast to the layer's dtype as PyTorch's ``load_state_dict`` does (``bfloat16`` too).

        Raises
        ------
        TypeError
            If ``state_dict`` is not a dict or a value is not an array of floats.
        ValueError
            Naming every missing or unexpected key, or the first wrong shape.
        """
        validate.keys("state_dict", state_dict, self.params, type(self).__name__)
        new = {}
        for k, v in state_dict.items():
            if hasattr(v, "detach"):  # a PyTorch tensor
                if getattr(v, "is_meta", False):  # made on device="meta": a shape without numbers
                    raise ValueError(f"state_dict[{k!r}] is a torch tensor on the meta device, which holds no "
                                     "values: load the model's weights first (load_state_dict(..., assign=True), "
                                     "or build it without device='meta')")
                v = v.detach().cpu()
                if v.is_floating_point() and v.dtype.itemsize <= 2 and str(v.dtype) != "torch.float16":
                    v = v.float()  # bfloat16 (or float8) has no NumPy dtype; float32 holds it exactly
                v = v.numpy()
            elif hasattr(v, "shape"):  # an array of any backend
                v = to_numpy(v)
            new[k] = validate.float_array(f"state_dict[{k!r}]", v, self.dtype)
            validate.shape(f"state_dict[{k!r}]", new[k], tuple(self.params[k].shape),
                           f"(the shape of {type(self).__name__}.params[{k!r}])")
        for k, v in new.items():
            self.params[k][...] = v


def _json_value(name: str, v: Any) -> Any:
    """``v`` as JSON: NumPy scalars as Python numbers, a seed Generator as None; else a clear error."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, np.random.Generator):
        return None  # the weights come from the state dict; a rebuilt module needs no seed
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_json_value(name, x) for x in v]
    if isinstance(v, dict):
        return {str(k): _json_value(name, x) for k, x in v.items()}
    raise TypeError(f"argument {name!r} = {type(v).__name__} cannot be saved in a config (JSON): "
                    "give numbers, strings, lists or dicts")
