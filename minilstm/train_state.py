"""What a training run carries from epoch to epoch and into its checkpoint: the :class:`History` of its
epochs, and how :func:`~minilstm.train` saves it (``checkpoint_dir``) and restores it (``resume``)."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from . import checkpoint
from .nn.sequential import random_generators
from .optim import Optimizer


@dataclass
class History:
    """Per-epoch logs: ``history["val_loss"]`` is the list of every epoch's value.

    Keys: ``epoch``, ``train_loss``, ``val_loss`` (with ``val_data``), each metric
    (``val_<name>``), ``grad_norm`` (mean pre-clip global norm), ``lr``,
    ``skipped_steps`` (steps not taken because the loss or gradient was inf or nan), ``time`` (s).
    """

    logs: dict = field(default_factory=dict)
    stopped_early: bool = False
    interrupted: bool = False  # Ctrl-C stopped the run after a batch (the last epoch is partial)
    seed: int | None = None
    best: float = math.inf   # the best monitored loss so far (early stopping)
    bad_epochs: int = 0      # epochs since it improved

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


def _save(model: Any, opt: Optimizer, sched: Any, history: History, path: str) -> str:
    return checkpoint.save(model, path, optimizer=opt, epoch=history.epochs, seed=history.seed,
                    history=history.logs,
                    rng_states={k: g.bit_generator.state for k, g in random_generators(model).items()},
                    best=history.best if math.isfinite(history.best) else None, bad_epochs=history.bad_epochs,
                    schedule=None if sched is None else sched.state_dict())


def _resume(model: Any, opt: Optimizer, sched: Any, path: str) -> tuple[History, int]:
    """Restore weights, optimizer, schedule and random state from ``path``; the history and epoch."""
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
        part = "training"
        best = math.inf if state.get("best") is None else float(state["best"])
        return (History(logs=state["history"], seed=state["seed"], best=best,
                        bad_epochs=int(state.get("bad_epochs", 0))), int(state["epoch"]))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:  # a file that does not fit this run
        detail = f"no entry {err.args[0]!r} where one was expected" if isinstance(err, KeyError) else str(err)
        raise ValueError(f"checkpoint {str(path)!r}: field {part!r} cannot be restored: {detail}") from err
