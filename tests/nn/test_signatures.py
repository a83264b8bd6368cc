"""One set of conventions: a PyTorch positional call means what it means in PyTorch or is a TypeError, and
every option of minilstm's own is keyword-only."""
import inspect

import numpy as np
import pytest

import minilstm
from minilstm import checkpoint_file
from minilstm.nn.module import REGISTRY

# the positional parameters of every module a user makes: PyTorch's list (or its first part), nothing else
POSITIONAL = {
    "RNN": ["input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
            "bidirectional"],
    "LSTM": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"],
    "GRU": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"],
    "PeepholeLSTM": ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"],
    "RNNCell": ["input_size", "hidden_size", "bias", "nonlinearity"],
    "LSTMCell": ["input_size", "hidden_size", "bias"],
    "GRUCell": ["input_size", "hidden_size", "bias"],
    "PeepholeLSTMCell": ["input_size", "hidden_size", "bias"],
    "Linear": ["in_features", "out_features", "bias"],
    "GaussianHead": ["in_features", "out_features", "bias"],
    "Embedding": ["num_embeddings", "embedding_dim"],
    "Conv1d": ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation"],
    "Dropout": ["p"],
    "ReLU": [], "Tanh": [], "LastStep": [], "MeanOverTime": [], "MaskPadding": [],
    "MultiheadAttention": ["embed_dim", "num_heads", "dropout", "bias"],
    "AttentionPool": ["hidden"],                                  # no PyTorch counterpart: the size alone
    "Attention": ["hidden"],                                      # no PyTorch counterpart: the size alone
    "Model": ["input_size", "hidden_size", "output_size"],        # no PyTorch counterpart: the sizes alone
}
# the modules with a PyTorch counterpart of the same name in torch.nn
TORCH = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "Linear", "Embedding", "Conv1d", "Dropout", "ReLU",
         "MultiheadAttention")


def _positional(cls) -> list:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [n for n, p in list(inspect.signature(cls.__init__).parameters.items())[1:] if p.kind in kinds]


def _torch(name: str):
    return getattr(pytest.importorskip("torch").nn, name)


def _torch_positional(name: str) -> list:
    """PyTorch's positional list (its recurrent layers take *args: RNNBase's list, RNN's nonlinearity 4th)."""
    if name in ("RNN", "LSTM", "GRU"):
        base = list(inspect.signature(_torch("RNNBase").__init__).parameters)[2:]  # after self, mode
        return base[:3] + ["nonlinearity"] + base[3:] if name == "RNN" else base
    return _positional(_torch(name))


def test_every_module_a_user_makes_has_its_positional_list_here():
    ours = {checkpoint_file.type_name(cls) for cls in REGISTRY.values() if checkpoint_file.is_builtin(cls)}
    assert ours - {"Recurrent", "Cell", "_Parameterless", "Sequential"} == set(POSITIONAL)


@pytest.mark.parametrize("name", POSITIONAL)
def test_only_pytorchs_positional_list_is_positional(name):
    """The positional parameters are PyTorch's first ones, in its order; everything after is keyword-only."""
    assert _positional(getattr(minilstm, name)) == POSITIONAL[name]
    if name in TORCH:
        assert _torch_positional(name)[:len(POSITIONAL[name])] == POSITIONAL[name]
    if name == "LSTM":
        assert _torch_positional(name)[len(POSITIONAL[name])] == "proj_size"  # the one PyTorch has and we lack


def _same_params(ours, theirs):
    """Keys and shapes equal; then our module takes PyTorch's weights."""
    assert {k: tuple(v.shape) for k, v in ours.params.items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(theirs.state_dict())


@pytest.mark.parametrize("name,args", [
    ("RNN", (3, 5, 2, "relu", False, True, 0.0, True)),
    ("RNN", (3, 5, 1, "tanh", True, True)),
    ("LSTM", (3, 5, 2, False, True, 0.0, True)),
    ("LSTM", (3, 5, 1, False)),       # once forget_bias=False's place
    ("GRU", (3, 8, 1, False)),        # once reset_after=False's place: no biases, as in PyTorch
    ("GRU", (3, 5, 2, True, True, 0.0, True)),
])
def test_a_pytorch_positional_call_builds_the_same_layer(name, args, rng):
    ours, theirs = getattr(minilstm, name)(*args, dtype="float64"), _torch(name)(*args).double()
    for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    _same_params(ours, theirs)
    x = rng.standard_normal((2, 4, 3))  # (B, T, D) or (T, B, D): the same array means the same to both
    out, _ = ours(x)
    ref, _ = theirs(pytest.importorskip("torch").from_numpy(x))
    np.testing.assert_allclose(minilstm.to_numpy(out), ref.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_gru_3_8_1_false_has_no_biases_and_resets_after():
    gru = minilstm.GRU(3, 8, 1, False)
    assert set(gru.params) == {"weight_ih_l0", "weight_hh_l0"} and gru.cell.reset_after
    assert not minilstm.PeepholeLSTM(3, 8, 1, False).bias


@pytest.mark.parametrize("name,args", [
    ("RNNCell", (3, 5, False, "relu")), ("LSTMCell", (3, 5, False)), ("GRUCell", (3, 5, False)),
    ("LSTMCell", (3, 5, True)), ("Linear", (3, 5, False)), ("Conv1d", (3, 5, 2, 2, 1, 2)), ("Embedding", (7, 3)),
])
def test_a_pytorch_positional_call_builds_the_same_module(name, args):
    ours, theirs = getattr(minilstm, name)(*args, dtype="float64"), _torch(name)(*args)
    for attr in ("input_size", "hidden_size", "in_features", "out_features", "in_channels", "out_channels",
                 "num_embeddings", "embedding_dim"):
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr), attr
    if name == "Conv1d":
        assert (ours.kernel_size, ours.stride, ours.padding, ours.dilation) == (2, 2, 1, 2)
    if name == "RNNCell":
        assert ours.cell.nonlinearity == theirs.nonlinearity == "relu"
    _same_params(ours, theirs)
    assert minilstm.Dropout(0.25).p == _torch("Dropout")(0.25).p


@pytest.mark.parametrize("call", [
    lambda: minilstm.LSTM(3, 5, 1, True, False, 0.0, False, 2),       # proj_size
    lambda: minilstm.GRU(3, 5, 1, True, False, 0.0, False, 0),
    lambda: minilstm.RNN(3, 5, 1, "tanh", True, False, 0.0, False, 0),
    lambda: minilstm.PeepholeLSTM(3, 5, 1, True, False, 0.0, False, 0),
    lambda: minilstm.RNNCell(3, 5, True, "tanh", None),                # device
    lambda: minilstm.LSTMCell(3, 5, True, None),
    lambda: minilstm.GRUCell(3, 5, True, None),
    lambda: minilstm.Linear(3, 5, True, None),
    lambda: minilstm.GaussianHead(3, 5, True, 1e-3),
    lambda: minilstm.Embedding(7, 3, 0),                               # padding_idx
    lambda: minilstm.Conv1d(3, 5, 2, 1, 0, 1, 1),                      # groups
    lambda: minilstm.Conv1d(3, 5, 2, 1, 0, 1, 1, False),
    lambda: minilstm.Dropout(0.5, False),                              # inplace
    lambda: minilstm.ReLU(False),
    lambda: minilstm.Tanh("float64"),
    lambda: minilstm.GaussianNLLLoss(True),                            # keyword-only in PyTorch too
    lambda: minilstm.AttentionPool(4, "additive"),
    lambda: minilstm.MultiheadAttention(4, 2, 0.0, True, False),         # add_bias_kv
    lambda: minilstm.LastStep(True),
    lambda: minilstm.Model(1, 4, 1, "gru"),
])
def test_a_longer_positional_call_is_a_type_error(call):
    with pytest.raises(TypeError, match="positional argument"):
        call()


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "PeepholeLSTM"])
def test_minilstms_options_are_keywords(name):
    """The options PyTorch lacks are taken by name only (each checked to be accepted so)."""
    options = dict(seed=0, dtype="float64", recurrent_dropout=0.1, input_dropout=0.1,
                   **({"forget_bias": 2.0} if "LSTM" in name else {}),
                   **({"reset_after": False, "update_bias": 1.0} if name == "GRU" else {}))
    layer = getattr(minilstm, name)(3, 4, **options)
    assert all(layer.config[k] == v for k, v in options.items())


# ---------------------------------------------------------------- one forward: forward(x, state=None, *, lengths=None)
def _forward_params(obj) -> list:
    return [(n, p.kind.name, p.default) for n, p in inspect.signature(obj.forward).parameters.items()]


X, POS, KW = inspect.Parameter.empty, "POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY"


@pytest.mark.parametrize("make", [lambda: minilstm.RNN(3, 4), lambda: minilstm.LSTM(3, 4), lambda: minilstm.GRU(3, 4),
                                  lambda: minilstm.PeepholeLSTM(3, 4)], ids=["RNN", "LSTM", "GRU", "PeepholeLSTM"])
def test_every_recurrent_layer_runs_forward_x_state_then_lengths_by_name(make):
    layer = make()
    want = [("x", POS, X), ("state", POS, None), ("lengths", KW, None)]
    assert _forward_params(layer) == want
    assert [(n, k, d) for n, k, d in _forward_params(layer)] == \
        [(n, p.kind.name, p.default) for n, p in inspect.signature(layer.forward_record).parameters.items()]


@pytest.mark.parametrize("make", [lambda: minilstm.Sequential(minilstm.LSTM(3, 4, batch_first=True)),
                                  lambda: minilstm.Model(3, 4, 2)], ids=["Sequential", "Model"])
def test_sequential_and_model_take_the_same_call_and_return_the_state_when_asked(make):
    assert _forward_params(make()) == [("x", POS, X), ("state", POS, None), ("lengths", KW, None),
                                       ("return_state", KW, False)]


@pytest.mark.parametrize("make", [minilstm.LastStep, minilstm.MeanOverTime, minilstm.MaskPadding,
                                  lambda: minilstm.AttentionPool(4)])
def test_a_module_that_reads_padding_takes_lengths_by_name(make):
    assert _forward_params(make()) == [("x", POS, X), ("lengths", KW, None)]


def test_lengths_given_by_position_is_a_type_error(rng):
    x, lengths = rng.standard_normal((5, 2, 3)), np.array([5, 3])
    with pytest.raises(TypeError, match="positional argument"):
        minilstm.LSTM(3, 4)(x, None, lengths)
    with pytest.raises(TypeError, match="positional argument"):
        minilstm.Model(3, 4, 2)(x, None, lengths)


@pytest.mark.parametrize("options", [dict(), dict(readout_all=True), dict(vocab_size=6)],
                         ids=["last", "all", "tokens"])
def test_a_model_returns_exactly_what_its_sequential_returns(options, rng):
    """``Model(x)`` is the Sequential of the same modules called the same way: an array, and ``(y, state)``
    with ``return_state=True``; a given state and lengths act the same on both."""
    kw = {"readout": "all"} if options.pop("readout_all", False) else {}
    model = minilstm.Model(3, 4, 2, cell="lstm", seed=0, dtype="float64", **kw, **options)
    seq = minilstm.Sequential(**model.modules)
    x = rng.integers(0, 6, (2, 5)) if options else rng.standard_normal((2, 5, 3))
    state = tuple(rng.standard_normal((1, 2, 4)) for _ in range(2))
    lengths = np.array([5, 3])
    for args, kwargs in [((x,), {}), ((x, state), {}), ((x,), dict(lengths=lengths)),
                         ((x, state), dict(lengths=lengths))]:
        got, want = model(*args, **kwargs), seq(*args, **kwargs)
        assert type(got) is type(want) and not isinstance(got, tuple)
        np.testing.assert_array_equal(minilstm.to_numpy(got), minilstm.to_numpy(want))
        (y, (h, c)), (y_ref, (h_ref, c_ref)) = (m(*args, **kwargs, return_state=True) for m in (model, seq))
        for a, b in ((y, y_ref), (h, h_ref), (c, c_ref), (y, got)):
            np.testing.assert_array_equal(minilstm.to_numpy(a), minilstm.to_numpy(b))


def test_a_sequential_passes_the_state_to_its_recurrent_layer(rng):
    lstm = minilstm.LSTM(3, 4, batch_first=True, dtype="float64", seed=0)
    seq = minilstm.Sequential(lstm)
    x, state = rng.standard_normal((2, 5, 3)), tuple(rng.standard_normal((1, 2, 4)) for _ in range(2))
    out, (h, c) = lstm(x, state)
    y, (h2, c2) = seq(x, state, return_state=True)
    np.testing.assert_array_equal(seq(x, state), out)
    for a, b in ((y, out), (h2, h), (c2, c)):
        np.testing.assert_array_equal(a, b)
    assert seq(x, return_state=True)[1] is not None and minilstm.Sequential(minilstm.ReLU())(x, return_state=True)[1] \
        is None


# ---------------------------------------------------------------- optimizers: torch.optim's order, or TypeError
@pytest.mark.parametrize("name,positional", [
    ("SGD", ["params", "lr", "momentum"]),
    ("Adam", ["params", "lr", "betas", "eps", "weight_decay"]),
    ("AdamW", ["params", "lr", "betas", "eps", "weight_decay"]),
    ("RMSprop", ["params", "lr", "alpha", "eps"]),
    ("Adagrad", ["params", "lr"]),
])
def test_an_optimizer_takes_torch_optims_positional_list_and_nothing_more(name, positional):
    assert _positional(getattr(minilstm, name)) == positional
    theirs = list(inspect.signature(getattr(pytest.importorskip("torch").optim, name).__init__).parameters)[1:]
    assert theirs[:len(positional)] == positional
    with pytest.raises(TypeError, match="positional argument"):
        getattr(minilstm, name)({"w": np.zeros(2)}, *([0.1, 0.9, 1e-8, 0.0, 0.0][:len(positional)]))
