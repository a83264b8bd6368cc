"""The command line: ``python -m minilstm train`` and ``python -m minilstm check`` (run in-process
through ``minilstm.__main__.main``, but for one real subprocess), and the plots it writes."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minilstm
from minilstm import __main__ as cli_main
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
    assert cli_main.main(["train", "--epochs", "3", "--out", str(out), "--no-progress"]) == 0
    return out


def test_train_writes_model_metrics_and_plots(sine_run):
    assert sorted(os.listdir(sine_run)) == ["loss.png", "metrics.json", "model.npz", "predictions.png"]
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
    train_set, val_set = TASKS["sine"].make(0)
    pred = minilstm.predict(model, val_set)
    rmse = minilstm.data.rmse(pred, val_set.Y, val_set.meta["scaler"])
    assert rmse == pytest.approx(final["val_rmse"], rel=1e-6)


def test_train_prints_each_epoch(tmp_path, capsys):
    cli_main.main(["train", "--task", "reber", "--epochs", "2", "--hidden", "4", "--out", str(tmp_path),
                   "--no-progress"])
    out = capsys.readouterr().out
    assert out.startswith("minilstm: lstm on reber, ")
    assert "epoch   1  train loss" in out and "epoch   2  train loss" in out and "val accuracy" in out
    assert f"wrote {tmp_path}/model.npz, metrics.json, loss.png and accuracy.png" in out


def test_resume_continues_the_run(sine_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(sine_run, run)
    assert cli_main.main(["train", "--resume", str(run), "--epochs", "2", "--no-progress"]) == 0
    metrics = _metrics(run)
    assert metrics["history"]["epoch"] == [1, 2, 3, 4, 5]
    assert len(metrics["train_loss"]) == len(metrics["val_loss"]) == 5
    assert metrics["train_loss"][:3] == _metrics(sine_run)["train_loss"]
    assert metrics["final"]["val_rmse"] == metrics["history"]["val_rmse"][-1]
    assert not np.array_equal(minilstm.load(run / "model.npz").state_dict()["rnn.weight_hh_l0"],
                              minilstm.load(sine_run / "model.npz").state_dict()["rnn.weight_hh_l0"])


@pytest.mark.parametrize("task", sorted(set(TASKS) - {"sine"}))
def test_every_other_task_runs_and_plots_its_accuracy(task, tmp_path):
    args = ["train", "--task", task, "--epochs", "1", "--hidden", "4", "--cell", "gru", "--out", str(tmp_path),
            "--no-progress"]
    assert cli_main.main(args) == 0
    assert sorted(os.listdir(tmp_path)) == ["accuracy.png", "loss.png", "metrics.json", "model.npz"]
    assert _is_png(tmp_path / "accuracy.png")
    metric = f"val_{TASKS[task].metric}"
    value = _metrics(tmp_path)["final"][metric]
    assert 0 <= value <= 1 and value == _metrics(tmp_path)["history"][metric][-1]
    assert minilstm.load(tmp_path / "model.npz").config["cell"] == "gru"


@pytest.mark.parametrize("args,message", [
    (["--task", "weather"], "argument --task: invalid choice: 'weather'"),
    (["--cell", "transformer"], "argument --cell: invalid choice: 'transformer'"),
    (["--epochs", "three"], "argument --epochs: invalid int value: 'three'"),
    (["--epochs", "0"], "argument --epochs: must be > 0, got 0"),
    (["--hidden", "-4"], "argument --hidden: must be > 0, got -4"),
    (["--lr", "0"], "argument --lr: must be > 0, got 0"),
])
def test_bad_options_exit_with_usage(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["train", *args, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m minilstm train") and message in err
    assert os.listdir(tmp_path) == []


def test_check_prints_the_table(capsys):
    assert cli_main.main(["check"]) == 0
    out = capsys.readouterr().out
    assert "worst rel. error" in out and "all passed (tolerance 1e-06)" in out
    for label, _, _ in cli_main.CHECKS:
        line = next(row for row in out.splitlines() if row.startswith(label))
        assert line.endswith("ok"), line


def test_help_documents_every_option():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "minilstm", "train", "--help"], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    for option in ("--task", "--cell", "--hidden", "--layers", "--epochs", "--batch-size", "--lr", "--clip",
                   "--seed", "--backend", "--out", "--resume", "--no-progress"):
        line = next((row for row in done.stdout.splitlines() if row.strip().startswith(option)), None)
        assert line is not None and done.stdout.count(option) >= 2, option  # in the usage and described
    assert "{adding,copy,order,reber,sine,text}" in done.stdout and "(default 1.0; 0: off)" in done.stdout


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
