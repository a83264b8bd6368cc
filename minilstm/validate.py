"""Checks for public entry points: each failure names the argument, what was
expected and what was given, before any array maths can fail obscurely."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .backend import get_backend, to_numpy


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int >= 1, or a TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def boolean(name: str, value: Any) -> bool:
    """``value`` if it is a bool, else a TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def probability(name: str, value: Any) -> float:
    """``value`` as a float in [0, 1), else an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1), got {type(value).__name__} {value!r}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def number(name: str, value: Any) -> float:
    """``value`` as a float, else a TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)


def finite(name: str, value: Any) -> float:
    """``value`` as a finite float (not nan or inf), else an error naming ``name``."""
    value = number(name, value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def in_dtype(name: str, value: Any, dtype: str, positive: bool = False) -> float:
    """``value`` as a finite float that stays finite in ``dtype`` (1e308 is inf in float32), and with
    ``positive`` above 0 there too (1e-50 is 0 in float32); else a ValueError naming ``name``."""
    value = finite(name, value)
    limit, tiny = float(np.finfo(dtype).max), float(np.finfo(dtype).smallest_subnormal)
    if abs(value) > limit:
        raise ValueError(f"{name} must be finite in the layer's dtype {dtype} (at most {limit:.4g} in size), "
                         f"got {value:g}, which would be inf there")
    if positive and value < tiny:
        raise ValueError(f"{name} must be a number > 0 in the layer's dtype {dtype} (at least {tiny:.4g}), "
                         f"got {value:g}")
    return value


def at_least(name: str, value: Any, low: float, strict: bool = False) -> float:
    """``value`` as a finite float ``>= low`` (``> low`` if ``strict``), else an error naming ``name``."""
    value = number(name, value)
    if not math.isfinite(value) or (value <= low if strict else value < low):
        raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} {low}, got {value}")
    return value


def count(name: str, value: Any) -> int:
    """``value`` as an int >= 0, else an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= 0, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value}")
    return int(value)


def choice(name: str, value: Any, options: tuple) -> Any:
    """``value`` if it is one of ``options``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def cast(host: np.ndarray, dtype: str) -> np.ndarray:
    """A host array as ``dtype``, quietly: a float64 beyond float32's range becomes inf, which is harmless
    in padding (never read) and refused by ``train`` on a real step (see :mod:`minilstm.guards`)."""
    with np.errstate(over="ignore"):
        return host.astype(dtype, copy=False)


def float_array(name: str, a: Any, dtype: str) -> Any:
    """``a`` as a floating-point array of the active backend, cast to ``dtype``.

    Accepts NumPy arrays, nested lists and arrays of the active backend; integer,
    boolean and string data are refused (they are almost always a mistake), and
    so are arrays of another library (move them with ``minilstm.to_numpy`` first).
    """
    be = get_backend()
    if a is None:
        raise TypeError(f"{name} must be an array of floats, got None")
    if isinstance(a, (list, tuple, np.ndarray, numbers.Number)):
        try:
            host = np.asarray(a)
        except ValueError as err:  # NumPy refuses ragged nesting
            raise ValueError(f"{name} must be a rectangular array, got a ragged nested "
                             f"{type(a).__name__}") from err
        if host.dtype.kind != "f":
            raise TypeError(f"{name} must hold floating-point numbers, got dtype {host.dtype}")
        return be.asarray(cast(host, dtype), dtype)
    if not hasattr(a, "shape") or not hasattr(a, "dtype"):
        raise TypeError(f"{name} must be an array of floats, got {type(a).__name__}")
    if not isinstance(a, be.array_type):
        raise TypeError(f"{name} must be a NumPy array, a nested list or an array of the active "
                        f"backend {be.name!r}, got a {type(a).__module__}.{type(a).__name__} "
                        "(move it with minilstm.to_numpy first)")
    # by name: comparing dtype objects across libraries is not defined
    if str(a.dtype).rpartition(".")[2] not in ("float16", "float32", "float64"):
        raise TypeError(f"{name} must hold floating-point numbers, got dtype {a.dtype}")
    return be.asarray(a, dtype)


def integer_array(name: str, a: Any) -> np.ndarray:
    """``a`` (list, NumPy or backend array) on the host, or a TypeError unless it holds integers."""
    host = to_numpy(a) if hasattr(a, "shape") else np.asarray(a)
    if host.dtype.kind not in "iu":  # bool and float are refused: almost always a mistake
        raise TypeError(f"{name} must hold integers, got dtype {host.dtype}")
    return host


def shape(name: str, a: Any, expected: tuple, meaning: str) -> None:
    """Raise a ValueError unless ``a.shape == expected``; ``meaning`` spells the letters."""
    if tuple(a.shape) != tuple(expected):
        meaning = f" {meaning}" if meaning else ""
        raise ValueError(f"{name} must have shape {tuple(expected)}{meaning}, got {tuple(a.shape)}")


def keys(name: str, given: Any, expected: Any, owner: str) -> dict:
    """``given`` as a dict with exactly the keys ``expected``; else an error naming what is missing and extra.

    ``owner`` completes the message: "``name`` does not match ``owner``".
    """
    if not isinstance(given, dict):
        raise TypeError(f"{name} must be a dict, got {type(given).__name__}")
    missing = sorted(set(expected) - set(given), key=str)
    extra = sorted(set(given) - set(expected), key=str)
    if missing or extra:
        raise ValueError(f"{name} does not match {owner}: missing keys {missing}, unexpected keys {extra}")
    return given


def lengths(value: Any, B: int, T: int) -> np.ndarray:
    """``lengths`` of a padded batch as host ints, one per sequence, each in [1, T]; else a clear error."""
    host = integer_array("lengths", value)
    shape("lengths", host, (B,), "(one length per sequence of the batch)")
    if host.min() < 1 or host.max() > T:
        raise ValueError(f"lengths must be in [1, T={T}], got values from {host.min()} to {host.max()}")
    return host
