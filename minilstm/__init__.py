"""minilstm: recurrent networks with hand-written backprop through time, on NumPy or CuPy."""
from .backend import backend_scope, get_backend, to_numpy, use_backend
from .layers import GRU, LSTM, RNN, PeepholeLSTM

__version__ = "0.1.0"
__all__ = ["use_backend", "backend_scope", "get_backend", "to_numpy", "RNN", "LSTM", "GRU", "PeepholeLSTM"]
