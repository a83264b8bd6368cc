"""The lessons' checker: a right step backward passes, one with a single mistake is caught and named."""
import sys
from pathlib import Path

import numpy as np
import pytest

from minilstm.exercises import check_step_backward, random_step

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lessons"))
from solutions import gru, lstm, rnn  # noqa: E402  (the reference solutions live next to the lessons)

SOLUTIONS = {"rnn": rnn.step_backward, "lstm": lstm.step_backward, "gru": gru.step_backward}


@pytest.mark.parametrize("cell", SOLUTIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_reference_solutions_pass(cell, seed):
    result = check_step_backward(SOLUTIONS[cell], cell=cell, seed=seed)
    assert result.passed and not result.wrong, result.message
    assert "match the engine's" in str(result)


@pytest.mark.parametrize("cell", SOLUTIONS)
def test_the_engines_own_step_backward_passes(cell):
    step, *_ = random_step(cell)
    assert check_step_backward(step.step_backward, cell=cell)


def test_options_reach_the_step():
    relu = random_step("rnn", nonlinearity="relu")[0]
    assert check_step_backward(relu.step_backward, cell="rnn", nonlinearity="relu")
    assert not check_step_backward(rnn.step_backward, cell="rnn", nonlinearity="relu")  # a tanh backward is wrong
    cho = random_step("gru", reset_after=False)[0]
    assert check_step_backward(cho.step_backward, cell="gru", reset_after=False)


# ------------------------------------------------------------- one mistake each, and the name it must get
def rnn_transposed_weight(dstate, cache, p):
    """dh_prev = da W_hh^T: right shape (W_hh is square), wrong values."""
    (dh,) = dstate
    da = dh * (1.0 - cache.h ** 2)
    return da, da, (da @ p.weight_hh.T,)


def rnn_no_tanh_derivative(dstate, cache, p):
    (dh,) = dstate
    return dh, dh, (dh @ p.weight_hh,)


def lstm_no_forget_in_highway(dstate, cache, p):
    """dc_prev = dc, the forget gate dropped from the highway."""
    dxw, dhw, (dh_prev, dc_prev) = lstm.step_backward(dstate, cache, p)
    return dxw, dhw, (dh_prev, dc_prev / cache.f)


def lstm_forget_gate_reads_c(dstate, cache, p):
    """df = dc * c instead of dc * c_prev: only the forget gate's block (and what it feeds) is wrong."""
    wrong = cache._replace(c_prev=cache.c)
    dxw, dhw, (dh_prev, _) = lstm.step_backward(dstate, wrong, p)
    _, _, (_, dc_prev) = lstm.step_backward(dstate, cache, p)
    return dxw, dhw, (dh_prev, dc_prev)


def gru_no_direct_path(dstate, cache, p):
    """dh_prev without dh * z, the direct path through h = ... + z * h_prev."""
    dxw, dhw, (dh_prev,) = gru.step_backward(dstate, cache, p)
    return dxw, dhw, (dh_prev - dstate[0] * cache.z,)


def gru_dhw_without_reset(dstate, cache, p):
    """dhw's n block as dan, forgetting that r multiplies the recurrent product."""
    dxw, _, dstate_prev = gru.step_backward(dstate, cache, p)
    return dxw, dxw, dstate_prev


@pytest.mark.parametrize("cell, fn, wrong, words", [
    ("rnn", rnn_transposed_weight, ["dh_prev"], ["dh_prev", "da W_hh"]),
    ("rnn", rnn_no_tanh_derivative, ["dxw", "dhw", "dh_prev"], ["1 - h**2"]),
    ("lstm", lstm_no_forget_in_highway, ["dc_prev"], ["dc_prev", "f * (total dc)"]),
    ("lstm", lstm_forget_gate_reads_c, ["dxw", "dhw", "dh_prev"], ["wrong blocks: forget gate f)"]),
    ("gru", gru_no_direct_path, ["dh_prev"], ["dh_prev", "dh * z"]),
    ("gru", gru_dhw_without_reset, ["dhw"], ["candidate n block", "wrong blocks: candidate n)"]),
])
def test_one_mistake_is_caught_and_named(cell, fn, wrong, words):
    result = check_step_backward(fn, cell=cell)
    assert not result.passed and result.wrong == wrong, result.message
    for word in words:
        assert word in result.message, result.message
    for name in wrong:
        assert result.errors[name] > 1e-3
    for name in set(result.errors) - set(wrong):
        assert result.errors[name] < 1e-12


def test_the_message_gives_the_worst_entry_and_both_values():
    result = check_step_backward(lstm_no_forget_in_highway, cell="lstm")
    _, p, cache, dstate = random_step("lstm")
    *_, (_, dc_prev) = lstm_no_forget_in_highway(dstate, cache, p)
    engine = lstm.step_backward(dstate, cache, p)[2][1]
    b, u = np.unravel_index(np.argmax(np.abs(dc_prev - engine)), engine.shape)
    assert f"worst at [batch {b}, unit {u}]: yours {dc_prev[b, u]:.6g}, engine {engine[b, u]:.6g}" in result.message


def test_wrong_shapes_and_returns_are_named():
    def short(dstate, cache, p):
        dxw, dhw, (dh_prev, dc_prev) = lstm.step_backward(dstate, cache, p)
        return dxw[:, :5], dhw, (dh_prev, dc_prev)

    result = check_step_backward(short, cell="lstm")
    assert result.wrong == ["dxw"] and "shape (3, 5), expected (B, G*H) = (3, 20)" in result.message
    with pytest.raises(TypeError, match="three things"):
        check_step_backward(lambda d, c, p: d, cell="rnn")
    with pytest.raises(TypeError, match=r"\(dh_prev, dc_prev\)"):
        check_step_backward(lambda d, c, p: (d[0], d[0], d[0]), cell="lstm")
    with pytest.raises(ValueError, match="cell must be one of"):
        check_step_backward(rnn.step_backward, cell="peephole")
