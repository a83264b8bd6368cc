"""Learning-rate schedules: StepLR, CosineAnnealingLR and ReduceLROnPlateau.

A schedule holds an optimizer and sets its ``lr`` once per epoch: call
``step()`` (``ReduceLROnPlateau``: ``step(metric)``) after each epoch's
training. ``epoch`` counts those calls, like ``last_epoch`` in
torch.optim.lr_scheduler, and the arithmetic is torch's: StepLR and
CosineAnnealingLR in the closed forms that torch's chained updates follow, so
they set ``lr`` from ``base_lr`` (the optimizer's ``lr`` when the schedule was
made) and ``epoch`` alone.

To resume training, save and load both the optimizer's and the schedule's
``state_dict()``.
"""
from __future__ import annotations

import math
from typing import Any

from . import validate
from .optim import Optimizer


class Schedule:
    """What the schedules share: the optimizer, ``epoch`` and the state dict of the fields in ``_state``."""

    _state: tuple = ("epoch", "base_lr")

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError("optimizer must be a minilstm optimizer (SGD, Adam, AdamW, RMSprop, Adagrad), "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0  # step() calls so far: torch's last_epoch

    def lr_at(self, epoch: int) -> float:
        """The learning rate for ``epoch`` (StepLR, CosineAnnealingLR: a closed form)."""
        raise NotImplementedError(f"{type(self).__name__}'s lr depends on more than the epoch")

    def step(self) -> None:
        """End an epoch: count it and set the optimizer's ``lr`` for the next."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)

    def state_dict(self) -> dict:
        """The fields that change or that the optimizer cannot give back, as plain numbers."""
        return {name: getattr(self, name) for name in self._state}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` gave (the optimizer's ``lr`` comes from its own state)."""
        validate.keys("state_dict", state_dict, self._state, type(self).__name__)
        new = {k: self._check(k, v) for k, v in state_dict.items()}
        for k, v in new.items():
            setattr(self, k, v)

    def _check(self, key: str, value: Any) -> Any:
        name = f"state_dict[{key!r}]"
        if key in ("epoch", "num_bad_epochs"):
            return validate.count(name, value)
        if key == "base_lr":
            return validate.at_least(name, value, 0.0, strict=True)
        return validate.number(name, value)  # best: inf until a metric is seen


class StepLR(Schedule):
    """Multiply ``lr`` by ``gamma`` every ``step_size`` epochs, as ``torch.optim.lr_scheduler.StepLR``::

        lr = base_lr * gamma ** (epoch // step_size)
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = validate.positive_int("step_size", step_size)
        self.gamma = validate.at_least("gamma", gamma, 0.0, strict=True)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(Schedule):
    """Half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs (Loshchilov & Hutter
    2017, without restarts), as ``torch.optim.lr_scheduler.CosineAnnealingLR``::

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    Past ``T_max`` the cosine goes on, back up towards ``base_lr``, as torch's does.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = validate.positive_int("T_max", T_max)
        self.eta_min = validate.at_least("eta_min", eta_min, 0.0)

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class ReduceLROnPlateau(Schedule):
    """Multiply ``lr`` by ``factor`` when a metric stops improving, as
    ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (relative threshold, no cooldown)::

        improved = metric < best * (1 - threshold)   (mode "min")
                   metric > best * (1 + threshold)   (mode "max")
        improved: best = metric, num_bad_epochs = 0;  otherwise num_bad_epochs += 1
        num_bad_epochs > patience: lr = max(lr * factor, min_lr), num_bad_epochs = 0

    As in torch, a reduction smaller than ``eps`` is skipped.
    """

    _state = ("epoch", "best", "num_bad_epochs")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, min_lr: float = 0.0, eps: float = 1e-8) -> None:
        super().__init__(optimizer)
        self.mode = validate.choice("mode", mode, ("min", "max"))
        self.factor = validate.at_least("factor", factor, 0.0, strict=True)
        if self.factor >= 1.0:
            raise ValueError(f"factor must be < 1 (it reduces lr), got {self.factor}")
        self.patience = validate.count("patience", patience)
        self.threshold = validate.probability("threshold", threshold)
        self.min_lr = validate.at_least("min_lr", min_lr, 0.0)
        self.eps = validate.at_least("eps", eps, 0.0)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0

    def step(self, metric: float) -> None:  # type: ignore[override]
        """End an epoch whose validation metric (a loss, an accuracy) was ``metric``."""
        metric = validate.number("metric", metric)
        self.epoch += 1
        if self.mode == "min":
            improved = metric < self.best * (1 - self.threshold)
        else:
            improved = metric > self.best * (1 + self.threshold)
        if improved:
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            old = self.optimizer.lr
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.optimizer.lr = new
            self.num_bad_epochs = 0


SCHEDULES = {"step": StepLR, "cosine": CosineAnnealingLR, "plateau": ReduceLROnPlateau}


def make_schedule(name: str, optimizer: Optimizer, **kwargs: Any) -> Schedule:
    """The schedule called ``name`` (a key of :data:`SCHEDULES`) for ``optimizer``."""
    validate.choice("schedule name", name, tuple(SCHEDULES))
    return SCHEDULES[name](optimizer, **kwargs)
