"""matplotlib as every plotting module of minilstm sets it up (optional: ``pip install 'minilstm[plot]'``)."""
from __future__ import annotations

import sys
from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot``, drawing to files (Agg) unless a backend was chosen (a notebook's); an
    ImportError that says how to install matplotlib when it is missing."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError("plots need matplotlib: pip install 'minilstm[plot]'") from err
    if "matplotlib.pyplot" not in sys.modules:  # files, no window; a backend already chosen (a notebook's) is kept
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
