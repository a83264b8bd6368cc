"""Your step inside a real layer: :func:`plug` runs a layer on your step forward and/or step backward, so
``minilstm.gradcheck``, ``minilstm.train`` and everything else that takes a layer run on your code.

Shape letters: T time steps, B batch, D input features, H hidden units, G gate blocks.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..backend import concat, namespace
from ..cells import GRUStep, StepGrads
from ..cells.common import dropped, split_gates
from ..nn.recurrent_base import Recurrent
from ..nn.recurrent_cells import Cell


@dataclass(frozen=True)
class Yours:
    """A learner's function, shown by its name (a layer's repr then reads ``backward=my_step_backward``)."""

    fn: Any

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def __repr__(self) -> str:
        return getattr(self.fn, "__qualname__", type(self.fn).__name__)


@dataclass(frozen=True, eq=False)
class PluggedStep:
    """A step pair that calls your functions in place of the engine's (``engine``) where given.

    ``forward(xw, state, p) -> (state, cache)`` and ``backward(dstate, cache, p) -> (dxw, dhw,
    dstate_prev)`` have the signatures :mod:`minilstm.exercises.step` describes. The time loop hands a step
    forward its buffers (``out``): your results are copied into them. Its backward keeps one gradient
    array per step (``dxw``), from which the engine's ``param_grads`` makes ``dW_hh`` again; a plugged
    backward's own ``dhw`` must reach ``dW_hh`` instead (a wrong one has to show in a gradient check), so
    the plugged step holds the ``dhw`` of the steps not yet summed, in ``pending``, until ``param_grads``
    takes them: the time loop calls it after every chunk of steps, in order.
    """

    engine: Any
    forward: Any = None
    backward: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pending", [])

    # the engine's description of the cell, unchanged
    @property
    def gates(self) -> tuple:
        return self.engine.gates

    @property
    def state_names(self) -> tuple:
        return self.engine.state_names

    @property
    def kept(self) -> tuple:
        return self.engine.kept

    def input_bias(self, p: Any) -> Any:
        return self.engine.input_bias(p)

    def cache_of(self, prev: tuple, new: tuple, kept: tuple) -> Any:
        return self.engine.cache_of(prev, new, kept)

    def step_forward(self, xw: Any, state: tuple, p: Any, out: Any = None) -> tuple:
        """Your step forward (or the engine's), its results written into ``out``'s arrays when given."""
        self.pending.clear()  # a backward that stopped half way leaves nothing for the next one
        if self.forward is None:
            return self.engine.step_forward(xw, state, p) if out is None else \
                self.engine.step_forward(xw, state, p, out=out)
        new, cache = self.forward(xw, state, p)
        new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
        kept = tuple(getattr(cache, name) for name in self.engine.kept)
        if out is None:  # a one-step cell: the engine's cache type, which the engine's backward unpacks
            return new, self.engine.cache_of(tuple(state), new, kept)
        for name, value in zip(self.engine.state_names + tuple(self.engine.kept), new + kept):
            buffer = getattr(out, name)
            if tuple(value.shape) != tuple(buffer.shape):
                raise ValueError(f"your step forward's {name} has shape {tuple(value.shape)}, expected (B, H) = "
                                 f"{tuple(buffer.shape)}")
            buffer[...] = value
        return tuple(getattr(out, name) for name in self.engine.state_names), out

    def step_backward(self, dstate: tuple, cache: Any, p: Any, out: Any = None) -> StepGrads:
        """Your step backward (or the engine's); ``dxw`` into ``out`` when given, ``dhw`` kept for
        :meth:`param_grads`."""
        if self.backward is None:
            return self.engine.step_backward(dstate, cache, p, out=out)
        got = self.backward(dstate, cache, p)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise TypeError("your step backward must return three things, (dxw, dhw, dstate_prev), "
                            f"got {type(got).__name__}")
        dxw, dhw, ds = got
        ds = tuple(ds) if isinstance(ds, (tuple, list)) else (ds,)
        for name, a, like in (("dxw", dxw, out), ("dhw", dhw, out)):
            if like is not None and tuple(a.shape) != tuple(like.shape):
                raise ValueError(f"your step backward's {name} has shape {tuple(a.shape)}, expected (B, G*H) = "
                                 f"{tuple(like.shape)}")
        if out is not None:
            out[...] = dxw
            dxw = out
        self.pending.append(dhw)
        return StepGrads(dxw, dhw, ds)

    def param_grads(self, x: Any, dxw: Any, caches: Any, p: Any) -> dict:
        """The engine's parameter gradients, but ``weight_hh`` and ``bias_hh`` from your steps' ``dhw``."""
        grads = self.engine.param_grads(x, dxw, caches, p)
        if self.backward is None:
            return grads
        T = x.shape[0]
        if len(self.pending) < T:
            raise RuntimeError(f"the plugged step holds {len(self.pending)} steps' dhw for {T} steps")
        xp = namespace(dxw)
        dhw = xp.stack(self.pending[-T:][::-1])  # the loop went back in time: reverse into time order
        self.pending.clear()
        B, GH = dhw.shape[1], dhw.shape[2]
        h_in = dropped(caches.h_prev, p)  # what every block's product multiplies ...
        inputs = [h_in] * len(self.engine.gates)
        if isinstance(self.engine, GRUStep) and not self.engine.reset_after:
            inputs[2] = caches.rh        # ... but the n block of the GRU with reset_after=False: r * h_prev
        blocks = split_gates(xp.reshape(dhw, (T * B, GH)), len(inputs))
        grads["weight_hh"] = concat([d.T @ xp.reshape(a, (T * B, a.shape[-1])) for d, a in zip(blocks, inputs)],
                                    axis=0)
        grads["bias_hh"] = xp.sum(xp.reshape(dhw, (T * B, GH)), axis=0)
        return grads


def plug(layer: Any, forward: Any = None, backward: Any = None) -> Any:
    """A copy of ``layer`` that runs your step forward and/or step backward in place of the engine's.

    Parameters
    ----------
    layer : minilstm.RNN, LSTM, GRU, or RNNCell, LSTMCell, GRUCell
        Copied whole (weights included); ``layer`` itself is left as it is.
    forward : callable, optional
        ``forward(xw, state, p) -> (state, cache)``; the engine's step forward if None.
    backward : callable, optional
        ``backward(dstate, cache, p) -> (dxw, dhw, dstate_prev)``; the engine's if None.

    Your functions get what the engine's step pair gets: ``p.recurrent_mask`` is the recurrent-dropout mask
    when the layer has ``recurrent_dropout`` (multiply ``h_prev`` by it in the products, as the engine does),
    and None otherwise.

    Returns
    -------
    The copy, with the layer's whole interface: ``minilstm.gradcheck(plugged, x)`` checks your step
    through the layer's BPTT, ``minilstm.train`` trains on it. Saving it saves the weights only: it
    loads as the engine's layer.

    Examples
    --------
    >>> import numpy as np, minilstm
    >>> from minilstm.exercises import plug
    >>> def my_step_backward(dstate, cache, p):
    ...     (dh,) = dstate
    ...     da = dh * (1 - cache.h ** 2)
    ...     return da, da, (da @ p.weight_hh,)
    >>> rnn = plug(minilstm.RNN(3, 4, dtype="float64", seed=0), backward=my_step_backward)
    >>> x = np.random.default_rng(0).standard_normal((5, 2, 3))
    >>> minilstm.gradcheck(rnn, x).passed()
    True
    """
    if not isinstance(layer, (Recurrent, Cell)):
        raise TypeError(f"layer must be one of minilstm's recurrent layers or cells (RNN, LSTM, GRU, RNNCell, "
                        f"LSTMCell, GRUCell), got {type(layer).__name__}")
    for name, fn in (("forward", forward), ("backward", backward)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function (your step {name}) or None, got {type(fn).__name__}")
    engine = layer.cell.engine if isinstance(layer.cell, PluggedStep) else layer.cell
    plugged = copy.deepcopy(layer)
    plugged.cell = PluggedStep(engine, *(None if fn is None else Yours(fn) for fn in (forward, backward)))
    return plugged
