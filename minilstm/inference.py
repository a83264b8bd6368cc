"""``minilstm.inference``: predictions, scores and the pieces training shares with them.

:func:`predict` runs a model in evaluation mode over a data set, batch by batch;
:func:`evaluate` scores those predictions with a loss and metrics. The data
helpers (a :class:`Dataset` from a tuple, the loss its kind calls for, which
targets count) live here because :mod:`minilstm.train` uses them too.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import train_checks, validate
from .backend import get_backend, to_numpy
from .data.dataset import IGNORE, Dataset
from .model import Model
from .nn.attention import AttentionPool
from .nn.conv import Conv1d
from .nn.losses import cross_entropy, gaussian_nll_loss, mse_loss
from .nn.readouts import LastStep, MeanOverTime
from .nn.recurrent_base import Recurrent
from .nn.sequential import Sequential, as_sequential
from .threads import blas_limit, recurrent_work


def _of_pair(pred: tuple, target: Any, mask: Any = None) -> tuple[float, tuple]:
    """:func:`~minilstm.gaussian_nll_loss` of a ``(mean, var)`` prediction (a :class:`GaussianHead`'s), as
    training calls a loss: ``fn(pred, target, mask) -> (loss, (dmean, dvar))``."""
    mean, var = pred
    return gaussian_nll_loss(mean, target, var, mask)


# loss="<name>": each loss's one name, its function's (see minilstm.nn.losses)
LOSSES = {"mse_loss": mse_loss, "cross_entropy": cross_entropy, "gaussian_nll_loss": _of_pair}


def as_dataset(data: Any, name: str, lengths: Any = None) -> Dataset:
    """A :class:`Dataset` of inputs and targets, for :func:`evaluate` and :func:`~minilstm.train`.

    Parameters
    ----------
    data : Dataset, (X, Y) or (X, Y, lengths)
        Batch-first host arrays; a tuple's kind follows from the shapes and dtypes of ``Y``.
    name : str
        The argument's name, for the errors.
    lengths : (N,) ints, optional
        The true lengths of padded sequences, for ``(X, Y)`` (not with a Dataset or a third item).

    Raises
    ------
    TypeError
        For ``X`` alone or ``(X,)``: the targets are missing (and for anything but a
        Dataset or a tuple).
    ValueError
        For ``(X, None)``, for ``lengths`` given twice or with a Dataset.
    """
    if isinstance(data, Dataset) and lengths is None:
        return data
    X, Y, lengths = _unpack(data, name, lengths, targets=True)
    if Y is None:
        form = "an array X alone" if _is_array(data) else "(X,)"
        raise TypeError(f"{name} is {form}, without the targets Y that are needed here: give (X, Y), "
                        f"(X, Y, lengths) or a Dataset (predict(model, X) runs a model without targets)")
    kind = ("classify" if Y.dtype.kind in "iu" else "regression") + \
           ("_seq" if Y.ndim >= 2 and Y.shape[:2] == X.shape[:2] and Y.dtype.kind in "iu" or Y.ndim == 3 else "_last")
    return Dataset(X, Y, lengths, kind=kind)


def as_inputs(data: Any, name: str = "data", lengths: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X, lengths)`` on the host from what :func:`predict` takes (see its ``data``); ``Y`` is not needed."""
    if isinstance(data, Dataset) and lengths is None:
        return data.X, data.lengths
    X, _, lengths = _unpack(data, name, lengths, targets=False)
    if lengths is not None:
        lengths = validate.lengths(lengths, X.shape[0], X.shape[1])
    return X, lengths


def _unpack(data: Any, name: str, lengths: Any, targets: bool) -> tuple[np.ndarray, Any, Any]:
    """``(X, Y or None, lengths or None)`` of an array, a tuple or a Dataset (given ``lengths=`` too), or a
    clear error: ``targets`` says whether the caller needs ``Y`` (what a refused ``(X, None)`` is told to give)."""
    if isinstance(data, Dataset):
        raise ValueError(f"lengths= goes with arrays; the Dataset {name} carries its own lengths "
                         f"(make it with Dataset(X, Y, lengths))")
    if _is_array(data):
        X, Y, given = data, None, None
    elif isinstance(data, (tuple, list)) and 1 <= len(data) <= 3:
        X, Y, given = (*data, None, None)[:3]
        if len(data) >= 2 and Y is None:
            fix = "give (X, Y), (X, Y, lengths) or a Dataset" if targets else \
                "to run the model without targets give X alone: predict(model, X), with lengths=... if padded"
            raise ValueError(f"{name}=(X, None{', lengths' if len(data) == 3 else ''}): the second item is the "
                             f"targets Y, and it is None; {fix}")
    else:
        forms = "or a tuple (X, Y) or (X, Y, lengths)" if targets else \
            "an array X, or a tuple (X,), (X, Y) or (X, Y, lengths)"
        raise TypeError(f"{name} must be a minilstm.data.Dataset, {forms}, got {type(data).__name__}")
    if given is not None and lengths is not None:
        raise ValueError(f"lengths given twice: as the third item of {name} and as lengths=; give one")
    X = to_numpy(X)
    if X.ndim < 2:
        raise ValueError(f"X must be batch-first, (N, T, F) floats or (N, T) token ids, got shape {X.shape}")
    lengths = given if given is not None else lengths
    return X, None if Y is None else to_numpy(Y), None if lengths is None else to_numpy(lengths)


def _is_array(data: Any) -> bool:
    """Whether ``data`` is one array (NumPy or the backend's), not a tuple of them."""
    return hasattr(data, "shape") and hasattr(data, "dtype") and not isinstance(data, Dataset)


def loss_for(model: Any, data: Dataset, loss: Any) -> tuple[Callable, str]:
    """The loss function and its name, from ``loss`` or from the data's kind."""
    readout = "all" if data.kind.endswith("_seq") else "last"
    if isinstance(model, Model) and model.readout != readout:
        raise ValueError(f"the data's kind {data.kind!r} needs a model with readout={readout!r}, "
                         f"got readout={model.readout!r}")
    name = loss if loss is not None else ("cross_entropy" if data.kind.startswith("classify") else "mse_loss")
    if callable(name):
        return name, getattr(name, "__name__", "loss")
    validate.choice("loss", name, tuple(LOSSES))
    return LOSSES[name], name


def score_mask(data: Dataset, Y: np.ndarray, lengths: Any) -> Any:
    """Which targets count: (B, T) for per-step targets, else None (every sequence counts)."""
    if not data.kind.endswith("_seq"):
        return None
    T = Y.shape[1]
    keep = np.ones(Y.shape[:2], dtype=bool) if lengths is None else np.arange(T)[None, :] < lengths[:, None]
    if data.kind == "classify_seq":
        keep &= Y != IGNORE
    return keep


def predict(model: Any, data: Any, batch_size: int = 256, proba: bool = False,
            blas_threads: Any = "auto", chunk: int | None = None, *, lengths: Any = None) -> np.ndarray:
    """The model's outputs for every sequence of ``data`` (evaluation mode), on the host.

    Parameters
    ----------
    model : minilstm.Model, Sequential or any module (see :mod:`minilstm.nn.module`)
    data : array, (X,), (X, Y), (X, Y, lengths) or Dataset
        The inputs ``X``, batch-first as models take them: ``(N, T, F)`` floats or
        ``(N, T)`` token ids. ``Y``, if given, is not used; ``(X, None)`` is refused
        (pass ``X`` alone).
    batch_size : int
    proba : bool
        Return class probabilities, the :func:`softmax` of the logits over the
        last axis (for a classifier).
    blas_threads : "auto", int or None
        BLAS threads while predicting (see :mod:`minilstm.threads`).
    chunk : int, optional
        Run each batch ``chunk`` time steps at a time, the recurrent state carried
        from one chunk to the next (as truncated BPTT trains), so that memory grows
        with the chunk, not the sequence; the outputs are those of one whole run.
        For per-step models on unpadded data: one unidirectional recurrent layer
        (any number of stacked layers inside it), every other module acting on each
        step alone (not LastStep, MeanOverTime, Conv1d, AttentionPool).
    lengths : (N,) ints in [1, T], optional
        The true lengths of padded sequences, with an array or a tuple of two
        items (a Dataset or ``(X, Y, lengths)`` carries its own).

    Returns
    -------
    ndarray
        ``(N, O)`` for readout "last", ``(N, T, O)`` for readout "all": the head's
        outputs (logits for a classifier), or probabilities with ``proba=True``.

    Examples
    --------
    >>> minilstm.predict(model, X)                           # doctest: +SKIP
    >>> minilstm.predict(model, X, lengths=lengths)          # padded sequences  # doctest: +SKIP
    >>> minilstm.predict(model, val_set, proba=True)         # a Dataset  # doctest: +SKIP
    """
    X, lengths = as_inputs(data, "data", lengths)
    train_checks.check_predict(X, batch_size)
    proba = validate.boolean("proba", proba)
    model = as_sequential(model)
    if chunk is not None:
        chunk = validate.positive_int("chunk", chunk)
        problem = chunk_problem(model, lengths)
        if problem is not None:
            raise ValueError(f"chunk={chunk} runs a per-step model over unpadded data, but {problem}")
    was_training = model.training
    model.eval()
    try:
        with blas_limit(blas_threads, recurrent_work(model, min(batch_size, len(X)))):
            outs = []
            for start in range(0, len(X), batch_size):
                idx = np.arange(start, min(start + batch_size, len(X)))
                outs.append(_predict_batch(model, X[idx], None if lengths is None else lengths[idx], chunk))
    finally:
        model.train(was_training)
    if isinstance(outs[0], tuple):  # a head of several outputs, e.g. a GaussianHead's (mean, var)
        return tuple(np.concatenate(part) for part in zip(*outs))
    out = np.concatenate(outs)
    return softmax(out) if proba else out


def _predict_batch(model: Sequential, X: np.ndarray, lengths: Any, chunk: int | None) -> Any:
    """One batch's outputs on the host: in one run, or ``chunk`` steps at a time with the state carried."""
    parts, state = [], None
    for t0 in range(0, X.shape[1], chunk) if chunk else [0]:
        x = X[:, t0:t0 + chunk] if chunk else X  # (B, t, ...): cast chunk by chunk, not the whole sequence at once
        pred, state = model(x if x.dtype.kind in "iu" else validate.cast(x, model.dtype), state, lengths=lengths,
                            return_state=True)
        parts.append(tuple(map(to_numpy, pred)) if isinstance(pred, tuple) else to_numpy(pred))
        first = parts[-1][0] if isinstance(pred, tuple) else parts[-1]
        if chunk is not None and first.shape[:2] != x.shape[:2]:
            raise ValueError(f"chunk={chunk} needs a per-step model, whose outputs keep the (batch, time) axes; "
                             f"a chunk of shape {x.shape} gave shape {first.shape}")
    if isinstance(parts[0], tuple):  # a head of several outputs: join each along time
        return tuple(np.concatenate(part, axis=1) for part in zip(*parts)) if chunk else parts[0]
    return np.concatenate(parts, axis=1) if chunk else parts[0]


def chunk_problem(model: Sequential, lengths: Any) -> str | None:
    """Why ``model`` cannot run data (padded if ``lengths`` is not None) in chunks of time steps with its state
    carried, or None if it can."""
    if lengths is not None:
        return "the data is padded (it has lengths)"
    recurrent = [m for m in model.modules.values() if isinstance(m, Recurrent)]
    if len(recurrent) > 1:
        return f"the model has {len(recurrent)} recurrent modules, and only the first one's state is carried"
    if any(m.bidirectional for m in recurrent):
        return "the recurrent layer is bidirectional (its reverse direction reads the whole sequence)"
    mixing = [f"{name} ({type(m).__name__})" for name, m in model.modules.items()
              if isinstance(m, (LastStep, MeanOverTime, Conv1d, AttentionPool, Sequential))]
    if mixing:
        return f"{', '.join(mixing)} mixes time steps"
    return None


def softmax(logits: Any, axis: int = -1) -> np.ndarray:
    """Probabilities from logits: ``exp(z - max z) / sum exp(z - max z)`` along ``axis`` (stable).

    Parameters
    ----------
    logits : array_like
        E.g. a classifier's :func:`predict` output, ``(N, C)`` or ``(N, T, C)``.
    axis : int

    Returns
    -------
    ndarray
        Same shape, non-negative, summing to 1 along ``axis``.
    """
    z = to_numpy(logits)
    dtype = z.dtype if z.dtype in (np.float32, np.float64) else np.float64
    z = z.astype(np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))  # shifted so the largest exponent is 0
    return (e / e.sum(axis=axis, keepdims=True)).astype(dtype)


def evaluate(model: Any, data: Any, loss: Any = None, metrics: dict | None = None,
             batch_size: int = 256, blas_threads: Any = "auto", chunk: int | None = None, *,
             lengths: Any = None) -> dict:
    """Mean loss and every metric on ``data``, in evaluation mode.

    Parameters
    ----------
    model : minilstm.Model, Sequential or any module (see :mod:`minilstm.nn.module`)
    data : (X, Y), (X, Y, lengths) or Dataset
        Inputs and targets, batch-first (see :func:`~minilstm.train`). Scoring needs
        the targets: ``X`` alone, ``(X,)`` and ``(X, None)`` are refused with a
        ValueError (:func:`predict` takes them).
    loss : {"mse_loss", "cross_entropy", "gaussian_nll_loss"}, loss object or callable, optional
        As :func:`~minilstm.train` takes it; default from the data's kind.
    metrics : dict of name -> fn(pred, dataset) -> float, optional
    batch_size : int
    blas_threads : "auto", int or None
        BLAS threads while predicting (see :mod:`minilstm.threads`).
    chunk : int, optional
        Run long sequences that many steps at a time (see :func:`predict`).
    lengths : (N,) ints in [1, T], optional
        The true lengths of padded sequences, with ``(X, Y)``.

    Returns
    -------
    dict
        ``{"loss": mean loss, name: metric, ...}``.
    """
    data = as_dataset(data, "data", lengths)
    loss = train_checks.check_evaluate(data, loss, metrics, batch_size)
    model = as_sequential(model)
    loss_fn, _ = loss_for(model, data, loss)
    pred = predict(model, data, batch_size, blas_threads=blas_threads, chunk=chunk)
    be = get_backend()
    mask = score_mask(data, data.Y, data.lengths)
    Y = validate.cast(data.Y, model.dtype) if data.kind.startswith("regression") else data.Y
    on_device = tuple(be.asarray(p, model.dtype) for p in pred) if isinstance(pred, tuple) \
        else be.asarray(pred, model.dtype)
    value, _ = loss_fn(on_device, Y, mask)
    out = {"loss": float(value)}
    for name, fn in (metrics or {}).items():
        out[name] = train_checks.metric_value(f"metric {name!r}", fn(pred, data))
    return out

