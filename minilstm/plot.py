"""Plots of a training run, with matplotlib (optional: ``pip install 'minilstm[plot]'``)."""
from __future__ import annotations

import sys
from typing import Any

import numpy as np


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError("plots need matplotlib: pip install 'minilstm[plot]'") from err
    if "matplotlib.pyplot" not in sys.modules:  # files, no window; a backend already chosen (a notebook's) is kept
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


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


def loss_curves(history: Any, path: str | None = None, title: str = "loss") -> Any:
    """Training (and validation) loss per epoch; saved to ``path`` when given. Returns the figure."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(history["epoch"], history["train_loss"], label="train")
    if "val_loss" in history:
        ax.plot(history["epoch"], history["val_loss"], label="validation")
    ax.set(xlabel="epoch", ylabel="loss (log scale)", title=title, yscale="log")
    _epoch_axis(ax)
    ax.legend()
    return _finish(plt, fig, path)


def predictions(truth: Any, pred: Any, path: str | None = None, title: str = "predictions",
                noisy: Any = None) -> Any:
    """A forecast against the truth, step by step (first output channel)."""
    plt = _pyplot()
    truth, pred = np.asarray(truth).reshape(len(truth), -1), np.asarray(pred).reshape(len(pred), -1)
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
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(history["epoch"], history[key], marker="o", label=label(key))
    if chance is not None:
        ax.axhline(chance, linestyle="--", color="0.5", label=f"chance ({chance:g})")
        ax.legend()
    if key.endswith("accuracy"):
        ax.set_ylim(-0.02, 1.02)
    ax.set(xlabel="epoch", ylabel=label(key), title=title or label(key))
    _epoch_axis(ax)
    return _finish(plt, fig, path)
