"""Forward + backward time of minilstm (NumPy) against PyTorch on the same CPU.

Run: python benchmarks/speed.py [--repeats 7] [--quick] [--cells RNN,LSTM,GRU,PeepholeLSTM]

Both sides run the same layer shape in float32 on the same data, one after the
other in one process, and the script prints the median of several repeats and
the ratio minilstm / PyTorch (below 1 means minilstm is faster). PyTorch runs
eagerly with autograd, as a learner would use it. PyTorch has no peephole LSTM:
the ``PeepholeLSTM`` row is measured against ``torch.nn.LSTM`` (marked ``*``).
PyTorch's CPU LSTM and GRU run through oneDNN's fused, JIT-compiled kernels
when it can; the last columns time PyTorch with oneDNN switched off as well
(``torch.backends.mkldnn.enabled = False``: ATen's own cell loop on MKL's
matrix products), the like-for-like comparison with a loop of array calls.
The repeats of one side are not interleaved with the other's: each library's
idle worker threads keep spinning for a while after a call and would steal
the cores from the other.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import minilstm

try:
    import torch
except ImportError:  # the script still times minilstm alone
    torch = None

SHAPES = [  # (T, B, D, H)
    (50, 32, 32, 64),
    (100, 32, 64, 128),
    (100, 64, 128, 256),
    (200, 16, 64, 512),
]


CELLS = ("RNN", "LSTM", "GRU", "PeepholeLSTM")
TORCH_CELL = {"PeepholeLSTM": "LSTM"}  # the nearest PyTorch layer where it has no twin


def minilstm_step(kind: str, T: int, B: int, D: int, H: int):
    """One forward + backward of a minilstm layer, as a function of no arguments."""
    layer = getattr(minilstm, kind)(D, H, seed=0)
    x = np.random.default_rng(0).standard_normal((T, B, D)).astype(np.float32)
    dout = np.ones((T, B, H), dtype=np.float32)

    def step():
        layer(x)
        layer.backward(dout)
    return step


def torch_step(kind: str, T: int, B: int, D: int, H: int, onednn: bool = True):
    """The same for the PyTorch layer, with or without oneDNN's fused kernels."""
    layer = getattr(torch.nn, TORCH_CELL.get(kind, kind))(D, H)
    x = torch.randn(T, B, D, requires_grad=True)
    dout = torch.ones(T, B, H)

    def step():
        before, torch.backends.mkldnn.enabled = torch.backends.mkldnn.enabled, onednn
        try:
            layer.zero_grad()
            out, _ = layer(x)
            out.backward(dout)
        finally:
            torch.backends.mkldnn.enabled = before
    return step


def median_time(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="the two smallest shapes only")
    parser.add_argument("--cells", default=",".join(CELLS), help="comma-separated layer names")
    args = parser.parse_args()
    shapes = SHAPES[:2] if args.quick else SHAPES
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}")
    print(f"{'cell':<13} {'T':>4} {'B':>4} {'D':>4} {'H':>4} {'minilstm ms':>12} "
          f"{'torch ms':>9} {'ratio':>6} {'no-oneDNN ms':>13} {'ratio':>6}")
    nan = float("nan")
    for kind in args.cells.split(","):
        for T, B, D, H in shapes:
            ours = median_time(minilstm_step(kind, T, B, D, H), args.repeats) * 1e3
            ref = plain = nan
            if torch is not None:
                ref = median_time(torch_step(kind, T, B, D, H), args.repeats) * 1e3
                plain = median_time(torch_step(kind, T, B, D, H, onednn=False), args.repeats) * 1e3
            name = kind + ("*" if kind in TORCH_CELL else "")
            print(f"{name:<13} {T:>4} {B:>4} {D:>4} {H:>4} {ours:>12.2f} {ref:>9.2f} {ours / ref:>6.2f} "
                  f"{plain:>13.2f} {ours / plain:>6.2f}", flush=True)

if __name__ == "__main__":
    main()
