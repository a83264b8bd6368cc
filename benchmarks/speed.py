"""How fast minilstm (NumPy) trains and infers, against PyTorch and against its own matrix products.

Run: python benchmarks/speed.py [--quick] [--threads N] [--clock cpu] [--max-wait S] [--json PATH] [--markdown [PATH]]

Every figure is float32, on one layer of D = H inputs (shapes T x B x H below), through the public
API only (``minilstm.LSTM(...)``, ``.train()`` / ``.eval()``, forward and ``backward``), so it measures
whatever engine is importable. How rounds are timed (quiet gate, warmed blocks interleaved, medians of
per-round ratios, wall or CPU clock) is in ``benchmarks/speed_measure.py``. Measured, per cell:

- **training step**: forward + backward of the layer, minilstm against ``torch.nn`` (autograd, oneDNN on,
  ``x.requires_grad`` so both return dx); PyTorch has no peephole LSTM, so ``PeepholeLSTM`` is timed
  against ``torch.nn.LSTM`` (``*``) and, in the same rounds, against minilstm's LSTM (``/LSTM``) and its
  floor against the LSTM's floor (``floor/LSTM``: what the peepholes cost a loop of NumPy calls);
- **the step's GEMMs**, timed in the same rounds: exactly the matrix products a step performs, with its
  shapes and dtype (input projection ``(TB, D) @ (D, GH)``, T recurrent products ``(B, H) @ (H, GH)``
  forward and T ``(B, GH) @ (GH, H)`` backward, ``dW_ih``, ``dW_hh`` and ``dx``), written into buffers
  made once; the step / GEMM ratio says what the rest of the step costs. GFLOP/s counts those products'
  ``6 T B G H (D + H)`` flops over the step's time, against the machine's sgemm rate (a square
  ``--sgemm``-sized product, measured first in the same run: its fastest round, since load only slows it).
  A step cannot beat the rate of its own products, so a step faster than that rate means the rate was
  measured low (the machine busy): sgemm is then measured again at the end and the best of all its rounds
  kept; a step still above it has its ``% sgemm`` marked ``?`` (``sgemm_reliable`` false) and not judged;
- **inference**: ``layer.eval()`` forward against a forward under ``torch.no_grad()``;
- **the NumPy floor** of the training step and of inference, LSTM, GRU and peephole LSTM, timed in the same rounds: the
  same computation (one layer, zero initial state, the output, ``dx`` and every parameter gradient)
  written as one straight-line NumPy function per cell with the tricks a loop of NumPy calls allows and
  nothing of minilstm's structure (``benchmarks/speed_floor.py``, which lists them and what each was
  measured to give). It is there because a target is only missed with its cause measured: the floor is
  the fastest this machine runs the computation as a loop of NumPy calls, as far as we found, so
  ``minilstm / floor`` is what minilstm's layer, generic loop and cells cost above it (what an engine
  change can still win back) and ``floor / torch`` is what NumPy itself costs against PyTorch
  (OpenBLAS's sgemm against oneDNN's, one call per elementwise pass and step, NumPy's ``exp`` and
  ``tanh``): where ``floor / torch`` is above a target, a NumPy engine would have to beat that floor to
  meet it;
- **per-step overhead**: B = D = H = 1, T = 1000, forward + backward, in microseconds per step;
- **peak memory** (tracemalloc, which sees NumPy's allocations): the peak of one training step above
  what was allocated just before it, *cold* (a fresh layer) and *warm* (inside a training loop: the
  previous step's cache, gradients and output still alive), against the **minimum cache**: the arrays
  backward truly needs, ``T B (K H + H + D)`` floats: the cell's saved activations, ``K H`` per step and
  sequence (LSTM and peephole LSTM: i, f, g, o and c, K = 5, from which tanh(c) and c_prev follow; GRU
  with reset_after: r, z, n and W_hn h + b_hn, K = 4; RNN: none beyond h, K = 0), the output sequence h
  (it gives every step's h_prev, the recurrent product's input) and the input x.

The targets (float32, 2-core machine, ratios in one run) are printed beside each figure with PASS or
MISS and listed under ``checks`` in the JSON. The environment may pin OpenBLAS's kernel
(``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``): the script re-executes itself without both, so OpenBLAS
picks the kernel from the CPU (``--keep-blas-env`` keeps them), and reports the kernel it ran on.
Output: a table on stdout and JSON in ``benchmarks/results/speed-YYYY-MM-DD.json`` (the run's date, UTC), or
``--json PATH``; ``--markdown`` also writes the tables as Markdown beside the JSON (``--markdown PATH``:
there). ``{date}`` in either path becomes the run's date.
"""
from __future__ import annotations

import os
import sys

PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
UNSET_MARK = "MINILSTM_BENCH_UNSET"  # what the parent removed, for the child's report


def without_pins(environ: dict) -> dict | None:
    """The environment without OpenBLAS's kernel pins, or None when none is set."""
    pinned = {k: environ[k] for k in PINS if k in environ}
    if not pinned:
        return None
    env = {k: v for k, v in environ.items() if k not in PINS}
    env[UNSET_MARK] = ";".join(f"{k}={v}" for k, v in pinned.items())
    return env


if __name__ == "__main__" and "--keep-blas-env" not in sys.argv:  # before NumPy loads OpenBLAS
    _env = without_pins(dict(os.environ))
    if _env is not None:
        os.execve(sys.executable, [sys.executable, *sys.argv], _env)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
import speed_floor as floor  # noqa: E402
import speed_floor_gru as floor_gru  # noqa: E402
import speed_measure as measure  # noqa: E402
import speed_report as report  # noqa: E402
import threadpoolctl  # noqa: E402

import minilstm  # noqa: E402

try:
    import torch
except ImportError:  # minilstm's own figures still come out
    torch = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = [(200, 16, 64), (50, 32, 128), (100, 64, 256), (100, 32, 512)]  # (T, B, H) with D = H
QUICK_SHAPES = [(8, 4, 16)]
CELLS = ("LSTM", "GRU", "PeepholeLSTM")
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4, "PeepholeLSTM": 4}  # G: gate blocks of the fused weights
SAVED = {"RNN": 0, "GRU": 4, "LSTM": 5, "PeepholeLSTM": 5}  # K: activations per step backward needs
TORCH_CELL = {"PeepholeLSTM": "LSTM"}  # the nearest PyTorch layer where it has no twin
FLOORS = {"LSTM": (floor.lstm_train_floor, floor.lstm_infer_floor),  # (train, infer) builders
          "GRU": (floor_gru.gru_train_floor, floor_gru.gru_infer_floor),
          "PeepholeLSTM": (floor.peephole_train_floor, floor.peephole_infer_floor)}
WEIGHTS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
PEEPHOLES = ("weight_peep_i_l0", "weight_peep_f_l0", "weight_peep_o_l0")
JSON_PATH = os.path.join(ROOT, "benchmarks", "results", "speed-{date}.json")  # {date}: the run's, YYYY-MM-DD
BESIDE_JSON = "beside the JSON"  # --markdown given without a path


# ---------------------------------------------------------------- the sides
def data(T: int, B: int, D: int, H: int) -> tuple:
    """Input and upstream gradient, float32, the same for every side."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((T, B, D), dtype=np.float32), rng.standard_normal((T, B, H), dtype=np.float32)


def minilstm_train(kind: str, T: int, B: int, D: int, H: int):
    """One forward + backward of a minilstm layer in training mode."""
    layer, (x, dout) = getattr(minilstm, kind)(D, H, seed=0).train(), data(T, B, D, H)

    def step():
        layer(x)
        layer.backward(dout)
    return step


def minilstm_infer(kind: str, T: int, B: int, D: int, H: int):
    """One forward of a minilstm layer in eval mode."""
    layer, (x, _) = getattr(minilstm, kind)(D, H, seed=0).eval(), data(T, B, D, H)
    return lambda: layer(x)


def floor_weights(kind: str) -> tuple:
    """The parameters a floor takes, in its order: the fused weights and biases, then any peepholes."""
    return WEIGHTS + (PEEPHOLES if kind == "PeepholeLSTM" else ())


def floor_train(kind: str, T: int, B: int, D: int, H: int):
    """The same step as one NumPy function (``benchmarks/speed_floor.py``), minilstm's weights."""
    step, (x, dout) = FLOORS[kind][0](T, B, D, H), data(T, B, D, H)
    weights = [minilstm.to_numpy(getattr(minilstm, kind)(D, H, seed=0).params[k]) for k in floor_weights(kind)]
    return lambda: step(x, dout, *weights)


def floor_infer(kind: str, T: int, B: int, D: int, H: int):
    """The same forward as one NumPy function."""
    forward, (x, _) = FLOORS[kind][1](T, B, D, H), data(T, B, D, H)
    weights = [minilstm.to_numpy(getattr(minilstm, kind)(D, H, seed=0).params[k]) for k in floor_weights(kind)]
    return lambda: forward(x, *weights)


def floor_figures(rounds: list, has_floor: bool) -> dict:
    """The floor's time, floor / torch and minilstm / floor (None where a side is missing)."""
    if not has_floor:
        return {"floor_ms": None, "floor_per_torch": None, "minilstm_per_floor": None}
    return {"floor_ms": measure.median_ms(rounds, "floor"),
            "floor_per_torch": measure.median_ratio(rounds, "floor", "torch") if torch else None,
            "minilstm_per_floor": measure.median_ratio(rounds, "minilstm", "floor")}


def torch_layer(kind: str, T: int, B: int, D: int, H: int) -> tuple:
    torch.manual_seed(0)
    x, dout = (torch.from_numpy(a) for a in data(T, B, D, H))
    return getattr(torch.nn, TORCH_CELL.get(kind, kind))(D, H), x, dout


def torch_train(kind: str, T: int, B: int, D: int, H: int):
    """The same step in PyTorch: autograd, dx included."""
    layer, x, dout = torch_layer(kind, T, B, D, H)
    x.requires_grad_(True)

    def step():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        out, _ = layer(x)
        out.backward(dout)
    return step


def torch_infer(kind: str, T: int, B: int, D: int, H: int):
    layer, x, _ = torch_layer(kind, T, B, D, H)

    def forward():
        with torch.no_grad():
            layer(x)
    return forward


def gemm_flops(G: int, T: int, B: int, D: int, H: int) -> int:
    """Flops of a training step's matrix products: three with D (projection, dW_ih, dx), three with H."""
    return 2 * T * B * G * H * (3 * D + 3 * H)


def gemm_step(G: int, T: int, B: int, D: int, H: int):
    """Exactly the matrix products of one training step, into buffers made once."""
    rng = np.random.default_rng(1)
    a = lambda *shape: rng.standard_normal(shape, dtype=np.float32)  # noqa: E731
    x, h, W_ih, W_hh = a(T * B, D), a(T * B, H), a(G * H, D), a(G * H, H)
    dxw = a(T * B, G * H)
    xw, gates, dh = np.empty((T * B, G * H), np.float32), np.empty((B, G * H), np.float32), a(B, H)
    dW_ih, dW_hh, dx = np.empty_like(W_ih), np.empty_like(W_hh), np.empty((T * B, D), np.float32)

    def step():
        np.matmul(x, W_ih.T, out=xw)              # input projection of every step
        for t in range(T):                        # recurrent products, forward
            np.matmul(h[t * B:(t + 1) * B], W_hh.T, out=gates)
        for t in range(T):                        # and backward: dh_prev = da @ W_hh
            np.matmul(dxw[t * B:(t + 1) * B], W_hh, out=dh)
        np.matmul(dxw.T, x, out=dW_ih)
        np.matmul(dxw.T, h, out=dW_hh)
        np.matmul(dxw, W_ih, out=dx)
    return step


def sgemm(n: int):
    """A square float32 product of size n: the machine's sgemm rate."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    return lambda: np.matmul(a, b, out=out)


def sgemm_rate(n: int, opts: dict, earlier: list | tuple = ()) -> dict:
    """The machine's sgemm rate from its fastest round (``earlier`` rounds, then new ones).

    The fastest, not the median: a rate is what the machine can do, and a round that other load slowed
    only says less. ``ms_median`` is kept beside it.
    """
    rounds = [*earlier, *measure.rounds({"sgemm": sgemm(n)}, **opts)]
    best = min(r["ms"]["sgemm"] for r in rounds)
    return {"n": n, "ms": best, "ms_median": measure.median_ms(rounds, "sgemm"),
            "gflops": 2 * n**3 / (best / 1e3) / 1e9, "rounds": rounds}


def set_sgemm_fractions(train_rows: list[dict], sgemm_gflops: float) -> None:
    """Each row's ``sgemm_fraction`` (its GFLOP/s over the sgemm rate) and ``sgemm_reliable`` (at most 1)."""
    for row in train_rows:
        row["sgemm_fraction"] = row["gflops"] / sgemm_gflops
        row["sgemm_reliable"] = row["sgemm_fraction"] <= 1.0


# ---------------------------------------------------------------- the cases
def train_case(kind: str, T: int, B: int, H: int, opts: dict) -> dict:
    """One training-step case; its ``% sgemm`` is set once the run's sgemm rate is final."""
    D, G = H, GATES[kind]
    sides = {"minilstm": minilstm_train(kind, T, B, D, H), "gemm": gemm_step(G, T, B, D, H)}
    if torch is not None:
        sides["torch"] = torch_train(kind, T, B, D, H)
    if kind in FLOORS:
        sides["floor"] = floor_train(kind, T, B, D, H)
    if kind == "PeepholeLSTM":  # the LSTM again, in these rounds: the ratios are per round
        sides["lstm"] = minilstm_train("LSTM", T, B, D, H)
        sides["lstm_floor"] = floor_train("LSTM", T, B, D, H)
    rounds = measure.rounds(sides, **opts)
    ms, gemm_ms = measure.median_ms(rounds, "minilstm"), measure.median_ms(rounds, "gemm")
    gflop = gemm_flops(G, T, B, D, H) / 1e9
    row = {"cell": kind, "T": T, "B": B, "D": D, "H": H, "minilstm_ms": ms,
           "torch_ms": measure.median_ms(rounds, "torch") if torch else None,
           "ratio": measure.median_ratio(rounds, "minilstm", "torch") if torch else None,
           **floor_figures(rounds, kind in FLOORS),
           "gemm_ms": gemm_ms, "step_per_gemm": measure.median_ratio(rounds, "minilstm", "gemm"),
           "gemm_gflop": gflop, "gflops": gflop / (ms / 1e3), "gemm_gflops": gflop / (gemm_ms / 1e3)}
    if kind == "PeepholeLSTM":
        row["lstm_ms"] = measure.median_ms(rounds, "lstm")
        row["per_lstm"] = measure.median_ratio(rounds, "minilstm", "lstm")
        row["lstm_floor_ms"] = measure.median_ms(rounds, "lstm_floor")
        row["floor_per_lstm"] = measure.median_ratio(rounds, "floor", "lstm_floor")
    return row | {"rounds": rounds}


def infer_case(kind: str, T: int, B: int, H: int, opts: dict) -> dict:
    sides = {"minilstm": minilstm_infer(kind, T, B, H, H)}
    if torch is not None:
        sides["torch"] = torch_infer(kind, T, B, H, H)
    if kind in FLOORS:
        sides["floor"] = floor_infer(kind, T, B, H, H)
    rounds = measure.rounds(sides, **opts)
    return {"cell": kind, "T": T, "B": B, "D": H, "H": H, "minilstm_ms": measure.median_ms(rounds, "minilstm"),
            "torch_ms": measure.median_ms(rounds, "torch") if torch else None,
            "ratio": measure.median_ratio(rounds, "minilstm", "torch") if torch else None,
            **floor_figures(rounds, kind in FLOORS), "rounds": rounds}


def overhead_case(kind: str, T: int, opts: dict) -> dict:
    """Forward + backward at B = D = H = 1: what each step costs beyond its arithmetic."""
    sides = {"minilstm": minilstm_train(kind, T, 1, 1, 1)}
    if torch is not None:
        sides["torch"] = torch_train(kind, T, 1, 1, 1)
    rounds = measure.rounds(sides, **opts)
    us = {s: measure.median_ms(rounds, s) * 1e3 / T for s in sides}
    return {"cell": kind, "T": T, "B": 1, "D": 1, "H": 1, "minilstm_us_per_step": us["minilstm"],
            "torch_us_per_step": us.get("torch"),
            "ratio": measure.median_ratio(rounds, "minilstm", "torch") if torch else None, "rounds": rounds}


def min_cache_bytes(kind: str, T: int, B: int, D: int, H: int, itemsize: int = 4) -> int:
    """The arrays backward truly needs: K H saved activations, h and x per step and sequence."""
    return T * B * (SAVED[kind] * H + H + D) * itemsize


def memory_case(kind: str, T: int, B: int, H: int) -> dict:
    """Peak traced memory of a training step above what was allocated just before it, cold and warm."""
    D = H
    layer, (x, dout) = getattr(minilstm, kind)(D, H, seed=0).train(), data(T, B, D, H)
    tracemalloc.start()
    try:
        floor = tracemalloc.get_traced_memory()[0]
        peaks = []
        for _ in range(3):  # cold, then two warm steps: the second is the loop's steady state
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            out, _ = layer(x)
            layer.backward(dout)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
        held = tracemalloc.get_traced_memory()[0] - floor
    finally:
        tracemalloc.stop()
    del out
    need = min_cache_bytes(kind, T, B, D, H)
    return {"cell": kind, "T": T, "B": B, "D": D, "H": H, "min_cache_bytes": need, "peak_cold_bytes": peaks[0],
            "peak_warm_bytes": peaks[-1], "held_bytes": held, "warm_over_min": peaks[-1] / need,
            "cold_over_min": peaks[0] / need}


# ---------------------------------------------------------------- the run
def environment(threads: int, clock: str) -> dict:
    blas = threadpoolctl.threadpool_info()
    try:
        commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    unset = os.environ.get(UNSET_MARK)
    unset = dict(kv.split("=", 1) for kv in unset.split(";")) if unset else {}
    return {"cpu": measure.cpu_name(), "cpu_flags": measure.cpu_flags(), "cores": os.cpu_count(),
            "python": sys.version.split()[0], "numpy": np.__version__, "minilstm": minilstm.__version__,
            "minilstm_path": os.path.dirname(minilstm.__file__), "commit": commit,
            "torch": torch.__version__ if torch else None, "torch_threads": torch.get_num_threads() if torch else None,
            "onednn": bool(torch.backends.mkldnn.is_available()) if torch else None,
            "blas": [{k: p.get(k) for k in ("user_api", "internal_api", "version", "architecture", "num_threads",
                                             "threading_layer", "filepath")} for p in blas],
            "kernel": next((p.get("architecture") for p in blas if p.get("user_api") == "blas"), None),
            "threads": threads, "clock": clock, "env_unset": unset, "loadavg_start": measure.loadavg()}


def parse_shapes(text: str) -> list[tuple]:
    try:
        shapes = [tuple(int(v) for v in s.lower().split("x")) for s in text.split(",")]
    except ValueError:
        shapes = []
    if not shapes or any(len(s) != 3 or min(s) < 1 for s in shapes):
        raise argparse.ArgumentTypeError(f"shapes must be TxBxH[,TxBxH...] of positive ints, got {text!r}")
    return shapes


def parse_args(argv: list | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a tiny shape, 3 short rounds: a smoke test in seconds")
    p.add_argument("--cells", default=",".join(CELLS), help=f"comma-separated, of {', '.join(GATES)}")
    p.add_argument("--shapes", type=parse_shapes, help="TxBxH,... (D = H); default the four target shapes")
    p.add_argument("--parts", default="train,infer,overhead,memory", help="which measurements to run")
    p.add_argument("--rounds", type=int, help="rounds per case (default 7; --quick 3)")
    p.add_argument("--block-s", type=float, help="seconds of timed calls per block (default 0.25)")
    p.add_argument("--threads", type=int, help="BLAS and torch threads (default: the BLAS's own count)")
    p.add_argument("--clock", choices=sorted(measure.CLOCKS), default="wall",
                   help="cpu: process CPU time, for one-thread runs (--threads 1) only")
    p.add_argument("--quiet-below", type=float, default=0.10,
                   help="a round waits until other processes use at most this fraction of the CPUs (0.10)")
    p.add_argument("--max-wait", type=float, default=30.0, help="seconds a round waits for quiet at most (30)")
    p.add_argument("--sgemm", type=int, help="size of the square sgemm that gives the machine's rate (2048)")
    p.add_argument("--json", default=JSON_PATH, help="where to write the results; {date} becomes the run's date "
                   "(default benchmarks/results/speed-{date}.json)")
    p.add_argument("--markdown", nargs="?", const=BESIDE_JSON,
                   help="also write the tables as Markdown (for the README): beside the JSON, or to this path")
    p.add_argument("--keep-blas-env", action="store_true", help="keep OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE")
    args = p.parse_args(argv)
    for name in ("rounds", "threads", "sgemm"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.clock == "cpu" and args.threads != 1:
        p.error("--clock cpu counts every thread's CPU time together: use it with --threads 1")
    unknown = set(args.cells.split(",")) - set(GATES) or set(args.parts.split(",")) - set(report.PARTS)
    if unknown:
        p.error(f"unknown cells or parts: {', '.join(sorted(unknown))}")
    return args


def output_paths(json_path: str, markdown: str | None, date: str) -> tuple[str, str | None]:
    """Where a run writes its JSON and its Markdown (None: none): ``{date}`` in either becomes ``date``
    (YYYY-MM-DD), and a Markdown asked for without a path goes beside the JSON, ``.md`` for ``.json``.

    A second run on the same day does not overwrite the first's files (which the README may read): where a
    ``{date}`` path's file exists, the date becomes ``date-2``, ``date-3``, ... in both paths (the JSON's
    ``.md`` beside it counts as taken too: a JSON never lands beside another run's tables). A path without
    ``{date}`` is the caller's own and is written as given.
    """
    day, n = date, 1
    while "{date}" in json_path + (markdown or "") and any(
            p is not None and os.path.exists(p) for p in (*_paths(json_path, markdown, day),
                                                          *_paths(json_path, BESIDE_JSON, day))):
        n += 1  # a day's JSON or its tables beside it taken: the next free number, for both files
        day = f"{date}-{n}"
    return _paths(json_path, markdown, day)


def _paths(json_path: str, markdown: str | None, date: str) -> tuple[str, str | None]:
    json_path = json_path.replace("{date}", date)
    if markdown == BESIDE_JSON:
        return json_path, os.path.splitext(json_path)[0] + ".md"
    return json_path, None if markdown is None else markdown.replace("{date}", date)


def main(argv: list | None = None) -> dict:
    args = parse_args(argv)
    started = time.time()
    shapes = args.shapes or (QUICK_SHAPES if args.quick else SHAPES)
    cells, parts = args.cells.split(","), args.parts.split(",")
    threads = args.threads or next((p["num_threads"] for p in threadpoolctl.threadpool_info()
                                   if p["user_api"] == "blas"), 1)
    gate = {"threshold": args.quiet_below, "max_wait": args.max_wait, "window": 0.05 if args.quick else 0.25}
    opts = {"n_rounds": args.rounds or (3 if args.quick else 7), "gate": gate, "clock": args.clock,
            "block_s": args.block_s or (0.01 if args.quick else 0.25), "warm_s": 0.005 if args.quick else 0.05}
    with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(threads)
        out = {"command": "python benchmarks/speed.py " + " ".join(sys.argv[1:] if argv is None else argv),
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": environment(threads, args.clock), "gate": gate, "shapes_THD": shapes}
        n = args.sgemm or (256 if args.quick else 2048)
        out["sgemm"] = sgemm_rate(n, opts)
        cases = {"train": lambda k, s: train_case(k, *s, opts),
                 "infer": lambda k, s: infer_case(k, *s, opts),
                 "overhead": lambda k, s: overhead_case(k, 20 if args.quick else 1000, opts),
                 "memory": lambda k, s: memory_case(k, *s)}
        for part in (p for p in report.PARTS if p in parts):
            todo = [(k, s) for k in cells for s in (shapes if part != "overhead" else [None])]
            out[part] = []
            for k, s in todo:  # a long run says where it is
                out[part].append(cases[part](k, s))
                shape = "x".join(map(str, s or ()))
                print(f"[{time.time() - started:5.0f} s] {part} {k} {shape}: {report.brief(out[part][-1])}",
                      file=sys.stderr, flush=True)
        if any(r["gflops"] > out["sgemm"]["gflops"] for r in out.get("train", [])):  # the rate was measured low
            print(f"[{time.time() - started:5.0f} s] a step outran sgemm's {out['sgemm']['gflops']:.1f} GFLOP/s: "
                  "measuring sgemm again", file=sys.stderr, flush=True)
            out["sgemm"] = sgemm_rate(n, opts, out["sgemm"]["rounds"])
        set_sgemm_fractions(out.get("train", []), out["sgemm"]["gflops"])
    out["checks"] = report.checks(out)
    out["load"] = report.load_summary(out, gate["threshold"])
    out["machine"]["loadavg_end"] = measure.loadavg()
    out["seconds"] = round(time.time() - started, 1)
    path, md_path = output_paths(args.json, args.markdown, out["date"][:10])
    for p in (path, md_path):
        if p is not None:
            os.makedirs(os.path.dirname(os.path.abspath(p)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    if md_path is not None:
        with open(md_path, "w", encoding="utf-8") as f:
            f.write(report.tables(out, markdown=True))
    wrote = path + ("" if md_path is None else f" and {md_path}")
    print(report.tables(out) + f"\nwrote {wrote} ({out['seconds']} s)")
    return out


if __name__ == "__main__":
    main()
