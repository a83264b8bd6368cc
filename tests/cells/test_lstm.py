"""The LSTM step (``minilstm/cells/lstm.py``), specified.

The step is PyTorch's LSTM: gate blocks i, f, g, o in the fused weights, and the six equations of the
module's docstring. Each test states one property in plain float64 NumPy.
"""
import numpy as np
from stepcheck import draw, loop_and_steps, sequence_report, step_backward_report, xw_of

from minilstm.cells import LSTMStep
from minilstm.cells.lstm import LSTMCache

B, D, H = 3, 4, 5


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _inputs(rng):
    return draw(rng, 4, D, H), rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))


def test_step_forward_is_the_docstring_equations(rng):
    p, x, h_prev, c_prev = _inputs(rng)
    W_ii, W_if, W_ig, W_io = np.split(p.weight_ih, 4)  # PyTorch's gate order
    W_hi, W_hf, W_hg, W_ho = np.split(p.weight_hh, 4)
    b_ii, b_if, b_ig, b_io = np.split(p.bias_ih, 4)
    b_hi, b_hf, b_hg, b_ho = np.split(p.bias_hh, 4)
    i = sigmoid(x @ W_ii.T + b_ii + h_prev @ W_hi.T + b_hi)
    f = sigmoid(x @ W_if.T + b_if + h_prev @ W_hf.T + b_hf)
    g = np.tanh(x @ W_ig.T + b_ig + h_prev @ W_hg.T + b_hg)
    o = sigmoid(x @ W_io.T + b_io + h_prev @ W_ho.T + b_ho)
    c = f * c_prev + i * g
    h = o * np.tanh(c)

    (h_new, c_new), cache = LSTMStep().step_forward(xw_of(LSTMStep(), x, p), (h_prev, c_prev), p)
    np.testing.assert_allclose(h_new, h, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c_new, c, rtol=1e-13, atol=1e-15)
    want = LSTMCache(h_prev, c_prev, i, f, g, o, c, np.tanh(c), h)
    for name, got, expected in zip(LSTMCache._fields, cache, want):
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15, err_msg=name)


def test_step_writes_into_the_buffers_it_is_handed(rng):
    """The time loop hands one cache of buffers; every array the step makes lands in its field."""
    p, x, h_prev, c_prev = _inputs(rng)
    step = LSTMStep()
    out = LSTMCache(h_prev, c_prev, *(np.full((B, H), np.nan) for _ in LSTMCache._fields[2:]))
    new, cache = step.step_forward(xw_of(step, x, p), (h_prev, c_prev), p, out=out)
    fresh_new, fresh = step.step_forward(xw_of(step, x, p), (h_prev, c_prev), p)
    assert all(a is b for a, b in zip(cache, out)) and new[0] is out.h and new[1] is out.c
    for got, expected in zip(cache, fresh):
        np.testing.assert_array_equal(got, expected)


def test_step_backward_is_the_gradient_of_the_step(rng):
    p, x, h_prev, c_prev = _inputs(rng)
    report = step_backward_report(LSTMStep(), p, xw_of(LSTMStep(), x, p), (h_prev, c_prev), rng)
    assert report.passed(1e-7), str(report)


def test_step_backward_leaves_the_cache_as_it_was(rng):
    p, x, h_prev, c_prev = _inputs(rng)
    step = LSTMStep()
    _, cache = step.step_forward(xw_of(step, x, p), (h_prev, c_prev), p)
    before = [a.copy() for a in cache]
    step.step_backward((rng.standard_normal((B, H)), rng.standard_normal((B, H))), cache, p,
                       out=np.empty((B, 4 * H)))
    for name, a, b in zip(LSTMCache._fields, cache, before):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_time_loop_gradients_are_the_sequence_gradients(rng):
    """dx, the initial state's gradients and every parameter gradient of a sequence, by central differences."""
    p, _, h0, c0 = _inputs(rng)
    report = sequence_report(LSTMStep(), p, rng.standard_normal((4, B, D)), (h0, c0), rng)
    assert report.passed(1e-7), str(report)


def test_time_loop_equals_the_step_pair_step_by_step(rng):
    """The loop (its buffers, its chunks of 3 steps at B = 130) computes what calling the step pair does."""
    p = draw(rng, 4, D, H)
    x, h0, c0 = rng.standard_normal((7, 130, D)), rng.standard_normal((130, H)), rng.standard_normal((130, H))
    loop, steps = loop_and_steps(LSTMStep(), p, x, (h0, c0), rng)
    for a, b in zip(loop, steps):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
