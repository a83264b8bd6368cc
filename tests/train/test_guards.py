"""Training's guards: a diverging run stops with TrainingDiverged and leaves the last good checkpoint;
a step that ruins a weight stops it at once; isolated bad steps are skipped; data with nan or inf is refused."""
import math
import os

import numpy as np
import pytest
from conftest import assert_same_weights, weights_of

import minilstm
from minilstm import checkpoint, data
from minilstm.data import Dataset
from minilstm.guards import BAD_STEPS_IN_A_ROW, refuse_non_finite


@pytest.fixture(scope="module")
def sine():
    train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=0))
    return train_set.subset(slice(0, 64)), val_set.subset(slice(0, 16))


def _model():
    return minilstm.Model(1, 8, 1, seed=0)


def _recorder(seen):
    """A callback that keeps each epoch's weights."""
    def record(epoch, logs, model):
        seen[epoch] = weights_of(model)
    return record


def test_a_diverging_run_stops_and_keeps_the_last_good_checkpoint(sine, tmp_path):
    """SGD at lr = 1000 without clipping: the weights reach ~1e20 in epoch 2, then every step's loss
    or gradient is inf or nan. The run stops at the 10th skipped step in a row, naming the first of
    them; model.npz and best.npz hold epoch 1's weights (finite), not the ruined ones."""
    seen, model = {}, _model()
    with np.errstate(all="ignore"), pytest.raises(minilstm.TrainingDiverged) as caught:
        minilstm.train(model, sine[0], val_data=sine[1], optimizer="sgd", lr=1e3, epochs=10, batch_size=16,
                       progress=False, seed=0, checkpoint_dir=tmp_path, callbacks=[_recorder(seen)])
    assert not model.training  # eval mode, as after any run
    err = caught.value
    path = os.path.join(tmp_path, "model.npz")
    assert isinstance(err, RuntimeError)
    assert (err.epoch, err.step, err.checkpoint) == (2, 3, path)
    assert math.isfinite(err.grad_norm) and err.grad_norm > 1e6
    assert str(err) == (f"training diverged at epoch 2, step 3: {BAD_STEPS_IN_A_ROW} steps in a row had an inf or "
                        f"nan loss or gradient and were skipped (the last finite gradient norm was "
                        f"{err.grad_norm:.4g}); the checkpoint {path!r} was left as saved after epoch 1")
    # epoch 4 stopped at its 4th step, the 10th skipped in a row: logged, not evaluated, no callback
    assert err.history["epoch"] == [1, 2, 3, 4] and err.history["skipped_steps"] == [0, 2, 4, 4]
    assert math.isfinite(err.history["val_loss"][0]) and math.isnan(err.history["val_loss"][3])
    assert sorted(seen) == [1, 2, 3]
    for name in ("model.npz", "best.npz"):
        ckpt = checkpoint.read(os.path.join(tmp_path, name))
        assert ckpt.meta["training"]["epoch"] == 1, name
        assert all(np.isfinite(v).all() for v in ckpt.params.values()), name
        assert_same_weights(ckpt.params, seen[1])
    assert not np.isfinite(err.history["train_loss"][-1])


def test_a_step_that_leaves_a_weight_inf_stops_the_run_at_that_step(sine, tmp_path, backend):
    """An update that overflows (here forced on the 6th step, epoch 2's 2nd) is caught right after
    that step, before another runs on the ruined weights; epoch 1's checkpoint stays."""
    class Overflowing(minilstm.SGD):
        def _update(self, k, p, g):
            super()._update(k, p, g)
            if self.t == 6 and k == "rnn.weight_hh_l0":
                p[0, 0] = float("inf")  # what lr * g > 3.4e38 gives in float32

    model = _model()
    seen = {}
    with np.errstate(all="ignore"), pytest.raises(minilstm.TrainingDiverged) as caught:
        minilstm.train(model, sine[0], optimizer=Overflowing(model.params, lr=1e-2), epochs=3, batch_size=16,
                       progress=False, seed=0, checkpoint_dir=tmp_path, callbacks=[_recorder(seen)])
    err = caught.value
    assert (err.epoch, err.step) == (2, 2) and math.isfinite(err.grad_norm)
    assert str(err).startswith("training diverged at epoch 2, step 2: the step left an inf or a nan in "
                               f"rnn.weight_hh_l0 (the last finite gradient norm was {err.grad_norm:.4g}); "
                               "the checkpoint ")
    assert np.isinf(weights_of(model)["rnn.weight_hh_l0"][0, 0])
    assert_same_weights(checkpoint.read(err.checkpoint).params, seen[1])


def test_ten_skipped_steps_in_a_row_diverge_nine_do_not(sine, tmp_path):
    """The rule, at its edge: bad steps in a row are counted across epochs; an epoch that ends in a
    skipped step writes no checkpoint, the first epoch that ends well does."""
    def bad_first(n):
        calls = []

        def loss(pred, target, mask):
            calls.append(1)
            value, dpred = minilstm.mse_loss(pred, target, mask)
            return (value, dpred * math.inf) if len(calls) <= n else (value, dpred)
        return loss

    exists = []

    def saved(epoch, logs, model):
        exists.append(os.path.exists(os.path.join(tmp_path, "model.npz")))

    two_steps = sine[0].subset(slice(0, 16))  # batch_size 8: 2 steps an epoch
    before = weights_of(m := _model())
    with np.errstate(all="ignore"):
        history = minilstm.train(m, two_steps, loss=bad_first(BAD_STEPS_IN_A_ROW - 1), epochs=6, batch_size=8,
                                 progress=False, seed=0, checkpoint_dir=tmp_path, callbacks=[saved])
        assert history["skipped_steps"] == [2, 2, 2, 2, 1, 0]
        assert exists == [False, False, False, False, True, True]
        assert not np.array_equal(weights_of(m)["head.weight"], before["head.weight"])
        with pytest.raises(minilstm.TrainingDiverged, match=r"^training diverged at epoch 1, step 1: 10 steps in a "
                                                            r"row .* \(the last finite gradient norm was nan\); no "
                                                            r"checkpoint had been saved$") as caught:
            minilstm.train(m2 := _model(), two_steps, loss=bad_first(BAD_STEPS_IN_A_ROW), epochs=6, batch_size=8,
                           progress=False, seed=0)
    assert (caught.value.epoch, caught.value.step, caught.value.checkpoint) == (1, 1, None)
    assert caught.value.history["skipped_steps"] == [2, 2, 2, 2, 2]
    assert_same_weights(weights_of(m2), before)


def test_a_short_run_that_ends_in_skipped_steps_has_diverged(sine, tmp_path):
    """One batch per epoch and SGD at lr = 1e10: 6 steps in all, fewer than BAD_STEPS_IN_A_ROW, the last
    4 inf. Once the run returned normally with losses [..., inf, inf, inf]; now ending on a streak of
    skipped steps that fills its last epoch is divergence. The checkpoint left is epoch 1's, the last whose
    weights still gave a finite loss (epoch 2's step blew them up to ~1e20: not saved)."""
    one_batch = sine[0].subset(slice(0, 16))
    with np.errstate(all="ignore"), pytest.raises(minilstm.TrainingDiverged) as caught:
        minilstm.train(_model(), one_batch, optimizer="sgd", lr=1e10, epochs=6, batch_size=16, progress=False,
                       seed=0, checkpoint_dir=tmp_path)
    err = caught.value
    assert str(err).startswith("training diverged at epoch 3, step 1: the run ended on 4 skipped steps in a row, "
                               "every step of its last epoch, ")
    assert err.history["skipped_steps"] == [0, 0, 1, 1, 1, 1]
    ckpt = checkpoint.read(err.checkpoint)
    assert ckpt.meta["training"]["epoch"] == 1 and str(err).endswith("left as saved after epoch 1")


def test_a_blow_up_inside_epoch_1_is_not_kept(sine, tmp_path):
    """SGD at lr = 30: every step of epoch 1 is taken, but its last leaves weights of ~1e18 whose loss is
    inf (epoch 2 skips all its steps). Those weights are finite, yet no checkpoint to go back to: the
    epoch's weights are saved only when they still give a finite loss (on the next batch, or val_data)."""
    with np.errstate(all="ignore"), pytest.raises(minilstm.TrainingDiverged) as caught:
        minilstm.train(_model(), sine[0], optimizer="sgd", lr=30, epochs=4, batch_size=8, progress=False,
                       seed=0, checkpoint_dir=tmp_path)
    assert caught.value.history["skipped_steps"][:2] == [0, 8]
    assert caught.value.checkpoint is None and not os.path.exists(os.path.join(tmp_path, "model.npz"))
    assert str(caught.value).endswith("; no checkpoint had been saved")


def test_a_penalty_that_returns_nan_is_caught_by_the_guard(sine):
    """A penalty whose value is nan makes every step's loss nan: skipped, and the run (4 steps) diverged."""
    model = _model()
    before = weights_of(model)
    with pytest.raises(minilstm.TrainingDiverged, match=r"^training diverged at epoch 1, step 1: the run ended "):
        minilstm.train(model, sine[0].subset(slice(0, 16)), epochs=2, batch_size=8, progress=False, seed=0,
                       penalty=lambda p: (math.nan, {}))
    assert_same_weights(weights_of(model), before)


@pytest.mark.parametrize("part", ["X", "Y"])
def test_object_data_is_refused(part, sine):
    """An object array holding None used to train on nan losses without a word."""
    X, Y = (a.astype(object) if p == part else a for p, a in (("X", sine[0].X), ("Y", sine[0].Y)))
    (X if part == "X" else Y)[1, 0] = None
    with pytest.raises(TypeError, match=rf"^Dataset {part} must hold numbers \(float .*\), got dtype object: "):
        minilstm.train(_model(), (X, Y), epochs=1, progress=False, seed=0)


# ---------------------------------------------------------------- non-finite data
@pytest.mark.parametrize("where, poison, message", [
    ("train X", np.nan, r"^train_data X\[3, 17, 0\] is nan: the data must be finite"),
    ("train Y", np.inf, r"^train_data Y\[5, 0\] is inf: "),
    ("val X", -np.inf, r"^val_data X\[3, 17, 0\] is -inf: "),
    ("val Y", np.nan, r"^val_data Y\[5, 0\] is nan: "),
])
def test_non_finite_data_is_refused_before_training(where, poison, message, sine):
    train_set, val_set = (d.subset(slice(0, 16)) for d in sine)
    which, part = where.split()
    ds = {"train": train_set, "val": val_set}[which]
    X, Y = ds.X.copy(), ds.Y.copy()
    if part == "X":
        X[3, 17, 0], X[7, 2, 0] = poison, np.nan  # two: the first is named
    else:
        Y[5, 0], Y[9, 0] = poison, np.nan
    sets = {"train": train_set, "val": val_set, which: (X, Y)}
    model = _model()
    before = weights_of(model)
    with pytest.raises(ValueError, match=message):
        minilstm.train(model, sets["train"], val_data=sets["val"], epochs=1, progress=False, seed=0)
    assert_same_weights(weights_of(model), before)


def test_padding_may_hold_nan_but_a_valid_step_may_not(rng):
    """Padded steps are never read, so nan there trains; the same nan in a valid step is refused,
    in X and in per-step targets."""
    X = rng.standard_normal((4, 6, 1)).astype(np.float32)
    Y = rng.standard_normal((4, 6, 1)).astype(np.float32)
    lengths = np.array([6, 3, 4, 2])
    X[1, 4, 0] = Y[3, 5, 0] = np.nan  # padding
    model = minilstm.Model(1, 4, 1, readout="all", seed=0)
    history = minilstm.train(model, (X, Y, lengths), epochs=1, batch_size=4, progress=False, seed=0)
    assert history["skipped_steps"] == [0] and math.isfinite(history["train_loss"][0])
    with pytest.raises(ValueError, match=r"^train_data Y\[3, 1, 0\] is inf: "):
        Y[3, 1, 0] = np.inf
        minilstm.train(model, (X, Y, lengths), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"^train_data X\[1, 2, 0\] is nan: "):
        X[1, 2, 0] = np.nan
        minilstm.train(model, (X, Y, lengths), epochs=1, progress=False)


def test_a_value_beyond_the_models_dtype_is_refused_on_real_steps_only(rng):
    """1e300 is finite in float64 but inf in a float32 model: refused on a real step, harmless in padding."""
    X = rng.standard_normal((4, 6, 1))
    Y = rng.standard_normal((4, 6, 1))
    lengths = np.array([6, 3, 4, 2])
    X[1, 4, 0] = 1e300  # padding
    history = minilstm.train(minilstm.Model(1, 4, 1, readout="all", seed=0), (X, Y, lengths), epochs=1,
                             batch_size=4, progress=False, seed=0)
    assert history["skipped_steps"] == [0] and math.isfinite(history["train_loss"][0])
    X[2, 1, 0] = -1e300  # a real step
    with pytest.raises(ValueError, match=r"^train_data X\[2, 1, 0\] = -1e\+300 is beyond float32's range: "):
        minilstm.train(minilstm.Model(1, 4, 1, readout="all", seed=0), (X, Y, lengths), epochs=1, progress=False)
    refuse_non_finite(Dataset(X, Y, lengths), "train_data", "float64")  # a float64 model holds it
