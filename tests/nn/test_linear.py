"""Linear and Embedding: gradient checks, PyTorch parity, dtypes and input checks."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm.backend import check_dtype
from minilstm.gradcheck import gradcheck


def _np(a):
    return minilstm.to_numpy(a)


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_linear_gradients(bias, backend, rng):
    layer = minilstm.Linear(4, 3, bias=bias, seed=0, dtype="float64")
    report = gradcheck(layer, rng.standard_normal((5, 2, 4)), max_entries=20)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == {"weight", "x"} | ({"bias"} if bias else set())


def test_embedding_gradients(backend):
    layer = minilstm.Embedding(6, 3, seed=0, dtype="float64")
    idx = np.array([[0, 2, 2], [5, 2, 0]])  # repeats: their gradients must add up
    report = gradcheck(layer, idx, max_entries=None)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == {"weight"}


# ---------------------------------------------------------------- parity with PyTorch
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_linear_matches_torch(bias, backend, dtype, rng):
    torch = pytest.importorskip("torch")
    tdtype = getattr(torch, dtype)
    torch.manual_seed(0)
    ref = torch.nn.Linear(4, 3, bias=bias, dtype=tdtype)
    ours = minilstm.Linear(4, 3, bias=bias, dtype=dtype)
    ours.load_state_dict(ref.state_dict())  # tensors, not arrays
    x = rng.standard_normal((5, 2, 4)).astype(dtype)
    dy = rng.standard_normal((5, 2, 3)).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    (yt * torch.tensor(dy)).sum().backward()

    y = ours(x)
    dx = ours.backward(dy)
    assert close(y, yt.detach().numpy(), dtype)
    assert close(dx, xt.grad.numpy(), dtype)
    for name, p in ref.named_parameters():
        assert close(ours.grads[name], p.grad.numpy(), dtype), name


def test_linear_state_dict_loads_into_torch(rng):
    torch = pytest.importorskip("torch")
    ours = minilstm.Linear(4, 3, seed=0, dtype="float64")
    ref = torch.nn.Linear(4, 3, dtype=torch.float64)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 4))
    assert close(ours(x), ref(torch.from_numpy(x)).detach().numpy(), "float64")


def test_embedding_matches_torch(backend, rng):
    torch = pytest.importorskip("torch")
    ref = torch.nn.Embedding(7, 4, dtype=torch.float64)
    ours = minilstm.Embedding(7, 4, dtype="float64")
    ours.load_state_dict(ref.state_dict())
    idx = rng.integers(0, 7, size=(5, 3))
    dy = rng.standard_normal((5, 3, 4))
    yt = ref(torch.from_numpy(idx))
    (yt * torch.tensor(dy)).sum().backward()

    assert close(ours(idx), yt.detach().numpy(), "float64")
    assert ours.backward(dy) is None  # integer indices have no gradient
    assert close(ours.grads["weight"], ref.weight.grad.numpy(), "float64")


# ---------------------------------------------------------------- behaviour
def test_linear_init_is_pytorchs_uniform():
    layer = minilstm.Linear(16, 8, seed=3)
    expected = np.random.default_rng(3)  # weight first, then bias, both U(-1/sqrt(D), 1/sqrt(D))
    w = expected.uniform(-0.25, 0.25, size=(8, 16))
    b = expected.uniform(-0.25, 0.25, size=(8,))
    sd = layer.state_dict()
    np.testing.assert_array_equal(sd["weight"], w.astype(np.float32))
    np.testing.assert_array_equal(sd["bias"], b.astype(np.float32))


def test_embedding_init_is_standard_normal():
    w = minilstm.Embedding(4000, 8, seed=0, dtype="float64").state_dict()["weight"]
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.0) < 0.02


def test_same_seed_same_weights_on_every_backend(backend):
    with minilstm.backend_scope("numpy"):
        ref = minilstm.Linear(3, 2, seed=7).state_dict()
    ours = minilstm.Linear(3, 2, seed=7).state_dict()
    for k in ref:
        np.testing.assert_array_equal(ours[k], ref[k])


def test_linear_keeps_dtype(backend, dtype, rng):
    layer = minilstm.Linear(3, 2, seed=0, dtype=dtype)
    y = layer(rng.standard_normal((4, 3)))  # float64 data, cast to the layer's dtype
    dx = layer.backward(np.ones((4, 2)))
    assert {check_dtype(a.dtype) for a in (y, dx, *layer.grads.values())} == {dtype}


def test_embedding_keeps_dtype(backend, dtype):
    layer = minilstm.Embedding(5, 2, seed=0, dtype=dtype)
    y = layer(np.array([1, 4]))
    layer.backward(np.ones((2, 2)))
    assert check_dtype(y.dtype) == dtype and check_dtype(layer.grads["weight"].dtype) == dtype


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2, 3)], ids=["1-D", "2-D", "4-D"])
def test_linear_takes_any_leading_axes(shape, backend, rng):
    layer = minilstm.Linear(3, 2, seed=0, dtype="float64")
    x = rng.standard_normal(shape)
    sd = layer.state_dict()
    assert close(layer(x), x @ sd["weight"].T + sd["bias"], "float64")
    assert tuple(layer.backward(np.ones(shape[:-1] + (2,))).shape) == shape


def test_embedding_forward_is_a_row_lookup(backend):
    layer = minilstm.Embedding(5, 3, seed=0, dtype="float64")
    w = layer.state_dict()["weight"]
    idx = np.array([[4, 0], [4, 2]])
    np.testing.assert_array_equal(_np(layer(idx)), w[idx])
    np.testing.assert_array_equal(_np(layer(3)), w[3])  # a single index gives one vector (E,)


def test_embedding_backward_adds_repeated_rows(backend, rng):
    layer = minilstm.Embedding(5, 3, dtype="float64")
    idx = np.array([1, 3, 1, 1])
    dy = rng.standard_normal((4, 3))
    layer(idx)
    layer.backward(dy)
    expected = np.zeros((5, 3))
    np.add.at(expected, idx, dy)
    assert close(layer.grads["weight"], expected, "float64")


def test_embedding_backward_equals_the_one_hot_product(backend, dtype, rng):
    """dW = onehot(idx)^T dy, summed without the one-hot: groups of 1 to 40 repeats
    (several rounds of the scan), tokens never read (zero rows), any order."""
    V, E = 60, 5
    idx = rng.permutation(np.repeat(np.arange(0, 40), np.arange(1, 41)))[:700].reshape(20, 35)
    dy = rng.standard_normal((20, 35, E))
    layer = minilstm.Embedding(V, E, seed=0, dtype=dtype)
    layer(idx)
    layer.backward(backend.asarray(dy, dtype))
    onehot = (idx.reshape(-1)[:, None] == np.arange(V)).astype(np.float64)  # (N, V), the reference
    expected = onehot.T @ dy.astype(dtype).astype(np.float64).reshape(-1, E)
    assert close(layer.grads["weight"], expected, dtype)
    assert not np.any(_np(layer.grads["weight"])[40:]), "tokens never read get exactly zero"
    assert _np(layer.grads["weight"]).dtype == np.dtype(dtype)


def test_embedding_backward_of_a_large_vocabulary_stays_small(rng, monkeypatch):
    """V = 50,000 and 64 x 200 tokens: a (N, V) one-hot would take 3.2 GB (and N V work to fill it);
    the gradient takes a few (N, E) arrays besides its own (V, E), and at most log2(N) scan rounds over them."""
    import tracemalloc

    from minilstm.nn import linear

    rounds = []
    monkeypatch.setattr(linear, "concat",
                        lambda arrays, **kw: rounds.append(1) or minilstm.backend.concat(arrays, **kw))

    layer = minilstm.Embedding(50_000, 64, seed=0)
    idx = np.minimum(rng.zipf(1.2, (64, 200)) - 1, 49_999)  # text-like: a few tokens very often
    dy = rng.standard_normal((64, 200, 64)).astype(np.float32)
    layer(idx)
    tracemalloc.start()
    try:
        layer.backward(dy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    weight_bytes = layer.params["weight"].nbytes
    assert peak < 4 * weight_bytes, f"peak {peak / 1e6:.1f} MB for a {weight_bytes / 1e6:.1f} MB weight"
    assert 0 < len(rounds) <= np.ceil(np.log2(idx.size)), f"{len(rounds)} rounds of (N, E) work, N = {idx.size}"
    expected = np.zeros((50_000, 64))
    np.add.at(expected, idx.reshape(-1), dy.reshape(-1, 64).astype(np.float64))
    assert close(layer.grads["weight"], expected, "float32")


def test_indices_may_be_backend_arrays(backend):
    layer = minilstm.Embedding(5, 3, seed=0)
    idx = backend.xp.astype(backend.asarray([[1.0, 2.0]], "float64"), backend.xp.int64)
    assert tuple(layer(idx).shape) == (1, 2, 3)


# ---------------------------------------------------------------- bad input
def test_linear_refuses_zero_features():
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        minilstm.Linear(0, 3)


def test_linear_refuses_float_features():
    with pytest.raises(TypeError, match="out_features must be a positive int"):
        minilstm.Linear(3, 2.5)


def test_linear_refuses_non_bool_bias():
    with pytest.raises(TypeError, match="bias must be True or False"):
        minilstm.Linear(3, 2, bias="yes")


def test_linear_refuses_float16():
    with pytest.raises(ValueError, match="dtype must be one of"):
        minilstm.Linear(3, 2, dtype="float16")


def test_linear_refuses_wrong_feature_count():
    with pytest.raises(ValueError, match=r"in_features=3 in its last axis, got shape \(2, 4\)"):
        minilstm.Linear(3, 2)(np.zeros((2, 4)))


def test_linear_refuses_a_scalar():
    with pytest.raises(ValueError, match=r"in_features=3 in its last axis, got shape \(\)"):
        minilstm.Linear(3, 2)(1.0)


def test_linear_refuses_integer_input():
    with pytest.raises(TypeError, match="x must hold floating-point numbers"):
        minilstm.Linear(3, 2)(np.zeros((2, 3), dtype=int))


def test_linear_refuses_wrong_dy_shape():
    layer = minilstm.Linear(3, 2)
    layer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape \(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


def test_linear_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        minilstm.Linear(3, 2).backward(np.zeros((4, 2)))


def test_embedding_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        minilstm.Embedding(3, 2).backward(np.zeros((4, 2)))


def test_load_state_dict_names_a_missing_key():
    with pytest.raises(ValueError, match=r"missing keys \['bias'\], unexpected keys \[\]"):
        minilstm.Linear(3, 2).load_state_dict({"weight": np.zeros((2, 3))})


def test_load_state_dict_names_an_unexpected_key():
    with pytest.raises(ValueError, match=r"missing keys \[\], unexpected keys \['bias'\]"):
        minilstm.Linear(3, 2, bias=False).load_state_dict({"weight": np.zeros((2, 3)), "bias": np.zeros(2)})


def test_load_state_dict_names_a_wrong_shape():
    with pytest.raises(ValueError, match=r"state_dict\['weight'\] must have shape \(2, 3\)"):
        minilstm.Linear(3, 2).load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(2)})


def test_load_state_dict_refuses_a_list():
    with pytest.raises(TypeError, match="state_dict must be a dict"):
        minilstm.Embedding(3, 2).load_state_dict([np.zeros((3, 2))])


def test_embedding_refuses_float_indices():
    with pytest.raises(TypeError, match="indices must hold integers, got dtype float64"):
        minilstm.Embedding(5, 2)(np.array([1.0, 2.0]))


def test_embedding_refuses_bool_indices():
    with pytest.raises(TypeError, match="indices must hold integers, got dtype bool"):
        minilstm.Embedding(5, 2)(np.array([True, False]))


def test_embedding_refuses_an_index_past_the_end():
    with pytest.raises(ValueError, match=r"\[0, num_embeddings=5\), got values in \[0, 5\]"):
        minilstm.Embedding(5, 2)(np.array([0, 5]))


def test_embedding_refuses_a_negative_index():
    with pytest.raises(ValueError, match=r"\[0, num_embeddings=5\), got values in \[-1, 2\]"):
        minilstm.Embedding(5, 2)([2, -1])


def test_embedding_refuses_wrong_dy_shape():
    layer = minilstm.Embedding(5, 2)
    layer(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"dy must have shape \(3, 2\)"):
        layer.backward(np.zeros((2, 3)))


def test_layer_refuses_another_backend():
    aas = pytest.importorskip("array_api_strict")
    layer = minilstm.Linear(3, 2)  # NumPy parameters
    with minilstm.backend_scope(aas, aas.Device("device1")):
        with pytest.raises(RuntimeError, match="active backend is 'array_api_strict'"):
            layer(np.zeros((1, 3)))
