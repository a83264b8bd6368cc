"""Padded batches (``lengths``) and recurrent dropout in the recurrent layers."""
import numpy as np
import pytest
from conftest import BACKENDS, _backend_args

import minilstm
from minilstm.gradcheck import gradcheck

KINDS = [minilstm.RNN, minilstm.LSTM, minilstm.GRU, minilstm.PeepholeLSTM]


def _parts(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cls", KINDS)
def test_padded_batch_equals_each_sequence_alone(cls, bidirectional, backend, rng):
    """Each sequence of a padded batch gets the outputs, final state and gradients it
    gets alone at its true length; padded steps output zero and get zero gradient."""
    T, D, H, lengths = 6, 3, 4, [6, 2, 4]
    B = len(lengths)
    layer = cls(D, H, num_layers=2, bidirectional=bidirectional, seed=0, dtype="float64")
    x = rng.standard_normal((T, B, D))
    dout = rng.standard_normal((T, B, layer.num_directions * H))
    out, state = layer(x, lengths=np.array(lengths))
    dx, _ = layer.backward(dout)
    out, dx = minilstm.to_numpy(out), minilstm.to_numpy(dx)
    states = [minilstm.to_numpy(s) for s in _parts(state)]
    grads = {k: minilstm.to_numpy(v) for k, v in layer.grads.items()}

    summed = {k: np.zeros_like(v) for k, v in grads.items()}
    for b, n in enumerate(lengths):
        o, s = layer(x[:n, b:b + 1])
        d, _ = layer.backward(dout[:n, b:b + 1])
        np.testing.assert_allclose(out[:n, b:b + 1], minilstm.to_numpy(o), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(dx[:n, b:b + 1], minilstm.to_numpy(d), rtol=1e-12, atol=1e-13)
        for full, alone in zip(states, _parts(s)):
            np.testing.assert_allclose(full[:, b:b + 1], minilstm.to_numpy(alone), rtol=1e-12, atol=1e-13)
        assert np.all(out[n:, b] == 0) and np.all(dx[n:, b] == 0)
        for k in summed:
            summed[k] += minilstm.to_numpy(layer.grads[k])
    for k in grads:  # parameter gradients of a batch are the sums over its sequences
        np.testing.assert_allclose(grads[k], summed[k], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", KINDS)
def test_padded_values_do_not_matter(cls, rng):
    layer = cls(2, 3, seed=0, dtype="float64")
    x = rng.standard_normal((5, 2, 2))
    lengths = np.array([3, 5])
    out_a, _ = layer(x, lengths=lengths)
    x[3:, 0] = 1e6  # garbage on the padding of sequence 0
    out_b, _ = layer(x, lengths=lengths)
    np.testing.assert_array_equal(out_a, out_b)


@pytest.mark.parametrize("cls", KINDS)
def test_gradcheck_with_lengths_and_recurrent_dropout(cls, check_backend, rng):
    _gradcheck_padded(cls, rng)


@pytest.mark.skipif("strict" not in BACKENDS, reason="the strict stand-in is not among the test backends")
def test_gradcheck_with_lengths_and_recurrent_dropout_on_the_strict_stand_in(rng):
    """One cell on the stand-in (the others: test_padded_batch_equals_each_sequence_alone and
    test_properties.py's backend equality prove it computes what NumPy computes)."""
    with minilstm.backend_scope(*_backend_args("strict")):
        _gradcheck_padded(minilstm.LSTM, rng, entries=3)


def _gradcheck_padded(cls, rng, entries=6):
    layer = cls(3, 4, num_layers=2, dropout=0.2, recurrent_dropout=0.3, bidirectional=True,
                seed=0, dtype="float64")
    x = rng.standard_normal((5, 3, 3))

    class Padded:  # the layer with fixed lengths, as gradcheck calls forward(x)
        params, grads, dtype, generator = layer.params, None, layer.dtype, layer.generator

        def forward(self, x):
            return layer.forward(x, lengths=[5, 2, 4])

        def backward(self, dout, dstate):
            result = layer.backward(dout, dstate)
            Padded.grads = layer.grads
            return result

    report = gradcheck(Padded(), x, max_entries=entries)
    assert report.passed(1e-6), str(report)


def test_recurrent_dropout_masks_are_shared_across_time(rng):
    """One mask per sequence: a unit dropped at step 1 is dropped at every step."""
    layer = minilstm.RNN(1, 64, recurrent_dropout=0.5, seed=0, dtype="float64")
    layer.load_state_dict({"weight_ih_l0": np.zeros((64, 1)), "weight_hh_l0": np.eye(64),
                           "bias_ih_l0": np.ones(64), "bias_hh_l0": np.zeros(64)})
    out, _ = layer(np.zeros((4, 2, 1)))
    # h_t = tanh(1 + m * h_{t-1}): dropped units stay at tanh(1) for every t
    stuck = np.isclose(out[1:], np.tanh(1.0))
    assert np.all(stuck == stuck[0]) and 0 < stuck[0].mean() < 1
    layer.eval()
    out, _ = layer(np.zeros((4, 2, 1)))
    assert not np.any(np.isclose(out[1:], np.tanh(1.0)))


@pytest.mark.parametrize("lengths,match", [
    ([3, 0], r"lengths must be in \[1, T=3\], got values from 0"),
    ([3, 4], r"lengths must be in \[1, T=3\]"),
    ([3], r"lengths must have shape \(2,\)"),
    ([1.5, 2.0], "lengths must hold integers"),
])
def test_bad_lengths(lengths, match):
    layer = minilstm.GRU(2, 3)
    with pytest.raises((ValueError, TypeError), match=match):
        layer(np.zeros((3, 2, 2)), lengths=np.array(lengths))


def test_bad_recurrent_dropout():
    with pytest.raises(ValueError, match=r"recurrent_dropout must be in \[0, 1\), got 1.0"):
        minilstm.LSTM(2, 3, recurrent_dropout=1.0)


@pytest.mark.parametrize("poison", [np.nan, np.inf, -np.inf, 1e300])
@pytest.mark.parametrize("cls", KINDS)
def test_nan_and_inf_in_padding_never_reach_anything(cls, poison, backend, rng):
    """Padding is selected away, never multiplied by 0 (0 * nan is nan): outputs, final states and every
    gradient of the batch equal those of clean padding, whatever the padding holds (issue 11, finding 1)."""
    layer = cls(3, 4, num_layers=2, bidirectional=True, seed=0, dtype="float64")
    x = rng.standard_normal((5, 3, 3))
    dout = rng.standard_normal((5, 3, 8))
    lengths = np.array([5, 2, 4])
    results = []
    for fill in (0.0, poison):
        xx = x.copy()
        xx[2:, 1], xx[4:, 2] = fill, fill
        out, state = layer(xx, lengths=lengths)
        dx, _ = layer.backward(dout)
        results.append([out, *_parts(state), dx, *layer.grads.values()])
    for clean, poisoned in zip(*results):
        np.testing.assert_array_equal(minilstm.to_numpy(clean), minilstm.to_numpy(poisoned))


def test_a_float64_beyond_float32s_range_in_padding_casts_quietly(rng):
    """A float32 layer given 1e300 in a padded step: no overflow warning (pytest turns warnings into errors),
    and the real steps are those of zero padding."""
    x = rng.standard_normal((3, 2, 2))
    lengths = np.array([3, 2])
    layer = minilstm.GRU(2, 3, seed=0)
    ref, _ = layer(x, lengths=lengths)
    x[2:, 1] = 1e300
    out, _ = layer(x, lengths=lengths)
    assert np.array_equal(minilstm.to_numpy(out), minilstm.to_numpy(ref))
