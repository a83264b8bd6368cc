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
