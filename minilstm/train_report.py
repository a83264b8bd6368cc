"""What :func:`~minilstm.train` shows while it runs: a tqdm progress bar where one can redraw in place
(a terminal, a Jupyter notebook), else one plain line per epoch on stdout.

``verbose`` chooses, much as Keras's ``fit`` does:

========== ==================================================================
``"auto"`` (the default) the bar where it can redraw in place, else one line
           per epoch; nothing at all with ``progress=False``
``0``      nothing
``1``      the bar where it can redraw in place, nothing elsewhere (for a
           caller that prints its own lines, as ``python -m minilstm train``)
``2``      one line per epoch, never a bar
========== ==================================================================

``progress=False`` turns the bar off, so code written before ``verbose``
existed, which passed ``progress=False`` to keep training quiet (the lessons,
the examples), stays quiet. A line reads
``epoch 3/10  train loss 0.0123  val loss 0.0234  val rmse 0.152  (0.41 s)``;
an epoch that Ctrl-C cut short adds ``partial: 48 of 96 sequences``.
"""
from __future__ import annotations

import numbers
import sys
from typing import Any

VERBOSE = ("auto", 0, 1, 2)


def check_verbose(verbose: Any) -> Any:
    """``verbose`` if it is one of :data:`VERBOSE`, else an error listing them."""
    if isinstance(verbose, str) and verbose in VERBOSE:
        return verbose
    if isinstance(verbose, numbers.Integral) and not isinstance(verbose, bool) and verbose in VERBOSE:
        return int(verbose)
    error = ValueError if isinstance(verbose, (str, numbers.Integral)) and not isinstance(verbose, bool) \
        else TypeError
    raise error(f"verbose must be 'auto', 0, 1 or 2, got {type(verbose).__name__} {verbose!r}")


def _interactive() -> bool:
    """Whether a progress bar can redraw in place: stderr is a terminal, or this is a Jupyter kernel."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return sys.stderr.isatty() or type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(total: int, verbose: Any, progress: bool, desc: str, initial: int = 0) -> Any:
    """tqdm's auto bar, from ``initial`` of ``total`` sequences, when ``verbose`` and ``progress`` ask for
    one, tqdm is installed and the bar redraws in place, else None.

    In a log file or a pipe every redraw would be a new line, so there is no bar there.
    """
    if not progress or verbose not in ("auto", 1) or not _interactive():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the bar is optional: pip install 'minilstm[progress]'
        return None
    return tqdm(total=total, initial=initial, desc=desc, unit="seq", leave=False)


def wants_line(verbose: Any, progress: bool, bar: Any) -> bool:
    """Whether to print an epoch's line: always with ``verbose=2``, and with "auto" where no bar was shown."""
    return verbose == 2 or (verbose == "auto" and progress and bar is None)


def epoch_line(row: dict, last_epoch: int, seen: int, total: int) -> str:
    """One epoch's line: its number of ``last_epoch``, the losses and metrics of ``row``, its seconds, and for
    a partial epoch how many of its ``total`` sequences it had ``seen``."""
    scores = [("train loss", row["train_loss"])]
    scores += [(key.replace("_", " "), value) for key, value in row.items() if key.startswith("val_")]
    parts = [f"epoch {row['epoch']}/{last_epoch}"] + [f"{name} {value:.4g}" for name, value in scores]
    if row["skipped_steps"]:  # steps whose loss or gradient was inf or nan
        parts.append(f"skipped steps {row['skipped_steps']}")
    if row["partial"]:
        parts.append(f"partial: {seen} of {total} sequences")
    return "  ".join(parts) + f"  ({row['time']:.2f} s)"
