"""The gate nonlinearities' numerics: the sigmoid keeps relative precision in its tails."""
import math
import warnings

import numpy as np
import pytest

import minilstm
from minilstm.cells.common import dsigmoid, sigmoid

# worst relative error against an exact float64 reference: a few ulp of the dtype
ULPS = {"float32": 4 * np.finfo(np.float32).eps, "float64": 4 * np.finfo(np.float64).eps}


def _exact(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) for each value, in float64 with math.exp (exp(-x) overflows only far beyond 80)."""
    return np.array([1.0 / (1.0 + math.exp(-float(v))) for v in x])


def test_sigmoid_relative_precision_over_both_tails(backend, dtype):
    host = np.linspace(-80.0, 80.0, 3201).astype(dtype)
    got = minilstm.to_numpy(sigmoid(backend.asarray(host, dtype))).astype(np.float64)
    want = _exact(host.astype(np.float64))
    if dtype == "float32":  # the float32 reference is the exact value rounded to float32
        want = want.astype(np.float32).astype(np.float64)
    rel = np.abs(got - want) / want
    assert rel.max() <= ULPS[dtype], (host[rel.argmax()], got[rel.argmax()], want[rel.argmax()])
    assert got[0] > 0.0  # sigmoid(-80) = 1.8e-35 is a normal float32, not 0


def test_sigmoid_into_out_matches_and_no_warning_for_any_x(backend, dtype):
    host = np.array([-np.inf, -1e30, -1e4, -710.0, -100.0, -88.0, 0.0, 88.0, 1e4, np.inf], dtype)
    x = backend.asarray(host, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh = minilstm.to_numpy(sigmoid(x))
        out = backend.asarray(np.zeros_like(host), dtype)
        same = sigmoid(x, out=out)
    assert same is out
    np.testing.assert_array_equal(minilstm.to_numpy(out), fresh)
    assert np.all(fresh[:6] > 0.0) and np.all(fresh[:6] < 1e-37)  # capped at sigmoid(-88) or below, never 0
    assert fresh[6] == 0.5 and np.all(fresh[7:] == 1.0)


def test_dsigmoid_nonzero_where_torch_is(dtype):
    torch = pytest.importorskip("torch")
    host = np.linspace(-80.0, 80.0, 1601).astype(dtype)
    xt = torch.tensor(host, requires_grad=True)
    torch.sigmoid(xt).sum().backward()
    ours = dsigmoid(sigmoid(host))
    np.testing.assert_array_equal(ours != 0.0, xt.grad.numpy() != 0.0)
    assert ours[0] > 0.0  # torch gives 1.8e-35 at x = -80 in float32 too
    np.testing.assert_allclose(ours, xt.grad.numpy(), rtol=ULPS[dtype] * 4, atol=0.0)


@pytest.mark.parametrize("H", [1, 2, 3])
def test_sigmoid_in_place_on_a_gate_block_view(backend, dtype, H):
    """A gate block is a column view of the fused (B, 4H) array: the sigmoid is right on one, in place too.
    NumPy 2.4's ``negative`` got such a view wrong in float32 (H = 1, rows after the first), so the
    peephole LSTM of one unit gave each sequence but the first a wrong output."""
    be = minilstm.get_backend()
    host = np.random.default_rng(0).standard_normal((5, 4 * H))
    exact = 1.0 / (1.0 + np.exp(-host[:, H:2 * H]))
    first = host[:, :H].astype(dtype)
    fused = be.asarray(host.copy(), dtype)
    block = fused[:, H:2 * H]
    sigmoid(block, out=block)
    assert np.allclose(minilstm.to_numpy(fused)[:, H:2 * H], exact, rtol=1e-6, atol=0)
    assert np.array_equal(minilstm.to_numpy(fused)[:, :H], first)  # the other blocks untouched


@pytest.mark.parametrize("kind", ["LSTM", "PeepholeLSTM", "GRU", "RNN"])
def test_one_unit_batch_equals_each_sequence_alone(kind, dtype):
    """The case the property tests found: B = 2, H = 1, float32."""
    x = np.random.default_rng(1).standard_normal((3, 4, 2))
    layer = getattr(minilstm, kind)(2, 1, seed=0, dtype=dtype)
    batch = minilstm.to_numpy(layer(x)[0])
    for b in range(4):
        alone = minilstm.to_numpy(layer(x[:, b:b + 1])[0])
        assert np.allclose(batch[:, b:b + 1], alone, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("make", [minilstm.LSTM, minilstm.RNN])
def test_bias_gradients_are_separate_arrays(make):
    """bias_hh's gradient equals bias_ih's (both add onto the same pre-activations) but is its own array:
    a gradient clipped in place changes one of them only."""
    layer = make(3, 4, seed=0)
    x = np.random.default_rng(2).standard_normal((6, 2, 3)).astype(np.float32)
    out = layer.forward(x)[0]
    layer.backward(np.ones_like(out))
    g_ih, g_hh = layer.grads["bias_ih_l0"], layer.grads["bias_hh_l0"]
    np.testing.assert_array_equal(g_ih, g_hh)
    g_ih *= 0.5
    assert not np.array_equal(g_ih, g_hh)
