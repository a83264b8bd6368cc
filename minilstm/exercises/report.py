"""What every checker shares: its verdict, its tolerance, one array compared, and the learner's call.

A checker never passes what it cannot judge: a value that is not a finite
array of the right shape is wrong, whatever the tolerance; a tolerance that is
not a number in (0, 1) is refused before anything runs; a shape error raised
inside the learner's own code comes back as a failed check that names the line
and the shapes every array there has.
"""
from __future__ import annotations

import math
import numbers
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import validate

GATE_WORDS = {"h": "pre-activation a", "i": "input gate i", "f": "forget gate f", "g": "candidate g",
              "o": "output gate o", "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
_NUMPY = str(Path(np.__file__).resolve().parent)
_OURS = str(Path(__file__).resolve().parents[1])


@dataclass
class Check:
    """What a checker found; shows as its message in a notebook.

    Attributes
    ----------
    passed : bool
    wrong : list of str
        The names of the wrong results (``"dxw"``, ``"dh_prev"``, ``"h"``, ``"weight_hh"``, ...), or
        ``["shape error"]`` when your code stopped at one.
    errors : dict of str to float
        Each result's worst error relative to the engine's largest value there (inf: not finite or
        the wrong shape).
    message : str
    """

    passed: bool
    wrong: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    message: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


def tolerance(rtol: Any) -> float:
    """``rtol`` as a float in (0, 1), else an error that says why it cannot judge anything."""
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real):
        raise TypeError(f"rtol must be a number in (0, 1) such as 1e-6 (not a string or a bool), "
                        f"got {type(rtol).__name__} {rtol!r}")
    rtol = float(rtol)
    why = ("nan compares false with every error, so it would pass anything" if math.isnan(rtol) else
           "at 1 or more a result wrong by 100 % would pass" if rtol >= 1 else
           "at 0 or less even a right answer fails (float64 rounding alone differs by about 1e-16)"
           if rtol <= 0 else "")
    if why:
        raise ValueError(f"rtol must be a finite number in (0, 1), the largest error allowed relative to the "
                         f"engine's largest value (default 1e-6): {why}; got {rtol!r}")
    return rtol


def seed_of(seed: Any) -> int:
    """``seed`` as an int >= 0, else an error naming it."""
    return validate.count("seed", seed)


def compare(name: str, mine: Any, want: np.ndarray, letters: str, rtol: float, axes: tuple,
            blocks: tuple | None = None, hint: str | None = None, gate_axis: int = -1) -> tuple[float, str]:
    """``(error, line)``: ``mine``'s worst error relative to ``want``'s largest value, and a line of the
    message when it is wrong ("" when right).

    ``letters`` names the expected shape (``"(B, G*H)"``), ``axes`` each axis (``("batch", "unit")``);
    ``blocks`` are the gate blocks fused along ``gate_axis``: the last of an activation (the default), the
    first (0) of a weight.
    """
    if mine is None:
        return math.inf, f"- {name}: you returned None; expected an array {letters} = {tuple(want.shape)}."
    try:
        a = np.asarray(mine, dtype=np.float64)
    except (TypeError, ValueError):
        return math.inf, f"- {name}: {type(mine).__name__} is not an array of numbers; expected {letters} = " \
                         f"{tuple(want.shape)}."
    if a.shape != want.shape:
        return math.inf, f"- {name}: shape {a.shape}, expected {letters} = {tuple(want.shape)}."
    bad = ~np.isfinite(a)
    if bad.any():
        at = tuple(int(k) for k in np.argwhere(bad)[0])
        kind = "nan" if np.isnan(a[at]) else "inf"
        return math.inf, (f"- {name}: {int(bad.sum())} of {a.size} entries are not finite, the first {kind} at "
                          f"[{_where(at, axes, want.shape, blocks, gate_axis)}] (the engine has {want[at]:.6g} there). "
                          f"A right answer is finite here: nan comes from 0/0, inf - inf or a nan input, inf "
                          f"from an overflow.") + (f"\n    where it comes from: {hint}" if hint else "")
    diff = np.abs(a - want)
    scale = max(float(np.abs(want).max()) if want.size else 0.0, 1e-12)
    error = float(diff.max()) / scale if diff.size else 0.0
    if error <= rtol:
        return error, ""
    at = tuple(int(k) for k in np.unravel_index(int(np.argmax(diff)), diff.shape))
    where = _where(at, axes, want.shape, blocks, gate_axis)
    if blocks is not None and len(blocks) > 1:
        wrong = _wrong_blocks(diff, blocks, 1e-6 * scale, gate_axis)
        where += f" (wrong blocks: {', '.join(wrong)})"
    share = f"{error:.1%}" if error >= 1e-3 else f"{error:.1e}"
    text = (f"- {name}: off by up to {diff.max():.3g} ({share} of the engine's largest |value| {scale:.3g}); "
            f"worst at [{where}]: yours {a[at]:.6g}, engine {want[at]:.6g}.")
    return error, text + (f"\n    where it comes from: {hint}" if hint else "")


def _where(at: tuple, axes: tuple, shape: tuple, blocks: tuple | None, gate_axis: int) -> str:
    """``batch 0, unit 3`` for an index; a fused gate axis says which block and unit it is."""
    parts = [f"{ax} {k}" for ax, k in zip(axes, at)]
    if blocks is not None and len(blocks) > 1:
        axis = gate_axis % len(at)
        H = shape[axis] // len(blocks)
        parts[axis] += f": the {GATE_WORDS[blocks[at[axis] // H]]} block, unit {at[axis] % H}"
    return ", ".join(parts)


def _wrong_blocks(diff: np.ndarray, blocks: tuple, floor: float, axis: int) -> list:
    """The gate blocks of a fused axis where ``diff`` exceeds ``floor`` anywhere."""
    H = diff.shape[axis] // len(blocks)
    moved = np.moveaxis(diff, axis, 0)
    return [GATE_WORDS[g] for k, g in enumerate(blocks) if moved[k * H:(k + 1) * H].max() > floor]


def verdict(label: str, names: list, errors: dict, lines: list, what: str = "results") -> Check:
    """The :class:`Check` of results ``names``, the wrong ones those with a line."""
    wrong = [n for n, line in zip(names, lines) if line]
    if len(names) == 1:
        return Check(not wrong, wrong, errors, f"Your {label} is wrong.\n{lines[0]}" if wrong else
                     f"Your {label} matches the engine's (relative error {errors[names[0]]:.1e}).")
    if not wrong:
        return Check(True, [], errors, f"All {len(names)} {what} of your {label} match the engine's "
                                       f"({', '.join(names)}; worst relative error {max(errors.values()):.1e}).")
    right = [n for n in names if n not in wrong]
    message = (f"Your {label}: {len(wrong)} of {len(names)} {what} {'is' if len(wrong) == 1 else 'are'} wrong "
               f"({', '.join(wrong)})" + (f"; right: {', '.join(right)}" if right else "") + ".\n"
               + "\n".join(line for line in lines if line))
    return Check(False, wrong, errors, message)


class ShapeStop(Exception):
    """The learner's code stopped at a shape error; ``check`` is the failed :class:`Check` that says where."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.message)
        self.check = check


def call(fn: Any, args: tuple, label: str, shapes: str) -> Any:
    """``fn(*args)``; a NumPy shape error inside it becomes :class:`ShapeStop` naming the line and ``shapes``.

    Any other exception is the learner's to read, and passes through as it is.
    """
    if not callable(fn):
        raise TypeError(f"your {label} must be a function, got {type(fn).__name__} {fn!r}")
    try:
        return fn(*args)
    except ValueError as e:
        text = str(e)
        if not any(w in text for w in ("shape", "dimension", "broadcast", "mismatch", "reshape")):
            raise
        line = _learner_line(e)
        raise ShapeStop(Check(False, ["shape error"], {}, (
            f"Your {label} stopped at a shape error" + (f" in {line}" if line else "") + f":\n    {text}\n"
            f"The shapes here: {shapes}"))) from e


def _learner_line(e: BaseException) -> str:
    """``my_fn, line 4: da @ p.weight_hh.T``: the deepest frame of the traceback outside NumPy and minilstm."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if not f.filename.startswith((_NUMPY, _OURS)) and "<__array_function__" not in f.filename]
    if not frames:
        return ""
    f = frames[-1]
    return f"{f.name}, line {f.lineno}" + (f": {f.line.strip()}" if f.line else "")
