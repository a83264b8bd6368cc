"""Checkpoints: a save/load round trip, a file that cannot run code, atomic writes, clear errors,
and resuming a run bit for bit."""
import io
import json
import os
import re
import stat
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import atomic, checkpoint, data
from minilstm.nn import recurrent_base
from minilstm.nn.module import REGISTRY


@pytest.fixture(scope="module")
def sine():
    train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=0))
    return train_set.subset(slice(0, 40)), val_set.subset(slice(0, 16))


@pytest.mark.parametrize("kwargs", [
    dict(cell="peephole", num_layers=2, bidirectional=True, dtype="float64"),
    dict(cell="gru", readout="all", vocab_size=7, reset_after=False, num_layers=2, dropout=0.25),
    dict(cell="rnn", nonlinearity="relu", recurrent_dropout=0.1),
], ids=["peephole", "gru-embedding", "rnn-relu"])
def test_save_then_load_gives_the_same_model(kwargs, tmp_path, rng):
    model = minilstm.Model(3, 5, 4, seed=0, **kwargs)
    path = tmp_path / "sub" / "model.npz"
    assert model.save(path) == str(path)
    loaded = minilstm.load(path)
    assert loaded.config == model.config and loaded.dtype == model.dtype
    assert_same_weights(weights_of(loaded), weights_of(model))
    x = rng.integers(0, 7, (2, 6)) if "vocab_size" in kwargs else rng.standard_normal((2, 6, 3))
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(minilstm.to_numpy(loaded(x)), minilstm.to_numpy(model(x)))


def test_the_file_opens_without_pickle(tmp_path):
    model = minilstm.Model(2, 3, 1, seed=0)
    opt = minilstm.Adam(model.params)
    path = model.save(tmp_path / "model.npz", optimizer=opt, epoch=4, note="hello")
    with np.load(path, allow_pickle=False) as archive:
        names = set(archive.files)
        meta = json.loads(str(archive["meta"]))
        np.testing.assert_array_equal(archive["param/head.weight"], model.state_dict()["head.weight"])
    assert {"meta", "param/rnn.weight_ih_l0", "param/head.bias", "optim/m/head.bias", "optim/v/rnn.bias_hh_l0"} <= names
    assert meta["format"] == "minilstm-checkpoint" and meta["architecture"] == model.config
    assert meta["training"] == {"epoch": 4, "note": "hello"} and meta["optimizer"]["name"] == "Adam"
    ckpt = checkpoint.read(path)
    assert ckpt.optimizer["step"] == 0 and ckpt.optimizer["lr"] == 1e-3


def test_a_crash_mid_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    old = minilstm.Model(2, 3, 1, seed=0)
    old.save(path)

    def crash(f, **arrays):  # half a file written, then the disk fills up
        f.write(b"PK\x03\x04 half an archive")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="No space left on device"):
        minilstm.Model(2, 3, 1, seed=1).save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.npz"], "the temporary file is removed"
    assert_same_weights(weights_of(minilstm.load(path)), weights_of(old))


def _text(path):
    path.write_text("notes from Tuesday\n")


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(300))


def _empty(path):
    path.write_bytes(b"")


def _one_array(path):
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))


def _zip_of_text(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "notes from Tuesday")


def _plain_npz(path):
    with open(path, "wb") as f:
        np.savez(f, weight=np.zeros(3))


def _pickled(path):  # an object array needs pickle: refused, never unpickled
    with open(path, "wb") as f:
        np.savez(f, meta=np.array([{"format": "minilstm-checkpoint"}], dtype=object))


def _other_format(path):
    with open(path, "wb") as f:
        np.savez(f, meta=np.array(json.dumps({"format": "something-else"})))


def _messages(err):
    """The text of ``err`` and of every exception it was raised from or during."""
    found = []
    while err is not None:
        found.append(str(err))
        err = err.__cause__ or err.__context__
    return found


@pytest.mark.parametrize("make,why", [
    (_text, r"it is not a zip archive \(it starts with b'notes from Tuesd'\)"),
    (_random_bytes, r"it is not a zip archive \(it starts with b'"),
    (_empty, "it is empty"),
    (_one_array, r"it holds one NumPy array \(a \.npy file, as np\.save writes\), not an archive"),
    (_zip_of_text, r"it has no 'meta' entry \(it holds 'notes\.txt'\)"),
    (_plain_npz, r"it has no 'meta' entry \(it holds 'weight'\)"),
    (_pickled, "its entry 'meta' holds Python objects, which only unpickling could read, and load never unpickles"),
    (_other_format, "its 'meta' has no 'minilstm-checkpoint' format marker"),
], ids=["text", "random", "empty", "npy", "zip", "no-meta", "pickled", "other-format"])
def test_a_file_that_is_no_checkpoint_says_so_without_numpys_pickle_hint(make, why, tmp_path):
    """Whatever the file is, the error names it, says it is no checkpoint and why, and says what one is; it never
    repeats NumPy's "load it unsafely using allow_pickle" (load never unpickles), not even in its cause."""
    path = tmp_path / "notes.npz"
    make(path)
    with pytest.raises(ValueError, match=re.escape(f"{str(path)!r} is not a minilstm checkpoint: ") + why) as info:
        minilstm.load(path)
    assert str(info.value).endswith(". A checkpoint is the .npz file that minilstm.save (or any module's save "
                                    "method) writes")
    assert not any("pickle=" in m or "pickle.load" in m or "unsafely" in m for m in _messages(info.value)), \
        _messages(info.value)


def _truncated(path):
    minilstm.Model(2, 3, 1, seed=0).save(path)
    path.write_bytes(path.read_bytes()[:400])


def _bad_json(path):
    with open(path, "wb") as f:
        np.savez(f, meta=np.array("{not json"))


@pytest.mark.parametrize("make,match", [
    (_truncated, r"is not a readable minilstm checkpoint \(BadZipFile: "),
    (_bad_json, r"is not a readable minilstm checkpoint \(JSONDecodeError: "),
], ids=["truncated", "bad-json"])
def test_a_damaged_file_gives_a_clear_error(make, match, tmp_path):
    path = tmp_path / "model.npz"
    make(path)
    with pytest.raises(ValueError, match=re.escape(repr(str(path))) + " " + match) as info:
        minilstm.load(path)
    assert not any("pickle" in m for m in _messages(info.value))


def test_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(f"no checkpoint at {str(tmp_path / 'nope.npz')!r}")):
        minilstm.load(tmp_path / "nope.npz")


def test_resume_from_another_architecture(sine, tmp_path):
    minilstm.train(minilstm.Model(1, 4, 1, seed=0), sine[0], epochs=1, progress=False, checkpoint_dir=tmp_path)
    other = minilstm.Model(1, 5, 1, cell="gru", seed=0)
    with pytest.raises(ValueError, match=r"holds another architecture: cell: checkpoint 'lstm', model 'gru'; "
                                         r"hidden_size: checkpoint 4, model 5"):
        minilstm.train(other, sine[0], epochs=1, progress=False, resume=tmp_path)


def test_resume_from_a_weights_only_file(sine, tmp_path):
    model = minilstm.Model(1, 4, 1, seed=0)
    path = model.save(tmp_path / "weights.npz")
    with pytest.raises(ValueError, match="holds weights but no training state to resume"):
        minilstm.train(model, sine[0], epochs=1, progress=False, resume=path)


def test_resume_is_bit_for_bit(sine, tmp_path):
    """N epochs, then a fresh model loaded from the file and M more, equal N + M in one go:
    weights, optimizer moments, schedule, batch order and dropout's random state all travel."""
    train_set, val_set = sine
    args = dict(val_data=val_set, batch_size=8, lr=1e-2, progress=False,
                schedule=("step", {"step_size": 1, "gamma": 0.7}))

    def model():
        return minilstm.Model(1, 6, 1, num_layers=2, dropout=0.3, recurrent_dropout=0.2, seed=0)

    straight = model()
    whole = minilstm.train(straight, train_set, epochs=3, seed=7, **args)
    first = minilstm.train(model(), train_set, epochs=2, seed=7, checkpoint_dir=tmp_path, **args)
    # with val_data the best epoch is kept beside the last; no temporary file is left
    assert first.epochs == 2 and sorted(os.listdir(tmp_path)) == ["best.npz", "model.npz"]

    resumed_model = minilstm.load(tmp_path / "model.npz")  # as a new process would
    resumed = minilstm.train(resumed_model, train_set, epochs=1, resume=tmp_path, **args)
    assert_same_weights(weights_of(resumed_model), weights_of(straight))
    assert resumed["epoch"] == [1, 2, 3] and resumed.seed == 7
    for key in ("train_loss", "val_loss", "grad_norm", "lr"):
        assert resumed[key] == whole[key], key

    # the random state matters: without it the dropout masks, and so the weights, differ
    fresh = minilstm.load(tmp_path / "model.npz")
    minilstm.train(fresh, train_set, epochs=1, seed=7, **args)
    assert not np.array_equal(weights_of(fresh)["rnn.weight_hh_l0"], weights_of(straight)["rnn.weight_hh_l0"])


def test_early_stopping_counts_survive_a_resume(tmp_path):
    """Patience already used up before the save still counts after the resume."""
    from minilstm import data

    train_set = data.make_task("sine", seed=0).subset(slice(0, 32))

    def run(epochs, resume=None, checkpoint_dir=None):
        model = minilstm.load(str(tmp_path / "a" / "model.npz")) if resume else \
            minilstm.Model(1, 4, 1, seed=0, dtype="float64")
        return minilstm.train(model, train_set, lr=10.0, optimizer="sgd", epochs=epochs, early_stopping=2,
                              progress=False, seed=0, checkpoint_dir=checkpoint_dir, resume=resume)

    whole = run(10)
    first = run(2, checkpoint_dir=str(tmp_path / "a"))
    rest = run(8, resume=str(tmp_path / "a"))
    assert whole.stopped_early and rest.stopped_early and not first.stopped_early
    assert rest["train_loss"] == whole["train_loss"]


# ---------------------------------------------------------------- a file that was tampered with is refused fast
def _rewrite(src, dst, change=None, **members):
    """Copy the checkpoint ``src`` to ``dst`` with ``change(meta)`` applied (a str replaces the JSON) and members
    replaced or added."""
    with np.load(src, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays["meta"]))
    if change is not None:
        meta = change(meta)
    arrays["meta"] = np.array(meta if isinstance(meta, str) else json.dumps(meta))
    arrays.update(members)
    with open(dst, "wb") as f:
        np.savez(f, **arrays)
    return dst


def _setting(*keys, value):
    def change(meta):
        inner = meta
        for k in keys[:-1]:
            inner = inner[k]
        inner[keys[-1]] = value
        return meta
    return change


def _field(path, name):
    return re.escape(f"checkpoint {str(path)!r}: field {name!r} ")


@pytest.fixture
def saved(tmp_path):
    model = minilstm.Model(2, 4, 1, seed=0)
    return model.save(tmp_path / "model.npz", optimizer=minilstm.Adam(model.params), epoch=1, seed=0,
                      history={"train_loss": [0.5]}, rng_states={"": {}}, best=None, bad_epochs=0, schedule=None)


@pytest.mark.parametrize("key,value", [("hidden_size", 4000), ("input_size", 30_000_000)])
def test_a_tampered_size_is_refused_before_building(key, value, saved, tmp_path, monkeypatch):
    """A config that disagrees with the stored arrays is refused from their shapes: nothing is built."""
    path = _rewrite(saved, tmp_path / "tampered.npz", _setting("architecture", key, value=value))

    def no_build(*args):
        raise AssertionError("built before the shapes were checked")

    monkeypatch.setattr(checkpoint, "build", no_build)
    with pytest.raises(ValueError, match=_field(path, "architecture") + "does not match the stored weights: "
                                         r"rnn\.weight_ih_l0 is \(16, 2\) in the file but"):
        minilstm.load(path)


def test_a_tampered_layer_count_is_refused_before_listing_its_layers(saved, tmp_path, monkeypatch):
    """Ten million layers are refused from the count of stored arrays: not one layer's shapes is listed."""
    path = _rewrite(saved, tmp_path / "tampered.npz", _setting("architecture", "num_layers", value=10**7))
    listed = []
    monkeypatch.setattr(recurrent_base, "cell_shapes", lambda *args, **kwargs: listed.append(args))
    with pytest.raises(ValueError, match=_field(path, "architecture") + re.escape(
            "cannot be built by this minilstm: num_layers=10000000 needs 20000000 weight arrays or more, the file "
            "holds 6")):
        minilstm.load(path)
    assert listed == []


def test_a_header_declaring_a_huge_array_is_refused_without_allocating(saved, tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "param/head.weight.npy":  # (1, 4) float32 becomes (1e7, 1e7): 400 TB declared
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                              "shape": (10**7, 10**7)})
                data = header.getvalue() + b"\0" * 16
            dst.writestr(info.filename, data)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=_field(path, "param/head.weight") +
                           re.escape("declares a (10000000, 10000000) float32 array (400000000000000 bytes) but "
                                     "holds 16 bytes")):
            checkpoint.read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{peak} bytes allocated"  # the whole file is 2 kB: no array's data was read


def test_a_zip_that_claims_more_than_the_file_holds_is_refused(saved, tmp_path):
    """A compressed member may unpack to far more than the file's size: refused before it is unpacked."""
    path = _rewrite(saved, tmp_path / "bomb.npz")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("param/zeros.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, np.zeros(4_000_000, np.float32))
    assert os.path.getsize(path) < 100_000
    with pytest.raises(ValueError, match=_field(path, "param/zeros") + r"is compressed \(as np.savez_compressed"):
        checkpoint.read(path)


def test_a_checkpoint_resaved_compressed_is_refused_saying_so(saved, tmp_path):
    """Once refused as 'claims 1348 bytes, more than the whole file holds (2244 bytes)', a contradiction."""
    with np.load(saved, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    path = tmp_path / "compressed.npz"
    np.savez_compressed(path, **arrays)
    with pytest.raises(ValueError, match=r"is compressed \(as np.savez_compressed writes it\): a checkpoint "
                                         r"stores its arrays uncompressed, so save the model with minilstm.save"):
        minilstm.load(path)


@pytest.mark.parametrize("change,field,problem", [
    (_setting("version", value="1"), "version", "must be an int >= 1, got '1'"),
    (_setting("version", value=None), "version", "must be an int >= 1, got None"),
    (_setting("type", value=5), "type", "must be a string, got 5"),
    (_setting("architecture", value=[2, 4, 1]), "architecture", "must be a dict of settings"),
    (_setting("architecture", "num_layers", value="x"), "architecture",
     "cannot be built by this minilstm: num_layers must be a positive int, got str 'x'"),
    (_setting("architecture", "colour", value="red"), "architecture",
     "cannot be built by this minilstm: Recurrent.__init__() got an unexpected keyword argument 'colour'"),
    (_setting("optimizer", value=5), "optimizer", "must be null or a dict with 'name' and 'scalars', got 5"),
    (lambda meta: meta | {"optimizer": {"name": "Adam"}}, "optimizer.scalars", "must be a dict, got None"),
    (_setting("optimizer", "name", value=3), "optimizer.name", "must be a string, got 3"),
    (_setting("training", value=[1]), "training", "must be a dict, got list"),
    (_setting("training", "epoch", value="2"), "training.epoch", "must be an int >= 0, got '2'"),
    (_setting("training", "history", value=[0.5]), "training.history", "must be a dict of lists"),
    (_setting("training", "rng_states", value={"": 5}), "training.rng_states", "must be a dict of dicts"),
    (_setting("training", "unfinished", value=[48]), "training.unfinished", "must be a dict or null, got [48]"),
    (lambda meta: '{"format": "minilstm-checkpoint", "version": 1, "x": ' + "[" * 50_000 + "]" * 50_000 + "}",
     "meta", "nests 50001 levels deep, more than a checkpoint's 32"),
], ids=["version-str", "version-none", "type-int", "architecture-list", "size-str", "unknown-setting",
        "optimizer-int", "no-scalars", "optimizer-name", "training-list", "epoch-str", "history-list",
        "rng-states", "unfinished-list", "deep-json"])
def test_every_malformed_field_is_a_value_error_naming_file_and_field(change, field, problem, saved, tmp_path):
    path = _rewrite(saved, tmp_path / "tampered.npz", change)
    with pytest.raises(ValueError, match=_field(path, field) + re.escape(problem)):
        minilstm.load(path)


def test_a_meta_that_is_no_string_and_a_weight_of_ints_are_refused(saved, tmp_path):
    path = _rewrite(saved, tmp_path / "a.npz", meta=np.zeros(3))
    with pytest.raises(ValueError, match=_field(path, "meta") + r"must be one JSON string, got a \(3,\) float64"):
        checkpoint.read(path)
    path = _rewrite(saved, tmp_path / "b.npz", **{"param/head.bias": np.zeros(1, np.int64)})
    with pytest.raises(ValueError, match=_field(path, "param/head.bias") + "must hold floats, got dtype int64"):
        checkpoint.read(path)


def test_a_tampered_training_state_is_refused_on_resume(saved, tmp_path):
    path = _rewrite(saved, tmp_path / "tampered.npz", _setting("training", "seed", value="zero"))
    with pytest.raises(ValueError, match=_field(path, "training.seed") + "must be an int or null, got 'zero'"):
        minilstm.train(minilstm.Model(2, 4, 1, seed=0), (np.zeros((4, 3, 2)), np.zeros((4, 1))), epochs=1,
                       progress=False, resume=path)


@pytest.mark.parametrize("type_name,config", [
    ("Model", dict(input_size=3, hidden_size=5, output_size=2)),
    ("Model", dict(input_size=3, hidden_size=5, output_size=2, cell="gru", num_layers=2, bidirectional=True,
                   vocab_size=11, readout="all", reset_after=False)),
    ("Model", dict(input_size=2, hidden_size=4, output_size=1, cell="peephole", num_layers=3, bias=False)),
    ("Model", dict(input_size=2, hidden_size=4, output_size=1, cell="lstm", coupled=True)),
    ("Model", dict(input_size=2, hidden_size=4, output_size=1, cell="rnn", nonlinearity="relu")),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, peephole=True)),
    ("LSTM", dict(input_size=3, hidden_size=4, forget_gate=False, output_gate=False)),
    ("PeepholeLSTM", dict(input_size=3, hidden_size=2, bias=False)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2)),
    ("RNN", dict(input_size=3, hidden_size=4, bidirectional=True)),
    ("LSTMCell", dict(input_size=3, hidden_size=4, output_gate=False)),
    ("PeepholeLSTMCell", dict(input_size=3, hidden_size=4)),
    ("GRUCell", dict(input_size=3, hidden_size=4, bias=False)),
    ("RNNCell", dict(input_size=3, hidden_size=4)),
    ("Linear", dict(in_features=3, out_features=2, bias=False)),
    ("Embedding", dict(num_embeddings=7, embedding_dim=3)),
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=3, padding="same")),
    ("AttentionPool", dict(hidden=4, kind="additive")),
    ("AttentionPool", dict(hidden=4)),
    ("MultiheadAttention", dict(embed_dim=8, num_heads=2, bias=False)),
    ("GaussianHead", dict(in_features=4, out_features=2)),
    ("Sequential", dict(modules=[["0", "Conv1d", dict(in_channels=2, out_channels=3, kernel_size=2)],
                                 ["1", "ReLU", {}], ["2", "Dropout", dict(p=0.1)],
                                 ["3", "LSTM", dict(input_size=3, hidden_size=4, batch_first=True)],
                                 ["4", "MeanOverTime", {}], ["5", "Tanh", {}], ["6", "Linear", dict(
                                     in_features=4, out_features=1)]])),
])
def test_the_shapes_from_a_config_are_the_built_ones(type_name, config):
    """What load compares with the file (the class's own rule, through the registry) is what build makes."""
    built = checkpoint.build(type_name, config)
    assert REGISTRY[type_name].param_shapes(**config) == {k: v.shape for k, v in built.state_dict().items()}


@pytest.mark.parametrize("change,problem", [
    (lambda meta: _setting("architecture", "modules", 1, value=["1", "Recurrent", {
        **meta["architecture"]["modules"][1][2], "cell": "lstm"}])(meta),
     "cannot be built by this minilstm: cell must be a step pair of minilstm.cells"),
    (_setting("architecture", "modules", 0, 2, "kernel_size", value=5000),
     r"does not match the stored weights: 0\.weight is \(3, 2, 2\) in the file but \(3, 2, 5000\)"),
    (_setting("architecture", "modules", 0, 2, "dilation", value=10**12),
     r"cannot be built by this minilstm: dilation\*\(kernel_size-1\), the steps one window reaches over, must be "
     r"at most 65536, got dilation=1000000000000 with kernel_size=2"),
    (_setting("architecture", "modules", 2, 2, "colour", value="red"),
     r"cannot be built by this minilstm: LastStep\(\) got an unexpected keyword argument 'colour'"),
    (_setting("architecture", "modules", 2, 1, value="_Parameterless"),
     r"cannot be built by this minilstm: unknown module type '_Parameterless'"),
    (_setting("architecture", "modules", 0, 2, "bias", value="no"),
     "cannot be built by this minilstm: bias must be True or False, got str 'no'"),
    (_setting("architecture", "modules", 1, 2, "hidden_size", value=4000),
     r"does not match the stored weights: 1\.weight_ih_l0 is \(16, 3\) in the file but \(16000, 3\)"),
    (_setting("architecture", "modules", 1, 2, "num_layers", value=10**7),
     "cannot be built by this minilstm: num_layers=10000000 needs 20000000 weight arrays or more, the file holds 8"),
], ids=["base-class", "kernel", "dilation", "readout-setting", "private-class", "bias", "hidden", "layers"])
def test_a_tampered_sequential_is_refused_before_building(change, problem, tmp_path, monkeypatch):
    """A Sequential's modules are each checked by their own class's rule, an internal base class too."""
    seq = minilstm.Sequential(minilstm.Conv1d(2, 3, 2), minilstm.LSTM(3, 4, batch_first=True), minilstm.LastStep(),
                              minilstm.Linear(4, 1))
    path = _rewrite(seq.save(tmp_path / "seq.npz"), tmp_path / "tampered.npz", change)

    def no_build(*args):
        raise AssertionError("built before the shapes were checked")

    monkeypatch.setattr(checkpoint, "build", no_build)
    with pytest.raises(ValueError, match=_field(path, "architecture") + problem):
        minilstm.load(path)


def test_a_learners_subclass_of_a_layer_is_built_then_checked(tmp_path):
    """A subclass's constructor may make other weights than its parent's: the parent's rule does not speak for it."""
    class LSTMWithScale(minilstm.LSTM):
        def __init__(self, input_size, hidden_size, **options):
            super().__init__(input_size, hidden_size, **options)
            self._set_params({**self.state_dict(), "scale": np.ones(hidden_size)})

    model = minilstm.Sequential(LSTMWithScale(2, 3, seed=0), minilstm.LastStep(), minilstm.Linear(3, 1, seed=0))
    loaded = minilstm.load(model.save(tmp_path / "scaled.npz"))
    assert_same_weights(weights_of(loaded), weights_of(model))
    assert loaded.params["0.scale"].shape == (3,)


def test_a_learners_module_is_built_then_checked(tmp_path):
    class ScaleForCheckpointTest(minilstm.nn.Module):
        def __init__(self, size, dtype="float64"):
            self.dtype = dtype
            self._set_params({"w": np.ones(size)})

        def forward(self, x):
            return x * self.params["w"]

        def backward(self, dy):
            return dy * self.params["w"]

    path = minilstm.Sequential(ScaleForCheckpointTest(3)).save(tmp_path / "scale.npz")
    assert minilstm.load(path).params["0.w"].shape == (3,)
    path = _rewrite(path, tmp_path / "tampered.npz", lambda meta: json.loads(
        json.dumps(meta).replace('"size": 3', '"size": 5')))
    with pytest.raises(ValueError, match=_field(path, "param") + r"does not fit the architecture: .*\(5,\)"):
        minilstm.load(path)


# ---------------------------------------------------------------- NumPy scalars are saved as plain numbers
def test_numpy_scalars_everywhere_are_saved(tmp_path):
    """Sizes, rates and seeds given as NumPy scalars pass every check; the save must not fail after the work."""
    model = minilstm.Model(np.int64(1), np.int64(4), np.int32(1), num_layers=np.int64(2), dropout=np.float32(0.25),
                           bidirectional=np.bool_(True), seed=np.int64(0))
    train_set = data.make_task("sine", seed=0).subset(slice(0, 16))
    history = minilstm.train(model, train_set, epochs=2, seed=np.int64(3), lr=np.float64(1e-2), batch_size=8,
                             progress=False, checkpoint_dir=tmp_path,
                             schedule=("step", {"step_size": np.int64(1), "gamma": np.float32(0.5)}))
    ckpt = checkpoint.read(tmp_path / "model.npz")
    assert ckpt.meta["architecture"]["hidden_size"] == 4 and type(ckpt.meta["architecture"]["hidden_size"]) is int
    assert ckpt.meta["architecture"]["dropout"] == pytest.approx(0.25)
    assert ckpt.meta["training"]["seed"] == 3 and history.seed == 3
    assert_same_weights(weights_of(minilstm.load(tmp_path / "model.npz")), weights_of(model))
    minilstm.train(minilstm.load(tmp_path / "model.npz"), train_set, epochs=1, batch_size=8, progress=False,
                   resume=tmp_path, schedule=("step", {"step_size": 1, "gamma": 0.5}))

    path = model.save(tmp_path / "extra.npz", epoch=np.int64(2), pair=(np.float32(0.5), np.bool_(False)),
                      table={np.int64(1): np.array(2.5)})
    assert checkpoint.read(path).meta["training"] == {"epoch": 2, "pair": [0.5, False], "table": {"1": 2.5}}


def test_an_unsavable_value_names_its_field_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match=re.escape("checkpoint field 'training.history.lr' = set cannot be saved")):
        minilstm.Model(1, 2, 1, seed=0).save(tmp_path / "model.npz", history={"lr": {0.1}})
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- files honour the umask; stale temporaries go
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_checkpoint_honours_the_umask(umask, tmp_path):
    old = os.umask(umask)
    try:
        path = minilstm.Model(1, 2, 1, seed=0).save(tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


@pytest.mark.skipif(os.name != "posix", reason="process ids checked with os.kill(pid, 0)")
def test_the_next_save_removes_only_stale_temporaries(tmp_path):
    """Our names whose writer is dead (or untouched for an hour) go; a live writer's and everything else stay:
    a user's own files however named and however old (before, any ``.tmp-<8 chars>.npz`` an hour old went)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, host, token = int(done.stdout), atomic.HOST, "0a1b2c3d4e5f6789"
    stale = [f".minilstm-save-{dead}@{host}-{token}.tmp", f".minilstm-save-{os.getpid()}@elsewhere-{token}.tmp"]
    kept = [f".minilstm-save-{os.getpid()}@{host}-{token}.tmp", f".minilstm-save-{os.getppid()}@{host}-{token}.tmp",
            f".minilstm-save-{dead}@elsewhere-{token}.tmp", f".minilstm-save-{dead}@{host}-0a1b2c3d.tmp",
            ".tmp-results1.npz", f".tmp-{dead}@{host}-0a1b2c3d.npz", ".tmp-notes.txt", "notes.npz",
            f".minilstm-save-{dead}@{host}-{token}.tmp.bak"]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"partial")
    hour_ago = time.time() - atomic.STALE_AFTER - 60
    for name in (f".minilstm-save-{os.getpid()}@elsewhere-{token}.tmp", ".tmp-results1.npz", "notes.npz",
                 f".tmp-{dead}@{host}-0a1b2c3d.npz"):
        os.utime(tmp_path / name, (hour_ago, hour_ago))
    folder = f".minilstm-save-1@elsewhere-{token}.tmp"
    (tmp_path / folder).mkdir()  # a folder is never removed, however old
    os.utime(tmp_path / folder, (hour_ago, hour_ago))
    minilstm.Model(1, 2, 1, seed=0).save(tmp_path / "model.npz")
    assert sorted(os.listdir(tmp_path)) == sorted(kept + [folder, "model.npz"])


def test_saving_over_a_read_only_checkpoint_needs_overwrite(tmp_path):
    path = minilstm.Model(1, 2, 1, seed=0).save(tmp_path / "model.npz")
    os.chmod(path, 0o444)
    before = (tmp_path / "model.npz").read_bytes()
    with pytest.raises(PermissionError, match=r"model.npz' is read-only: minilstm.save replaces it only with "
                                              "overwrite=True"):
        minilstm.save(minilstm.Model(1, 2, 1, seed=1), path)
    with pytest.raises(PermissionError, match="overwrite=True"):
        minilstm.Model(1, 2, 1, seed=1).save(path)
    assert (tmp_path / "model.npz").read_bytes() == before
    with pytest.raises(TypeError, match="overwrite must be True or False, got 'yes'"):
        minilstm.save(minilstm.Model(1, 2, 1, seed=1), path, overwrite="yes")
    minilstm.save(minilstm.Model(1, 2, 1, seed=1), path, overwrite=True)
    assert_same_weights(weights_of(minilstm.load(path)), weights_of(minilstm.Model(1, 2, 1, seed=1)))
    minilstm.save(minilstm.Model(1, 2, 1, seed=2), path)  # a writable file is replaced, as open(path, "w") does


def test_save_and_load_on_every_backend(backend, tmp_path):
    model = minilstm.Model(2, 3, 1, cell="gru", seed=0)
    loaded = minilstm.load(model.save(tmp_path / "model.npz", optimizer=minilstm.Adam(model.params), epoch=1))
    assert isinstance(loaded.params["rnn.weight_hh_l0"], backend.array_type)
    assert_same_weights(weights_of(loaded), weights_of(model))


@pytest.mark.parametrize("field, change, members", [
    ("optimizer", None, {"optim/m/head.weight": np.zeros((3, 3), np.float32)}),
    ("training.rng_states", _setting("training", "rng_states", value={"": {"bit_generator": "PCG64"}}), {}),
    ("training.rng_states", _setting("training", "rng_states", value={"nowhere": {}}), {}),
])
def test_a_training_state_that_does_not_fit_is_refused_naming_file_and_field(field, change, members, tmp_path):
    """Resuming reads the optimizer's buffers and the generators' states last: a file whose parts fail there
    is still a ValueError naming the file and the field (not a KeyError from inside NumPy)."""
    X, Y = np.zeros((4, 3, 2)), np.zeros((4, 1))
    minilstm.train(minilstm.Model(2, 4, 1, seed=0), (X, Y), epochs=1, progress=False, seed=0,
                   checkpoint_dir=tmp_path / "run")
    path = _rewrite(tmp_path / "run" / "model.npz", tmp_path / "tampered.npz", change, **members)
    with pytest.raises(ValueError, match=_field(path, field) + "cannot be restored: "):
        minilstm.train(minilstm.Model(2, 4, 1, seed=0), (X, Y), epochs=1, progress=False, resume=path)
