"""What a training run carries from epoch to epoch and into its checkpoint: the :class:`History` of its
epochs, how far an interrupted epoch got (:class:`EpochProgress`), and how :func:`~minilstm.train` saves
them (``checkpoint_dir``) and restores them (``resume``).

Ctrl-C ends an epoch early: its row is logged with ``partial`` True, and its
progress is kept in ``History.unfinished`` and in the checkpoint, so that a
resumed run trains the rest of that epoch's batches, in the same order, before
the next epoch.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from . import checkpoint, validate
from .nn.sequential import random_generators
from .optim import Optimizer


@dataclass
class EpochProgress:
    """How far an epoch has got: what its log row is made of, and where a resumed run picks it up."""

    seen: int = 0                                 # sequences of the epoch's batch order trained on
    losses: list = field(default_factory=list)    # each step's loss
    norms: list = field(default_factory=list)     # each step's pre-clip global gradient norm
    skipped: int = 0                              # steps not taken (inf or nan loss or gradient)
    seconds: float = 0.0                          # time spent training on it (evaluation aside)


@dataclass
class History:
    """Per-epoch logs: ``history["val_loss"]`` is the list of every epoch's value.

    Keys: ``epoch``, ``train_loss``, ``val_loss`` (with ``val_data``), each metric
    (``val_<name>``), ``grad_norm`` (mean pre-clip global norm), ``lr``,
    ``skipped_steps`` (steps not taken because the loss or gradient was inf or nan),
    ``partial`` (True for an epoch stopped before its last batch: by Ctrl-C, or by
    divergence), ``time`` (s).
    """

    logs: dict = field(default_factory=dict)
    stopped_early: bool = False
    interrupted: bool = False  # Ctrl-C stopped the run after a batch (the last epoch is partial)
    seed: int | None = None
    best: float = math.inf   # the best monitored loss so far (early stopping)
    bad_epochs: int = 0      # whole epochs since it improved
    unfinished: EpochProgress | None = None  # the interrupted last epoch's progress, for resume to finish it

    def append(self, row: dict) -> None:
        for k, v in row.items():
            self.logs.setdefault(k, []).append(v)

    def __getitem__(self, key: str) -> list:
        if key not in self.logs:
            raise KeyError(f"no {key!r} in the history; it has {sorted(self.logs)}")
        return self.logs[key]

    def __contains__(self, key: str) -> bool:
        return key in self.logs

    @property
    def epochs(self) -> int:
        return len(self.logs.get("epoch", []))


RUN_FILES = ("model.npz", "best.npz")  # what train() writes into checkpoint_dir


def check_checkpoint_dir(checkpoint_dir: Any, resume: Any, overwrite: bool) -> None:
    """Refuse a ``checkpoint_dir`` that holds another run's checkpoints, unless ``overwrite`` (or it is the
    folder ``resume`` continues): train would replace them after its first epoch."""
    if checkpoint_dir is None:
        return
    if not isinstance(checkpoint_dir, (str, os.PathLike)):
        raise TypeError(f"checkpoint_dir must be a folder's path (a str or a pathlib.Path), "
                        f"got {type(checkpoint_dir).__name__} {checkpoint_dir!r}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    if os.path.exists(checkpoint_dir) and not os.path.isdir(checkpoint_dir):
        raise ValueError(f"checkpoint_dir {os.fspath(checkpoint_dir)!r} is a file, not a folder")
    held = [name for name in RUN_FILES if os.path.exists(os.path.join(checkpoint_dir, name))]
    if not held or overwrite or (resume is not None and _same_folder(checkpoint_dir, resume)):
        return
    raise FileExistsError(f"checkpoint_dir {os.fspath(checkpoint_dir)!r} already holds a run ({', '.join(held)}): "
                          "continue it with resume= that folder, choose another folder, or give overwrite=True "
                          "to replace it")


def _same_folder(folder: Any, resume: Any) -> bool:
    """Whether ``resume`` (a run's folder or a checkpoint in it) is in ``folder``."""
    resumed = resume if os.path.isdir(resume) else os.path.dirname(os.path.abspath(resume))
    try:
        return os.path.samefile(folder, resumed)
    except OSError:
        return False


def save_run(model: Any, opt: Optimizer, sched: Any, history: History, path: str, overwrite: bool = False) -> str:
    """Write the model and the run's state; ``epoch`` counts whole epochs, an interrupted one is ``unfinished``.
    A read-only file at ``path`` is replaced only with ``overwrite``."""
    unfinished = history.unfinished
    return checkpoint.save(model, path, optimizer=opt, overwrite=overwrite,
                           epoch=history.epochs - (unfinished is not None),
                    seed=history.seed, history=history.logs,
                    rng_states={k: g.bit_generator.state for k, g in random_generators(model).items()},
                    best=history.best if math.isfinite(history.best) else None, bad_epochs=history.bad_epochs,
                    schedule=None if sched is None else sched.state_dict(),
                    unfinished=None if unfinished is None else asdict(unfinished))


def resume_run(model: Any, opt: Optimizer, sched: Any, path: str, n: int) -> tuple[History, int]:
    """Restore weights, optimizer, schedule and random state from ``path``; the history and the whole epochs
    done. An interrupted epoch's row leaves the history, its progress goes to ``unfinished`` (``n``: the
    sequences the training data has now, which it must not exceed)."""
    path = os.path.join(path, "model.npz") if os.path.isdir(path) else path
    ckpt = checkpoint.read(path)
    checkpoint.check_architecture(model, ckpt, path)
    state = ckpt.meta.get("training") or {}
    if "rng_states" not in state and "rng_state" not in state:
        raise ValueError(f"{path!r} holds weights but no training state to resume (it was not written by "
                         "train(..., checkpoint_dir=...)); rebuild the model from it with minilstm.load")
    part = "params"  # the field being restored, for the error
    try:
        model.load_state_dict(ckpt.params)
        part = "optimizer"
        opt.load_state_dict(ckpt.optimizer)
        part = "training.rng_states"
        generators = random_generators(model)
        saved = state["rng_states"] if "rng_states" in state else {"": state["rng_state"]}  # older files: the Model's
        for k, g_state in saved.items():
            generators[k].bit_generator.state = g_state
        part = "training.schedule"
        if sched is not None and state.get("schedule") is not None:
            sched.load_state_dict(state["schedule"])
        part = "training.unfinished"
        logs, unfinished = _unfinished(state, n)
        part = "training.seed"
        seed = validate.count("seed", state["seed"])  # -1 or "a" once failed in the first epoch's shuffle
        part = "training"
        best = math.inf if state.get("best") is None else float(state["best"])
        return (History(logs=logs, seed=seed, best=best, bad_epochs=int(state.get("bad_epochs", 0)),
                        unfinished=unfinished), int(state["epoch"]))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:  # a file that does not fit this run
        detail = f"no entry {err.args[0]!r} where one was expected" if isinstance(err, KeyError) else str(err)
        raise ValueError(f"checkpoint {str(path)!r}: field {part!r} cannot be restored: {detail}") from err


def _unfinished(state: dict, n: int) -> tuple[dict, EpochProgress | None]:
    """The history of whole epochs and the interrupted epoch's progress (or None) of a saved training state."""
    logs = dict(state["history"])
    if "partial" not in logs:  # written before partial epochs were marked
        logs["partial"] = [False] * len(logs.get("epoch", []))
    if state.get("unfinished") is None:
        return logs, None
    unfinished = EpochProgress(**state["unfinished"])
    if not 0 <= unfinished.seen <= n:
        raise ValueError(f"the interrupted epoch had trained on {unfinished.seen} sequences, but train_data has {n}; "
                         "resume with the data of the run")
    return {k: v[:-1] for k, v in logs.items()}, unfinished  # its partial row: finishing the epoch logs it whole
