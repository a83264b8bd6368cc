"""Each class owns its parameter shapes: ``cls.param_shapes(**config)`` lists exactly the keys, shapes and order
``cls(**config)`` allocates, over every option, checks a config as the constructor does, and allocates nothing."""
import tracemalloc

import pytest

import minilstm
from minilstm import checkpoint, checkpoint_file
from minilstm.cells import VARIANTS
from minilstm.nn.module import REGISTRY, shape_rule

BASES = {"Recurrent", "Cell", "_Parameterless"}  # shared bases, which no user makes

CASES = [
    ("RNN", (3, 4), {}),
    ("RNN", (3, 4, 2, "relu"), dict(bidirectional=True, dtype="float64")),
    ("RNN", (3, 4), dict(num_layers=3, bias=False, batch_first=True, dropout=0.25, recurrent_dropout=0.1)),
    ("LSTM", (3, 4), {}),
    ("LSTM", (3, 4, 2, False, True, 0.1, True), dict(input_dropout=0.2, forget_bias=2.0)),
    ("LSTM", (3, 4), dict(num_layers=2, bidirectional=True, peephole=True)),
    ("LSTM", (3, 4), dict(forget_gate=False, output_gate=False)),
    ("LSTM", (2, 5), dict(input_gate=False, bias=False, num_layers=2)),
    *[("LSTM", (3, 4), dict(num_layers=2, bidirectional=True, **variant)) for variant in VARIANTS.values()],
    ("PeepholeLSTM", (3, 2), dict(bias=False)),
    ("PeepholeLSTM", (3, 2), dict(peephole=False, num_layers=2)),
    ("PeepholeLSTM", (3, 2, 3), dict(bidirectional=True, coupled=True)),
    ("GRU", (3, 4), {}),
    ("GRU", (3, 4, 1, False), {}),
    ("GRU", (3, 4), dict(num_layers=2, bidirectional=True, reset_after=False, update_bias=1.0)),
    ("RNNCell", (3, 4), {}),
    ("RNNCell", (3, 4, False, "relu"), {}),
    ("LSTMCell", (3, 4), {}),
    ("LSTMCell", (3, 4), dict(output_gate=False, forget_bias=0.5)),
    ("LSTMCell", (3, 4, False), dict(peephole=True, coupled=True)),
    *[("LSTMCell", (2, 3), dict(variant)) for variant in VARIANTS.values()],
    ("PeepholeLSTMCell", (3, 4), {}),
    ("PeepholeLSTMCell", (3, 4), dict(peephole=False)),
    ("GRUCell", (3, 4), dict(bias=False)),
    ("GRUCell", (3, 4), dict(reset_after=False, update_bias=-1.0)),
    ("Linear", (3, 2), {}),
    ("Linear", (3, 2, False), dict(dtype="float64")),
    ("Embedding", (7, 3), {}),
    ("Conv1d", (3, 4, 3), {}),
    ("Conv1d", (3, 4, 3), dict(padding="same", dilation=2, bias=False)),
    ("Conv1d", (2, 5, 4, 2, 1, 3), {}),
    ("AttentionPool", (4,), {}),
    ("MultiheadAttention", (8, 4), {}),
    ("MultiheadAttention", (6, 3, 0.1, False), dict(batch_first=True)),
    ("AttentionPool", (4,), dict(kind="additive")),
    ("Attention", (4,), {}),
    ("GaussianHead", (4, 2), {}),
    ("GaussianHead", (4, 2, False), dict(min_var=1e-3)),
    ("ReLU", (), {}), ("Tanh", (), dict(dtype="float64")), ("Dropout", (0.3,), {}),
    ("LastStep", (), dict(bidirectional=True)), ("MeanOverTime", (), {}), ("MaskPadding", (), {}),
    ("Model", (3, 5, 2), {}),
    ("Model", (3, 5, 2), dict(cell="gru", num_layers=2, bidirectional=True, vocab_size=11, readout="all",
                              reset_after=False)),
    ("Model", (2, 4, 1), dict(cell="peephole", num_layers=3, bias=False)),
    ("Model", (2, 4, 1), dict(cell="lstm", coupled=True, forget_gate=True, output_gate=False)),
    ("Model", (2, 4, 3), dict(cell="rnn", nonlinearity="relu", bidirectional=True, readout="all")),
]


def _built_shapes(module) -> list:
    return [(k, tuple(v.shape)) for k, v in module.state_dict().items()]


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_rule_is_what_the_constructor_allocates(name, args, kwargs):
    """Keys, shapes and order (the order of the seeded draws), called as the constructor is and with its config."""
    cls = getattr(minilstm, name)
    built = cls(*args, **kwargs)
    assert list(cls.param_shapes(*args, **kwargs).items()) == _built_shapes(built)
    assert list(cls.param_shapes(**built.config).items()) == _built_shapes(built)  # what a checkpoint holds


def test_a_sequential_combines_its_modules_rules_under_their_names():
    inner = minilstm.Sequential(minilstm.Conv1d(2, 3, 2), minilstm.ReLU(), minilstm.Dropout(0.1))
    seq = minilstm.Sequential(conv=inner, rnn=minilstm.LSTM(3, 4, 2, batch_first=True, bidirectional=True),
                              pool=minilstm.AttentionPool(8, kind="additive"), head=minilstm.GaussianHead(8, 1),
                              model=minilstm.Model(1, 3, 2, cell="gru", readout="all"))
    shapes = minilstm.Sequential.param_shapes(**seq.config)
    assert list(shapes.items()) == _built_shapes(seq)
    assert "conv.0.weight" in shapes and "model.rnn.weight_hh_l0" in shapes
    assert list(minilstm.Sequential.param_shapes(**seq.config).items()) == \
        _built_shapes(checkpoint.build("Sequential", seq.config))


def test_every_module_of_minilstm_has_its_rule():
    """A class without one would be built before a checkpoint's shapes are checked."""
    ours = {name: cls for name, cls in REGISTRY.items() if checkpoint_file.is_builtin(cls)}
    assert set(ours) - BASES == {c[0] for c in CASES} | {"Sequential"}
    assert all(shape_rule(cls) is not None for cls in ours.values())


def test_a_learners_class_speaks_only_through_a_rule_of_its_own():
    class Wider(minilstm.Linear):  # an inherited rule would describe Linear, not this constructor
        def __init__(self, features):
            super().__init__(features, 2 * features)

    class Scale(minilstm.nn.Module):
        @classmethod
        def param_shapes(cls, size):
            return {"w": (size,)}

    assert shape_rule(Wider) is None
    assert shape_rule(Scale) == Scale.param_shapes and Scale.param_shapes(3) == {"w": (3,)}
    assert shape_rule(minilstm.PeepholeLSTM) == minilstm.PeepholeLSTM.param_shapes  # minilstm's own inherit
    linear = ["1", "Linear", dict(in_features=3, out_features=2)]
    assert minilstm.Sequential.param_shapes(modules=[["0", checkpoint_file.type_name(Scale), dict(size=3)], linear]) \
        == {"0.w": (3,), "1.weight": (2, 3), "1.bias": (2,)}
    assert minilstm.Sequential.param_shapes(modules=[["0", checkpoint_file.type_name(Wider), dict(features=3)],
                                                     linear]) is None  # built first, checked after


@pytest.mark.parametrize("name,config,error,message", [
    ("Linear", dict(in_features=0, out_features=2), ValueError, "in_features must be a positive int, got 0"),
    ("Linear", dict(in_features=3, out_features=2, bias="yes"), TypeError, "bias must be True or False"),
    ("Embedding", dict(num_embeddings=7, embedding_dim=2.5), TypeError, "embedding_dim must be a positive int"),
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=0), ValueError, "kernel_size must be a positive int"),
    ("AttentionPool", dict(hidden=4, kind="cosine"), ValueError, "kind must be one of ('dot', 'additive')"),
    ("MultiheadAttention", dict(embed_dim=10, num_heads=4), ValueError, "embed_dim must be divisible by num_heads"),
    ("GaussianHead", dict(in_features=4, out_features=-1), ValueError, "out_features must be a positive int"),
    ("RNN", dict(input_size=3, hidden_size=4, nonlinearity="sigmoid"), ValueError, "nonlinearity must be one of"),
    ("RNN", dict(input_size=3, hidden_size=4, bidirectional="yes"), TypeError, "bidirectional must be True or False"),
    ("LSTM", dict(input_size=3, hidden_size="4"), TypeError, "hidden_size must be a positive int, got str '4'"),
    ("LSTM", dict(input_size=3, hidden_size=4, input_gate="no"), TypeError, "input_gate must be True or False"),
    ("LSTM", dict(input_size=3, hidden_size=4, peephole=1), TypeError, "peephole must be True or False"),
    ("LSTM", dict(input_size=3, hidden_size=4, coupled=True, input_gate=False), ValueError, "coupled=True"),
    ("LSTM", dict(input_size=3, hidden_size=4, forget_gate=False, forget_bias=1.0), TypeError,
     "forget_bias needs a forget gate"),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=0), ValueError, "num_layers must be a positive int, got 0"),
    ("GRU", dict(input_size=3, hidden_size=4, reset_after=1), TypeError, "reset_after must be True or False"),
    ("RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="gelu"), ValueError, "nonlinearity must be one of"),
    ("LSTMCell", dict(input_size=3, hidden_size=0), ValueError, "hidden_size must be a positive int, got 0"),
    ("GRUCell", dict(input_size=3, hidden_size=4, bias=None), TypeError, "bias must be True or False"),
    ("Recurrent", dict(cell="lstm", input_size=3, hidden_size=4), TypeError, "cell must be a step pair"),
    ("Cell", dict(step={"gates": "ifgo"}, input_size=3, hidden_size=4), TypeError, "cell must be a step pair"),
    ("Model", dict(input_size=3, hidden_size=4, output_size=2, cell="transformer"), ValueError,
     "cell must be one of"),
    ("Model", dict(input_size=3, hidden_size=4, output_size=2, readout="first"), ValueError, "readout must be one of"),
    ("Model", dict(input_size=3, hidden_size=4, output_size=0), ValueError, "output_size must be a positive int"),
    ("Model", dict(input_size=3, hidden_size=4, output_size=2, vocab_size=0), ValueError,
     "vocab_size must be a positive int"),
    ("Model", dict(input_size=3, hidden_size=4, output_size=2, cell="gru", reset_after="no"), TypeError,
     "reset_after must be True or False"),
    ("Model", dict(input_size=3, hidden_size=4, output_size=2, batch_first=False), TypeError, "'batch_first'"),
    ("Sequential", dict(modules="LSTM"), ValueError, "a Sequential's config must list [name, type, config]"),
    ("Sequential", dict(modules=[["0", "Transformer", {}]]), ValueError, "unknown module type 'Transformer'"),
    ("Sequential", dict(modules=[["0", "Linear", [3, 2]]]), ValueError, "the config of a Linear must be a dict"),
    ("Sequential", dict(modules=[["0", "Linear", dict(in_features=3, out_features=2)],
                                 ["1", "Recurrent", dict(cell="gru", input_size=2, hidden_size=2)]]),
     TypeError, "cell must be a step pair"),
    ("Sequential", dict(modules=[["0", "Sequential", dict(modules=[["a", "Conv1d", dict(
        in_channels=1, out_channels=2, kernel_size=3, dilation=2, bias="no")]])]]), TypeError,
     "bias must be True or False"),
])
def test_a_bad_config_is_refused_by_the_rule_as_by_the_constructor(name, config, error, message):
    """The error names the field, and building from the same config fails the same way (one rule)."""
    cls = REGISTRY[name]
    with pytest.raises(error) as by_rule:
        cls.param_shapes(**config)
    assert message in str(by_rule.value)
    with pytest.raises(error) as by_constructor:
        checkpoint.build(name, config)
    assert str(by_constructor.value) == str(by_rule.value)


@pytest.mark.parametrize("name,config", [
    ("LSTM", dict(input_size=10**9, hidden_size=10**9, num_layers=3, bidirectional=True, peephole=True)),
    ("Model", dict(input_size=10**9, hidden_size=10**9, output_size=10**9, vocab_size=10**12)),
    ("Conv1d", dict(in_channels=10**9, out_channels=10**9, kernel_size=3, dilation=2**15)),
    ("Sequential", dict(modules=[["0", "GaussianHead", dict(in_features=10**12, out_features=10**12)],
                                 ["1", "AttentionPool", dict(hidden=10**12, kind="additive")]])),
])
def test_the_shapes_of_a_huge_module_cost_nothing(name, config):
    """Petabytes of weights are listed, not allocated: what lets a checkpoint refuse them before building."""
    tracemalloc.start()
    try:
        shapes = REGISTRY[name].param_shapes(**config)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert max(max(shape) for shape in shapes.values()) >= 10**9
    assert peak < 2**16, f"{peak} bytes allocated"
