"""Crafted checkpoints: every one refused quickly, as a ValueError naming the file, by a documented limit.

Each test here hung or ran for minutes before its fix (no wall-clock assertion: the sizes are chosen so
that the old quadratic or unbounded path would not finish); the fuzz over a saved Sequential is at the end,
its full run (1,000 bit flips, 100 configs, each timed) in benchmarks/checkpoint_fuzz.py.
"""
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import minilstm
from minilstm import atomic, checkpoint, checkpoint_file, cli, npz
from minilstm.nn import conv

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import checkpoint_fuzz  # noqa: E402


def _craft(path, meta=None, text=None, **arrays):
    """An .npz of ``arrays`` with ``meta`` as its JSON (or ``text`` as it is)."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    arrays["meta"] = np.array(text if text is not None else json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _meta(type_name, architecture, **more):
    return {"format": "minilstm-checkpoint", "version": 1, "type": type_name, "architecture": architecture,
            "optimizer": None, "training": {}, **more}


def _field(path, name):
    return re.escape(f"checkpoint {str(path)!r}: field {name!r} ")


def test_an_unterminated_string_of_escapes_is_refused_in_linear_time(tmp_path):
    """``'"' + '\\"' * n``: the regex that skipped strings backtracked quadratically (16 KB took 4.5 s); this
    2.4 MB one would have taken hours."""
    path = _craft(tmp_path / "quotes.npz", text='"' + '\\"' * 600_000)
    with pytest.raises(ValueError, match=re.escape(f"{str(path)!r} is not a readable minilstm checkpoint "
                                                   "(JSONDecodeError: Unterminated string")):
        minilstm.load(path)


@pytest.mark.parametrize("text,deep", [
    ('{"a": "\\\\", "b": ' + "[" * 33 + "]" * 33 + "}", True),          # an escaped backslash ends the string
    ('{"a": "\\"' + "[" * 40 + '", "b": 1}', False),                     # brackets inside a string do not nest
    ('{"a": "\\\\\\"' + "{" * 40 + '"}', False),                         # an escaped quote after one
])
def test_nesting_is_counted_outside_strings_only(text, deep, tmp_path):
    path = _craft(tmp_path / "nest.npz", text=text)
    problem = "nests 34 levels deep" if deep else "has no 'minilstm-checkpoint' format marker"
    with pytest.raises(ValueError, match=re.escape(problem)):
        checkpoint_file.read(path)
    json.loads(text)  # each is valid JSON: only the nesting or the marker is refused


def test_a_million_keys_a_crowd_of_members_and_of_modules_are_refused_by_their_limits(tmp_path):
    relu = _meta("Sequential", {"modules": [["0", "ReLU", {}]]})
    keys = _craft(tmp_path / "keys.npz", {**relu, "training": {f"k{i}": 0 for i in range(checkpoint_file.MAX_KEYS)}})
    with pytest.raises(ValueError, match=_field(keys, "meta") + f"holds {checkpoint_file.MAX_KEYS + 7} keys, more "
                                         f"than a checkpoint's {checkpoint_file.MAX_KEYS}"):
        checkpoint_file.read(keys)
    members = _craft(tmp_path / "members.npz", relu, **{f"x{i}": np.zeros(0) for i in range(npz.MAX_MEMBERS)})
    with pytest.raises(ValueError, match=_field(members, "the archive") + f"has {npz.MAX_MEMBERS + 1} members, "
                                         f"more than a checkpoint's {npz.MAX_MEMBERS}"):
        minilstm.load(members)
    many = checkpoint.MAX_MODULES + 1
    inner = {"modules": [[str(i), "ReLU", {}] for i in range(many // 2)]}
    modules = _craft(tmp_path / "modules.npz", _meta("Sequential", {"modules": [
        ["a", "Sequential", inner], ["b", "Sequential", inner], ["c", "Tanh", {}]]}))
    with pytest.raises(ValueError, match=_field(modules, "architecture") + "cannot be built by this minilstm: a "
                                         f"Sequential of {many + 2} modules or more is more than load builds "
                                         f"\\({checkpoint.MAX_MODULES}\\)"):
        minilstm.load(modules)


def test_a_learners_module_leaves_minilstms_modules_around_it_checked_before_building(tmp_path, monkeypatch):
    """Without a rule of its own, a learner's module is built to know its shapes; before, it switched the check
    off for the whole Sequential, so an LSTM beside it of hidden size 2500 was built first."""

    class Scale(minilstm.nn.Module):
        def __init__(self, k=2.0):
            self.params, self.grads, self.dtype = {}, {}, "float32"

        def forward(self, x):
            return x

        def backward(self, dy):
            return dy

    seq = minilstm.Sequential(Scale(), minilstm.LSTM(3, 4, batch_first=True), minilstm.LastStep())
    path = seq.save(tmp_path / "seq.npz")
    meta = json.loads(str(np.load(path)["meta"]))
    meta["architecture"]["modules"][1][2]["hidden_size"] = 2500
    tampered = _craft(tmp_path / "tampered.npz", meta, **{f"param/{k}": v for k, v in seq.state_dict().items()})
    monkeypatch.setattr(checkpoint, "build", lambda *args: pytest.fail("built before the shapes were checked"))
    with pytest.raises(ValueError, match=_field(tampered, "architecture") + r"does not match the stored weights: "
                                         r"1\.weight_ih_l0 is \(16, 3\) in the file but \(10000, 3\)"):
        minilstm.load(tampered)


@pytest.mark.parametrize("names,problem", [
    (["a", "a"], "a Sequential's config names two modules 'a': each name must be its own"),
    (["a", "b.c"], "a module's name must be a non-empty string without '.', as in PyTorch, got 'b.c'"),
    (["a", 3], "a module's name must be a non-empty string without '.', as in PyTorch, got 3"),
    (["", "b"], "a module's name must be a non-empty string without '.', as in PyTorch, got ''"),
])
def test_module_names_that_would_make_keys_ambiguous_are_refused(names, problem, tmp_path):
    """Two modules of one name were built as one (the dict kept the last); a dotted name makes ``a.b.weight``
    belong to two modules."""
    path = _craft(tmp_path / "names.npz", _meta("Sequential", {"modules": [[n, "ReLU", {}] for n in names]}))
    with pytest.raises(ValueError, match=_field(path, "architecture") + "cannot be built by this minilstm: "
                                         + re.escape(problem)):
        minilstm.load(path)
    if "." in str(names[1]):
        with pytest.raises(ValueError, match=re.escape(problem)):
            minilstm.Sequential(**{n: minilstm.ReLU() for n in names})


def test_a_private_class_is_no_module_type(tmp_path):
    path = _craft(tmp_path / "private.npz", _meta("_Parameterless", {}))
    with pytest.raises(ValueError, match=_field(path, "architecture") + "cannot be built by this minilstm: unknown "
                                         "module type '_Parameterless'"):
        minilstm.load(path)


def test_resuming_from_a_crafted_file_is_refused_by_train_and_the_command_line(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    path = _craft(run / "model.npz", text='"' + '\\"' * 600_000)
    (run / "metrics.json").write_text(json.dumps({"settings": {"task": "sine"}}))
    with pytest.raises(ValueError, match=re.escape(f"{str(path)!r} is not a readable minilstm checkpoint")):
        minilstm.train(minilstm.Model(1, 4, 1), (np.zeros((4, 3, 1)), np.zeros((4, 1))), epochs=1, progress=False,
                       resume=path)
    assert cli.main(["train", "--resume", str(run), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--resume {run}: {str(path)!r} is not a readable minilstm checkpoint" in err
    meta = _meta("Model", {"input_size": 1, "hidden_size": 10**6, "output_size": 1}, training={"epoch": 1})
    _craft(path, meta, **{f"param/{k}": v for k, v in minilstm.Model(1, 4, 1).state_dict().items()})
    assert cli.main(["train", "--resume", str(run), "--no-progress"]) == 2  # it reads, but does not build
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--resume {run}: checkpoint {str(path)!r}: field 'architecture' does not " \
                                     "match the stored weights: rnn.weight_ih_l0 is (16, 1) in the file" in err


def test_a_fuzz_of_bit_flips_and_crafted_configs_gives_only_value_errors_naming_the_file(tmp_path):
    """A seeded sample of benchmarks/checkpoint_fuzz.py's run: every damaged or crafted Sequential checkpoint is
    a ValueError naming the file, or loads as it was (a flip in a zip timestamp changes nothing), or, for an
    edit that is still a valid config (a parameter-free module renamed), loads as that config says."""
    outcomes = checkpoint_fuzz.fuzz(tmp_path, flips=120, configs=40, seed=0)
    wrong = [o for o in outcomes if o["outcome"] not in ("ValueError naming the file", "loaded unchanged")
             and not (o["outcome"] == "loaded" and o["case"].startswith("config"))]
    assert not wrong, wrong[:3]
    assert sum(o["outcome"] == "ValueError naming the file" for o in outcomes) > 0.8 * len(outcomes)


def test_the_readme_quotes_the_limits_the_code_has():
    text = " ".join((Path(minilstm.__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    assert f"at most {npz.MAX_MEMBERS:,} arrays, a metadata JSON of at most {checkpoint_file.MAX_KEYS:,} keys " \
           f"nested at most {checkpoint_file.MAX_DEPTH} deep, a `Sequential` of at most {checkpoint.MAX_MODULES:,} " \
           f"modules" in text
    assert f"are at most {conv.MAX_STEPS:,} steps each" in text
    assert f"`{atomic.PREFIX}<pid>@<host>-<16 hex digits>.tmp`" in text
