"""The GRU step (``minilstm/cells/gru.py``), specified.

Gate blocks r, z, n in PyTorch's fused weights; ``reset_after=True`` is PyTorch's GRU (the reset gate
multiplies ``W_hn h_prev + b_hn``), ``reset_after=False`` Cho et al.'s (it multiplies ``h_prev`` first).
Each test states one property in plain float64 NumPy.
"""
import numpy as np
import pytest
from stepcheck import draw, loop_and_steps, sequence_report, step_backward_report, xw_of

from minilstm.cells import GRUStep
from minilstm.cells.gru import GRUCache

B, D, H = 3, 4, 5
FORMS = [True, False]


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _inputs(rng):
    return draw(rng, 3, D, H), rng.standard_normal((B, D)), rng.standard_normal((B, H))


@pytest.mark.parametrize("reset_after", FORMS)
def test_step_forward_is_the_docstring_equations(reset_after, rng):
    p, x, h_prev = _inputs(rng)
    W_ir, W_iz, W_in = np.split(p.weight_ih, 3)  # PyTorch's gate order
    W_hr, W_hz, W_hn = np.split(p.weight_hh, 3)
    b_ir, b_iz, b_in = np.split(p.bias_ih, 3)
    b_hr, b_hz, b_hn = np.split(p.bias_hh, 3)
    r = sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    if reset_after:
        hn = h_prev @ W_hn.T + b_hn
        n = np.tanh(x @ W_in.T + b_in + r * hn)
    else:
        hn = (r * h_prev) @ W_hn.T + b_hn
        n = np.tanh(x @ W_in.T + b_in + hn)
    h = (1 - z) * n + z * h_prev

    step = GRUStep(reset_after=reset_after)
    (h_new,), cache = step.step_forward(xw_of(step, x, p), (h_prev,), p)
    np.testing.assert_allclose(h_new, h, rtol=1e-13, atol=1e-15)
    want = GRUCache(h_prev, r, z, n, hn, None if reset_after else r * h_prev, h)
    for name, got, expected in zip(GRUCache._fields, cache, want):
        if expected is None:
            assert got is None, name
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("reset_after", FORMS)
def test_step_writes_into_the_buffers_it_is_handed(reset_after, rng):
    """The time loop hands one cache of buffers; every array the step makes lands in its field."""
    p, x, h_prev = _inputs(rng)
    step = GRUStep(reset_after=reset_after)
    out = step.cache_of((h_prev,), (np.full((B, H), np.nan),), tuple(np.full((B, H), np.nan) for _ in step.kept))
    new, cache = step.step_forward(xw_of(step, x, p), (h_prev,), p, out=out)
    _, fresh = step.step_forward(xw_of(step, x, p), (h_prev,), p)
    assert all(a is b for a, b in zip(cache, out)) and new[0] is out.h
    for got, expected in zip(cache, fresh):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("reset_after", FORMS)
def test_step_backward_is_the_gradient_of_the_step(reset_after, rng):
    p, x, h_prev = _inputs(rng)
    step = GRUStep(reset_after=reset_after)
    report = step_backward_report(step, p, xw_of(step, x, p), (h_prev,), rng)
    assert report.passed(1e-7), str(report)


def test_recurrent_gradient_differs_from_the_input_gradient_in_the_n_block(rng):
    """``dhw``, the gradient of ``W_hh h + b_hh``: r's and z's blocks are ``dxw``'s, n's is ``dan * r``."""
    p, x, h_prev = _inputs(rng)
    step = GRUStep()
    _, cache = step.step_forward(xw_of(step, x, p), (h_prev,), p)
    g = step.step_backward((rng.standard_normal((B, H)),), cache, p)
    np.testing.assert_array_equal(g.dhw[:, :2 * H], g.dxw[:, :2 * H])
    np.testing.assert_allclose(g.dhw[:, 2 * H:], g.dxw[:, 2 * H:] * cache.r, rtol=1e-15)


@pytest.mark.parametrize("reset_after", FORMS)
def test_step_backward_leaves_the_cache_as_it_was(reset_after, rng):
    p, x, h_prev = _inputs(rng)
    step = GRUStep(reset_after=reset_after)
    _, cache = step.step_forward(xw_of(step, x, p), (h_prev,), p)
    before = [None if a is None else a.copy() for a in cache]
    step.step_backward((rng.standard_normal((B, H)),), cache, p, out=np.empty((B, 3 * H)))
    for name, a, b in zip(GRUCache._fields, cache, before):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("reset_after", FORMS)
def test_time_loop_gradients_are_the_sequence_gradients(reset_after, rng):
    """dx, dh0 and every parameter gradient (``dW_hn`` from ``dhn`` made again for all steps) by central
    differences."""
    p, _, h0 = _inputs(rng)
    report = sequence_report(GRUStep(reset_after=reset_after), p, rng.standard_normal((4, B, D)), (h0,), rng)
    assert report.passed(1e-7), str(report)


@pytest.mark.parametrize("reset_after", FORMS)
def test_time_loop_equals_the_step_pair_step_by_step(reset_after, rng):
    """The loop (its buffers, its chunks of 3 steps at B = 130) computes what calling the step pair does."""
    p = draw(rng, 3, D, H)
    x, h0 = rng.standard_normal((7, 130, D)), rng.standard_normal((130, H))
    loop, steps = loop_and_steps(GRUStep(reset_after=reset_after), p, x, (h0,), rng)
    for a, b in zip(loop, steps):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_recurrent_dropout_masks_h_prev_in_the_products_only(rng):
    """With a recurrent mask the products see ``h_prev * mask``; the last line's ``z * h_prev`` does not."""
    p, x, h_prev = _inputs(rng)
    mask = (rng.random((B, H)) > 0.5) / 0.5
    step = GRUStep()
    (h_masked,), _ = step.step_forward(xw_of(step, x, p), (h_prev,), p._replace(recurrent_mask=mask))
    (h_by_hand,), cache = step.step_forward(xw_of(step, x, p), (h_prev * mask,), p)
    np.testing.assert_allclose(h_masked, h_by_hand + cache.z * (h_prev - h_prev * mask), rtol=1e-13, atol=1e-15)
    report = sequence_report(step, p._replace(recurrent_mask=mask), rng.standard_normal((3, B, D)), (h_prev,), rng)
    assert report.passed(1e-7), str(report)
