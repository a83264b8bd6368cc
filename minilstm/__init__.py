"""minilstm: recurrent networks with hand-written backprop through time, on NumPy or CuPy."""
from .backend import backend_scope, get_backend, to_numpy, use_backend
from .dense import Embedding, Linear
from .layers import GRU, LSTM, RNN, PeepholeLSTM
from .losses import CrossEntropyLoss, MSELoss, mse_loss, softmax_cross_entropy

__version__ = "0.1.0"
__all__ = ["use_backend", "backend_scope", "get_backend", "to_numpy", "RNN", "LSTM", "GRU", "PeepholeLSTM",
           "Linear", "Embedding", "MSELoss", "CrossEntropyLoss", "mse_loss", "softmax_cross_entropy"]
