"""Seeing inside: records, gradient flow and Jacobians, proved on cases whose answer is known exactly."""
import numpy as np
import pytest

import minilstm
from minilstm import inspect


def _linear_relu_rnn(a, T=12, B=3, H=4, dtype="float64"):
    """A ReLU RNN kept in its linear regime: positive inputs, weights and biases, W_hh = a * I."""
    rnn = minilstm.RNN(2, H, nonlinearity="relu", dtype=dtype, seed=0)
    rnn.params["weight_ih_l0"][...] = np.abs(minilstm.to_numpy(rnn.params["weight_ih_l0"])) + 0.1
    rnn.params["weight_hh_l0"][...] = a * np.eye(H)
    rnn.params["bias_ih_l0"][...] = 0.1
    rnn.params["bias_hh_l0"][...] = 0.1
    x = np.random.default_rng(0).uniform(0.1, 1.0, (T, B, 2))
    return rnn, x


@pytest.mark.parametrize("a", [0.5, 0.9, 1.0, 1.3])
def test_flow_of_a_linear_relu_rnn_is_a_power_of_a(a):
    T = 12
    rnn, x = _linear_relu_rnn(a, T)
    flow = inspect.gradient_flow(rnn, x)
    np.testing.assert_allclose(flow.dh, a ** (T - 1 - np.arange(T)), rtol=1e-12)
    assert flow.lag(0) == pytest.approx(1.0) and flow.lag(T) == pytest.approx(a ** T)
    assert flow.dc is None


def test_flow_initial_state_is_the_layers_own_dh0(rng):
    lstm = minilstm.LSTM(3, 5, num_layers=2, dtype="float64", seed=0)
    x = rng.standard_normal((9, 4, 3))
    flow = inspect.gradient_flow(lstm, x, at=6, seed=3)
    g = inspect.state_gradients(lstm, x, at=6, seed=3)
    out, _ = lstm(x)
    dout = np.zeros_like(out)
    dout[6] = g_u = _unit(out.shape[-1], 3)
    _, (dh0, dc0) = lstm.backward(dout)
    assert np.allclose(g_u, dout[6, 0])
    np.testing.assert_allclose(flow.dh0, np.linalg.norm(dh0, axis=-1).mean(axis=-1), rtol=1e-12)
    np.testing.assert_allclose(flow.dc0, np.linalg.norm(dc0, axis=-1).mean(axis=-1), rtol=1e-12)
    np.testing.assert_allclose(g.h0, dh0, rtol=1e-12)
    assert flow.dh[6] == pytest.approx(1.0) and np.all(flow.dh[7:] == 0)  # nothing after `at` is read
    assert flow.lag(7) == pytest.approx(flow.dh0[-1])
    np.testing.assert_allclose(flow.dh_layers[-1], flow.dh)


def _unit(n, seed):
    u = np.random.default_rng(seed).standard_normal(n)
    return u / np.linalg.norm(u)


def test_flow_dx_is_the_layers_dx(rng):
    gru = minilstm.GRU(3, 4, batch_first=True, dtype="float64", seed=0)
    x = rng.standard_normal((2, 6, 3))
    g = inspect.state_gradients(gru, x)
    out, _ = gru(x)
    dout = np.zeros_like(out)
    dout[:, -1] = _unit(4, 0)
    dx, _ = gru.backward(dout)
    np.testing.assert_allclose(g.x, dx.transpose(1, 0, 2), rtol=1e-12)
    flow = inspect.gradient_flow(gru, x)
    np.testing.assert_allclose(flow.dx, np.linalg.norm(dx, axis=-1).mean(axis=0), rtol=1e-12)


def test_the_cell_state_is_a_gradient_highway(rng):
    """With the output path cut (W_hh = 0, so dL/dh_t = 0 before `at`), dL/dc_(t-1) = f_t * dL/dc_t exactly."""
    lstm = minilstm.LSTM(3, 5, dtype="float64", seed=0)
    lstm.params["weight_hh_l0"][...] = 0.0
    x = rng.standard_normal((8, 2, 3))
    f = inspect.record(lstm, x).gates["f"][0]
    g = inspect.state_gradients(lstm, x)
    assert np.all(g.h[0, :-1] == 0)
    for t in range(1, 7):
        np.testing.assert_array_equal(g.c[0, t - 1], f[t] * g.c[0, t])
    assert np.any(g.c[0, 0] != 0)


def test_record_gives_the_layers_output_and_cell_equations(rng):
    lstm = minilstm.LSTM(3, 5, num_layers=2, bidirectional=True, dtype="float64", seed=0)
    x = rng.standard_normal((7, 4, 3))
    trace = inspect.record(lstm, x)
    out, (h_n, c_n) = lstm(x)
    assert trace.h.shape == (4, 7, 4, 5) and set(trace.gates) == {"i", "f", "g", "o"}
    np.testing.assert_array_equal(np.concatenate([trace.h[2], trace.h[3]], axis=-1), out)
    np.testing.assert_allclose(trace.h, trace.gates["o"] * np.tanh(trace.c), rtol=1e-14, atol=1e-15)
    # forward directions: c_t = f c_(t-1) + i g from the zero state; reverse ones read time backwards
    for idx in (0, 2):
        c_prev = np.concatenate([np.zeros((1, 4, 5)), trace.c[idx, :-1]])
        np.testing.assert_allclose(trace.c[idx], trace.gates["f"][idx] * c_prev
                                   + trace.gates["i"][idx] * trace.gates["g"][idx], rtol=1e-14, atol=1e-15)
    for idx in (1, 3):
        c_next = np.concatenate([trace.c[idx, 1:], np.zeros((1, 4, 5))])
        np.testing.assert_allclose(trace.c[idx], trace.gates["f"][idx] * c_next
                                   + trace.gates["i"][idx] * trace.gates["g"][idx], rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(trace.c[idx, 0], c_n[idx])  # the reverse direction ends at step 0
    np.testing.assert_array_equal(trace.c[0, -1], c_n[0])


def test_record_marks_and_zeroes_padding(rng):
    gru = minilstm.GRU(3, 4, dtype="float64", seed=0)
    x = rng.standard_normal((6, 2, 3))
    x[4:, 1] = np.nan  # padding may hold anything
    trace = inspect.record(gru, x, lengths=[6, 4])
    assert trace.mask[:, 1].tolist() == [True] * 4 + [False] * 2
    for values in (trace.h, *trace.gates.values()):
        assert np.all(values[:, 4:, 1] == 0) and np.all(np.isfinite(values[:, :4]))
    alone = inspect.record(gru, x[:4, 1:])
    np.testing.assert_allclose(trace.gates["z"][:, :4, 1:], alone.gates["z"], rtol=1e-13)


@pytest.mark.parametrize("name", ["RNN", "GRU", "PeepholeLSTM"])
def test_record_gate_names_follow_the_cell(name, rng):
    layer = getattr(minilstm, name)(3, 4, seed=0)
    trace = inspect.record(layer, rng.standard_normal((5, 2, 3)))
    assert tuple(trace.gates) == layer.cell.gates
    assert (trace.c is None) == (name != "PeepholeLSTM")
    assert tuple(inspect.record(minilstm.LSTM(3, 4, coupled=True), rng.standard_normal((5, 2, 3))).gates) \
        == ("f", "g", "o")


def test_record_of_a_model_and_a_cell(rng):
    model = minilstm.Model(4, 6, 3, cell="lstm", vocab_size=10, readout="all", num_layers=2, seed=0)
    ids = rng.integers(0, 10, (2, 8))
    trace = inspect.record(model, ids, lengths=[8, 5])
    assert trace.h.shape == (2, 8, 2, 6) and trace.mask.shape == (8, 2)
    cell = minilstm.LSTMCell(3, 5, seed=0)
    x = rng.standard_normal((6, 2, 3))
    trace = inspect.record(cell, x)
    state = None
    for t in range(6):
        state = cell(x[t], state)
    np.testing.assert_allclose(trace.h[0, -1], state[0], rtol=1e-5)
    np.testing.assert_allclose(trace.c[0, -1], state[1], rtol=1e-5)


def test_saturation_counts_the_tails():
    trace = inspect.Trace({"f": np.array([0.01, 0.5, 0.99, 0.97]).reshape(1, 4, 1, 1),
                           "g": np.array([-0.99, 0.0, 0.2, 0.96]).reshape(1, 4, 1, 1)},
                          h=np.zeros((1, 4, 1, 1)), c=None, mask=None, num_layers=1, num_directions=1)
    assert inspect.saturation(trace) == {"f": {"low": 0.25, "high": 0.5}, "g": {"low": 0.25, "high": 0.25}}
    trace.mask = np.array([True, True, False, False])[:, None]
    assert inspect.saturation(trace)["f"] == {"low": 0.5, "high": 0.0}


@pytest.mark.parametrize("a", [0.5, 1.0, 1.7])
def test_jacobian_norm_of_a_linear_relu_rnn_is_a(a):
    rnn, x = _linear_relu_rnn(a, T=6)
    np.testing.assert_allclose(inspect.jacobian_norms(rnn, x), a, rtol=1e-12)


def test_jacobian_norms_match_finite_differences(rng):
    """The LSTM's (h, c) Jacobian from the step backward equals a numerical one from two forwards."""
    lstm = minilstm.LSTM(2, 3, dtype="float64", seed=0)
    x = rng.standard_normal((2, 1, 2))
    norms = inspect.jacobian_norms(lstm, x)
    h0, c0 = lstm(x[:1])[1]
    eps, J = 1e-6, np.zeros((6, 6))
    for k in range(6):
        for sign in (1, -1):
            s = np.concatenate([h0, c0], axis=-1).copy()
            s[0, 0, k] += sign * eps
            _, (h1, c1) = lstm(x[1:], (s[..., :3], s[..., 3:]))
            J[:, k] += sign * np.concatenate([h1, c1], axis=-1)[0, 0] / (2 * eps)
    assert norms[0, 1] == pytest.approx(np.linalg.norm(J, 2), rel=1e-7)


def test_jacobian_norms_on_every_backend(backend, rng):
    gru = minilstm.GRU(2, 3, bidirectional=True, dtype="float64", seed=0)
    x = rng.standard_normal((4, 2, 2))
    with minilstm.backend_scope("numpy"):
        ref = minilstm.GRU(2, 3, bidirectional=True, dtype="float64", seed=0)
        expected = inspect.jacobian_norms(ref, x)
    np.testing.assert_allclose(inspect.jacobian_norms(gru, x), expected, rtol=1e-12)
    assert expected.shape == (2, 4)


def test_spectrum_equals_numpy_svd():
    lstm = minilstm.LSTM(3, 4, num_layers=2, seed=0)
    spec = inspect.spectrum(lstm)
    assert len(spec.singular_values) == 8
    w = minilstm.to_numpy(lstm.params["weight_hh_l1"]).astype(np.float64)
    np.testing.assert_allclose(spec.singular_values["weight_hh_l1", "g"], np.linalg.svd(w[8:12], compute_uv=False))
    assert spec.gamma["weight_hh_l1", "f"] == 0.25 and spec.gamma["weight_hh_l1", "g"] == 1.0
    rnn = minilstm.RNN(3, 4, seed=0)
    rnn.params["weight_hh_l0"][...] = 0.5 * np.eye(4)
    s = inspect.spectrum(rnn)
    assert s.vanishing == {("weight_hh_l0", "h"): True}
    np.testing.assert_allclose(s.singular_values["weight_hh_l0", "h"], 0.5)
    assert set(inspect.spectrum(minilstm.GRUCell(3, 4)).singular_values) == {("weight_hh", g) for g in "rzn"}


def test_inspect_refuses_what_it_cannot_read(rng):
    with pytest.raises(TypeError, match="recurrent layer, a cell module or a Model"):
        inspect.record(minilstm.Linear(3, 4), rng.standard_normal((2, 3)))
    with pytest.raises(ValueError, match="at must be a step index"):
        inspect.gradient_flow(minilstm.RNN(3, 4), rng.standard_normal((5, 2, 3)), at=5)
    with pytest.raises(ValueError, match=r"^k must be an index into the 6 lags back from at .*: 0 to 5, got 7$"):
        inspect.gradient_flow(minilstm.RNN(3, 4), rng.standard_normal((5, 2, 3))).lag(7)


def test_inspect_on_every_backend(backend, rng):
    lstm = minilstm.LSTM(3, 4, dtype="float64", seed=0)
    x = rng.standard_normal((5, 2, 3))
    trace, flow = inspect.record(lstm, x), inspect.gradient_flow(lstm, x)
    assert isinstance(trace.h, np.ndarray) and isinstance(flow.dh, np.ndarray)
    with minilstm.backend_scope("numpy"):
        ref = minilstm.LSTM(3, 4, dtype="float64", seed=0)
        np.testing.assert_allclose(trace.c, inspect.record(ref, x).c, rtol=1e-12)
        np.testing.assert_allclose(flow.dc, inspect.gradient_flow(ref, x).dc, rtol=1e-12)
