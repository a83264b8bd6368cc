"""What :func:`~minilstm.train` shows while it runs: a tqdm progress bar where one can redraw in place."""
from __future__ import annotations

import sys
from typing import Any


def _interactive() -> bool:
    """Whether a progress bar can redraw in place: stderr is a terminal, or this is a Jupyter kernel."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return sys.stderr.isatty() or type(shell).__name__ == "ZMQInteractiveShell"


def _progress_bar(total: int, enabled: bool, desc: str) -> Any:
    """tqdm's auto bar when asked for, installed and shown where it redraws in place, else None.

    In a log file or a pipe every redraw would be a new line, so there is no bar there.
    """
    if not enabled or not _interactive():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the bar is optional: pip install 'minilstm[progress]'
        return None
    return tqdm(total=total, desc=desc, unit="seq", leave=False)
