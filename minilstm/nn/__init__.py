"""The layers a user composes beside the recurrent ones, one family per file.

- :mod:`.conv`: ``Conv1d`` over time, on batch-first sequences with the channels last.
- :mod:`.activations`: ``ReLU``, ``Tanh`` and inverted ``Dropout``, without parameters.
- :mod:`.attention`: ``AttentionPool``, a learned query attending over time steps.
- :mod:`.sequential`: ``Sequential``, and ``LastStep``, ``MeanOverTime``, ``MaskPadding``
  that choose what goes on after a recurrent layer.
- :mod:`.gaussian`: ``GaussianHead``, a mean and a positive variance (train it with
  :class:`minilstm.GaussianNLLLoss`).

Each follows the layers' protocol: ``params``/``grads`` dicts under PyTorch's keys,
``forward`` saving a named cache and a hand-written ``backward`` filling ``grads``.
"""
from .activations import Dropout, ReLU, Tanh
from .attention import AttentionPool
from .conv import Conv1d
from .gaussian import GaussianHead
from .sequential import LastStep, MaskPadding, MeanOverTime, Sequential

__all__ = ["Sequential", "LastStep", "MeanOverTime", "MaskPadding",
           "Conv1d", "ReLU", "Tanh", "Dropout", "AttentionPool", "GaussianHead"]
