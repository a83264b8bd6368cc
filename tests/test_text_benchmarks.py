"""benchmarks/text_compression.py, python_units.py and python_default_run.py: the n-gram model, the table, the
properties, the default run's verdict."""
from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import python_default_run  # noqa: E402
import python_units  # noqa: E402
import text_compression as tc  # noqa: E402


def test_unigram_is_add_one_and_higher_orders_use_the_context():
    train = np.array([3, 5, 3, 5, 3, 5, 3, 5, 3, 5] * 20)
    held = np.array([3, 5, 3, 5, 3, 5])
    p3, p5 = [(np.sum(train == k) + 1) / (len(train) + tc.V) for k in (3, 5)]
    assert tc.ngram_bits(train, held, 1) == pytest.approx(-(3 * math.log2(p3) + 3 * math.log2(p5)) / 6)
    bits = [tc.ngram_bits(train, held, n) for n in range(1, 6)]
    assert bits[1] < 0.3 < 1.0 < bits[0] and all(np.isfinite(bits))  # after "3" comes "5": nearly free


def test_witten_bell_by_hand():
    """Order 2 on "abab" then "ab": P(b | a) = (c(ab) + T(a) P1(b)) / (c(a) + T(a)), c(ab) = 2, c(a) = 2, T(a) = 1."""
    train, held = np.array([5, 6, 5, 6]), np.array([6])  # held "b" after the newline pad: an unseen context
    p1_b = (2 + 1) / (4 + tc.V)
    assert tc.ngram_bits(train, held, 2) == pytest.approx(-math.log2(p1_b))
    held = np.array([5, 6])  # "a" after the pad (unseen: unigram), then "b" after "a"
    p1_a = (2 + 1) / (4 + tc.V)
    p_b_a = (2 + 1 * p1_b) / (2 + 1)
    assert tc.ngram_bits(train, held, 2) == pytest.approx(-(math.log2(p1_a) + math.log2(p_b_a)) / 2)


def test_hidden_sizes_match_the_parameter_count():
    params = tc._model("lstm", 64).num_params
    for cell in ("rnn", "gru"):
        h = tc.hidden_for(cell, params)
        assert abs(tc._model(cell, h).num_params - params) <= abs(tc._model(cell, h + 1).num_params - params)


def test_table_is_built_from_the_results():
    results = {"settings": {"held_out_chars": 1234, "held_out_files": 2, "python": "3.11.7", "batch_size": 64,
                            "seq_len": 100, "lr": 3e-3}, "command": "python benchmarks/text_compression.py",
               "compressors": {"gzip -9": 1.9041}, "ngrams": {"5": 2.1781},
               "models": {"lstm": {"hidden": 128, "epochs": 1, "bpc": 1.8123, "params": 99000, "cpu_minutes": 1.25}}}
    text = tc.table(results)
    assert "| gzip -9 | 1.904 | | |" in text and "| 5-gram, Witten-Bell | 2.178 | | |" in text
    assert "| minilstm LSTM 128, 1 epoch | 1.812 | 99,000 | 1.2 |" in text and "1,234 characters" in text


def test_properties_of_python_source():
    text = 'def f(a, b="x("):\n    if a:  # (c\n        return [a, \'\'\'s\n"\'\'\']\n'
    p = python_units.properties(text)
    inside = "".join(str(int(v)) for v in p["inside a string or comment"])
    assert inside == "0000000000011100000000000000011110000000000000000000011111111000"
    assert "".join(str(int(v)) for v in p["bracket depth"]) == \
        "0000011111111110000000000000000000000000000000000111111111111100"
    assert p["indentation"][text.index("return")] == 8 and p["indentation"][text.index("if")] == 4
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(500, 3))
    f = 2 * acts[:, 1] + 1
    assert python_units.correlations(acts, f)[1] == pytest.approx(1.0)


def test_the_default_runs_verdict_follows_its_last_epoch_and_the_committed_run_beats_gzip():
    committed = python_default_run.json.loads(python_default_run.RESULTS.read_text(encoding="utf-8"))
    assert committed["val_bpc"][-1] < committed["gzip"] and committed["wall_s"] < 600  # the mark, as run
    assert ", below gzip -9's" in python_default_run.block(committed)
    worse = {**committed, "val_bpc": [committed["gzip"] + 0.1]}
    assert ", not below gzip -9's" in python_default_run.block(worse)


def test_the_committed_longer_run_beats_bz2_and_its_paragraph_says_so():
    """Issue 20's second mark: the README's longer run ends below bz2 -9 on the same held-out text."""
    committed = json.loads(python_default_run.LONG_RESULTS.read_text(encoding="utf-8"))
    assert committed["run"] == "long" and committed["val_bpc"][-1] < committed["bz2"] < committed["gzip"]
    options = " ".join(python_default_run.RUNS["long"][2])
    assert committed["command"] == f"python -m minilstm train --task python {options}"
    assert committed["metrics"]["settings"]["recurrent_dropout"] == 0.25
    text = python_default_run.block(committed)
    assert text.startswith("The longer run, `python -m minilstm train --task python --hidden 512") and \
        ", below bz2 -9's" in text and "--long` on" in text
    worse = {**committed, "val_bpc": [committed["bz2"] + 0.01]}
    assert ", not below bz2 -9's" in python_default_run.block(worse)
