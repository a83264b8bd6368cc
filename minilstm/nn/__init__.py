"""Everything a user composes, one family per file; ``minilstm`` re-exports each under the same name.

- :mod:`.module`: ``Module``, the protocol every layer follows, and the registry a checkpoint
  rebuilds modules from.
- :mod:`.recurrent`: ``RNN``, ``LSTM``, ``GRU``, ``PeepholeLSTM`` over whole sequences (the
  shared base ``Recurrent`` runs any step pair of :mod:`minilstm.cells`).
- :mod:`.recurrent_cells`: ``RNNCell``, ``LSTMCell``, ``GRUCell``, ``PeepholeLSTMCell``, one
  time step with its own weights (the shared base ``Cell``).
- :mod:`.recurrent_params`: what both of those make their parameters with (one cell's initial
  weights, its ``CellParams``, the LSTM step of a layer's options).
- :mod:`.linear`: ``Linear`` and ``Embedding``.
- :mod:`.conv`: ``Conv1d`` over time, on batch-first sequences with the channels last.
- :mod:`.activations`: ``ReLU``, ``Tanh`` and inverted ``Dropout``, without parameters.
- :mod:`.attention`: ``AttentionPool``, a learned query attending over time steps; ``Attention``, every
  step of one sequence attending over another's (an encoder-decoder's), without parameters.
- :mod:`.multihead`: ``MultiheadAttention``, scaled dot-product attention in several heads, with
  ``torch.nn.MultiheadAttention``'s parameters.
- :mod:`.gaussian`: ``GaussianHead``, a mean and a positive variance (train it with
  ``GaussianNLLLoss``).
- :mod:`.losses`: ``MSELoss``, ``CrossEntropyLoss``, ``GaussianNLLLoss`` and the functions
  behind them, each returning the loss and its gradient; :mod:`.penalties`: ``l2_penalty``.
- :mod:`.sequential`: ``Sequential``.
- :mod:`.readouts`: ``LastStep``, ``MeanOverTime``, ``MaskPadding`` that choose what goes on after a
  recurrent layer.

Each layer follows the protocol of :mod:`.module`: ``params``/``grads`` dicts under PyTorch's
keys, ``forward`` saving a named cache and a hand-written ``backward`` filling ``grads``.
(:mod:`minilstm.cells` is the maths these layers run: one step forward and backward per cell.)
"""
from .activations import Dropout, ReLU, Tanh
from .attention import Attention, AttentionPool
from .conv import Conv1d
from .gaussian import GaussianHead
from .linear import Embedding, Linear
from .losses import (
    CrossEntropyLoss,
    GaussianNLLLoss,
    MSELoss,
    cross_entropy,
    gaussian_nll_loss,
    mse_loss,
)
from .module import Module
from .multihead import MultiheadAttention
from .penalties import l2_penalty
from .readouts import LastStep, MaskPadding, MeanOverTime
from .recurrent import GRU, LSTM, RNN, PeepholeLSTM
from .recurrent_base import Recurrent
from .recurrent_cells import Cell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell
from .sequential import Sequential

__all__ = ["Module", "Recurrent", "RNN", "LSTM", "GRU", "PeepholeLSTM",
           "Cell", "RNNCell", "LSTMCell", "GRUCell", "PeepholeLSTMCell", "Linear", "Embedding",
           "Sequential", "LastStep", "MeanOverTime", "MaskPadding",
           "Conv1d", "ReLU", "Tanh", "Dropout", "Attention", "AttentionPool", "MultiheadAttention",
           "GaussianHead",
           "MSELoss", "CrossEntropyLoss", "GaussianNLLLoss", "mse_loss", "cross_entropy",
           "gaussian_nll_loss", "l2_penalty"]
