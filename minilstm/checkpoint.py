"""Checkpoints: one ``.npz`` file that can never run code when opened.

The archive holds the model's arrays under ``param/<name>``, the optimizer's
arrays under ``optim/<name>``, and under ``meta`` a JSON text with the
architecture, the versions, the optimizer's scalars and whatever training
state the caller adds (epoch, seed, random-generator state, history). It is
read with ``allow_pickle=False`` and written to a temporary file that is then
renamed over the target, so a crash mid-save leaves the last good file intact.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any, NamedTuple

import numpy as np

FORMAT = "minilstm-checkpoint"
VERSION = 1


class Checkpoint(NamedTuple):
    """What :func:`read` finds in a file."""

    params: dict     # name -> host array
    optimizer: dict  # optimizer.state_dict() (arrays and scalars), empty if none was saved
    meta: dict       # architecture, versions, training state


def save(model: Any, path: str, optimizer: Any = None, **training_state: Any) -> str:
    """Write ``model`` (and ``optimizer``'s state) to ``path`` atomically; return the path.

    ``training_state`` must be JSON-serialisable (numbers, strings, lists, dicts).
    """
    from . import __version__

    path = os.fspath(path)
    arrays = {f"param/{k}": v for k, v in model.state_dict().items()}
    scalars = {}
    if optimizer is not None:
        for k, v in optimizer.state_dict().items():
            if isinstance(v, np.ndarray):
                arrays[f"optim/{k}"] = v
            else:
                scalars[k] = v
    meta = {"format": FORMAT, "version": VERSION, "minilstm": __version__, "numpy": np.__version__,
            "type": type(model).__name__, "architecture": model.config, "optimizer": None if optimizer is None else
            {"name": type(optimizer).__name__, "scalars": scalars}, "training": training_state}
    arrays["meta"] = np.array(json.dumps(meta))
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def read(path: str) -> Checkpoint:
    """Open a checkpoint without running any code; a clear ValueError if it is not one."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    try:
        with open(path, "rb") as f:  # our own handle: np.load leaks its own when a zip is corrupt
            archive = np.load(f, allow_pickle=False)
            if not hasattr(archive, "files"):
                raise ValueError("it holds one array (.npy), not an archive")
            with archive:
                contents = {k: archive[k] for k in archive.files}
        meta = json.loads(str(contents.pop("meta")))
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as err:
        raise ValueError(f"{path!r} is not a readable minilstm checkpoint ({type(err).__name__}: {err})") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a minilstm checkpoint (no {FORMAT!r} marker)")
    if meta.get("version", 0) > VERSION:
        raise ValueError(f"{path!r} was written by a newer minilstm (format {meta['version']}); upgrade to read it")
    params = {k[len("param/"):]: v for k, v in contents.items() if k.startswith("param/")}
    optimizer = {k[len("optim/"):]: v for k, v in contents.items() if k.startswith("optim/")}
    if meta.get("optimizer"):
        optimizer.update(meta["optimizer"]["scalars"])
    return Checkpoint(params, optimizer, meta)


def check_architecture(model: Any, ckpt: Checkpoint, path: str) -> None:
    """A ValueError listing every setting where ``model`` and the checkpoint differ."""
    saved, ours = ckpt.meta.get("architecture", {}), model.config
    diffs = [f"{k}: checkpoint {saved.get(k)!r}, model {ours.get(k)!r}"
             for k in sorted(set(saved) | set(ours)) if saved.get(k) != ours.get(k)]
    if diffs:
        raise ValueError(f"checkpoint {path!r} holds another architecture: " + "; ".join(diffs))


def load(path: str) -> Any:
    """Rebuild the model saved at ``path`` (architecture and weights).

    A :class:`~minilstm.Model`, a :class:`~minilstm.Sequential` or any module is
    rebuilt from its type and config through :data:`minilstm.module.REGISTRY`
    (a learner's own module class must be defined, or imported, first).

    Examples
    --------
    >>> model = minilstm.load("runs/sine/model.npz")  # doctest: +SKIP
    """
    ckpt = read(path)
    arch = ckpt.meta.get("architecture")
    if not isinstance(arch, dict):
        raise ValueError(f"checkpoint {os.fspath(path)!r} has no architecture")
    try:
        model = build(ckpt.meta.get("type", "Model"), arch)  # files before types were saved hold a Model
    except (TypeError, ValueError) as err:
        raise ValueError(f"checkpoint {os.fspath(path)!r} has an architecture this minilstm "
                         f"cannot build: {err}") from err
    model.load_state_dict(ckpt.params)
    return model


def build(type_name: str, config: dict) -> Any:
    """A module made from its class name and config (a Sequential from its modules' names, types and configs)."""
    from .module import REGISTRY
    from .nn.sequential import Sequential

    if type_name == "Sequential":
        modules = config.get("modules") if isinstance(config, dict) else None
        if not isinstance(modules, list) or not all(isinstance(m, list) and len(m) == 3 for m in modules):
            raise ValueError("a Sequential's config must list [name, type, config] for each module")
        return Sequential(**{str(name): build(t, c) for name, t, c in modules})
    if not isinstance(type_name, str) or type_name not in REGISTRY:
        raise ValueError(f"unknown module type {type_name!r}: define or import its class (a subclass of "
                         "minilstm.module.Module) before loading")
    if not isinstance(config, dict):
        raise ValueError(f"the config of a {type_name} must be a dict, got {type(config).__name__}")
    return REGISTRY[type_name](**config)
