"""benchmarks/adding_curves.py: a quick run writes the curves lesson 6 draws, merging joins like runs, and the
committed results file holds what lesson 6 says it holds (settings of tasks.py's adding100, every cell and seed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
RESULTS = os.path.join(BENCH, "results", "adding100_curves.json")


def read(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def run(*args):
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, os.path.join(BENCH, "adding_curves.py"), *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quick_runs_write_curves_and_merge(tmp_path):
    a, b, c = (str(tmp_path / f"{k}.json") for k in "abc")
    run("--quick", "--cells", "rnn", "--seeds", "0", "--jobs", "1", "--out", a)
    run("--quick", "--cells", "rnn", "--seeds", "1", "--jobs", "1", "--out", b)
    assert f"wrote {c}: 2 runs from 2 files" in run("--merge", a, b, "--out", c)
    merged = read(c)
    assert merged["complete"] and [(r["cell"], r["seed"]) for r in merged["runs"]] == [("rnn", 0), ("rnn", 1)]
    for r in merged["runs"]:
        assert r["seen"] == [0, 1000, 2000] and len(r["accuracy"]) == len(r["mae"]) == 3
        assert all(0 <= x <= 1 for x in r["accuracy"])
    assert "--merge" in merged["command"] and "--seeds 0" in merged["command"]


def test_merge_refuses_unlike_settings(tmp_path):
    a, b = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    run("--quick", "--cells", "rnn", "--seeds", "0", "--jobs", "1", "--out", a)
    other = read(a)
    other["settings"]["lr"] = 1.0
    with open(b, "w", encoding="utf-8") as f:
        json.dump(other, f)
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, os.path.join(BENCH, "adding_curves.py"), "--merge", a, b, "--out",
                           str(tmp_path / "c.json")], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "different settings" in done.stderr


def test_committed_results_are_what_lesson_6_draws():
    res = read(RESULTS)
    sys.path.insert(0, BENCH)
    try:
        import tasks
    finally:
        sys.path.remove(BENCH)
    task = tasks.TASKS["adding100"]
    s = res["settings"]
    assert (s["hidden"], s["lr"], s["batch_size"], s["lstm_forget_bias"]) == \
        (task.hidden, task.lr, task.batch_size, task.forget_bias)
    seeds = {r["seed"] for r in res["runs"]}
    assert res["complete"] and len(seeds) >= 3
    assert {(r["cell"], r["seed"]) for r in res["runs"]} == {(c, k) for c in ("rnn", "lstm", "gru") for k in seeds}
    for r in res["runs"]:
        assert r["seen"][-1] == s["budget"] and len(r["seen"]) == len(r["accuracy"]) == len(r["mae"])
