"""ReLU, Tanh and Dropout: gradient checks, PyTorch parity, dropout's masks and modes, input checks."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm.backend import check_dtype
from minilstm.gradcheck import gradcheck


def _away_from_zero(rng, shape):
    """Normal draws pushed at least 0.05 from 0, where ReLU's kink would upset a finite difference."""
    x = rng.standard_normal(shape)
    return x + 0.05 * np.sign(x)


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("make", [lambda: minilstm.ReLU(dtype="float64"), lambda: minilstm.Tanh(dtype="float64"),
                                  lambda: minilstm.Dropout(0.4, seed=0, dtype="float64")],
                         ids=["relu", "tanh", "dropout"])
def test_activation_gradients(make, backend, rng):
    layer = make()
    report = gradcheck(layer, _away_from_zero(rng, (4, 3, 5)), max_entries=None)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == {"x"}


# ---------------------------------------------------------------- parity with PyTorch
@pytest.mark.parametrize("name", ["ReLU", "Tanh"])
def test_activation_matches_torch(name, backend, dtype, rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    x[0, 0, :2] = 0.0  # the kink: both give slope 0 there
    dy = rng.standard_normal((3, 4, 5)).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn, name)()(xt)
    (yt * torch.tensor(dy)).sum().backward()

    layer = getattr(minilstm, name)()
    assert close(layer(x), yt.detach().numpy(), dtype)
    assert close(layer.backward(dy), xt.grad.numpy(), dtype)


# ---------------------------------------------------------------- dropout
def test_dropout_is_inverted_and_backward_uses_the_same_mask(backend, rng):
    p = 0.3
    layer = minilstm.Dropout(p, seed=0, dtype="float64")
    x = _away_from_zero(rng, (200, 50))
    y = minilstm.to_numpy(layer(x))
    dx = minilstm.to_numpy(layer.backward(np.ones_like(x)))
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-14)  # kept entries scaled by 1/(1-p)
    np.testing.assert_array_equal(dx, kept / (1 - p))                   # dx = dy * m, the same m
    assert abs(1 - kept.mean() - p) < 0.02                               # about p of them dropped


def test_dropout_is_the_identity_in_eval_mode_and_for_p_zero(backend, rng):
    x = rng.standard_normal((4, 6))
    for layer in (minilstm.Dropout(0.5, seed=0).eval(), minilstm.Dropout(0.0, seed=0)):
        np.testing.assert_array_equal(minilstm.to_numpy(layer(x)), x.astype(np.float64))
        np.testing.assert_array_equal(minilstm.to_numpy(layer.backward(x)), x)
    layer = minilstm.Dropout(0.5, seed=0).eval().train()
    assert layer.training and np.any(minilstm.to_numpy(layer(x)) == 0)


def test_dropout_same_seed_same_mask_on_every_backend(backend, rng):
    x = rng.standard_normal((5, 8))
    with minilstm.backend_scope("numpy"):
        ref = minilstm.Dropout(0.5, seed=3)(x)
    np.testing.assert_array_equal(minilstm.to_numpy(minilstm.Dropout(0.5, seed=3)(x)), ref)


# ---------------------------------------------------------------- behaviour
@pytest.mark.parametrize("cls", [minilstm.ReLU, minilstm.Tanh, minilstm.Dropout])
def test_parameter_free_layers_keep_their_inputs_dtype(cls, backend, dtype, rng):
    layer = cls()
    x = backend.asarray(rng.standard_normal((3, 4)), dtype)
    y = layer(x)
    dx = layer.backward(np.ones((3, 4)))  # float64 upstream: cast to the output's dtype
    assert check_dtype(y.dtype) == dtype and check_dtype(dx.dtype) == dtype
    assert layer.params == {} and layer.grads == {} and layer.state_dict() == {}
    layer.load_state_dict({})


def test_a_dtype_casts_the_input(rng):
    y = minilstm.Tanh(dtype="float32")(rng.standard_normal((2, 2)))
    assert check_dtype(y.dtype) == "float32"


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("p,error", [(-0.1, ValueError), (1.0, ValueError), ("0.5", TypeError)],
                         ids=["negative", "one", "string"])
def test_dropout_refuses_a_bad_p(p, error):
    with pytest.raises(error, match=r"p must be (a number )?in \[0, 1\)"):
        minilstm.Dropout(p)


@pytest.mark.parametrize("cls", [minilstm.ReLU, minilstm.Tanh, minilstm.Dropout])
def test_parameter_free_layers_refuse_bad_input(cls):
    layer = cls()
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros(3))
    with pytest.raises(TypeError, match="x must hold floating-point numbers"):
        layer(np.arange(3))
    layer(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape \(2, 3\)"):
        layer.backward(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="mode must be True or False"):
        layer.train("no")
    with pytest.raises(ValueError, match=r"unexpected keys \['weight'\]"):
        layer.load_state_dict({"weight": np.zeros(2)})


def test_parameter_free_layers_refuse_a_bad_dtype():
    with pytest.raises(ValueError, match="dtype must be one of"):
        minilstm.ReLU(dtype="int8")
