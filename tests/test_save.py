"""``minilstm.save(module, path)`` beside ``minilstm.load(path)``, ``.save`` on every module, and the registry
that rebuilds them: built-in names stay minilstm's, a learner's class enters under its qualified name."""
import json

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import checkpoint, checkpoint_file
from minilstm.nn.module import REGISTRY, Module

# one of every module a user composes, small
MODULES = {
    "RNN": lambda: minilstm.RNN(3, 4, 2, "relu", bidirectional=True, seed=0),
    "LSTM": lambda: minilstm.LSTM(3, 4, forget_bias=2.0, seed=0),
    "GRU": lambda: minilstm.GRU(3, 4, bias=False, reset_after=False, seed=0),
    "PeepholeLSTM": lambda: minilstm.PeepholeLSTM(3, 4, dtype="float64", seed=0),
    "RNNCell": lambda: minilstm.RNNCell(3, 4, seed=0),
    "LSTMCell": lambda: minilstm.LSTMCell(3, 4, coupled=True, seed=0),
    "GRUCell": lambda: minilstm.GRUCell(3, 4, bias=False, seed=0),
    "PeepholeLSTMCell": lambda: minilstm.PeepholeLSTMCell(3, 4, seed=0),
    "Linear": lambda: minilstm.Linear(3, 2, seed=0),
    "Embedding": lambda: minilstm.Embedding(5, 3, seed=0),
    "Conv1d": lambda: minilstm.Conv1d(3, 4, 2, padding="same", seed=0),
    "AttentionPool": lambda: minilstm.AttentionPool(4, kind="additive", seed=0),
    "MultiheadAttention": lambda: minilstm.MultiheadAttention(4, 2, 0.1, batch_first=True, seed=0),
    "GaussianHead": lambda: minilstm.GaussianHead(4, 2, seed=0),
    "Dropout": lambda: minilstm.Dropout(0.25, seed=0),
    "ReLU": minilstm.ReLU,
    "LastStep": minilstm.LastStep,
    "Sequential": lambda: minilstm.Sequential(minilstm.LSTM(3, 4, batch_first=True, seed=0), minilstm.LastStep(),
                                              minilstm.Linear(4, 1, seed=1)),
    "Model": lambda: minilstm.Model(3, 4, 2, cell="gru", num_layers=2, seed=0),
}


class Scale(Module):
    """A learner's own module: one weight per feature."""

    def __init__(self, size, dtype="float64"):
        self.dtype = dtype
        self._set_params({"w": np.arange(1.0, size + 1)})

    def forward(self, x):
        return x * self.params["w"]

    def backward(self, dy):
        return dy * self.params["w"]


@pytest.mark.parametrize("name", MODULES)
def test_every_module_saves_and_loads_back_equal(name, tmp_path):
    """``module.save(path)`` and ``minilstm.save(module, path)`` write the same; ``minilstm.load`` gives back the
    same class, config and weights."""
    module = MODULES[name]()
    assert module.save(tmp_path / "method.npz") == str(tmp_path / "method.npz")
    assert minilstm.save(module, tmp_path / "function.npz") == str(tmp_path / "function.npz")
    for path in ("method.npz", "function.npz"):
        loaded = minilstm.load(tmp_path / path)
        assert type(loaded) is type(module) and loaded.config == module.config
        assert_same_weights(weights_of(loaded), weights_of(module))
    assert checkpoint.read(tmp_path / "function.npz").meta["type"] == name


def test_a_single_lstm_loads_back_and_runs_the_same(tmp_path, rng):
    lstm = minilstm.LSTM(3, 5, num_layers=2, dtype="float64", seed=0)
    loaded = minilstm.load(minilstm.save(lstm, tmp_path / "lstm.npz"))
    x = rng.standard_normal((6, 2, 3))
    (out, (h, c)), (out_ref, (h_ref, c_ref)) = loaded(x), lstm(x)
    for a, b in ((out, out_ref), (h, h_ref), (c, c_ref)):
        np.testing.assert_array_equal(minilstm.to_numpy(a), minilstm.to_numpy(b))


@pytest.mark.parametrize("wrap", [False, True], ids=["alone", "in-a-sequential"])
def test_a_learners_module_saves_under_its_qualified_name(wrap, tmp_path):
    module = minilstm.Sequential(Scale(3)) if wrap else Scale(3)
    path = minilstm.save(module, tmp_path / "scale.npz")
    meta = checkpoint.read(path).meta
    name = meta["architecture"]["modules"][0][1] if wrap else meta["type"]
    assert name == f"{Scale.__module__}.Scale" == checkpoint_file.type_name(Scale)
    loaded = minilstm.load(path)
    inner = loaded.modules["0"] if wrap else loaded
    assert type(inner) is Scale
    np.testing.assert_array_equal(inner.params["w"], [1.0, 2.0, 3.0])


def test_a_learners_lstm_does_not_replace_the_builtin(tmp_path):
    """``class LSTM(minilstm.LSTM)`` registers under its qualified name; a built-in LSTM's checkpoint still builds
    minilstm's LSTM, and the learner's loads back as the learner's."""
    builtin = minilstm.LSTM(2, 3, seed=0).save(tmp_path / "builtin.npz")

    class LSTM(minilstm.LSTM):
        """A learner's LSTM of the same name."""

    assert REGISTRY["LSTM"] is minilstm.LSTM
    assert REGISTRY[checkpoint_file.type_name(LSTM)] is LSTM
    assert checkpoint_file.type_name(LSTM).endswith("test_a_learners_lstm_does_not_replace_the_builtin.<locals>.LSTM")
    assert type(minilstm.load(builtin)) is minilstm.LSTM
    assert type(minilstm.load(minilstm.LSTM(2, 3, seed=1).save(tmp_path / "later.npz"))) is minilstm.LSTM
    mine = minilstm.load(LSTM(2, 3, seed=0).save(tmp_path / "mine.npz"))
    assert type(mine) is LSTM
    assert_same_weights(weights_of(mine), weights_of(minilstm.load(builtin)))


def test_the_registry_refuses_a_second_class_under_a_builtin_name():
    with pytest.raises(TypeError, match="the registry name 'LSTM' belongs to minilstm.nn.recurrent.LSTM"):
        type("LSTM", (Module,), {"__module__": "minilstm.elsewhere", "__qualname__": "LSTM"})
    assert REGISTRY["LSTM"] is minilstm.LSTM


def test_a_class_defined_again_replaces_its_earlier_self():
    """A notebook cell run twice defines the class again, under the same qualified name: the new one is used."""
    first = type("Twice", (Scale,), {"__module__": "__main__", "__qualname__": "Twice"})
    second = type("Twice", (Scale,), {"__module__": "__main__", "__qualname__": "Twice"})
    assert first is not second and REGISTRY["__main__.Twice"] is second


def _with_type(src, dst, name):
    """A copy of the checkpoint ``src`` at ``dst`` whose meta names the type ``name``."""
    with np.load(src, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays["meta"]))
    meta["type"] = name
    arrays["meta"] = np.array(json.dumps(meta))
    with open(dst, "wb") as f:
        np.savez(f, **arrays)
    return dst


def test_a_file_of_the_previous_version_finds_a_learners_class_by_its_bare_name(tmp_path):
    """Files written before the qualified names hold ``"OldFileScale"``: the one learner's class of that name
    builds; two of that name are refused, naming both."""

    class OldFileScale(Scale):
        pass

    old = _with_type(OldFileScale(2).save(tmp_path / "scale.npz"), tmp_path / "old.npz", "OldFileScale")
    assert type(minilstm.load(old)) is OldFileScale
    with pytest.raises(ValueError, match="unknown module type 'NoSuchScale': define or import its class"):
        checkpoint.build("NoSuchScale", {})

    class OldFileScale(Scale):  # noqa: F811 (another class of the same name, in another scope)
        __qualname__ = "elsewhere.OldFileScale"

    with pytest.raises(ValueError, match=r"module type 'OldFileScale' is ambiguous: .*OldFileScale, .*OldFileScale"):
        minilstm.load(old)


# ---------------------------------------------------------------- a Model's readout, and files that call it head
def test_a_models_head_is_its_linear_and_readout_is_the_mode():
    model = minilstm.Model(2, 4, 3, readout="all", seed=0)
    assert model.readout == "all" and isinstance(model.head, minilstm.Linear) and model.config["readout"] == "all"
    assert minilstm.Model(2, 4, 3).readout == "last"
    with pytest.raises(TypeError, match="head"):
        minilstm.Model(2, 4, 3, head="all")


def _old_spelling(path):
    """Rewrite the checkpoint at ``path`` as the previous version wrote it: the readout under ``"head"``."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays["meta"]))
    meta["architecture"] = {("head" if k == "readout" else k): v for k, v in meta["architecture"].items()}
    arrays["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    assert "head" in checkpoint.read(path).meta["architecture"]
    return path


def test_a_model_saved_with_head_loads_with_that_readout(tmp_path, rng):
    model = minilstm.Model(2, 4, 3, readout="all", vocab_size=5, seed=0, dtype="float64")
    loaded = minilstm.load(_old_spelling(model.save(tmp_path / "old.npz")))
    assert loaded.readout == "all" and loaded.config == model.config
    ids = rng.integers(0, 5, (2, 6))
    np.testing.assert_array_equal(loaded(ids), model(ids))
    inner = minilstm.Sequential(minilstm.ReLU()).config
    inner["modules"].append(["m", "Model", {**model.config, "head": "last"}])
    inner["modules"][-1][2].pop("readout")
    assert checkpoint.architecture(checkpoint.Checkpoint({}, {}, {"type": "Sequential", "architecture": inner}))[1][
        "modules"][-1][2]["readout"] == "last"


def test_a_run_checkpointed_with_head_resumes(tmp_path):
    train_set = minilstm.data.make_task("sine", seed=0).subset(slice(0, 16))
    minilstm.train(minilstm.Model(1, 4, 1, seed=0), train_set, epochs=1, batch_size=8, progress=False,
                   checkpoint_dir=tmp_path)
    _old_spelling(tmp_path / "model.npz")
    history = minilstm.train(minilstm.Model(1, 4, 1, seed=0), train_set, epochs=2, batch_size=8, progress=False,
                             resume=tmp_path)
    assert history.epochs == 3  # one epoch, then two more
