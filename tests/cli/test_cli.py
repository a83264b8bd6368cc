"""The command line: ``python -m minilstm train`` and ``python -m minilstm check`` (run in-process
through ``minilstm.cli.main``, but for one real subprocess), and the plots it writes."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minilstm
from minilstm import cli
from minilstm.cli import TASKS

pytest.importorskip("matplotlib")
ROOT = Path(minilstm.__file__).resolve().parents[1]


def _metrics(folder):
    return json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8"))


def _is_png(path):
    return Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sine_run(tmp_path_factory):
    """The default command (an LSTM on the noisy sine wave), cut to 3 epochs."""
    out = tmp_path_factory.mktemp("sine")
    assert cli.main(["train", "--epochs", "3", "--out", str(out), "--no-progress"]) == 0
    return out


def test_train_writes_model_metrics_and_plots(sine_run):
    assert sorted(os.listdir(sine_run)) == ["best.npz", "loss.png", "metrics.json", "model.npz", "predictions.png"]
    assert _is_png(sine_run / "loss.png") and _is_png(sine_run / "predictions.png")
    model = minilstm.load(sine_run / "model.npz")
    assert model.config["cell"] == "lstm" and model.config["hidden_size"] == TASKS["sine"].hidden
    metrics = _metrics(sine_run)
    assert metrics["task"] == "sine" and metrics["cell"] == "lstm" and metrics["seed"] == 0
    assert len(metrics["train_loss"]) == len(metrics["val_loss"]) == 3
    assert metrics["history"]["epoch"] == [1, 2, 3]
    final = metrics["final"]
    assert final["val_rmse"] == metrics["history"]["val_rmse"][-1] and final["noise"] == 0.1
    assert final["val_loss"] == metrics["val_loss"][-1] and final["val_rmse"] < 0.3
    # the saved model is the trained one: its validation RMSE is the logged one
    train_set, val_set = TASKS["sine"].make(0, TASKS["sine"].length)
    pred = minilstm.predict(model, val_set)
    rmse = minilstm.data.rmse(pred, val_set.Y, val_set.meta["scaler"])
    assert rmse == pytest.approx(final["val_rmse"], rel=1e-6)


@pytest.mark.parametrize("options", [["--no-progress"], []])
def test_train_prints_each_epoch(options, tmp_path, capsys):
    """One line per epoch, the command's own, with or without --no-progress (capsys is not a terminal)."""
    cli.main(["train", "--task", "reber", "--epochs", "2", "--hidden", "4", "--out", str(tmp_path), *options])
    out = capsys.readouterr().out
    assert out.startswith("minilstm: lstm on reber, ")
    assert out.count("epoch   1  train loss") == 1 and out.count("epoch   2  train loss") == 1 and "val accuracy" in out
    assert "epoch 1/2" not in out  # train's own line would print each epoch twice
    assert f"wrote {tmp_path}/model.npz, best.npz, metrics.json, loss.png and accuracy.png" in out


def test_resume_continues_the_run(sine_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(sine_run, run)
    assert cli.main(["train", "--resume", str(run), "--epochs", "2", "--no-progress"]) == 0
    metrics = _metrics(run)
    assert metrics["history"]["epoch"] == [1, 2, 3, 4, 5]
    assert len(metrics["train_loss"]) == len(metrics["val_loss"]) == 5
    assert metrics["train_loss"][:3] == _metrics(sine_run)["train_loss"]
    assert metrics["final"]["val_rmse"] == metrics["history"]["val_rmse"][-1]
    assert not np.array_equal(minilstm.load(run / "model.npz").state_dict()["rnn.weight_hh_l0"],
                              minilstm.load(sine_run / "model.npz").state_dict()["rnn.weight_hh_l0"])


@pytest.mark.parametrize("cell", ["gru", "rnn"])
@pytest.mark.parametrize("task", sorted(set(TASKS) - {"sine", "python"}))  # python: its own test below
def test_every_other_task_runs_and_plots_its_accuracy(task, cell, tmp_path):
    args = ["train", "--task", task, "--epochs", "1", "--hidden", "4", "--cell", cell, "--out", str(tmp_path),
            "--no-progress"]
    assert cli.main(args) == 0
    vocab = ["vocab.json"] if task == "text" else []  # the characters, for `python -m minilstm sample`
    assert sorted(os.listdir(tmp_path)) == ["accuracy.png", "best.npz", "loss.png", "metrics.json", "model.npz",
                                            *vocab]
    assert _is_png(tmp_path / "accuracy.png")
    metric = f"val_{TASKS[task].metric}"
    value = _metrics(tmp_path)["final"][metric]
    assert 0 <= value <= 1 and value == _metrics(tmp_path)["history"][metric][-1]
    assert minilstm.load(tmp_path / "model.npz").config["cell"] == cell


@pytest.mark.parametrize("args,message", [
    (["--task", "weather"], "argument --task: invalid choice: 'weather'"),
    (["--cell", "transformer"], "argument --cell: invalid choice: 'transformer'"),
    (["--epochs", "three"], "argument --epochs: invalid int value: 'three'"),
    (["--epochs", "0"], "argument --epochs: must be a finite number > 0, got 0"),
    (["--hidden", "-4"], "argument --hidden: must be a finite number > 0, got -4"),
    (["--lr", "0"], "argument --lr: must be a finite number > 0, got 0"),
    (["--lr", "inf"], "argument --lr: must be a finite number > 0, got inf"),
    (["--clip", "-1"], "argument --clip: must be a finite number >= 0, got -1"),
    (["--seed", "-1"], "argument --seed: must be a finite number >= 0, got -1"),
    (["--forget-bias", "nan"], "argument --forget-bias: must be finite in float32, the models' dtype (at most "
                               "3.403e+38 in size), got nan"),
    (["--forget-bias", "1e308"], "argument --forget-bias: must be finite in float32, the models' dtype (at most "
                                 "3.403e+38 in size), got 1e308"),  # once inf in the weights, and a RuntimeWarning
])
def test_bad_options_exit_with_one_line(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", *args, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"python -m minilstm train: error: {message}") and err.count("\n") == 1
    assert err.endswith(" (see python -m minilstm train --help)\n")
    assert os.listdir(tmp_path) == []


def test_check_refuses_a_negative_tolerance(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "--tol", "-1"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == ("python -m minilstm check: error: argument --tol: must be a finite number > 0, "
                                       "got -1 (see python -m minilstm check --help)\n")


def _one_line_error(args, capsys):
    """Run the CLI; assert exit code 2 and one line on stderr, with no traceback; return that line."""
    assert cli.main(["train", "--no-progress", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m minilstm train: error: ") and "Traceback" not in err
    return err.strip()


@pytest.mark.parametrize("damage, words", [
    (lambda m: [1], "its metrics.json is damaged: it must be an object with an object 'settings'"),
    (lambda m: {**m, "settings": "x"}, "its metrics.json is damaged: it must be an object with an object 'settings'"),
    (lambda m: {**m, "settings": {**m["settings"], "task": "nope"}}, "settings 'task' is 'nope', which --task "),
    (lambda m: {**m, "settings": {**m["settings"], "cell": ["lstm"]}}, "settings 'cell' is ['lstm'], which --cell "),
    (lambda m: {**m, "settings": {**m["settings"], "hidden": "abc"}}, "settings 'hidden' is 'abc', which --hidden "),
    (lambda m: {**m, "settings": {**m["settings"], "hidden": 2.5}}, "settings 'hidden' is 2.5, which --hidden "),
    (lambda m: {**m, "settings": {**m["settings"], "seed": -1}}, "settings 'seed' is -1, which --seed does not take"),
    (lambda m: {**m, "settings": {**m["settings"], "lr": None}}, "settings 'lr' is None, which --lr does not take"),
    (lambda m: {**m, "settings": {**m["settings"], "forget_bias": 1e300}}, "settings 'forget_bias' is 1e+300, "),
    (lambda m: {**m, "settings": {**m["settings"], "dropout": 1.0}}, "settings 'dropout' is 1.0, which --dropout "),
    (lambda m: {**m, "settings": {**m["settings"], "recurrent_dropout": "0.2"}},
     "settings 'recurrent_dropout' is '0.2', which --recurrent-dropout does not take"),
])
def test_a_resumed_run_with_a_damaged_metrics_json_is_one_line(damage, words, sine_run, tmp_path, capsys):
    """Once a KeyError, AttributeError or TypeError traceback, or a bad seed blamed on --length."""
    run = tmp_path / "run"
    shutil.copytree(sine_run, run)
    (run / "metrics.json").write_text(json.dumps(damage(_metrics(sine_run))), encoding="utf-8")
    line = _one_line_error(["--resume", str(run)], capsys)
    assert line.startswith(f"python -m minilstm train: error: --resume {run}: ") and words in line, line


def test_user_mistakes_are_one_line(sine_run, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(sine_run, run)
    before = sorted(os.listdir(run))
    missing = tmp_path / "nothing"
    assert "--resume " + str(missing) + ": no run there" in _one_line_error(["--resume", str(missing)], capsys)
    assert not missing.exists()  # a missing run is an error, not a new folder
    (tmp_path / "a-file").write_text("x")
    assert "it is a file, not a folder" in _one_line_error(["--out", str(tmp_path / "a-file")], capsys)
    for args, words in [(["--hidden", "64"], "that run has --hidden 32, not 64"),
                        (["--cell", "gru"], "that run has --cell lstm, not gru"),
                        (["--layers", "2"], "that run has --layers 1, not 2"),
                        (["--forget-bias", "3"], "that run has --forget-bias 1.0, not 3.0"),
                        (["--seed", "1"], "that run has --seed 0, not 1"),
                        (["--task", "adding"], "that run has --task sine, not adding"),
                        (["--lr", "0.5"], "--lr 0.5 cannot change a resumed run")]:
        assert words in _one_line_error(["--resume", str(run), *args], capsys), args
    assert sorted(os.listdir(run)) == before and _metrics(run)["history"]["epoch"] == [1, 2, 3]
    assert "--length 10: T must be >= 20" in _one_line_error(["--task", "adding", "--length", "10",
                                                              "--out", str(tmp_path / "a")], capsys)
    assert "the gru cell has no forget gate" in _one_line_error(["--cell", "gru", "--forget-bias", "2",
                                                                  "--out", str(tmp_path / "g")], capsys)
    monkeypatch.setitem(sys.modules, "cupy", None)  # as if CuPy were not installed
    assert "--backend cupy: " in _one_line_error(["--backend", "cupy", "--out", str(tmp_path / "c")], capsys)


def test_another_runs_folder_is_written_over_only_with_force(sine_run, tmp_path, capsys):
    base, other = tmp_path / "base", tmp_path / "other"
    shutil.copytree(sine_run, base)
    shutil.copytree(sine_run, other)
    before = {name: (other / name).read_bytes() for name in ("model.npz", "metrics.json")}
    fast = ["--epochs", "1", "--hidden", "4", "--task", "reber"]
    for args in (["--resume", str(base), "--epochs", "1"], ["--out", str(other), *fast[2:]]):
        error = _one_line_error([*args, "--out", str(other)], capsys)
        assert f"--out {other}: it holds another run (model.npz, best.npz, metrics.json); continue that run with " \
               f"--resume {other}, choose another --out, or give --force to replace it" in error, args
    assert {name: (other / name).read_bytes() for name in before} == before
    assert cli.main(["train", "--no-progress", *fast, "--out", str(other), "--force"]) == 0
    assert _metrics(other)["task"] == "reber"


def test_resume_accepts_the_checkpoint_file(sine_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(sine_run, run)
    assert cli.main(["train", "--resume", str(run / "model.npz"), "--epochs", "1", "--no-progress"]) == 0
    assert _metrics(run)["history"]["epoch"] == [1, 2, 3, 4] and not (run / "model.npz").is_dir()


def test_ctrl_c_saves_and_exits_130(tmp_path, capsys):
    """SIGINT to a real run: it stops after the batch in progress, writes everything, one line, exit 130."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "minilstm", "train", "--epochs", "200", "--out", str(tmp_path),
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT,
                            # a shell's background job ignores SIGINT, and so would the child: restore it
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = ""
    while not line.startswith("epoch   1"):  # training has started
        line = proc.stdout.readline()
        assert line or proc.poll() is None, proc.stderr.read()
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.count("\n") == 1 and err.startswith("interrupted: stopped after a batch of epoch ")
    assert sorted(os.listdir(tmp_path)) == ["best.npz", "loss.png", "metrics.json", "model.npz", "predictions.png"]
    metrics = _metrics(tmp_path)
    assert metrics["interrupted"] and 1 < len(metrics["train_loss"]) < 200
    # the last epoch is marked partial unless the signal came after its last batch; --resume finishes it
    partial, epochs = metrics["history"]["partial"], metrics["history"]["epoch"]
    assert not any(partial[:-1])
    assert out.count("partial: stopped by Ctrl-C") == partial[-1]  # the epoch's line says so
    assert cli.main(["train", "--resume", str(tmp_path), "--epochs", "1", "--no-progress"]) == 0
    whole = len(epochs) - partial[-1]
    assert f"resumed from {tmp_path} after {whole} whole epochs" in capsys.readouterr().out
    resumed = _metrics(tmp_path)["history"]
    assert resumed["epoch"] == list(range(1, len(epochs) + 1 + (not partial[-1]))) and not any(resumed["partial"])
    assert resumed["train_loss"][:len(epochs) - 1] == metrics["history"]["train_loss"][:-1]


def test_a_diverging_run_exits_1_with_one_line(tmp_path, capsys):
    """Adam at lr 1e30 without clipping: the run stops itself, and says where, in one line."""
    with np.errstate(all="ignore"):  # the overflow is the point
        code = cli.main(["train", "--lr", "1e30", "--clip", "0", "--hidden", "4", "--epochs", "2",
                              "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("python -m minilstm train: training diverged at epoch 1, step ")
    assert err.endswith("; no checkpoint had been saved\n")


def test_check_prints_the_table(capsys):
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    assert "rel. error" in out and "beyond noise" in out and "all passed (tolerance 1e-06)" in out
    for label, _, _ in cli.check.CHECKS:
        line = next(row for row in out.splitlines() if row.startswith(label))
        assert line.endswith("ok"), line


def test_help_documents_every_option():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "minilstm", "train", "--help"], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    for option in ("--task", "--cell", "--hidden", "--layers", "--forget-bias", "--length", "--epochs",
                   "--batch-size", "--lr", "--clip", "--seed", "--backend", "--out", "--resume", "--force",
                   "--no-progress"):
        line = next((row for row in done.stdout.splitlines() if row.strip().startswith(option)), None)
        assert line is not None and done.stdout.count(option) >= 2, option  # in the usage and described
    assert "{adding,copy,order,python,reber,sine,text}" in done.stdout and "(default 1.0; 0: off)" in done.stdout


def test_plots_keep_a_backend_already_chosen(tmp_path):
    """A notebook picks its own backend before plotting; writing a plot must not replace it."""
    import matplotlib.pyplot as plt

    old = plt.get_backend()
    plt.switch_backend("svg")
    try:
        history = minilstm.History(logs={"epoch": [1, 2], "train_loss": [1.0, 0.5], "val_loss": [1.2, 0.7]})
        minilstm.plot.loss_curves(history, tmp_path / "loss.png")
        assert plt.get_backend() == "svg" and _is_png(tmp_path / "loss.png")
    finally:
        plt.switch_backend(old)


@pytest.mark.parametrize("task", sorted(set(TASKS) - {"python"}))  # python's default epoch is minutes long
def test_each_task_default_in_a_quick_form(task, tmp_path, capsys):
    """Only --task (and one epoch): the task's own defaults are used and printed at the start."""
    assert cli.main(["train", "--task", task, "--epochs", "1", "--out", str(tmp_path), "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    t = TASKS[task]
    assert lines[1].startswith(f"settings: hidden {t.hidden}, layers 1, length {t.length}, "
                               f"forget bias {t.forget_bias:g}, epochs 1, lr {t.lr:g}, batch size {t.batch_size}")
    settings = _metrics(tmp_path)["settings"]
    assert settings["task"] == task and settings["forget_bias"] == t.forget_bias and settings["hidden"] == t.hidden
    assert settings["schedule"] == t.schedule and (t.schedule is None or f"schedule {t.schedule}" in lines[1])
    model = minilstm.load(tmp_path / "model.npz")
    assert model.config["hidden_size"] == t.hidden and model.config["forget_bias"] == t.forget_bias
    if task == "adding":
        final = _metrics(tmp_path)["final"]
        assert 0 <= final["val_mae"] and final["criterion_met"] in (0.0, 1.0)
        assert any(line.startswith("the 1997 criterion (>= 99 % of the sequences within 0.04") for line in lines)
    if task == "text":
        sample = _metrics(tmp_path)["sample"]
        line = next(line for line in lines if line.startswith("sample (temperature 0.5; "))
        known, words = cli.known_words(sample, TASKS["text"].make(0, t.length)[0].meta["text"])
        assert f"; {known} of its {words} whole words are words of the corpus): {sample!r}" in line
        assert _metrics(tmp_path)["final"]["sample_known_words"] == pytest.approx(known / words)
        vocab = TASKS["text"].make(0, t.length)[0].meta["vocab"]
        assert cli.read_vocab(tmp_path) == vocab and minilstm.load(tmp_path / "model.npz").config["vocab_size"] == \
            vocab.size
        assert f"wrote {tmp_path}/model.npz, best.npz, metrics.json, vocab.json, loss.png and accuracy.png" in lines


def test_known_words_counts_whole_words_of_the_corpus():
    corpus = "The keeper wrote everything down. He wrote the tide."
    assert cli.known_words("The keeper wrot the tide and the wat", corpus) == (5, 7)  # "wat" may be cut: left out
    assert cli.known_words("THE\nKeeper, wrote.", corpus) == (2, 2) and cli.known_words("", corpus) == (0, 0)


def test_read_vocab_refuses_what_is_not_one(tmp_path):
    with pytest.raises(FileNotFoundError):
        cli.read_vocab(tmp_path)
    for text in ["not json", "[1, 2]", '{"letters": "ab"}', '{"chars": ""}', '{"chars": "aba"}', '{"chars": 3}']:
        (tmp_path / "vocab.json").write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match="vocab.json is not a vocabulary"):
            cli.read_vocab(tmp_path)
    cli.write_vocab(tmp_path, minilstm.data.CharVocab("\n ab\u00e9"))
    assert cli.read_vocab(tmp_path).chars == "\n ab\u00e9"


def test_a_resumed_run_says_where_it_picks_up():
    from minilstm.cli.train import _resumed_at
    assert _resumed_at("runs/x", {"epoch": 3}) == "resumed from runs/x after 3 whole epochs"
    assert _resumed_at("runs/x", {"epoch": 3, "unfinished": {"seen": 64}}) == \
        "resumed from runs/x after 3 whole epochs, finishing epoch 4 from sequence 65"


@pytest.fixture
def small_stdlib(tmp_path, monkeypatch):
    """The python task's corpus made from 40 small modules instead of the standard library (seconds, not minutes)."""
    from minilstm.data import stdlib_text
    lib = tmp_path / "lib"
    lib.mkdir()
    for i in range(40):
        (lib / f"mod{i:02d}.py").write_text(f'"""Module {i}."""\n\n\ndef f{i}(x, y={i}):\n    if x > y:\n'
                                           f'        return [x, (y, "{i}")]\n    return None\n' * 30, encoding="utf-8")
    monkeypatch.setattr(stdlib_text, "stdlib_files", lambda root=None: sorted(str(p) for p in lib.glob("*.py")))
    stdlib_text.python_corpus.cache_clear()
    yield tmp_path / "run"
    stdlib_text.python_corpus.cache_clear()


def test_python_task_trains_statefully_and_prints_bits_per_char_against_gzip(small_stdlib, capsys):
    """The python task in a quick form: the stream cut into --batch-size rows, read --length steps at a time
    with the state carried (train's tbptt), validated in bits per character, compared with gzip -9."""
    tmp_path = small_stdlib
    args = ["train", "--task", "python", "--epochs", "1", "--hidden", "4", "--batch-size", "8", "--length", "20",
            "--out", str(tmp_path), "--no-progress"]
    assert cli.main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    results = _metrics(tmp_path)
    final, settings = results["final"], results["settings"]
    assert settings["schedule"] == "cosine" and settings["length"] == 20 and settings["batch_size"] == 8
    held_out = minilstm.data.python_source(rows=32, part="held_out").meta["held_out_text"]
    assert held_out.startswith('"""Module 9."""')
    assert final["gzip_bpc"] == minilstm.data.compressed_bits_per_char(held_out, "gzip")
    assert final["val_bpc"] == pytest.approx(final["val_loss"] / np.log(2), rel=1e-4)
    assert f"held-out bits per character {final['val_bpc']:.3f}, not below gzip -9's {final['gzip_bpc']:.3f} " \
           f"on the same text (bz2 -9: {final['bz2_bpc']:.3f})" in lines
    assert results["sample"].startswith("def ")
    assert cli.read_vocab(tmp_path) == minilstm.data.python_source().meta["vocab"]
    assert lines[0].startswith("minilstm: lstm on python, ") and " 8 training and 32 validation sequences" in lines[0]
    assert cli.main(["sample", str(tmp_path), "--length", "30", "--temperature", "1.0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def ") and len(out) == len("def ") + 30 + 1


def test_recurrent_dropout_trains_one_layer_and_is_kept(tmp_path, capsys):
    """--recurrent-dropout builds the model with it, prints it and writes it; a resumed run keeps it."""
    out = tmp_path / "run"
    assert cli.main(["train", "--task", "reber", "--epochs", "1", "--hidden", "8", "--recurrent-dropout", "0.3",
                     "--out", str(out), "--no-progress"]) == 0
    settings_line = capsys.readouterr().out.splitlines()[1]
    assert ", recurrent dropout 0.3," in settings_line and ", dropout " not in settings_line.replace("recurrent d", "")
    model = minilstm.load(out / "model.npz")
    assert model.rnn.recurrent_dropout == pytest.approx(0.3) and model.rnn.dropout == 0
    assert _metrics(out)["settings"]["recurrent_dropout"] == 0.3 and _metrics(out)["settings"]["dropout"] == 0
    line = _one_line_error(["--resume", str(out), "--recurrent-dropout", "0.5"], capsys)
    assert "that run has --recurrent-dropout 0.3, not 0.5" in line
    assert cli.main(["train", "--resume", str(out), "--epochs", "1", "--no-progress"]) == 0
    assert minilstm.load(out / "model.npz").rnn.recurrent_dropout == pytest.approx(0.3)


def test_dropout_acts_between_stacked_layers(tmp_path, capsys):
    line = _one_line_error(["--task", "reber", "--dropout", "0.2", "--out", str(tmp_path / "one")], capsys)
    assert "--dropout 0.2: it acts between stacked layers, and there is one; give --layers 2 or more" in line
    assert not (tmp_path / "one").exists()
    out = tmp_path / "two"
    assert cli.main(["train", "--task", "reber", "--epochs", "1", "--hidden", "8", "--layers", "2", "--dropout",
                     "0.2", "--out", str(out), "--no-progress"]) == 0
    assert ", dropout 0.2," in capsys.readouterr().out.splitlines()[1]
    assert minilstm.load(out / "model.npz").rnn.dropout == pytest.approx(0.2)


@pytest.mark.parametrize("option", ["--dropout", "--recurrent-dropout"])
@pytest.mark.parametrize("value", ["1", "-0.1", "nan", "inf", "x"])
def test_a_dropout_outside_0_to_1_is_a_usage_error(option, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: " in err and ("must be a number in [0, 1)" in err or "invalid probability" in err)
