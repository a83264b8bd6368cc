"""The lessons' exercises: a ladder from one step to full BPTT, each rung with a checker that names the bug.

1. the step forward, :func:`check_step_forward` (:mod:`.step`);
2. the step backward, :func:`check_step_backward`;
3. BPTT over a sequence with a loss at every step, :func:`check_bptt` (:mod:`.sequence`);
4. your own numerical gradient, :func:`check_numerical_gradient`;

for ``cell="rnn"`` (``nonlinearity="tanh"`` or ``"relu"``), ``"lstm"`` and ``"gru"``
(``reset_after=True`` or ``False``). Then :func:`plug` runs a real layer on your
step, so ``minilstm.gradcheck`` and ``minilstm.train`` run on your code. Lesson 9's attention by
hand has :func:`check_attention` (:mod:`.attention`).

Every checker runs your function on random float64 inputs next to the engine,
returns a :class:`Check` (true when passed; its message names each wrong result,
its gate block, its worst entry, both values and the equation it comes from),
refuses NaN and inf in your results and tolerances that cannot judge (nan, inf,
0 or less, 1 or more, strings), and turns a shape error inside your code into a
message with your line and every array's expected shape. The caches your step
forward returns are the engine's types, importable from here.
"""
from ..cells import CellParams
from ..cells.gru import GRUCache
from ..cells.lstm import LSTMCache
from ..cells.rnn import RNNCache
from .attention import check_attention
from .plugged import PluggedStep, plug
from .report import Check
from .sequence import check_bptt, check_numerical_gradient
from .step import STEPS, StepCheck, check_step_backward, check_step_forward, random_problem, random_step

__all__ = ["check_step_forward", "check_step_backward", "check_bptt", "check_numerical_gradient", "plug",
           "check_attention",
           "Check", "StepCheck", "PluggedStep", "random_step", "random_problem", "STEPS",
           "CellParams", "RNNCache", "LSTMCache", "GRUCache"]
