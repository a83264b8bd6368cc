"""The lessons' checker: a right step backward passes, one with a single mistake is caught and named."""
import sys
from pathlib import Path

import numpy as np
import pytest

from minilstm.exercises import RNNCache, check_step_backward, check_step_forward, random_step

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lessons"))
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


# ------------------------------------------------------------- second edition: the step forward, and what is refused
FORWARDS = {("rnn", ()): rnn.step_forward, ("rnn", (("nonlinearity", "relu"),)): rnn.step_forward_relu,
            ("lstm", ()): lstm.step_forward, ("gru", ()): gru.step_forward,
            ("gru", (("reset_after", False),)): gru.step_forward_reset_before}
BACKWARDS = {("rnn", (("nonlinearity", "relu"),)): rnn.step_backward_relu,
             ("gru", (("reset_after", False),)): gru.step_backward_reset_before}


@pytest.mark.parametrize("key", FORWARDS, ids=[f"{c}{dict(o)}" for c, o in FORWARDS])
@pytest.mark.parametrize("seed", [0, 3])
def test_the_reference_step_forwards_pass(key, seed):
    cell, options = key
    result = check_step_forward(FORWARDS[key], cell=cell, seed=seed, **dict(options))
    assert result.passed, result.message


@pytest.mark.parametrize("key", BACKWARDS, ids=[f"{c}{dict(o)}" for c, o in BACKWARDS])
def test_the_reference_backwards_of_the_options_pass(key):
    cell, options = key
    assert check_step_backward(BACKWARDS[key], cell=cell, **dict(options))


def test_the_engines_step_forward_passes_and_a_forward_with_w_hh_not_transposed_is_named():
    step, *_ = random_step("gru", reset_after=False)
    assert check_step_forward(step.step_forward, cell="gru", reset_after=False)

    def untransposed(xw, state, p):
        (h_prev,) = state
        h = np.tanh(xw + h_prev @ p.weight_hh)
        return (h,), RNNCache(h_prev, h)

    result = check_step_forward(untransposed, cell="rnn")
    assert result.wrong == ["state h"] and "W_hh not transposed" in result.message  # cache.h is that h: named once


def test_a_forward_cache_without_a_field_is_named():
    fields = r"no field c_prev, i, f, g, o, c, tc: .*LSTMCache\(h_prev, c_prev, i, f, g, o, c, tc, h\)"
    with pytest.raises(TypeError, match=fields):
        check_step_forward(lambda xw, s, p: ((s[0], s[1]), RNNCache(s[0], s[0])), cell="lstm")


@pytest.mark.parametrize("where", ["one", "all"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_never_pass(where, bad):
    """Issue 21, finding 1: a backward returning NaN passed with 'worst relative error nan'."""
    def broken(dstate, cache, p):
        dxw, dhw, ds = rnn.step_backward(dstate, cache, p)
        dxw = np.full_like(dxw, bad) if where == "all" else dxw.copy()
        dxw[0, 1] = bad
        return dxw, dhw, ds

    result = check_step_backward(broken, cell="rnn")
    assert not result.passed and result.wrong == ["dxw"] and result.errors["dxw"] == np.inf
    first = "[batch 0, column 0]" if where == "all" else "[batch 0, column 1]"
    count = "15 of 15" if where == "all" else "1 of 15"
    assert f"{count} entries are not finite, the first {'nan' if np.isnan(bad) else 'inf'} at {first}" in result.message


@pytest.mark.parametrize("rtol, error, words", [
    (float("nan"), ValueError, "nan compares false"), (float("inf"), ValueError, "100 %"),
    (-1, ValueError, "0 or less"), (0, ValueError, "0 or less"), (1.5, ValueError, "100 %"),
    ("1e-6", TypeError, "not a string"), (True, TypeError, "rtol must be a number"),
])
@pytest.mark.parametrize("checker", ["forward", "backward"])
def test_nonsensical_tolerances_are_refused(rtol, error, words, checker):
    fn = check_step_forward if checker == "forward" else check_step_backward
    with pytest.raises(error, match="rtol") as info:
        fn(rnn.step_forward if checker == "forward" else rnn.step_backward, cell="rnn", rtol=rtol)
    assert words in str(info.value)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), ("a", TypeError), (1.5, TypeError)])
def test_bad_seeds_are_refused(seed, error):
    with pytest.raises(error, match="seed"):
        check_step_backward(rnn.step_backward, cell="rnn", seed=seed)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_transposed_product_becomes_a_message_with_the_line_and_the_shapes(cell):
    """Issue 19: a transposed product crashed inside the student's code with a raw NumPy ValueError."""
    solution = SOLUTIONS[cell]

    def transposed(dstate, cache, p):
        dxw, dhw, ds = solution(dstate, cache, p)
        dh_prev = dhw @ p.weight_hh.T
        return dxw, dhw, (dh_prev,) + tuple(ds[1:])

    result = check_step_backward(transposed, cell=cell)
    G = 4 if cell == "lstm" else 3
    assert not result.passed and result.wrong == ["shape error"]
    for words in ["transposed, line", "dh_prev = dhw @ p.weight_hh.T", "mismatch",
                  f"p.weight_hh (G*H, H) = ({G * 5}, 5)", f"(B, G*H) = (3, {G * 5})",
                  "da @ p.weight_hh is (B, G*H) @ (G*H, H) -> (B, H)"]:
        assert words in result.message, result.message


def test_an_error_that_is_not_about_shapes_passes_through():
    def typo(dstate, cache, p):
        raise ValueError("my own mistake")

    with pytest.raises(ValueError, match="my own mistake"):
        check_step_backward(typo, cell="rnn")


def test_the_hints_follow_the_options():
    """The relu hint never shows the tanh derivative; reset_after=False gets its own dhw and dh_prev."""
    relu = check_step_backward(rnn.step_backward, cell="rnn", nonlinearity="relu")
    assert "dh * (h > 0)" in relu.message and "1 - h**2" not in relu.message
    tanh = check_step_backward(rnn_no_tanh_derivative, cell="rnn")
    assert "1 - h**2" in tanh.message and "found it: this is dh itself" in tanh.message
    cho = check_step_backward(gru.step_backward, cell="gru", reset_after=False)
    assert not cho.passed
    assert "the n block is da_n itself" in cho.message and "da_n * r" not in cho.message
    assert "(da_n W_hn) * r through rh" in cho.message
    forward = check_step_forward(lambda xw, s, p: gru.step_forward(xw, s, p), cell="gru", reset_after=False)
    assert "hn = rh W_hn^T + b_hn" in forward.message


def test_a_transposed_w_hh_in_the_rnn_backward_is_named():
    result = check_step_backward(rnn_transposed_weight, cell="rnn")
    assert "found it: this is da @ p.weight_hh.T" in result.message
