"""The targets ``benchmarks/speed.py`` judges against, its tables (text or Markdown), and the README's.

Targets (float32, 2-core machine, ratios in one run), on the four shapes ``(T, B, H)`` with D = H:
(200, 16, 64), (50, 32, 128), (100, 64, 256), (100, 32, 512). Where a target names no shape it holds at
every one of the four; a shape outside them gets figures but no verdict.

- training step / PyTorch: LSTM <= 2.5 (H 64), 2.0 (H 128), 1.0 (H 256), 1.3 (H 512); GRU <= 0.7;
- LSTM training step / its own GEMMs <= 1.15 at H >= 256;
- LSTM at H = 512: at least 50 % of the machine's measured sgemm rate (no verdict where the step ran faster
  than that rate, which was then measured low: its ``% sgemm`` shows ``?``);
- peephole LSTM step / LSTM step <= 1.15 (beside it, without a target, the NumPy floor's own ratio);
- inference / PyTorch no-grad: LSTM <= 2.0 at H >= 256, GRU <= 1.0;
- per-step overhead at B = D = H = 1 (T = 1000) <= 12 us, LSTM and GRU;
- warm peak memory of a training step <= 1.5 x the minimum cache, LSTM and GRU.
"""
from __future__ import annotations

import statistics

PARTS = ("train", "infer", "overhead", "memory")
TARGET_SHAPES = {64: (200, 16, 64), 128: (50, 32, 128), 256: (100, 64, 256), 512: (100, 32, 512)}
LSTM_TRAIN = {64: 2.5, 128: 2.0, 256: 1.0, 512: 1.3}


def _shape(row: dict) -> tuple:
    return row["T"], row["B"], row["H"]


def _targeted(row: dict) -> bool:
    return TARGET_SHAPES.get(row["H"]) == _shape(row) and row["D"] == row["H"]


def targets(part: str, row: dict) -> list[tuple]:
    """The (quantity, op, bound) targets that apply to one row of ``part``."""
    cell, H = row["cell"], row["H"]
    if part == "overhead":
        return [("minilstm_us_per_step", "<=", 12.0)] if cell in ("LSTM", "GRU") and row["T"] == 1000 else []
    if not _targeted(row):
        return []
    out = []
    if part == "train":
        if cell == "LSTM":
            out.append(("ratio", "<=", LSTM_TRAIN[H]))
            if H >= 256:
                out.append(("step_per_gemm", "<=", 1.15))
            if H == 512:
                out.append(("sgemm_fraction", ">=", 0.5))
        if cell == "GRU":
            out.append(("ratio", "<=", 0.7))
        if cell == "PeepholeLSTM":
            out.append(("per_lstm", "<=", 1.15))
    if part == "infer" and (cell == "GRU" or (cell == "LSTM" and H >= 256)):
        out.append(("ratio", "<=", 1.0 if cell == "GRU" else 2.0))
    if part == "memory" and cell in ("LSTM", "GRU"):
        out.append(("warm_over_min", "<=", 1.5))
    return out


def passes(value: float | None, op: str, bound: float) -> bool | None:
    if value is None:
        return None
    return value <= bound if op == "<=" else value >= bound


def verdict(row: dict, key: str, op: str, bound: float) -> bool | None:
    """PASS (True), MISS (False) or None: not measured, or a ``% sgemm`` above 100 (its rate measured low)."""
    if key == "sgemm_fraction" and row.get("sgemm_reliable") is False:
        return None
    return passes(row.get(key), op, bound)


def checks(out: dict) -> list[dict]:
    """Every target that applies to the run, with its measured value and PASS (True) or MISS."""
    found = []
    for part in PARTS:
        for row in out.get(part, []):
            for key, op, bound in targets(part, row):
                found.append({"part": part, "cell": row["cell"], "T": row["T"], "B": row["B"], "D": row["D"],
                              "H": row["H"], "quantity": key, "value": row.get(key), "op": op, "bound": bound,
                              "pass": verdict(row, key, op, bound)})
    return found


def load_summary(out: dict, threshold: float) -> dict:
    """How loaded the machine was: rounds taken, rounds under load, other processes' load."""
    rounds = [r for part in PARTS for row in out.get(part, []) for r in row.get("rounds", [])]
    rounds += out.get("sgemm", {}).get("rounds", [])
    before = [r["load_before"] for r in rounds if r["load_before"] is not None]
    during = [r["load_during"] for r in rounds if r["load_during"] is not None]
    return {"threshold": threshold, "rounds": len(rounds), "rounds_under_load": sum(r["under_load"] for r in rounds),
            "median_load_before": statistics.median(before) if before else None,
            "median_load_during": statistics.median(during) if during else None,
            "max_load_during": max(during) if during else None,
            "waited_s": round(sum(r["waited_s"] for r in rounds), 1)}


def brief(row: dict) -> str:
    """One case's headline figures, for progress lines."""
    keys = ("minilstm_ms", "torch_ms", "ratio", "floor_ms", "minilstm_per_floor", "per_lstm", "floor_per_lstm",
            "step_per_gemm",
            "minilstm_us_per_step", "warm_over_min")
    return ", ".join(f"{k} {row[k]:.3g}" for k in keys if row.get(k) is not None)


def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def _judge(part: str, row: dict, key: str) -> str:
    """``"<= 1.0 PASS"`` for a quantity with a target, "" for one without."""
    for k, op, bound in targets(part, row):
        if k == key:
            ok = verdict(row, key, op, bound)
            return f"{op} {bound:g} " + ("-" if ok is None else "PASS" if ok else "MISS")
    return ""


def _loaded(row: dict) -> str:
    rounds = row.get("rounds", [])
    return f"{sum(r['under_load'] for r in rounds)}/{len(rounds)}"


def sgemm_percent(row: dict) -> str:
    """The ``% sgemm`` cell: ``?`` after a figure above 100, where the sgemm rate was measured low."""
    return _f(100 * row["sgemm_fraction"], 0) + ("?" if row.get("sgemm_reliable") is False else "")


def sgemm_note(out: dict) -> str:
    """What a ``?`` in ``% sgemm`` means, or "" where there is none."""
    above = [r for r in out.get("train", []) if r.get("sgemm_reliable") is False]
    if not above:
        return ""
    s = out["sgemm"]
    return (f"? % sgemm: {len(above)} step(s) ran faster than the sgemm rate ({s['gflops']:.1f} GFLOP/s, the "
            f"fastest of {len(s['rounds'])} rounds), which no step can: that rate was measured low, most likely "
            "while the machine was busy, so their % sgemm is not judged\n")


def _star(row: dict) -> str:
    return row["cell"] + ("*" if row["cell"] == "PeepholeLSTM" else "")


FLOOR_HEAD = ["floor", "floor/torch", "mini/floor"]


def _floor(row: dict) -> list:
    """The NumPy floor's columns: its ms, floor / torch, minilstm / floor."""
    return [_f(row.get("floor_ms")), _f(row.get("floor_per_torch")), _f(row.get("minilstm_per_floor"))]


def _table(title: str, head: list, rows: list, markdown: bool) -> str:
    if not rows:
        return ""
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    fmt = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([title, fmt(head), *(fmt(r) for r in rows)]) + "\n"


def _sgemm_rounds(sgemm: dict) -> str:
    """Which round the sgemm rate is: the fastest, and the median's rate (a run before that kept the median)."""
    n = len(sgemm["rounds"])
    if "ms_median" not in sgemm:
        return f"median of {n} rounds"
    return f"fastest of {n} rounds, median {2 * sgemm['n'] ** 3 / (sgemm['ms_median'] / 1e3) / 1e9:.1f}"


def tables(out: dict, markdown: bool = False) -> str:
    """The run as text tables (or Markdown), with the machine and the command on top."""
    m, load = out["machine"], out["load"]
    blas = next((b for b in m["blas"] if b["user_api"] == "blas"), {})
    kernel_note = f" (removed {', '.join(f'{k}={v}' for k, v in m['env_unset'].items())})" if m["env_unset"] else ""
    head = [f"`{out['command']}`" if markdown else out["command"],
            f"{out['date']}: {m['cpu']} ({m['cores']} cores; {', '.join(m['cpu_flags'])}), "
            f"{blas.get('internal_api')} {blas.get('version')} {m['kernel']} kernel{kernel_note}, "
            f"threads: BLAS {m['threads']}, torch {m['torch_threads']}, {m['clock']} clock; numpy {m['numpy']}, "
            f"torch {m['torch']}, minilstm {m['minilstm']} ({m['commit']})",
            f"sgemm {out['sgemm']['n']}: {out['sgemm']['gflops']:.1f} GFLOP/s ({_sgemm_rounds(out['sgemm'])}); "
            "rounds under load "
            f"{load['rounds_under_load']}/{load['rounds']} (other processes above {load['threshold']:.0%} of the "
            f"CPUs), median other load during rounds {_f(load['median_load_during'])}; {out['seconds']} s"]
    parts = ["\n".join(f"{line}  " if markdown else line for line in head) + "\n"]
    rows = [[_star(r), str(r["T"]), str(r["B"]), str(r["D"]), str(r["H"]), _f(r["minilstm_ms"]), _f(r["torch_ms"]),
             _f(r["ratio"]), _judge("train", r, "ratio"), *_floor(r), _f(r["gemm_ms"]), _f(r["step_per_gemm"]),
             _judge("train", r, "step_per_gemm"), _f(r["gflops"], 1), sgemm_percent(r),
             _judge("train", r, "sgemm_fraction"), _f(r.get("per_lstm")), _judge("train", r, "per_lstm"),
             _f(r.get("floor_per_lstm")), _loaded(r)]
            for r in out.get("train", [])]
    parts.append(_table("Training step (forward + backward), ms", [
        "cell", "T", "B", "D", "H", "minilstm", "torch", "ratio", "target", *FLOOR_HEAD, "GEMM", "step/GEMM",
        "target",
        "GFLOP/s", "% sgemm", "target", "/LSTM", "target", "floor/LSTM", "loaded"], rows, markdown))
    parts.append(sgemm_note(out))
    rows = [[_star(r), str(r["T"]), str(r["B"]), str(r["D"]), str(r["H"]), _f(r["minilstm_ms"]), _f(r["torch_ms"]),
             _f(r["ratio"]), _judge("infer", r, "ratio"), *_floor(r), _loaded(r)] for r in out.get("infer", [])]
    parts.append(_table("Inference (eval forward; torch no_grad), ms", [
        "cell", "T", "B", "D", "H", "minilstm", "torch", "ratio", "target", *FLOOR_HEAD, "loaded"], rows, markdown))
    rows = [[_star(r), str(r["T"]), _f(r["minilstm_us_per_step"]), _f(r["torch_us_per_step"]), _f(r["ratio"]),
             _judge("overhead", r, "minilstm_us_per_step"), _loaded(r)] for r in out.get("overhead", [])]
    parts.append(_table("Per-step overhead, B = D = H = 1, forward + backward, us per step", [
        "cell", "T", "minilstm", "torch", "ratio", "target", "loaded"], rows, markdown))
    rows = [[r["cell"], str(r["T"]), str(r["B"]), str(r["D"]), str(r["H"]), _f(r["min_cache_bytes"] / 2**20),
             _f(r["peak_cold_bytes"] / 2**20), _f(r["peak_warm_bytes"] / 2**20), _f(r["warm_over_min"]),
             _judge("memory", r, "warm_over_min"), _f(r["held_bytes"] / 2**20)] for r in out.get("memory", [])]
    parts.append(_table("Peak memory of a training step (tracemalloc), MiB", [
        "cell", "T", "B", "D", "H", "min cache", "cold peak", "warm peak", "warm/min", "target", "held"],
        rows, markdown))
    missed = [c for c in out["checks"] if c["pass"] is False]
    parts.append(f"targets: {sum(c['pass'] is True for c in out['checks'])} PASS, {len(missed)} MISS, "
                 f"{sum(c['pass'] is None for c in out['checks'])} not measured\n")
    return ("\n" if markdown else "\n").join(p for p in parts if p)


# The README's two tables of ratios: (row label, cell, quantity), a column per target shape.
README_ROWS = {
    "train": (("LSTM", "LSTM", "ratio"), ("GRU", "GRU", "ratio"),
              ("peephole LSTM, against minilstm's LSTM", "PeepholeLSTM", "per_lstm"),
              ("LSTM step / its own GEMMs", "LSTM", "step_per_gemm"),
              ("NumPy floor, LSTM", "LSTM", "floor_per_torch"), ("NumPy floor, GRU", "GRU", "floor_per_torch"),
              ("NumPy floor, peephole against the LSTM's floor", "PeepholeLSTM", "floor_per_lstm")),
    "infer": (("LSTM", "LSTM", "ratio"), ("GRU", "GRU", "ratio"),
              ("NumPy floor, LSTM", "LSTM", "floor_per_torch"), ("NumPy floor, GRU", "GRU", "floor_per_torch")),
}


def readme_tables(out: dict) -> str:
    """The README's Speed tables, training and inference, from a run's JSON (``examples/regenerate.py``)."""
    tables_ = []
    for part, title in (("train", "training step, ratio to torch"), ("infer", "inference, ratio to torch")):
        by = {(r["cell"], r["H"]): r for r in out[part] if _targeted(r)}
        sizes = sorted(TARGET_SHAPES)
        head = [f"H={H} (T{TARGET_SHAPES[H][0]} B{TARGET_SHAPES[H][1]})" if part == "train" else f"H={H}"
                for H in sizes]
        rows = [[label, *(_f(by[cell, H].get(key)) for H in sizes)] for label, cell, key in README_ROWS[part]]
        tables_.append("\n".join(["| " + " | ".join([title, *head]) + " |", "|---|" + "---:|" * len(sizes),
                                  *("| " + " | ".join(r) + " |" for r in rows)]))
    return "\n\n".join(tables_)
