"""Attention maps drawn: one (query, key) heatmap per head (re-exported by :mod:`minilstm.plot`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .figures import pyplot


def attention_maps(weights: Any, batch: int = 0, ax: Any = None, path: str | None = None,
                   title: str | None = None, labels: Any = None, vmax: float | None = None) -> Any:
    """Every head's attention weights for one sequence: query steps down, key steps across, one panel each.

    Parameters
    ----------
    weights : (B, h, L, S) array
        A MultiheadAttention's per-head weights: one entry of :func:`minilstm.inspect.attention_maps`,
        its ``last_attention``, or its forward's ``average_attn_weights=False`` weights; (B, L, S) (averaged
        over heads) is drawn as one panel.
    batch : int
        The sequence of the batch.
    ax : sequence of h axes, optional
        Draw into these (a figure of its own otherwise).
    path : str, optional
        Save the figure there.
    labels : sequence of S str, optional
        Names of the steps (tokens), for both axes when the map is square.
    vmax : float, optional
        The top of the colour scale, shared by the heads (0 is its bottom); by default the largest weight
        drawn, so that nearly even weights (each about 1/S) still show their pattern. Give 1.0 to compare
        figures.

    Returns
    -------
    matplotlib Figure
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim == 3:
        w = w[:, None]
    if w.ndim != 4:
        raise ValueError(f"weights must be (batch, heads, query steps, key steps), got shape {w.shape}")
    if not 0 <= batch < w.shape[0]:
        raise ValueError(f"batch must be in [0, {w.shape[0]}), got {batch}")
    heads, L, S = w.shape[1:]
    vmax = float(w[batch].max()) if vmax is None else float(vmax)
    plt = pyplot()
    if ax is None:
        fig, axes = plt.subplots(1, heads, figsize=(0.4 + 3.0 * heads, 3.2), squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) != heads:
            raise ValueError(f"ax must be {heads} axes here (one per head), got {len(axes)}")
        fig = axes[0].figure
    for j, a in enumerate(axes):
        image = a.imshow(w[batch, j], cmap="viridis", vmin=0.0, vmax=vmax, interpolation="nearest")
        a.set(title=f"head {j}" if heads > 1 else "averaged over heads", xlabel="key step")
        if labels is not None:
            a.set_xticks(range(S), labels=list(labels), fontsize="x-small")
            if L == S:
                a.set_yticks(range(L), labels=list(labels), fontsize="x-small")
    axes[0].set_ylabel("query step")
    fig.colorbar(image, ax=axes, label="attention weight", fraction=0.03)
    if title is not None:
        fig.suptitle(title, y=1.02)
    if path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
        if ax is None:
            plt.close(fig)
    return fig
