"""GaussianHead and GaussianNLLLoss: gradient checks, PyTorch parity, the variance's floor and input checks."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm.backend import check_dtype
from minilstm.gradcheck import check_gradients, gradcheck

N, D, F = 6, 3, 2


def _torch_head(torch):
    """A torch module with ``mean`` and ``var`` Linears, as a PyTorch article writes the head."""

    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mean = torch.nn.Linear(D, F, dtype=torch.float64)
            self.var = torch.nn.Linear(D, F, dtype=torch.float64)

        def forward(self, x):
            return self.mean(x), torch.nn.functional.softplus(self.var(x)) + 1e-6

    return Head()


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_gaussian_head_gradients(bias, backend, rng):
    layer = minilstm.GaussianHead(D, F, bias=bias, seed=0, dtype="float64")
    report = gradcheck(layer, rng.standard_normal((4, N, D)), max_entries=None)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == set(layer.params) | {"x"}


@pytest.mark.parametrize("var_shape", [(N, F), (N,), (N, 1)], ids=["per-entry", "per-row", "per-row-1"])
@pytest.mark.parametrize("masked", [False, True], ids=["all", "masked"])
def test_gaussian_nll_gradients(var_shape, masked, backend, rng):
    mean = backend.asarray(rng.standard_normal((N, F)), "float64")
    var = backend.asarray(rng.uniform(0.2, 2.0, var_shape), "float64")
    target = rng.standard_normal((N, F))
    mask = np.array([1, 1, 0, 1, 0, 1], dtype=bool) if masked else None

    def f():
        return minilstm.gaussian_nll_loss(mean, target, var, mask, full=True)[0]

    _, (dmean, dvar) = minilstm.gaussian_nll_loss(mean, target, var, mask, full=True)
    report = check_gradients(f, {"mean": mean, "var": var}, {"mean": dmean, "var": dvar})
    assert report.passed(1e-6), str(report)


# ---------------------------------------------------------------- parity with PyTorch
@pytest.mark.parametrize("kwargs", [{}, {"full": True}, {"reduction": "sum"}, {"eps": 0.5}],
                         ids=["default", "full", "sum", "eps-clamps"])
@pytest.mark.parametrize("var_shape", [(N, F), (N,), (N, 1), (1, F)], ids=["per-entry", "per-row", "per-row-1",
                                                                           "per-feature"])
def test_gaussian_nll_matches_torch(var_shape, kwargs, backend, rng):
    """Values and gradients of torch.nn.GaussianNLLLoss, the eps clamp included (its gradient
    passes the clamp unchanged in both)."""
    torch = pytest.importorskip("torch")
    mean, target = rng.standard_normal((N, F)), rng.standard_normal((N, F))
    var = rng.uniform(0.01, 2.0, var_shape)
    mt, vt = torch.tensor(mean, requires_grad=True), torch.tensor(var, requires_grad=True)
    loss_t = torch.nn.GaussianNLLLoss(**kwargs)(mt, torch.tensor(target), vt)
    loss_t.backward()

    loss_fn = minilstm.GaussianNLLLoss(**kwargs)
    loss = loss_fn(mean, target, var)
    dmean, dvar = loss_fn.backward()
    assert abs(loss - loss_t.item()) <= 1e-12 * abs(loss_t.item())
    assert close(dmean, mt.grad.numpy(), "float64")
    assert close(dvar, vt.grad.numpy(), "float64")


def test_head_and_loss_match_torch(backend, rng):
    """A torch head's state_dict loads as it is; the head trained by the NLL gets torch's gradients."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = _torch_head(torch)
    ours = minilstm.GaussianHead(D, F, dtype="float64")
    ours.load_state_dict(ref.state_dict())
    x, target = rng.standard_normal((N, D)), rng.standard_normal((N, F))
    xt = torch.tensor(x, requires_grad=True)
    mean_t, var_t = ref(xt)
    torch.nn.GaussianNLLLoss()(mean_t, torch.tensor(target), var_t).backward()

    mean, var = ours(x)
    loss_fn = minilstm.GaussianNLLLoss()
    loss_fn(mean, target, var)
    dx = ours.backward(*loss_fn.backward())
    assert close(dx, xt.grad.numpy(), "float64")
    for name, p in ref.named_parameters():
        assert close(ours.grads[name], p.grad.numpy(), "float64"), name


# ---------------------------------------------------------------- behaviour
def test_variance_is_softplus_plus_a_floor_without_overflow(backend, dtype):
    layer = minilstm.GaussianHead(1, 3, seed=0, dtype=dtype)
    layer.load_state_dict({"mean.weight": np.zeros((3, 1)), "mean.bias": np.zeros(3),
                           "var.weight": np.ones((3, 1)), "var.bias": np.zeros(3)})
    z = np.array([[-1e4], [0.0], [1e4]])
    _, var = layer(z)
    var = minilstm.to_numpy(var)[:, 0].astype(np.float64)
    np.testing.assert_allclose(var, [1e-6, np.log(2) + 1e-6, 1e4], rtol=1e-6)  # floor, log 2, z
    dx = minilstm.to_numpy(layer.backward(np.zeros((3, 3)), np.ones((3, 3))))[:, 0]
    np.testing.assert_allclose(dx, [0.0, 1.5, 3.0], rtol=1e-6)  # sum over F of sigmoid(z) * 1


def test_masked_rows_add_nothing(backend, rng):
    mean, target, var = rng.standard_normal((N, F)), rng.standard_normal((N, F)), rng.uniform(0.5, 1, (N, F))
    mask = np.array([1, 0, 1, 1, 0, 1], dtype=bool)
    loss, (dmean, dvar) = minilstm.gaussian_nll_loss(mean, target, var, mask)
    kept, _ = minilstm.gaussian_nll_loss(mean[mask], target[mask], var[mask])
    assert abs(loss - kept) <= 1e-12 * abs(kept)
    assert np.all(minilstm.to_numpy(dmean)[~mask] == 0) and np.all(minilstm.to_numpy(dvar)[~mask] == 0)


def test_gaussian_head_keeps_dtype(backend, dtype, rng):
    layer = minilstm.GaussianHead(D, F, seed=0, dtype=dtype)
    mean, var = layer(rng.standard_normal((N, D)))
    dx = layer.backward(np.ones((N, F)), np.ones((N, F)))
    loss, grads = minilstm.gaussian_nll_loss(mean, np.zeros((N, F)), var)
    assert isinstance(loss, float)
    assert {check_dtype(a.dtype) for a in (mean, var, dx, *grads, *layer.grads.values())} == {dtype}


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("var,target,kwargs,error,match", [
    (-np.ones((N, F)), None, {}, ValueError, "var must be non-negative"),
    (np.ones((N, 3)), None, {}, ValueError, r"var must have mean's shape \(6, 2\), .* got \(6, 3\)"),
    (np.ones((1, 1)), None, {}, ValueError, r"var must have mean's shape"),
    (np.ones((N, F)), np.zeros((N, 1)), {}, ValueError, "mean and target must have the same shape"),
    (np.ones((N, F)), None, {"reduction": "none"}, ValueError, "reduction must be one of"),
    (np.ones((N, F)), None, {"eps": 0.0}, ValueError, "eps must be a finite number > 0"),
    (np.ones((N, F), dtype=int), None, {}, TypeError, "var must hold floating-point numbers"),
], ids=["negative-var", "var-shape", "var-two-axes", "target-shape", "reduction", "eps", "int-var"])
def test_gaussian_nll_refuses_bad_input(var, target, kwargs, error, match):
    target = np.zeros((N, F)) if target is None else target
    with pytest.raises(error, match=match):
        minilstm.gaussian_nll_loss(np.zeros((N, F)), target, var, **kwargs)


def test_gaussian_nll_loss_object_refuses_bad_options_and_early_backward():
    with pytest.raises(ValueError, match="reduction must be one of"):
        minilstm.GaussianNLLLoss(reduction="none")
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        minilstm.GaussianNLLLoss().backward()


def test_gaussian_head_refuses_bad_input():
    with pytest.raises(ValueError, match="min_var must be a finite number > 0"):
        minilstm.GaussianHead(D, F, min_var=0.0)
    with pytest.raises(ValueError, match=r"^min_var must be a number > 0 in the layer's dtype float32 \(at least "
                                         r"1.401e-45\), got 1e-50$"):  # 0 in float32: var could be 0
        minilstm.GaussianHead(D, F, min_var=1e-50)
    with pytest.raises(ValueError, match=r"^min_var must be finite in the layer's dtype float32 "):
        minilstm.GaussianHead(D, F, min_var=1e39)
    assert minilstm.GaussianHead(D, F, min_var=1e-50, dtype="float64").min_var == 1e-50
    layer = minilstm.GaussianHead(D, F)
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((N, F)), np.zeros((N, F)))
    with pytest.raises(ValueError, match=r"in_features=3 in its last axis, got shape \(6, 2\)"):
        layer(np.zeros((N, 2)))
    layer(np.zeros((N, D)))
    with pytest.raises(ValueError, match=r"dvar must have shape \(6, 2\)"):
        layer.backward(np.zeros((N, F)), np.zeros((N, 1)))
