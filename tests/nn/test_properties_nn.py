"""Property tests of the nn layers composed (issue 21): hypothesis draws a Sequential of random layers and a
padded batch (see :func:`strategies.stacks`), and three properties hold for all.

Drawn: 1-3 layers, at least one recurrent (RNN, LSTM, GRU, peephole LSTM, each one- or two-way, batch-first),
the others a Linear, a Tanh or a MaskPadding; then no readout (per-step outputs), LastStep, MeanOverTime or an
AttentionPool (dot or additive), and a Linear head or none; D and every size 1-6, T 1-8, B 1-4, the lengths.

1. The gradients are right: ``minilstm.gradcheck`` of the whole Sequential, on a padded batch, every
   parameter and the input (one random entry of each), at the recurrent property tests' step and bound
   (``EPS = 3e-4``, ``TOL = 1e-6``: see tests/test_properties.py; no layer here has a kink).
2. It survives a save/load round trip: the same class of every module, the same weights, bit for bit the
   same outputs.
3. It is invariant to padding: each sequence of a padded batch, whose padding holds nan, gets the outputs
   (on its real steps), the input gradient and the share of the parameter gradients it gets alone at its
   true length; nothing the padding holds reaches them.

The default (``ci``) profile tries 10 examples of each (strategies.py), a few seconds in all.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np
from hypothesis import event, given
from strategies import Stack, examples, stacks

import minilstm

EPS, TOL = 3e-4, 1e-6


def _record(stack: Stack) -> None:
    event(f"readout={stack.readout}")
    event(f"layers={'-'.join(kind for kind, *_ in stack.layers)}")


def _host(a) -> np.ndarray:
    return minilstm.to_numpy(a).astype(np.float64)


@examples(1)
@given(stack=stacks())
def test_a_sequential_of_random_layers_passes_gradcheck(stack):
    _record(stack)
    report = minilstm.gradcheck(stack.sequential(), stack.x(), lengths=np.array(stack.lengths), eps=EPS,
                                max_entries=1, seed=stack.seed)
    assert report.passed(TOL), str(report)


@examples(1)
@given(stack=stacks())
def test_a_sequential_of_random_layers_survives_save_and_load(stack):
    _record(stack)
    model, x, lengths = stack.sequential(), stack.x(), np.array(stack.lengths)
    with tempfile.TemporaryDirectory() as folder:  # not tmp_path: hypothesis runs many examples per test
        back = minilstm.load(model.save(os.path.join(folder, "model.npz")))
    assert [type(m) for m in back.modules.values()] == [type(m) for m in model.modules.values()]
    assert repr(back) == repr(model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(_host(back.state_dict()[k]), _host(v))
    np.testing.assert_array_equal(_host(back(x, lengths=lengths)), _host(model(x, lengths=lengths)))


@examples(1)
@given(stack=stacks())
def test_a_sequential_of_random_layers_is_invariant_to_padding(stack):
    _record(stack)
    model, x, lengths = stack.sequential(), stack.x(), np.array(stack.lengths)
    per_step = stack.readout == "none"
    x[np.arange(stack.T)[None, :] >= lengths[:, None]] = np.nan  # the padding: it must reach nothing real
    y = _host(model(x, lengths=lengths))
    dy = np.random.default_rng(stack.seed + 2000).standard_normal(y.shape)
    if per_step:
        dy[np.arange(stack.T)[None, :] >= lengths[:, None]] = 0.0  # padded steps are not scored
    dx = _host(model.backward(dy))
    grads = {k: _host(g) for k, g in model.grads.items()}
    summed = {k: np.zeros_like(g) for k, g in grads.items()}
    for b, n in enumerate(stack.lengths):
        alone = model(x[b:b + 1, :n])
        one_dy = dy[b:b + 1, :n] if per_step else dy[b:b + 1]
        np.testing.assert_allclose(_host(alone), y[b:b + 1, :n] if per_step else y[b:b + 1], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(_host(model.backward(one_dy)), dx[b:b + 1, :n], rtol=1e-10, atol=1e-12)
        assert np.all(dx[b, n:] == 0)  # a padded step gets no gradient
        for k, g in model.grads.items():
            summed[k] += _host(g)
    for k, g in grads.items():
        np.testing.assert_allclose(g, summed[k], rtol=1e-9, atol=1e-12, err_msg=k)
