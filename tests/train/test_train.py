"""``minilstm.train``: the history it logs, what stops it, reproducibility, truncated BPTT,
clipping, optimizers and schedules, bad arguments, the progress bar and the lines it prints."""
import math
import os
import re
import signal
import sys

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import data
from minilstm.data.dataset import IGNORE
from minilstm.nn.losses import cross_entropy, mse_loss
from minilstm.optim import global_norm
from minilstm.train import as_dataset


@pytest.fixture(scope="module")
def sine():
    """A small slice of the noisy sine task: (train, val), 20 steps -> the next value."""
    train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=0))
    return train_set.subset(slice(0, 96)), val_set.subset(slice(0, 32))


@pytest.fixture(scope="module")
def text():
    """Per-step targets: 12 characters in, the next 12 out (classify_seq on token ids)."""
    return data.make_task("text", seed=0, seq_len=12).subset(slice(0, 16))


def _rmse(pred, ds):
    return data.rmse(pred, ds.Y, ds.meta["scaler"])


def _sine_model(**kw):
    return minilstm.Model(1, kw.pop("hidden_size", 8), 1, seed=kw.pop("seed", 0), **kw)


def _text_model(ds, **kw):
    return minilstm.Model(4, 8, ds.meta["n_classes"], readout="all", vocab_size=ds.meta["n_symbols"], seed=0, **kw)


def test_history_and_the_loss_goes_down(sine):
    train_set, val_set = sine
    model = _sine_model()
    history = minilstm.train(model, train_set, val_data=val_set, metrics={"rmse": _rmse}, lr=1e-2,
                             epochs=6, batch_size=16, progress=False, seed=0)
    assert isinstance(history, minilstm.History) and history.epochs == 6 and not history.stopped_early
    for key in ("epoch", "train_loss", "val_loss", "val_rmse", "grad_norm", "lr", "time"):
        assert len(history[key]) == 6 and all(math.isfinite(v) for v in history[key]), key
    assert history["epoch"] == [1, 2, 3, 4, 5, 6] and history["lr"] == [1e-2] * 6
    assert all(t > 0 for t in history["time"]) and all(g > 0 for g in history["grad_norm"])
    assert history["train_loss"][-1] < 0.3 * history["train_loss"][0]
    assert history["val_loss"][-1] < 0.3 * history["val_loss"][0]
    assert history["val_rmse"][-1] < history["val_rmse"][0]
    assert not model.training, "train() leaves the model in evaluation mode"
    final = minilstm.evaluate(model, val_set, metrics={"rmse": _rmse})
    assert final == {"loss": history["val_loss"][-1], "rmse": history["val_rmse"][-1]}
    with pytest.raises(KeyError, match=r"no 'val_accuracy' in the history; it has \['epoch', "):
        history["val_accuracy"]


def test_history_without_val_data(sine):
    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=1, progress=False)
    assert "train_loss" in history and "val_loss" not in history
    assert isinstance(history.seed, int), "a run without a seed records the one it drew"


def test_early_stopping_stops(sine):
    # with lr = 1e-30 the weights cannot move (below float32's resolution): the monitored
    # loss never improves after epoch 1, so patience 2 stops after epoch 3
    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), val_data=sine[1], optimizer="sgd",
                             lr=1e-30, epochs=10, early_stopping=2, progress=False, seed=0)
    assert history.stopped_early and history.epochs == 3
    assert history["val_loss"][0] == history["val_loss"][1] == history["val_loss"][2]


def test_a_callback_returning_true_stops(sine):
    seen = []

    def stop_at_two(epoch, logs, model):
        seen.append((epoch, sorted(logs), isinstance(model, minilstm.Model)))
        return epoch == 2

    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=5, callbacks=[stop_at_two],
                             progress=False, seed=0)
    assert history.stopped_early and history.epochs == 2 and [s[0] for s in seen] == [1, 2]
    assert seen[0][1] == ["epoch", "grad_norm", "lr", "partial", "skipped_steps", "time", "train_loss"] and seen[0][2]


def test_a_non_finite_gradient_skips_the_step(sine):
    """An inf gradient is not applied (it would ruin every weight) and is counted; a run (here of 4 steps,
    fewer than BAD_STEPS_IN_A_ROW) whose every step was skipped has not trained at all: it diverged."""
    model = _sine_model()
    before = model.state_dict()

    def exploding(pred, target, mask):
        value, dpred = minilstm.mse_loss(pred, target, mask)
        return value, dpred * float("inf")

    with np.errstate(all="ignore"), pytest.raises(minilstm.TrainingDiverged) as caught:  # inf * 0: the point here
        minilstm.train(model, sine[0].subset(slice(0, 16)), loss=exploding, epochs=2, batch_size=8,
                       progress=False, seed=0)
    assert caught.value.history["skipped_steps"] == [2, 2]
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_seed_makes_a_run_reproducible(sine):
    """Same model seed and same train seed: identical weights, dropout masks included."""
    def run(seed):
        model = _sine_model(num_layers=2, dropout=0.3, recurrent_dropout=0.2)
        minilstm.train(model, sine[0].subset(slice(0, 48)), epochs=2, batch_size=16, progress=False, seed=seed)
        return weights_of(model)

    a, b, c = run(3), run(3), run(4)
    assert_same_weights(a, b)
    assert not np.array_equal(a["rnn.weight_hh_l0"], c["rnn.weight_hh_l0"])


def test_tbptt_of_the_whole_sequence_is_full_bptt(text):
    models = [_text_model(text), _text_model(text)]
    runs = [minilstm.train(m, text, lr=1e-2, epochs=2, batch_size=8, progress=False, seed=0, tbptt=tbptt)
            for m, tbptt in zip(models, (None, text.X.shape[1]))]
    assert_same_weights(weights_of(models[0]), weights_of(models[1]))
    assert runs[0]["train_loss"] == runs[1]["train_loss"]


def test_tbptt_carries_the_state_across_chunks(text):
    """tbptt=k: forward k steps from the carried state, backward through those k only, step;
    the state is reset for each batch. One sequence, so the batch order plays no part."""
    one, k, epochs = text.subset(slice(0, 1)), 5, 2  # chunks of 5, 5 and 2 steps
    model = _text_model(one)
    minilstm.train(model, one, lr=1e-2, epochs=epochs, batch_size=1, progress=False, seed=0, tbptt=k)

    def manual(carry):
        ref = _text_model(one)
        opt = minilstm.Adam(ref.params, lr=1e-2)
        for _ in range(epochs):
            state = None
            for t0 in range(0, one.X.shape[1], k):
                y = one.Y[:, t0:t0 + k]
                pred, state = ref(one.X[:, t0:t0 + k], state if carry else None, return_state=True)
                _, dpred = cross_entropy(pred, y, y != IGNORE)
                ref.backward(dpred)
                opt.step(ref.grads)
        return weights_of(ref)

    assert_same_weights(weights_of(model), manual(carry=True))
    assert not np.array_equal(weights_of(model)["rnn.weight_hh_l0"], manual(carry=False)["rnn.weight_hh_l0"])


def test_tbptt_chunks_with_nothing_scored_take_no_step(rng):
    """Copy-task targets: only the last steps are scored. A chunk with none takes no optimizer step
    (Adam would move the weights on its stale moments) and logs no loss; its state still carries."""
    X, Y = rng.standard_normal((4, 6, 2)), np.full((4, 6), IGNORE)
    Y[:, 4:] = rng.integers(0, 3, (4, 2))
    model, ref = (minilstm.Model(2, 4, 3, readout="all", seed=0, dtype="float64") for _ in range(2))
    opt = minilstm.Adam(model.params, lr=1e-2)
    history = minilstm.train(model, (X, Y), optimizer=opt, tbptt=3, epochs=1, batch_size=4, progress=False, seed=0)
    assert opt.t == 1, "one step: the second chunk's"
    _, state = ref(X[:, :3], return_state=True)
    pred = ref(X[:, 3:], state)
    loss, _ = cross_entropy(pred, Y[:, 3:], Y[:, 3:] != IGNORE)
    assert history["train_loss"] == [pytest.approx(loss, rel=1e-12)]


def test_clip_norm_logs_the_norm_before_clipping(sine):
    """One batch, one SGD step: grad_norm is the unclipped global norm, and the step is clipped to 1e-3."""
    batch = sine[0].subset(slice(0, 16))
    model, ref = _sine_model(dtype="float64"), _sine_model(dtype="float64")
    before = weights_of(model)
    pred = ref(batch.X.astype(np.float64))
    ref.backward(mse_loss(pred, batch.Y.astype(np.float64))[1])
    norm = global_norm(ref.grads)
    history = minilstm.train(model, batch, optimizer="sgd", lr=0.5, clip_norm=1e-3, epochs=1, batch_size=16,
                             progress=False, seed=0)
    assert norm > 10 * 1e-3
    assert history["grad_norm"][0] == pytest.approx(norm, rel=1e-10)
    after = weights_of(model)
    for k, g in ref.grads.items():  # theta -= lr * g * (max_norm / norm)
        np.testing.assert_allclose(after[k], before[k] - 0.5 * minilstm.to_numpy(g) * 1e-3 / norm,
                                   rtol=1e-9, atol=1e-12, err_msg=k)


def test_clip_value(sine):
    batch = sine[0].subset(slice(0, 16))
    model = _sine_model(dtype="float64")
    before = weights_of(model)
    minilstm.train(model, batch, optimizer="sgd", lr=1.0, clip_value=1e-4, epochs=1, batch_size=16,
                   progress=False, seed=0)
    for k, w in weights_of(model).items():  # every entry moved by at most lr * clip_value
        assert np.abs(w - before[k]).max() <= 1e-4 * (1 + 1e-9), k


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_every_optimizer_runs(optimizer, sine):
    model = _sine_model()
    before = weights_of(model)
    history = minilstm.train(model, sine[0].subset(slice(0, 16)), optimizer=optimizer, lr=1e-2, epochs=2,
                             weight_decay=1e-4, progress=False, seed=0)
    assert history.epochs == 2 and all(math.isfinite(v) for v in history["train_loss"])
    assert all(not np.array_equal(before[k], w) for k, w in weights_of(model).items())


@pytest.mark.parametrize("schedule,lrs", [
    ("step", [1e-2] * 3),                                             # step_size 10
    ("cosine", [1e-2 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]),   # T_max: the 3 epochs
    ("plateau", [1e-2] * 3),
    (("step", {"step_size": 1, "gamma": 0.5}), [1e-2, 5e-3, 2.5e-3]),
    (("plateau", {"patience": 0, "factor": 0.5, "mode": "max"}), [1e-2, 1e-2, 5e-3]),
])
def test_every_schedule_runs(schedule, lrs, sine):
    """Each epoch logs the lr it trained with; "plateau" watches the validation loss (here in
    mode "max", so the falling loss counts as no improvement)."""
    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), val_data=sine[1], lr=1e-2, epochs=3,
                             schedule=schedule, progress=False, seed=0)
    assert history["lr"] == pytest.approx(lrs, rel=1e-12)


@pytest.mark.parametrize("X,Y,kind", [
    (np.zeros((4, 3, 2), np.float32), np.zeros((4, 1), np.float32), "regression_last"),
    (np.zeros((4, 3, 2), np.float32), np.zeros((4, 3, 1), np.float32), "regression_seq"),
    (np.zeros((4, 3, 2), np.float32), np.zeros(4, np.int64), "classify_last"),
    (np.zeros((4, 3, 2), np.float32), np.zeros((4, 3), np.int64), "classify_seq"),
    (np.zeros((4, 3), np.int64), np.zeros(4, np.int64), "classify_last"),
    (np.zeros((4, 3), np.int64), np.zeros((4, 3), np.int64), "classify_seq"),   # token ids in and out
])
def test_tuple_data_gets_the_kind_of_its_shapes(X, Y, kind):
    assert as_dataset((X, Y), "data").kind == kind


def test_tuple_token_data_trains(text):
    model = _text_model(text)
    history = minilstm.train(model, (text.X, text.Y), val_data=(text.X, text.Y), epochs=1, progress=False)
    assert history.epochs == 1 and math.isfinite(history["val_loss"][0])


def test_padded_data_trains(rng):
    """A padded classify_last set: the "last" readout reads each sequence's last valid step."""
    ds = data.make_task("lengths", seed=0).subset(slice(0, 32))
    assert ds.lengths is not None and ds.lengths.min() < ds.X.shape[1]
    model = minilstm.Model(ds.X.shape[-1], 8, ds.meta["n_classes"], seed=0)
    history = minilstm.train(model, ds, val_data=ds, epochs=2, progress=False, seed=0,
                             metrics={"accuracy": lambda p, d: data.class_accuracy(p, d.Y)})
    assert 0 <= history["val_accuracy"][-1] <= 1


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(optimizer="adamax"), ValueError, r"optimizer name must be one of \('sgd', 'adam', 'adamw', "
                                           r"'rmsprop', 'adagrad'\), got 'adamax'"),
    (dict(loss="hinge"), ValueError, r"loss must be one of \('mse_loss', 'cross_entropy', 'gaussian_nll_loss'\), "
                                     r"got 'hinge'"),
    (dict(epochs=-1), ValueError, "epochs must be an int >= 0, got -1"),
    (dict(batch_size=0), ValueError, "batch_size must be a positive int, got 0"),
    (dict(lr=0.0), ValueError, "lr must be a finite number > 0.0"),
    (dict(clip_norm=-1.0), ValueError, "clip_norm must be a finite number > 0.0"),
    (dict(schedule="linear"), ValueError, r"schedule must be one of \('step', 'cosine', 'plateau'\)"),
    (dict(early_stopping=0), ValueError, "early_stopping must be a positive int, got 0"),
    (dict(tbptt=4), ValueError, r"tbptt needs per-step targets \(a model with readout='all'\) and unpadded data"),
    (dict(tbptt=0), ValueError, "tbptt must be a positive int, got 0"),
    (dict(val_data=[1, 2, 3, 4]), TypeError, r"val_data must be a minilstm.data.Dataset, or a tuple \(X, Y\) or "
                                             r"\(X, Y, lengths\), got list"),
])
def test_bad_arguments(kwargs, error, match, sine):
    with pytest.raises(error, match=match):
        minilstm.train(_sine_model(), sine[0], **{"epochs": 1, "progress": False, **kwargs})


def test_bad_data(sine, text):
    with pytest.raises(TypeError, match=r"train_data is an array X alone, without the targets Y that are needed here"):
        minilstm.train(_sine_model(), sine[0].X, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"the data's kind 'regression_last' needs a model with readout='last', "
                                         r"got readout='all'"):
        minilstm.train(minilstm.Model(1, 4, 1, readout="all"), sine[0], epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"the data's kind 'classify_seq' needs a model with readout='all', "
                                         r"got readout='last'"):  # a custom loss does not skip the check
        minilstm.train(minilstm.Model(4, 4, 49, vocab_size=49), text, loss=lambda p, t, m: cross_entropy(p, t, m),
                       epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"x must have 2 features \(input_size\) in its last axis, got shape \(32, 20"):
        minilstm.train(minilstm.Model(2, 4, 1), sine[0], epochs=1, progress=False)


def test_progress_bar_with_tqdm(sine, capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # as on a terminal
    minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=2, progress=True, seed=0)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss=" in err
    minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=1, progress=False, seed=0)
    assert capsys.readouterr().err == ""


def test_progress_bar_without_tqdm(sine, capsys, monkeypatch):
    """On a terminal without tqdm: a line per epoch instead of the bar."""
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails as if tqdm were not installed
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=1, progress=True, seed=0)
    out, err = capsys.readouterr()
    assert history.epochs == 1 and err == "" and out.startswith("epoch 1/1  train loss ")


def test_no_progress_bar_in_a_log(sine, capsys):
    """Where stderr is a file or a pipe (capsys: not a terminal) a bar would write a line per redraw."""
    pytest.importorskip("tqdm")
    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=2, progress=True, seed=0)
    out, err = capsys.readouterr()
    assert history.epochs == 2 and err == "" and len(out.splitlines()) == 2


def test_one_line_per_epoch_in_a_log(sine, capsys):
    """Not on a terminal, progress and verbose left alone: a line per epoch on stdout, with the epoch of the
    run, the losses and metrics of the history and the epoch's seconds."""
    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 32)), val_data=sine[1], epochs=3, seed=0,
                             metrics={"rmse": _rmse})
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == "" and len(lines) == 3
    for i, line in enumerate(lines):
        expected = (f"epoch {i + 1}/3  train loss {history['train_loss'][i]:.4g}  val loss "
                    f"{history['val_loss'][i]:.4g}  val rmse {history['val_rmse'][i]:.4g}  (")
        assert line.startswith(expected) and re.fullmatch(r"\d+\.\d\d s\)", line[len(expected):]), line


def test_a_resumed_run_counts_its_epochs_and_skipped_steps_are_shown(sine, tmp_path, capsys):
    """The line numbers the epochs of the whole run; steps skipped on inf or nan are counted in it."""
    calls = []

    def nan_once(pred, target, mask):
        calls.append(1)
        value, dpred = mse_loss(pred, target, mask)
        return (math.nan if len(calls) == 1 else value), dpred

    minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=1, batch_size=8, seed=0, loss=nan_once,
                   checkpoint_dir=str(tmp_path))
    assert "  skipped steps 1  (" in capsys.readouterr().out
    minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=2, resume=str(tmp_path))
    assert [line.split("  ")[0] for line in capsys.readouterr().out.splitlines()] == ["epoch 2/3", "epoch 3/3"]


@pytest.mark.parametrize("terminal", [False, True])
@pytest.mark.parametrize("kw, lines, bar", [
    ({"verbose": 0}, False, False),                        # silent everywhere
    ({"progress": False}, False, False),                   # as before verbose existed: lessons and examples
    ({"verbose": 1}, False, True),                         # the bar only (the command line prints its own lines)
    ({"verbose": 2}, True, False),                         # lines, never a bar
    ({"verbose": 2, "progress": False}, True, False),
    ({"verbose": 1, "progress": False}, False, False),
    ({}, None, True),                                      # "auto": the bar on a terminal, else lines
])
def test_verbose_and_progress(kw, lines, bar, terminal, sine, capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=2, seed=0, **kw)
    out, err = capsys.readouterr()
    lines = (not terminal) if lines is None else lines
    assert len(out.splitlines()) == (2 if lines else 0), out
    assert ("epoch 2/2" in err) == (bar and terminal), err


@pytest.mark.parametrize("verbose, error", [(3, ValueError), ("loud", ValueError), (True, TypeError),
                                            (None, TypeError), (1.0, TypeError)])
def test_bad_verbose(verbose, error, sine):
    with pytest.raises(error, match=rf"^verbose must be 'auto', 0, 1 or 2, got {type(verbose).__name__} "
                                    rf"{re.escape(repr(verbose))}$"):
        minilstm.train(_sine_model(), sine[0], epochs=1, verbose=verbose)


def test_cosine_by_name_anneals_over_the_run(sine, tmp_path):
    """schedule="cosine" reaches 0 at the run's last epoch, whatever ``epochs`` is, and a resumed run
    anneals over all its epochs."""
    history = minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), lr=1e-2, epochs=4, schedule="cosine",
                             progress=False, seed=0)
    assert history["lr"] == pytest.approx([1e-2 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)])
    model = _sine_model()
    minilstm.train(model, sine[0].subset(slice(0, 16)), lr=1e-2, epochs=2, schedule="cosine", progress=False,
                   seed=0, checkpoint_dir=str(tmp_path))
    resumed = minilstm.train(model, sine[0].subset(slice(0, 16)), lr=1e-2, epochs=4, schedule="cosine",
                             progress=False, resume=str(tmp_path))
    # epochs 1-2 annealed over 2 (T_max 2); the resumed 3-6 over all 6, from the saved schedule epoch
    assert resumed["lr"][2:] == pytest.approx([1e-2 * (1 + math.cos(math.pi * e / 6)) / 2 for e in range(2, 6)])


def test_ctrl_c_stops_after_the_batch_and_saves(sine, tmp_path):
    """SIGINT during an epoch: the batch in progress ends, the partial epoch is logged (marked partial) and
    saved with how far it got."""
    calls = []

    def loss_then_interrupt(pred, target, mask):
        calls.append(1)
        if len(calls) == 9:  # 6 batches and the evaluation of epoch 1, then epoch 2's second batch
            os.kill(os.getpid(), signal.SIGINT)
        return mse_loss(pred, target, mask)

    history = minilstm.train(_sine_model(), sine[0], val_data=sine[1], epochs=5, batch_size=16, progress=False,
                             seed=0, loss=loss_then_interrupt, checkpoint_dir=str(tmp_path))
    assert history.interrupted and not history.stopped_early
    assert history["epoch"] == [1, 2] and len(history["val_loss"]) == 2
    assert len(calls) == 10  # the second batch finished, then only epoch 2's evaluation
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back
    assert history["partial"] == [False, True] and history.unfinished.seen == 32
    saved = minilstm.checkpoint.read(str(tmp_path / "model.npz")).meta["training"]
    assert saved["epoch"] == 1 and saved["history"]["partial"] == [False, True]  # whole epochs, then the partial one
    assert saved["unfinished"]["seen"] == 32 and len(saved["unfinished"]["losses"]) == 2


def _interrupting_mse(at):
    """The squared error, which sends SIGINT during its calls numbered in ``at`` (from 1; a training step is
    one call, and so is each epoch's evaluation of val_data)."""
    calls = []

    def loss(pred, target, mask):
        calls.append(1)
        if len(calls) in at:
            os.kill(os.getpid(), signal.SIGINT)
        return mse_loss(pred, target, mask)
    return loss


def test_resume_finishes_an_interrupted_epoch_bit_for_bit(sine, tmp_path, capsys):
    """Ctrl-C in epoch 2 (during its 3rd of 6 batches), resumed, Ctrl-C again (during its 5th), resumed: the
    weights and the history of 3 epochs in one go, dropout's masks, Adam's moments and the schedule included."""
    train_set, val_set = sine
    args = dict(val_data=val_set, batch_size=16, lr=1e-2, schedule=("step", {"step_size": 1, "gamma": 0.7}),
                metrics={"rmse": _rmse}, checkpoint_dir=tmp_path)

    def model():
        return minilstm.Model(1, 6, 1, num_layers=2, dropout=0.3, recurrent_dropout=0.2, seed=0)

    straight = model()
    whole = minilstm.train(straight, train_set, epochs=3, seed=7, progress=False, **{**args, "checkpoint_dir": None})
    cut = minilstm.train(model(), train_set, epochs=3, seed=7, loss=_interrupting_mse({10}), verbose=2, **args)
    assert cut.interrupted and cut["partial"] == [False, True] and cut["lr"] == whole["lr"][:2]  # no schedule step
    line = capsys.readouterr().out.splitlines()[-1]  # the partial epoch's line says how far it got
    assert line.startswith("epoch 2/3  train loss ") and "  partial: 48 of 96 sequences  (" in line
    again = minilstm.load(tmp_path / "model.npz")
    cut = minilstm.train(again, train_set, epochs=2, resume=tmp_path, loss=_interrupting_mse({2}),
                         verbose=2, **args)
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("epoch 2/3  train loss ") and "  partial: 80 of 96 sequences  (" in line
    assert cut.interrupted and cut["epoch"] == [1, 2] and cut["partial"] == [False, True]
    assert cut.unfinished.seen == 80 and len(cut.unfinished.losses) == 5  # the 3 steps before and these 2
    last = minilstm.load(tmp_path / "model.npz")
    resumed = minilstm.train(last, train_set, epochs=2, resume=tmp_path, progress=False, **args)
    assert not resumed.interrupted and resumed.unfinished is None
    assert_same_weights(weights_of(last), weights_of(straight))
    assert resumed["epoch"] == [1, 2, 3] and resumed["partial"] == [False] * 3
    for key in ("train_loss", "grad_norm", "lr", "skipped_steps", "val_loss", "val_rmse"):
        assert resumed[key] == whole[key], key


def test_an_interrupted_epoch_resumes_only_on_its_data(sine, tmp_path):
    """The saved progress of an interrupted epoch that cannot be this run's is refused, naming the field."""
    minilstm.train(_sine_model(), sine[0], epochs=2, batch_size=16, progress=False, seed=0,
                   loss=_interrupting_mse({2}), checkpoint_dir=tmp_path)
    path = str(tmp_path / "model.npz")
    with pytest.raises(ValueError, match=rf"^checkpoint {re.escape(repr(path))}: field 'training.unfinished' cannot "
                                         r"be restored: the interrupted epoch had trained on 32 sequences, but "
                                         r"train_data has 16; resume with the data of the run$"):
        minilstm.train(minilstm.load(path), sine[0].subset(slice(0, 16)), epochs=1, progress=False, resume=path)


def test_a_second_ctrl_c_interrupts_at_once(sine):
    def interrupt_twice(epoch, logs, model):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        minilstm.train(_sine_model(), sine[0], epochs=3, progress=False, seed=0, callbacks=[interrupt_twice])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_training_runs_with_one_blas_thread(sine, monkeypatch):
    """blas_threads="auto": one BLAS thread inside train for a small layer (the machine's count is given
    back after); an int sets the count, None or a user's OPENBLAS_NUM_THREADS leaves BLAS alone."""
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]

    before, seen = blas_threads(), []
    for var in minilstm.threads.ENV_VARS:
        monkeypatch.delenv(var, raising=False)

    def record(epoch, logs, model):
        seen.append(blas_threads())

    for threads in ("auto", None, 2):
        minilstm.train(_sine_model(), sine[0].subset(slice(0, 16)), epochs=1, progress=False, seed=0,
                       callbacks=[record], blas_threads=threads)
        assert blas_threads() == before
    assert seen == [[1] * len(before), before, [2] * len(before)]
    assert minilstm.threads.resolve("auto", work=64 * 512**2) is None  # a large layer keeps BLAS's threads
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert minilstm.threads.resolve("auto") is None and minilstm.threads.resolve(3) == 3
    with pytest.raises(ValueError, match="blas_threads must be one of"):
        minilstm.threads.resolve("many")
    with pytest.raises(ValueError, match="blas_threads must be a positive int, got 0"):
        minilstm.threads.resolve(0)


def test_predict_proba_and_softmax(text):
    model = _text_model(text)
    logits = minilstm.predict(model, text)
    proba = minilstm.predict(model, text, proba=True)
    assert proba.shape == logits.shape and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(proba, minilstm.softmax(logits), rtol=1e-6)
    e = np.exp(logits.astype(np.float64))
    np.testing.assert_allclose(proba, e / e.sum(axis=-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(minilstm.softmax([[1000.0, 1000.0]]), [[0.5, 0.5]])  # no overflow
    with pytest.raises(TypeError, match="proba must be True or False"):
        minilstm.predict(model, text, proba="yes")


def test_a_folder_holding_another_run_is_written_over_only_with_overwrite(sine, tmp_path):
    """train(checkpoint_dir=) would replace another run's model.npz after its first epoch: refused up front,
    unless resume= continues that run or overwrite=True; overwrite=True also replaces a read-only file."""
    data_ = sine[0].subset(slice(0, 8))
    minilstm.train(_sine_model(), data_, epochs=1, seed=0, progress=False, checkpoint_dir=tmp_path / "a")
    theirs = (tmp_path / "a" / "model.npz").read_bytes()
    with pytest.raises(FileExistsError, match=r"checkpoint_dir '.*a' already holds a run \(model.npz\): continue it "
                                              r"with resume= that folder, .* or give overwrite=True"):
        minilstm.train(_sine_model(), data_, epochs=1, progress=False, checkpoint_dir=tmp_path / "a")
    with pytest.raises(FileExistsError, match="already holds a run"):  # another run's folder, resuming a third
        minilstm.train(_sine_model(), data_, epochs=1, progress=False, checkpoint_dir=tmp_path / "a",
                       resume=minilstm.train(_sine_model(), data_, epochs=1, progress=False,
                                             checkpoint_dir=tmp_path / "b") and str(tmp_path / "b"))
    assert (tmp_path / "a" / "model.npz").read_bytes() == theirs
    with pytest.raises(TypeError, match="checkpoint_dir must be a folder's path .*, got int"):
        minilstm.train(_sine_model(), data_, epochs=1, progress=False, checkpoint_dir=5)
    with pytest.raises(ValueError, match="checkpoint_dir '.*model.npz' is a file, not a folder"):
        minilstm.train(_sine_model(), data_, epochs=1, progress=False, checkpoint_dir=tmp_path / "a" / "model.npz")
    minilstm.train(_sine_model(), data_, epochs=1, progress=False, checkpoint_dir=tmp_path / "a",
                   resume=str(tmp_path / "a" / "model.npz"))  # continuing the run in its own folder
    os.chmod(tmp_path / "a" / "model.npz", 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        minilstm.train(_sine_model(), data_, epochs=1, progress=False, checkpoint_dir=tmp_path / "a",
                       resume=str(tmp_path / "a"))
    minilstm.train(_sine_model(), data_, epochs=1, progress=False, checkpoint_dir=tmp_path / "a", overwrite=True)
    assert (tmp_path / "a" / "model.npz").read_bytes() != theirs
