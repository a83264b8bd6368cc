"""Peepholes and Greff et al.'s variants (``minilstm/cells/lstm_variants.py``), specified.

Each variant changes one line of the LSTM (the module's table); with every option at its default the step
is the plain LSTM, and a peephole LSTM whose peephole weights are zero computes what the LSTM computes.
"""
import numpy as np
import pytest
from stepcheck import draw, sequence_report, step_backward_report, xw_of

from minilstm.cells import VARIANTS, LSTMStep, LSTMVariantStep, lstm_variant

B, D, H = 3, 4, 5
OPTIONS = {**VARIANTS, "CIFG-NP": {"coupled": True}, "NFG-NOG": {"peephole": True, "forget_gate": False,
                                                                  "output_gate": False}}


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _inputs(rng, step):
    p = draw(rng, len(step.gates), D, H, getattr(step, "peepholes", ()))
    return p, rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))


def test_the_default_options_make_the_plain_lstm():
    assert type(lstm_variant()) is LSTMStep
    assert type(lstm_variant(**VARIANTS["NP"])) is LSTMStep  # Greff's NP is PyTorch's LSTM
    assert type(lstm_variant(**VARIANTS["V"])) is LSTMVariantStep
    assert LSTMVariantStep(coupled=True).gates == ("f", "g", "o")  # i = 1 - f has no weights
    assert LSTMVariantStep(peephole=True, input_gate=False).peepholes == ("f", "o")


@pytest.mark.parametrize("name", list(OPTIONS))
def test_step_forward_is_the_table_line_of_each_variant(name, rng):
    options = OPTIONS[name]
    step = LSTMVariantStep(**options)
    p, x, h_prev, c_prev = _inputs(rng, step)
    a = dict(zip(step.gates, np.split(x @ p.weight_ih.T + p.bias_ih + h_prev @ p.weight_hh.T + p.bias_hh,
                                      len(step.gates), axis=-1)))
    peep = {k: getattr(p, f"peep_{k}") if k in step.peepholes else 0.0 for k in "ifo"}
    f = sigmoid(a["f"] + peep["f"] * c_prev) if options.get("forget_gate", True) else 1.0
    if options.get("coupled"):
        i = 1.0 - f
    else:
        i = sigmoid(a["i"] + peep["i"] * c_prev) if options.get("input_gate", True) else 1.0
    g = np.tanh(a["g"]) if options.get("input_activation", True) else a["g"]
    c = f * c_prev + i * g
    o = sigmoid(a["o"] + peep["o"] * c) if options.get("output_gate", True) else 1.0
    h = o * (np.tanh(c) if options.get("output_activation", True) else c)

    (h_new, c_new), _ = step.step_forward(xw_of(step, x, p), (h_prev, c_prev), p)
    np.testing.assert_allclose(h_new, h, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c_new, c, rtol=1e-13, atol=1e-15)


def test_zero_peepholes_are_the_lstm(rng):
    """The peephole LSTM with p_i = p_f = p_o = 0: the LSTM's state, cache and step gradients."""
    plain, peephole = LSTMStep(), LSTMVariantStep(peephole=True)
    p, x, h_prev, c_prev = _inputs(rng, plain)
    p0 = p._replace(peep_i=np.zeros(H), peep_f=np.zeros(H), peep_o=np.zeros(H))
    dstate = (rng.standard_normal((B, H)), rng.standard_normal((B, H)))
    results = []
    for step, q in ((plain, p), (peephole, p0)):
        new, cache = step.step_forward(xw_of(step, x, q), (h_prev, c_prev), q)
        g = step.step_backward(dstate, cache, q)
        results.append([*new, *cache, g.dxw, *g.dstate])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(OPTIONS))
def test_step_backward_is_the_gradient_of_the_step(name, rng):
    step = LSTMVariantStep(**OPTIONS[name])
    p, x, h_prev, c_prev = _inputs(rng, step)
    report = step_backward_report(step, p, xw_of(step, x, p), (h_prev, c_prev), rng)
    assert report.passed(1e-7), str(report)


@pytest.mark.parametrize("name", ["V", "CIFG", "NOAF"])
def test_time_loop_gradients_are_the_sequence_gradients(name, rng):
    """Every parameter gradient, the peepholes' too, by central differences through the time loop."""
    step = LSTMVariantStep(**OPTIONS[name])
    p, _, h0, c0 = _inputs(rng, step)
    report = sequence_report(step, p, rng.standard_normal((3, B, D)), (h0, c0), rng)
    assert report.passed(1e-7), str(report)
