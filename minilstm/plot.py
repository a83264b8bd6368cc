"""Plots of a training run, with matplotlib (optional: ``pip install 'minilstm[plot]'``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import inspect_checks as check
from .figures import pyplot
from .inspect import Flow, Spectrum, Trace
from .plot_attention import attention_maps  # noqa: F401 (drawn in a module of its own)
from .plot_diagrams import cell_diagram  # noqa: F401 (drawn in a module of its own)
from .plot_live import live  # noqa: F401 (sliders, in a module of its own)

WORDS = {"val": "validation", "char": "character", "rmse": "RMSE", "lr": "learning rate", "grad": "gradient"}


def label(key: str) -> str:
    """A logged key as words for an axis: ``"val_char_accuracy"`` -> ``"validation character accuracy"``."""
    return " ".join(WORDS.get(word, word) for word in key.split("_"))


def _epoch_axis(ax: Any) -> None:
    """Epochs are whole numbers: integer ticks only."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _finish(plt: Any, fig: Any, path: str | None) -> Any:
    """Lay the figure out; save it to ``path`` and close it when a path is given. Returns the figure."""
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig


def _legend_below(ax: Any) -> None:
    """The legend under the axes, where it never hides a curve (a curve at 1.0 runs along the top)."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)


def loss_curves(history: Any, path: str | None = None, title: str = "loss", loss: str = "loss",
                labels: tuple = ("training", "validation")) -> Any:
    """Training (and validation) loss per epoch; saved to ``path`` when given. Returns the figure.

    ``loss``: the loss's name for the y axis (e.g. ``"cross-entropy"``). ``labels``: the two curves'
    names (``("train (80 %)", "test (20 %)")`` when the held-out part is a test set).
    """
    if not all(key in history for key in ("epoch", "train_loss")):
        raise ValueError("history must hold 'epoch' and 'train_loss' (a History from train, or its logs dict), "
                         f"got {type(history).__name__} {sorted(getattr(history, 'logs', history))[:6]}")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.4))
    ax.plot(history["epoch"], history["train_loss"], marker=".", label=labels[0])
    if "val_loss" in history:
        ax.plot(history["epoch"], history["val_loss"], marker=".", label=labels[1])
    ax.set(xlabel="epoch", ylabel=f"{loss} (log scale)", title=title, yscale="log")
    _epoch_axis(ax)
    _legend_below(ax)
    return _finish(plt, fig, path)


def predictions(truth: Any, pred: Any, path: str | None = None, title: str = "predictions",
                noisy: Any = None) -> Any:
    """A forecast against the truth, step by step (first output channel)."""
    truth, pred = np.asarray(truth).reshape(len(truth), -1), np.asarray(pred).reshape(len(pred), -1)
    for name, a in (("pred", pred), ("noisy", truth if noisy is None else noisy)):
        if len(a) != len(truth):
            raise ValueError(f"{name} must have one value per step of truth ({len(truth)}), got {len(a)}: "
                             "the curves share the step axis")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    if noisy is not None:
        ax.plot(np.asarray(noisy).reshape(len(noisy), -1)[:, 0], ".", color="0.7", label="noisy data")
    ax.plot(truth[:, 0], label="truth")
    ax.plot(pred[:, 0], label="prediction")
    ax.set(xlabel="step", ylabel="value", title=title)
    ax.legend()
    return _finish(plt, fig, path)


def metric_curve(history: Any, key: str, path: str | None = None, title: str | None = None,
                 chance: float | None = None) -> Any:
    """One logged metric (e.g. ``val_accuracy``) per epoch.

    ``chance``: the metric of a model that learned nothing, drawn as a dashed line, so that a run
    that only reached chance does not look like progress. An accuracy's axis spans [0, 1].
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.4))
    ax.plot(history["epoch"], history[key], marker="o", label=label(key))
    if chance is not None:
        ax.axhline(chance, linestyle="--", color="0.5", label=f"chance ({chance:.2g})")
        _legend_below(ax)
    if key.endswith("accuracy"):
        ax.set_ylim(-0.02, 1.02)
    ax.set(xlabel="epoch", ylabel=label(key), title=title or label(key))
    _epoch_axis(ax)
    return _finish(plt, fig, path)


# ---------------------------------------------------------------------- seeing inside (minilstm.inspect)
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "n": "candidate n", "h": "hidden state h"}
SIGMOID_GATES = ("i", "f", "o", "r", "z")


def _axes(plt: Any, ax: Any, n: int = 1, figsize: tuple = (6, 4)) -> tuple:
    """``(figure, [axes])``: new ones, or the caller's ``ax`` (one axes, or a sequence of ``n``)."""
    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False)
        return fig, list(axes[0])
    axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
    if len(axes) != n:
        raise ValueError(f"ax must be {n} axes here, got {len(axes)}")
    return axes[0].figure, axes


def gates(trace: Any, index: int = 0, batch: int = 0, ax: Any = None, path: str | None = None,
          title: str | None = None) -> Any:
    """Heatmaps of every gate over time for one sequence: units by time steps, one panel per gate.

    Sigmoid gates (i, f, o, r, z) share one colour scale from 0 (closed) to 1 (open);
    tanh blocks (g, n, the RNN's h) have their own, from -1 to 1.

    Parameters
    ----------
    trace : minilstm.inspect.Trace
    index : int
        The (layer, direction) in PyTorch's L*K order (0: the first layer).
    batch : int
        The sequence of the batch.
    ax : sequence of axes, optional
        One per gate; a new figure when None.
    """
    _is("trace", trace, Trace, "minilstm.inspect.record")
    LK, _, B, _ = trace.h.shape
    index = check.index_in("index", index, LK, "(layer, direction) pairs, L*K")
    batch = check.index_in("batch", batch, B, "sequences of the batch")
    plt = pyplot()
    # sigmoid gates first, then the tanh blocks, so each group's colour bar sits at its right
    names = [n for n in trace.gates if n in SIGMOID_GATES] + [n for n in trace.gates if n not in SIGMOID_GATES]
    if ax is None:
        fig, axes = plt.subplots(1, len(names), figsize=(3.4 * len(names) + 1.5, 3.6), layout="constrained",
                                 squeeze=False)
        axes = list(axes[0])
    else:
        fig, axes = _axes(plt, ax, len(names))
    for sig in (True, False):
        group = [(a, n) for a, n in zip(axes, names) if (n in SIGMOID_GATES) == sig]
        for a, name in group:
            image = a.imshow(trace.gates[name][index, :, batch].T, aspect="auto", origin="lower",
                             interpolation="nearest", cmap="viridis" if sig else "RdBu_r",
                             vmin=0.0 if sig else -1.0, vmax=1.0)
            a.set(xlabel="time step", ylabel="unit", title=GATE_NAMES.get(name, name))
        if group:
            fig.colorbar(image, ax=[a for a, _ in group], shrink=0.9,
                         label="gate value (0 closed, 1 open)" if sig else "value (-1 to 1)")
    fig.suptitle(title or f"gate activations (layer/direction {index}, sequence {batch})")
    return _finish_inside(plt, fig, path, ax)


def gradient_flow(flows: Any, ax: Any = None, path: str | None = None, title: str | None = None,
                  state: str = "h", colors: dict | None = None) -> Any:
    """||dL/dh_t|| (or ||dL/dc_t|| with ``state="c"``) against the time step, log scale.

    Parameters
    ----------
    flows : Flow, or dict of label to Flow
        From :func:`minilstm.inspect.gradient_flow`; several cells on one axes.
    colors : dict of label to colour, optional
        Keep one cell's colour the same across panels.

    A norm of exactly 0 (the cell state at the step the loss reads, say) is left
    out rather than drawn at the bottom of the log axis.
    """
    pairs = flows.items() if isinstance(flows, dict) else [(None, flows)]
    for label, flow in pairs:
        _is(f"flows[{label!r}]" if label is not None else "flows", flow, Flow, "minilstm.inspect.gradient_flow")
    if check.state_name(state) == "c" and all(flow.dc is None for _, flow in pairs):
        raise ValueError("state='c' needs a cell state c (the LSTM family's), and no flow given has one: "
                         "draw state='h'")
    plt = pyplot()
    fig, (a,) = _axes(plt, ax)
    for label, flow in pairs:
        values = flow.dh if state == "h" else flow.dc
        if values is None:
            continue  # a cell without c
        steps = np.arange(flow.at + 1)  # the loss reads step `at`: later steps get no gradient
        shown = np.where(values[:flow.at + 1] > 0, values[:flow.at + 1], np.nan)
        a.plot(steps, shown, label=label, **({"color": colors[label]} if colors and label in colors else {}))
    a.set(yscale="log", xlabel="time step t", ylabel=f"||dL/d{state}_t|| (batch mean)",
          title=title or f"gradient flow back from step {flow.at}")
    if isinstance(flows, dict):
        a.legend()
    return _finish_inside(plt, fig, path, ax)


def jacobian_norms(norms: Any, ax: Any = None, path: str | None = None, title: str | None = None) -> Any:
    """Per step, the spectral norm of the state Jacobian, with the line at 1 where it neither grows nor shrinks.

    Parameters
    ----------
    norms : (T,) or (L*K, T) array, or dict of label to one
        From :func:`minilstm.inspect.jacobian_norms` (the first row of a 2-D array is drawn).
    """
    curves = {label: _numbers("norms" if label is None else f"norms[{label!r}]", values)
              for label, values in (norms.items() if isinstance(norms, dict) else [(None, norms)])}
    plt = pyplot()
    fig, (a,) = _axes(plt, ax)
    for label, values in curves.items():
        a.plot(np.arange(len(values)), values, marker=".", label=label)
    a.axhline(1.0, color="0.4", linestyle="--", label="1: gradient neither grows nor shrinks")
    a.set(yscale="log", xlabel="time step t", ylabel="||ds_t / ds_(t-1)||_2 (batch mean)",
          title=title or "state Jacobian norms")
    a.legend()
    return _finish_inside(plt, fig, path, ax)


def spectrum(spec: Any, key: str | None = None, ax: Any = None, path: str | None = None,
             title: str | None = None) -> Any:
    """Singular values of each recurrent weight block against Pascanu et al. (2013)'s 1/gamma lines.

    Below its line (1 for tanh and ReLU blocks, 4 for sigmoid gates), a block's
    largest singular value is enough for gradients through it to vanish.

    Parameters
    ----------
    spec : minilstm.inspect.Spectrum
    key : str, optional
        One weight (``"weight_hh_l0"``); the first one when None.
    """
    _is("spec", spec, Spectrum, "minilstm.inspect.spectrum")
    plt = pyplot()
    fig, (a,) = _axes(plt, ax)
    key = key or next(iter(spec.singular_values))[0]
    blocks = [(gate, s) for (k, gate), s in spec.singular_values.items() if k == key]
    if not blocks:
        raise ValueError(f"no weight {key!r} in this spectrum")
    for gate, s in blocks:
        a.plot(np.arange(1, len(s) + 1), s, marker="o", label=f"{GATE_NAMES.get(gate, gate)} block")
    for bound in sorted({1.0 / spec.gamma[key, gate] for gate, _ in blocks}):
        a.axhline(bound, color="0.4", linestyle="--")
        a.annotate(f"1/gamma = {bound:g}", (1, bound), textcoords="offset points", xytext=(2, 3), color="0.3")
    a.set(xlabel="singular value index (largest first)", ylabel="singular value",
          title=title or f"singular values of {key}")
    a.legend()
    return _finish_inside(plt, fig, path, ax)


def activation_text(text: str, values: Any, ax: Any = None, path: str | None = None, width: int = 60,
                    title: str | None = None, vmin: float = -1.0, vmax: float = 1.0) -> Any:
    """Text with each character's background coloured by one unit's value there (Karpathy's char-rnn plots).

    Parameters
    ----------
    text : str
        The characters the network read; a newline starts a new row. At most 2,000
        (:data:`minilstm.inspect_checks.MAX_TEXT`): each is drawn as a patch, and more take minutes.
    values : (len(text),) array
        The unit's activation after each character.
    width : int
        Characters per row before wrapping (at least 1).
    vmin, vmax : float
        The colour scale (blue low, red high).
    """
    width = check.text_size(text, width)  # at most 2,000 characters (MAX_TEXT): 20,000 took minutes
    plt = pyplot()
    values = np.asarray(values, dtype=float).ravel()
    if len(values) != len(text):
        raise ValueError(f"values must have one entry per character ({len(text)}), got {len(values)}")
    cells, row, col = [], 0, 0
    for ch, v in zip(text, values):
        if ch == "\n" or col == width:
            row, col = row + 1, 0
        if ch != "\n":
            cells.append((row, col, ch, v))
            col += 1
    rows = row + 1
    fig, (a,) = _axes(plt, ax, figsize=(0.16 * width + 1.2, 0.3 * rows + 0.9))
    cmap, norm = plt.get_cmap("RdBu_r"), plt.Normalize(vmin, vmax)
    for r, c, ch, v in cells:
        a.add_patch(plt.Rectangle((c, -r - 1), 1, 1, color=cmap(norm(v))))
        a.text(c + 0.5, -r - 0.5, ch, ha="center", va="center", family="monospace", fontsize=9)
    a.set(xlim=(0, width), ylim=(-rows, 0), title=title or "unit activation per character")
    a.set_axis_off()
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=a, label="activation", fraction=0.03)
    return _finish_inside(plt, fig, path, ax)


def _is(name: str, value: Any, kind: type, maker: str) -> None:
    """A TypeError unless ``value`` is a ``kind`` (what ``maker`` returns)."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, what {maker} returns, got {type(value).__name__}")


def _numbers(name: str, values: Any) -> np.ndarray:
    """The first row of a (T,) or (L*K, T) array of numbers (a str was once drawn as one)."""
    a = np.asarray(values)
    if a.dtype.kind not in "fiu" or not 1 <= a.ndim <= 2:
        raise TypeError(f"{name} must be a (T,) or (L*K, T) array of numbers, from minilstm.inspect.jacobian_norms, "
                        f"got {type(values).__name__} of dtype {a.dtype} and shape {a.shape}")
    return np.atleast_2d(a)[0]


def _finish_inside(plt: Any, fig: Any, path: str | None, ax: Any) -> Any:
    """Save (and close) a figure this module made, or leave the caller's axes' figure as it is."""
    if ax is None and path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
    elif path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    return fig
