"""The per-step floor of a loop of NumPy calls: an LSTM step written inline against minilstm's.

Run: python benchmarks/step_floor.py [--T 1000] [--repeats 7]

At B = D = H = 1 a step's arithmetic is nothing, so its time is the cost of
the array calls themselves. This script writes one LSTM step (forward and
backward) as straight NumPy with the same calls the cells make (about 45:
the sigmoid as four in-place passes, one tanh per block, the derivatives from
the saved outputs, one product each way) and no layer, loop protocol or
backend around it, and times it beside ``minilstm.LSTM`` in one process, on
the CPU clock with one BLAS thread, interleaved, medians. What the inline
loop takes is what any loop of NumPy calls of that count takes on this
machine; the difference is what minilstm's generic time loop and cells add.
It is a measurement tool, not a second engine: nothing imports it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread setting, which OpenBLAS reads on load)

import minilstm  # noqa: E402


def inline_lstm(T: int, B: int = 1, H: int = 1):
    """A forward + backward over T steps of one LSTM, written out, as a function of no arguments."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4 * H, H)).astype(np.float32)
    WT = np.ascontiguousarray(W.T)
    xw = rng.standard_normal((T, B, 4 * H)).astype(np.float32)
    dout = np.ones((B, H), np.float32)

    def run() -> None:
        h, c = np.zeros((T + 1, B, H), np.float32), np.zeros((T + 1, B, H), np.float32)
        gates = xw.copy()
        for t in range(T):
            a = gates[t]
            np.add(a, h[t] @ WT, out=a)
            g_pre = a[:, 2 * H:3 * H].copy()
            np.multiply(a, -1.0, out=a)                  # sigmoid over the fused array, in place
            np.exp(a, out=a)
            np.add(a, 1.0, out=a)
            np.divide(1.0, a, out=a)
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            np.tanh(g_pre, out=g)
            np.add(f * c[t], i * g, out=c[t + 1])
            np.multiply(o, np.tanh(c[t + 1]), out=h[t + 1])
        dh, dc = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32)
        for t in range(T - 1, -1, -1):
            a = gates[t]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            dh = dh + dout
            tc = np.tanh(c[t + 1])
            dao = dh * tc * o * (1 - o)
            dc = dc + dh * o * (1 - tc * tc)
            dai, daf, dag = dc * g * i * (1 - i), dc * c[t] * f * (1 - f), dc * i * (1 - g * g)
            dc = dc * f
            dh = np.concatenate([dai, daf, dag, dao], axis=-1) @ W
    return run


def minilstm_lstm(T: int, B: int = 1, H: int = 1):
    """The same with ``minilstm.LSTM`` (training mode: it keeps the cache backward needs)."""
    layer = minilstm.LSTM(H, H, seed=0).train()
    x, d = np.ones((T, B, H), np.float32), np.ones((T, B, H), np.float32)

    def run() -> None:
        layer(x)
        layer.backward(d)
    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--T", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args()
    sides = {"inline NumPy": inline_lstm(args.T), "minilstm.LSTM": minilstm_lstm(args.T)}
    times: dict = {k: [] for k in sides}
    for fn in sides.values():
        fn()  # warm-up
    for _ in range(args.repeats):  # interleaved: each repeat runs both sides
        for name, fn in sides.items():
            t0 = time.process_time()
            fn()
            times[name].append(time.process_time() - t0)
    for name, ts in times.items():
        print(f"{name:14s} {statistics.median(ts) / args.T * 1e6:7.1f} us per step (B = D = H = 1, CPU time)")


if __name__ == "__main__":
    main()
