"""Rungs 3 and 4: the reference BPTT loop and numerical gradient pass for every cell and option, and each
classic mistake planted in them is caught and named."""
import sys
from pathlib import Path

import numpy as np
import pytest

from minilstm import bptt as engine_bptt
from minilstm.exercises import check_bptt, check_numerical_gradient
from minilstm.exercises.sequence import reference
from minilstm.exercises.step import draw_params, step_of

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lessons"))
from solutions import bptt, numerical_gradient  # noqa: E402

CELLS = [("rnn", {}), ("rnn", {"nonlinearity": "relu"}), ("lstm", {}), ("gru", {}), ("gru", {"reset_after": False})]
IDS = [f"{c}{o}" for c, o in CELLS]


@pytest.mark.parametrize("cell, options", CELLS, ids=IDS)
def test_the_checkers_reference_loop_is_the_engines_time_loop(cell, options):
    step, rng = step_of(cell, options), np.random.default_rng(0)
    p = draw_params(rng, len(step.gates), 3, 4)
    x, dhs = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 4))
    state0 = tuple(rng.standard_normal((2, 4)) for _ in step.state_names)
    hs, dx, ds0, per_step = reference(step, x, state0, p, dhs)
    want_hs, _, cache = engine_bptt.forward(step, x, state0, p)
    want_dx, want_ds0, grads = engine_bptt.backward(step, dhs, tuple(np.zeros_like(s) for s in state0), cache, p)
    np.testing.assert_allclose(hs, want_hs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12, atol=1e-14)
    for a, b in zip(ds0, want_ds0):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    for k, v in grads.items():
        np.testing.assert_allclose(sum(g[k] for g in per_step), v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell, options", CELLS, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_reference_solutions_pass(cell, options, seed):
    assert check_bptt(bptt.bptt, cell=cell, seed=seed, **options)
    result = check_numerical_gradient(numerical_gradient.numerical_gradient, cell=cell, seed=seed, **options)
    assert result.passed, result.message


@pytest.mark.parametrize("wrt", ["weight_ih", "bias_ih", "bias_hh"])
def test_every_parameter_can_be_differentiated(wrt):
    assert check_numerical_gradient(numerical_gradient.numerical_gradient, cell="gru", wrt=wrt)


# ------------------------------------------------------------- BPTT: the classic mistakes
def last_step_loss_only(step, x, state0, p, dhs):
    """The missing per-step loss term: only the last step's loss reaches the backward."""
    last = np.zeros_like(dhs)
    last[-1] = dhs[-1]
    return bptt.bptt(step, x, state0, p, last)


def not_carried(step, x, state0, p, dhs):
    """Each step's backward starts from its own loss alone: the gradient of later steps is dropped."""
    T, H = x.shape[0], p.weight_hh.shape[1]
    state, caches, hs = state0, [], []
    for t in range(T):
        state, cache = step.step_forward(x[t] @ p.weight_ih.T + step.input_bias(p), state, p)
        caches.append(cache)
        hs.append(state[0])
    grads = {k: np.zeros_like(getattr(p, k)) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    dx = np.zeros_like(x)
    for t in range(T - 1, -1, -1):
        zero = tuple(np.zeros_like(s) for s in state0)
        dxw, dhw, dstate = step.step_backward((dhs[t],) + zero[1:], caches[t], p)  # the mistake: zeros carried in
        dx[t] = dxw @ p.weight_ih
        grads["weight_ih"] += dxw.T @ x[t]
        grads["bias_ih"] += dxw.sum(axis=0)
        for k, h_in in enumerate(bptt.product_inputs(step, caches[t])):
            grads["weight_hh"][k * H:(k + 1) * H] += dhw[:, k * H:(k + 1) * H].T @ h_in
        grads["bias_hh"] += dhw.sum(axis=0)
    return np.stack(hs), dx, tuple(dstate), grads


def assigned_not_summed(step, x, state0, p, dhs):
    """dW = ... instead of dW += ...: the weights keep the first step's share alone."""
    hs, dx, ds0, _ = bptt.bptt(step, x, state0, p, dhs)
    _, _, _, per_step = reference(step, x, state0, p, dhs)
    return hs, dx, ds0, per_step[0]


def nan_hidden_state(step, x, state0, p, dhs):
    hs, dx, ds0, grads = bptt.bptt(step, x, state0, p, dhs)
    hs = hs.copy()
    hs[2, 1, 0] = np.nan
    return hs, dx, ds0, grads


@pytest.mark.parametrize("cell, options", CELLS, ids=IDS)
@pytest.mark.parametrize("fn, wrong, words", [
    (last_step_loss_only, {"dx", "weight_ih", "weight_hh", "bias_ih", "bias_hh"}, "the per-step loss term is missing"),
    (not_carried, {"dx", "weight_ih", "weight_hh", "bias_ih", "bias_hh"}, "not carried back"),
    (assigned_not_summed, {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}, "+=), do not assign it (=)"),
    (nan_hidden_state, {"hs"}, "the first nan at [step 2, batch 1, unit 0]"),
], ids=["per-step loss", "carry", "assign", "nan"])
def test_a_planted_mistake_is_caught_and_named(cell, options, fn, wrong, words):
    result = check_bptt(fn, cell=cell, **options)
    assert not result.passed and wrong <= set(result.wrong) and "hs" not in set(result.wrong) - wrong, result.message
    assert words in result.message, result.message


def test_a_shape_error_in_the_loop_names_the_shapes():
    def transposed(step, x, state0, p, dhs):
        x @ p.weight_ih  # (T, B, D) @ (G*H, D)
        return bptt.bptt(step, x, state0, p, dhs)

    result = check_bptt(transposed, cell="lstm")
    assert result.wrong == ["shape error"] and "x @ p.weight_ih" in result.message
    assert "p.weight_ih (G*H, D) = (20, 4)" in result.message and "x, dx (T, B, D) = (4, 3, 4)" in result.message


def test_the_loop_refuses_what_it_cannot_read():
    with pytest.raises(TypeError, match=r"four things, \(hs, dx, dstate0, grads\)"):
        check_bptt(lambda *a: (1, 2), cell="rnn")
    with pytest.raises(TypeError, match="missing: bias_hh"):
        check_bptt(lambda *a: (lambda r: r[:3] + ({k: v for k, v in r[3].items() if k != "bias_hh"},))(
            bptt.bptt(*a)), cell="rnn")
    with pytest.raises(ValueError, match="rtol"):
        check_bptt(bptt.bptt, cell="rnn", rtol=float("nan"))


# ------------------------------------------------------------- the numerical gradient: wrong formulas named
def one_sided(f, w, eps):
    g, f0 = np.zeros_like(w), f(w)
    for idx in np.ndindex(*w.shape):
        v = w.copy()
        v[idx] += eps
        g[idx] = (f(v) - f0) / eps
    return g


def no_two(f, w, eps):
    return 2 * numerical_gradient.numerical_gradient(f, w, eps)


def not_restored(f, w, eps):
    g = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        w[idx] += eps
        plus = f(w)
        w[idx] -= 2 * eps
        g[idx] = (plus - f(w)) / (2 * eps)  # w[idx] left at w - eps
    return g


def perturbs_a_copy(f, w, eps):
    g, v = np.zeros_like(w), w.copy()
    for idx in np.ndindex(*w.shape):
        v[idx] += eps
        g[idx] = (f(w) - f(w)) / (2 * eps)  # f reads w, never the nudged copy
    return g


@pytest.mark.parametrize("cell, options", CELLS, ids=IDS)
@pytest.mark.parametrize("fn, words", [
    (one_sided, "one-sided difference (f(w + eps) - f(w)) / eps"),
    (no_two, "twice the gradient"),
    (not_restored, "you left w changed"),
    (perturbs_a_copy, "all zero: f never saw the nudge"),
])
def test_a_wrong_finite_difference_is_caught_and_named(cell, options, fn, words):
    result = check_numerical_gradient(fn, cell=cell, **options)
    assert not result.passed and result.wrong == ["weight_hh"], result.message
    assert words in result.message, result.message


@pytest.mark.parametrize("kw, error", [({"eps": 0}, ValueError), ({"eps": "1e-4"}, ValueError),
                                       ({"wrt": "x"}, ValueError), ({"rtol": "1e-6"}, TypeError)])
def test_the_numerical_check_refuses_bad_options(kw, error):
    with pytest.raises(error, match=next(iter(kw))):
        check_numerical_gradient(numerical_gradient.numerical_gradient, cell="rnn", **kw)
