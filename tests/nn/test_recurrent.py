"""Equivalences of the recurrent layers: the same maths reached by different routes."""
import math
import re

import numpy as np
import pytest
from conftest import close

import minilstm

KINDS = [minilstm.RNN, minilstm.LSTM, minilstm.GRU, minilstm.PeepholeLSTM]


def _pack(parts):
    return tuple(parts) if len(parts) > 1 else parts[0]


def _parts(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("cls", KINDS)
def test_step_by_step_equals_whole_sequence(cls, backend, dtype, rng):
    """Feeding one step at a time, carrying the state, equals one call on the sequence,
    forward and backward (the upstream gradient of each piece's final state is the
    gradient flowing back from the next piece)."""
    T, B, D, H = 5, 2, 3, 4
    layer = cls(D, H, num_layers=2, seed=0, dtype=dtype)
    x = rng.standard_normal((T, B, D))
    dout = rng.standard_normal((T, B, H))
    out, state = layer(x)
    dx, _ = layer.backward(dout)

    outs, states = [], [None]
    for t in range(T):
        o, s = layer(x[t:t + 1], states[-1])
        outs.append(minilstm.to_numpy(o))
        states.append(s)
    np.testing.assert_allclose(np.concatenate(outs), minilstm.to_numpy(out), rtol=0, atol=1e-6)
    for a, b in zip(_parts(states[-1]), _parts(state)):
        assert close(a, b, dtype)

    dstate, dxs = None, [None] * T
    for t in range(T - 1, -1, -1):
        layer(x[t:t + 1], states[t])
        dxs[t], dstate = layer.backward(dout[t:t + 1], dstate)
    assert close(np.concatenate([minilstm.to_numpy(d) for d in dxs]), dx, dtype)


def test_zero_peepholes_equal_the_lstm(backend, rng):
    x = rng.standard_normal((6, 3, 2))
    lstm = minilstm.LSTM(2, 5, num_layers=2, bidirectional=True, seed=3, dtype="float64")
    peep = minilstm.PeepholeLSTM(2, 5, num_layers=2, bidirectional=True, seed=3, dtype="float64")
    sd = lstm.state_dict()
    sd.update({k: np.zeros(v.shape) for k, v in peep.state_dict().items() if "peep" in k})
    peep.load_state_dict(sd)
    (out_a, (h_a, c_a)), (out_b, (h_b, c_b)) = lstm(x), peep(x)
    for a, b in [(out_a, out_b), (h_a, h_b), (c_a, c_b)]:
        np.testing.assert_array_equal(minilstm.to_numpy(a), minilstm.to_numpy(b))
    dout = rng.standard_normal(tuple(out_a.shape))
    dx_a, _ = lstm.backward(dout)
    dx_b, _ = peep.backward(dout)
    np.testing.assert_array_equal(minilstm.to_numpy(dx_a), minilstm.to_numpy(dx_b))
    for k in lstm.grads:
        np.testing.assert_array_equal(minilstm.to_numpy(lstm.grads[k]), minilstm.to_numpy(peep.grads[k]))


@pytest.mark.parametrize("cls", KINDS)
def test_batch_first_is_a_transpose(cls, rng):
    x = rng.standard_normal((4, 2, 3))
    tm = cls(3, 4, bidirectional=True, seed=1, dtype="float64")
    bf = cls(3, 4, bidirectional=True, seed=1, dtype="float64", batch_first=True)
    out_tm, _ = tm(x)
    out_bf, _ = bf(np.swapaxes(x, 0, 1))
    np.testing.assert_array_equal(np.swapaxes(out_bf, 0, 1), out_tm)
    dout = rng.standard_normal(out_tm.shape)
    dx_tm, _ = tm.backward(dout)
    dx_bf, _ = bf.backward(np.swapaxes(dout, 0, 1))
    np.testing.assert_array_equal(np.swapaxes(dx_bf, 0, 1), dx_tm)


@pytest.mark.parametrize("cls", KINDS)
def test_backend_equals_numpy(cls, backend, rng):
    """The same seed and data give the same numbers on every backend."""
    x = rng.standard_normal((5, 2, 3))
    dout = rng.standard_normal((5, 2, 8))
    results = []
    for scope in [minilstm.backend_scope("numpy"), minilstm.backend_scope(backend)]:
        with scope as be:
            layer = cls(3, 4, num_layers=2, bidirectional=True, seed=7, dtype="float64")
            out, state = layer(x)
            dx, dstate = layer.backward(be.asarray(dout, "float64"))
            results.append([out, dx, *_parts(state), *_parts(dstate), *layer.grads.values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(minilstm.to_numpy(a), minilstm.to_numpy(b), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", KINDS)
def test_dtype_is_kept(cls, backend, dtype, rng):
    layer = cls(3, 4, seed=0, dtype=dtype)
    out, state = layer(rng.standard_normal((3, 2, 3)))
    dx, dstate = layer.backward(minilstm.to_numpy(out))
    want = getattr(backend.xp, dtype)
    for a in [out, dx, *_parts(state), *_parts(dstate), *layer.params.values(), *layer.grads.values()]:
        assert a.dtype == want


def test_dropout_only_in_training(rng):
    x = rng.standard_normal((4, 8, 3))
    layer = minilstm.LSTM(3, 16, num_layers=2, dropout=0.5, seed=0, dtype="float64")
    a, _ = layer(x)
    b, _ = layer(x)
    assert not np.allclose(a, b), "training mode draws a new mask each forward"
    layer.eval()
    c, _ = layer(x)
    d, _ = layer(x)
    np.testing.assert_array_equal(c, d)
    no_dropout = minilstm.LSTM(3, 16, num_layers=2, seed=0, dtype="float64")
    np.testing.assert_array_equal(no_dropout(x)[0], c)
    assert layer.train().training


def test_same_seed_same_weights_and_forget_bias():
    a = minilstm.LSTM(3, 4, seed=11).state_dict()
    b = minilstm.LSTM(3, 4, seed=11).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["weight_ih_l0"], minilstm.LSTM(3, 4, seed=12).state_dict()["weight_ih_l0"])
    bias = a["bias_ih_l0"] + a["bias_hh_l0"]
    np.testing.assert_array_equal(bias[4:8], np.ones(4))  # gate order i, f, g, o
    np.testing.assert_array_equal(np.delete(bias, np.s_[4:8]), np.zeros(12))
    zero = minilstm.LSTM(3, 4, forget_bias=0.0, seed=11).state_dict()
    np.testing.assert_array_equal(zero["bias_ih_l0"], np.zeros(16))


@pytest.mark.parametrize("make, name, value", [
    (lambda v: minilstm.LSTM(3, 4, forget_bias=v), "forget_bias", 1e308),
    (lambda v: minilstm.LSTM(3, 4, forget_bias=v, peephole=True), "forget_bias", -1e39),
    (lambda v: minilstm.LSTMCell(3, 4, forget_bias=v), "forget_bias", 1e39),
    (lambda v: minilstm.GRU(3, 4, update_bias=v), "update_bias", 1e39),
    (lambda v: minilstm.GRUCell(3, 4, update_bias=v), "update_bias", -1e300),
    (lambda v: minilstm.Model(1, 4, 1, forget_bias=v), "forget_bias", 1e300),
])
def test_an_init_value_that_would_be_inf_in_the_dtype_is_refused(make, name, value):
    """1e308 is finite in float64 but inf in float32: once it went into the weights with only a RuntimeWarning."""
    with pytest.raises(ValueError, match="^" + re.escape(f"{name} must be finite in the layer's dtype float32 "
                                                         f"(at most 3.403e+38 in size), got {value:g}, which "
                                                         "would be inf there") + "$"):
        make(value)
    with pytest.raises(ValueError, match=rf"^{name} must be a finite number, got inf$"):
        make(math.inf)


def test_an_init_value_that_is_finite_in_float64_is_kept():
    layer = minilstm.LSTM(3, 4, forget_bias=1e308, dtype="float64", seed=0)
    np.testing.assert_array_equal(layer.state_dict()["bias_ih_l0"][4:8], np.full(4, 1e308))


def test_recurrent_weights_are_orthogonal_blocks():
    w = minilstm.GRU(3, 5, seed=0, dtype="float64").state_dict()["weight_hh_l0"]
    for k in range(3):
        block = w[5 * k:5 * (k + 1)]
        np.testing.assert_allclose(block @ block.T, np.eye(5), atol=1e-12)


def test_dropout_on_one_layer_warns_as_pytorch():
    """dropout acts between layers, so on one layer it would do nothing: PyTorch's warning, word for word."""
    with pytest.warns(UserWarning, match=r"^dropout option adds dropout after all but last recurrent layer, so "
                                         r"non-zero dropout expects num_layers greater than 1, but got "
                                         r"dropout=0.3 and num_layers=1$"):
        minilstm.GRU(3, 4, dropout=0.3)
    minilstm.GRU(3, 4, num_layers=2, dropout=0.3)  # no warning (warnings are errors in the tests)
    minilstm.GRU(3, 4, recurrent_dropout=0.3)


def test_repr_and_parameter_count():
    lstm = minilstm.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True, dtype="float64")
    assert repr(lstm) == "LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True, dtype='float64')"
    assert repr(minilstm.GRU(3, 5)) == "GRU(3, 5)"
    # per layer and direction: 4H x D + 4H x H + 2 x 4H; layer 2 reads both directions (D = 2H)
    assert lstm.num_params == 2 * (20 * 3 + 20 * 5 + 40) + 2 * (20 * 10 + 20 * 5 + 40)
    assert lstm.num_params == sum(p.size for p in lstm.params.values())
    torch = pytest.importorskip("torch")
    ref = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    assert lstm.num_params == sum(p.numel() for p in ref.parameters())


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizer_repr(name):
    layer = minilstm.RNN(2, 3)
    opt = getattr(minilstm, name)(layer.params, lr=0.5)
    text = repr(opt)
    assert text.startswith(f"{name}(lr=0.5, ") and text.endswith("; 4 parameter arrays, 0 steps taken)")
    assert "weight_decay=" in text


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2, "bidirectional": True, "recurrent_dropout": 0.2}])
def test_input_dropout_keras_style(kwargs, rng):
    """input_dropout drops each layer's input x_t with one mask per sequence, shared across time (Keras's
    LSTM(dropout=...)); gradients stay exact; evaluation mode turns it off."""
    from minilstm.gradcheck import gradcheck
    layer = minilstm.LSTM(3, 4, input_dropout=0.5, dtype="float64", seed=0, **kwargs)
    x = rng.standard_normal((6, 3, 3))
    assert gradcheck(layer, x, max_entries=15).passed(1e-6)
    layer(np.ones((6, 3, 3)))
    mask = layer._cache.in_masks[0]
    assert mask.shape == (1, 3, 3) and set(np.unique(mask)) <= {0.0, 2.0}  # kept inputs scaled by 1/(1-p)
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0], layer(x)[0])
    layer.forward_record(x)  # eval mode keeps no cache unless asked (as inspect does)
    assert layer._cache.in_masks[0] is None
    with pytest.raises(ValueError, match="input_dropout"):
        minilstm.GRU(3, 4, input_dropout=1.0)


@pytest.mark.parametrize("cls", KINDS)
def test_forward_record_and_the_on_step_hook(cls, rng):
    """forward_record returns what forward does, and per (layer, direction) the hidden states in input
    order and the mask of real steps; backward's on_step sees every step of every (layer, direction) and
    changes nothing it returns."""
    T, B, D, H, K = 5, 3, 2, 4, 2
    layer = cls(D, H, num_layers=2, bidirectional=True, seed=0, dtype="float64")
    x, dout, lengths = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, K * H)), np.array([5, 2, 4])
    out, state = layer(x, lengths=lengths)
    dx, dstate = layer.backward(dout)
    layer.eval()  # a record is kept in evaluation mode too
    out2, state2, run = layer.forward_record(x, lengths=lengths)
    np.testing.assert_array_equal(out2, out)
    for a, b in zip(_parts(state2), _parts(state)):
        np.testing.assert_array_equal(a, b)
    assert len(run.hs) == len(run.seqs) == len(run.cells) == 2 * K
    np.testing.assert_array_equal(np.concatenate(run.hs[-K:], axis=-1), out)  # the top layer's, in input order
    np.testing.assert_array_equal(run.valid[..., 0], np.arange(T)[:, None] < lengths)
    seen = []
    dx2, dstate2 = layer.backward(dout, on_step=lambda index, t, ds: seen.append((index, t)))
    assert sorted(seen) == [(i, t) for i in range(2 * K) for t in range(T)]
    np.testing.assert_array_equal(dx2, dx)
    for a, b in zip(_parts(dstate2), _parts(dstate)):
        np.testing.assert_array_equal(a, b)
