"""The numbers in the README's prose say what the committed results files (and the code) say.

The README's tables are rebuilt from their files (tests/test_readme_results.py); the sentences around them
quote figures from the same files, by hand. Each test here finds such a sentence, reads its figures and checks
each against the file, to the digits the README prints: a figure that a new run changes fails here until the
sentence is rewritten. Nothing is run or timed; the files are read.
"""
import importlib.util
import json
import re
import statistics
import sys
from pathlib import Path

import pytest

from minilstm import atomic, guards, threads
from minilstm.cli import flow as cli_flow

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title):
    """The README's section ``## title``, its whitespace folded to single spaces."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert found, f"README.md has no section ## {title}"
    return " ".join(found.group(1).split())


def _find(pattern, text):
    """The groups of ``pattern`` (spaces in it match any run of whitespace) in ``text``; it must be there."""
    found = re.search(pattern, text)
    assert found, f"README.md no longer says {pattern!r}: rewrite this test with the sentence"
    return found.groups()


def shown(text, value):
    """``text`` (a figure as the README prints it: 0.85, 79, 10.5) is ``value`` rounded to the digits shown."""
    decimals = len(text.partition(".")[2])
    return abs(value - float(text)) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9)


def check(text, value, what=""):
    assert shown(text, value), f"README.md says {text} {what}; the results say {value:.6g}"


def check_range(text, values, what=""):
    """``text`` is ``lo-hi``: the least and the greatest of ``values``, each rounded as shown."""
    lo, hi = text.split("-")
    check(lo, min(values), f"(the least of {what})")
    check(hi, max(values), f"(the greatest of {what})")


def check_each(text, values, what=""):
    """``text`` is ``a / b / c / d``: ``values`` in order."""
    figures = text.split(" / ")
    assert len(figures) == len(values), f"{text!r} for {what}"
    for figure, value in zip(figures, values):
        check(figure, value, what)


# ---- Seeing inside ----------------------------------------------------------------------------------------

def test_the_flow_command_prints_the_lags_the_readme_names():
    lags = _find(r"prints the gradient norm at lags (\d+), (\d+), (\d+) and (\d+)", _section("Seeing inside"))
    assert tuple(map(int, lags)) == cli_flow.LAGS


def test_the_flow_figure_spans_the_steps_its_caption_says():
    steps = int(_find(r"!\[Gradient flow of untrained RNN, LSTM and GRU cells over (\d+) steps\]", README)[0])
    norms = json.loads((ROOT / "examples" / "results.json").read_text(encoding="utf-8"))
    back = norms["examples"]["seeing_inside"]["gradient_norm_steps_back"]["RNN"]
    assert max(map(int, back)) == steps - 1   # the last step's gradient, read back to the first


# ---- The LSTM variants (benchmarks/results/variants.md) -----------------------------------------------------

def _variants():
    """variants.md: its header line and, per task, per variant, the row's cells by column name."""
    text = (RESULTS / "variants.md").read_text(encoding="utf-8")
    tables = {}
    for task, body in re.findall(r"^### (\w+)\n\n(.*?)\n\n", text, re.S | re.M):
        head, _, *rows = body.splitlines()
        names = [c.strip() for c in head.strip("|").split("|")]
        names = [n if n != "minus V" else f"{names[i - 1]} minus V" for i, n in enumerate(names)]   # of which
        tables[task] = {cells[0]: dict(zip(names, cells)) for cells in
                        ([c.strip() for c in row.strip("|").split("|")] for row in rows)}
    return text, tables


def _mean(cell):
    return float(cell.split()[0])   # "1.91 (1.85-1.95)": the mean


def test_the_variants_paragraph_is_the_variants_table():
    text, tables = _variants()
    prose = _section("Seeing inside")
    minutes, T, seeds = _find(r"variants\.py` \(about (\d+) minutes on 2 cores\).*? adding problem at T = (\d+), "
                              r"(\w+) seeds each", prose)
    check(minutes, float(_find(r"total ([\d.]+) min", text)[0]), "minutes for variants.py")
    assert "os.cpu_count() = 2" in text
    assert f"length {T}-" in text
    words = {"five": 5}
    n_seeds = len(_find(r"seeds ([\d, ]+);", text)[0].split(","))
    assert words[seeds] == n_seeds
    text_ = tables["text"]
    hurt, nfg, noaf, v = _find(r"removing the forget gate \(NFG\) or the output activation \(NOAF\) hurt in all "
                               r"(\w+) seeds \(final validation loss \+([\d.]+) and \+([\d.]+) above V's ([\d.]+)\)",
                               prose)
    assert words[hurt] == n_seeds
    for variant in ("NFG", "NOAF"):
        assert text_[variant]["seeds with loss above V's"] == f"{n_seeds}/{n_seeds}"
    check(nfg, float(text_["NFG"]["val loss (final): mean (min-max) minus V"]), "NFG's loss above V's")
    check(noaf, float(text_["NOAF"]["val loss (final): mean (min-max) minus V"]), "NOAF's loss above V's")
    check(v, _mean(text_["V"]["val loss (final): mean (min-max)"]), "V's final validation loss")
    assert "CIFG was better in every seed" in prose and text_["CIFG"]["seeds with loss above V's"] == f"0/{n_seeds}"
    fewer = _find(r"with (\d+) % fewer parameters", prose)[0]
    params = {name: int(row["parameters"].replace(",", "")) for name, row in text_.items()}
    check(fewer, 100 * (1 - params["CIFG"] / params["V"]), "% fewer parameters in CIFG")
    assert "no input gate (NIG) hurt most" in prose
    adding = tables["adding"]
    worst = max(adding, key=lambda n: _mean(adding[n]["val loss (final): mean (min-max)"]))
    assert worst == "NIG"


# ---- Speed (benchmarks/results/speed-*.json) ------------------------------------------------------------------

def _speed(name):
    return json.loads((RESULTS / f"speed-2026-11-29{name}.json").read_text(encoding="utf-8"))


def _row(run, part, cell, H=None):
    return next(r for r in run[part] if r["cell"] == cell and (H is None or r["H"] == H))


def _by_H(run, part, cell, key):
    """``key`` of ``cell`` at H = 64, 128, 256, 512 (the four shapes of the README's tables)."""
    return [_row(run, part, cell, H)[key] for H in (64, 128, 256, 512)]


SPEED = _section("Speed")


def test_the_speed_section_names_the_run_its_tables_come_from():
    spec = importlib.util.spec_from_file_location("regenerate", ROOT / "examples" / "regenerate.py")
    regenerate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)
    built_from = sys.modules["readme_blocks"].SPEED_RESULTS   # benchmarks/readme_blocks.py, which regenerate uses
    assert built_from == RESULTS / "speed-2026-11-29.json"   # the run _speed("") reads
    assert "is `benchmarks/results/speed-2026-11-29.md`):" in SPEED


def test_the_speed_run_is_the_one_described():
    run = _speed("")
    m = run["machine"]
    torch = _find(r"against PyTorch ([\d.]+) \(eager", SPEED)[0]
    assert m["torch"].startswith(torch + ".") and m["onednn"]
    cores, cpu, kernel, blas_threads, sgemm, under, rounds, minutes = _find(
        r"on the previous (\d+)-core development machine \((.+?) with AVX2, no AVX-512: OpenBLAS's (\w+) kernel, "
        r"(\d+) threads; sgemm (\d+) GFLOP/s\), (\d+) of (\d+) rounds under load, ([\d.]+) minutes", SPEED)
    assert (int(cores), cpu, kernel, int(blas_threads)) == (m["cores"], m["cpu"], m["kernel"], m["threads"])
    assert "avx2" in m["cpu_flags"] and not any(f.startswith("avx512") for f in m["cpu_flags"])
    check(sgemm, run["sgemm"]["gflops"], "GFLOP/s of sgemm")
    assert (int(under), int(rounds)) == (run["load"]["rounds_under_load"], run["load"]["rounds"])
    check(minutes, run["seconds"] / 60, "minutes")


def test_large_layers_are_at_the_numpy_floor():
    run = _speed("")
    train, infer, gflops, share, gemm, torch = _find(
        r"At H = 256 and 512 its training step takes ([\d.-]+) times the floor's and its inference ([\d.-]+) "
        r"times\. .*? at H = 512 the LSTM runs at (\d+) GFLOP/s, (\d+) % of the sgemm rate, .*?\((\d+) against "
        r"(\d+) ms\)", SPEED)
    for part, text in (("train", train), ("infer", infer)):
        check_range(text, [_row(run, part, cell, H)["minilstm_per_floor"] for cell in ("LSTM", "GRU")
                           for H in (256, 512)], f"minilstm / floor, {part}, LSTM and GRU at H 256 and 512")
    lstm = _row(run, "train", "LSTM", 512)
    check(gflops, lstm["gflops"], "GFLOP/s")
    check(share, 100 * lstm["sgemm_fraction"], "% of sgemm")
    check(gemm, lstm["gemm_ms"], "ms of the LSTM's GEMMs")
    check(torch, lstm["torch_ms"], "ms of torch's step")


def test_the_one_thread_run():
    run = _speed("-1thread")
    command, name, ratios, h256, h512 = _find(
        r"\(`(python benchmarks/speed\.py [^`]+)`, the same machine, `benchmarks/results/([\w.-]+)`\) the LSTM step "
        r"is ([\d. /]+) times torch's at H = 64 / 128 / 256 / 512, and ([\d.]+) \(H = 256\) and ([\d.]+) \(H = 512\) "
        r"times its own products", SPEED)
    assert run["command"].startswith(command + " ") and name == "speed-2026-11-29-1thread.md"
    m = run["machine"]
    assert m["threads"] == m["torch_threads"] == 1 and m["cpu"] == _speed("")["machine"]["cpu"]
    check_each(ratios, _by_H(run, "train", "LSTM", "ratio"), "LSTM / torch, one thread")
    check(h256, _row(run, "train", "LSTM", 256)["step_per_gemm"], "step / GEMMs at H 256, one thread")
    check(h512, _row(run, "train", "LSTM", 512)["step_per_gemm"], "step / GEMMs at H 512, one thread")


def test_small_layers():
    run = _speed("")
    lstm, gru, lstm_infer, gru_infer = _find(r"At H = 64 the LSTM takes ([\d.]+) times the floor and the GRU "
                                             r"([\d.]+) \(training\), ([\d.]+) and ([\d.]+) \(inference\)", SPEED)
    for text, part, cell in ((lstm, "train", "LSTM"), (gru, "train", "GRU"), (lstm_infer, "infer", "LSTM"),
                             (gru_infer, "infer", "GRU")):
        check(text, _row(run, part, cell, 64)["minilstm_per_floor"], f"{cell} / floor at H 64, {part}")
    ours, fused, loop = _find(r"(\d+) us per step at B = D = H = 1 \(torch's fused LSTM ([\d.]+) us; its GRU, a "
                              r"loop like ours, (\d+) us\)", SPEED)
    assert all(r["B"] == r["D"] == r["H"] == 1 for r in run["overhead"])
    check(ours, _row(run, "overhead", "LSTM")["minilstm_us_per_step"], "us per step")
    check(fused, _row(run, "overhead", "LSTM")["torch_us_per_step"], "us per step of torch's LSTM")
    check(loop, _row(run, "overhead", "GRU")["torch_us_per_step"], "us per step of torch's GRU")


def test_what_the_peephole_terms_cost():
    run = _speed("")
    floor, ours = _find(r"cost a loop of NumPy calls ([\d-]+) %\*\* \(the floor's own peephole / LSTM ratio\); "
                        r"minilstm's costs ([\d-]+) %", SPEED)
    check_range(floor, [100 * (v - 1) for v in _by_H(run, "train", "PeepholeLSTM", "floor_per_lstm")], "% floor")
    check_range(ours, [100 * (v - 1) for v in _by_H(run, "train", "PeepholeLSTM", "per_lstm")], "% minilstm")


def test_ratios_move_between_runs():
    first, second, before = _speed("-0939"), _speed("-earlier"), _speed("-0744")
    names = _find(r"Two earlier full runs today \(`benchmarks/results/([\w.-]+)`, whose engine kept one array "
                  r"more, and `([\w.-]+)`, the engine of the run above\)", SPEED)
    assert names == ("speed-2026-11-29-0939.md", "speed-2026-11-29-earlier.md")
    assert before["date"] < first["date"] < second["date"] < _speed("")["date"]
    lstm, gru = _find(r"gave the LSTM ([\d.\- /]+?) and the GRU ([\d.\- /]+?) \(", SPEED)
    for text, cell in ((lstm, "LSTM"), (gru, "GRU")):
        for figure, *values in zip(text.split(" / "), *(_by_H(r, "train", cell, "ratio") for r in (first, second))):
            check_range(figure, values, f"{cell}'s ratio over the two earlier runs")
    name, lstm, gru = _find(r"before this round of engine work, `([\w.-]+)`: LSTM ([\d. /]+), GRU ([\d. /]+)\)",
                            SPEED)
    assert name == "speed-2026-11-29-0744.md"
    check_each(lstm, _by_H(before, "train", "LSTM", "ratio"), "LSTM / torch before")
    check_each(gru, _by_H(before, "train", "GRU", "ratio"), "GRU / torch before")
    ours, theirs = _find(r"minilstm's own training and inference times moved by up to (\d+) % and torch's by up to "
                         r"(\d+) %", SPEED)
    last = _speed("")
    for text, key in ((ours, "minilstm_ms"), (theirs, "torch_ms")):
        moved = [max(a[key] / b[key], b[key] / a[key]) - 1 for part in ("train", "infer")
                 for a, b in zip(second[part], last[part])]
        check(text, 100 * max(moved), f"% that {key} moved between the last two runs")
    assert all(r["load"]["rounds_under_load"] == 0 for r in (before, first, second, last))


def test_memory():
    """Now: the memory part of speed.py; before the in-place gradient sums: e2106d5's; before that: the 11-29 run."""
    now = json.loads((RESULTS / "speed-2026-12-07-memory.json").read_text(encoding="utf-8"))
    lstm, gru = _find(r"a step's peak is ([\d.-]+) times the minimum cache for the LSTM and ([\d.-]+) for the GRU",
                      SPEED)
    check_range(lstm, _by_H(now, "memory", "LSTM", "warm_over_min"), "warm peak / minimum cache, LSTM")
    check_range(gru, _by_H(now, "memory", "GRU", "warm_over_min"), "warm peak / minimum cache, GRU")
    before = json.loads((RESULTS / "speed-2026-12-07-memory-e2106d5.json").read_text(encoding="utf-8"))
    lstm, gru = _find(r"before that the peak was ([\d.-]+) \(LSTM\) and ([\d.-]+) \(GRU\) times the minimum",
                      SPEED)
    check_range(lstm, _by_H(before, "memory", "LSTM", "warm_over_min"), "before the in-place sums, LSTM")
    check_range(gru, _by_H(before, "memory", "GRU", "warm_over_min"), "before the in-place sums, GRU")
    before = _speed("")
    lstm, gru = _find(r"the peak\s+was ([\d.-]+) \(LSTM\) and ([\d.-]+) \(GRU\) times the minimum", SPEED)
    check_range(lstm, _by_H(before, "memory", "LSTM", "warm_over_min"), "before, LSTM")
    check_range(gru, _by_H(before, "memory", "GRU", "warm_over_min"), "before, GRU")


# ---- BLAS threads (benchmarks/results/blas_threads.txt) ----------------------------------------------------

BLAS_LOG = (RESULTS / "blas_threads.txt").read_text(encoding="utf-8")
BLAS = _section("BLAS threads")


def _timings():
    """Every logged timing: (condition, run, setting) -> seconds of each repeat."""
    found = {}
    for condition, run, setting, seconds in re.findall(r"^  (\w+) repeat \d+: ([\w ]+), ([\w ]+): ([\d.]+) s$",
                                                       BLAS_LOG, re.M):
        found.setdefault((condition, run, setting), []).append(float(seconds))
    return found


def _median(condition, run, setting):
    return statistics.median(_timings()[condition, run, setting])


def test_the_blas_run_is_the_one_described():
    repeats, version, kernel, cores = _find(r"medians of (\d+) interleaved repeats, .*?; OpenBLAS ([\d.]+) (\w+) "
                                            r"kernel, (\d+) cores", BLAS)
    assert f"openblas {version}." in BLAS_LOG and f"({kernel} kernel" in BLAS_LOG
    assert f"; {cores} cores; {repeats} interleaved repeats;" in BLAS_LOG
    assert {len(t) for t in _timings().values()} == {int(repeats)}
    epochs = _find(r"batch 32, clip 1\.0, (\d+) epochs;", BLAS)[0]
    assert f"forecaster {epochs} epochs" in BLAS_LOG
    low, high = _find(r"load average ([\d.]+)-([\d.]+) during \"idle\"", BLAS)
    before, after = map(float, re.search(r"^idle: load average ([\d.]+) .*? before, ([\d.]+) .*? after$",
                                         BLAS_LOG, re.M).groups())   # the one-minute averages
    check(low, min(before, after), "load average")
    check(high, max(before, after), "load average")


def test_the_blas_runs_are_the_scripts():
    """The settings the README gives the forecaster and the large layer are those in benchmarks/blas_threads.py."""
    script = (ROOT / "benchmarks" / "blas_threads.py").read_text(encoding="utf-8")
    hidden, lr, batch, clip = _find(r"an LSTM of (\d+) units, Adam (\S+), batch (\d+), clip ([\d.]+),", BLAS)
    assert (f"Model(1, {hidden}, 1," in script and f"lr={lr}," in script and f"batch_size={batch}," in script
            and f"clip_norm={clip}," in script)
    steps, H, B = map(int, _find(r"the \"large layer\" (\d+) training steps of a (\d+)-unit LSTM on batches of "
                                 r"(\d+)\.", BLAS))
    n = int(re.search(r"standard_normal\(\((\d+), \d+, \d+\)\)", script).group(1))   # sequences, one epoch
    assert f"Model(64, {H}, 1," in script and f"batch_size={B}," in script and n // B == steps


def test_the_blas_policy_threshold_is_the_codes():
    H, B = map(int, _find(r"`batch_size \* hidden_size\*\*2` at least that of H = (\d+) with B = (\d+)", BLAS))
    assert threads.LARGE == B * H**2


def test_the_blas_findings():
    idle, busy = _find(r"single timings of one setting varied by up to ([\d.]+)x idle and ([\d.]+)x busy", BLAS)
    for text, condition in ((idle, "idle"), (busy, "busy")):
        check(text, max(max(t) / min(t) for (c, *_), t in _timings().items() if c == condition),
              f"x between a setting's single timings, {condition}")
    faster, slower, large = _find(r"two threads make the 512-unit layer ([\d.-]+) times faster, .*? OpenBLAS's "
                                  r"default threads made the small runs ([\d.-]+) times slower; .*? one thread would "
                                  r"have run the large layer ([\d.]+) times faster than the policy did", BLAS)
    one = _median("idle", "large layer", "1 thread")
    check_range(faster, [one / _median("idle", "large layer", s) for s in ("default threads", "policy")],
                "speed-up of two threads, idle")
    check_range(slower, [_median("busy", run, "default threads") / _median("busy", run, "1 thread")
                         for run in ("default run", "forecaster")], "slow-down of the default threads, busy")
    check(large, _median("busy", "large layer", "policy") / _median("busy", "large layer", "1 thread"),
          "policy / one thread, large layer, busy")


# ---- The classic results (benchmarks/results/tasks.md) -----------------------------------------------------

def test_the_classic_results_run_is_the_one_described():
    tasks = (RESULTS / "tasks.md").read_text(encoding="utf-8")
    prose = _section("The classic results, measured")
    minutes, n = _find(r"tasks\.py` \(about (\d+) minutes on 2 cores;.*? a fresh test set of (\d+) sequences", prose)
    check(minutes, float(_find(r"total ([\d.]+) min", tasks)[0]), "minutes for tasks.py")
    assert f"fresh test set of {n} sequences" in tasks and "os.cpu_count() = 2" in tasks
    seed = _find(r"this is its table \(seed (\d+), one BLAS thread\)", prose)[0]
    assert f"seed {seed}." in tasks and "OPENBLAS_NUM_THREADS=1" in tasks
    default, T, bias = _find(r"with the default forget-gate bias of ([\d.]+) the LSTM stayed on the adding "
                             r"problem's plateau at T = (\d+) .*? starts the LSTM family with a forget bias of (\d+)",
                             prose)
    tasks = " ".join(tasks.split())
    assert f"with minilstm's default of {default}," in tasks and f"at T = {T} the LSTM stayed on the error plateau" \
        in tasks and f"start with a forget-gate bias of {bias} " in tasks


# ---- Guarantees: figures that are constants of the code and the tests ----------------------------------------

def test_the_guarantees_quote_the_codes_constants():
    prose = _section("What minilstm guarantees")
    kills = _find(r"the tests kill a saving process with SIGKILL (\d+) times", prose)[0]
    assert f"\nKILLS = {kills}\n" in (ROOT / "tests" / "test_faults.py").read_text(encoding="utf-8")
    assert "(or after an hour untouched)" in prose and atomic.STALE_AFTER == 3600
    steps = _find(r"(\d+) such steps in a row", prose)[0]
    assert int(steps) == guards.BAD_STEPS_IN_A_ROW
    assert int(_find(r"skipped; (\d+) in a row", _section("Training from a script"))[0]) == guards.BAD_STEPS_IN_A_ROW
    bound = _find(r"the parity tests require agreement to (\S+) relative in float64", prose)[0]
    parity = (ROOT / "tests" / "test_torch_parity.py").read_text(encoding="utf-8")
    assert set(re.findall(r"\) < (1e-\d+)$", parity, re.M)) == {bound}


@pytest.mark.parametrize("title", ["Speed", "BLAS threads"])
def test_every_results_file_the_prose_names_is_committed(title):
    for name in re.findall(r"`(?:benchmarks/results/)?(speed-[\w.-]+\.md|blas_threads\.txt)`", _section(title)):
        assert (RESULTS / name).is_file(), name


def test_the_cells_ab_table_is_the_committed_run():
    """The table of the redesigned cells against a073b77 is benchmarks/results/ab_cells.txt's medians."""
    log = (RESULTS / "ab_cells.txt").read_text(encoding="utf-8")
    medians = {}
    for mode, body in re.findall(r"mode (train|infer);.*?\n(.*?)(?:\n\n|\Z)", log, re.S):
        for cell, H, ratio in re.findall(r"^(lstm|gru) T=\d+ B=\d+ D=\d+ H=(\d+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)",
                                         body, re.M):
            medians.setdefault(mode, {})[(cell, int(H))] = float(ratio)
    order = [("lstm", 64), ("lstm", 256), ("gru", 64), ("gru", 256)]
    for mode, label in (("train", "training step"), ("infer", "inference")):
        row = _find(rf"\| {label} \|" + r" ([\d.]+) \|" * 4, SPEED)
        for text, case in zip(row, order):
            check(text, medians[mode][case], f"{label} {case}")
