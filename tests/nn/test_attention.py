"""AttentionPool and Attention: gradient checks (with and without lengths), autograd parity of their
equations, masking of padded steps, stability and input checks."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm.backend import check_dtype
from minilstm.gradcheck import gradcheck

B, T, H = 3, 5, 4
KINDS = ["dot", "additive"]


class _Padded:
    """The layer with fixed lengths, as gradcheck calls forward(x)."""

    def __init__(self, layer, lengths):
        self.layer, self.lengths = layer, lengths
        self.params, self.dtype = layer.params, layer.dtype

    def forward(self, x):
        return self.layer.forward(x, lengths=self.lengths)

    def backward(self, dy):
        dx = self.layer.backward(dy)
        self.grads = self.layer.grads
        return dx


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("lengths", [None, [5, 2, 4]], ids=["full", "padded"])
@pytest.mark.parametrize("kind", KINDS)
def test_attention_gradients(kind, lengths, backend, rng):
    layer = minilstm.AttentionPool(H, kind=kind, seed=0, dtype="float64")
    x = rng.standard_normal((B, T, H))
    report = gradcheck(layer if lengths is None else _Padded(layer, lengths), x, max_entries=None)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == set(layer.params) | {"x"}


# ---------------------------------------------------------------- parity with PyTorch autograd
def _torch_pool(torch, kind, params, x, lengths):
    """The docstring's equations in torch, differentiated by autograd."""
    if kind == "dot":
        e = x @ params["query"] / H ** 0.5
    else:
        e = torch.tanh(x @ params["weight"].T + params["bias"]) @ params["query"]
    valid = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
    a = torch.softmax(e.masked_fill(~valid, -torch.inf), dim=1)
    return (a[:, :, None] * x).sum(1), a


@pytest.mark.parametrize("kind", KINDS)
def test_attention_matches_torch_autograd(kind, backend, rng):
    torch = pytest.importorskip("torch")
    layer = minilstm.AttentionPool(H, kind=kind, seed=1, dtype="float64")
    lengths = [5, 1, 3]
    params = {k: torch.tensor(v, requires_grad=True) for k, v in layer.state_dict().items()}
    x = rng.standard_normal((B, T, H))
    dy = rng.standard_normal((B, H))
    xt = torch.tensor(x, requires_grad=True)
    yt, at = _torch_pool(torch, kind, params, xt, lengths)
    (yt * torch.tensor(dy)).sum().backward()

    y = layer(x, lengths=np.array(lengths))
    dx = layer.backward(dy)
    assert close(y, yt.detach().numpy(), "float64")
    assert close(layer.last_attention, at.detach().numpy(), "float64")
    assert close(dx, xt.grad.numpy(), "float64")
    for k, p in params.items():
        assert close(layer.grads[k], p.grad.numpy(), "float64"), k


# ---------------------------------------------------------------- masking
@pytest.mark.parametrize("kind", KINDS)
def test_padded_steps_get_zero_weight_and_gradient_whatever_they_hold(kind, backend, rng):
    """Each sequence pools as it does alone at its true length; padding (here huge, inf and nan)
    gets exactly zero attention and exactly zero gradient."""
    layer = minilstm.AttentionPool(H, kind=kind, seed=0, dtype="float64")
    lengths = [5, 2, 4]
    x = rng.standard_normal((B, T, H))
    dy = rng.standard_normal((B, H))
    x[1, 2], x[1, 3], x[1, 4], x[2, 4] = 1e6, np.inf, np.nan, -1e300
    y = minilstm.to_numpy(layer(x, lengths=lengths))
    a = minilstm.to_numpy(layer.last_attention)
    dx = minilstm.to_numpy(layer.backward(dy))
    grads = {k: minilstm.to_numpy(g) for k, g in layer.grads.items()}
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    summed = {k: np.zeros_like(g) for k, g in grads.items()}
    for b, n in enumerate(lengths):
        assert np.all(a[b, n:] == 0) and np.all(dx[b, n:] == 0)
        y_b = layer(x[b:b + 1, :n])
        dx_b = layer.backward(dy[b:b + 1])
        np.testing.assert_allclose(y[b], minilstm.to_numpy(y_b)[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(dx[b, :n], minilstm.to_numpy(dx_b)[0], rtol=1e-12, atol=1e-14)
        for k in summed:
            summed[k] += minilstm.to_numpy(layer.grads[k])
    for k in grads:  # parameter gradients of a batch are the sums over its sequences
        np.testing.assert_allclose(grads[k], summed[k], rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- behaviour
@pytest.mark.parametrize("kind", KINDS)
def test_last_attention_is_a_distribution_over_time(kind, backend, rng):
    layer = minilstm.AttentionPool(H, kind=kind, seed=0)
    layer(rng.standard_normal((B, T, H)))
    a = minilstm.to_numpy(layer.last_attention)
    assert a.shape == (B, T) and np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)


def test_dot_attention_is_stable_for_huge_scores(backend, dtype):
    layer = minilstm.AttentionPool(2, seed=0, dtype=dtype)
    layer.load_state_dict({"query": np.array([1.0, 0.0])})
    x = np.array([[[1e4, 0.0], [2e4, 1.0], [-1e4, 2.0]]])  # scores 7071, 14142, -7071: exp would overflow
    y = minilstm.to_numpy(layer(x))
    np.testing.assert_allclose(y, [[2e4, 1.0]], rtol=1e-6)  # all the weight on the largest score
    assert check_dtype(layer.backward(np.ones((1, 2))).dtype) == dtype


def test_attention_init_draws_weight_bias_then_query():
    layer = minilstm.AttentionPool(4, kind="additive", seed=2, dtype="float64")
    expected = np.random.default_rng(2)
    for k, shape in (("weight", (4, 4)), ("bias", (4,)), ("query", (4,))):
        np.testing.assert_array_equal(layer.state_dict()[k], expected.uniform(-0.5, 0.5, shape))
    assert set(minilstm.AttentionPool(4, seed=2).params) == {"query"}


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("x,match", [
    (np.zeros((T, H)), r"x must be a batch-first 3-D array \(batch, time, hidden=4\), got shape \(5, 4\)"),
    (np.zeros((B, T, 3)), r"hidden=4\), got shape \(3, 5, 3\)"),
    (np.zeros((B, 0, H)), "at least one time step"),
], ids=["2-D", "wrong-hidden", "no-steps"])
def test_attention_refuses_bad_x(x, match):
    with pytest.raises(ValueError, match=match):
        minilstm.AttentionPool(H)(x)


@pytest.mark.parametrize("lengths,error,match", [
    ([5, 2], ValueError, r"lengths must have shape \(3,\)"),
    ([5, 0, 2], ValueError, r"lengths must be in \[1, T=5\], got values from 0 to 5"),
    ([5, 6, 2], ValueError, r"lengths must be in \[1, T=5\]"),
    ([5.0, 2.0, 1.0], TypeError, "lengths must hold integers"),
], ids=["short", "zero", "too-long", "floats"])
def test_attention_refuses_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=match):
        minilstm.AttentionPool(H)(np.zeros((B, T, H)), lengths=lengths)


def test_attention_refuses_bad_arguments_and_calls():
    with pytest.raises(ValueError, match=r"kind must be one of \('dot', 'additive'\), got 'mul'"):
        minilstm.AttentionPool(H, kind="mul")
    with pytest.raises(ValueError, match="hidden must be a positive int"):
        minilstm.AttentionPool(0)
    layer = minilstm.AttentionPool(H)
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((B, H)))
    layer(np.zeros((B, T, H)))
    with pytest.raises(ValueError, match=r"dy must have shape \(3, 4\)"):
        layer.backward(np.zeros((B, T, H)))


# ================================================================ Attention (query steps over key steps)
TQ, TK = 3, 6


def test_cross_attention_gradients(backend, rng):
    """dquery and dkeys (keys are also the values, so both paths meet in dkeys) by central differences."""
    layer = minilstm.nn.Attention(H, dtype="float64")
    report = gradcheck(layer, rng.standard_normal((B, TQ, H)), rng.standard_normal((B, TK, H)), max_entries=None)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == {"x", "state"}  # gradcheck's names for the first and second input


def test_cross_attention_matches_torch(backend, rng):
    torch = pytest.importorskip("torch")
    layer = minilstm.nn.Attention(H, dtype="float64")
    q, k, dy = rng.standard_normal((B, TQ, H)), rng.standard_normal((B, TK, H)), rng.standard_normal((B, TQ, H))
    qt, kt = torch.tensor(q, requires_grad=True), torch.tensor(k, requires_grad=True)
    yt = torch.nn.functional.scaled_dot_product_attention(qt, kt, kt)  # softmax(q k^T / sqrt(H)) k
    (yt * torch.tensor(dy)).sum().backward()
    y = layer(q, k)
    dq, dk = layer.backward(dy)
    assert close(y, yt.detach().numpy(), "float64")
    assert close(dq, qt.grad.numpy(), "float64") and close(dk, kt.grad.numpy(), "float64")
    a = torch.softmax(torch.tensor(q) @ torch.tensor(k).transpose(1, 2) / H ** 0.5, dim=2).numpy()
    assert close(layer.last_attention, a, "float64")


def test_cross_attention_weights_are_distributions_and_stable(backend, dtype):
    layer = minilstm.nn.Attention(2, dtype=dtype)
    q = np.array([[[1e4, 0.0], [0.0, 1.0]]])                # the first query's scores would overflow exp
    k = np.array([[[1.0, 0.0], [2.0, 1.0], [-1.0, 2.0]]])
    y = minilstm.to_numpy(layer(q, k))
    a = minilstm.to_numpy(layer.last_attention)
    assert a.shape == (1, 2, 3) and np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=2), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y[0, 0], k[0, 1], rtol=1e-6)  # all the weight on the largest score
    dq, dk = layer.backward(np.ones((1, 2, 2)))
    assert check_dtype(dq.dtype) == dtype and check_dtype(dk.dtype) == dtype


def test_cross_attention_refuses_bad_input():
    layer = minilstm.nn.Attention(H)
    with pytest.raises(ValueError, match="hidden must be a positive int"):
        minilstm.nn.Attention(0)
    with pytest.raises(ValueError, match=r"query must be a batch-first 3-D array \(batch, time, hidden=4\)"):
        layer(np.zeros((TQ, H)), np.zeros((B, TK, H)))
    with pytest.raises(ValueError, match=r"keys must be a batch-first 3-D array .* got shape \(3, 6, 5\)"):
        layer(np.zeros((B, TQ, H)), np.zeros((B, TK, 5)))
    with pytest.raises(ValueError, match=r"keys must have the query's batch size 3, got shape \(2, 6, 4\)"):
        layer(np.zeros((B, TQ, H)), np.zeros((2, TK, H)))
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((B, TQ, H)))
    layer(np.zeros((B, TQ, H)), np.zeros((B, TK, H)))
    with pytest.raises(ValueError, match=r"dy must have shape \(3, 3, 4\)"):
        layer.backward(np.zeros((B, TK, H)))
