"""The reference solutions of lessons 2, 5 and 8 (``lessons/solutions/NN_name.py``) run, in quick sizes, and
give the answers the lessons' checkers accept."""

import numpy as np
import pytest
from solution_files import load


@pytest.mark.parametrize("stem", ["02_vanishing_exploding", "05_forecasting", "08_cpu_gpu"])
def test_every_solution_runs_quick(stem, capsys):
    load(stem).main(quick=True)
    printed = capsys.readouterr().out
    assert printed.count("exercise ") >= 5, printed


def test_lesson_2_answers():
    s = load("02_vanishing_exploding")
    flows = s.exercise_1_orthogonal_versus_gaussian(T=40)
    assert flows["gaussian, sigma_max = 1"] < flows["orthogonal"]
    vanishing = s.exercise_2_sigmoid_gamma()
    assert all(vanishing[("weight_hh_l0", k)] for k in "ifo")     # sigmoid gates: sigma_max < 4
    ends = s.exercise_3_cliff_thresholds()
    assert ends[10.0][0] < -1.0 < ends[1.0][0]                    # c = 10 is thrown off the wall, c = 1 is not
    assert ends[0.1][0] > -0.1                                    # c = 0.1 has not reached the wall at b near -0.2


def test_lesson_5_answers_pass_the_lessons_checks():
    s = load("05_forecasting")
    theory, _ = s.exercise_1_naive_in_theory()
    assert abs(theory - np.sqrt(2) * 0.1) < 1e-3                  # the lesson's check for exercise 1
    dataset, _, _ = s.sine()
    mine = s.exercise_2_scaler_without_leaks()
    assert np.allclose(mine.data_min, dataset.meta["scaler"].data_min)
    assert np.allclose(mine.data_max, dataset.meta["scaler"].data_max)


def test_lesson_8_tanh_gate_is_device_clean():
    pytest.importorskip("array_api_strict")
    assert load("08_cpu_gpu").check_tanh_gate() < 1e-5          # the lesson's check for exercise 1
