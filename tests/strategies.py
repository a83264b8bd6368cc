"""Hypothesis strategies for the property tests of the recurrent layers, and their profiles.

A drawn :class:`Case` is one layer and one batch: the cell and its options, the
shapes, a padded batch's lengths and what its padding holds, and the seed of the
weights and the data. The arrays come from that seed (a NumPy generator), not
from hypothesis: hypothesis shrinks the choices that explain a failure (the
cell, the options, the shapes, the lengths), and the seed makes it repeatable.

A drawn :class:`Stack` is one Sequential of nn layers and a padded batch, for the
property tests of tests/nn/test_properties_nn.py, drawn the same way.

Profiles, chosen by the environment variable ``MINILSTM_HYPOTHESIS_PROFILE``:

``ci`` (the default)
    A few examples per property (each property's count is a multiple of
    ``max_examples``, see :func:`examples`), derandomized so that every run tries
    the same examples and CI cannot flake; no deadline, since the machine may be
    shared; no example database, so nothing is written under ``.hypothesis/``.
``long``
    Twenty times as many examples, fresh random ones on every run (pytest's
    ``--hypothesis-seed=N`` replays a run); ``benchmarks/properties.py`` runs it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import minilstm
from minilstm.cells import VARIANTS

PROFILE_ENV = "MINILSTM_HYPOTHESIS_PROFILE"
_COMMON = {"deadline": None, "database": None, "print_blob": True,
           # a drawn case is a layer and a batch, built from a few integers: never too large or slow to draw
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=10, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=200, **_COMMON)
settings.load_profile(os.environ.get(PROFILE_ENV, "ci"))


def examples(weight: float) -> settings:
    """The loaded profile's settings with ``weight`` times its ``max_examples`` (at least 1)."""
    return settings(max_examples=max(1, round(weight * settings.default.max_examples)))


# Every cell the layers build. Of Greff et al.'s LSTM variants, V is the peephole LSTM and NP the LSTM.
CELLS = {
    "rnn-tanh": (minilstm.RNN, {}),
    "rnn-relu": (minilstm.RNN, {"nonlinearity": "relu"}),
    "lstm": (minilstm.LSTM, {}),
    "peephole": (minilstm.PeepholeLSTM, {}),
    "gru": (minilstm.GRU, {}),
    "gru-reset-before": (minilstm.GRU, {"reset_after": False}),
    **{f"lstm-{name}": (minilstm.LSTM, options) for name, options in VARIANTS.items() if name not in ("V", "NP")},
}

# What a padded batch's padding holds: standard normal values, or values that poison anything they reach
# ("huge" is the dtype's largest finite number: a float64 1e300 would overflow, with a warning, in the cast
# to a float32 layer before the layer knows which steps are padding)
PADDING = ("normal", "nan", "inf", "-inf", "huge")


class Batch(NamedTuple):
    """Host float64 arrays of one drawn batch, time-major; :meth:`Case.user` gives the layer's layout."""

    x: np.ndarray         # (T, B, D), the padding filled as Case.pad says
    state: tuple | None   # one (L*K, B, H) array per state part (h, or h and c); None: zeros
    dout: np.ndarray      # (T, B, K*H) upstream gradient, the padding filled as Case.pad says


@dataclass(frozen=True)
class Case:
    """One drawn layer and batch."""

    cell: str            # a key of CELLS
    T: int
    B: int
    D: int
    H: int
    num_layers: int
    bidirectional: bool
    batch_first: bool
    bias: bool
    given_state: bool    # a random initial state, or None (zeros)
    lengths: tuple | None  # (B,) valid steps of each sequence, in [1, T]; None: no padding
    pad: str             # what the padded steps of x and dout hold, one of PADDING
    dtype: str
    seed: int

    @property
    def K(self) -> int:
        return 2 if self.bidirectional else 1

    def layer(self) -> minilstm.nn.recurrent_base.Recurrent:
        """The layer, its weights drawn from the seed."""
        cls, options = CELLS[self.cell]
        return cls(self.D, self.H, num_layers=self.num_layers, bidirectional=self.bidirectional,
                   batch_first=self.batch_first, bias=self.bias, seed=self.seed, dtype=self.dtype, **options)

    def padding(self) -> np.ndarray:
        """A (T, B) boolean mask, True on the padded steps."""
        if self.lengths is None:
            return np.zeros((self.T, self.B), bool)
        return np.arange(self.T)[:, None] >= np.asarray(self.lengths)[None, :]

    def data(self) -> Batch:
        """The batch, drawn from the seed (one seed past the weights')."""
        rng = np.random.default_rng(self.seed + 1)
        x = rng.standard_normal((self.T, self.B, self.D))
        dout = rng.standard_normal((self.T, self.B, self.K * self.H))
        state = None
        if self.given_state:
            parts = 2 if issubclass(CELLS[self.cell][0], minilstm.LSTM) else 1  # (h, c) or h
            state = tuple(rng.standard_normal((self.num_layers * self.K, self.B, self.H)) for _ in range(parts))
        if self.pad != "normal":
            fill = np.finfo(self.dtype).max if self.pad == "huge" else float(self.pad)
            x[self.padding()], dout[self.padding()] = fill, fill
        return Batch(x, state, dout)

    def user(self, a: np.ndarray) -> np.ndarray:
        """A time-major (T, B, F) array in the layer's layout, or the layer's output back to time-major."""
        return np.swapaxes(a, 0, 1) if self.batch_first else a

    def state_arg(self, state: tuple | None):
        """``state`` as the layer takes it: one array (RNN, GRU), a tuple (LSTM), or None."""
        if state is None:
            return None
        return state if len(state) > 1 else state[0]


@st.composite
def cases(draw, *, dtypes: tuple = ("float64",), bidirectional: tuple = (False, True),
          padded: tuple = (False, True), cells: tuple = tuple(CELLS)) -> Case:
    """A :class:`Case`: T 1-20, B 1-6, D and H 1-10, 1-2 layers, any cell; the tuples say which options to draw."""
    T, B = draw(st.integers(1, 20)), draw(st.integers(1, 6))
    lengths = None
    if draw(st.sampled_from(padded)):
        lengths = tuple(draw(st.lists(st.integers(1, T), min_size=B, max_size=B)))
    return Case(
        cell=draw(st.sampled_from(cells)), T=T, B=B, D=draw(st.integers(1, 10)), H=draw(st.integers(1, 10)),
        num_layers=draw(st.integers(1, 2)), bidirectional=draw(st.sampled_from(bidirectional)),
        batch_first=draw(st.booleans()), bias=draw(st.sampled_from((True, False))),
        given_state=draw(st.booleans()), lengths=lengths, pad=draw(st.sampled_from(PADDING)),
        dtype=draw(st.sampled_from(dtypes)), seed=draw(st.integers(0, 2**16)))


# ---------------------------------------------------------------------- Sequentials of the nn layers
# The layers a drawn Sequential is made of, each from (features in, what the draw chose) to a module and the
# features out: per-step layers and recurrent ones keep a (B, T, F) sequence, a readout turns it into (B, F).
RECURRENT = {"rnn": minilstm.RNN, "lstm": minilstm.LSTM, "gru": minilstm.GRU, "peephole": minilstm.PeepholeLSTM}
READOUTS = ("none", "last", "mean", "attention-dot", "attention-additive")


@dataclass(frozen=True)
class Stack:
    """One drawn Sequential and a padded batch for it: ``layers`` in order, then a readout and a Linear head."""

    D: int
    layers: tuple        # ("rnn"|"lstm"|"gru"|"peephole", H, bidirectional) or ("linear", F) or ("tanh",) ...
    readout: str         # one of READOUTS
    head: int            # out_features of the Linear head; 0: none
    T: int
    B: int
    lengths: tuple       # (B,) valid steps, in [1, T]
    seed: int

    def sequential(self, dtype: str = "float64") -> minilstm.Sequential:
        """The Sequential, float64 by default, its weights drawn from the seed (one per module)."""
        modules, F = [], self.D
        for i, (kind, *args) in enumerate(self.layers):
            seed = self.seed + i
            if kind in RECURRENT:
                H, both = args
                modules.append(RECURRENT[kind](F, H, batch_first=True, bidirectional=both, seed=seed, dtype=dtype))
                F = H * (2 if both else 1)
            elif kind == "linear":
                modules.append(minilstm.Linear(F, args[0], seed=seed, dtype=dtype))
                F = args[0]
            elif kind == "tanh":
                modules.append(minilstm.Tanh())
            else:  # "mask": zero the padded steps
                modules.append(minilstm.MaskPadding())
        if self.readout == "last":
            modules.append(minilstm.LastStep())
        elif self.readout == "mean":
            modules.append(minilstm.MeanOverTime())
        elif self.readout.startswith("attention"):
            modules.append(minilstm.AttentionPool(F, kind=self.readout.split("-")[1], seed=self.seed + 99,
                                                  dtype=dtype))
        if self.head:
            modules.append(minilstm.Linear(F, self.head, seed=self.seed + 100, dtype=dtype))
        return minilstm.Sequential(*modules)

    def x(self) -> np.ndarray:
        """(B, T, D) standard normal inputs, drawn from the seed."""
        return np.random.default_rng(self.seed + 1000).standard_normal((self.B, self.T, self.D))


@st.composite
def stacks(draw, *, padded: bool = True) -> Stack:
    """A :class:`Stack`: 1-3 layers (at least one recurrent), D and sizes 1-6, T 1-8, B 1-4."""
    sizes = st.integers(1, 6)
    layer = st.one_of(st.tuples(st.sampled_from(tuple(RECURRENT)), sizes, st.booleans()),
                      st.tuples(st.just("linear"), sizes), st.tuples(st.sampled_from(("tanh", "mask"))))
    layers = draw(st.lists(layer, min_size=1, max_size=3))
    if not any(kind in RECURRENT for kind, *_ in layers):
        layers.insert(draw(st.integers(0, len(layers))), (draw(st.sampled_from(tuple(RECURRENT))), draw(sizes),
                                                          draw(st.booleans())))
    T, B = draw(st.integers(1, 8)), draw(st.integers(1, 4))
    lengths = tuple(draw(st.lists(st.integers(1, T), min_size=B, max_size=B))) if padded else (T,) * B
    return Stack(D=draw(sizes), layers=tuple(layers), readout=draw(st.sampled_from(READOUTS)),
                 head=draw(st.sampled_from((0, 1, 3))), T=T, B=B, lengths=lengths, seed=draw(st.integers(0, 2**16)))
