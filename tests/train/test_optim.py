"""Optimizers and gradient clipping.

Each optimizer is checked three ways: its first step written out by hand from
the published equations (no PyTorch needed), five steps against torch.optim
in float64, and the same steps on every test backend against NumPy. Saving
and loading its state mid-run must continue bit for bit, and every bad input
must raise an error that names it.
"""
import io
import math

import numpy as np
import pytest
from conftest import close, rel_err

import minilstm
from minilstm.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    RMSprop,
    clip_grad_norm,
    clip_grad_value,
    global_norm,
    make_optimizer,
)

# (name, kwargs): every option of every optimizer, each kwarg also a torch.optim argument
CASES = [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.1, weight_decay=0.1)),
    ("sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("adam", dict()),
    ("adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adamw", dict()),
    ("adamw", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("rmsprop", dict()),
    ("rmsprop", dict(alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("rmsprop", dict(momentum=0.9)),
    ("adagrad", dict()),
    ("adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.1)),
]
IDS = [f"{n}-" + "-".join(f"{k}={v}" for k, v in kw.items()) for n, kw in CASES]
by_case = pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
SHAPES = {"weight": (3, 4), "bias": (4,)}
STEPS = 5


def host_problem(seed=0):
    """Float64 host params and a list of STEPS gradient dicts drawn from a seeded generator."""
    r = np.random.default_rng(seed)
    params = {k: r.standard_normal(s) for k, s in SHAPES.items()}
    grads = [{k: r.standard_normal(s) for k, s in SHAPES.items()} for _ in range(STEPS)]
    return params, grads


def run(name, kwargs, params, grads):
    opt = make_optimizer(name, params, **kwargs)
    for g in grads:
        opt.step(g)
    return opt


# ---------------------------------------------------------------------- by hand, from the equations
THETA, G = [1.0, -2.0], [0.5, 0.25]
HAND = [  # (class, kwargs, theta after one step with gradient G)
    (SGD, dict(lr=0.1), [1 - 0.1 * 0.5, -2 - 0.1 * 0.25]),
    # g + wd*theta = [0.6, 0.05]; momentum buffer b = g; theta - lr*b
    (SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1), [1 - 0.1 * 0.6, -2 - 0.1 * 0.05]),
    # nesterov: g + momentum*b = 1.9*g
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1), [1 - 0.1 * 1.9 * 0.6, -2 - 0.1 * 1.9 * 0.05]),
    # bias-corrected first step: m_hat = g, v_hat = g**2, so theta - lr*g/(|g| + eps)
    (Adam, dict(lr=0.1), [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 - 0.1 * 0.25 / (0.25 + 1e-8)]),
    (Adam, dict(lr=0.1, weight_decay=0.1), [1 - 0.1 * 0.6 / (0.6 + 1e-8), -2 - 0.1 * 0.05 / (0.05 + 1e-8)]),
    # decoupled: theta*(1 - lr*wd) first, then the same step as Adam's
    (AdamW, dict(lr=0.1, weight_decay=0.1), [0.99 - 0.1 * 0.5 / (0.5 + 1e-8), -1.98 - 0.1 * 0.25 / (0.25 + 1e-8)]),
    # v = (1 - 0.99)*g**2, sqrt(v) = 0.1*|g|
    (RMSprop, dict(lr=0.01), [1 - 0.01 * 0.5 / (0.05 + 1e-8), -2 - 0.01 * 0.25 / (0.025 + 1e-8)]),
    (RMSprop, dict(lr=0.01, momentum=0.9), [1 - 0.01 * 0.5 / (0.05 + 1e-8), -2 - 0.01 * 0.25 / (0.025 + 1e-8)]),
    # state_sum = 0.75 + g**2 = [1, 0.8125]
    (Adagrad, dict(lr=0.1, initial_accumulator_value=0.75),
     [1 - 0.1 * 0.5 / (1 + 1e-10), -2 - 0.1 * 0.25 / (math.sqrt(0.8125) + 1e-10)]),
]


@pytest.mark.parametrize("cls,kwargs,expected", HAND, ids=[f"{c.__name__}-{kw}" for c, kw, _ in HAND])
def test_first_step_by_hand(cls, kwargs, expected):
    params = {"theta": np.array(THETA)}
    cls(params, **kwargs).step({"theta": np.array(G)})
    np.testing.assert_allclose(params["theta"], expected, rtol=1e-15, atol=0)


def test_adam_second_step_by_hand():
    """The bias correction at t = 2: m_hat = (0.1*g1*0.9 + 0.1*g2)/(1 - 0.81), likewise v_hat."""
    params = {"theta": np.array([1.0])}
    opt = Adam(params, lr=0.1)
    opt.step({"theta": np.array([0.5])})
    opt.step({"theta": np.array([-1.0])})
    m_hat = (0.9 * 0.1 * 0.5 + 0.1 * -1.0) / (1 - 0.9 ** 2)
    v_hat = (0.999 * 0.001 * 0.25 + 0.001 * 1.0) / (1 - 0.999 ** 2)
    theta1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    np.testing.assert_allclose(params["theta"], [theta1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)], rtol=1e-14)


def test_sgd_nesterov_second_step_by_hand():
    """Momentum shows from t = 2: b = 0.9*0.5 - 1 = -0.55, and nesterov looks ahead g + 0.9*b."""
    params = {"theta": np.array([1.0])}
    opt = SGD(params, lr=0.1, momentum=0.9, nesterov=True)
    opt.step({"theta": np.array([0.5])})   # b = 0.5, theta = 1 - 0.1*(0.5 + 0.45)
    opt.step({"theta": np.array([-1.0])})
    np.testing.assert_allclose(params["theta"], [1 - 0.1 * 0.95 - 0.1 * (-1.0 + 0.9 * -0.55)], rtol=1e-15)


# ---------------------------------------------------------------------- against PyTorch
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@by_case
def test_matches_torch(name, kwargs, torch):
    params, grads = host_problem()
    ref = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}[name]
    ref_opt = cls(ref.values(), **kwargs)
    run(name, kwargs, params, grads)
    for g in grads:
        for k, t in ref.items():
            t.grad = torch.tensor(g[k])
        ref_opt.step()
    for k in SHAPES:
        assert rel_err(params[k], ref[k].detach().numpy()) < 1e-12, k


def test_clip_grad_norm_matches_torch(torch):
    _, (grads, *_) = host_problem()
    ref = [torch.tensor(g, requires_grad=True) for g in grads.values()]
    for t, g in zip(ref, grads.values()):
        t.grad = torch.tensor(g)
    norm = clip_grad_norm(grads, 0.5)
    assert abs(norm - float(torch.nn.utils.clip_grad_norm_(ref, 0.5))) < 1e-12 * norm
    for t, g in zip(ref, grads.values()):  # torch divides by norm + 1e-6
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-5)


# ---------------------------------------------------------------------- backends
@by_case
def test_backends_match_numpy(name, kwargs, backend, dtype):
    """Steps on each backend (in place, on its device) equal NumPy's, and so does a save/load there."""
    host, grads = host_problem()
    ref = {k: v.astype(dtype) for k, v in host.items()}
    run(name, kwargs, ref, [{k: v.astype(dtype) for k, v in g.items()} for g in grads])

    params = {k: backend.asarray(v, dtype) for k, v in host.items()}
    first = params["weight"]
    dev = [{k: backend.asarray(v, dtype) for k, v in g.items()} for g in grads]
    opt = run(name, kwargs, params, dev[:3])
    again = make_optimizer(name, params, **kwargs)
    again.load_state_dict(opt.state_dict())
    for g in dev[3:]:
        again.step(g)
    assert params["weight"] is first  # updated in place
    assert isinstance(params["weight"], backend.array_type)
    for k in SHAPES:
        assert close(params[k], ref[k], dtype), k


def test_trains_an_lstm():
    """Adam on an LSTM's params and grads dicts lowers a regression loss."""
    r = np.random.default_rng(0)
    layer = minilstm.LSTM(3, 4, seed=0, dtype="float64")
    x, y = r.standard_normal((6, 2, 3)), 0.5 * r.standard_normal((6, 2, 4))
    opt = Adam(layer.params, lr=0.05)
    losses = []
    for _ in range(30):
        out, _ = layer(x)
        losses.append(float(np.mean((out - y) ** 2)))
        layer.backward(2 * (out - y) / out.size)
        opt.step(layer.grads)
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------------- state
@by_case
def test_save_load_continues_bit_for_bit(name, kwargs):
    """3 steps, halve lr (as a schedule would), save to a file, load into a fresh optimizer made
    with the original arguments, 2 more steps: the same bits as 5 steps in one go."""
    params, grads = host_problem()
    whole = {k: v.copy() for k, v in params.items()}
    opt = run(name, kwargs, whole, grads[:3])
    opt.lr = opt.lr / 2
    for g in grads[3:]:
        opt.step(g)

    opt = run(name, kwargs, params, grads[:3])
    opt.lr = opt.lr / 2
    saved = opt.state_dict()
    assert all(isinstance(v, (int, float, np.ndarray)) for v in saved.values())
    file = io.BytesIO()
    np.savez(file, **saved)  # plain arrays and numbers survive a file
    file.seek(0)
    loaded = {k: (v.item() if v.ndim == 0 else v) for k, v in np.load(file).items()}

    fresh = {k: v.copy() for k, v in params.items()}
    opt2 = make_optimizer(name, fresh, **kwargs)
    opt2.load_state_dict(loaded)
    assert (opt2.t, opt2.lr) == (3, opt.lr)
    for g in grads[3:]:
        opt2.step(g)
    for k in SHAPES:
        assert np.array_equal(fresh[k], whole[k]), k


def test_state_dict_is_a_copy_on_the_host():
    params, (g, *_) = host_problem()
    opt = Adam(params)
    opt.step(g)
    sd = opt.state_dict()
    assert set(sd) == {"lr", "step", "m/weight", "m/bias", "v/weight", "v/bias"}
    sd["m/weight"][...] = 0.0
    assert np.any(opt.state["m"]["weight"] != 0.0)


def test_lr_is_settable():
    params, (g, *_) = host_problem()
    opt = SGD(params, lr=0.1)
    opt.lr = 0.0  # a cosine schedule reaches 0
    before = params["weight"].copy()
    opt.step(g)
    assert np.array_equal(params["weight"], before)


# ---------------------------------------------------------------------- clipping
def test_clip_grad_norm_rescales_to_max_norm():
    _, (grads, *_) = host_problem()
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads.values()))
    before = {k: g.copy() for k, g in grads.items()}
    assert abs(global_norm(grads) - norm) < 1e-12 * norm
    assert clip_grad_norm(grads, 0.5) == pytest.approx(norm, rel=1e-12)  # the pre-clip norm
    assert global_norm(grads) == pytest.approx(0.5, rel=1e-12)
    for k in grads:  # the direction is kept
        np.testing.assert_allclose(grads[k], before[k] * 0.5 / norm, rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients():
    _, (grads, *_) = host_problem()
    before = {k: g.copy() for k, g in grads.items()}
    norm = clip_grad_norm(grads, 1e3)
    assert norm == pytest.approx(global_norm(before), rel=1e-15)
    for k in grads:
        assert np.array_equal(grads[k], before[k])


def test_clip_grad_norm_leaves_non_finite_gradients():
    grads = {"w": np.array([np.inf, 1.0])}
    assert clip_grad_norm(grads, 1.0) == math.inf
    assert np.array_equal(grads["w"], [np.inf, 1.0])


def test_clip_grad_value_clamps(backend):
    grads = {"w": backend.asarray([[-3.0, -0.5], [0.25, 2.0]], "float64")}
    first = grads["w"]
    clip_grad_value(grads, 1.0)
    assert grads["w"] is first
    assert np.array_equal(minilstm.to_numpy(grads["w"]), [[-1.0, -0.5], [0.25, 1.0]])


def test_clip_grad_norm_on_backends(backend, dtype):
    grads = {"w": backend.asarray([[3.0, 0.0], [0.0, 4.0]], dtype)}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(5.0)
    assert close(grads["w"], np.array([[0.6, 0.0], [0.0, 0.8]]), dtype)


# ---------------------------------------------------------------------- bad input
def ok_params():
    return {"w": np.zeros((2, 3)), "b": np.zeros(3)}


BAD_ARGS = [  # (class, kwargs, error, message)
    (SGD, dict(lr=0.0), ValueError, r"lr must be a finite number > 0.0, got 0.0"),
    (SGD, dict(lr=-1.0), ValueError, r"lr must be a finite number > 0.0, got -1.0"),
    (Adam, dict(lr=math.inf), ValueError, r"lr must be a finite number > 0.0, got inf"),
    (Adam, dict(lr="0.1"), TypeError, r"lr must be a real number, got str '0.1'"),
    (Adam, dict(lr=True), TypeError, r"lr must be a real number, got bool True"),
    (SGD, dict(lr=0.1, momentum=-0.5), ValueError, r"momentum must be a finite number >= 0.0, got -0.5"),
    (SGD, dict(lr=0.1, nesterov=True), ValueError, r"nesterov=True needs a momentum > 0"),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=1), TypeError, r"nesterov must be True or False, got int 1"),
    (SGD, dict(lr=0.1, weight_decay=-0.1), ValueError, r"weight_decay must be a finite number >= 0.0, got -0.1"),
    (Adam, dict(betas=(1.0, 0.999)), ValueError, r"beta1 must be in \[0, 1\), got 1.0"),
    (Adam, dict(betas=(0.9, -0.1)), ValueError, r"beta2 must be in \[0, 1\), got -0.1"),
    (AdamW, dict(betas=0.9), TypeError, r"betas must be a pair \(beta1, beta2\), got float 0.9"),
    (AdamW, dict(betas=(0.9, 0.99, 0.999)), TypeError, r"betas must be a pair"),
    (Adam, dict(eps=-1e-8), ValueError, r"eps must be a finite number > 0.0, got -1e-08"),
    (AdamW, dict(weight_decay=-0.01), ValueError, r"weight_decay must be a finite number >= 0.0"),
    (RMSprop, dict(alpha=1.0), ValueError, r"alpha must be in \[0, 1\), got 1.0"),
    (RMSprop, dict(momentum=-0.9), ValueError, r"momentum must be a finite number >= 0.0"),
    (Adagrad, dict(initial_accumulator_value=-1.0), ValueError,
     r"initial_accumulator_value must be a finite number >= 0.0, got -1.0"),
    (Adagrad, dict(eps=-1.0), ValueError, r"eps must be a finite number > 0.0"),
    # eps = 0 divides 0 by 0 for an entry whose gradient has been 0 so far: nan weights
    (Adam, dict(eps=0.0), ValueError, r"eps must be a finite number > 0.0, got 0.0"),
    (AdamW, dict(eps=0), ValueError, r"eps must be a finite number > 0.0, got 0.0"),
    (RMSprop, dict(eps=0.0), ValueError, r"eps must be a finite number > 0.0, got 0.0"),
    (Adagrad, dict(eps=0.0), ValueError, r"eps must be a finite number > 0.0, got 0.0"),
]


@pytest.mark.parametrize("cls,kwargs,err,match", BAD_ARGS, ids=[m[:40] for *_, m in BAD_ARGS])
def test_bad_hyperparameters(cls, kwargs, err, match):
    with pytest.raises(err, match=match):
        cls(ok_params(), **kwargs)


@pytest.mark.parametrize("params,err,match", [
    ([np.zeros(3)], TypeError, r"params must be a dict of name -> array \(such as layer.params\), got list"),
    ({}, ValueError, r"params must hold at least one array, got an empty dict"),
    ({"w": [1.0, 2.0]}, TypeError, r"params\['w'\] must be an array, got list"),
    ({"w": np.zeros(3, dtype=np.int64)}, TypeError,
     r"params\['w'\] must be a float32 or float64 array, got dtype int64"),
])
def test_bad_params(params, err, match):
    with pytest.raises(err, match=match):
        Adam(params)


@pytest.mark.parametrize("grads,err,match", [
    (None, TypeError, r"grads must be a dict of name -> array \(such as layer.grads\), got NoneType"),
    ({"w": np.zeros((2, 3))}, ValueError, r"grads does not match params: missing keys \['b'\], unexpected keys \[\]"),
    ({"w": np.zeros((2, 3)), "b": np.zeros(3), "c": np.zeros(1)}, ValueError,
     r"missing keys \[\], unexpected keys \['c'\]"),
    ({"w": np.zeros((3, 2)), "b": np.zeros(3)}, ValueError,
     r"grads\['w'\] must have shape \(2, 3\) \(the shape of params\['w'\]\), got \(3, 2\)"),
    ({"w": np.zeros((2, 3), dtype=np.float32), "b": np.zeros(3)}, TypeError,
     r"grads\['w'\] must be an array of the namespace, dtype and device of params\['w'\] \(ndarray float64\), "
     r"got ndarray float32"),
])
def test_bad_grads(grads, err, match):
    params = ok_params()
    opt = SGD(params, lr=0.1)
    with pytest.raises(err, match=match):
        opt.step(grads)
    assert opt.t == 0 and np.all(params["w"] == 0.0)  # nothing was changed


def test_grads_on_another_device():
    aas = pytest.importorskip("array_api_strict")
    with minilstm.backend_scope(aas, aas.Device("device1")) as be:
        params = {"w": be.asarray(np.zeros(3), "float64")}
    grads = {"w": aas.asarray(np.zeros(3))}
    with pytest.raises(TypeError, match=r"grads\['w'\] must be an array of the namespace, dtype and device"):
        SGD(params, lr=0.1).step(grads)


def test_bad_lr_assignment():
    opt = SGD(ok_params(), lr=0.1)
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0.0, got -0.1"):
        opt.lr = -0.1
    assert opt.lr == 0.1


def test_unknown_optimizer():
    with pytest.raises(ValueError, match=r"optimizer name must be one of \('sgd', 'adam', 'adamw', "
                                         r"'rmsprop', 'adagrad'\), got 'adadelta'"):
        make_optimizer("adadelta", ok_params())


def saved_adam():
    opt = Adam(ok_params())
    return opt, opt.state_dict()


@pytest.mark.parametrize("change,err,match", [
    (lambda sd: sd.pop("v/b"), ValueError,
     r"state_dict does not match Adam: missing keys \['v/b'\], unexpected keys \[\]"),
    (lambda sd: sd.update(extra=1), ValueError, r"missing keys \[\], unexpected keys \['extra'\]"),
    (lambda sd: sd.update({"m/w": np.zeros((3, 2))}), ValueError,
     r"state_dict\['m/w'\] must have shape \(2, 3\) \(the shape of params\['w'\]\), got \(3, 2\)"),
    (lambda sd: sd.update({"m/w": np.zeros((2, 3), dtype=int)}), TypeError,
     r"state_dict\['m/w'\] must hold floats, got dtype int64"),
    (lambda sd: sd.update(step=-1), ValueError, r"state_dict\['step'\] must be an int >= 0, got -1"),
    (lambda sd: sd.update(step=1.5), TypeError, r"state_dict\['step'\] must be an int >= 0, got float 1.5"),
    (lambda sd: sd.update(lr=-1.0), ValueError, r"state_dict\['lr'\] must be a finite number >= 0.0, got -1.0"),
])
def test_bad_state_dict(change, err, match):
    opt, sd = saved_adam()
    opt.step({"w": np.ones((2, 3)), "b": np.ones(3)})
    before = opt.state_dict()
    change(sd)
    with pytest.raises(err, match=match):
        opt.load_state_dict(sd)
    after = opt.state_dict()  # a failed load changes nothing
    assert after["step"] == 1 and all(np.array_equal(after[k], before[k]) for k in before)


def test_state_dict_not_a_dict():
    with pytest.raises(TypeError, match=r"state_dict must be a dict, got list"):
        Adam(ok_params()).load_state_dict([])


def test_load_state_dict_needs_the_params_backend():
    aas = pytest.importorskip("array_api_strict")
    with minilstm.backend_scope(aas, aas.Device("device1")) as be:
        opt = Adam({"w": be.asarray(np.zeros(3), "float64")})
        sd = opt.state_dict()
    with pytest.raises(RuntimeError, match=r"params\['w'\] is a Array but the active backend is 'numpy'"):
        opt.load_state_dict(sd)


@pytest.mark.parametrize("call,err,match", [
    (lambda g: clip_grad_norm(g, 0.0), ValueError, r"max_norm must be a finite number > 0.0, got 0.0"),
    (lambda g: clip_grad_norm(g, -1), ValueError, r"max_norm must be a finite number > 0.0, got -1.0"),
    (lambda g: clip_grad_norm(g, None), TypeError, r"max_norm must be a real number, got NoneType"),
    (lambda g: clip_grad_value(g, 0.0), ValueError, r"clip_value must be a finite number > 0.0, got 0.0"),
    (lambda g: clip_grad_value(g, math.nan), ValueError, r"clip_value must be a finite number > 0.0, got nan"),
    (lambda g: clip_grad_norm([g["w"]], 1.0), TypeError, r"grads must be a dict of name -> array"),
    (lambda g: clip_grad_value({}, 1.0), ValueError, r"grads must hold at least one array"),
    (lambda g: global_norm({"w": 1.0}), TypeError, r"grads\['w'\] must be an array, got float"),
])
def test_bad_clipping(call, err, match):
    with pytest.raises(err, match=match):
        call({"w": np.ones(3)})


def test_global_norm_of_an_exploding_float32_gradient_is_finite_and_silent():
    """Entries near 1e30 in float32: squaring would overflow (and warn); the norm is still finite and exact."""
    from minilstm.optim import clip_grad_norm, global_norm
    g = {"w": np.full((3, 4), 1e30, dtype=np.float32), "b": np.zeros(0, dtype=np.float32)}
    assert global_norm(g) == pytest.approx(1e30 * np.sqrt(12), rel=1e-6)
    assert clip_grad_norm(g, 1.0) == pytest.approx(1e30 * np.sqrt(12), rel=1e-6)
    assert global_norm(g) == pytest.approx(1.0, rel=1e-5)
    assert global_norm({"w": np.array([np.inf, 1.0])}) == np.inf
