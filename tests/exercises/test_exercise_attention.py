"""``check_attention`` (lesson 9's exercise 1) passes a right attention and names each planted bug: the
softmax Jacobian's subtracted term, the 1/sqrt(H) scale, a role of k forgotten, NaN, a wrong shape, a
transposed product that stops the learner's code, and tolerances that cannot judge."""
import math

import numpy as np
import pytest

from minilstm.exercises import check_attention


def forward(q, k, scale=True):
    e = q @ k.transpose(0, 2, 1) / (math.sqrt(q.shape[-1]) if scale else 1.0)
    a = np.exp(e - e.max(axis=2, keepdims=True))
    a /= a.sum(axis=2, keepdims=True)
    return a @ k, (q, k, a)


def backward(dy, cache, jacobian=True, scale=True, value=True, key=True):
    q, k, a = cache
    s = math.sqrt(q.shape[-1]) if scale else 1.0
    da = dy @ k.transpose(0, 2, 1)
    de = a * (da - (a * da).sum(axis=2, keepdims=True)) if jacobian else a * da
    dk = (a.transpose(0, 2, 1) @ dy if value else 0) + (de.transpose(0, 2, 1) @ q / s if key else 0)
    return de @ k / s, dk


def test_a_right_attention_passes():
    result = check_attention(forward, backward)
    assert result.passed and result.wrong == [], result.message


@pytest.mark.parametrize("option, wrong, found", [
    ({"jacobian": False}, ["dq", "dk"], "the softmax's Jacobian also subtracts"),
    ({"scale": False}, ["dq", "dk"], "the 1/sqrt(H) of the scores is missing"),
    ({"value": False}, ["dk"], "k is also the value, so dk also has a^T dy"),
    ({"key": False}, ["dk"], "k is also the key"),
], ids=["no-softmax-jacobian-term", "no-scale", "no-value-term", "no-key-term"])
def test_a_planted_backward_bug_is_named(option, wrong, found):
    result = check_attention(forward, lambda dy, cache: backward(dy, cache, **option))
    assert not result.passed and result.wrong == wrong
    assert found in result.message and "worst at [batch" in result.message


def test_a_forward_without_the_scale_is_named():
    result = check_attention(lambda q, k: forward(q, k, scale=False), backward)
    assert "y" in result.wrong and "the scores need the 1/sqrt(H)" in result.message


def test_nan_and_a_wrong_shape_fail_and_say_where():
    nan = check_attention(forward, lambda dy, c: (backward(dy, c)[0] * np.nan, backward(dy, c)[1]))
    assert nan.wrong == ["dq"] and "not finite, the first nan at [batch 0, query step 0, feature 0]" in nan.message
    flat = check_attention(forward, lambda dy, c: (backward(dy, c)[0], backward(dy, c)[1][..., :-1]))
    assert flat.wrong == ["dk"] and "expected (B, Tk, H) = (2, 5, 4)" in flat.message


def test_a_transposed_product_that_stops_the_code_names_the_line_and_shapes():
    def transposed(dy, cache):
        q, k, a = cache
        return backward(dy, cache)[0], a @ dy              # a, not a^T: (2, 3, 5) @ (2, 3, 4)
    result = check_attention(forward, transposed)
    assert not result.passed and result.wrong == ["shape error"]
    assert "in transposed, line" in result.message and "a (B, Tq, Tk) = (2, 3, 5)" in result.message


@pytest.mark.parametrize("rtol", [math.nan, math.inf, 0.0, 1.0, -1e-6])
def test_a_tolerance_that_cannot_judge_is_refused(rtol):
    with pytest.raises(ValueError, match="rtol must be a finite number in \\(0, 1\\)"):
        check_attention(forward, backward, rtol=rtol)


def test_a_forward_that_returns_no_cache_is_told_what_to_return():
    with pytest.raises(TypeError, match=r"must return \(y, cache\)"):
        check_attention(lambda q, k: forward(q, k)[0], backward)
