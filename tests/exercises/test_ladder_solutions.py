"""The solutions of the lessons' other exercises run (in their quick sizes) and their assertions hold."""
import importlib
import inspect
import sys
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
sys.path.insert(0, str(LESSONS))
MODULES = ["01_rnn_by_hand", "03_lstm_inside", "04_gru_variants"]
FUNCTIONS = {"01_rnn_by_hand": ["relu_zeros", "break_it", "backward_in_the_loop", "larger_w_hh"],
             "03_lstm_inside": ["the_1997_cell", "unit_for_classes", "seeds", "saturation_during_training",
                                "gru_highway"],
             "04_gru_variants": ["converting_weights", "update_bias_in_training", "peepholes_in_the_highway",
                                 "variant_table", "parameter_counts"]}


def test_every_lesson_has_its_solution_module():
    """``solutions/NN_name.py`` holds the answers of lesson ``src/NN_name.py`` (the ladder's rungs are in
    ``rnn.py``, ``lstm.py``, ``gru.py``, ``bptt.py``, ``numerical_gradient.py``)."""
    solved = sorted(p.stem for p in (LESSONS / "solutions").glob("[0-9][0-9]_*.py"))
    assert solved == sorted(p.stem for p in (LESSONS / "src").glob("[0-9][0-9]_*.py"))  # every lesson has one


@pytest.mark.parametrize("module, name", [(m, f) for m in MODULES for f in FUNCTIONS[m]])
def test_each_solution_runs_and_answers(module, name):
    fn = getattr(importlib.import_module(f"solutions.{module}"), name)
    assert fn.__doc__ and "Exercise" in fn.__doc__.split("\n")[0]
    answer = fn(quick=True) if "quick" in inspect.signature(fn).parameters else fn()
    assert isinstance(answer, str) and answer
