"""What every command's parser shares: one-line usage errors (exit code 2) and number checks."""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np


class UsageError(Exception):
    """A mistake in the command line: printed as one line, exit code 2, no traceback."""


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one line (not the whole usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def checked(kind: Callable, low: float, strict: bool, high: float = math.inf) -> Callable:
    """An argparse type: ``kind(text)`` when it is finite and > ``low`` (>= when not ``strict``), and at most
    ``high``, a documented limit past which a command would run for minutes."""
    def parse(text: str) -> Any:
        value = kind(text)
        if not math.isfinite(value) or not (value > low if strict else value >= low):
            raise argparse.ArgumentTypeError(f"must be a finite number {'>' if strict else '>='} {low:g}, "
                                             f"got {text}")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high:g} (more would run for minutes), got {text}")
        return value
    parse.__name__ = kind.__name__  # named in argparse's "invalid int value" message
    return parse


def float32(text: str) -> float:
    """An argparse type: a number that stays finite in float32, the dtype of the command line's models."""
    value, limit = float(text), float(np.finfo(np.float32).max)
    if not abs(value) <= limit:
        raise argparse.ArgumentTypeError(f"must be finite in float32, the models' dtype (at most {limit:.4g} in "
                                         f"size), got {text}")
    return value


def positive(kind: Callable) -> Callable:
    """An argparse type: ``kind(text)`` when it is finite and > 0, else argparse's usage error (exit code 2)."""
    return checked(kind, 0, strict=True)


def non_negative(kind: Callable) -> Callable:
    """An argparse type: ``kind(text)`` when it is finite and >= 0."""
    return checked(kind, 0, strict=False)


def probability(text: str) -> float:
    """An argparse type: a dropout rate, a number in [0, 1)."""
    value = float(text)
    if not 0 <= value < 1:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text}")
    return value


def saved_settings(run: str, results: Any, tasks: Any, cells: Any) -> dict:
    """The ``settings`` of a run's metrics.json (``results``), each checked as its option is (a damaged file
    once gave a KeyError, an AttributeError or a TypeError traceback, or a bad seed blamed on --length);
    ``tasks`` (name -> task, whose ``length`` is its default) and ``cells`` are what ``--task`` and ``--cell``
    take."""
    saved = results.get("settings") if isinstance(results, dict) else None
    if not isinstance(saved, dict):
        raise UsageError(f"--resume {run}: its metrics.json is damaged: it must be an object with an object "
                         "'settings' (the run's options), as train writes it")
    ints = {"hidden": positive(int), "layers": positive(int), "length": positive(int), "epochs": positive(int),
            "batch_size": positive(int), "seed": non_negative(int)}
    floats = {"lr": positive(float), "forget_bias": float32, "dropout": probability, "recurrent_dropout": probability}
    for key, value in saved.items():
        if key in ("task", "cell"):
            ok = isinstance(value, str) and value in (tasks if key == "task" else cells)
        elif key == "length" and isinstance(saved.get("task"), str) and \
                value == getattr(tasks.get(saved["task"]), "length", None):
            ok = True  # the task's own length, 0 for one without a length knob (reber), which --length refuses
        elif key in ints or key in floats:
            parse = ints.get(key) or floats[key]
            ok = (value is None and key == "forget_bias") or (
                isinstance(value, (int, float)) and not isinstance(value, bool)
                and (key not in ints or isinstance(value, int)) and _parses(parse, value))
        else:
            continue
        if not ok:
            raise UsageError(f"--resume {run}: its metrics.json is damaged: settings {key!r} is {value!r}, which "
                             f"--{key.replace('_', '-')} does not take")
    return saved


def _parses(parse: Callable, value: Any) -> bool:
    """Whether an option's parser takes ``value`` (written as on the command line)."""
    try:
        parse(repr(value))
    except (ValueError, argparse.ArgumentTypeError):
        return False
    return True
