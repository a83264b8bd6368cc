"""``python -m minilstm sample``: text from a run of ``python -m minilstm train --task text``."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import minilstm
from minilstm import cli

ROOT = Path(minilstm.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    """A tiny text run: one epoch of an LSTM of 8 units on sequences of 20 characters."""
    out = tmp_path_factory.mktemp("text")
    args = ["train", "--task", "text", "--epochs", "1", "--hidden", "8", "--length", "20", "--out", str(out),
            "--no-progress"]
    assert cli.main(args) == 0
    return out


def _sample(capsys, *args):
    """``python -m minilstm sample ARGS``, in-process: its stdout, without the final newline."""
    assert cli.main(["sample", *map(str, args)]) == 0
    out = capsys.readouterr().out
    assert out.endswith("\n")
    return out[:-1]


def test_the_defaults_print_the_sample_training_printed(text_run, capsys):
    capsys.readouterr()
    metrics = json.loads((text_run / "metrics.json").read_text(encoding="utf-8"))
    assert _sample(capsys, text_run) == metrics["sample"]
    assert _sample(capsys, text_run / "model.npz") == metrics["sample"]  # the checkpoint, named


def test_length_prime_and_vocabulary(text_run, capsys):
    vocab = cli.read_vocab(text_run)
    text = _sample(capsys, text_run, "--length", 37, "--prime", "The keeper", "--temperature", 1.5)
    assert len(text) == len("The keeper") + 37 and text.startswith("The keeper")
    assert set(text) <= set(vocab.chars)
    assert _sample(capsys, text_run / "best.npz", "--length", 1, "--prime", "\n")[0] == "\n"


def test_the_same_seed_gives_the_same_text(text_run, capsys):
    first = _sample(capsys, text_run, "--seed", 3, "--length", 100, "--temperature", 1)
    assert _sample(capsys, text_run, "--seed", 3, "--length", 100, "--temperature", 1) == first
    assert _sample(capsys, text_run, "--seed", 4, "--length", 100, "--temperature", 1) != first


def test_a_low_temperature_picks_the_likeliest_character(text_run, capsys):
    """At T -> 0 the draw is the argmax, whatever the seed."""
    model, vocab = minilstm.load(text_run / "model.npz"), cli.read_vocab(text_run)
    step = model.step_fn()
    logits = step(vocab.encode("The "))
    text = _sample(capsys, text_run, "--temperature", 1e-4, "--length", 1, "--seed", 1)
    assert text == "The " + vocab.chars[int(logits.argmax())]
    assert _sample(capsys, text_run, "--temperature", 1e-4, "--length", 30, "--seed", 2) == \
        _sample(capsys, text_run, "--temperature", 1e-4, "--length", 30, "--seed", 5)


def test_a_real_process_prints_only_the_text(text_run):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "minilstm", "sample", str(text_run), "--length", "25",
                           "--prime", "On the"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("On the") and len(done.stdout) == len("On the") + 25 + 1


def _one_line_error(capsys, *args):
    """Run ``sample ARGS``; assert exit code 2 (returned or raised), nothing on stdout, one line on stderr."""
    try:
        code = cli.main(["sample", *map(str, args)])
    except SystemExit as exit_info:
        code = exit_info.code
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("python -m minilstm sample: error: ")
    return err.strip()


@pytest.mark.parametrize("args, message", [
    (["--temperature", "0"], "argument --temperature: must be a finite number > 0, got 0"),
    (["--temperature", "-1"], "argument --temperature: must be a finite number > 0, got -1"),
    (["--temperature", "nan"], "argument --temperature: must be a finite number > 0, got nan"),
    (["--length", "0"], "argument --length: must be a finite number > 0, got 0"),
    (["--length", "ten"], "argument --length: invalid int value: 'ten'"),
    (["--seed", "-1"], "argument --seed: must be a finite number >= 0, got -1"),
    (["--prime", "Caz~"], "--prime: 'Cz~' not in the run's vocabulary, whose 51 characters are '\\n \","),
    (["--prime="], "--prime: empty; the model needs at least one character to start from"),
])
def test_bad_options_are_one_line(text_run, args, message, capsys):
    assert message in _one_line_error(capsys, text_run, *args)


def test_a_missing_run_is_one_line(tmp_path, capsys):
    assert _one_line_error(capsys, tmp_path / "nothing").endswith(f"{tmp_path / 'nothing'}: no such folder")
    assert f"{tmp_path}: no run there (no model.npz)" in _one_line_error(capsys, tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    assert "a file, but not a checkpoint (.npz)" in _one_line_error(capsys, tmp_path / "notes.txt")


def test_a_run_of_another_task_is_refused(tmp_path, capsys):
    args = ["train", "--task", "reber", "--epochs", "1", "--hidden", "4", "--out", str(tmp_path), "--no-progress"]
    assert cli.main(args) == 0
    capsys.readouterr()
    assert f"{tmp_path}: a reber run, not a text run" in _one_line_error(capsys, tmp_path)
    (tmp_path / "metrics.json").unlink()  # with no metrics.json, the missing vocabulary says it
    assert f"{tmp_path}: no vocab.json in {tmp_path}" in _one_line_error(capsys, tmp_path)


def test_a_text_run_without_its_vocabulary_is_refused(text_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(text_run, run)
    (run / "vocab.json").unlink()
    assert "so the model's characters are unknown" in _one_line_error(capsys, run)
    (run / "vocab.json").write_text('{"chars": "ab"}', encoding="utf-8")  # not the model's characters
    assert "is not a character model of vocab.json's 2 characters (its vocab_size 51" in _one_line_error(capsys, run)
    (run / "vocab.json").write_text("[]", encoding="utf-8")
    assert "vocab.json is not a vocabulary" in _one_line_error(capsys, run)
    shutil.copy(text_run / "vocab.json", run / "vocab.json")
    (run / "model.npz").write_bytes(b"not a checkpoint")
    expected = f"{run}: '{run / 'model.npz'}' is not a minilstm checkpoint: it is not a zip archive"
    assert expected in _one_line_error(capsys, run)
