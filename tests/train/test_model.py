"""The whole model (Embedding -> recurrent stack -> Linear head): gradients, padding, modes, bookkeeping."""
import numpy as np
import pytest

import minilstm
from minilstm.gradcheck import gradcheck
from minilstm.nn.losses import mse_loss

CELLS = ["rnn", "lstm", "gru", "peephole"]
B, T, F, H, O = 3, 5, 3, 4, 2  # noqa: E741 (O: output features, as in the shape letters)


class Whole:
    """The model as gradcheck sees a layer: ``forward(x) -> y`` (fixed ``lengths``), ``backward(dy) -> dx``."""

    def __init__(self, model, lengths=None):
        self.model, self.lengths = model, lengths
        self.params, self.grads, self.dtype, self.generator = model.params, None, model.dtype, model.generator

    def forward(self, x):
        y = self.model(x, lengths=self.lengths)
        return y

    def backward(self, dy):
        dx = self.model.backward(dy)
        self.grads = self.model.grads
        return dx


def _model(**kw):
    args = dict(input_size=F, hidden_size=H, output_size=O, seed=0, dtype="float64")
    return minilstm.Model(**{**args, **kw})


def _np(a):
    return minilstm.to_numpy(a)


@pytest.mark.parametrize("readout", ["last", "all"])
@pytest.mark.parametrize("cell", CELLS)
def test_gradcheck_every_cell_and_readout(cell, readout, rng):
    model = _model(cell=cell, readout=readout)
    report = gradcheck(Whole(model), rng.standard_normal((B, T, F)), max_entries=8)
    assert "x" in report.errors and "head.weight" in report.errors
    assert report.passed(1e-6), str(report)


OPTIONS = {
    "bidirectional": dict(bidirectional=True),
    "2 layers": dict(num_layers=2),
    "lengths": dict(num_layers=2, bidirectional=True),
    "dropout": dict(num_layers=2, dropout=0.4, recurrent_dropout=0.3, bidirectional=True),
}


@pytest.mark.parametrize("readout", ["last", "all"])
@pytest.mark.parametrize("option", list(OPTIONS))
def test_gradcheck_model_options(option, readout, rng):
    """Dropout masks are held fixed by replaying ``model.generator`` (gradcheck does it)."""
    model = _model(cell="lstm", readout=readout, **OPTIONS[option])
    lengths = np.array([5, 2, 4]) if option == "lengths" else None
    report = gradcheck(Whole(model, lengths), rng.standard_normal((B, T, F)), max_entries=8)
    assert report.passed(1e-6), str(report)


@pytest.mark.parametrize("readout", ["last", "all"])
def test_gradcheck_embedding_model(readout, rng):
    """Token ids have no gradient: the parameters (the embedding's included) are checked."""
    model = _model(cell="gru", readout=readout, vocab_size=7, num_layers=2)
    report = gradcheck(Whole(model, np.array([5, 3, 1])), rng.integers(0, 7, (B, T)), max_entries=8)
    assert "x" not in report.errors and "embedding.weight" in report.errors
    assert report.passed(1e-6), str(report)


@pytest.mark.parametrize("readout", ["last", "all"])
def test_padded_steps_get_exactly_zero_gradient(readout, rng):
    model = _model(cell="lstm", readout=readout, num_layers=2, bidirectional=True)
    lengths = np.array([5, 2, 4])
    valid = minilstm.data.mask(lengths, T)                              # (B, T)
    x, target = rng.standard_normal((B, T, F)), rng.standard_normal((B, T, O) if readout == "all" else (B, O))

    def run(x):
        y = model(x, lengths=lengths)
        # per-step targets are scored on valid steps only, as train() does
        dy = mse_loss(y, target, valid if readout == "all" else None)[1]
        dx = _np(model.backward(dy))
        return _np(y), dx, {k: _np(v).copy() for k, v in model.grads.items()}

    y, dx, grads = run(x)
    assert np.all(dx[~valid] == 0) and np.all(dx[valid] != 0)
    garbage = x.copy()
    garbage[~valid] = 1e3 * rng.standard_normal(garbage[~valid].shape)
    y2, dx2, grads2 = run(garbage)
    np.testing.assert_array_equal(y2[valid] if readout == "all" else y2, y[valid] if readout == "all" else y)
    np.testing.assert_array_equal(dx2, dx)
    for k in grads:
        np.testing.assert_array_equal(grads2[k], grads[k], err_msg=k)


@pytest.mark.parametrize("cell", CELLS)
def test_head_last_with_lengths_equals_each_sequence_alone(cell, rng):
    """The "last" readout reads each sequence's last *valid* state, in both directions."""
    model = _model(cell=cell, num_layers=2, bidirectional=True)
    lengths = [5, 2, 4]
    x, dy = rng.standard_normal((B, T, F)), rng.standard_normal((B, O))
    y = model(x, lengths=np.array(lengths))
    model.backward(dy)
    y, grads = _np(y), {k: _np(v).copy() for k, v in model.grads.items()}
    summed = {k: np.zeros_like(v) for k, v in grads.items()}
    for b, n in enumerate(lengths):
        alone = model(x[b:b + 1, :n])
        np.testing.assert_allclose(y[b:b + 1], _np(alone), rtol=1e-12, atol=1e-13)
        model.backward(dy[b:b + 1])
        for k in summed:
            summed[k] += _np(model.grads[k])
    for k in grads:  # a batch's parameter gradients are the sums over its sequences
        np.testing.assert_allclose(grads[k], summed[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_train_and_eval_switch_dropout(rng):
    x = rng.standard_normal((B, T, F))
    model = _model(num_layers=2, dropout=0.5, recurrent_dropout=0.5)
    assert model.training
    a, b = model(x), model(x)
    assert not np.allclose(a, b), "training mode draws new masks on every forward"
    assert model.eval() is model and not model.training
    c, d = model(x), model(x)
    np.testing.assert_array_equal(c, d)
    np.testing.assert_array_equal(c, _model(num_layers=2)(x))  # same seed, no dropout at all
    assert model.train() is model and model.training
    assert not np.allclose(model(x), c)


def test_named_params_and_grads_cover_every_part(rng):
    model = _model(cell="peephole", num_layers=2, bidirectional=True, vocab_size=6, readout="all")
    want = ({"embedding.weight", "head.weight", "head.bias"}
            | {f"rnn.{k}" for k in model.rnn.params})
    assert set(model.params) == want
    assert any(k.startswith("rnn.weight_peep_i_l1_reverse") for k in model.params)
    assert model.params["head.weight"] is model.head.params["weight"]  # live arrays, not copies
    assert model.params["rnn.weight_hh_l1"] is model.rnn.params["weight_hh_l1"]
    y = model(rng.integers(0, 6, (B, T)))
    assert model.backward(rng.standard_normal(y.shape)) is None  # token ids: no input gradient
    assert set(model.grads) == want
    for k, g in model.grads.items():
        assert g.shape == model.params[k].shape and np.any(_np(g) != 0), k
    assert set(model.state_dict()) == want


def test_state_dict_round_trip_is_in_place():
    a, b = _model(cell="gru", seed=1), _model(cell="gru", seed=2)
    weight = b.params["rnn.weight_ih_l0"]
    b.load_state_dict(a.state_dict())
    assert b.params["rnn.weight_ih_l0"] is weight  # an optimizer holding it sees the new values
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(_np(b.params[k]), v)


def test_same_seed_same_model_and_dtype():
    a, b, c = (minilstm.Model(F, H, O, seed=s) for s in (5, 5, 6))
    for k in a.params:
        assert a.params[k].dtype == np.float32
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.params["rnn.weight_ih_l0"], c.params["rnn.weight_ih_l0"])


@pytest.mark.parametrize("cell", CELLS)
def test_initialisers(cell):
    """Glorot-uniform input blocks, orthogonal recurrent blocks, the forget gate's bias at 1.0,
    in every layer and direction of a Model."""
    model = _model(cell=cell, hidden_size=6, num_layers=2, bidirectional=True)
    G = {"rnn": 1, "gru": 3}.get(cell, 4)
    Hh = 6
    for layer in range(2):
        fan_in = F if layer == 0 else 2 * Hh
        limit = np.sqrt(6.0 / (fan_in + Hh))
        for sfx in (f"_l{layer}", f"_l{layer}_reverse"):
            w_ih = _np(model.params["rnn.weight_ih" + sfx])
            w_hh = _np(model.params["rnn.weight_hh" + sfx])
            bias = _np(model.params["rnn.bias_ih" + sfx]) + _np(model.params["rnn.bias_hh" + sfx])
            assert w_ih.shape == (G * Hh, fan_in) and np.abs(w_ih).max() <= limit
            assert np.abs(w_ih).max() > 0.7 * limit  # the bound is the Glorot one, not a smaller scale
            for k in range(G):
                block = w_hh[k * Hh:(k + 1) * Hh]
                np.testing.assert_allclose(block @ block.T, np.eye(Hh), atol=1e-12)
            forget = np.zeros(G * Hh)
            if cell in ("lstm", "peephole"):  # gate order i, f, g, o
                forget[Hh:2 * Hh] = 1.0
            np.testing.assert_array_equal(bias, forget)


def test_forget_bias_option_reaches_the_cell():
    model = _model(cell="lstm", forget_bias=2.5)
    bias = _np(model.params["rnn.bias_ih_l0"]) + _np(model.params["rnn.bias_hh_l0"])
    np.testing.assert_array_equal(bias[H:2 * H], np.full(H, 2.5))
    assert model.config["forget_bias"] == 2.5


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(cell="transformer"), ValueError, r"cell must be one of \('rnn', 'lstm', 'gru', 'peephole'\), "
                                           r"got 'transformer'"),
    (dict(readout="first"), ValueError, r"readout must be one of \('last', 'all'\), got 'first'"),
    (dict(hidden_size=0), ValueError, "hidden_size must be a positive int, got 0"),
    (dict(dropout=1.0), ValueError, r"dropout must be in \[0, 1\), got 1.0"),
    (dict(cell="gru", forget_bias=1.0), TypeError, "only a cell with a forget gate"),
    (dict(dtype="float16"), ValueError, "float16"),
])
def test_bad_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        _model(**kwargs)


def test_bad_forward_and_backward(rng):
    model = _model()
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        model.backward(np.zeros((B, O)))
    with pytest.raises(ValueError, match=r"x must have 3 features \(input_size\) in its last axis, got shape \(3, 5"):
        model(rng.standard_normal((B, T, F + 1)))
    with pytest.raises(ValueError, match=r"x must be a batched 3-D array \(batch, time, features\)"):
        model(rng.standard_normal((T, F)))
    with pytest.raises(ValueError, match=r"lengths must be in \[1, T=5\]"):
        model(rng.standard_normal((B, T, F)), lengths=np.array([5, 6, 1]))
    model(rng.standard_normal((B, T, F)))
    with pytest.raises(ValueError, match=r"dy must have shape \(3, 2\)"):
        model.backward(np.zeros((B, O + 1)))
    tokens = _model(vocab_size=4)
    with pytest.raises(ValueError, match=r"indices must lie in \[0, num_embeddings=4\), got values in \[0, 4\]"):
        tokens(np.array([[0, 1, 4]]))
    with pytest.raises(TypeError, match="indices must hold integers, got dtype float64"):
        tokens(rng.standard_normal((B, T)))
    with pytest.raises(ValueError, match=r"missing keys \['head.bias'\]"):
        model.load_state_dict({k: v for k, v in model.state_dict().items() if k != "head.bias"})


def test_wrong_label_range_in_training(rng):
    model = minilstm.Model(F, H, 3, seed=0)
    X = rng.standard_normal((8, T, F)).astype(np.float32)
    with pytest.raises(ValueError, match=r"train_data's targets must be class indices in \[0, 3\) \(one per model "
                                         r"output\), got class ids up to 3: make the model with output_size=4"):
        minilstm.train(model, (X, np.array([0, 1, 2, 3, 0, 1, 2, 0])), epochs=1, progress=False)


def test_head_all_outputs_zero_on_padding(rng):
    model = minilstm.Model(2, 4, 3, cell="gru", readout="all", seed=0, dtype="float64")
    x = rng.standard_normal((2, 5, 2))
    y = model(x, lengths=np.array([5, 3]))
    assert np.all(minilstm.to_numpy(y)[1, 3:] == 0) and np.all(minilstm.to_numpy(y)[0] != 0)
    dx = model.backward(np.ones(y.shape))
    assert np.all(minilstm.to_numpy(dx)[1, 3:] == 0)


def test_step_fn_carries_the_state_for_sampling(rng):
    from minilstm import data

    model = minilstm.Model(4, 6, 5, cell="lstm", readout="all", vocab_size=5, seed=0, dtype="float64")
    ids = rng.integers(0, 5, size=7)
    whole = model(ids[None, :])
    step = model.step_fn()
    first = step(ids[:3])  # a prime, then one id per call
    rest = [step(ids[t:t + 1]) for t in range(3, 7)]
    np.testing.assert_allclose(np.stack([first, *rest]), minilstm.to_numpy(whole)[0, 2:], rtol=1e-12)
    vocab = data.CharVocab.from_text("abcde")
    text = data.sample(model.step_fn(), vocab, "ab", 10, temperature=0.5, rng=0)
    assert len(text) == 12 and set(text) <= set("abcde")
    with pytest.raises(ValueError, match="step_fn needs a token model"):
        minilstm.Model(2, 3, 1).step_fn()


def test_repr_summary_and_parameter_count():
    model = minilstm.Model(32, 16, 10, cell="gru", readout="all", vocab_size=10, seed=0)
    assert repr(model) == ("Model(readout='all',\n  (embedding): Embedding(num_embeddings=10, embedding_dim=32, "
                           "dtype='float32')\n  (rnn): GRU(32, 16, batch_first=True)\n"
                           "  (head): Linear(in_features=16, out_features=10, bias=True, dtype='float32')\n"
                           "  (mask): MaskPadding()\n)  # 2,890 parameters")
    assert model.num_params == 10 * 32 + (48 * 32 + 48 * 16 + 2 * 48) + (16 * 10 + 10)
    assert model.num_params == sum(p.size for p in model.params.values())
    lines = model.summary().splitlines()
    assert lines[0].split() == ["Layer", "(type)", "Output", "shape", "Param", "#"]
    assert lines[2].split() == ["embedding", "(Embedding)", "(B,", "T,", "32)", "320"]
    assert lines[3].split() == ["rnn", "(GRU)", "(B,", "T,", "16)", "2,400"]
    assert lines[4].split() == ["head", "(Linear)", "(B,", "T,", "10)", "170"]
    assert lines[-1] == f"Total params: {model.num_params:,}"
    last = minilstm.Model(1, 4, 2, bidirectional=True)
    assert "(B, 2)" in last.summary().splitlines()[3] and "(B, T, 8)" in last.summary().splitlines()[2]


def test_a_missing_feature_axis_says_so():
    model = minilstm.Model(1, 4, 1)
    with pytest.raises(ValueError, match=r"x must be \(batch, time, features\) floats, got a 2-D shape \(6, 20\): "
                                         r"add a feature axis, x\[\.\.\., None\]"):
        model(np.zeros((6, 20), np.float32))
    with pytest.raises(ValueError, match="add a feature axis"):
        model([[0.0, 1.0]])
