"""Lesson 8, CPU and GPU: the exercises' reference solutions.

Each exercise is one function that computes its answer with the library and returns the numbers it rests
on; the docstring says what to conclude. Timings on a shared machine are noisy. Run them all (small sizes
with ``--quick``)::

    python lessons/solutions/08_cpu_gpu.py [--quick]
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

import minilstm
from minilstm import backend, threads

T, D, B = 50, 32, 32


def tanh_gate(z):
    """Exercise 1: tanh(z) * sigmoid(z) through the array's own namespace, so it runs on any backend."""
    xp = backend.namespace(z)
    return xp.tanh(z) / (1 + xp.exp(-z))


def check_tanh_gate():
    """Exercise 1's check, as the lesson runs it: on the strict stand-in, on another device."""
    import array_api_strict as aas

    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    with minilstm.backend_scope(aas, aas.Device("device1")) as strict:
        got = minilstm.to_numpy(tanh_gate(strict.asarray(x)))
    err = float(np.abs(got - np.tanh(x) / (1 + np.exp(-x))).max())
    print(f"exercise 1: tanh_gate on the stand-in, largest difference from NumPy {err:.1e}")
    return err


def median_ms(fn, repeats=5):
    """Median milliseconds of ``fn()`` over ``repeats`` calls after a warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def forward_backward(layer_class, H, batch=B):
    """One forward + backward of a ``layer_class(D, H)`` layer on the active backend, as a function."""
    layer = layer_class(D, H, seed=0)
    x = np.random.default_rng(0).standard_normal((T, batch, D)).astype(np.float32)
    dout = np.ones((T, batch, H), dtype=np.float32)

    def step():
        layer(x)
        layer.backward(dout)
    return step


def exercise_2_slope(hidden=(256, 512), repeats=5):
    """The log-log slope between the two largest hidden sizes: near 2 means GEMM bound (time grows as H^2).

    Returns the slope. On a CPU with one BLAS thread it comes out between 1.5 and 2 at these sizes; below
    that the layer is still partly overhead bound.
    """
    with threads.blas_limit(1):
        t1, t2 = (median_ms(forward_backward(minilstm.LSTM, h), repeats) for h in hidden)
    slope = float(np.log(t2 / t1) / np.log(hidden[1] / hidden[0]))
    print(f"exercise 2: {t1:.1f} ms at H = {hidden[0]}, {t2:.1f} ms at H = {hidden[1]}: slope {slope:.2f}")
    return slope


def exercise_3_gru_and_rnn(hidden=(8, 512), repeats=3):
    """LSTM, GRU and RNN times at a small and a large H, as ratios to the RNN's.

    At small H the time follows the number of calls per step (the RNN's step makes the fewest). At large H
    it follows the products' arithmetic, which grows with the number of weight blocks, 4 : 3 : 1, so the
    ratios approach 4 and 3 (less in practice: the elementwise work and the input products do not shrink
    in the same proportion). Returns ``{H: {cell: ms}}``.
    """
    out = {}
    with threads.blas_limit(1):
        for h in hidden:
            out[h] = {name: median_ms(forward_backward(cls, h), repeats)
                      for name, cls in (("LSTM", minilstm.LSTM), ("GRU", minilstm.GRU), ("RNN", minilstm.RNN))}
    for h, ms in out.items():
        print(f"exercise 3: H = {h}: " + ", ".join(f"{n} {v:.1f} ms ({v / ms['RNN']:.1f}x the RNN)"
                                                 for n, v in ms.items()))
    return out


def exercise_4_threads(hidden=(32, 128, 512), repeats=3, n_threads=2):
    """Time with ``n_threads`` BLAS threads over one thread, against H: below 1, threads pay.

    Small layers gain nothing (the products are too small to split, and waking threads costs time); large
    ones can gain up to the number of free cores. With other programs keeping the cores busy, the ratio at
    every size moves towards or above 1. Returns ``{H: ratio}``.
    """
    ratio = {}
    for h in hidden:
        with threads.blas_limit(1):
            one = median_ms(forward_backward(minilstm.LSTM, h), repeats)
        with threads.blas_limit(n_threads):
            many = median_ms(forward_backward(minilstm.LSTM, h), repeats)
        ratio[h] = many / one
    print(f"exercise 4: time with {n_threads} threads / 1 thread:", {h: round(r, 2) for h, r in ratio.items()})
    return ratio


def exercise_5_gpu(hidden=512, batch=256):
    """On a CUDA machine: the GPU's time with and without ``synchronize`` (None where there is no GPU).

    Without the synchronize the clock stops when the last kernel is queued, not when it has run, so the
    time measured is the Python loop's queueing: too small, and flat in H. Returns ``(with, without)`` ms.
    """
    try:
        with minilstm.backend_scope("cupy") as gpu:
            sync = gpu.xp.cuda.Stream.null.synchronize
            layer = minilstm.LSTM(D, hidden, seed=0)
            x, dout = gpu.asarray(np.ones((T, batch, D), np.float32)), gpu.zeros((T, batch, hidden)) + 1

            def run(synchronize):
                start = time.perf_counter()
                layer(x)
                layer.backward(dout)
                if synchronize:
                    sync()
                return 1e3 * (time.perf_counter() - start)
            run(True)
            with_sync, without = run(True), run(False)
            sync()
    except (ImportError, RuntimeError) as err:
        print(f"exercise 5: no CUDA device here ({err})")
        return None
    print(f"exercise 5: {with_sync:.1f} ms with synchronize, {without:.1f} ms without (only the queueing)")
    return with_sync, without


def main(quick=False):
    check_tanh_gate()
    exercise_2_slope(hidden=(64, 128) if quick else (256, 512), repeats=2 if quick else 5)
    exercise_3_gru_and_rnn(hidden=(8, 64) if quick else (8, 512), repeats=2 if quick else 3)
    exercise_4_threads(hidden=(32,) if quick else (32, 128, 512), repeats=2 if quick else 3)
    exercise_5_gpu()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
