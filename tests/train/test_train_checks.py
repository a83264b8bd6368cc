"""train's arguments that once failed late or obscurely ("too many values to unpack", "range() arg 3 must not
be zero", "cannot unpack non-iterable float", after an epoch): each is refused naming it, before the work."""
import re

import numpy as np
import pytest

import minilstm


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((8, 5, 1)).astype(np.float32), rng.standard_normal((8, 1)).astype(np.float32)


def _model():
    return minilstm.Model(1, 4, 1, seed=0)


def _gaussian():
    return minilstm.Sequential(minilstm.LSTM(1, 4, batch_first=True, seed=0), minilstm.LastStep(),
                               minilstm.GaussianHead(4, 1, seed=0))


def _refused(kind, message, model, data, **kw):
    before = {k: np.array(v) for k, v in model.params.items()}
    with pytest.raises(kind, match="^" + re.escape(message)):
        minilstm.train(model, data, epochs=1, progress=False, seed=0, **kw)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k])  # refused before any step


def test_the_gaussian_loss_and_head_go_together(data):
    _refused(ValueError, "loss 'gaussian_nll_loss' takes a prediction (mean, var), from a model ending in a "
             "GaussianHead; this one ends in Linear: ", _model(), data, loss="gaussian_nll_loss")
    _refused(ValueError, "loss GaussianNLLLoss(full=False, eps=1e-06, reduction='mean') takes a prediction",
             _model(), data, loss=minilstm.GaussianNLLLoss())
    _refused(ValueError, "a model ending in a GaussianHead predicts (mean, var): train it with "
             "loss='gaussian_nll_loss' (or GaussianNLLLoss()), got loss=None", _gaussian(), data)
    minilstm.train(_gaussian(), data, loss="gaussian_nll_loss", epochs=1, progress=False, seed=0)


def test_sequences_of_no_step_are_refused(data):
    X = np.zeros((8, 0, 1), np.float32)
    _refused(ValueError, "train_data's sequences have no step (X has shape (8, 0, 1)): give at least one",
             _model(), (X, data[1]))
    _refused(ValueError, "val_data's sequences have no step", _model(), data, val_data=(X, data[1]))


@pytest.mark.parametrize("penalty, kind, message", [
    (lambda p: 0.5, TypeError, "penalty must return a pair (value, grads), grads a dict of parameter name -> "
                               "gradient (as minilstm.l2_penalty does), got float 0.5"),
    (lambda p: (0.5, [1.0]), TypeError, "penalty must return a pair (value, grads)"),
    (lambda p: (0.5, {"head.weight": np.zeros(3)}), ValueError,
     "penalty's grads['head.weight'] must have shape (1, 4) (its parameter's), got (3,)"),
    (lambda p: (0.5, {"nope": np.zeros(3)}), ValueError,
     "penalty's grads must be named like the model's parameters, got 'nope' (the model has ['head.bias', "),
    (lambda p: ("0.5", {}), TypeError, "penalty must return a real number, got str '0.5'"),
])
def test_a_penalty_must_return_a_value_and_its_parameters_gradients(penalty, kind, message, data):
    _refused(kind, message, _model(), data, penalty=penalty)


def test_a_penalty_of_numpy_numbers_trains(data):
    model = _model()
    history = minilstm.train(model, data, epochs=1, progress=False, seed=0, penalty=lambda p: (
        np.float32(0.25), {"head.weight": np.ones((1, 4), np.float32)}))
    plain = minilstm.train(_model(), data, epochs=1, progress=False, seed=0)
    np.testing.assert_allclose(history["train_loss"][0], plain["train_loss"][0] + 0.25, rtol=1e-6)


def test_a_metric_that_returns_no_number_is_named(data):
    with pytest.raises(TypeError, match=r"^metric 'm' must return a real number, got str 'abc'$"):
        minilstm.train(_model(), data, val_data=data, metrics={"m": lambda p, d: "abc"}, epochs=1, progress=False)
    scores = minilstm.evaluate(_model(), data, metrics={"m": lambda p, d: np.float64(2.0)})
    assert scores["m"] == 2.0 and type(scores["m"]) is float


@pytest.mark.parametrize("folder", [5, ["runs"]])
def test_checkpoint_dir_is_checked_before_the_first_epoch(folder, data):
    _refused(TypeError, f"checkpoint_dir must be a folder's path (a str or a pathlib.Path), got "
             f"{type(folder).__name__} {folder!r}", _model(), data, checkpoint_dir=folder)


@pytest.mark.parametrize("seed, message", [(-1, "cannot be restored: seed must be an int >= 0, got -1"),
                                           ("a", "must be an int or null, got 'a'")])
def test_a_resumed_runs_seed_is_checked(seed, message, data, tmp_path):
    model = _model()
    opt = minilstm.Adam(model.params)
    minilstm.train(model, data, optimizer=opt, epochs=1, progress=False, seed=0, checkpoint_dir=tmp_path)
    path = tmp_path / "model.npz"
    training = minilstm.checkpoint.read(path).meta["training"]
    training["seed"] = seed  # once a traceback from the first epoch's shuffle
    minilstm.checkpoint.save(model, path, optimizer=opt, **training)
    with pytest.raises(ValueError, match=f"^checkpoint {re.escape(repr(str(path)))}: field 'training.seed' "
                                         f"{re.escape(message)}$"):
        minilstm.train(_model(), data, epochs=1, progress=False, resume=path)
