"""The recurrent cells' step pairs: pure functions of one time step and a named cache.

Each ``*Step`` class holds a cell's options (keyword-only) and its step forward
and step backward; :mod:`minilstm.bptt` runs any of them over a sequence. The
plain LSTM is :class:`LSTMStep`; peepholes and Greff et al.'s variants are
:class:`LSTMVariantStep` (:func:`lstm_variant` picks the one for a set of
options). The weight-holding one-step modules a learner calls
(``minilstm.LSTMCell``, ...) are in :mod:`minilstm.nn.recurrent_cells`.
"""
from .common import CellParams, StepGrads
from .gru import GRUStep
from .lstm import LSTMStep
from .lstm_variants import VARIANTS, LSTMVariantStep, lstm_variant
from .rnn import RNNStep

__all__ = ["CellParams", "StepGrads", "RNNStep", "LSTMStep", "LSTMVariantStep", "lstm_variant", "GRUStep",
           "VARIANTS"]
