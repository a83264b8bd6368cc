"""The losses: one name each (a function and its module), gradient checks, PyTorch parity, masks, stability and input
checks."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm.backend import check_dtype
from minilstm.gradcheck import check_gradients

T, B, F, C = 4, 3, 2, 5


def _mask(rng):
    """A (T, B) 0/1 mask with a masked-out position in every sequence but one."""
    mask = np.ones((T, B), dtype=bool)
    mask[-1, 1:] = False
    mask[0, 2] = False
    return mask


def _targets(rng, mask=None):
    """(T, B) class indices, -1 (padding) where ``mask`` is False."""
    t = rng.integers(0, C, size=(T, B))
    return t if mask is None else np.where(mask, t, -1)


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("masked", [False, True], ids=["all", "masked"])
def test_mse_gradients(masked, backend, rng):
    pred = backend.asarray(rng.standard_normal((T, B, F)), "float64")
    target = rng.standard_normal((T, B, F))
    mask = _mask(rng) if masked else None
    _, dpred = minilstm.mse_loss(pred, target, mask)
    report = check_gradients(lambda: minilstm.mse_loss(pred, target, mask)[0], {"pred": pred}, {"pred": dpred})
    assert report.passed(1e-6), str(report)


@pytest.mark.parametrize("masked", [False, True], ids=["all", "masked"])
def test_cross_entropy_gradients(masked, backend, rng):
    logits = backend.asarray(rng.standard_normal((T, B, C)), "float64")
    mask = _mask(rng) if masked else None
    targets = _targets(rng, mask)
    _, dlogits = minilstm.cross_entropy(logits, targets, mask)
    report = check_gradients(lambda: minilstm.cross_entropy(logits, targets, mask)[0],
                             {"logits": logits}, {"logits": dlogits})
    assert report.passed(1e-6), str(report)


# ---------------------------------------------------------------- parity with PyTorch
def test_mse_matches_torch(backend, dtype, rng):
    torch = pytest.importorskip("torch")
    pred, target = rng.standard_normal((2, T, B, F)).astype(dtype)
    pt = torch.tensor(pred, requires_grad=True)
    ref = torch.nn.MSELoss()(pt, torch.tensor(target))
    ref.backward()
    loss = minilstm.MSELoss()
    assert close(loss(pred, target), ref.item(), dtype)
    assert close(loss.backward(), pt.grad.numpy(), dtype)


def test_masked_mse_matches_torch_on_the_kept_rows(backend, rng):
    torch = pytest.importorskip("torch")
    pred, target = rng.standard_normal((2, T, B, F))
    mask = _mask(rng)
    pt = torch.tensor(pred[mask], requires_grad=True)  # (kept, F)
    ref = torch.nn.MSELoss()(pt, torch.tensor(target[mask]))
    ref.backward()
    loss, dpred = minilstm.mse_loss(pred, target, mask)
    assert close(loss, ref.item(), "float64")
    assert close(minilstm.to_numpy(dpred)[mask], pt.grad.numpy(), "float64")


def test_cross_entropy_matches_torch(backend, dtype, rng):
    torch = pytest.importorskip("torch")
    logits = rng.standard_normal((T, B, C)).astype(dtype)
    targets = _targets(rng)
    lt = torch.tensor(logits.reshape(T * B, C), requires_grad=True)
    ref = torch.nn.CrossEntropyLoss(reduction="mean")(lt, torch.tensor(targets.reshape(-1)))
    ref.backward()
    loss = minilstm.CrossEntropyLoss()
    assert close(loss(logits, targets), ref.item(), dtype)
    assert close(minilstm.to_numpy(loss.backward()).reshape(T * B, C), lt.grad.numpy(), dtype)


def test_masked_cross_entropy_matches_torch_on_the_kept_rows(backend, rng):
    torch = pytest.importorskip("torch")
    logits = rng.standard_normal((T, B, C))
    mask = _mask(rng)
    targets = _targets(rng, mask)
    lt = torch.tensor(logits[mask], requires_grad=True)  # (kept, C)
    ref = torch.nn.CrossEntropyLoss(reduction="mean")(lt, torch.tensor(targets[mask]))
    ref.backward()
    loss, dlogits = minilstm.cross_entropy(logits, targets, mask)
    assert close(loss, ref.item(), "float64")
    assert close(minilstm.to_numpy(dlogits)[mask], lt.grad.numpy(), "float64")


# ---------------------------------------------------------------- masks, stability, dtypes
def test_masked_positions_have_exactly_zero_gradient(backend, rng):
    mask = _mask(rng)
    logits = 1e3 * rng.standard_normal((T, B, C))
    _, dlogits = minilstm.cross_entropy(logits, _targets(rng, mask), mask)
    _, dpred = minilstm.mse_loss(1e3 * rng.standard_normal((T, B, F)), np.zeros((T, B, F)), mask)
    assert np.all(minilstm.to_numpy(dlogits)[~mask] == 0.0)
    assert np.all(minilstm.to_numpy(dpred)[~mask] == 0.0)


def test_masked_positions_add_nothing_to_the_loss(backend, rng):
    mask = _mask(rng)
    targets = _targets(rng, mask)
    logits = rng.standard_normal((T, B, C))
    changed = np.where(mask[..., None], logits, 1e6)  # garbage where masked out
    a, _ = minilstm.cross_entropy(logits, targets, mask)
    b, _ = minilstm.cross_entropy(changed, targets, mask)
    assert a == b


def test_mse_mask_over_leading_axes_equals_the_full_mask(backend, rng):
    pred, target = rng.standard_normal((2, T, B, F))
    mask = _mask(rng)
    full = np.broadcast_to(mask[..., None], (T, B, F)).astype(np.float64)  # 0/1 floats, every axis
    a, da = minilstm.mse_loss(pred, target, mask)
    b, db = minilstm.mse_loss(pred, target, full)
    assert close(a, b, "float64") and close(da, db, "float64")


def test_huge_logits_give_a_finite_loss(backend, dtype):
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], dtype=dtype)
    loss, dlogits = minilstm.cross_entropy(logits, np.array([1, 2]))
    # row 0: -log p[1] = 1e4 (+ exp(-1e4), nothing); row 1: -log p[2] = log 2
    assert np.isfinite(loss) and close(loss, (1e4 + np.log(2.0)) / 2, dtype)
    assert np.all(np.isfinite(minilstm.to_numpy(dlogits)))


def _torch_cross_entropy(torch, logits, targets):
    """PyTorch's mean cross-entropy of (n, C) logits and its gradient, in float64."""
    lt = torch.tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    ref = torch.nn.functional.cross_entropy(lt, torch.tensor(targets))
    ref.backward()
    return ref.item(), lt.grad.numpy()


def test_a_minus_inf_logit_is_a_class_of_probability_zero(backend, dtype):
    torch = pytest.importorskip("torch")
    logits = np.array([[2.0, -np.inf, 0.5]], dtype=dtype)
    loss, dlogits = minilstm.cross_entropy(logits, np.array([0]))  # main: nan (0 * -inf)
    ref, ref_grad = _torch_cross_entropy(torch, logits, [0])
    assert ref == pytest.approx(0.2014132779827524, rel=1e-12)
    assert close(loss, ref, dtype) and close(dlogits, ref_grad, dtype)
    assert minilstm.to_numpy(dlogits)[0, 1] == 0.0  # exactly: exp(-inf) = 0


def test_a_minus_inf_target_logit_gives_an_infinite_loss_like_torch(backend, dtype):
    torch = pytest.importorskip("torch")
    logits = np.array([[2.0, -np.inf, 0.5], [0.1, 0.2, 0.3]], dtype=dtype)
    loss, dlogits = minilstm.cross_entropy(logits, np.array([1, 2]))
    ref, ref_grad = _torch_cross_entropy(torch, logits, [1, 2])
    assert loss == ref == np.inf
    assert close(dlogits, ref_grad, dtype)  # finite: p - onehot, with p = 0 at the target


def test_masked_cross_entropy_with_minus_inf_logits_matches_torch_on_the_kept_rows(backend, rng):
    torch = pytest.importorskip("torch")
    mask = _mask(rng)
    targets = _targets(rng, mask)
    logits = rng.standard_normal((T, B, C))
    logits[..., 0] = np.where(targets == 0, logits[..., 0], -np.inf)  # -inf wherever class 0 is not the target
    logits[~mask, 1:3] = -np.inf  # and in the masked-out (padded) rows
    loss, dlogits = minilstm.cross_entropy(logits, targets, mask)
    ref, ref_grad = _torch_cross_entropy(torch, logits[mask], targets[mask])
    assert np.isfinite(loss) and close(loss, ref, "float64")
    assert close(minilstm.to_numpy(dlogits)[mask], ref_grad, "float64")
    assert np.all(minilstm.to_numpy(dlogits)[~mask] == 0.0)


def test_evaluate_and_train_on_padded_steps_with_a_minus_inf_logit():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(0)
    X, Y = r.standard_normal((6, 7, 2)), r.integers(1, 3, (6, 7))  # classes 1 and 2 only
    lengths = np.array([7, 5, 3, 7, 2, 6])
    model = minilstm.Model(2, 4, 3, readout="all", seed=0, dtype="float64")
    model.head.params["bias"][0] = -np.inf  # class 0 is never predicted: its logit is -inf on every step
    data = (X, Y, lengths)
    logits = minilstm.predict(model, data)
    kept = np.arange(7)[None, :] < lengths[:, None]
    ref, _ = _torch_cross_entropy(torch, logits[kept], Y[kept])
    assert minilstm.evaluate(model, data)["loss"] == pytest.approx(ref, rel=1e-12)  # main: nan
    history = minilstm.train(model, data, epochs=2, batch_size=3, seed=0, progress=False)
    assert np.all(np.isfinite(history["train_loss"])) and history["skipped_steps"] == [0, 0]


def test_losses_keep_dtype(backend, dtype, rng):
    be = minilstm.get_backend()
    pred = be.asarray(rng.standard_normal((T, B, C)), dtype)
    _, dpred = minilstm.mse_loss(pred, rng.standard_normal((T, B, C)))
    _, dlogits = minilstm.cross_entropy(pred, _targets(rng))
    assert check_dtype(dpred.dtype) == dtype and check_dtype(dlogits.dtype) == dtype


@pytest.mark.parametrize("cls", [minilstm.MSELoss, minilstm.CrossEntropyLoss])
def test_loss_objects_return_a_float_and_the_gradient(cls, rng):
    pred = rng.standard_normal((T, B, C))
    target = _targets(rng) if cls is minilstm.CrossEntropyLoss else rng.standard_normal((T, B, C))
    fn = minilstm.cross_entropy if cls is minilstm.CrossEntropyLoss else minilstm.mse_loss
    loss = cls()
    value = loss.forward(pred, target)
    expected, grad = fn(pred, target)
    assert isinstance(value, float) and value == expected
    np.testing.assert_array_equal(minilstm.to_numpy(loss.backward()), minilstm.to_numpy(grad))


@pytest.mark.parametrize("cls", [minilstm.MSELoss, minilstm.CrossEntropyLoss])
def test_loss_backward_before_forward(cls):
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        cls().backward()


# ---------------------------------------------------------------- bad input, one case each
_P = np.zeros((2, 3, 4))       # pred / logits (T=2, B=3, C=4)
_T = np.zeros((2, 3), dtype=int)
BAD = {
    "mse-shape-mismatch": (minilstm.mse_loss, (_P, np.zeros((2, 4, 3)), None), ValueError,
                           r"pred \(2, 3, 4\) and target \(2, 4, 3\)"),
    "mse-integer-pred": (minilstm.mse_loss, (_T, _T, None), TypeError, "pred must hold floating-point"),
    "mse-empty": (minilstm.mse_loss, (np.zeros((0, 3)), np.zeros((0, 3)), None), ValueError,
                  r"nothing to average: shape \(0, 3\) is empty"),
    "ce-shape-mismatch": (minilstm.cross_entropy, (_P, np.zeros((3, 2), dtype=int), None), ValueError,
                          r"logits \(2, 3, 4\) and targets \(3, 2\)"),
    "ce-scalar-logits": (minilstm.cross_entropy, (1.0, 0, None), ValueError, r"logits \(\) and targets \(\)"),
    "ce-float-targets": (minilstm.cross_entropy, (_P, np.zeros((2, 3)), None), TypeError,
                         "targets must hold integers, got dtype float64"),
    "ce-target-too-big": (minilstm.cross_entropy, (_P, _T + 4, None), ValueError, r"in \[0, 4\)"),
    "ce-negative-target-kept": (minilstm.cross_entropy, (_P, _T - 1, np.ones((2, 3))), ValueError,
                                r"in \[0, 4\) where not masked out, got \[-1, "),
    "ce-one-class": (minilstm.cross_entropy, (np.zeros((2, 3, 1)), _T, None), ValueError,
                     r"logits must have at least 2 classes in the last axis, got C = 1 \(shape \(2, 3, 1\)\)"),
    "mask-wrong-shape": (minilstm.mse_loss, (_P, _P, np.ones((3, 2))), ValueError,
                         r"mask must have the leading axes of shape \(2, 3, 4\).*got \(3, 2\)"),
    "mask-not-0-1": (minilstm.mse_loss, (_P, _P, np.full((2, 3), 0.5)), ValueError, "booleans or 0/1 only"),
    "mask-strings": (minilstm.mse_loss, (_P, _P, np.full((2, 3), "y")), TypeError, "mask must hold booleans"),
    "mask-all-zero": (minilstm.cross_entropy, (_P, _T, np.zeros((2, 3), dtype=bool)), ValueError,
                      "the mask keeps no entries"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused(case):
    fn, args, err, match = BAD[case]
    with pytest.raises(err, match=match):
        fn(*args)


# ---------------------------------------------------------------- one name per loss
NAMES = {"mse_loss": "MSELoss", "cross_entropy": "CrossEntropyLoss", "gaussian_nll_loss": "GaussianNLLLoss"}


def test_each_loss_has_one_name_a_function_and_its_module():
    """PyTorch's pair (``torch.nn.functional.<name>`` and ``torch.nn.<Module>``), the function's name what
    ``loss=`` takes; no third spelling."""
    import importlib

    inference, train = (importlib.import_module(f"minilstm.{m}") for m in ("inference", "train"))
    torch = pytest.importorskip("torch")
    for fn, module in NAMES.items():
        assert getattr(minilstm, fn) is getattr(minilstm.nn, fn) and hasattr(torch.nn.functional, fn)
        assert callable(getattr(minilstm, module)().backward) and hasattr(torch.nn, module)
        assert fn in minilstm.nn.losses.__doc__ and module in minilstm.nn.losses.__doc__
    assert set(train.LOSSES) == set(NAMES)
    losses = {n for n in dir(minilstm) if "loss" in n.lower() or "entropy" in n or "nll" in n}
    assert losses == set(NAMES) | set(NAMES.values()), losses
    for gone in ("softmax_cross_entropy", "gaussian_nll"):
        assert not hasattr(minilstm, gone) and not hasattr(inference, gone) and not hasattr(train, gone)


def _gaussian_model():
    return minilstm.Sequential(minilstm.LSTM(2, 4, batch_first=True, seed=0), minilstm.LastStep(),
                               minilstm.GaussianHead(4, 1, seed=1))


@pytest.mark.parametrize("name", list(NAMES))
def test_a_loss_trains_alike_by_its_name_its_function_and_its_module(name):
    r = np.random.default_rng(0)
    X = r.standard_normal((12, 5, 2))
    Y = r.integers(0, 3, 12) if name == "cross_entropy" else r.standard_normal((12, 1))
    weights = []
    for loss in (name, getattr(minilstm, name), getattr(minilstm, NAMES[name])()):
        if name == "gaussian_nll_loss":
            model = _gaussian_model()
        else:
            model = minilstm.Model(2, 4, 3 if name == "cross_entropy" else 1, seed=0)
        history = minilstm.train(model, (X, Y), loss=loss, epochs=2, batch_size=4, seed=0, progress=False)
        weights.append((history["train_loss"], {k: minilstm.to_numpy(v).copy() for k, v in model.params.items()}))
    for losses, params in weights[1:]:
        assert losses == weights[0][0]
        for k in params:
            np.testing.assert_array_equal(params[k], weights[0][1][k], err_msg=k)


def test_a_former_loss_name_is_refused_naming_the_names():
    with pytest.raises(ValueError, match=r"loss must be one of \('mse_loss', 'cross_entropy', 'gaussian_nll_loss'\), "
                                         r"got 'gaussian_nll'"):
        minilstm.train(_gaussian_model(), (np.zeros((4, 5, 2)), np.zeros((4, 1))), loss="gaussian_nll",
                       progress=False)
