"""Cells a learner can hold: one time step with its own weights, like ``torch.nn.LSTMCell``.

Shape letters: B batch, D input features, H hidden units, G gate blocks.

Each module wraps one of the step pairs in :mod:`minilstm.cells` (the same code
the time loop runs) and holds its parameters under PyTorch's cell keys:
``weight_ih`` (G*H, D), ``weight_hh`` (G*H, H), ``bias_ih`` and ``bias_hh``
(G*H,), plus ``weight_peep_{i,f,o}`` (H,) for the peephole LSTM::

    cell = minilstm.LSTMCell(3, 5, dtype="float64", seed=0)
    h, c = cell(x, (h, c))                  # x (B, D); h, c (B, H)
    dx, (dh_prev, dc_prev) = cell.backward(dh, dc)

A backward uses the last forward; the weight gradients land in ``cell.grads``.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .. import validate
from ..backend import check_dtype, get_backend, namespace, rng
from ..cells import GRUStep, RNNStep
from .module import Module
from .recurrent_params import (
    FIELD_KEYS,
    cell_params,
    cell_shapes,
    initial_cell_params,
    lstm_step,
    set_gate_bias,
    step_options,
)


class _StepCache(NamedTuple):
    x: Any         # (B, D) the step's input
    step: Any      # the step pair's own cache
    p: Any         # the CellParams it ran with


class Cell(Module):
    """One recurrent step with its weights (the shared base of the four cell modules).

    The arguments up to ``bias`` (``nonlinearity`` for the RNN cell) take PyTorch's places, as in
    ``torch.nn.LSTMCell(input_size, hidden_size, bias=True)``; minilstm's own options are keyword-only.

    Parameters
    ----------
    step : step pair
        An :class:`~minilstm.cells.RNNStep`, :class:`~minilstm.cells.LSTMStep` or
        :class:`~minilstm.cells.GRUStep`.
    input_size, hidden_size : int
        D and H.
    bias : bool, default True
    seed : int or numpy Generator, optional
    dtype : {"float32", "float64"}, default "float32"
    forget_bias : float, optional
        The forget gate's initial bias (cells with a forget gate only).
    """

    def __init__(self, step: Any, input_size: int, hidden_size: int, bias: bool = True, *,
                 seed: Any = None, dtype: str = "float32", forget_bias: float | None = None) -> None:
        self.cell = step
        self.input_size = validate.positive_int("input_size", input_size)
        self.hidden_size = validate.positive_int("hidden_size", hidden_size)
        self.bias = validate.boolean("bias", bias)
        self.dtype = check_dtype(dtype)
        self.training = True
        self._rng = rng(seed)
        fb = validate.in_dtype("forget_bias", 0.0 if forget_bias is None else forget_bias, self.dtype)
        shapes = Cell.param_shapes(step, self.input_size, self.hidden_size, self.bias)
        self._set_params(initial_cell_params(self._rng, step, shapes, fb))
        self._cache: _StepCache | None = None

    @classmethod
    def param_shapes(cls, step: Any, input_size: int, hidden_size: int, bias: bool = True, **options: Any) -> dict:
        """``{key: shape}`` as the constructor allocates it, from its arguments (each size checked as it checks
        it; nothing allocated): :func:`~minilstm.nn.recurrent_params.cell_shapes`, PyTorch's cell keys."""
        D = validate.positive_int("input_size", input_size)
        H = validate.positive_int("hidden_size", hidden_size)
        return cell_shapes(step, D, H, validate.boolean("bias", bias))

    def __repr__(self) -> str:
        options = (", bias=False" if not self.bias else "") + step_options(self.cell) \
            + (f", dtype={self.dtype!r}" if self.dtype != "float32" else "")
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size}{options})"

    def step_params(self) -> Any:
        """The :class:`~minilstm.cells.CellParams` the step pair runs with (live arrays)."""
        return cell_params(self.params, self.cell, self.hidden_size, self.dtype)

    def _state(self, state: Any, B: int, name: str) -> tuple:
        """A tuple of (B, H) arrays from the user's state (zeros where None)."""
        names, H, be = self.cell.state_names, self.hidden_size, get_backend()
        if state is None:
            state = (None,) * len(names)
        elif len(names) == 1:
            if isinstance(state, (tuple, list)):
                raise TypeError(f"{name} must be one array (B, H) for {type(self).__name__}, not a tuple")
            state = (state,)
        elif not isinstance(state, (tuple, list)) or len(state) != len(names):
            raise TypeError(f"{name} must be a tuple ({', '.join(names)}) of arrays (B, H) "
                            f"for {type(self).__name__}, got {type(state).__name__}")
        out = []
        for s, part in zip(names, state):
            label = f"{name} {s}" if len(names) > 1 else name
            if part is None:
                out.append(be.zeros((B, H), self.dtype))
                continue
            part = validate.float_array(label, part, self.dtype)
            validate.shape(label, part, (B, H), f"(batch={B}, hidden_size={H})")
            out.append(part)
        return tuple(out)

    def forward(self, x: Any, state: Any = None) -> Any:
        """One step.

        Parameters
        ----------
        x : (B, D) array
        state : optional
            ``h`` (B, H), or ``(h, c)`` for the LSTM cells; missing means zeros.

        Returns
        -------
        ``h`` (B, H), or ``(h, c)`` for the LSTM cells: the new state.
        """
        self._check_backend()
        x = validate.float_array("x", x, self.dtype)
        if x.ndim != 2 or x.shape[-1] != self.input_size:
            hint = " (add a batch axis of size 1)" if x.ndim == 1 else ""
            raise ValueError(f"x must be a batched 2-D array (batch, input_size={self.input_size}), "
                             f"got shape {tuple(x.shape)}{hint}")
        state = self._state(state, x.shape[0], "state")
        p = self.step_params()
        new, cache = self.cell.step_forward(x @ p.weight_ih.T + self.cell.input_bias(p), state, p)
        self._cache = _StepCache(x, cache, p)
        return new if len(new) > 1 else new[0]

    __call__ = forward

    def backward(self, dh: Any, dc: Any = None) -> tuple[Any, Any]:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        dh : (B, H) array
            Gradient of the loss with respect to the new ``h``.
        dc : (B, H) array, optional
            LSTM cells: gradient with respect to the new ``c`` (missing means zero).

        Returns
        -------
        dx : (B, D) array
        dstate : ``dh_prev``, or ``(dh_prev, dc_prev)`` for the LSTM cells
        """
        x, cache, p = self._require_forward()
        B = x.shape[0]
        if dc is not None and len(self.cell.state_names) == 1:
            raise TypeError(f"{type(self).__name__}.backward takes no dc: its state is h alone")
        dstate = self._state(dh if len(self.cell.state_names) == 1 else (dh, dc), B, "dstate")
        g = self.cell.step_backward(dstate, cache, p)
        one = _one_step  # the loop's param_grads take (T, ...) stacks: here T = 1
        grads = self.cell.param_grads(one(x), one(g.dxw), type(cache)(*map(one, cache)), p)
        self.grads = {FIELD_KEYS[f]: v for f, v in grads.items() if FIELD_KEYS[f] in self.params}
        dx = g.dxw @ p.weight_ih                 # xw = x W_ih^T + b
        return dx, (g.dstate if len(g.dstate) > 1 else g.dstate[0])


def _one_step(a: Any) -> Any:
    """``a`` with a time axis of length 1 in front (a cache's constant as it is)."""
    if not hasattr(a, "shape"):
        return a
    return namespace(a).reshape(a, (1,) + tuple(a.shape))


class RNNCell(Cell):
    """One Elman RNN step, ``h = phi(W_ih x + b_ih + W_hh h_prev + b_hh)``; like ``torch.nn.RNNCell``.

    ``nonlinearity`` is ``"tanh"`` (default) or ``"relu"``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 **options: Any) -> None:
        validate.choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(RNNStep(nonlinearity=nonlinearity), input_size, hidden_size, bias, **options)

    @classmethod
    def param_shapes(cls, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                     **options: Any) -> dict:
        """The shapes the constructor allocates: one gate block, see :meth:`Cell.param_shapes`."""
        validate.choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        return super().param_shapes(RNNStep(nonlinearity=nonlinearity), input_size, hidden_size, bias, **options)


class LSTMCell(Cell):
    """One LSTM step (gates i, f, g, o); like ``torch.nn.LSTMCell``.

    Takes the LSTM layer's ``forget_bias`` (default 1.0) and variant options
    (``input_gate``, ``forget_gate``, ``output_gate``, ``input_activation``,
    ``output_activation``, ``coupled``; see :mod:`minilstm.cells.lstm`), and
    ``peephole`` like the layer (``peephole=True`` is :class:`PeepholeLSTMCell`).
    """

    _peephole = False

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, forget_bias: float | None = None,
                 peephole: bool | None = None, seed: Any = None, dtype: str = "float32", **variant: Any) -> None:
        peephole = self._peephole if peephole is None else validate.boolean("peephole", peephole)
        step, forget_bias = lstm_step(peephole, forget_bias, **variant)
        super().__init__(step, input_size, hidden_size, bias, seed=seed, dtype=dtype, forget_bias=forget_bias)

    @classmethod
    def param_shapes(cls, input_size: int, hidden_size: int, bias: bool = True, *, forget_bias: float | None = None,
                     peephole: bool | None = None, seed: Any = None, dtype: str = "float32", **variant: Any) -> dict:
        """The shapes the constructor allocates: a block per gate the variant keeps (i, f, g, o at most) and,
        with peepholes, ``weight_peep_{i,f,o}`` (H,); see :meth:`Cell.param_shapes`."""
        peephole = cls._peephole if peephole is None else validate.boolean("peephole", peephole)
        step, _ = lstm_step(peephole, forget_bias, **variant)
        return super().param_shapes(step, input_size, hidden_size, bias)


class PeepholeLSTMCell(LSTMCell):
    """One peephole LSTM step (Gers & Schmidhuber 2000): i and f see c_prev, o sees c."""

    _peephole = True


class GRUCell(Cell):
    """One GRU step (gates r, z, n); like ``torch.nn.GRUCell``. ``reset_after=False`` is Cho et al. 2014;
    ``update_bias`` as :class:`minilstm.GRU` takes it."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, reset_after: bool = True,
                 update_bias: float = 0.0, **options: Any) -> None:
        super().__init__(GRUStep(reset_after=validate.boolean("reset_after", reset_after)),
                         input_size, hidden_size, bias, **options)
        set_gate_bias(self.params, self.cell, hidden_size, "z", "update_bias", update_bias, self.bias,
                      self.dtype)

    @classmethod
    def param_shapes(cls, input_size: int, hidden_size: int, bias: bool = True, *, reset_after: bool = True,
                     update_bias: float = 0.0, **options: Any) -> dict:
        """The shapes the constructor allocates: three gate blocks, see :meth:`Cell.param_shapes`."""
        step = GRUStep(reset_after=validate.boolean("reset_after", reset_after))
        return super().param_shapes(step, input_size, hidden_size, bias, **options)
