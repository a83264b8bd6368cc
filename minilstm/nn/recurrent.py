"""Recurrent layers with PyTorch's interface: RNN, LSTM, GRU and PeepholeLSTM.

Shape letters: T time steps, B batch, D input features, H hidden units,
L layers, K = 2 if bidirectional else 1. Inside, sequences are time-major
(T, B, D); ``batch_first=True`` converts at the edges only.

Parameters live in ``layer.params`` under PyTorch's keys (``weight_ih_l0``,
``bias_hh_l1_reverse``, ...; fused gate rows in PyTorch's order), and the last
backward's gradients in ``layer.grads`` under the same keys.
"""
from __future__ import annotations

from typing import Any

from .. import validate
from ..cells import GRUStep, RNNStep
from .recurrent_base import Recurrent
from .recurrent_params import (
    lstm_step,
    set_gate_bias,
)


class RNN(Recurrent):
    """Elman RNN, ``h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``; like ``torch.nn.RNN``.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, *, seed, dtype, recurrent_dropout, input_dropout)``: PyTorch's
    positional list, then minilstm's keyword-only options. ``nonlinearity`` is ``"tanh"`` (default)
    or ``"relu"``; see :class:`Recurrent` for the other arguments.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 **options: Any) -> None:
        validate.choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(RNNStep(nonlinearity=nonlinearity), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, **options)

    @classmethod
    def param_shapes(cls, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                     bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                     **options: Any) -> dict:
        """The shapes the constructor allocates: one gate block, see :meth:`Recurrent.param_shapes`."""
        validate.choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        return super().param_shapes(RNNStep(nonlinearity=nonlinearity), input_size, hidden_size, num_layers, bias,
                                    batch_first, dropout, bidirectional, **options)


class LSTM(Recurrent):
    """LSTM with PyTorch's layout (gates i, f, g, o); like ``torch.nn.LSTM``.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, *, forget_bias, <variant options>, peephole, seed, dtype, recurrent_dropout,
    input_dropout)``: PyTorch's positional list (without ``proj_size``), then minilstm's keyword-only
    options. ``forget_bias`` (default 1.0 where there is a forget gate) is the forget
    gate's initial bias. The variants of Greff et al. (2015) are keyword
    options: ``input_gate``, ``forget_gate``, ``output_gate``,
    ``input_activation``, ``output_activation`` (each default True) and
    ``coupled`` (CIFG, ``i = 1 - f``; default False; with the default forget
    bias of 1, ``i`` starts near 1 - sigmoid(1) = 0.27); a removed gate has no
    rows in the fused weights. ``peephole=True`` is :class:`PeepholeLSTM`, so
    ``LSTM(D, H, **minilstm.cells.VARIANTS["CIFG"])`` builds Greff et al.'s CIFG.
    See :class:`Recurrent` for the other arguments and :mod:`minilstm.cells.lstm`
    for the equations.
    """

    _peephole = False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 forget_bias: float | None = None, input_gate: bool = True, forget_gate: bool = True,
                 output_gate: bool = True, input_activation: bool = True, output_activation: bool = True,
                 coupled: bool = False, peephole: bool | None = None, **options: Any) -> None:
        peephole = self._peephole if peephole is None else validate.boolean("peephole", peephole)
        cell, forget_bias = lstm_step(peephole, forget_bias, input_gate=input_gate, forget_gate=forget_gate,
                                      output_gate=output_gate, input_activation=input_activation,
                                      output_activation=output_activation, coupled=coupled)
        super().__init__(cell, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         forget_bias=forget_bias, **options)

    @classmethod
    def param_shapes(cls, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                     batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                     forget_bias: float | None = None, input_gate: bool = True, forget_gate: bool = True,
                     output_gate: bool = True, input_activation: bool = True, output_activation: bool = True,
                     coupled: bool = False, peephole: bool | None = None, **options: Any) -> dict:
        """The shapes the constructor allocates: a block per gate the variant keeps (i, f, g, o at most) and,
        with peepholes, ``weight_peep_{i,f,o}_l{k}`` (H,); see :meth:`Recurrent.param_shapes`."""
        peephole = cls._peephole if peephole is None else validate.boolean("peephole", peephole)
        cell, _ = lstm_step(peephole, forget_bias, input_gate=input_gate, forget_gate=forget_gate,
                            output_gate=output_gate, input_activation=input_activation,
                            output_activation=output_activation, coupled=coupled)
        return super().param_shapes(cell, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                                    bidirectional, **options)


class PeepholeLSTM(LSTM):
    """LSTM with diagonal peepholes (Gers & Schmidhuber 2000): i and f see c_{t-1}, o sees c_t.

    Extra parameters ``weight_peep_{i,f,o}_l{k}`` (H,), start U(-1/sqrt(H), 1/sqrt(H)).
    """

    _peephole = True


class GRU(Recurrent):
    """GRU with PyTorch's gate order (r, z, n); like ``torch.nn.GRU``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, *, reset_after, update_bias, seed, dtype, recurrent_dropout, input_dropout)``:
    PyTorch's positional list, then minilstm's keyword-only options (``GRU(3, 8, 1, False)`` has no
    biases, as in PyTorch). ``reset_after=True`` (default; PyTorch, cuDNN, Keras) applies r to
    ``W_hn h + b_hn``; ``False`` is Cho et al. 2014's ``W_hn (r * h) + b_hn``.
    ``update_bias`` (default 0) is the update gate's initial bias (its ``bias_ih``
    entries): the GRU's counterpart of the LSTM's ``forget_bias``, since
    ``h = (1 - z) * n + z * h_prev`` carries the state (and its gradient) where z is near 1.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                 reset_after: bool = True, update_bias: float = 0.0, **options: Any) -> None:
        super().__init__(GRUStep(reset_after=validate.boolean("reset_after", reset_after)),
                         input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, **options)
        set_gate_bias(self.params, self.cell, hidden_size, "z", "update_bias", update_bias, self.bias,
                      self.dtype)

    @classmethod
    def param_shapes(cls, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                     batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, *,
                     reset_after: bool = True, update_bias: float = 0.0, **options: Any) -> dict:
        """The shapes the constructor allocates: three gate blocks, see :meth:`Recurrent.param_shapes`."""
        cell = GRUStep(reset_after=validate.boolean("reset_after", reset_after))
        return super().param_shapes(cell, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                                    bidirectional, **options)
