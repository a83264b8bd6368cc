"""The worked solutions of lessons 6 and 9 run (quick sizes) and give what their exercises ask for; lesson 9's
attention checker passes the reference solution and names the output a planted bug breaks."""
import re

import numpy as np
import pytest
from solution_files import load

L6 = load("06_long_time_lags")
L9 = load("09_depth_direction_seq2seq")


@pytest.mark.parametrize("exercise", L6.EXERCISES, ids=lambda f: f.__name__)
def test_lesson6_solutions_run_and_answer(exercise, capsys):
    result = exercise(quick=True)
    said = capsys.readouterr().out
    assert said.startswith(exercise.__name__[-1] + ".")  # it prints its answer, numbered as the exercise
    for value in _numbers(result):
        assert np.isfinite(value)


def _numbers(obj):
    """Every float reachable in a solution's result (histories, ratios, accuracies)."""
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in _numbers(x)]
    if isinstance(obj, (list, tuple)):
        return [v for x in obj for v in _numbers(x)]
    return [float(obj)] if isinstance(obj, (float, np.floating)) else []


def test_lesson6_gru_solution_starts_z_at_0_99():
    bias = L6.exercise_4(quick=True)["bias"]
    assert 1 / (1 + np.exp(-bias)) == pytest.approx(0.99)


def test_lesson9_attention_solution_passes_its_checker():
    result = L9.check_attention()
    assert result.passed, result.message


def _no_value_term(dy, cache):
    dq, dk = L9.attention_backward(dy, cache)
    return dq, dk - cache.a.transpose(0, 2, 1) @ dy      # forgot that k is also the value


def _unscaled(dy, cache):
    dq, dk = L9.attention_backward(dy, cache)
    return dq * np.sqrt(cache.q.shape[-1]), dk            # forgot the 1/sqrt(H) in dq


def _nan(dy, cache):
    dq, dk = L9.attention_backward(dy, cache)
    return dq * np.nan, dk


def _transposed(dy, cache):
    dq, dk = L9.attention_backward(dy, cache)
    return dq, dk.transpose(0, 2, 1)


@pytest.mark.parametrize("backward, match", [
    (_no_value_term, r"dk: off by .*\n    found it: only the key term"),
    (_unscaled, r"dq: off by .*\n    found it: the 1/sqrt\(H\) of the scores is missing"),
    (_nan, r"dq: 24 of 24 entries are not finite"),
    (_transposed, r"dk: shape \(2, 4, 5\), expected \(B, Tk, H\) = \(2, 5, 4\)"),
], ids=["no-value-term", "unscaled", "nan", "transposed"])
def test_lesson9_attention_checker_names_the_planted_bug(backward, match):
    result = L9.check_attention(backward=backward)
    assert not result.passed
    assert re.search(match, result.message), result.message


def test_lesson9_sorting_and_bits_solutions(capsys):
    out = L9.sorting(quick=True)
    T = len(out["per_step"])
    assert out["weights"].shape == (T, T) and np.allclose(out["weights"].sum(axis=1), 1.0)
    assert np.all((out["per_step"] >= 0) & (out["per_step"] <= 1))
    assert L9.check_bits_per_character()
    assert "2. sorting" in capsys.readouterr().out


def test_lesson9_exercises_4_to_6_solutions_answer(capsys):
    bits = L9.bidirectional_trap(quick=True)
    assert set(bits) == {False, True} and all(np.isfinite(v) for v in bits.values())
    exact = L9.without_the_bridge(quick=True)
    assert all(0.0 <= v <= 1.0 for v in exact.values())
    best = L9.deeper_on_more_text(quick=True)
    assert set(best) == {1, 2} and all(np.isfinite(v) for v in best.values())
    said = capsys.readouterr().out
    assert "4. " in said and "5. " in said and "6. " in said
