"""benchmarks/speed.py: a quick run writes every figure it promises; its gate, rounds and verdicts work."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types

import numpy as np
import pytest

import minilstm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
sys.path.insert(0, BENCH)

import kept_tanh_c  # noqa: E402
import speed  # noqa: E402
import speed_measure as measure  # noqa: E402
import speed_report as report  # noqa: E402


def test_quick_run_writes_every_field(tmp_path):
    pytest.importorskip("torch")
    env = dict(os.environ, PYTHONPATH=ROOT, OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, os.path.join(BENCH, "speed.py"), "--quick", "--rounds", "2",
                           "--max-wait", "0", "--keep-blas-env", "--cells", "LSTM,PeepholeLSTM", "--json",
                           str(tmp_path / "speed-{date}.json"), "--markdown"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Training step" in done.stdout and "targets:" in done.stdout
    [path] = tmp_path.glob("speed-*.json")  # named by the run's date, the Markdown beside it
    out = json.loads(path.read_text())
    assert path.name == f"speed-{out['date'][:10]}.json" and re.fullmatch(r"speed-\d{4}-\d\d-\d\d\.json", path.name)
    md = path.with_suffix(".md")
    assert f"wrote {path} and {md}" in done.stdout
    machine = out["machine"]
    assert machine["threads"] == 1 and machine["torch_threads"] == 1 and machine["clock"] == "wall"
    assert machine["cpu"] and machine["kernel"] and machine["minilstm_path"] == os.path.join(ROOT, "minilstm")
    blas = next(b for b in machine["blas"] if b["user_api"] == "blas")
    assert {"internal_api", "version", "architecture", "num_threads"} <= set(blas)
    assert out["sgemm"]["gflops"] > 0 and out["sgemm"]["ms"] == min(r["ms"]["sgemm"] for r in out["sgemm"]["rounds"])
    T, B, H = speed.QUICK_SHAPES[0]
    train = {r["cell"]: r for r in out["train"]}
    assert set(train) == {"LSTM", "PeepholeLSTM"}
    lstm = train["LSTM"]
    assert (lstm["T"], lstm["B"], lstm["D"], lstm["H"]) == (T, B, H, H)
    for key in ("minilstm_ms", "torch_ms", "ratio", "gemm_ms", "step_per_gemm", "gflops", "sgemm_fraction",
                "floor_ms", "floor_per_torch", "minilstm_per_floor"):
        assert lstm[key] > 0, key
    assert lstm["sgemm_reliable"] is (lstm["sgemm_fraction"] <= 1)
    floor_keys = ("floor_ms", "floor_per_torch", "minilstm_per_floor")
    peep = train["PeepholeLSTM"]
    assert all(peep[k] > 0 for k in (*floor_keys, "per_lstm", "lstm_floor_ms", "floor_per_lstm"))
    assert peep["floor_per_lstm"] == measure.median_ratio(peep["rounds"], "floor", "lstm_floor")
    assert set(peep["rounds"][0]["ms"]) == {"minilstm", "gemm", "torch", "floor", "lstm", "lstm_floor"}
    assert "floor_per_lstm" not in lstm
    assert lstm["gemm_gflop"] == pytest.approx(speed.gemm_flops(4, T, B, H, H) / 1e9)
    assert len(lstm["rounds"]) == 2
    for r in lstm["rounds"]:
        assert set(r["ms"]) == {"minilstm", "gemm", "torch", "floor"}
        assert {"load_before", "load_during", "waited_s", "under_load"} <= set(r)
    assert all(r["minilstm_ms"] > 0 and r["torch_ms"] > 0 for r in out["infer"])
    infer = {r["cell"]: r for r in out["infer"]}
    assert all(infer[c][k] > 0 for c in infer for k in floor_keys)
    assert all(set(infer[c]["rounds"][0]["ms"]) == {"minilstm", "torch", "floor"} for c in infer)
    assert infer["LSTM"]["minilstm_per_floor"] == measure.median_ratio(infer["LSTM"]["rounds"], "minilstm", "floor")
    assert all(r["minilstm_us_per_step"] > 0 and r["T"] == 20 for r in out["overhead"])
    for r in out["memory"]:
        assert r["min_cache_bytes"] == speed.min_cache_bytes(r["cell"], T, B, H, H)
        assert r["peak_warm_bytes"] > 0 and r["warm_over_min"] > 0
    assert out["checks"] == []  # the quick shape is none of the target shapes
    taken = out["sgemm"]["rounds"] + [r for part in report.PARTS for row in out[part] for r in row.get("rounds", [])]
    assert out["load"]["rounds"] == len(taken) and out["load"]["rounds_under_load"] <= len(taken)
    assert md.read_text().count("| cell |") == 4
    assert md.read_text().count("| floor | floor/torch | mini/floor |") == 2  # training and inference tables
    assert "| /LSTM | target | floor/LSTM | loaded |" in md.read_text()


def test_output_files_are_named_by_the_run_date():
    assert speed.parse_args([]).json == speed.JSON_PATH == os.path.join(BENCH, "results", "speed-{date}.json")
    assert speed.parse_args([]).markdown is None and speed.parse_args(["--markdown"]).markdown == speed.BESIDE_JSON
    day = "2026-11-30"
    assert speed.output_paths(speed.JSON_PATH, None, day) == (os.path.join(BENCH, "results", f"speed-{day}.json"), None)
    assert speed.output_paths(speed.JSON_PATH, speed.BESIDE_JSON, day)[1] == os.path.join(BENCH, "results",
                                                                                          f"speed-{day}.md")
    assert speed.output_paths("r/speed-{date}-1thread.json", "md/{date}.md", day) == \
        (f"r/speed-{day}-1thread.json", f"md/{day}.md")
    assert speed.output_paths("r/mine.json", "r/mine.md", day) == ("r/mine.json", "r/mine.md")  # no {date}: as given


def test_a_second_run_on_the_same_day_keeps_the_first_runs_files(tmp_path):
    day = "2030-01-02"
    pattern = str(tmp_path / "speed-{date}.json")
    first = speed.output_paths(pattern, speed.BESIDE_JSON, day)
    assert first == (str(tmp_path / f"speed-{day}.json"), str(tmp_path / f"speed-{day}.md"))
    (tmp_path / f"speed-{day}.md").write_text("the first run's tables")  # either file taken moves both
    second = speed.output_paths(pattern, speed.BESIDE_JSON, day)
    assert second == (str(tmp_path / f"speed-{day}-2.json"), str(tmp_path / f"speed-{day}-2.md"))
    (tmp_path / f"speed-{day}-2.json").write_text("{}")
    assert speed.output_paths(pattern, None, day) == (str(tmp_path / f"speed-{day}-3.json"), None)
    (tmp_path / "mine.json").write_text("{}")
    assert speed.output_paths(str(tmp_path / "mine.json"), None, day) == (str(tmp_path / "mine.json"), None)


def _round(ms):
    return {"ms": {"sgemm": ms}, "calls": {"sgemm": 3}, "load_before": 0.0, "waited_s": 0.0, "load_during": 0.0,
            "under_load": False}


def test_the_sgemm_rate_is_its_fastest_round(monkeypatch):
    """A round slowed by other load does not lower the rate; earlier rounds count with the new ones."""
    monkeypatch.setattr(measure, "rounds", lambda sides, **opts: [_round(4.0), _round(2.0), _round(3.0)])
    rate = speed.sgemm_rate(100, {})
    assert rate["ms"] == 2.0 and rate["ms_median"] == 3.0 and rate["gflops"] == pytest.approx(2e6 / 2e-3 / 1e9)
    again = speed.sgemm_rate(100, {}, [_round(1.0)])
    assert again["ms"] == 1.0 and len(again["rounds"]) == 4


def test_a_step_faster_than_sgemm_is_measured_again_then_marked_not_judged(monkeypatch, tmp_path, capsys):
    """sgemm measured low (a busy machine): measured a second time, and a step still above it shows ``?`` and
    gets no verdict, with a note saying why."""
    calls = []

    def slow_sgemm(n, opts, earlier=()):  # 2 n^3 flops in 1000 s: slower than any step
        calls.append(list(earlier))
        rounds = [*earlier, _round(1e6)]
        return {"n": n, "ms": 1e6, "ms_median": 1e6, "gflops": 2 * n**3 / 1e3 / 1e9, "rounds": rounds}

    monkeypatch.setattr(speed, "sgemm_rate", slow_sgemm)
    monkeypatch.setattr(speed, "torch", None)  # minilstm's side alone (and torch's threads left as they are)
    out = speed.main(["--quick", "--rounds", "1", "--max-wait", "0", "--parts", "train", "--cells", "LSTM",
                      "--json", str(tmp_path / "speed.json")])
    assert [len(c) for c in calls] == [0, 1], "measured again, the first rounds kept"
    [row] = out["train"]
    assert row["sgemm_fraction"] > 1 and row["sgemm_reliable"] is False
    assert report.sgemm_percent(row).endswith("?")
    assert "? % sgemm: 1 step(s) ran faster than the sgemm rate" in capsys.readouterr().out
    big = dict(row, T=100, B=32, D=512, H=512, ratio=1.0, step_per_gemm=1.0)
    got = {c["quantity"]: c["pass"] for c in report.checks({"train": [big]})}
    assert got["sgemm_fraction"] is None and got["ratio"] is True
    assert report.checks({"train": [dict(big, sgemm_fraction=0.6, sgemm_reliable=True)]})[-1]["pass"] is True


@pytest.mark.parametrize("kind", sorted(speed.FLOORS))
def test_numpy_floor_computes_what_the_layer_computes(kind):
    """Outputs, dx and every parameter gradient of the floor equal minilstm's layer's (float64)."""
    T, B, D, H = 5, 3, 4, 6  # D != H: a weight used the wrong way round would not fit
    rng = np.random.default_rng(7)
    layer = getattr(minilstm, kind)(D, H, seed=1, dtype="float64").train()
    layer.load_state_dict({k: rng.standard_normal(v.shape) * 0.5 for k, v in layer.params.items()})  # biases too
    x, dout = rng.standard_normal((T, B, D)), rng.standard_normal((T, B, H))
    out, _ = layer(x)
    dx, _ = layer.backward(dout)
    names = speed.floor_weights(kind)  # the peephole LSTM's p_i, p_f, p_o too
    assert set(names) == set(layer.params)
    want = [minilstm.to_numpy(a) for a in (out, dx, *(layer.grads[k] for k in names))]
    weights = [minilstm.to_numpy(layer.params[k]) for k in names]
    train, infer = speed.FLOORS[kind]
    step = train(T, B, D, H, np.float64)
    step(2 * x, dout, *weights)  # a first call leaves its buffers full: the second must not depend on them
    got = step(x, dout, *weights)
    assert len(got) == len(want)
    for name, a, b in zip(("out", "dx", *names), got, want):
        assert a.shape == b.shape and np.max(np.abs(a - b)) < 1e-10, name
    forward = infer(T, B, D, H, np.float64)
    forward(2 * x, *weights)
    assert np.max(np.abs(forward(x, *weights) - want[0])) < 1e-10


def test_without_pins_removes_both_and_says_so():
    env = speed.without_pins({"PATH": "/bin", "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"})
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env and env["PATH"] == "/bin"
    assert env[speed.UNSET_MARK] == "OPENBLAS_CORETYPE=Haswell;OPENBLAS_L2_SIZE=1048576"
    assert speed.without_pins({"PATH": "/bin", "OPENBLAS_NUM_THREADS": "1"}) is None


def test_rounds_interleave_blocks_in_alternating_order():
    calls = []
    sides = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    gate = {"threshold": 1.0, "max_wait": 0.0, "window": 0.01}
    rounds = measure.rounds(sides, n_rounds=2, gate=gate, block_s=0.0, warm_s=0.0)
    # each block: two warm-up calls and three timed ones, whole, then the other side's
    assert calls == ["a"] * 5 + ["b"] * 5 + ["b"] * 5 + ["a"] * 5
    assert [r["calls"] for r in rounds] == [{"a": 3, "b": 3}] * 2
    assert all(r["under_load"] is False for r in rounds)


def test_gate_waits_no_longer_than_max_wait(monkeypatch):
    """Never quiet: the gate reads windows until ``max_wait`` has passed on its clock, then gives up; quiet at
    once: one window. The clock is a stand-in, so the test proves the count, not a machine's speed."""
    real = measure.other_load(0.02)
    assert real is None or 0.0 <= real <= 1.0
    now, windows, loads = [0.0], [], []

    def other_load(window):  # one window of the stand-in clock, at the next load
        now[0] += window
        windows.append(window)
        return loads.pop(0)

    monkeypatch.setattr(measure, "other_load", other_load)
    monkeypatch.setattr(measure, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    loads[:] = [0.5] * 10  # half the CPUs busy, for ever
    assert measure.wait_quiet(threshold=0.1, max_wait=1.0, window=0.25) == (0.5, 1.0)
    assert windows == [0.25] * 4
    windows.clear()
    loads[:] = [0.05]
    assert measure.wait_quiet(threshold=0.1, max_wait=1.0, window=0.25) == (0.05, 0.25)
    assert windows == [0.25]


def test_medians_are_of_per_round_ratios():
    rounds = [{"ms": {"a": 1.0, "b": 1.0}}, {"ms": {"a": 4.0, "b": 2.0}}, {"ms": {"a": 9.0, "b": 3.0}}]
    assert measure.median_ratio(rounds, "a", "b") == 2.0  # not median(a) / median(b) = 4 / 2
    assert measure.median_ms(rounds, "a") == 4.0


def test_checks_judge_target_shapes_only():
    row = {"cell": "LSTM", "T": 100, "B": 64, "D": 256, "H": 256, "ratio": 1.1, "step_per_gemm": 1.1,
           "sgemm_fraction": 0.3}
    got = {c["quantity"]: c["pass"] for c in report.checks({"train": [row]})}
    assert got == {"ratio": False, "step_per_gemm": True}
    off = dict(row, T=50)
    assert report.checks({"train": [off]}) == []
    big = dict(row, T=100, B=32, D=512, H=512, ratio=1.2)
    got = {c["quantity"]: c["pass"] for c in report.checks({"train": [big]})}
    assert got == {"ratio": True, "step_per_gemm": True, "sgemm_fraction": False}
    gru = {"cell": "GRU", "T": 200, "B": 16, "D": 64, "H": 64, "ratio": 0.9}
    assert [c["pass"] for c in report.checks({"infer": [gru]})] == [True]


def test_min_cache_counts_saved_activations_output_and_input():
    assert speed.min_cache_bytes("LSTM", 10, 2, 3, 5) == 10 * 2 * (5 * 5 + 5 + 3) * 4
    assert speed.min_cache_bytes("GRU", 10, 2, 3, 5) == 10 * 2 * (4 * 5 + 5 + 3) * 4


@pytest.mark.parametrize("argv, message", [
    (["--clock", "cpu"], "use it with --threads 1"),
    (["--cells", "LSTM,Transformer"], "unknown cells or parts: Transformer"),
    (["--shapes", "100x64"], "shapes must be TxBxH"),
    (["--rounds", "0"], "--rounds must be at least 1, got 0"),
])
def test_bad_arguments_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        speed.parse_args(argv)
    assert message in capsys.readouterr().err


def test_kept_tanh_c_compares_two_equal_steps():
    """The alternative that recomputes tanh(c) gives the LSTM's gradients (checked inside) and a ratio per round."""
    ratios = kept_tanh_c.ratio(6, 3, 5, rounds=3)
    assert len(ratios) == 3 and all(r > 0 for r in ratios)
    assert "tc" not in kept_tanh_c.RecomputeTanhC().kept and "tc" in minilstm.LSTM(2, 3).cell.kept
