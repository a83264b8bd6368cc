"""minilstm: recurrent networks with hand-written backprop through time, on NumPy or CuPy."""
__version__ = "0.1.0"

from . import data, inspect, nn, optim, plot, schedules, threads
from .backend import backend_available, backend_scope, get_backend, to_numpy, use_backend
from .checkpoint import load, save
from .gradcheck import check_gradients, gradcheck
from .model import Model
from .nn import (
    GRU,
    LSTM,
    RNN,
    Attention,
    AttentionPool,
    Conv1d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    GaussianHead,
    GaussianNLLLoss,
    GRUCell,
    LastStep,
    Linear,
    LSTMCell,
    MaskPadding,
    MeanOverTime,
    MSELoss,
    MultiheadAttention,
    PeepholeLSTM,
    PeepholeLSTMCell,
    ReLU,
    RNNCell,
    Sequential,
    Tanh,
    cross_entropy,
    gaussian_nll_loss,
    l2_penalty,
    mse_loss,
)
from .optim import SGD, Adagrad, Adam, AdamW, RMSprop
from .train import History, TrainingDiverged, evaluate, predict, softmax, train

__all__ = ["use_backend", "backend_scope", "backend_available", "get_backend", "to_numpy",
           "RNN", "LSTM", "GRU", "PeepholeLSTM", "Linear", "Embedding",
           "RNNCell", "LSTMCell", "GRUCell", "PeepholeLSTMCell",
           "Sequential", "LastStep", "MeanOverTime", "MaskPadding",
           "Conv1d", "ReLU", "Tanh", "Dropout", "Attention", "AttentionPool", "MultiheadAttention",
           "GaussianHead",
           "MSELoss", "CrossEntropyLoss", "GaussianNLLLoss", "mse_loss", "cross_entropy",
           "gaussian_nll_loss", "l2_penalty",
           "gradcheck", "check_gradients", "Model", "train", "evaluate", "predict", "softmax", "History",
           "save", "load", "TrainingDiverged",
           "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "data", "inspect", "nn", "optim", "plot", "schedules",
           "threads"]
