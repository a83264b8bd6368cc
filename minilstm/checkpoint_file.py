"""The checkpoint file: one ``.npz`` that can never run code when opened (:func:`save`, :func:`read`).

The archive holds the model's arrays under ``param/<name>``, the optimizer's
arrays under ``optim/<name>``, and under ``meta`` a JSON text with the
architecture, the versions, the optimizer's scalars and whatever training
state the caller adds (epoch, seed, random-generator state, history).

Saving is atomic (see :mod:`minilstm.atomic`): a process killed at any moment
leaves the previous checkpoint whole, the next save into that folder removes
the temporary a dead writer left, and the file's mode follows the umask, as
``open()`` does. Reading never unpickles (the arrays are read by
:mod:`minilstm.npz`, which checks every header and the members' sizes against
the file's real size before making any array), counts the JSON's nesting and
keys in linear time before parsing it, and checks each metadata field; a file
is at most :data:`minilstm.npz.MAX_MEMBERS` arrays, :data:`MAX_KEYS` JSON keys
and :data:`MAX_DEPTH` levels deep; :func:`minilstm.checkpoint.load` compares the architecture
with the stored arrays' shapes before building anything. A file that is no checkpoint at all (a
text file, a ``.npy``, a zip or ``.npz`` without minilstm's metadata) is a
ValueError ``'<path>' is not a minilstm checkpoint: <why>...``; a malformed
checkpoint is a ValueError ``checkpoint '<path>': field '<name>' ...``.
"""
from __future__ import annotations

import contextlib
import errno
import json
import numbers
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

# the package's own __init__ sets __version__ before it imports any module
from . import __version__, atomic, npz

FORMAT = "minilstm-checkpoint"
VERSION = 1
MAX_DEPTH = 32  # JSON nesting; what train() writes is 5 deep (training.rng_states.<name>.state.state)
MAX_KEYS = 100_000  # JSON keys; a run's meta holds about 50, a Sequential's config about 5 a module
ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or the end record of an empty zip


class Checkpoint(NamedTuple):
    """What :func:`read` finds in a file."""

    params: dict     # name -> host array
    optimizer: dict  # optimizer.state_dict() (arrays and scalars), empty if none was saved
    meta: dict       # architecture, versions, training state


# ----------------------------------------------------------------------------------------------- saving
def type_name(cls: Any) -> str:
    """The name a module class (or a module) has in checkpoints and in :data:`minilstm.nn.module.REGISTRY`.

    minilstm's own classes are known by their class name (``"LSTM"``); any other by its module and
    qualified name (``"__main__.LSTM"``, ``"mylayers.Scale"``), so a learner's ``class LSTM(minilstm.LSTM)``
    never takes the built-in's name, and two learners' classes of one name in two files keep apart.
    """
    cls = cls if isinstance(cls, type) else type(cls)
    return cls.__name__ if is_builtin(cls) else f"{cls.__module__}.{cls.__qualname__}"


def is_builtin(cls: type) -> bool:
    """Whether ``cls`` is one of minilstm's own classes (defined in the package)."""
    return cls.__module__ == "minilstm" or cls.__module__.startswith("minilstm.")


def save(model: Any, path: str, optimizer: Any = None, *, overwrite: bool = False, **training_state: Any) -> str:
    """Write ``model`` (and ``optimizer``'s state) to ``path`` atomically; return the path.

    A file already at ``path`` is replaced, as ``open(path, "w")`` would, unless it is
    read-only: that one only with ``overwrite=True``. ``training_state`` must be JSON-like:
    numbers (NumPy scalars too), strings, lists, tuples and dicts. It is checked before
    anything touches the disk.

    Raises
    ------
    TypeError
        Naming the field that JSON cannot hold.
    PermissionError
        If ``path`` is a read-only file and ``overwrite`` is False.
    OSError
        Naming ``path`` and the cause (a full disk, a read-only folder); the
        previous file at ``path`` is then untouched.
    """
    path = os.fspath(path)
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    if not overwrite and os.path.isfile(path) and _read_only(path):
        raise PermissionError(errno.EACCES, f"{path!r} is read-only: minilstm.save replaces it only with "
                                            "overwrite=True")
    arrays = {f"param/{k}": v for k, v in model.state_dict().items()}
    scalars = {}
    if optimizer is not None:
        for k, v in optimizer.state_dict().items():
            if isinstance(v, np.ndarray) and v.ndim > 0:
                arrays[f"optim/{k}"] = v
            else:
                scalars[k] = v
    meta = {"format": FORMAT, "version": VERSION, "minilstm": __version__, "numpy": np.__version__,
            "type": type_name(model), "architecture": model.config, "optimizer": None if optimizer is None else
            {"name": type(optimizer).__name__, "scalars": scalars}, "training": training_state}
    arrays["meta"] = np.array(json.dumps(_plain(meta, "")))
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        atomic.write(path, lambda f: np.savez(f, **arrays))
    except OSError as err:
        message = f"could not save the checkpoint {path!r} ({err.strerror or err}); any previous file there " \
                  "is untouched"
        raise (type(err)(err.errno, message) if err.errno else type(err)(message)) from err
    return path


def _read_only(path: str) -> bool:
    """Whether the file at ``path`` is read-only: to us, or to all (chmod 444, which root may still write)."""
    return not os.access(path, os.W_OK) or not os.stat(path).st_mode & 0o222


def _plain(v: Any, where: str) -> Any:
    """``v`` with NumPy scalars as Python numbers and tuples as lists; a TypeError naming the field otherwise."""
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "biuf":
        return _plain(v.item(), where)
    if isinstance(v, (list, tuple)):
        return [_plain(x, f"{where}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, dict) and all(isinstance(k, (str, numbers.Integral)) for k in v):
        return {str(k) if isinstance(k, str) else str(int(k)): _plain(x, f"{where}.{k}".lstrip("."))
                for k, x in v.items()}
    raise TypeError(f"checkpoint field {where!r} = {type(v).__name__} cannot be saved (JSON): give numbers, "
                    "strings, lists or dicts with string keys")


# ---------------------------------------------------------------------------------------------- reading
def read(path: str) -> Checkpoint:
    """Open a checkpoint without running any code; a clear ValueError if it is not a whole, valid one.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        ``'<path>' is not a minilstm checkpoint: <why>`` for a file that is no
        checkpoint at all (not a zip, a single ``.npy`` array, an archive
        without minilstm's ``meta``, pickled objects); ``'<path>' is not a
        readable minilstm checkpoint (...)`` for a damaged archive; or
        ``checkpoint '<path>': field '<name>' ...`` naming what is wrong.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}")
    with open(path, "rb") as f:
        _check_zip(f, path)  # before zipfile, whose message would not say what the file is instead
        with _readable(path):
            zf = zipfile.ZipFile(f)
        with zf:
            contents = _arrays(zf, os.fstat(f.fileno()).st_size, path)
    meta = _check_meta(_parse_meta(contents.pop("meta"), path), path)
    for k, v in contents.items():
        if k.startswith(("param/", "optim/")) and v.dtype.kind != "f":
            raise field_error(path, k, f"must hold floats, got dtype {v.dtype}")
    params = {k[len("param/"):]: v for k, v in contents.items() if k.startswith("param/")}
    optimizer = {k[len("optim/"):]: v for k, v in contents.items() if k.startswith("optim/")}
    if meta["optimizer"] is not None:
        optimizer.update(meta["optimizer"]["scalars"])
    return Checkpoint(params, optimizer, meta)


def _arrays(zf: zipfile.ZipFile, file_bytes: int, path: str) -> dict:
    """Every member's array by name, ``meta`` among them; a ValueError naming the member that is wrong."""
    try:
        infos = npz.members(zf, file_bytes)
        names = [npz.key(info) for info in infos]
        if "meta" not in names:
            found = ", ".join(repr(k) for k in names[:4]) + (", ..." if len(names) > 4 else "")
            raise _not_a_checkpoint(path, f"it has no 'meta' entry (it holds {found or 'nothing'})")
        if len(set(names)) < len(names):
            raise npz.BadMember(next(k for k in names if names.count(k) > 1), "is in the archive twice")
        with _readable(path):
            return {npz.key(info): npz.read(zf, info) for info in infos}
    except npz.Pickled as err:  # np.load's message would ask for allow_pickle
        raise _not_a_checkpoint(path, f"its entry {err.key!r} holds Python objects, which only unpickling could "
                                      "read, and load never unpickles") from None
    except npz.BadMember as err:
        raise field_error(path, err.key, err.problem) from None


def _check_zip(f: Any, path: str) -> None:
    """A ValueError saying what ``f`` is instead, unless it starts as a zip (an ``.npz``) does."""
    start = f.read(16)
    f.seek(0)
    if start.startswith(ZIP_STARTS):
        return
    if not start:
        raise _not_a_checkpoint(path, "it is empty")
    if start.startswith(np.lib.format.MAGIC_PREFIX):
        raise _not_a_checkpoint(path, "it holds one NumPy array (a .npy file, as np.save writes), not an archive")
    raise _not_a_checkpoint(path, f"it is not a zip archive (it starts with {start!r})")


def _not_a_checkpoint(path: str, why: str) -> ValueError:
    return ValueError(f"{path!r} is not a minilstm checkpoint: {why}. A checkpoint is the .npz file that "
                      "minilstm.save (or any module's save method) writes")


@contextlib.contextmanager
def _readable(path: str) -> Iterator[None]:
    """Turn what NumPy, zipfile and json raise on a damaged file into one clear ValueError (a member's own
    error goes on to be worded by its caller)."""
    try:
        yield
    except npz.BadMember:
        raise
    except (OSError, EOFError, ValueError, KeyError, IndexError, OverflowError, RuntimeError, struct.error,
            zlib.error, zipfile.BadZipFile) as err:  # RuntimeError: an encrypted member; NotImplementedError too
        raise ValueError(f"{path!r} is not a readable minilstm checkpoint ({type(err).__name__}: {err})") from err


def field_error(path: str, field: str, problem: str) -> ValueError:
    """``checkpoint '<path>': field '<field>' <problem>``: the ValueError of a malformed checkpoint."""
    return ValueError(f"checkpoint {path!r}: field {field!r} {problem}")


def _parse_meta(meta_array: np.ndarray, path: str) -> Any:
    """The JSON under ``meta``, its nesting and its number of keys checked first, in linear time (json's own
    recursion would overflow on deep nesting; a million keys take seconds to parse)."""
    if meta_array.ndim != 0 or meta_array.dtype.kind != "U":
        raise field_error(path, "meta", f"must be one JSON string, got a {meta_array.shape} {meta_array.dtype} "
                                         "array")
    depth, keys = _json_extent(np.frombuffer(meta_array.astype("<U").tobytes(), "<u4"))
    if depth > MAX_DEPTH:
        raise field_error(path, "meta", f"nests {depth} levels deep, more than a checkpoint's {MAX_DEPTH}")
    if keys > MAX_KEYS:
        raise field_error(path, "meta", f"holds {keys} keys, more than a checkpoint's {MAX_KEYS}")
    with _readable(path):
        return json.loads(str(meta_array))


def _json_extent(codes: np.ndarray) -> tuple[int, int]:
    """(deepest nesting of ``[`` and ``{``, number of ``:``) in a JSON text given as its code points, what is
    inside strings not counted, in a few linear passes (a regex skipping strings backtracks quadratically on an
    unterminated one). A quote is a string's edge unless an odd run of backslashes comes right before it."""
    kinds = _KINDS[np.minimum(codes, 127)]
    pos = np.flatnonzero(kinds)          # where the characters that matter are
    kind, k = kinds[pos], np.arange(pos.size)
    next_to = np.concatenate([[False], pos[:-1] + 1 == pos[1:]])  # right after the previous one that matters
    slash = kind == _KIND["\\"]
    goes_on = slash & next_to & np.concatenate([[False], slash[:-1]])   # a backslash continuing a run
    run = np.where(slash, k - np.maximum.accumulate(np.where(goes_on, -1, k)) + 1, 0)  # the run ending at each
    escaped = next_to & (np.concatenate([[0], run[:-1]]) % 2 == 1)
    outside = np.cumsum((kind == _KIND['"']) & ~escaped) % 2 == 0  # an edge itself counts as inside: no bracket
    steps = ((kind == _KIND["["]) & outside).astype(np.int64) - ((kind == _KIND["]"]) & outside)
    return int(np.cumsum(steps).max(initial=0)), int(np.count_nonzero((kind == _KIND[":"]) & outside))


_KIND = {"\\": 1, '"': 2, "[": 3, "{": 3, "]": 4, "}": 4, ":": 5}  # what _json_extent tells apart
_KINDS = np.zeros(128, np.uint8)
_KINDS[[ord(c) for c in _KIND]] = list(_KIND.values())


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# what train() writes under "training"; a learner's own keys beside them are theirs to check
_TRAINING = {
    "epoch": ("an int >= 0", lambda v: _is_int(v) and v >= 0),
    "bad_epochs": ("an int >= 0", lambda v: _is_int(v) and v >= 0),
    "seed": ("an int or null", lambda v: v is None or _is_int(v)),
    "best": ("a number or null", lambda v: v is None or _is_number(v)),
    "history": ("a dict of lists", lambda v: isinstance(v, dict) and all(isinstance(x, list) for x in v.values())),
    "rng_states": ("a dict of dicts", lambda v: isinstance(v, dict) and all(isinstance(x, dict) for x in v.values())),
    "rng_state": ("a dict", lambda v: isinstance(v, dict)),
    "schedule": ("a dict or null", lambda v: v is None or isinstance(v, dict)),
    "unfinished": ("a dict or null", lambda v: v is None or isinstance(v, dict)),  # an interrupted epoch's progress
}


def _check_meta(meta: Any, path: str) -> dict:
    """``meta`` with ``training`` filled in ({} when absent), or a ValueError naming the first bad field."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _not_a_checkpoint(path, f"its 'meta' has no {FORMAT!r} format marker")
    version = meta.get("version")
    if not _is_int(version) or version < 1:
        raise field_error(path, "version", f"must be an int >= 1, got {version!r}")
    if version > VERSION:
        raise ValueError(f"{path!r} was written by a newer minilstm (format {version}); upgrade to read it")
    for field in ("type", "minilstm", "numpy"):
        if field in meta and not isinstance(meta[field], str):
            raise field_error(path, field, f"must be a string, got {meta[field]!r}")
    if not isinstance(meta.get("architecture"), dict):
        raise field_error(path, "architecture", f"must be a dict of settings, got {meta.get('architecture')!r}")
    opt = meta.get("optimizer")
    if opt is not None and not isinstance(opt, dict):
        raise field_error(path, "optimizer", f"must be null or a dict with 'name' and 'scalars', got {opt!r}")
    if opt is not None and not isinstance(opt.get("name"), str):
        raise field_error(path, "optimizer.name", f"must be a string, got {opt.get('name')!r}")
    if opt is not None and not isinstance(opt.get("scalars"), dict):
        raise field_error(path, "optimizer.scalars", f"must be a dict, got {opt.get('scalars')!r}")
    training = meta.get("training", {})
    if not isinstance(training, dict):
        raise field_error(path, "training", f"must be a dict, got {type(training).__name__}")
    for field, (want, ok) in _TRAINING.items():
        if field in training and not ok(training[field]):
            raise field_error(path, f"training.{field}", f"must be {want}, got {training[field]!r:.80}")
    return {**meta, "optimizer": opt, "training": training}
