"""Composition: Sequential, its adapters, Model as a builder of it, and training/saving any module."""
import json
import re

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import checkpoint
from minilstm.gradcheck import gradcheck
from minilstm.nn import Module


def _hybrid(dtype="float64", bidirectional=True, dropout=0.0):
    return minilstm.Sequential(
        minilstm.Conv1d(3, 4, kernel_size=3, padding=1, seed=0, dtype=dtype),
        minilstm.ReLU(),
        minilstm.Dropout(dropout, seed=1),
        minilstm.LSTM(4, 5, num_layers=2, bidirectional=bidirectional, seed=2, dtype=dtype),
        minilstm.LastStep(),
        minilstm.Linear(10 if bidirectional else 5, 2, seed=3, dtype=dtype))


def test_keys_names_repr_and_modes():
    seq = _hybrid(dtype="float32")
    assert "3.weight_ih_l1_reverse" in seq.params and "0.weight" in seq.params and "5.bias" in seq.params
    assert seq.num_params == sum(p.size for p in seq.params.values())
    text = repr(seq)
    assert text.startswith("Sequential(\n  (0): Conv1d(") and "(4): LastStep(bidirectional=True)" in text
    assert text.endswith(f"# {seq.num_params:,} parameters")
    named = minilstm.Sequential(rnn=minilstm.GRU(3, 4, batch_first=True), head=minilstm.Linear(4, 1))
    assert sorted(named.params) == ["head.bias", "head.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0",
                                    "rnn.weight_hh_l0", "rnn.weight_ih_l0"]
    seq.eval()
    assert not any(m.training for m in seq.modules.values())
    seq.train()
    assert all(m.training for m in seq.modules.values())


def test_bad_compositions_are_refused():
    with pytest.raises(ValueError, match="at least one module"):
        minilstm.Sequential()
    with pytest.raises(TypeError, match="by position or by name"):
        minilstm.Sequential(minilstm.ReLU(), head=minilstm.Linear(2, 2))
    with pytest.raises(TypeError, match="lacks forward"):
        minilstm.Sequential(object())


@pytest.mark.parametrize("bidirectional", [False, True])
def test_hybrid_gradients(bidirectional, rng):
    seq = _hybrid(bidirectional=bidirectional, dropout=0.3)  # dropout masks are replayed by gradcheck
    x = rng.standard_normal((3, 6, 3))
    report = gradcheck(seq, x, max_entries=10)
    assert report.passed(1e-6), str(report)


def test_padded_gradients_with_mean_over_time(rng):
    seq = minilstm.Sequential(minilstm.GRU(3, 4, batch_first=True, dtype="float64", seed=0), minilstm.MeanOverTime(),
                              minilstm.Linear(4, 2, dtype="float64", seed=1))
    x = rng.standard_normal((3, 5, 3))
    report = gradcheck(seq, x, lengths=np.array([5, 2, 4]), max_entries=12)
    assert report.passed(1e-6), str(report)


def test_time_major_layers_are_turned_at_their_edges(rng):
    tm = minilstm.Sequential(minilstm.LSTM(3, 4, seed=0, dtype="float64"), minilstm.LastStep())
    bf = minilstm.Sequential(minilstm.LSTM(3, 4, seed=0, dtype="float64", batch_first=True), minilstm.LastStep())
    x = rng.standard_normal((2, 5, 3))
    np.testing.assert_array_equal(tm(x), bf(x))
    dy = rng.standard_normal((2, 4))
    np.testing.assert_array_equal(tm.backward(dy), bf.backward(dy))


def test_last_step_reads_the_last_valid_step_and_both_directions(rng):
    lstm = minilstm.LSTM(3, 4, bidirectional=True, batch_first=True, seed=0, dtype="float64")
    x = rng.standard_normal((2, 6, 3))
    x[1, 3:] = np.nan  # padding may hold anything: it is selected away, never multiplied by 0
    out, (h_n, _) = lstm(x, lengths=[6, 3])
    y = minilstm.LastStep(bidirectional=True)(out, lengths=[6, 3])
    np.testing.assert_array_equal(y, np.concatenate([h_n[0], h_n[1]], axis=-1))
    with pytest.raises(ValueError, match="lengths must be in"):
        minilstm.LastStep()(out, lengths=[7, 3])


def test_mean_over_time_is_each_sequences_own_mean(rng):
    x = rng.standard_normal((2, 5, 3))
    x[1, 2:] = np.inf
    y = minilstm.MeanOverTime()(x, lengths=[5, 2])
    np.testing.assert_allclose(y, np.stack([x[0].mean(axis=0), x[1, :2].mean(axis=0)]), rtol=1e-14)


@pytest.mark.parametrize("make, dy_shape", [
    (lambda: minilstm.LastStep(), (2, 3)),                     # (B, F) is (2, 4)
    (lambda: minilstm.LastStep(bidirectional=True), (2, 2)),
    (lambda: minilstm.LastStep(), (4, 2)),                     # as many numbers, another shape
    (lambda: minilstm.MeanOverTime(), (2, 5)),
    (lambda: minilstm.MeanOverTime(), (2, 1)),                 # broadcasting once gave a dx without a word
    (lambda: minilstm.MaskPadding(), (2, 5, 3)),               # (B, T, F) is (2, 5, 4)
])
def test_a_readouts_backward_refuses_dy_of_another_shape(make, dy_shape, rng):
    """LastStep and MeanOverTime took a dy of the wrong shape and returned a dx of the wrong shape."""
    layer = make()
    y = layer(rng.standard_normal((2, 5, 4)), lengths=[5, 2])
    with pytest.raises(ValueError, match=re.escape(f"dy must have shape {tuple(y.shape)} (the forward output's "
                                                   f"shape), got {dy_shape}")):
        layer.backward(rng.standard_normal(dy_shape))
    assert layer.backward(np.ones(y.shape)).shape == (2, 5, 4)
    with pytest.raises(TypeError, match="^dy must hold floating-point numbers, got dtype int64"):
        layer.backward(np.ones(y.shape, dtype=np.int64))


def test_a_bidirectional_last_step_needs_an_even_feature_count(rng):
    with pytest.raises(ValueError, match=re.escape("LastStep(bidirectional=True) reads two directions' halves of "
                                                   "the features, so x must have an even number of them, got "
                                                   "shape (2, 5, 3)")):
        minilstm.LastStep(bidirectional=True)(rng.standard_normal((2, 5, 3)))


@pytest.mark.parametrize("first", [lambda: minilstm.Linear(2, 3, seed=1, dtype="float64"), lambda: minilstm.Tanh()])
def test_nan_padding_never_reaches_the_gradients_of_a_layer_before_the_recurrent_one(first, rng):
    """Found by the nn property tests: a Linear (or a Tanh) first multiplied the padding's nan into its weight
    gradient and the padded dx (0 * nan is nan). The Sequential now selects the padding away first."""
    f = first()
    seq = minilstm.Sequential(f, minilstm.GRU(f.out_features if f.params else 2, 4, batch_first=True, seed=0,
                                                dtype="float64"), minilstm.LastStep())
    x = rng.standard_normal((2, 5, 2))
    x[1, 3:] = np.nan
    dy = rng.standard_normal((2, 4))
    y, dx = seq(x, lengths=[5, 3]), seq.backward(dy)
    grads = {k: np.array(g) for k, g in seq.grads.items()}
    assert np.isfinite(dx).all() and np.all(dx[1, 3:] == 0) and all(np.isfinite(g).all() for g in grads.values())
    np.testing.assert_allclose(seq(x[1:, :3])[0], y[1], rtol=1e-12)


def test_a_last_step_after_a_linear_reads_one_direction(rng):
    """Found by the nn property tests: a LastStep after a bidirectional layer and a Linear took the layer's
    two directions, reading half of the Linear's features at step 0; a Linear mixes the two halves."""
    seq = minilstm.Sequential(minilstm.LSTM(2, 3, batch_first=True, bidirectional=True, seed=0, dtype="float64"),
                              minilstm.Linear(6, 4, seed=1, dtype="float64"), minilstm.LastStep())
    assert repr(seq.modules["2"]) == "LastStep()"
    x = rng.standard_normal((2, 5, 2))
    np.testing.assert_array_equal(seq(x), seq.modules["1"](seq.modules["0"](x)[0])[:, -1])


def test_model_is_a_builder_of_a_sequential(rng):
    model = minilstm.Model(3, 5, 2, cell="gru", readout="last", bidirectional=True, seed=0, dtype="float64")
    assert isinstance(model, minilstm.Sequential)
    assert list(model.modules) == ["rnn", "last", "head"]
    assert sorted(model.params)[0] == "head.bias" and "rnn.weight_hh_l0_reverse" in model.params
    hand = minilstm.Sequential(rnn=minilstm.GRU(3, 5, bidirectional=True, batch_first=True, dtype="float64"),
                               last=minilstm.LastStep(), head=minilstm.Linear(10, 2, dtype="float64"))
    hand.load_state_dict(model.state_dict())
    x = rng.standard_normal((4, 6, 3))
    np.testing.assert_array_equal(model(x, lengths=[6, 2, 3, 6]), hand(x, lengths=[6, 2, 3, 6]))
    assert list(minilstm.Model(3, 5, 2, readout="all", vocab_size=9).modules) == ["embedding", "rnn", "head", "mask"]


def test_torch_sequential_state_dict_loads(rng):
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = minilstm.Sequential(minilstm.Linear(3, 4, dtype="float64"), minilstm.Tanh(),
                               minilstm.Linear(4, 2, dtype="float64"))
    ours.load_state_dict(ref.state_dict())  # tensors, PyTorch's "0.weight" keys
    x = rng.standard_normal((5, 3))
    np.testing.assert_allclose(ours(x), ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-14)
    with pytest.raises(ValueError, match="missing"):
        ours.load_state_dict({"0.weight": np.zeros((4, 3))})


def _sine(n=64):
    t = np.linspace(0, 8 * np.pi, n + 12)
    X = np.stack([np.sin(t[i:i + 10]) for i in range(n)])[..., None]
    Y = np.sin(t[10:10 + n])[:, None]
    return X, Y


def test_a_composed_model_trains_saves_loads_and_resumes_bit_for_bit(tmp_path):
    X, Y = _sine()

    def make():
        return minilstm.Sequential(minilstm.Conv1d(1, 4, 3, padding="same", seed=0), minilstm.ReLU(),
                                   minilstm.Dropout(0.2, seed=1), minilstm.LSTM(4, 8, seed=2, batch_first=True),
                                   minilstm.LastStep(), minilstm.Linear(8, 1, seed=3))

    once = make()
    history = minilstm.train(once, (X, Y), epochs=4, batch_size=16, lr=1e-2, seed=0, progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
    half = make()
    minilstm.train(half, (X, Y), epochs=2, batch_size=16, lr=1e-2, seed=0, progress=False,
                   checkpoint_dir=str(tmp_path))
    minilstm.train(half, (X, Y), epochs=2, batch_size=16, lr=1e-2, progress=False,
                   checkpoint_dir=str(tmp_path), resume=str(tmp_path))
    assert_same_weights(weights_of(once), weights_of(half))
    again = minilstm.load(tmp_path / "model.npz")
    assert type(again) is minilstm.Sequential and repr(again) == repr(half)
    np.testing.assert_array_equal(minilstm.predict(again, (X, Y)), minilstm.predict(half, (X, Y)))


def test_a_bare_layer_trains_and_predicts(rng):
    X = rng.standard_normal((32, 6, 2))
    Y = np.cumsum(X, axis=1)[..., :1] * 0.1
    gru = minilstm.Linear(2, 1, seed=0)
    before = minilstm.evaluate(gru, (X, Y))["loss"]
    minilstm.train(gru, (X, Y), epochs=20, lr=5e-2, batch_size=8, seed=0, progress=False)
    assert minilstm.evaluate(gru, (X, Y))["loss"] < before
    assert minilstm.predict(gru, (X, Y)).shape == (32, 6, 1)


class Scale(Module):
    """A learner's own module: y = a * x with one learned scalar."""

    def __init__(self, start: float = 1.0, dtype: str = "float32") -> None:
        self.dtype = dtype
        self._set_params({"a": np.array([start])})

    def forward(self, x):
        self._cache = x
        return self.params["a"] * x

    def backward(self, dy):
        x = self._require_forward()
        self.grads = {"a": np.sum(dy * x, keepdims=True).reshape(1)}
        return self.params["a"] * dy


def test_a_learners_own_module_composes_checks_and_saves(tmp_path, rng):
    seq = minilstm.Sequential(Scale(2.0, dtype="float64"), minilstm.GRU(3, 4, batch_first=True, dtype="float64"))
    assert gradcheck(seq, rng.standard_normal((2, 4, 3))).passed(1e-6)
    path = seq.save(str(tmp_path / "own.npz"))
    again = minilstm.load(path)
    assert isinstance(again.modules["0"], Scale) and float(again.params["0.a"][0]) == 2.0


def test_an_unknown_module_type_is_refused_clearly(tmp_path):
    path = minilstm.Sequential(minilstm.ReLU()).save(str(tmp_path / "m.npz"))
    ckpt = checkpoint.read(path)
    meta = dict(ckpt.meta, architecture={"modules": [["0", "Teleporter", {}]]})
    np.savez(tmp_path / "bad.npz", meta=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match="unknown module type 'Teleporter'"):
        minilstm.load(tmp_path / "bad.npz")


def test_configs_are_json_and_refuse_what_is_not(rng):
    seq = _hybrid(dtype="float32")
    json.dumps(seq.config)
    assert minilstm.LSTM(3, 4, num_layers=np.int64(2), seed=np.random.default_rng(0)).config == {
        "input_size": 3, "hidden_size": 4, "num_layers": 2, "seed": None}
    class Holder(Module):
        def __init__(self, thing=None):
            self.params, self.grads = {}, {}

    assert Holder(thing=np.float32(0.5)).config == {"thing": 0.5}
    with pytest.raises(TypeError, match="argument 'thing' = object cannot be saved in a config"):
        Holder(thing=object()).config  # noqa: B018


def test_adapters_on_every_backend(backend, rng):
    x = rng.standard_normal((3, 5, 4))
    lengths = np.array([5, 2, 3])
    dy = rng.standard_normal((3, 4))
    results = []
    for be in ("numpy", backend):
        with minilstm.backend_scope(be):
            for adapter in (minilstm.LastStep(bidirectional=True), minilstm.MeanOverTime()):
                y = adapter(minilstm.get_backend().asarray(x, "float64"), lengths=lengths)
                results.append((y, adapter.backward(minilstm.get_backend().asarray(dy, "float64"))))
    for (y1, d1), (y2, d2) in zip(results[:2], results[2:]):
        np.testing.assert_allclose(minilstm.to_numpy(y1), minilstm.to_numpy(y2), rtol=1e-14)
        np.testing.assert_allclose(minilstm.to_numpy(d1), minilstm.to_numpy(d2), rtol=1e-14)


def test_a_torch_module_loads_with_a_key_mapping_and_exports_back(rng):
    """The seed articles' LSTMPredictor: nn.LSTM + nn.Linear on the last step, loaded with one call."""
    torch = pytest.importorskip("torch")

    class LSTMPredictor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(5, 8, num_layers=2, batch_first=True)
            self.fc = torch.nn.Linear(8, 2)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.fc(out[:, -1])

    ref = LSTMPredictor().double()
    ours = minilstm.Sequential(minilstm.LSTM(5, 8, num_layers=2, batch_first=True, dtype="float64"),
                               minilstm.LastStep(), minilstm.Linear(8, 2, dtype="float64"))
    ours.load_state_dict(ref, keys={"lstm": "0", "fc": "2"})
    x = rng.standard_normal((4, 7, 5))
    np.testing.assert_allclose(ours(x), ref(torch.from_numpy(x)).detach().numpy(), atol=1e-14)
    exported = ours.state_dict(format="torch", keys={"0": "lstm", "2": "fc"})
    assert all(isinstance(v, torch.Tensor) for v in exported.values())
    fresh = LSTMPredictor().double()
    fresh.load_state_dict(exported)
    np.testing.assert_allclose(fresh(torch.from_numpy(x)).detach().numpy(), ours(x), atol=1e-14)
    with pytest.raises(ValueError, match="missing"):
        ours.load_state_dict(ref)  # without the mapping the names differ: said, not guessed
    with pytest.raises(ValueError, match="format"):
        ours.state_dict(format="jax")


def test_train_with_an_l2_penalty_equals_sgd_weight_decay():
    """An explicit penalty: the same steps as SGD's weight_decay (same pull), and part of the logged loss."""
    X, Y = _sine(32)

    def run(**kw):
        model = minilstm.Sequential(minilstm.GRU(1, 4, batch_first=True, seed=0, dtype="float64"),
                                    minilstm.LastStep(), minilstm.Linear(4, 1, seed=1, dtype="float64"))
        opt = minilstm.SGD(model.params, lr=0.1, weight_decay=kw.pop("weight_decay", 0.0))
        history = minilstm.train(model, (X, Y), optimizer=opt, epochs=2, batch_size=8, seed=0, progress=False, **kw)
        return weights_of(model), history

    by_penalty, h1 = run(penalty=lambda p: minilstm.l2_penalty(p, 0.01))
    by_decay, h2 = run(weight_decay=0.01)
    for k in by_penalty:
        np.testing.assert_allclose(by_penalty[k], by_decay[k], rtol=1e-13, atol=1e-15)
    assert h1["train_loss"][0] > h2["train_loss"][0]  # the penalty is in the reported loss
    with pytest.raises(TypeError, match="penalty must be a function"):
        minilstm.train(minilstm.Linear(1, 1), (X, Y), penalty=0.01, progress=False)


def test_attention_pool_gets_lengths_inside_a_sequential(rng):
    seq = minilstm.Sequential(minilstm.LSTM(3, 4, batch_first=True, seed=0, dtype="float64"),
                              minilstm.AttentionPool(4, seed=1, dtype="float64"),
                              minilstm.Linear(4, 2, seed=2, dtype="float64"))
    x = rng.standard_normal((2, 6, 3))
    seq(x, lengths=[6, 3])
    weights = seq.modules["1"].last_attention
    assert np.all(minilstm.to_numpy(weights)[1, 3:] == 0)
    assert gradcheck(seq, x, lengths=np.array([6, 3]), max_entries=10).passed(1e-6)


def test_a_gaussian_head_trains_predicts_and_evaluates_through_the_stock_functions(tmp_path):
    X, Y = _sine(64)
    model = minilstm.Sequential(minilstm.LSTM(1, 8, batch_first=True, seed=0, dtype="float64"), minilstm.LastStep(),
                                minilstm.GaussianHead(8, 1, seed=1, dtype="float64"))
    x = X[:4]
    assert gradcheck(model, x, max_entries=8).passed(1e-6)  # backward takes (dmean, dvar) apart
    history = minilstm.train(model, (X, Y), loss="gaussian_nll_loss", epochs=6, lr=1e-2, batch_size=16, seed=0,
                             progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
    mean, var = minilstm.predict(model, (X, Y), batch_size=20)  # several batches: each part joined
    assert mean.shape == var.shape == (64, 1) and np.all(var > 0)
    value = minilstm.evaluate(model, (X, Y), loss="gaussian_nll_loss")["loss"]
    ref, _ = minilstm.gaussian_nll_loss(mean, Y, var)
    assert value == pytest.approx(ref, rel=1e-12)
    again = minilstm.load(model.save(str(tmp_path / "g.npz")))
    np.testing.assert_array_equal(minilstm.predict(again, (X, Y))[1], var)


def test_a_module_used_twice_is_refused_when_the_sequential_is_built():
    # each module keeps one forward's cache: run twice, its backward would give the second use's gradient alone
    # (gradcheck's worst error was 1.0), so one object in two places is refused, nested Sequentials too
    lin, relu = minilstm.Linear(3, 3, seed=0), minilstm.ReLU()
    with pytest.raises(ValueError, match=r"module '2' is the same Linear object as module '0'.*a module of its own"):
        minilstm.Sequential(lin, minilstm.Tanh(), lin)
    with pytest.raises(ValueError, match=r"module '3' is the same ReLU object as module '1'"):
        minilstm.Sequential(minilstm.Linear(3, 3), relu, minilstm.Linear(3, 3), relu)
    with pytest.raises(ValueError, match=r"module 'body.0' is the same Linear object as module 'head'"):
        minilstm.Sequential(body=minilstm.Sequential(lin), head=lin)
    inner = minilstm.Sequential(minilstm.Linear(3, 3))
    with pytest.raises(ValueError, match=r"module '1' is the same Sequential object as module '0'"):
        minilstm.Sequential(inner, inner)
    # two modules of the same weights (copies) are fine and their gradients are right
    twin = minilstm.Linear(3, 3, seed=0, dtype="float64")
    seq = minilstm.Sequential(minilstm.Linear(3, 3, seed=0, dtype="float64"), minilstm.Tanh(), twin)
    report = gradcheck(seq, np.random.default_rng(0).normal(size=(2, 3)))
    assert report.passed(1e-6), str(report)


def test_renamed_keys_that_collide_are_refused():
    seq = minilstm.Sequential(minilstm.Linear(2, 3), minilstm.Linear(3, 1))
    with pytest.raises(ValueError, match=r"keys gives two parameters the same name 'fc.weight'"):
        seq.state_dict(keys={"0": "fc", "1": "fc"})
    theirs = {f"{n}.{k}": v for n in ("a", "b") for k, v in minilstm.Linear(2, 3).state_dict().items()}
    with pytest.raises(ValueError, match=r"keys gives two parameters the same name '0.weight'"):
        seq.load_state_dict(theirs, keys={"a": "0", "b": "0"})
    assert sorted(seq.state_dict(keys={"0": "fc1", "1": "fc2"})) == ["fc1.bias", "fc1.weight", "fc2.bias",
                                                                     "fc2.weight"]
