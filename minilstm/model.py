"""A whole model: an optional Embedding, a recurrent stack of any cell, and a Linear head.

Shape letters: N or B batch, T time steps, F input features, V vocabulary,
H hidden units, K directions (1 or 2), O outputs. Models take batch-first data
(``(B, T, F)`` floats, or ``(B, T)`` token ids with ``vocab_size``), as data
sets store it; the recurrent stack converts to time-major inside.

Heads:
- ``"last"`` (sequence to one): the top layer's final hidden state, both
  directions side by side. With ``lengths`` the state stops at each
  sequence's last valid step, so this is the last *valid* step's state.
- ``"all"`` (sequence to sequence): every step's output.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import validate
from .backend import concat, get_backend, permute_dims, to_numpy
from .dense import Embedding, Linear
from .layers import GRU, LSTM, RNN, PeepholeLSTM

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "peephole": PeepholeLSTM}
HEADS = ("last", "all")


class Model:
    """Embedding (optional) -> recurrent stack -> Linear head.

    Parameters
    ----------
    input_size : int
        F, the features per step; the embedding size when ``vocab_size`` is given.
    hidden_size : int
    output_size : int
        O, the head's outputs (classes for a classifier).
    cell : {"rnn", "lstm", "gru", "peephole"}, default "lstm"
    num_layers : int, default 1
    head : {"last", "all"}, default "last"
    vocab_size : int, optional
        Take token ids and embed them first.
    dropout, recurrent_dropout : float in [0, 1), default 0
        Between stacked layers; on the recurrent input, one mask per sequence.
    bidirectional : bool, default False
    seed : int, optional
    dtype : {"float32", "float64"}
    **cell_options
        Passed to the recurrent layer (``nonlinearity``, ``reset_after``, ``forget_bias``).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, cell: str = "lstm",
                 num_layers: int = 1, head: str = "last", vocab_size: int | None = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, bidirectional: bool = False,
                 seed: Any = None, dtype: str = "float32", **cell_options: Any) -> None:
        validate.choice("cell", cell, tuple(CELLS))
        self.head_mode = validate.choice("head", head, HEADS)
        self.config = dict(input_size=input_size, hidden_size=hidden_size, output_size=output_size,
                           cell=cell, num_layers=num_layers, head=head, vocab_size=vocab_size,
                           dropout=dropout, recurrent_dropout=recurrent_dropout,
                           bidirectional=bidirectional, dtype=dtype, **cell_options)
        draw = np.random.default_rng(seed)
        seeds = draw.integers(0, 2**63 - 1, size=3)
        self.embedding = None
        if vocab_size is not None:
            self.embedding = Embedding(vocab_size, input_size, seed=int(seeds[0]), dtype=dtype)
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True, dropout=dropout,
                               recurrent_dropout=recurrent_dropout, bidirectional=bidirectional,
                               seed=int(seeds[1]), dtype=dtype, **cell_options)
        self.head = Linear(self.rnn.num_directions * hidden_size, output_size, seed=int(seeds[2]), dtype=dtype)
        self.dtype = self.rnn.dtype
        self._rng = self.rnn._rng  # the only random draws after init: dropout masks
        self._cache = None

    def __repr__(self) -> str:
        lines = [f"  ({name}): {part!r}" for name, part in self._parts()]
        return f"Model(head={self.head_mode!r},\n" + "\n".join(lines) + "\n)"

    @property
    def num_params(self) -> int:
        """The number of trainable numbers in every part."""
        return sum(part.num_params for _, part in self._parts())

    def summary(self) -> str:
        """A table of the parts, their output shapes and parameter counts (as Keras's ``model.summary()``).

        B is the batch and T the time steps; print it to see it::

            print(model.summary())
        """
        K, H = self.rnn.num_directions, self.rnn.hidden_size
        out = "(B, T, {})" if self.head_mode == "all" else "(B, {})"
        rows = [("embedding (Embedding)", f"(B, T, {self.config['input_size']})", self.embedding)] \
            if self.embedding is not None else []
        rows += [(f"rnn ({type(self.rnn).__name__})", f"(B, T, {K * H})", self.rnn),
                 ("head (Linear)", out.format(self.config["output_size"]), self.head)]
        width = max(len(r[0]) for r in rows) + 2
        lines = [f"{'Layer (type)':<{width}}{'Output shape':<16}{'Param #':>10}", "=" * (width + 26)]
        lines += [f"{name:<{width}}{shape:<16}{part.num_params:>10,}" for name, shape, part in rows]
        lines += ["=" * (width + 26), f"Total params: {self.num_params:,}"]
        return "\n".join(lines)

    # ----------------------------------------------------------------- parameters
    def _parts(self) -> list:
        parts = [("embedding", self.embedding)] if self.embedding is not None else []
        return parts + [("rnn", self.rnn), ("head", self.head)]

    @property
    def params(self) -> dict:
        """Every parameter, keyed ``"rnn.weight_ih_l0"``, ``"head.weight"``, ... (live arrays)."""
        return {f"{name}.{k}": v for name, part in self._parts() for k, v in part.params.items()}

    @property
    def grads(self) -> dict:
        """The last backward's gradients, keyed like :attr:`params`."""
        return {f"{name}.{k}": v for name, part in self._parts() for k, v in part.grads.items()}

    def state_dict(self) -> dict:
        """Host NumPy copies of :attr:`params`."""
        return {f"{name}.{k}": v for name, part in self._parts() for k, v in part.state_dict().items()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Copy parameters in place (so optimizers holding them see the new values).

        Raises ValueError naming missing and unexpected keys, or a wrong shape.
        """
        params = self.params
        validate.keys("state_dict", state_dict, params, "this model")
        for k, v in state_dict.items():
            v = validate.float_array(f"state_dict[{k!r}]", v, self.dtype)
            validate.shape(f"state_dict[{k!r}]", v, tuple(params[k].shape), "")
        for k, v in state_dict.items():
            params[k][...] = validate.float_array(k, v, self.dtype)

    def train(self, mode: bool = True) -> Model:
        """Training mode (dropout on) or, with ``mode=False``, evaluation mode."""
        self.rnn.train(mode)
        return self

    def eval(self) -> Model:
        """Evaluation mode: dropout off."""
        return self.train(False)

    @property
    def training(self) -> bool:
        return self.rnn.training

    def save(self, path: str, optimizer: Any = None, **training_state: Any) -> str:
        """Write a checkpoint (see :mod:`minilstm.checkpoint`); ``minilstm.load(path)`` reads it."""
        from .checkpoint import save
        return save(self, path, optimizer, **training_state)

    def step_fn(self) -> Any:
        """A function ``ids -> logits`` that feeds token ids and carries the state between calls.

        For :func:`minilstm.data.sample` (text generation with a temperature): it
        runs in evaluation mode, takes ``(P,)`` ids and returns the logits after the
        last one, ``(V,)``, on the host. Each call to ``step_fn()`` starts afresh.
        """
        if self.embedding is None or self.head_mode != "all":
            raise ValueError("step_fn needs a token model: vocab_size given and head='all'")
        carried = {"state": None}

        def step(ids: Any) -> Any:
            self.eval()
            y, carried["state"] = self.forward(validate.integer_array("ids", ids)[None, :], state=carried["state"])
            return to_numpy(y)[0, -1]
        return step

    # ----------------------------------------------------------------- forward / backward
    def forward(self, x: Any, lengths: Any = None, state: Any = None) -> tuple[Any, Any]:
        """Predict from a batch.

        Parameters
        ----------
        x : (B, T, F) floats, or (B, T) token ids with ``vocab_size``
        lengths : (B,) ints, optional
            Valid steps of each sequence; later steps are padding.
        state : optional
            Initial recurrent state (as the recurrent layer takes it), e.g. the
            final state of the previous chunk in truncated BPTT.

        Returns
        -------
        y : (B, O) for head "last", (B, T, O) for head "all" (zero on padded steps)
        state : the recurrent layer's final state
        """
        if self.embedding is not None:
            x = self.embedding(x)
        elif len(shape := tuple(getattr(x, "shape", np.shape(x)))) == 2 and \
                (shape[-1] != self.config["input_size"] or self.config["input_size"] == 1):
            # (N, T) floats: the feature axis is missing (with F features last, the batch axis would be)
            raise ValueError(f"x must be (batch, time, features) floats, got a 2-D shape {shape}: add a feature "
                             "axis, x[..., None], for one feature per step (or make the model with vocab_size "
                             "for token ids)")
        out, state = self.rnn(x, state, lengths=lengths)
        if self.head_mode == "last":
            xp = get_backend().xp
            h_n = state[0] if isinstance(state, tuple) else state
            K = self.rnn.num_directions
            feats = concat([h_n[h_n.shape[0] - K + d, ...] for d in range(K)], axis=-1) if K > 1 \
                else h_n[h_n.shape[0] - 1, ...]
            self._cache = (xp.zeros_like(out), tuple(h_n.shape))
            return self.head(feats), state
        y = self.head(out)
        # padded steps output zero (not the head's bias), and so pass no gradient back
        self._cache = None if lengths is None else self.rnn._length_mask(lengths, y.shape[1], y.shape[0])
        if self._cache is not None:
            y = y * permute_dims(self._cache, (1, 0, 2))
        return y, state

    __call__ = forward

    def backward(self, dy: Any) -> Any:
        """Backpropagate ``dy`` (shaped like ``y``) through the model; fills :attr:`grads`.

        Returns
        -------
        dx : (B, T, F) array shaped like ``x``, or None with ``vocab_size`` (token ids have no gradient)
        """
        if self.head_mode == "all" and self._cache is not None:
            dy = dy * permute_dims(self._cache, (1, 0, 2))
        dfeats = self.head.backward(dy)
        if self.head_mode == "last":
            if self._cache is None:
                raise RuntimeError("Model.backward() called before forward()")
            zeros_out, shape = self._cache
            be, K, H = get_backend(), self.rnn.num_directions, self.rnn.hidden_size
            dh_n = be.zeros(shape, self.dtype)
            for d in range(K):  # only the top layer's final state fed the head
                dh_n[shape[0] - K + d, ...] = dfeats[..., d * H:(d + 1) * H]
            dstate = (dh_n, None) if len(self.rnn.cell.state_names) == 2 else dh_n
            dx, _ = self.rnn.backward(zeros_out, dstate)
        else:
            dx, _ = self.rnn.backward(dfeats)
        if self.embedding is not None:
            return self.embedding.backward(dx)
        return dx
