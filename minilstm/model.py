"""A whole model: an optional Embedding, a recurrent stack of any cell, and a Linear head.

``Model`` is a builder: it makes the :class:`~minilstm.Sequential` that a user
could write by hand (``embedding``, ``rnn``, ``last`` = :class:`LastStep` for
readout "last" or ``mask`` = :class:`MaskPadding` for readout "all", and ``head``), so
there is one composition mechanism; its parameters keep the keys
``"rnn.weight_ih_l0"``, ``"head.weight"``, ... and its checkpoints its flat config.

Shape letters: N or B batch, T time steps, F input features, V vocabulary,
H hidden units, K directions (1 or 2), O outputs. Models take batch-first data
(``(B, T, F)`` floats, or ``(B, T)`` token ids with ``vocab_size``), as data
sets store it; the recurrent stack converts to time-major inside.

``model.head`` is always the Linear head (a module, as ``model.rnn`` is); what it reads
is the ``readout``:
- ``"last"`` (sequence to one): the top layer's final hidden state, both
  directions side by side. With ``lengths`` the state stops at each
  sequence's last valid step, so this is the last *valid* step's state.
- ``"all"`` (sequence to sequence): every step's output.

(Checkpoints written before the option was named ``readout`` hold ``"head": "last"``;
:func:`minilstm.load` reads them as ``readout``.)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import validate
from .backend import rng, to_numpy
from .nn.linear import Embedding, Linear
from .nn.readouts import LastStep, MaskPadding
from .nn.recurrent import GRU, LSTM, RNN, PeepholeLSTM
from .nn.sequential import Sequential

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "peephole": PeepholeLSTM}
READOUTS = ("last", "all")


class Model(Sequential):
    """Embedding (optional) -> recurrent stack -> Linear head.

    The three sizes are positional, every option after them keyword-only.

    Parameters
    ----------
    input_size : int
        F, the features per step; the embedding size when ``vocab_size`` is given.
    hidden_size : int
    output_size : int
        O, the head's outputs (classes for a classifier).
    cell : {"rnn", "lstm", "gru", "peephole"}, default "lstm"
    num_layers : int, default 1
    readout : {"last", "all"}, default "last"
        What the head reads: the last valid step (sequence to one), or every step.
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

    def __init__(self, input_size: int, hidden_size: int, output_size: int, *, cell: str = "lstm",
                 num_layers: int = 1, readout: str = "last", vocab_size: int | None = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, bidirectional: bool = False,
                 seed: Any = None, dtype: str = "float32", **cell_options: Any) -> None:
        self._config = dict(input_size=input_size, hidden_size=hidden_size, output_size=output_size,
                            cell=cell, num_layers=num_layers, readout=readout, vocab_size=vocab_size,
                            dropout=dropout, recurrent_dropout=recurrent_dropout,
                            bidirectional=bidirectional, dtype=dtype, **cell_options)
        parts = self._parts(**self._config, seed=seed)
        self.readout = readout  # checked by _parts
        modules = {name: part(**arguments) for name, (part, arguments) in parts.items()}
        super().__init__(**modules)
        self.embedding, self.rnn, self.head = modules.get("embedding"), modules["rnn"], modules["head"]
        self._rng = self.rnn.generator  # the only random draws after init: dropout masks

    @classmethod
    def param_shapes(cls, input_size: int, hidden_size: int, output_size: int, **options: Any) -> dict:
        """``{"<part>.<key>": shape}`` as the constructor allocates it: each part's own ``param_shapes``, given
        the arguments the constructor gives that part (each checked as it checks it; nothing allocated)."""
        parts = cls._parts(input_size, hidden_size, output_size, **options)
        return {f"{name}.{k}": shape for name, (part, arguments) in parts.items()
                for k, shape in part.param_shapes(**arguments).items()}

    @classmethod
    def _parts(cls, input_size: int, hidden_size: int, output_size: int, *, cell: str = "lstm",
               num_layers: int = 1, readout: str = "last", vocab_size: int | None = None, dropout: float = 0.0,
               recurrent_dropout: float = 0.0, bidirectional: bool = False, seed: Any = None,
               dtype: str = "float32", **cell_options: Any) -> dict:
        """``{name: (class, arguments)}`` of the modules a model of these arguments is made of, in order."""
        validate.choice("cell", cell, tuple(CELLS))
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("output_size", output_size), ("num_layers", num_layers)):
            validate.positive_int(name, size)  # here, so the message names this argument, not a part's
        if vocab_size is not None:
            validate.positive_int("vocab_size", vocab_size)
        validate.choice("readout", readout, READOUTS)
        if "batch_first" in cell_options:
            raise TypeError("Model got an unexpected keyword argument 'batch_first' (its recurrent layer is "
                            "always batch-first, as the data is)")
        K = 2 if validate.boolean("bidirectional", bidirectional) else 1
        seeds = [int(s) for s in rng(seed).integers(0, 2**63 - 1, size=3)]
        parts: dict = {}
        if vocab_size is not None:
            parts["embedding"] = (Embedding, dict(num_embeddings=vocab_size, embedding_dim=input_size,
                                                  seed=seeds[0], dtype=dtype))
        parts["rnn"] = (CELLS[cell], dict(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                                          batch_first=True, dropout=dropout, recurrent_dropout=recurrent_dropout,
                                          bidirectional=bidirectional, seed=seeds[1], dtype=dtype, **cell_options))
        if readout == "last":  # the last valid step's output, both directions
            parts["last"] = (LastStep, {})
        parts["head"] = (Linear, dict(in_features=K * hidden_size, out_features=output_size, seed=seeds[2],
                                      dtype=dtype))
        if readout == "all":  # padded steps output exactly 0 (not the head's bias), and pass no gradient
            parts["mask"] = (MaskPadding, {})
        return parts

    @property
    def config(self) -> dict:
        """The constructor's arguments (what a checkpoint rebuilds the model from)."""
        return self._config

    def __repr__(self) -> str:
        lines = [f"  ({name}): {part!r}" for name, part in self.modules.items()]
        return f"Model(readout={self.readout!r},\n" + "\n".join(lines) + f"\n)  # {self.num_params:,} parameters"

    def summary(self) -> str:
        """A table of the parts, their output shapes and parameter counts (as Keras's ``model.summary()``).

        B is the batch and T the time steps; print it to see it::

            print(model.summary())
        """
        K, H = self.rnn.num_directions, self.rnn.hidden_size
        out = "(B, T, {})" if self.readout == "all" else "(B, {})"
        rows = [("embedding (Embedding)", f"(B, T, {self.config['input_size']})", self.embedding)] \
            if self.embedding is not None else []
        rows += [(f"rnn ({type(self.rnn).__name__})", f"(B, T, {K * H})", self.rnn),
                 ("head (Linear)", out.format(self.config["output_size"]), self.head)]
        width = max(len(r[0]) for r in rows) + 2
        lines = [f"{'Layer (type)':<{width}}{'Output shape':<16}{'Param #':>10}", "=" * (width + 26)]
        lines += [f"{name:<{width}}{shape:<16}{part.num_params:>10,}" for name, shape, part in rows]
        lines += ["=" * (width + 26), f"Total params: {self.num_params:,}"]
        return "\n".join(lines)

    def step_fn(self) -> Any:
        """A function ``ids -> logits`` that feeds token ids and carries the state between calls.

        For :func:`minilstm.data.sample` (text generation with a temperature): it
        runs in evaluation mode, takes ``(P,)`` ids and returns the logits after the
        last one, ``(V,)``, on the host. Each call to ``step_fn()`` starts afresh.
        """
        if self.embedding is None or self.readout != "all":
            raise ValueError("step_fn needs a token model: vocab_size given and readout='all'")
        carried = {"state": None}

        def step(ids: Any) -> Any:
            self.eval()
            y, carried["state"] = self.forward(validate.integer_array("ids", ids)[None, :], carried["state"],
                                               return_state=True)
            return to_numpy(y)[0, -1]
        return step

    def forward(self, x: Any, state: Any = None, *, lengths: Any = None, return_state: bool = False) -> Any:
        """Predict from a batch: :meth:`Sequential.forward <minilstm.Sequential.forward>`, the same call
        and the same return, with a clearer error for a 2-D float ``x``.

        Parameters
        ----------
        x : (B, T, F) floats, or (B, T) token ids with ``vocab_size``
        state : optional
            Initial recurrent state (as the recurrent layer takes it), e.g. the
            final state of the previous chunk in truncated BPTT.
        lengths : (B,) ints, optional
            Valid steps of each sequence; later steps are padding.
        return_state : bool, default False
            Also return the recurrent layer's final state, as ``(y, state)``.

        Returns
        -------
        y : (B, O) for readout "last", (B, T, O) for readout "all" (zero on padded steps)
        state : the recurrent layer's final state, with ``return_state`` only
        """
        if self.embedding is None and len(shape := tuple(getattr(x, "shape", np.shape(x)))) == 2 and \
                (shape[-1] != self.config["input_size"] or self.config["input_size"] == 1):
            # (N, T) floats: the feature axis is missing (with F features last, the batch axis would be)
            raise ValueError(f"x must be (batch, time, features) floats, got a 2-D shape {shape}: add a feature "
                             "axis, x[..., None], for one feature per step (or make the model with vocab_size "
                             "for token ids)")
        return super().forward(x, state, lengths=lengths, return_state=return_state)

    __call__ = forward
