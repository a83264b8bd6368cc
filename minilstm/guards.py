"""Training's guards against numbers that are not finite.

Before a run, :func:`refuse_non_finite` refuses data with a nan or an inf
(padding aside), naming the first one. During a run, :class:`DivergenceWatch`
sees every step's loss and gradient norm: a step where either is inf or nan is
skipped (see :func:`minilstm.train`), and a run whose steps stay that way, or
a step that leaves a weight inf or nan, has diverged and stops with
:class:`TrainingDiverged`. And :class:`StopOnInterrupt` turns a first Ctrl-C into a
request to stop after the batch in progress.
"""
from __future__ import annotations

import math
import signal
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import namespace
from .data.dataset import Dataset

BAD_STEPS_IN_A_ROW = 10  # this many skipped steps in a row (across epochs) is a run that cannot recover


class TrainingDiverged(RuntimeError):
    """:func:`minilstm.train` stopped: the run diverged (see its docstring for the rule).

    Attributes
    ----------
    epoch, step : int
        Where it went wrong (1-based; a step is one optimizer step of the epoch,
        one per batch, or one per chunk with ``tbptt``).
    grad_norm : float
        The last finite gradient norm before it (nan if no step had one).
    checkpoint : str or None
        The checkpoint left on disk, the last one saved before the divergence
        (its weights finite); None if none was saved.
    history : History
        The epochs logged up to the error, the one it stopped in included
        (partial: not evaluated on ``val_data``).
    """

    def __init__(self, message: str, epoch: int, step: int, grad_norm: float, checkpoint: str | None,
                 history: Any) -> None:
        super().__init__(message)
        self.epoch, self.step, self.grad_norm = epoch, step, grad_norm
        self.checkpoint, self.history = checkpoint, history


@dataclass
class DivergenceWatch:
    """What a run needs to tell an unlucky step from divergence: the bad steps in a row and what came before."""

    history: Any                     # the run's History, handed to the error
    bad: int = 0                     # skipped steps in a row, up to now
    since: tuple = (0, 0)            # (epoch, step) of the first of them
    last_norm: float = math.nan      # the last finite gradient norm
    saved: str | None = None         # the last checkpoint written, and after which epoch
    saved_epoch: int = 0
    found: tuple | None = None       # (epoch, step, what went wrong) once the run has diverged
    given: Any = None                # how many non-finite entries each weight had before the run (see below)

    def start(self, params: dict) -> None:
        """Count each weight's non-finite entries before the first step."""
        self.given = _non_finite(params)

    def step(self, epoch: int, step: int, loss: float, norm: float) -> bool:
        """Record a step; whether it is bad (to be skipped). The BAD_STEPS_IN_A_ROW-th bad one in a row diverges."""
        if math.isfinite(loss) and math.isfinite(norm):
            self.bad, self.last_norm = 0, norm
            return False
        self.since = (epoch, step) if self.bad == 0 else self.since
        self.bad += 1
        if self.bad >= BAD_STEPS_IN_A_ROW:
            self.found = (*self.since, f"{self.bad} steps in a row had an inf or nan loss or gradient and were skipped")
        return True

    def check_weights(self, params: dict, epoch: int, step: int) -> None:
        """The run has diverged if the step just taken left a weight inf or nan (no later step can undo it).

        A weight that was given non-finite on purpose (a ``-inf`` bias that rules a class
        out; its gradient is 0) is not divergence: only entries beyond the count each
        weight had before the run (:meth:`start`) raise.
        """
        xp = namespace(*params.values())
        counts = _non_finite(params)
        if not bool(xp.any(counts > self.given)):  # one answer from the device, not one per array
            return
        bad = [k for k, n, n0 in zip(params, counts, self.given) if int(n) > int(n0)]
        self.found = (epoch, step, f"the step left an inf or a nan in {', '.join(bad)}")

    def finish(self, epoch_steps: int) -> None:
        """At the run's end: a run that ends on a streak of skipped steps that is a whole epoch long (or
        BAD_STEPS_IN_A_ROW long) has not recovered, however few steps it had in all (one batch per epoch)."""
        if self.bad and not self.found and self.bad >= min(BAD_STEPS_IN_A_ROW, epoch_steps):
            self.found = (*self.since, f"the run ended on {self.bad} skipped steps in a row, every step of its "
                          "last epoch, each with an inf or nan loss or gradient")

    @staticmethod
    def keeps(loss: float) -> bool:
        """Whether the weights an epoch ended with (on a step taken) may be saved: they give a finite ``loss``
        (on val_data, else on the next batch); weights finite but blown up (1e20) are no checkpoint to go back to."""
        return math.isfinite(loss)

    def error(self) -> TrainingDiverged:
        """The error to raise once :attr:`found` is set."""
        epoch, step, what = self.found
        kept = (f"the checkpoint {self.saved!r} was left as saved after epoch {self.saved_epoch}" if self.saved
                else "no checkpoint had been saved")
        return TrainingDiverged(f"training diverged at epoch {epoch}, step {step}: {what} (the last finite "
                                f"gradient norm was {self.last_norm:.4g}); {kept}",
                                epoch, step, self.last_norm, self.saved, self.history)


def _non_finite(params: dict) -> Any:
    """How many inf or nan entries each array of ``params`` holds, as one array on the device."""
    xp = namespace(*params.values())
    return xp.stack([xp.sum(xp.astype(~xp.isfinite(p), xp.int64)) for p in params.values()])


def refuse_non_finite(data: Dataset, name: str, dtype: str = "float64") -> None:
    """A ValueError naming the first nan or inf in ``data``'s float X or Y, e.g. ``train_data X[3, 17, 0] is nan``,
    or the first value beyond the range of ``dtype``, the model's (``1e300`` is inf in float32).

    Padded steps (``>= lengths``) may hold anything: the models never read them.
    """
    limit = float(np.finfo(dtype).max)
    for part, a in (("X", data.X), ("Y", data.Y)):
        if a.dtype.kind != "f":
            continue
        bad = ~np.isfinite(a)
        if float(np.finfo(a.dtype).max) > limit:  # wider than the model's dtype: its largest values would be inf
            with np.errstate(invalid="ignore"):  # nan compares False; isfinite has it
                bad |= np.abs(a) > limit
        if not bad.any():
            continue
        if data.lengths is not None and (part == "X" or data.kind.endswith("_seq")):
            valid = np.arange(a.shape[1])[None, :] < data.lengths[:, None]  # (N, T)
            bad &= valid.reshape(valid.shape + (1,) * (a.ndim - 2))
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            what = f"is {a[where]}" if not np.isfinite(a[where]) else f"= {a[where]:.4g} is beyond {dtype}'s range"
            raise ValueError(f"{name} {part}[{', '.join(map(str, where))}] {what}: the data must be "
                             "finite (one nan or inf would turn every weight into nan)")


class StopOnInterrupt:
    """Inside ``with``: the first Ctrl-C (SIGINT) only sets ``requested``, so that the loop can stop
    after the batch in progress (its weights whole); a second one raises KeyboardInterrupt at once.

    The handler is installed only in the main thread (the only one Python delivers signals to)
    and only over Python's own handler, and is put back on leaving.
    """

    def __enter__(self) -> StopOnInterrupt:
        self.requested, self._old = False, None
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
