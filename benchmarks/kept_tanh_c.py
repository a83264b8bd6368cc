"""Keep tanh(c) from the forward (what the LSTM does) or recompute it in each backward step? Both, timed.

Run: python benchmarks/kept_tanh_c.py [--rounds 21] [--shapes 200x16x64,100x64x256,100x32x512]

The LSTM's cache keeps ``tanh(c)``, one (T, B, H) array, so that its backward reads it as the equations
name it; the alternative, measured here through the same engine, keeps only the gates and the states and
recomputes ``tanh(c)``, one ``tanh`` a backward step. The issue's rule: a trick (here, the recompute)
stays only if it pays. A float32 layer of D = H, training step (forward + backward) with the default BLAS
threads, the two layers alternating within each round (which goes first alternates too); the figure is
the median over rounds of recompute / kept, with its quartiles. A measurement tool: nothing imports it.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np

import minilstm
from minilstm.cells.common import tanh
from minilstm.cells.lstm import LSTMCache, LSTMStep


@dataclasses.dataclass(frozen=True)
class RecomputeTanhC(LSTMStep):
    """The LSTM step whose time loop keeps no tanh(c): its backward recomputes it."""

    kept = ("i", "f", "g", "o")

    def cache_of(self, prev, new, kept):
        (h_prev, c_prev), (h, c), (i, f, g, o) = prev, new, kept
        return LSTMCache(h_prev, c_prev, i, f, g, o, c, None, h)

    def step_backward(self, dstate, cache, p, out=None):
        return super().step_backward(dstate, cache._replace(tc=tanh(cache.c)), p, out)


def ratio(T: int, B: int, H: int, rounds: int) -> list[float]:
    """Per-round recompute / kept times of one training step."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, H)).astype(np.float32)
    dout = rng.standard_normal((T, B, H)).astype(np.float32)
    kept, again = minilstm.LSTM(H, H, seed=0).train(), minilstm.LSTM(H, H, seed=0).train()
    object.__setattr__(again, "cell", RecomputeTanhC())

    def step(layer) -> None:
        layer(x)
        layer.backward(dout)
    for layer in (kept, again, kept, again):  # warm-up, and the two give the same gradients
        step(layer)
    for k, g in kept.grads.items():
        np.testing.assert_allclose(again.grads[k], g, rtol=1e-4, atol=1e-5)
    out = []
    for r in range(rounds):
        times = {}
        for name, layer in ((("kept", kept), ("again", again)) if r % 2 else (("again", again), ("kept", kept))):
            t0 = time.perf_counter()
            step(layer)
            times[name] = time.perf_counter() - t0
        out.append(times["again"] / times["kept"])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--shapes", default="200x16x64,100x64x256,100x32x512", help="TxBxH, comma-separated")
    args = p.parse_args()
    for shape in args.shapes.split(","):
        T, B, H = (int(v) for v in shape.split("x"))
        r = ratio(T, B, H, args.rounds)
        q1, _, q3 = statistics.quantiles(r, n=4)
        print(f"T {T:4d} B {B:3d} H {H:4d}: recompute / kept = {statistics.median(r):.3f} "
              f"(quartiles {q1:.3f}-{q3:.3f}, {args.rounds} rounds)")


if __name__ == "__main__":
    main()
