"""``minilstm.train``: fit a :class:`~minilstm.model.Model` on a data set, epoch by epoch.

The loop reads top to bottom: for each epoch, shuffle (from ``seed`` and the
epoch number, so a resumed run sees the same order), and for each batch run
forward, loss, backward, clip, step; then evaluate, log, schedule, save and
ask the callbacks whether to stop.
"""
from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import train_checks, validate
from .data.dataset import Dataset
from .guards import DivergenceWatch, StopOnInterrupt, TrainingDiverged, refuse_non_finite
from .inference import (
    LOSSES,
    as_dataset,
    chunk_problem,
    evaluate,
    loss_for,
    predict,
    score_mask,
    softmax,
)
from .nn.sequential import as_sequential
from .optim import Optimizer, clip_grad_norm, clip_grad_value, global_norm, make_optimizer
from .schedules import ReduceLROnPlateau, Schedule, make_schedule
from .threads import blas_limit, recurrent_work
from .train_report import epoch_line, progress_bar, wants_line
from .train_state import EpochProgress, History, check_checkpoint_dir, resume_run, save_run

__all__ = ["History", "TrainingDiverged", "train", "as_dataset", "predict", "evaluate", "softmax", "LOSSES"]


def _batch_loss(model: Any, loss_fn: Callable, data: Dataset, idx: Any, state: Any = None,
                steps: slice = slice(None)) -> tuple[float | None, Any, Any]:
    """Forward and loss of one batch (and one chunk of its steps); the model keeps the cache.

    A chunk with nothing scored gives ``(None, None, state)``: no loss, no gradient.
    """
    X, Y = data.X[idx][:, steps], data.Y[idx]
    lengths = None if data.lengths is None else data.lengths[idx]
    Y = Y[:, steps] if data.kind.endswith("_seq") else Y
    inputs = X if X.dtype.kind in "iu" else validate.cast(X, model.dtype)
    pred, state = model(inputs, state, lengths=lengths, return_state=True)
    mask = score_mask(data, Y, lengths)
    if data.kind.startswith("regression"):
        Y = validate.cast(Y, model.dtype)
    if mask is not None and not mask.any():  # nothing scored in this chunk
        return None, None, state
    value, dpred = loss_fn(pred, Y, mask)
    return value, dpred, state


def _make_optimizer(optimizer: Any, params: dict, lr: float, weight_decay: float) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        return optimizer
    kwargs = {"lr": lr} if weight_decay == 0 else {"lr": lr, "weight_decay": weight_decay}
    return make_optimizer(optimizer, params, **kwargs)


def train(model: Any, train_data: Any, *, loss: Any = None, optimizer: Any = "adam", lr: float = 1e-3,
          epochs: int = 10, batch_size: int = 32, clip_norm: float | None = None,
          clip_value: float | None = None, weight_decay: float = 0.0, schedule: Any = None,
          val_data: Any = None, metrics: dict | None = None, callbacks: Any = (),
          early_stopping: int | None = None, progress: bool = True, seed: int | None = None,
          tbptt: int | None = None, checkpoint_dir: str | None = None, resume: str | None = None,
          blas_threads: Any = "auto", penalty: Callable | None = None, verbose: Any = "auto",
          overwrite: bool = False) -> History:
    """Train ``model`` on ``train_data``; return the per-epoch :class:`History`.

    Parameters
    ----------
    model : minilstm.Model, Sequential or any module (see :mod:`minilstm.nn.module`)
        A module that is not a Sequential is trained inside ``Sequential(module)``
        (its own arrays; its checkpoints then hold a Sequential of it).
    train_data, val_data : Dataset or (X, Y[, lengths])
        Host arrays, batch-first. The data's kind picks the loss (squared error or
        cross-entropy) and must match the model's head.
    loss : {"mse_loss", "cross_entropy", "gaussian_nll_loss"}, loss object or callable, optional
        A loss's name (its function's, see :mod:`minilstm.nn.losses`),
        ``fn(pred, target, mask) -> (loss, dpred)``, or an object with ``forward`` and
        ``backward`` such as ``MSELoss()``; default from the data's kind.
        ``"gaussian_nll_loss"`` (or ``GaussianNLLLoss()``) trains a model ending in a
        :class:`~minilstm.GaussianHead` (its prediction and gradient are ``(mean, var)`` pairs).
    optimizer : {"sgd", "adam", "adamw", "rmsprop", "adagrad"} or Optimizer
    lr, weight_decay : float
    epochs, batch_size : int
        With ``resume``, ``epochs`` more epochs are run, the interrupted epoch that
        a resumed run finishes first counting as one.
    clip_norm, clip_value : float, optional
        Clip the global gradient norm (Pascanu et al. 2013) or each entry.
    schedule : {"step", "cosine", "plateau"}, Schedule or (name, kwargs), optional
        Stepped once per epoch ("plateau" on the validation loss, else the training loss).
        By name, "cosine" anneals to 0 over the run's epochs (``T_max`` = the last
        epoch, resumed epochs included); "step" divides ``lr`` by 10 every 10 epochs.
    metrics : dict of name -> fn(pred, dataset) -> float, optional
        Computed on ``val_data`` each epoch, logged as ``val_<name>``.
    callbacks : sequence of fn(epoch, logs, model) -> bool or None
        Called after each epoch; a true return stops training. An epoch that Ctrl-C
        cut short is reported too (``logs["partial"]`` True), and again, whole, by
        the resumed run that finishes it. Pruning a hyperparameter search (Optuna's
        ``trial``; examples/hyperparameter_search.py) is one such callback::

            def report(epoch, logs, model):
                trial.report(logs["val_loss"], epoch)  # the pruner compares trials epoch by epoch
                return trial.should_prune()            # stop this run; then raise optuna.TrialPruned()
    early_stopping : int, optional
        Stop when the monitored loss has not improved for this many epochs.
    progress : bool
        Allow the tqdm progress bar (loss and speed, on stderr). False turns it off,
        and with ``verbose="auto"`` all of train's printing (code that passed
        ``progress=False`` to keep training quiet stays quiet).
    verbose : {"auto", 0, 1, 2}
        What train prints as it goes (see :mod:`minilstm.train_report`). "auto": the
        bar where it can redraw in place (a terminal or Jupyter, tqdm installed),
        else one line per epoch on stdout (a log file, a pipe); 0: nothing; 1: the
        bar only, nothing where it cannot show (for a caller that prints its own
        lines, as ``python -m minilstm train`` does); 2: one line per epoch, never a
        bar. A line reads ``epoch 3/10  train loss 0.0123  val loss 0.0234  val rmse
        0.152  (0.41 s)``.
    seed : int, optional
        Seeds the batch order: with the model's own seed, the run is bit-for-bit
        reproducible.
    tbptt : int, optional
        Truncated BPTT for per-step targets: chunks of ``tbptt`` steps, the state
        carried across chunks, no gradient across a chunk boundary. ``val_data``
        is then evaluated in chunks of ``tbptt`` steps too (``chunk`` of :func:`predict`),
        so its memory is bounded like training's.
    checkpoint_dir : str, optional
        Save ``model.npz`` there after every epoch (weights, optimizer, training state),
        and with ``val_data`` also ``best.npz`` whenever the validation loss improves;
        an epoch that ends in skipped steps is not saved (see below). A folder that
        holds another run's checkpoints is refused (FileExistsError) unless ``resume``
        continues that run or ``overwrite=True`` (which also replaces read-only files).
    resume : str, optional
        A checkpoint to continue from: weights, optimizer, schedule, epoch,
        seed and history are restored, so N epochs + M resumed equal N + M.
        An epoch that Ctrl-C interrupted is finished first: its remaining batches,
        in the epoch's order, then its row is logged whole.
    penalty : callable, optional
        ``penalty(params) -> (value, grads)`` added to every batch's loss and gradients,
        e.g. ``lambda p: minilstm.l2_penalty({k: v for k, v in p.items() if "weight" in k}, 1e-4)``
        (an explicit L2 penalty, part of the reported loss; ``weight_decay`` is not).
    blas_threads : "auto", int or None
        BLAS threads while training: "auto" is 1 for small layers and batches
        (``batch_size * hidden_size**2`` below that of H = 256, B = 64) unless
        ``OPENBLAS_NUM_THREADS`` (or another variable of
        :data:`minilstm.threads.ENV_VARS`) is set; None leaves BLAS as it is
        (see :mod:`minilstm.threads`).

    A step whose loss or gradient norm is inf or nan is skipped (the weights stay as
    they were) and counted in ``skipped_steps``. The run has diverged, and stops
    with :class:`~minilstm.TrainingDiverged` (naming the epoch and step, the last
    finite gradient norm and the checkpoint kept), when 10 steps in a row are
    skipped (:data:`minilstm.guards.BAD_STEPS_IN_A_ROW`, counted across epochs),
    when a step leaves a weight inf or nan, or when the run ends on skipped steps
    that fill its last epoch (a short run). A checkpoint is written only after an
    epoch whose last step was taken (not skipped) and whose weights still give a
    finite loss (on ``val_data``, else on the next batch, one forward in evaluation
    mode), so the file left is the last good one. Data with a nan or an inf (padding
    aside), or that is not numbers (an object array), is refused before training.

    Ctrl-C (SIGINT, in the main thread) stops training after the current batch:
    the partial epoch is evaluated and logged with ``partial`` True (its train
    loss over the batches done), the callbacks see it, and the history's
    ``interrupted`` is True; the schedule is not stepped and early stopping does
    not count it. The checkpoint then holds the weights and how far the epoch got,
    so ``resume`` trains the rest of its batches, in the same order, and goes on:
    interrupted and resumed, a run is bit-for-bit the run done in one go (weights,
    optimizer, history; ``time`` aside). A second Ctrl-C interrupts at once.
    """
    train_data = as_dataset(train_data, "train_data")
    val_data = None if val_data is None else as_dataset(val_data, "val_data")
    model = as_sequential(model)
    for name, ds in (("train_data", train_data), ("val_data", val_data)):
        if ds is not None:
            refuse_non_finite(ds, name, model.dtype)
    check_checkpoint_dir(checkpoint_dir, resume, overwrite)
    loss = train_checks.check_train(model, train_data, val_data, loss=loss, optimizer=optimizer, schedule=schedule,
                                  metrics=metrics, callbacks=callbacks, seed=seed, progress=progress,
                                  verbose=verbose)
    loss_fn, _ = loss_for(model, train_data, loss)
    penalty = train_checks.penalty_function(penalty)
    epochs, batch_size = validate.count("epochs", epochs), validate.positive_int("batch_size", batch_size)
    if tbptt is not None:
        tbptt = validate.positive_int("tbptt", tbptt)
        if not train_data.kind.endswith("_seq") or train_data.lengths is not None:
            raise ValueError("tbptt needs per-step targets (a model with readout='all') and unpadded data")
    if early_stopping is not None:
        early_stopping = validate.positive_int("early_stopping", early_stopping)
    for name, v in (("clip_norm", clip_norm), ("clip_value", clip_value)):
        if v is not None:
            validate.at_least(name, v, 0.0, strict=True)
    params = model.params
    opt = _make_optimizer(optimizer, params, lr, weight_decay)
    sched = _make_schedule(schedule, opt, epochs)
    history, start = History(seed=seed), 0
    if resume is not None:
        history, start = resume_run(model, opt, sched, resume, len(train_data))
        seed = history.seed
        if schedule == "cosine":  # by name: anneal over the whole run, the resumed epochs too
            sched.T_max = start + epochs
            opt.lr = sched.lr_at(sched.epoch)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
        history.seed = seed
    watch = DivergenceWatch(history)
    watch.start(model.params)
    val_chunk = tbptt if val_data is not None and tbptt is not None and chunk_problem(model, val_data.lengths) is None \
        else None  # a model that cannot run in chunks is evaluated whole
    steps = functools.partial(_train_batch, model, loss_fn, train_data, clip_norm=clip_norm, clip_value=clip_value,
                              tbptt=tbptt, penalty=penalty)
    work = recurrent_work(model, min(batch_size, len(train_data)))
    with blas_limit(blas_threads, work), StopOnInterrupt() as interrupt:
        for epoch in range(start, start + epochs):
            so_far = history.unfinished or EpochProgress()  # resuming an interrupted epoch: its batches done
            history.unfinished = None
            order = np.random.default_rng([seed, epoch]).permutation(len(train_data))
            bar = progress_bar(len(train_data), verbose, progress, f"epoch {epoch + 1}/{start + epochs}", so_far.seen)
            _train_epoch(model, steps, opt, order, batch_size, so_far, watch, interrupt, bar, epoch + 1)
            partial = so_far.seen < len(train_data)
            t0 = time.perf_counter()
            row = {"epoch": epoch + 1, "train_loss": float(np.mean(so_far.losses)) if so_far.losses else math.nan,
                   "grad_norm": float(np.mean(so_far.norms)) if so_far.norms else math.nan, "lr": opt.lr,
                   "skipped_steps": so_far.skipped, "partial": partial}
            if val_data is not None:  # not on diverged weights: nan keeps every log as long as "epoch"
                scores = dict.fromkeys(["loss", *(metrics or {})], math.nan) if watch.found else \
                    evaluate(model, val_data, loss, metrics, blas_threads=blas_threads, chunk=val_chunk)
                row.update({f"val_{k}": v for k, v in scores.items()})
            row["time"] = so_far.seconds + time.perf_counter() - t0
            history.append(row)
            if wants_line(verbose, progress, bar):
                print(epoch_line(row, start + epochs, so_far.seen, len(train_data)), flush=True)
            if watch.found:  # the partial epoch is logged, nothing is saved; the model ends in eval mode as always
                model.eval()
                raise watch.error()
            if partial:  # Ctrl-C: no schedule step, no patience counted; resume trains the rest of this epoch
                history.unfinished, improved = so_far, False
            else:
                improved = _end_epoch(history, row, sched)
            if checkpoint_dir is not None and not watch.bad and watch.keeps(  # else the last file stays
                    row["val_loss"] if val_data is not None else _probe(model, loss_fn, train_data, seed, epoch + 1,
                                                                         batch_size, tbptt)):
                watch.saved = save_run(model, opt, sched, history, os.path.join(checkpoint_dir, "model.npz"),
                                       overwrite)
                watch.saved_epoch = epoch + 1
                if improved and val_data is not None:
                    save_run(model, opt, sched, history, os.path.join(checkpoint_dir, "best.npz"), overwrite)
            stop = early_stopping is not None and history.bad_epochs >= early_stopping
            stop |= any(bool(cb(epoch + 1, row, model)) for cb in callbacks)
            history.stopped_early, history.interrupted = stop, interrupt.requested
            if stop or interrupt.requested:
                break
    if not interrupt.requested:
        watch.finish(len(so_far.norms))
    model.eval()
    if watch.found:
        raise watch.error()
    return history


def _probe(model: Any, loss_fn: Callable, data: Dataset, seed: int, epoch: int, batch_size: int,
           tbptt: int | None) -> float:
    """The loss, in evaluation mode, of the first batch (its first chunk) that epoch ``epoch`` (0-based) will
    train on: whether the weights an epoch ends with still give a finite loss. No random draw is used."""
    idx = np.random.default_rng([seed, epoch]).permutation(len(data))[:batch_size]
    training = model.training
    model.eval()
    value, _, _ = _batch_loss(model, loss_fn, data, idx, None, slice(None) if tbptt is None else slice(0, tbptt))
    model.train(training)
    return 0.0 if value is None else float(value)


def _train_epoch(model: Any, steps: Callable, opt: Optimizer, order: np.ndarray, batch_size: int,
                 so_far: EpochProgress, watch: DivergenceWatch, interrupt: StopOnInterrupt, bar: Any,
                 epoch: int) -> None:
    """Train on the batches of ``order`` from ``so_far.seen`` on (``steps(idx)`` yields a batch's steps),
    recording each step in ``so_far``; stop early, after a whole batch, on Ctrl-C (``interrupt``) or
    divergence (``watch``)."""
    t0 = time.perf_counter()
    model.train()
    for b in range(so_far.seen, len(order), batch_size):
        idx = order[b:b + batch_size]
        for value, norm, grads in steps(idx):
            so_far.losses.append(float(value))
            so_far.norms.append(float(norm))
            if watch.step(epoch, len(so_far.norms), value, norm):  # inf or nan would ruin the weights: skip
                so_far.skipped += 1
            else:
                opt.step(grads)
                watch.check_weights(model.params, epoch, len(so_far.norms))
            if watch.found:
                break
        so_far.seen = b + len(idx)
        if bar is not None:
            bar.update(len(idx))
            bar.set_postfix(loss=f"{np.mean(so_far.losses):.4g}" if so_far.losses else "-")
        if interrupt.requested or watch.found:  # Ctrl-C, or divergence: end this epoch here
            break
    if bar is not None:
        bar.close()
    so_far.seconds += time.perf_counter() - t0


def _end_epoch(history: History, row: dict, sched: Any) -> bool:
    """After a whole epoch: step the schedule, count the epochs without improvement; whether it improved."""
    monitored = row.get("val_loss", row["train_loss"])
    if sched is not None:
        sched.step(monitored) if isinstance(sched, ReduceLROnPlateau) else sched.step()
    improved = monitored < history.best
    history.best, history.bad_epochs = (monitored, 0) if improved else (history.best, history.bad_epochs + 1)
    return improved


def _train_batch(model: Any, loss_fn: Callable, data: Dataset, idx: Any, clip_norm: Any, clip_value: Any,
                 tbptt: Any, penalty: Callable | None = None):
    """Yield ``(loss, norm, grads)`` for each chunk of the batch (one chunk without ``tbptt``): the pre-clip
    norm and the clipped gradients, for the caller to step on before the next chunk runs."""
    T = data.X.shape[1]
    chunk = T if tbptt is None else tbptt
    state = None
    for t0 in range(0, T, chunk):
        value, dpred, state = _batch_loss(model, loss_fn, data, idx, state, slice(t0, t0 + chunk))
        if dpred is None:  # no step on a zero gradient: Adam would still move on its old moments
            continue
        model.backward(dpred)
        grads = model.grads
        if penalty is not None:  # an explicit term of the loss: its value and its gradients join in
            extra, dparams = penalty(model.params)
            value = value + extra
            grads = {k: g + dparams[k] if k in dparams else g for k, g in grads.items()}
        norm = clip_grad_norm(grads, clip_norm) if clip_norm is not None else global_norm(grads)
        if clip_value is not None:
            clip_grad_value(grads, clip_value)
        yield value, norm, grads


def _make_schedule(schedule: Any, opt: Optimizer, epochs: int) -> Schedule | None:
    if schedule is None or isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, (tuple, list)):
        name, kwargs = schedule
        return make_schedule(name, opt, **kwargs)
    defaults = {"step": {"step_size": 10}, "cosine": {"T_max": epochs}, "plateau": {}}
    validate.choice("schedule", schedule, tuple(defaults))
    return make_schedule(schedule, opt, **defaults[schedule])
