"""Checkpoints: :func:`save` a model, :func:`load` it back, rebuilt through the registry.

The file itself, one ``.npz`` that can never run code when opened and is
written atomically, is :mod:`minilstm.checkpoint_file` (``save`` and ``read``
come from there, and a layer's ``save`` method calls it). What needs the
classes is here: :func:`load` and :func:`build`, which rebuild a module from
its type and config through :data:`minilstm.nn.module.REGISTRY` after checking
the shapes its config implies (by its class's own ``param_shapes``) against the
stored arrays, and :func:`check_architecture`, which resuming a run uses. No
layer imports this module.
"""
from __future__ import annotations

import os
from typing import Any

from . import validate
from .checkpoint_file import Checkpoint, field_error, is_builtin, read, save
from .nn.module import registered, shape_rule
from .nn.sequential import Sequential, sequential_parts

__all__ = ["save", "read", "load", "build", "registered", "architecture", "check_architecture", "Checkpoint"]


def architecture(ckpt: Checkpoint) -> tuple[str, Any]:
    """The type name and config a checkpoint holds, in this version's spelling.

    Older files hold a Model without a type, and a Model's ``readout`` under its former name ``head``.
    """
    return ckpt.meta.get("type", "Model"), _upgraded(ckpt.meta.get("type", "Model"), ckpt.meta["architecture"])


def _upgraded(type_name: Any, config: Any) -> Any:
    """``config`` with the former spellings renamed (recursively through a Sequential's modules)."""
    if type_name == "Model" and isinstance(config, dict) and "head" in config and "readout" not in config:
        return {("readout" if k == "head" else k): v for k, v in config.items()}
    if type_name == "Sequential" and isinstance(config, dict) and isinstance(config.get("modules"), list):
        return {**config, "modules": [[m[0], m[1], _upgraded(m[1], m[2])] if isinstance(m, list) and len(m) == 3
                                      else m for m in config["modules"]]}
    return config


def check_architecture(model: Any, ckpt: Checkpoint, path: str) -> None:
    """A ValueError listing every setting where ``model`` and the checkpoint differ."""
    saved, ours = architecture(ckpt)[1], model.config
    diffs = [f"{k}: checkpoint {saved.get(k)!r}, model {ours.get(k)!r}"
             for k in sorted(set(saved) | set(ours)) if saved.get(k) != ours.get(k)]
    if diffs:
        raise ValueError(f"checkpoint {path!r} holds another architecture: " + "; ".join(diffs))


def load(path: str) -> Any:
    """Rebuild the model saved at ``path`` (architecture and weights).

    A :class:`~minilstm.Model`, a :class:`~minilstm.Sequential` or any module is
    rebuilt from its type and config through :data:`minilstm.nn.module.REGISTRY`
    (a learner's own module class must be defined, or imported, first: it is found
    by its qualified name, see :func:`minilstm.checkpoint_file.type_name`). For
    minilstm's own modules (and a learner's that has its own ``param_shapes``) the
    shapes the config implies are compared with the stored arrays first, so a config
    that disagrees is refused without building; in a Sequential, a learner's module
    without a rule leaves the others checked. A Sequential lists at most
    :data:`MAX_MODULES` modules, nested ones counted; only registered classes (never
    minilstm's private ones) are built. Every error is a ValueError naming the file.

    Examples
    --------
    >>> minilstm.save(model, "runs/sine/model.npz")  # doctest: +SKIP
    >>> model = minilstm.load("runs/sine/model.npz")  # doctest: +SKIP
    """
    ckpt = read(path)
    path = os.fspath(path)
    type_name, arch = architecture(ckpt)
    try:
        _check_module_count(arch if type_name == "Sequential" else None)
        expected, unknown = _expected_shapes(registered(type_name), arch, len(ckpt.params))
    except (TypeError, ValueError) as err:
        raise field_error(path, "architecture", f"cannot be built by this minilstm: {err}") from err
    _check_shapes(expected, {k: v for k, v in ckpt.params.items() if not k.startswith(tuple(unknown))}, path)
    try:
        model = build(type_name, arch)
    except (TypeError, ValueError) as err:
        raise field_error(path, "architecture", f"cannot be built by this minilstm: {err}") from err
    try:
        model.load_state_dict(ckpt.params)
    except (TypeError, ValueError) as err:
        raise field_error(path, "param", f"does not fit the architecture: {err}") from err
    return model


def _expected_shapes(cls: type, config: Any, held: int) -> tuple[dict, list]:
    """``{key: shape}`` by the classes' own rules (see :func:`minilstm.nn.module.shape_rule`), and the key
    prefixes of the modules without one (a learner's), whose shapes only building them tells: a Sequential's
    modules each by their own, so that one learner's module leaves minilstm's around it checked."""
    if not isinstance(config, dict):
        raise ValueError(f"the config of a {cls.__name__} must be a dict, got {type(config).__name__}")
    if cls is Sequential:
        expected, unknown = {}, []
        for name, part, part_config in sequential_parts(config):
            shapes, inner = _expected_shapes(part, part_config, held)
            expected.update({f"{name}.{k}": shape for k, shape in shapes.items()})
            unknown += [f"{name}.{prefix}" for prefix in inner]
        return expected, unknown
    rule = shape_rule(cls)
    if rule is None:
        return {}, [""]
    _check_layer_counts(cls, config, held)
    return rule(**config), []


MAX_MODULES = 1000  # in one Sequential's config, nested ones included: each is built, 200,000 took 46 s


def _check_module_count(config: Any) -> None:
    """A Sequential's config listing more than :data:`MAX_MODULES` modules, nested ones counted, is refused
    before any module's type is looked up."""
    count, todo = 0, [config]
    while todo:
        part = todo.pop()
        modules = part.get("modules") if isinstance(part, dict) else None
        if not isinstance(modules, list):
            continue
        count += len(modules)
        if count > MAX_MODULES:
            raise ValueError(f"a Sequential of {count} modules or more is more than load builds ({MAX_MODULES})")
        todo += [m[2] for m in modules if isinstance(m, list) and len(m) == 3 and m[1] == "Sequential"]


def _check_layer_counts(cls: type, config: dict, held: int) -> None:
    """A ``num_layers`` the file cannot hold, refused before one layer's shapes is listed (ten million
    layers would take minutes to list): every layer of minilstm's stacks stores two weight arrays at least."""
    if is_builtin(cls) and "num_layers" in config:
        layers = validate.positive_int("num_layers", config["num_layers"])
        if 2 * layers > held:
            raise ValueError(f"num_layers={layers} needs {2 * layers} weight arrays or more, the file holds {held}")


def _check_shapes(expected: dict, params: dict, path: str) -> None:
    """A ValueError naming the first few parameters whose stored shape differs from the architecture's."""
    problems = [f"{k} is {tuple(params[k].shape)} in the file but {shape} by the architecture"
                for k, shape in expected.items() if k in params and tuple(params[k].shape) != shape]
    problems += [f"{k} is missing from the file" for k in expected if k not in params]
    problems += [f"{k} is in the file but not in the architecture" for k in params if k not in expected]
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise field_error(path, "architecture", "does not match the stored weights: " + "; ".join(problems[:3])
                           + more)


def build(type_name: str, config: dict) -> Any:
    """A module made from its type name and config (a Sequential from its modules' names, types and configs)."""
    return _built(registered(type_name), config)


def _built(cls: type, config: Any) -> Any:
    if cls is Sequential:
        return Sequential(**{name: _built(part, part_config) for name, part, part_config in sequential_parts(config)})
    if not isinstance(config, dict):
        raise ValueError(f"the config of a {cls.__name__} must be a dict, got {type(config).__name__}")
    return cls(**config)
