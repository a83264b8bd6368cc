"""Property tests (issue 11, finding 12): hypothesis draws layers and batches, and four properties hold for all.

Drawn (see :mod:`strategies`): the cell (RNN tanh and relu, LSTM, peephole LSTM,
GRU with the reset gate after or before the product, six of Greff et al.'s LSTM
variants), 1-2 layers, one or two directions, batch_first, with or without
biases, a random or zero initial state, T 1-20, B 1-6, D and H 1-10, a padded
batch's lengths with NaN, +-Inf, the largest float or random values in its padding (in the
input and in the upstream gradient), the seed of the weights and data.

1. The gradients are right: ``minilstm.gradcheck`` compares every parameter's,
   the input's and the initial state's analytic gradient with float64 central
   differences (one random entry of each array per example).
2. Step by step equals the whole sequence, forward and backward.
3. A padded batch equals each sequence alone at its true length, whatever the padding holds.
4. The stand-in backend (``array_api_strict``) equals NumPy.

The properties explore on NumPy, where an example costs milliseconds; the
stand-in runs each call ~25 times slower, so it is held to NumPy by property 4
and inherits the others from there.

Step and tolerance of the gradient check. ``gradcheck``'s fourth-order
difference has a truncation error of order ``eps**4`` and a rounding error of
order ``1e-16 S / eps``, where ``S`` is the size of the terms summed into the
checked scalar ``f`` (a weighted sum of the outputs); an entry's relative error
divides by at least ``1e-6 max(1, |f|)``. A wrong gradient is off by order 1.
Over 300 drawn examples of the smooth cells the worst error was 6.2e-7 at
``eps = 1e-4`` (rounding: a GRU with |f| = 0.3 drawn by the long profile even
reached 1.3e-6, and its error grew as eps shrank: 5e-6 at 3e-5, 1e-5 at 1e-5),
2.1e-7 at ``eps = 3e-4`` and 2.3e-6 at ``eps = 1e-3`` (truncation). So the
smooth cells take ``EPS = 3e-4`` and the bound ``TOL = 1e-6``.

A ReLU has a kink at 0: if a perturbation of ``+-2 eps`` carries any real
step's pre-activation across 0, the difference quotient mixes two slopes and
the check fails on a correct gradient. The test rebuilds a ReLU layer's
pre-activations in NumPy (checked against the layer's output) and, with
``hypothesis.assume``, redraws any example where one lies within
``KINK_MARGIN = 2e-3`` of 0 (a quarter of the ReLU examples the long profile
drew, mostly the larger ones). ReLU examples take a smaller step, ``RELU_EPS = 2e-5``, so the margin
is 50 times the largest step (a pre-activation moves by the step times its
sensitivity to the perturbed entry, which stays well below 50 for these O(1)
inputs and orthogonal or Glorot weights), and so a looser bound for rounding,
``RELU_TOL = 1e-5`` (a unit the ReLU switched off has a gradient of exactly 0:
its error is all rounding over the floor, 3.4e-6 at ``eps = 1e-5`` in the
smallest drawn example). Padded steps are selected away, so their
pre-activations have no kink to cross.

The default (``ci``) profile tries 30 examples for the gradient check and 20 for
each other property, the same ones every run (strategies.py); the file takes
about 17 s on NumPy and the stand-in (8 s of CPU time, on a shared 2-core
machine). ``python benchmarks/properties.py`` runs the ``long`` profile (20
times as many, fresh random ones; about 5 minutes).
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import BACKENDS, _backend_args, close
from hypothesis import assume, event, given
from strategies import CELLS, Case, cases, examples

import minilstm

EPS, TOL = 3e-4, 1e-6             # the gradient check's step and bound on the relative error
RELU_EPS, RELU_TOL = 2e-5, 1e-5   # a ReLU's smaller step, and the bound its rounding noise needs
KINK_MARGIN = 2e-3                # how near its kink a ReLU's pre-activation may lie


def record(case: Case) -> None:
    """Count the drawn options (pytest's ``--hypothesis-show-statistics`` lists them)."""
    event(f"cell={case.cell}")
    event(f"layers={case.num_layers} directions={case.K} padded={case.lengths is not None} pad={case.pad}")


def host(a) -> np.ndarray:
    return minilstm.to_numpy(a).astype(np.float64)


def parts(state) -> list:
    """A layer's state (one array, or a tuple of them) as a list of host arrays."""
    return [host(s) for s in (state if isinstance(state, tuple) else (state,))]


class WithLengths:
    """A layer with fixed ``lengths``, as :func:`minilstm.gradcheck` calls ``forward(x[, state])``."""

    def __init__(self, layer, lengths) -> None:
        self.layer, self.lengths = layer, lengths
        self.dtype, self.params = layer.dtype, layer.params

    @property
    def grads(self) -> dict:
        return self.layer.grads

    def forward(self, x, state=None):
        return self.layer.forward(x, state, lengths=self.lengths)

    def backward(self, dout, dstate=None):
        return self.layer.backward(dout, dstate)


def relu_margin(case: Case, layer, x: np.ndarray, state) -> tuple[float, np.ndarray]:
    """The smallest |pre-activation| of a ReLU RNN over the real steps, and its output (T, B, K*H).

    A from-scratch NumPy run of ``h = relu(W_ih x + b_ih + W_hh h_prev + b_hh)``;
    a padded step keeps the state and outputs zero, and the reverse direction
    reads time backwards from each sequence's last real step.
    """
    p = {k: host(v) for k, v in layer.params.items()}
    real = ~case.padding()[..., None]  # (T, B, 1)
    h0 = state[0] if state is not None else np.zeros((case.num_layers * case.K, case.B, case.H))
    layer_in, margin = np.where(real, x, 0.0), np.inf
    for n in range(case.num_layers):
        outs = []
        for d in range(case.K):
            sfx = f"_l{n}" + ("_reverse" if d else "")
            b = p.get("bias_ih" + sfx, 0.0) + p.get("bias_hh" + sfx, 0.0)
            h, hs = h0[n * case.K + d], np.zeros((case.T, case.B, case.H))
            for t in range(case.T - 1, -1, -1) if d else range(case.T):
                a = layer_in[t] @ p["weight_ih" + sfx].T + h @ p["weight_hh" + sfx].T + b
                margin = min(margin, np.min(np.abs(a[real[t, :, 0]]), initial=np.inf))
                h = np.where(real[t], np.maximum(a, 0.0), h)
                hs[t] = np.where(real[t], h, 0.0)
            outs.append(hs)
        layer_in = np.concatenate(outs, axis=-1)
    return margin, layer_in


@examples(3)
@given(case=cases())
def test_gradients_match_central_differences(case):
    record(case)
    layer, batch = case.layer(), case.data()
    inputs = (case.user(batch.x),) + (() if batch.state is None else (case.state_arg(batch.state),))
    eps, tol = EPS, TOL
    if case.cell == "rnn-relu":
        margin, out = relu_margin(case, layer, batch.x, batch.state)
        np.testing.assert_allclose(case.user(host(layer(*inputs, lengths=case.lengths)[0])), out,
                                   rtol=1e-12, atol=1e-12)  # the margin is measured on the layer's own numbers
        assume(margin > KINK_MARGIN)
        eps, tol = RELU_EPS, RELU_TOL
    report = minilstm.gradcheck(WithLengths(layer, case.lengths), *inputs, eps=eps, max_entries=1,
                                seed=case.seed)
    assert report.passed(tol), str(report)


def _step(case: Case, a, t: int):
    """Step ``t`` of a sequence in the layer's layout, kept as a sequence of one step."""
    return a[:, t:t + 1] if case.batch_first else a[t:t + 1]


@examples(2)
@given(case=cases(dtypes=("float32", "float64"), bidirectional=(False,), padded=(False,)))
def test_step_by_step_equals_whole_sequence(case):
    """One step at a time, carrying the state, equals one call on the sequence; backward runs the
    steps from the last, each taking the gradient of its final state from the step after it."""
    record(case)
    layer, (x, state, dout) = case.layer(), case.data()
    x, dout, state = case.user(x), case.user(dout), case.state_arg(state)
    out, state_n = layer(x, state)
    dx, dstate0 = layer.backward(dout)
    grads = {k: host(v) for k, v in layer.grads.items()}

    outs, states = [], [state]
    for t in range(case.T):
        o, s = layer(_step(case, x, t), states[-1])
        outs.append(host(o))
        states.append(s)
    assert close(np.concatenate(outs, axis=1 if case.batch_first else 0), out, case.dtype)
    for a, b in zip(parts(states[-1]), parts(state_n)):
        assert close(a, b, case.dtype)

    dstate, dxs, summed = None, [None] * case.T, {k: 0.0 for k in grads}
    for t in range(case.T - 1, -1, -1):
        layer(_step(case, x, t), states[t])
        d, dstate = layer.backward(_step(case, dout, t), dstate)
        dxs[t] = host(d)
        summed = {k: summed[k] + host(v) for k, v in layer.grads.items()}
    assert close(np.concatenate(dxs, axis=1 if case.batch_first else 0), dx, case.dtype)
    for a, b in zip(parts(dstate), parts(dstate0)):
        assert close(a, b, case.dtype)
    for k in grads:
        assert close(summed[k], grads[k], case.dtype), k


@examples(2)
@given(case=cases(dtypes=("float32", "float64"), padded=(True,)))
def test_padded_batch_equals_each_sequence_alone(case):
    """Each sequence of a padded batch gets the outputs, final state and gradients it gets alone at
    its true length; padded steps output zero and get zero gradient, and whatever the padding holds
    (NaN, Inf) reaches nothing: everything is finite."""
    record(case)
    layer, (x, state, dout) = case.layer(), case.data()
    out, state_n = layer(case.user(x), case.state_arg(state), lengths=np.array(case.lengths))
    dx, dstate0 = layer.backward(case.user(dout))
    out, dx, state_n, dstate0 = case.user(host(out)), case.user(host(dx)), parts(state_n), parts(dstate0)
    grads = {k: host(v) for k, v in layer.grads.items()}
    for a in [out, dx, *state_n, *dstate0, *grads.values()]:
        assert np.all(np.isfinite(a))
    pad = case.padding()
    assert np.all(out[pad] == 0) and np.all(dx[pad] == 0)

    summed = {k: 0.0 for k in grads}
    for b, n in enumerate(case.lengths):
        alone = None if state is None else tuple(s[:, b:b + 1] for s in state)
        o, s = layer(case.user(x[:n, b:b + 1]), case.state_arg(alone))
        d, ds = layer.backward(case.user(dout[:n, b:b + 1]))
        assert close(out[:n, b:b + 1], case.user(host(o)), case.dtype)
        assert close(dx[:n, b:b + 1], case.user(host(d)), case.dtype)
        for full, one in zip(state_n + dstate0, parts(s) + parts(ds)):
            assert close(full[:, b:b + 1], one, case.dtype)
        summed = {k: summed[k] + host(v) for k, v in layer.grads.items()}
    for k in grads:  # a batch's parameter gradients are the sums over its sequences
        assert close(summed[k], grads[k], case.dtype), k


@pytest.fixture(scope="module", params=[b for b in BACKENDS if b != "numpy"])
def other_backend(request):
    """The arguments of ``backend_scope`` for each test backend but NumPy (module scope: hypothesis
    reruns the test body for every example, so a function-scoped fixture would be stale)."""
    return _backend_args(request.param)


@examples(2)
@given(case=cases(dtypes=("float32", "float64")))
def test_backend_equals_numpy(other_backend, case):
    """The same seed and batch give the same outputs, states and gradients on every backend."""
    record(case)
    x, state, dout = case.data()
    results = []
    for scope in [minilstm.backend_scope("numpy"), minilstm.backend_scope(*other_backend)]:
        with scope:
            layer = case.layer()
            lengths = None if case.lengths is None else np.array(case.lengths)
            out, state_n = layer(case.user(x), case.state_arg(state), lengths=lengths)
            dx, dstate0 = layer.backward(case.user(dout))
            results.append([host(out), host(dx), *parts(state_n), *parts(dstate0),
                            *(host(v) for v in layer.grads.values())])
    for a, b in zip(*results, strict=True):
        assert close(a, b, case.dtype)


def test_every_cell_is_drawn():
    """The strategy covers every cell the layers build, each through its public constructor."""
    assert {"rnn-tanh", "rnn-relu", "lstm", "peephole", "gru", "gru-reset-before", "lstm-CIFG"} <= set(CELLS)
    for cls, options in CELLS.values():
        assert cls(2, 3, **options).hidden_size == 3
