"""The gradient check's verdict does not depend on the machine, and still catches a small wrong gradient.

What another BLAS kernel, thread count, NumPy release or order of sums changes is the last bits of every
value the layer computes. ``Perturbed`` does that on purpose: each forward multiplies every output by
``1 + k * 2.2e-16 * r`` with a fresh uniform ``r`` in [-1, 1], so ``f`` moves by many units of rounding
from call to call. Over many seeds, a correct gradient must pass and a gradient wrong by 1e-4 of itself in
one entry must fail. The real knobs are turned too: one and two BLAS threads, and sums in three orders.
"""
import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import minilstm
from minilstm.gradcheck import ROUNDING, check_gradients, gradcheck

SEEDS = range(40)
T, B, D, H = 4, 3, 3, 4


class Perturbed:
    """A layer whose outputs carry extra rounding noise of ``ulps`` units, and optionally one gradient entry
    that is wrong by ``wrong`` of itself."""

    def __init__(self, layer, ulps, seed, wrong=0.0, entry=None):
        self.layer, self.ulps, self.wrong, self.entry = layer, ulps, wrong, entry
        self.noise = np.random.default_rng(seed)
        self.dtype = "float64"

    @property
    def params(self):
        return self.layer.params

    @property
    def grads(self):
        return self.layer.grads

    def _blur(self, a):
        return a * (1.0 + self.ulps * ROUNDING * self.noise.uniform(-1.0, 1.0, a.shape))

    def forward(self, *inputs):
        out, state = self.layer.forward(*inputs)
        return self._blur(out), self._blur(state)

    def backward(self, *upstream):
        dinputs = self.layer.backward(*upstream)
        if self.wrong:
            name, idx = self.entry
            self.layer.grads[name][idx] *= 1.0 + self.wrong
        return dinputs


def _rnn_case(seed):
    """The case that failed on SkylakeX with the old fixed floor: a tanh RNN with a given state."""
    rng = np.random.default_rng(seed)
    layer = minilstm.RNN(D, H, dtype="float64", seed=seed)
    return layer, rng.standard_normal((T, B, D)), rng.standard_normal((1, B, H))


def _largest_entry(layer, x, state, seed):
    """A parameter entry whose gradient (under gradcheck's weights) is among the larger ones, chosen by seed."""
    report_layer = Perturbed(layer, 0, seed)
    gradcheck(report_layer, x, state, max_entries=1, seed=seed)  # fills layer.grads for these weights
    name = sorted(layer.grads)[seed % len(layer.grads)]
    g = np.abs(layer.grads[name])
    big = np.argwhere(g >= 0.1 * g.max())
    return name, tuple(big[seed % len(big)])


@pytest.mark.parametrize("ulps", [0, 64])
def test_a_right_gradient_passes_whatever_the_last_bits(ulps):
    for seed in SEEDS:
        layer, x, state = _rnn_case(seed)
        report = gradcheck(Perturbed(layer, ulps, seed), x, state, max_entries=None, seed=seed)
        assert report.passed(1e-6), f"seed {seed}, {ulps} ulps:\n{report}"


@pytest.mark.parametrize("ulps", [0, 64])
def test_a_gradient_wrong_by_1e_4_in_one_entry_fails_whatever_the_last_bits(ulps):
    for seed in SEEDS:
        layer, x, state = _rnn_case(seed)
        entry = _largest_entry(layer, x, state, seed)
        report = gradcheck(Perturbed(layer, ulps, seed, wrong=1e-4, entry=entry), x, state, max_entries=None,
                           seed=seed)
        assert not report.passed(1e-6), f"seed {seed}, {ulps} ulps, {entry}:\n{report}"
        assert report.errors[entry[0]] == report.worst > 1e-5  # it names the array, about the error's size


@pytest.mark.parametrize("case", [
    (minilstm.RNN, {}), (minilstm.LSTM, {"num_layers": 2}), (minilstm.GRU, {"bidirectional": True}),
    (minilstm.PeepholeLSTM, {}),
])
def test_the_verdict_is_the_same_with_one_and_two_blas_threads(case):
    cls, kwargs = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5, D))
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            report = gradcheck(cls(D, H, dtype="float64", seed=0, **kwargs), x, max_entries=10)
        assert report.passed(1e-6), f"{threads} threads:\n{report}"


@pytest.mark.parametrize("order", ["pairwise", "reversed", "exact"])
def test_the_verdict_is_the_same_whatever_the_order_of_sums(order):
    """``f`` summed pairwise (NumPy's), from the end, or exactly (math.fsum): the same verdicts."""
    total = {"pairwise": np.sum, "reversed": lambda v: sum(v[::-1].tolist()), "exact": math.fsum}[order]
    rng = np.random.default_rng(0)
    w, u = rng.standard_normal(50), rng.standard_normal(50)

    def f():
        return float(total(np.tanh(w * 3.0) * u * 1e3))  # |f| ~ 1e4: rounding far above 1e-16

    right = 3.0 * u * 1e3 / np.cosh(w * 3.0) ** 2
    wrong = right.copy()
    wrong[int(np.argmax(np.abs(right)))] *= 1 + 1e-4
    assert check_gradients(f, {"w": w}, {"w": right}).passed(1e-6)
    assert not check_gradients(f, {"w": w}, {"w": wrong}).passed(1e-6)


def test_a_nan_or_inf_gradient_never_passes():
    w = np.array([0.3, -1.2])

    def f():
        return float(np.sum(np.sin(w)))

    for bad in (np.nan, np.inf):
        grad = np.cos(w)
        grad[1] = bad
        report = check_gradients(f, {"w": w}, {"w": grad})
        assert not report.passed(1e-6) and not report.passed(1e6)


def test_the_report_shows_the_noise_and_the_agreement():
    layer, x, state = _rnn_case(0)
    report = gradcheck(layer, x, state)
    text = str(report)
    assert "beyond noise" in text and "noise of f" in text
    assert 0 < report.noise < 1e-13 and report.allowance == pytest.approx(10 * math.sqrt(130) / 12 * report.noise
                                                                        / 1e-4)
    assert all(0 <= v < 1e-8 for v in report.agreement.values())  # ten digits or so
    with pytest.raises(ValueError, match="tol"):
        report.passed(-1)


def test_an_f_that_changes_from_call_to_call_is_refused_not_passed():
    """A random draw made anew on each forward (here 1e-6 of noise, as a dropout mask the check cannot replay
    would add far more) leaves every difference noise: the check says so instead of passing anything."""
    layer, x, state = _rnn_case(0)
    with pytest.raises(ValueError, match=r"scatter by .* far above float64 rounding.*dropout mask"):
        gradcheck(Perturbed(layer, 1e-6 / ROUNDING, 0), x, state)
    w = np.array([0.3, -1.2])
    jitter = np.random.default_rng(0)
    with pytest.raises(ValueError, match="cannot judge any gradient"):
        check_gradients(lambda: float(np.sum(np.sin(w)) * (1 + 1e-7 * jitter.standard_normal())), {"w": w},
                        {"w": np.cos(w)})


def test_a_step_too_large_for_f_is_refused():
    """Over +-2 eps = 2 the fourth differences of sin are the function's curvature, not rounding."""
    w = np.array([0.3, -1.2, 2.0])
    with pytest.raises(ValueError, match=r"not smooth over \+-2 eps = 2"):
        check_gradients(lambda: float(np.sum(np.sin(w))), {"w": w}, {"w": np.cos(w)}, eps=1.0)
