"""plug: a layer or cell runs the learner's step; gradcheck and train see their code, right or wrong."""
import sys
from pathlib import Path

import numpy as np
import pytest

import minilstm
from minilstm.exercises import plug

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lessons"))
from solutions import gru, lstm, rnn  # noqa: E402

X = np.random.default_rng(0).standard_normal((5, 2, 3))
PAIRS = {
    "rnn": (lambda: minilstm.RNN(3, 4, dtype="float64", seed=0), rnn.step_forward, rnn.step_backward),
    "rnn relu": (lambda: minilstm.RNN(3, 4, nonlinearity="relu", dtype="float64", seed=0), rnn.step_forward_relu,
                 rnn.step_backward_relu),
    "lstm 2 layers both ways": (lambda: minilstm.LSTM(3, 4, 2, bidirectional=True, dtype="float64", seed=0),
                                lstm.step_forward, lstm.step_backward),
    "gru": (lambda: minilstm.GRU(3, 4, dtype="float64", seed=0), gru.step_forward, gru.step_backward),
    "gru reset_after=False": (lambda: minilstm.GRU(3, 4, reset_after=False, dtype="float64", seed=0),
                              gru.step_forward_reset_before, gru.step_backward_reset_before),
}


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("which", ["forward", "backward", "both"])
def test_a_right_step_gives_the_engines_layer(name, which):
    make, fw, bw = PAIRS[name]
    layer = make()
    mine = plug(layer, forward=fw if which != "backward" else None, backward=bw if which != "forward" else None)
    assert mine is not layer and layer.cell is not mine.cell
    out, _ = layer.forward(X)
    mine_out, _ = mine.forward(X)
    np.testing.assert_allclose(mine_out, out, rtol=1e-12, atol=1e-14)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx, mine_dx = layer.backward(dout)[0], mine.backward(dout)[0]
    np.testing.assert_allclose(mine_dx, dx, rtol=1e-12, atol=1e-14)
    for k in layer.grads:
        np.testing.assert_allclose(mine.grads[k], layer.grads[k], rtol=1e-12, atol=1e-14, err_msg=k)
    assert minilstm.gradcheck(mine, X, max_entries=4).passed()


@pytest.mark.parametrize("cell, fw, bw, state", [
    (lambda: minilstm.RNNCell(3, 4, dtype="float64", seed=0), rnn.step_forward, rnn.step_backward, 1),
    (lambda: minilstm.LSTMCell(3, 4, dtype="float64", seed=0), lstm.step_forward, lstm.step_backward, 2),
    (lambda: minilstm.GRUCell(3, 4, reset_after=False, dtype="float64", seed=0), gru.step_forward_reset_before,
     gru.step_backward_reset_before, 1),
])
def test_a_one_step_cell_runs_the_learners_pair(cell, fw, bw, state):
    rng = np.random.default_rng(2)
    s = tuple(rng.standard_normal((2, 4)) for _ in range(state))
    assert minilstm.gradcheck(plug(cell(), forward=fw, backward=bw), X[0], s if state == 2 else s[0]).passed()


def transposed(dstate, cache, p):
    """Lesson 1's exercise 4: W_hh transposed in dh_prev."""
    (dh,) = dstate
    da = dh * (1.0 - cache.h ** 2)
    return da, da, (da @ p.weight_hh.T,)


def test_lesson_1_exercise_4_gradcheck_catches_the_transposed_product_but_not_at_h_1():
    caught = minilstm.gradcheck(plug(minilstm.RNN(3, 4, dtype="float64", seed=0), backward=transposed), X)
    assert not caught.passed() and caught.worst > 0.1
    missed = minilstm.gradcheck(plug(minilstm.RNN(3, 1, dtype="float64", seed=0), backward=transposed), X)
    assert missed.passed()  # a 1 x 1 W_hh is its own transpose


def test_a_wrong_dhw_reaches_the_weights_and_gradcheck_sees_it():
    """The engine makes dW_hh from dxw; a plugged backward's own dhw must be what reaches it."""
    def dhw_is_dxw(dstate, cache, p):
        dxw, _, ds = gru.step_backward(dstate, cache, p)
        return dxw, dxw, ds

    report = minilstm.gradcheck(plug(minilstm.GRU(3, 4, dtype="float64", seed=0), backward=dhw_is_dxw), X)
    assert not report.passed() and report.errors["weight_hh_l0"] > 0.1 and report.errors["x"] == 0


def test_a_training_run_on_the_learners_step():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 6, 2)), rng.standard_normal((16, 1))
    losses = {}
    for name, layer in [("engine", minilstm.LSTM(2, 8, batch_first=True, seed=0)),
                        ("mine", plug(minilstm.LSTM(2, 8, batch_first=True, seed=0), forward=lstm.step_forward,
                                      backward=lstm.step_backward))]:
        model = minilstm.Sequential(layer, minilstm.LastStep(), minilstm.Linear(8, 1, seed=0))
        losses[name] = minilstm.train(model, (x, y), epochs=3, batch_size=8, seed=0, progress=False)["train_loss"]
    np.testing.assert_allclose(losses["mine"], losses["engine"], rtol=1e-4)


def test_plug_refuses_what_it_cannot_run_and_says_what_it_shows():
    with pytest.raises(TypeError, match="recurrent layers or cells"):
        plug(minilstm.Linear(2, 3), backward=rnn.step_backward)
    with pytest.raises(TypeError, match="backward must be a function"):
        plug(minilstm.RNN(2, 3), backward="step_backward")
    twice = plug(plug(minilstm.RNN(2, 3), backward=transposed), forward=rnn.step_forward)
    assert twice.cell.engine == minilstm.cells.RNNStep() and twice.cell.backward is None
    assert "forward=step_forward" in repr(twice)


def test_a_wrong_shape_from_a_plugged_step_is_named():
    def short(dstate, cache, p):
        dxw, dhw, ds = lstm.step_backward(dstate, cache, p)
        return dxw[:, :4], dhw, ds

    layer = plug(minilstm.LSTM(3, 4, dtype="float64", seed=0), backward=short)
    out, _ = layer.forward(X)
    with pytest.raises(ValueError, match=r"step backward's dxw has shape \(2, 4\), expected \(B, G\*H\) = \(2, 16\)"):
        layer.backward(out)


def test_the_docstring_example_runs():
    import doctest

    from minilstm.exercises import plugged
    assert doctest.testmod(plugged).failed == 0
