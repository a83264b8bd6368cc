"""lessons/solutions/07_characters.py: every exercise's solution runs (at small sizes) and returns what it asks."""
from __future__ import annotations

import math

import pytest
from solution_files import load


@pytest.fixture(scope="module")
def solutions():
    return load("07_characters")


def _is_search(found: dict, names) -> bool:
    return set(found) >= set(names) and all(isinstance(j, int) and abs(a) <= 1 + 1e-9 and abs(b) <= 1 + 1e-9
                                            for j, a, b in found.values())


def test_exercise_1_truncation(solutions):
    out = solutions.exercise_1_truncation(ks=(5, None), hidden=8, epochs=1)
    assert set(out) == {5, None} and all(math.isfinite(last) and best <= last for last, best in out.values())


def test_exercises_2_to_4_unit_searches(solutions):
    states = solutions.exercise_2_cell_state(hidden=8, epochs=1, chars=400)
    assert set(states) == {"h", "c", "tanh c"} and _is_search(states["h"], ["inside quotes", "position in the line"])
    assert all(_is_search(found, states["h"]) for found in states.values())
    assert len({str(found) for found in states.values()}) == 3          # three different states searched
    new = solutions.exercise_3_own_features(hidden=8, epochs=1, chars=400)
    assert _is_search(new, ["the last character was a space", "a capital letter is due", "inside a capitalised word"])
    bars = solutions.exercise_4_random_units(hidden=8, chars=400, seeds=(1, 2))
    assert set(bars) == {1, 2} and all(_is_search(found, ["position in the word"]) for found in bars.values())
    assert bars[1] != bars[2]                                            # a different network per seed


@pytest.mark.parametrize("state", ["h", "c", "tanh c"])
def test_unit_search_chooses_on_one_half_and_reports_the_other(solutions, state):
    """The held-out r is the chosen unit's r on the second half, recomputed here from the recorded states."""
    meta = solutions.data.make_task("text").meta
    text, V = meta["text"][:400], meta["vocab"].size
    model = solutions.minilstm.Model(32, 8, V, readout="all", vocab_size=V, seed=0)
    trace = solutions.inspect.record(model, meta["vocab"].encode(text)[None, :])
    acts = {"h": trace.h, "c": trace.c, "tanh c": solutions.np.tanh(trace.c)}[state][-1, :, 0, :]
    f = solutions.features(text)["position in the word"]
    j, r_pick, r_test = solutions.unit_search(model, text, state)["position in the word"]
    r_first, r_second = (solutions.correlations(acts[s], f[s]) for s in (slice(None, 200), slice(200, None)))
    assert j == int(abs(r_first).argmax()) and math.isclose(r_pick, r_first[j], rel_tol=1e-9)
    assert math.isclose(r_test, r_second[j], rel_tol=1e-9, abs_tol=1e-12)


def test_features_by_hand(solutions):
    f = solutions.features('He said. "Ok" Now')
    assert f["a capital letter is due"].tolist().index(1.0) == len("He said. ") - 1
    assert f["inside a capitalised word"][:2].tolist() == [1, 1] and f["inside a capitalised word"][4] == 0
    assert f["the last character was a space"][2] == 1


def test_exercise_5_code(solutions):
    out = solutions.exercise_5_code(rows=8, seq_len=20, hidden=8, chunks=2)
    assert 0 < out["held-out bits per character"] < 8 and out["sample"].startswith("def ")
