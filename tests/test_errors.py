"""Clear errors and bound objects (issue 11): every bad argument of the entry points is refused
at once, naming the argument, before anything is trained; an optimizer or a schedule bound to
something other than what is trained is refused; loss objects train like loss names."""
import sys

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import Model, MSELoss
from minilstm.data.dataset import Dataset
from minilstm.schedules import StepLR

T, F, N = 5, 3, 12


@pytest.fixture
def reg():
    """Sequences to one float each: (X, Y) of kind regression_last."""
    r = np.random.default_rng(0)
    return r.standard_normal((N, T, F)).astype(np.float32), r.standard_normal((N, 2)).astype(np.float32)


@pytest.fixture
def cls():
    """Sequences to a class id in [0, 3): (X, Y) of kind classify_last."""
    r = np.random.default_rng(1)
    return r.standard_normal((N, T, F)).astype(np.float32), np.arange(N) % 3


def model(out=2, **kw):
    return Model(F, 4, out, seed=0, **kw)


def fit(m, data, **kw):
    kw.setdefault("epochs", 1)
    kw.setdefault("progress", False)
    kw.setdefault("seed", 0)
    return minilstm.train(m, data, **kw)


@pytest.fixture
def no_batch(monkeypatch):
    """Counts the batches train takes: a check that fails must fail before the first."""
    calls = []
    train_module = sys.modules["minilstm.train"]
    real = train_module._train_batch

    def spy(*args, **kwargs):
        calls.append(1)
        yield from real(*args, **kwargs)
    monkeypatch.setattr(train_module, "_train_batch", spy)
    return calls


# ---------------------------------------------------------------- before the first batch
@pytest.mark.parametrize("kwargs,error,match", [
    (dict(callbacks=lambda epoch, logs, m: None), TypeError,
     r"callbacks must be a list of functions fn\(epoch, logs, model\), got function: put it in a list, "
     r"callbacks=\[fn\]"),
    (dict(callbacks=[print, 3]), TypeError, r"callbacks\[1\] must be a function fn\(epoch, logs, model\), got int"),
    (dict(metrics=[lambda p, d: 0.0]), TypeError,
     r"metrics must be a dict of name -> fn\(pred, dataset\) -> float, got list: give each a name, "
     r"metrics=\{'accuracy': fn\}"),
    (dict(metrics={"a": 0.5}), TypeError, r"metrics must map names \(str\) to functions .*got 'a': float"),
    (dict(schedule=("step",)), TypeError,
     r"schedule must be a name, a Schedule or a pair \(name, kwargs dict\) such as \('step', \{'step_size': 5\}\), "
     r"got tuple \('step',\)"),
    (dict(schedule=("step", {"steps": 5})), TypeError,
     r"schedule \('step', \{'steps': 5\}\): StepLR does not take these arguments"),
    (dict(schedule=("linear", {})), ValueError, r"schedule's name must be one of \('step', 'cosine', 'plateau'\)"),
    (dict(seed=-1), ValueError, r"seed must be an int >= 0, got -1"),
    (dict(seed=1.5), TypeError, r"seed must be an int >= 0, got float 1.5"),
    (dict(progress="no"), TypeError, r"progress must be True or False, got str 'no'"),
    (dict(optimizer=None), TypeError, r"optimizer must be one of \('sgd', .*\) or a minilstm Optimizer, got NoneType"),
    (dict(loss=MSELoss), TypeError, r"loss must be a loss object or a function, got the class MSELoss: make one, "
                                    r"loss=MSELoss\(\)"),
    (dict(loss=3), TypeError, r"loss must be a name \('mse_loss', 'cross_entropy', 'gaussian_nll_loss'\), a loss "
                              r"object"),
])
def test_a_bad_argument_is_refused_before_the_first_batch(kwargs, error, match, reg, no_batch):
    m = model()
    before = weights_of(m)
    with pytest.raises(error, match=match):
        fit(m, reg, val_data=reg, **kwargs)
    assert no_batch == []
    assert_same_weights(weights_of(m), before)


def test_metrics_without_val_data_are_refused(reg, no_batch):
    with pytest.raises(ValueError, match=r"metrics \['rmse'\] are computed on val_data, which was not given: "
                                         r"give val_data too"):
        fit(model(), reg, metrics={"rmse": lambda pred, ds: 0.0})
    assert no_batch == []


def test_val_data_must_be_scored_like_train_data(reg, cls, no_batch):
    X, Y = reg
    with pytest.raises(ValueError, match=r"val_data must be of train_data's kind 'regression_last', "
                                         r"got 'classify_last'"):
        fit(model(), reg, val_data=cls)
    with pytest.raises(ValueError, match=r"val_data's inputs must be like train_data's, \(N, T, 3\) float32, "
                                         r"got \(N, T, 4\) float32"):
        fit(model(), reg, val_data=(np.zeros((2, T, 4), np.float32), Y[:2]))
    assert no_batch == []


def test_class_ids_beyond_the_outputs_are_found_before_training(cls, no_batch):
    X, Y = cls
    val = (X, np.where(np.arange(N) == N - 1, 4, Y))  # one sequence of class 4, found only at the end on main
    with pytest.raises(ValueError, match=r"val_data's targets must be class indices in \[0, 3\) \(one per model "
                                         r"output\), got class ids up to 4: make the model with output_size=5"):
        fit(model(out=3), cls, val_data=val)
    assert no_batch == []


@pytest.mark.parametrize("Y", [np.arange(N) % 3, np.zeros(N, dtype=np.int64)], ids=["ids 0-2", "all 0"])
def test_a_one_output_model_is_not_trained_with_cross_entropy(Y, cls, no_batch):
    # with every target 0 the loss and its gradient are exactly 0: it would "train" silently
    with pytest.raises(ValueError, match=r"cross-entropy needs one model output per class, at least 2, but the "
                                         r"model has 1 output: make the model with output_size=[23]"):
        fit(model(out=1), (cls[0], Y))
    assert no_batch == []


def test_a_loss_function_must_return_a_pair(reg):
    with pytest.raises(TypeError, match=r"loss 'just_value' must return a pair \(loss, dpred\), got float"):
        def just_value(pred, target, mask):
            return minilstm.mse_loss(pred, target, mask)[0]
        fit(model(), reg, loss=just_value)


# ---------------------------------------------------------------- bound objects (finding 3)
def test_an_optimizer_of_another_model_is_refused(backend, reg, no_batch):
    trained, other = model(), Model(F, 4, 2, seed=1)
    before = weights_of(other)
    with pytest.raises(ValueError, match=r"optimizer holds arrays that are not this model's parameters "
                                         r"\(\['rnn.weight_ih_l0', .*\]\): it would train another model"):
        fit(trained, reg, optimizer=minilstm.Adam(other.params))
    assert_same_weights(weights_of(other), before)
    assert no_batch == []


def test_an_optimizer_over_part_of_the_model_is_refused(reg):
    m = model()
    with pytest.raises(ValueError, match=r"optimizer must hold every parameter of the model, it lacks "
                                         r"\['head.bias', 'head.weight', 'rnn.bias_hh_l0'\]"):
        fit(m, reg, optimizer=minilstm.Adam({k: v for k, v in m.params.items() if k == "rnn.weight_ih_l0"}))


def test_an_optimizer_over_a_bare_layer_says_how_to_train_it(reg):
    X, _ = reg
    layer = minilstm.LSTM(F, 2, batch_first=True, seed=0)
    with pytest.raises(ValueError, match=r"optimizer holds this model's arrays under other keys .* "
                                         r"seq = minilstm.Sequential\(module\)"):
        fit(layer, (X, np.zeros((N, T, 2), np.float32)), optimizer=minilstm.Adam(layer.params))


def test_a_schedule_of_another_optimizer_is_refused(reg, no_batch):
    m = model()
    opt, other = minilstm.Adam(m.params, lr=0.1), minilstm.Adam(m.params, lr=0.1)
    with pytest.raises(ValueError, match=r"schedule was made for another optimizer \(not the one given as "
                                         r"optimizer=\): it would set that one's lr and change nothing here"):
        fit(m, reg, optimizer=opt, schedule=StepLR(other, 1))
    with pytest.raises(ValueError, match=r"schedule was made for another optimizer \(train makes its own from "
                                         r"optimizer='adam'\)"):
        fit(m, reg, schedule=StepLR(other, 1))
    assert no_batch == []


def test_a_schedule_of_the_given_optimizer_sets_its_lr(reg):
    m = model()
    opt = minilstm.Adam(m.params, lr=0.1)
    history = fit(m, reg, optimizer=opt, schedule=StepLR(opt, 1), epochs=2)
    assert history["lr"] == pytest.approx([0.1, 0.01])


# ---------------------------------------------------------------- loss objects
@pytest.mark.parametrize("obj,name,data", [(minilstm.MSELoss(), "mse_loss", "reg"),
                                           (minilstm.CrossEntropyLoss(), "cross_entropy", "cls")])
def test_a_loss_object_trains_like_its_name(obj, name, data, request, backend):
    data = request.getfixturevalue(data)
    out = 3 if name == "cross_entropy" else 2
    by_obj, by_name = model(out), model(out)
    h1 = fit(by_obj, data, loss=obj, epochs=2, batch_size=5, val_data=data)
    h2 = fit(by_name, data, loss=name, epochs=2, batch_size=5, val_data=data)
    assert_same_weights(weights_of(by_obj), weights_of(by_name))
    assert h1["train_loss"] == h2["train_loss"] and h1["val_loss"] == h2["val_loss"]
    assert minilstm.evaluate(by_obj, data, loss=obj) == minilstm.evaluate(by_obj, data, loss=name)


def test_a_gaussian_nll_object_trains_a_gaussian_head_like_its_name(reg):
    X, Y = reg

    def make():
        return minilstm.Sequential(minilstm.LSTM(F, 4, batch_first=True, seed=0), minilstm.LastStep(),
                                   minilstm.GaussianHead(4, 2, seed=1))
    a, b = make(), make()
    fit(a, reg, loss=minilstm.GaussianNLLLoss(), epochs=2, batch_size=5)
    fit(b, reg, loss="gaussian_nll_loss", epochs=2, batch_size=5)
    assert_same_weights(weights_of(a), weights_of(b))


def test_a_bare_layer_trains(reg):
    X, _ = reg
    layer = minilstm.LSTM(F, 2, batch_first=True, seed=0)
    before = weights_of(layer)
    history = fit(layer, (X, np.zeros((N, T, 2), np.float32)), epochs=3, lr=1e-2)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert not np.array_equal(weights_of(layer)["weight_hh_l0"], before["weight_hh_l0"])  # its own arrays train


# ---------------------------------------------------------------- data and predict
def test_predict_and_evaluate_refuse_a_zero_batch_size(reg):
    for call in (minilstm.predict, minilstm.evaluate):
        with pytest.raises(ValueError, match=r"batch_size must be a positive int, got 0"):
            call(model(), reg, batch_size=0)


@pytest.mark.parametrize("call", ["predict", "evaluate", "train", "val"])
def test_an_empty_data_set_is_refused(call, reg):
    X, Y = reg
    empty = (X[:0], Y[:0])
    name = {"predict": "data", "evaluate": "data", "train": "train_data", "val": "val_data"}[call]
    with pytest.raises(ValueError, match=rf"{name} holds no sequences \(X has shape \(0, 5, 3\)\): give at least one"):
        if call == "predict":
            minilstm.predict(model(), empty)
        elif call == "evaluate":
            minilstm.evaluate(model(), empty)
        else:
            fit(model(), empty if call == "train" else reg, val_data=empty if call == "val" else None)


@pytest.mark.parametrize("field", ["X", "Y", "lengths"])
def test_a_dataset_of_lists_is_refused(field, reg):
    parts = {"X": reg[0], "Y": reg[1], "lengths": np.full(N, T)}
    parts[field] = parts[field].tolist()
    with pytest.raises(TypeError, match=rf"Dataset {field} must be a NumPy array, got list: convert it first, "
                                        rf"np.asarray\({field}\)"):
        Dataset(parts["X"], parts["Y"], parts["lengths"])


# ---------------------------------------------------------------- constructors
@pytest.mark.parametrize("kwargs,name", [(dict(output_size=0), "output_size"), (dict(hidden_size=0), "hidden_size"),
                                         (dict(input_size=-1), "input_size"), (dict(num_layers=0), "num_layers"),
                                         (dict(vocab_size=0), "vocab_size")])
def test_model_sizes_name_the_models_argument(kwargs, name):
    args = dict(input_size=F, hidden_size=4, output_size=2) | kwargs
    with pytest.raises(ValueError, match=rf"^{name} must be a positive int, got -?\d"):
        Model(**args)


@pytest.mark.parametrize("make", [lambda: Model(F, 4, 2, seed=-1), lambda: minilstm.LSTM(F, 4, seed=-1),
                                  lambda: minilstm.gradcheck(minilstm.Linear(2, 2, dtype="float64"),
                                                             np.zeros((3, 2)), seed=-1)],
                         ids=["Model", "LSTM", "gradcheck"])
def test_a_negative_seed_is_named(make):
    with pytest.raises(ValueError, match=r"seed must be (None, a non-negative int or a NumPy Generator|an int >= 0)"
                                         r", got (int )?-1"):
        make()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("make", [lambda fb: minilstm.LSTM(F, 4, forget_bias=fb),
                                  lambda fb: minilstm.PeepholeLSTM(F, 4, forget_bias=fb),
                                  lambda fb: minilstm.LSTMCell(F, 4, forget_bias=fb),
                                  lambda fb: Model(F, 4, 2, forget_bias=fb)],
                         ids=["LSTM", "PeepholeLSTM", "LSTMCell", "Model"])
def test_a_non_finite_forget_bias_is_refused(make, value):
    with pytest.raises(ValueError, match=rf"forget_bias must be a finite number, got {value}"):
        make(value)


def test_a_non_finite_update_bias_is_refused():
    with pytest.raises(ValueError, match=r"update_bias must be a finite number, got inf"):
        minilstm.GRU(F, 4, update_bias=float("inf"))


@pytest.mark.parametrize("kwargs,match", [
    (dict(eps=0), r"eps must be a finite number > 0.0, got 0.0"),
    (dict(eps=-1e-4), r"eps must be a finite number > 0.0, got -0.0001"),
    (dict(max_entries=0), r"max_entries must be a positive int, got 0"),  # main: checks nothing, and passes
    (dict(max_entries=-3), r"max_entries must be a positive int, got -3"),
    (dict(max_entries=2.5), r"max_entries must be a positive int, got float 2.5"),
])
def test_gradcheck_options(kwargs, match):
    layer = minilstm.Linear(2, 2, dtype="float64", seed=0)
    with pytest.raises((ValueError, TypeError), match=match):
        minilstm.gradcheck(layer, np.ones((3, 2)), **kwargs)
    arrays = {"w": np.ones(2)}
    with pytest.raises((ValueError, TypeError), match=match):
        minilstm.check_gradients(lambda: float(arrays["w"].sum()), arrays, {"w": np.ones(2)}, **kwargs)


# ---------------------------------------------------------------- backends and torch
def test_torch_is_not_taken_for_an_array_namespace():
    torch = pytest.importorskip("torch")
    before = minilstm.get_backend()
    with pytest.raises(TypeError, match=r"module 'torch' is not an array-API namespace \(it has no "
                                        r"__array_api_version__\): backend must be 'numpy', 'cupy' or a module"):
        minilstm.use_backend(torch)
    assert minilstm.get_backend() is before


def test_a_bfloat16_torch_state_dict_loads_cast_to_the_models_dtype():
    torch = pytest.importorskip("torch")
    m = model()
    half = {k: torch.from_numpy(v).to(torch.bfloat16) for k, v in Model(F, 4, 2, seed=3).state_dict().items()}
    m.load_state_dict(half)
    for k, v in half.items():
        np.testing.assert_array_equal(minilstm.to_numpy(m.params[k]), v.float().numpy(), err_msg=k)
    layer = minilstm.Linear(2, 3, dtype="float64")
    layer.load_state_dict({k: torch.ones(tuple(v.shape), dtype=torch.bfloat16) for k, v in layer.params.items()})
    assert all(np.all(minilstm.to_numpy(v) == 1.0) for v in layer.params.values())


@pytest.mark.parametrize("Y", [np.zeros((8, 2)), np.zeros(8, dtype=np.int64)], ids=["regression", "classes"])
def test_a_model_without_last_step_on_per_sequence_targets_is_told_to_add_it(Y):
    """A bare Linear keeps the time axis; the data has one target per sequence: the error says what to add."""
    X = np.zeros((8, 5, 3))
    with pytest.raises(ValueError, match=r"got .*\(8, 5, 2\).*end the model with LastStep\(\) \(or MeanOverTime\(\)\)"):
        minilstm.train(minilstm.Linear(3, 2), (X, Y), epochs=1, progress=False)
    minilstm.train(minilstm.Sequential(minilstm.Linear(3, 2), minilstm.LastStep()), (X, Y), epochs=1,
                   progress=False)  # the fix the message names
