"""Checkpoints: a save/load round trip, a file that cannot run code, atomic writes, clear errors,
and resuming a run bit for bit."""
import json
import os
import re

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import checkpoint, data


@pytest.fixture(scope="module")
def sine():
    train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=0))
    return train_set.subset(slice(0, 40)), val_set.subset(slice(0, 16))


@pytest.mark.parametrize("kwargs", [
    dict(cell="peephole", num_layers=2, bidirectional=True, dtype="float64"),
    dict(cell="gru", head="all", vocab_size=7, reset_after=False, num_layers=2, dropout=0.25),
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
    np.testing.assert_array_equal(minilstm.to_numpy(loaded(x)[0]), minilstm.to_numpy(model(x)[0]))


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

    monkeypatch.setattr(checkpoint.np, "savez", crash)
    with pytest.raises(OSError, match="No space left on device"):
        minilstm.Model(2, 3, 1, seed=1).save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.npz"], "the temporary file is removed"
    assert_same_weights(weights_of(minilstm.load(path)), weights_of(old))


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(300))


def _plain_npz(path):
    with open(path, "wb") as f:
        np.savez(f, weight=np.zeros(3))


def _truncated(path):
    minilstm.Model(2, 3, 1, seed=0).save(path)
    path.write_bytes(path.read_bytes()[:400])


def _empty(path):
    path.write_bytes(b"")


def _pickled(path):  # an object array needs pickle: refused, never unpickled
    with open(path, "wb") as f:
        np.savez(f, meta=np.array([{"format": "minilstm-checkpoint"}], dtype=object))


def _one_array(path):
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))


def _other_format(path):
    with open(path, "wb") as f:
        np.savez(f, meta=np.array(json.dumps({"format": "something-else"})))


@pytest.mark.parametrize("make,match", [
    (_random_bytes, "is not a readable minilstm checkpoint"),
    (_plain_npz, r"is not a readable minilstm checkpoint \(KeyError: 'meta'\)"),
    (_truncated, "is not a readable minilstm checkpoint"),
    (_empty, "is not a readable minilstm checkpoint"),
    (_pickled, "is not a readable minilstm checkpoint"),
    (_one_array, r"is not a readable minilstm checkpoint \(ValueError: it holds one array"),
    (_other_format, "is not a minilstm checkpoint"),
], ids=["random", "no-meta", "truncated", "empty", "pickled", "npy", "other-format"])
def test_a_corrupt_file_gives_a_clear_error(make, match, tmp_path):
    path = tmp_path / "model.npz"
    make(path)
    with pytest.raises(ValueError, match=re.escape(repr(str(path))) + " " + match):
        minilstm.load(path)


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
