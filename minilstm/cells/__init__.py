"""The recurrent cells' step pairs: pure functions of one time step and a named cache.

Each ``*Step`` class holds a cell's options (keyword-only) and its step forward
and step backward; :mod:`minilstm.bptt` runs any of them over a sequence. The
weight-holding one-step modules a learner calls (``minilstm.LSTMCell``, ...)
are in :mod:`minilstm.cell_modules`.
"""
from .common import CellParams, StepGrads
from .gru import GRUStep
from .lstm import VARIANTS, LSTMStep
from .rnn import RNNStep

__all__ = ["CellParams", "StepGrads", "RNNStep", "LSTMStep", "GRUStep", "VARIANTS"]
