"""Up-front checks for :func:`minilstm.train`, :func:`~minilstm.predict` and :func:`~minilstm.evaluate`.

Every argument is checked before the first batch: a callback or a metric of
the wrong kind would otherwise surface only after a whole epoch of training,
and an optimizer or schedule bound to something else would not surface at
all. Each error names the argument, what was expected and what was given.

The loss protocol of training is ``fn(pred, target, mask) -> (loss, dpred)``;
:func:`loss_function` also takes a loss object with ``forward`` and
``backward`` (``MSELoss()``, as a PyTorch user writes it) and adapts it.
"""
from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any

from . import validate
from .backend import to_numpy
from .data.dataset import IGNORE, Dataset
from .nn.gaussian import GaussianHead
from .nn.losses import GaussianNLLLoss, cross_entropy, gaussian_nll_loss, mse_loss
from .optim import OPTIMIZERS, Optimizer
from .schedules import SCHEDULES, Schedule
from .train_report import check_verbose


def check_train(model: Any, train_data: Dataset, val_data: Dataset | None, *, loss: Any, optimizer: Any,
                schedule: Any, metrics: Any, callbacks: Any, seed: Any, progress: Any, verbose: Any) -> Any:
    """Check :func:`minilstm.train`'s arguments (``model`` a Sequential, the data sets made);
    return ``loss`` as training calls it (see :func:`loss_function`)."""
    nonempty("train_data", train_data.X)
    if val_data is not None:
        nonempty("val_data", val_data.X)
        _same_kind(train_data, val_data)
    _head_fits(model, loss)
    loss = loss_function(loss)
    for name, data in (("train_data", train_data), ("val_data", val_data)):
        if data is not None and loss in (None, "cross_entropy"):
            _classes_fit(model, name, data)
    _bound_optimizer(model, optimizer)
    _bound_schedule(schedule, optimizer)
    check_metrics(metrics, has_val_data=val_data is not None)
    _callbacks(callbacks)
    if seed is not None:
        validate.count("seed", seed)
    validate.boolean("progress", progress)
    check_verbose(verbose)
    return loss


def check_predict(X: Any, batch_size: Any) -> None:
    """Check :func:`minilstm.predict`'s inputs ``X`` (a host array) and batch size."""
    nonempty("data", X)
    validate.positive_int("batch_size", batch_size)


def check_evaluate(data: Dataset, loss: Any, metrics: Any, batch_size: Any) -> Any:
    """Check :func:`minilstm.evaluate`'s arguments; return ``loss`` as it is called."""
    check_predict(data.X, batch_size)
    check_metrics(metrics, has_val_data=None)
    return loss_function(loss)


def nonempty(name: str, X: Any) -> None:
    """A ValueError naming ``name`` when its inputs ``X`` hold no sequences, or sequences of no step."""
    if len(X) == 0:
        raise ValueError(f"{name} holds no sequences (X has shape {tuple(X.shape)}): give at least one")
    if X.shape[1] == 0:
        raise ValueError(f"{name}'s sequences have no step (X has shape {tuple(X.shape)}): give at least one")


def _head_fits(model: Any, loss: Any) -> None:
    """The Gaussian loss and a model ending in a GaussianHead go together: its prediction is ``(mean, var)``."""
    gaussian_loss = loss in ("gaussian_nll_loss", gaussian_nll_loss) or isinstance(loss, GaussianNLLLoss)
    if not gaussian_loss and loss not in (None, "mse_loss", "cross_entropy", mse_loss, cross_entropy):
        return  # the user's own loss: it knows what it takes
    last = list(model.modules.values())[-1] if model.modules else None
    if gaussian_loss and not isinstance(last, GaussianHead):
        raise ValueError(f"loss {getattr(loss, '__name__', loss)!r} takes a prediction (mean, var), from a model "
                         f"ending in a GaussianHead; this one ends in {type(last).__name__}: end it in "
                         "GaussianHead(in_features, out_features), or train with loss='mse_loss'")
    if isinstance(last, GaussianHead) and not gaussian_loss:
        raise ValueError(f"a model ending in a GaussianHead predicts (mean, var): train it with "
                         f"loss='gaussian_nll_loss' (or GaussianNLLLoss()), got loss={loss!r}")


def penalty_function(penalty: Any) -> Callable | None:
    """``penalty``, checked at each call to return ``(value, grads)``: a number, and a dict whose every
    gradient is named and shaped like the parameter it belongs to."""
    if penalty is None:
        return None
    if not callable(penalty):
        raise TypeError(f"penalty must be a function params -> (value, grads), got {type(penalty).__name__}")

    @functools.wraps(penalty)
    def fn(params: dict) -> tuple:
        out = penalty(params)
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
            raise TypeError("penalty must return a pair (value, grads), grads a dict of parameter name -> "
                            f"gradient (as minilstm.l2_penalty does), got {type(out).__name__} {out!r:.60}")
        value, grads = out
        for k, g in grads.items():
            if k not in params:
                raise ValueError(f"penalty's grads must be named like the model's parameters, got {k!r} "
                                 f"(the model has {sorted(params)[:4]}, ...)")
            validate.shape(f"penalty's grads[{k!r}]", g, tuple(params[k].shape), "(its parameter's)")
        return metric_value("penalty", value), grads
    return fn


def metric_value(name: str, value: Any) -> float:
    """A metric's (or penalty's) value as a float, else a TypeError naming it (a str once failed in float())."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if getattr(value, "shape", None) == () and to_numpy(value).dtype.kind in "fiu":
        return float(to_numpy(value))  # a 0-d array, NumPy's or the backend's
    raise TypeError(f"{name} must return a real number, got {type(value).__name__} {value!r:.60}")


def loss_function(loss: Any) -> Any:
    """``loss`` as ``fn(pred, target, mask) -> (loss, dpred)``, or the name (or None) as given.

    A loss object with ``forward(pred, target[, mask])`` and ``backward()`` is
    adapted: the value of ``forward`` and the gradient ``backward`` returns. A
    prediction of two parts, a :class:`~minilstm.GaussianHead`'s ``(mean, var)``,
    goes in as ``forward(mean, target, var[, mask])``, as :class:`~minilstm.GaussianNLLLoss`
    takes it. A function is checked, at each call, to return a pair; minilstm's own loss functions
    (``mse_loss``, ``cross_entropy``, ``gaussian_nll_loss``) stand for their names.
    """
    if loss in (mse_loss, cross_entropy, gaussian_nll_loss):
        return loss.__name__  # one loss, one name: the function and its name train alike
    if loss is None or isinstance(loss, str):
        return loss  # a name: train checks it against its table of losses
    if isinstance(loss, type):
        raise TypeError(f"loss must be a loss object or a function, got the class {loss.__name__}: "
                        f"make one, loss={loss.__name__}()")
    if callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None)):
        return _from_module(loss)
    if callable(loss):
        return _returns_pair(loss)
    raise TypeError("loss must be a name ('mse_loss', 'cross_entropy', 'gaussian_nll_loss'), a loss object with "
                    "forward and backward (MSELoss()) or a function fn(pred, target, mask) -> (loss, dpred), "
                    f"got {type(loss).__name__} {loss!r}")


def _from_module(module: Any) -> Callable:
    def fn(pred: Any, target: Any, mask: Any = None) -> tuple:
        args = (pred[0], target, pred[1]) if isinstance(pred, tuple) else (pred, target)  # (mean, var)
        value = module.forward(*args) if mask is None else module.forward(*args, mask)
        return value, module.backward()
    fn.__name__ = type(module).__name__
    return fn


def _returns_pair(f: Callable) -> Callable:
    @functools.wraps(f)
    def fn(pred: Any, target: Any, mask: Any = None) -> tuple:
        out = f(pred, target, mask)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"loss {getattr(f, '__name__', f)!r} must return a pair (loss, dpred), "
                            f"got {type(out).__name__}: a loss object with forward and backward "
                            "(MSELoss()) is taken as well")
        return out
    return fn


def _same_kind(train_data: Dataset, val_data: Dataset) -> None:
    """val_data must be scored like train_data: the same kind and the same features per step."""
    if val_data.kind != train_data.kind:
        raise ValueError(f"val_data must be of train_data's kind {train_data.kind!r}, got {val_data.kind!r}")
    if tuple(val_data.X.shape[2:]) != tuple(train_data.X.shape[2:]) \
            or (val_data.X.dtype.kind in "iu") != (train_data.X.dtype.kind in "iu"):
        raise ValueError(f"val_data's inputs must be like train_data's, (N, T{_features(train_data)}) "
                         f"{train_data.X.dtype}, got (N, T{_features(val_data)}) {val_data.X.dtype}")


def _features(data: Dataset) -> str:
    return "".join(f", {n}" for n in data.X.shape[2:])


def _classes_fit(model: Any, name: str, data: Dataset) -> None:
    """For cross-entropy: one model output per class, at least two, and every class id of ``data`` below."""
    if not data.kind.startswith("classify"):
        return
    outputs = _outputs(model)
    scored = data.Y[data.Y != IGNORE]
    top = int(scored.max()) if scored.size else 0
    if outputs is None:
        return
    fix = f"make the model with output_size={max(top + 1, 2)} (the out_features of its last Linear)"
    if outputs < 2:  # one class: p = 1 whatever the logit, so nothing would be learned
        raise ValueError(f"cross-entropy needs one model output per class, at least 2, but the model has "
                         f"{outputs} output: {fix}")
    if top >= outputs:  # found here, not in the batch that holds it halfway through an epoch
        raise ValueError(f"{name}'s targets must be class indices in [0, {outputs}) (one per model output), "
                         f"got class ids up to {top}: {fix}")


def _outputs(model: Any) -> int | None:
    """The model's outputs per step, read from its last layer with weights when that is a Linear."""
    for m in reversed(list(model.modules.values())):
        if hasattr(m, "out_features"):
            return int(m.out_features)
        if m.params:  # another layer with weights last: its outputs are not known here
            return None
    return None


def _bound_optimizer(model: Any, optimizer: Any) -> None:
    """A name, or an Optimizer that holds exactly the model's parameter arrays under its keys."""
    if isinstance(optimizer, str):
        validate.choice("optimizer name", optimizer, tuple(OPTIMIZERS))
        return
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be one of {tuple(OPTIMIZERS)} or a minilstm Optimizer, "
                        f"got {type(optimizer).__name__}")
    params, held = model.params, optimizer.params
    if held.keys() == params.keys() and all(held[k] is params[k] for k in params):
        return
    mine = {id(a) for a in params.values()}
    if {id(a) for a in held.values()} == mine:
        raise ValueError(f"optimizer holds this model's arrays under other keys ({sorted(held)[:2]}, ...) than "
                         f"train steps it with ({sorted(params)[:2]}, ...): a module that is not a Sequential "
                         "trains inside Sequential(module); make the optimizer over that: "
                         "seq = minilstm.Sequential(module); train(seq, ..., optimizer=Adam(seq.params))")
    foreign = [k for k, a in held.items() if id(a) not in mine]
    if foreign:
        raise ValueError(f"optimizer holds arrays that are not this model's parameters ({foreign[:3]}): it would "
                         "train another model and leave this one as it is; make it over this model's "
                         "parameters, optimizer=Adam(model.params)")
    missing = sorted(set(params) - set(held))
    raise ValueError(f"optimizer must hold every parameter of the model, it lacks {missing[:3]}; "
                     "make it over model.params")


def _bound_schedule(schedule: Any, optimizer: Any) -> None:
    """A name, a (name, kwargs) pair, or a Schedule made for the very optimizer given."""
    if schedule is None:
        return
    if isinstance(schedule, Schedule):
        if schedule.optimizer is not optimizer:
            why = (f"train makes its own from optimizer={optimizer!r}" if isinstance(optimizer, str)
                   else "not the one given as optimizer=")
            raise ValueError(f"schedule was made for another optimizer ({why}): it would set that one's lr and "
                             "change nothing here; make it for the optimizer you pass, opt = Adam(model.params); "
                             "train(model, data, optimizer=opt, schedule=StepLR(opt, 10))")
        return
    if isinstance(schedule, (tuple, list)):
        if len(schedule) != 2 or not isinstance(schedule[1], dict):
            raise TypeError("schedule must be a name, a Schedule or a pair (name, kwargs dict) such as "
                            f"('step', {{'step_size': 5}}), got {type(schedule).__name__} {schedule!r}")
        name, kwargs = schedule
        validate.choice("schedule's name", name, tuple(SCHEDULES))
        try:
            inspect.signature(SCHEDULES[name]).bind(None, **kwargs)
        except TypeError as err:
            raise TypeError(f"schedule {schedule!r}: {SCHEDULES[name].__name__} does not take these "
                            f"arguments ({err})") from None
        return
    validate.choice("schedule", schedule, tuple(SCHEDULES))


def check_metrics(metrics: Any, has_val_data: bool | None) -> None:
    """``metrics``: None or a dict of name -> ``fn(pred, dataset)``; with train, only beside ``val_data``."""
    if metrics is None:
        return
    if not isinstance(metrics, dict):
        hint = ": give each a name, metrics={'accuracy': fn}" if isinstance(metrics, (list, tuple)) else ""
        raise TypeError(f"metrics must be a dict of name -> fn(pred, dataset) -> float, "
                        f"got {type(metrics).__name__}{hint}")
    for name, fn in metrics.items():
        if not isinstance(name, str) or not callable(fn):
            raise TypeError(f"metrics must map names (str) to functions fn(pred, dataset) -> float, "
                            f"got {name!r}: {type(fn).__name__}")
    if metrics and has_val_data is False:
        raise ValueError(f"metrics {sorted(metrics)} are computed on val_data, which was not given: "
                         "give val_data too")


def _callbacks(callbacks: Any) -> None:
    """A list or tuple of functions ``fn(epoch, logs, model)``."""
    if not isinstance(callbacks, (list, tuple)):
        hint = ": put it in a list, callbacks=[fn]" if callable(callbacks) else ""
        raise TypeError(f"callbacks must be a list of functions fn(epoch, logs, model), "
                        f"got {type(callbacks).__name__}{hint}")
    for i, cb in enumerate(callbacks):
        if not callable(cb):
            raise TypeError(f"callbacks[{i}] must be a function fn(epoch, logs, model), got {type(cb).__name__}")
