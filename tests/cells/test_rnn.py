"""The vanilla RNN step (``minilstm/cells/rnn.py``), specified.

One equation, ``h = phi(W_ih x + b_ih + W_hh h_prev + b_hh)`` with ``phi`` tanh or relu. Each test
states one property in plain float64 NumPy.
"""
import numpy as np
import pytest
from stepcheck import draw, loop_and_steps, sequence_report, step_backward_report, xw_of

from minilstm.cells import RNNStep
from minilstm.cells.rnn import RNNCache

B, D, H = 3, 4, 5
PHI = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}


def _inputs(rng):
    return draw(rng, 1, D, H), rng.standard_normal((B, D)), rng.standard_normal((B, H))


@pytest.mark.parametrize("nonlinearity", list(PHI))
def test_step_forward_is_the_docstring_equation(nonlinearity, rng):
    p, x, h_prev = _inputs(rng)
    h = PHI[nonlinearity](x @ p.weight_ih.T + p.bias_ih + h_prev @ p.weight_hh.T + p.bias_hh)
    step = RNNStep(nonlinearity=nonlinearity)
    (h_new,), cache = step.step_forward(xw_of(step, x, p), (h_prev,), p)
    np.testing.assert_allclose(h_new, h, rtol=1e-13, atol=1e-15)
    assert cache.h_prev is h_prev and cache.h is h_new


def test_step_writes_into_the_buffer_it_is_handed(rng):
    p, x, h_prev = _inputs(rng)
    step, out = RNNStep(), RNNCache(h_prev, np.full((B, H), np.nan))
    (h,), cache = step.step_forward(xw_of(step, x, p), (h_prev,), p, out=out)
    assert h is out.h and all(a is b for a, b in zip(cache, out))
    np.testing.assert_array_equal(h, step.step_forward(xw_of(step, x, p), (h_prev,), p)[0][0])


@pytest.mark.parametrize("nonlinearity", list(PHI))
def test_step_backward_is_the_gradient_of_the_step(nonlinearity, rng):
    p, x, h_prev = _inputs(rng)
    step = RNNStep(nonlinearity=nonlinearity)
    report = step_backward_report(step, p, xw_of(step, x, p), (h_prev,), rng)
    assert report.passed(1e-7), str(report)


def test_input_and_recurrent_gradients_are_one_array(rng):
    """Both projections add straight onto the pre-activation: ``dxw`` and ``dhw`` are the same ``da``."""
    p, x, h_prev = _inputs(rng)
    step = RNNStep()
    _, cache = step.step_forward(xw_of(step, x, p), (h_prev,), p)
    g = step.step_backward((rng.standard_normal((B, H)),), cache, p)
    assert g.dhw is g.dxw


@pytest.mark.parametrize("nonlinearity", list(PHI))
def test_time_loop_gradients_are_the_sequence_gradients(nonlinearity, rng):
    p, _, h0 = _inputs(rng)
    report = sequence_report(RNNStep(nonlinearity=nonlinearity), p, rng.standard_normal((4, B, D)), (h0,), rng)
    assert report.passed(1e-7), str(report)


def test_time_loop_equals_the_step_pair_step_by_step(rng):
    """The loop (its buffers, its chunks of 3 steps at B = 130) computes what calling the step pair does."""
    p = draw(rng, 1, D, H)
    x, h0 = rng.standard_normal((7, 130, D)), rng.standard_normal((130, H))
    loop, steps = loop_and_steps(RNNStep(), p, x, (h0,), rng)
    for a, b in zip(loop, steps):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
