"""Argument checks shared by the task generators: each failure names the argument."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..validate import boolean, count, positive_int  # noqa: F401  (count is re-exported)

__all__ = ["boolean", "positive_int", "seed_arg", "rng_arg", "real", "nonnegative", "at_least",
           "count"]


def seed_arg(seed: Any) -> int | None:
    """``seed`` as a non-negative int or None, else an error naming ``seed``."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return int(seed)


def rng_arg(rng: Any) -> np.random.Generator:
    """A NumPy Generator from ``rng``: a Generator (used as is), an int seed or None."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(_rng_seed(rng))


def _rng_seed(rng: Any) -> int | None:
    try:
        return seed_arg(rng)
    except TypeError:
        raise TypeError("rng must be a numpy.random.Generator, an int seed or None, "
                        f"got {type(rng).__name__} {rng!r}") from None


def real(name: str, value: Any) -> float:
    """``value`` as a float, else a TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)


def nonnegative(name: str, value: Any) -> float:
    """``value`` as a finite float >= 0, else an error naming ``name``."""
    value = real(name, value)
    if not (np.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def at_least(name: str, value: Any, low: int, why: str) -> int:
    """``value`` as an int >= ``low``; ``why`` says what needs that many."""
    value = positive_int(name, value)
    if value < low:
        raise ValueError(f"{name} must be >= {low} ({why}), got {value}")
    return value
