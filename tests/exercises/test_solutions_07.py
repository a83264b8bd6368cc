"""lessons/solutions/07_characters.py: every exercise's solution runs (at small sizes) and returns what it asks."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "lessons" / "solutions" / "07_characters.py"


@pytest.fixture(scope="module")
def solutions():
    spec = importlib.util.spec_from_file_location("characters_solutions", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_search(found: dict, names) -> bool:
    return set(found) >= set(names) and all(isinstance(j, int) and abs(a) <= 1 + 1e-9 and abs(b) <= 1 + 1e-9
                                            for j, a, b in found.values())


def test_exercise_1_truncation(solutions):
    out = solutions.exercise_1_truncation(ks=(5, None), hidden=8, epochs=1)
    assert set(out) == {5, None} and all(math.isfinite(last) and best <= last for last, best in out.values())


def test_exercises_2_to_4_unit_searches(solutions):
    both = solutions.exercise_2_cell_state(hidden=8, epochs=1, chars=400)
    assert _is_search(both["h"], ["inside quotes", "position in the line"]) and _is_search(both["c"], both["h"])
    new = solutions.exercise_3_own_features(hidden=8, epochs=1, chars=400)
    assert _is_search(new, ["the last character was a space", "a capital letter is due", "inside a capitalised word"])
    assert _is_search(solutions.exercise_4_random_units(hidden=8, chars=400), ["position in the word"])


def test_features_by_hand(solutions):
    f = solutions.features('He said. "Ok" Now')
    assert f["a capital letter is due"].tolist().index(1.0) == len("He said. ") - 1
    assert f["inside a capitalised word"][:2].tolist() == [1, 1] and f["inside a capitalised word"][4] == 0
    assert f["the last character was a space"][2] == 1


def test_exercise_5_code(solutions):
    out = solutions.exercise_5_code(rows=8, seq_len=20, hidden=8, chunks=2)
    assert 0 < out["held-out bits per character"] < 8 and out["sample"].startswith("def ")
