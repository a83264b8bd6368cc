"""The recurrent cells: each a pair of pure step functions and a named cache."""
from .common import CellParams, StepGrads
from .gru import GRUCell
from .lstm import LSTMCell
from .rnn import RNNCell

__all__ = ["CellParams", "StepGrads", "RNNCell", "LSTMCell", "GRUCell"]
