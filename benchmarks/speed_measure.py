"""How ``benchmarks/speed.py`` measures: quiet rounds, warmed blocks interleaved, medians of ratios.

A measurement compares *sides*: functions of no arguments (minilstm's training step, PyTorch's, the
step's own matrix products), timed in rounds:

1. **Quiet gate.** Before each round, :func:`wait_quiet` reads the machine's load from *other*
   processes over a short window: busy jiffies of all CPUs from ``/proc/stat``, less this process's
   own CPU time (``os.times``, which also counts its BLAS and OpenMP threads still spinning after a
   call), as a fraction of all CPUs' time. It waits, up to ``max_wait`` seconds, until that is at most
   ``threshold``; a round that starts above it is recorded as taken *under load*.
2. **Warmed blocks, interleaved.** Each side then runs one block: warm-up calls (at least two and
   ``warm_s`` seconds: caches, thread pools, the other library's spinning threads going to sleep),
   then ``k`` timed calls, ``k`` chosen so the block lasts about ``block_s``; the block gives the median
   of its ``k``. Sides take turns block by block, and the order reverses every round, so a slow drift
   of the machine favours neither side.
3. **Medians of per-round ratios.** A ratio between two sides is taken within each round and the
   result is the median over rounds: a round spoiled by a burst of load moves one ratio, not the answer.

The clock is ``time.perf_counter`` (wall) or ``time.process_time`` (CPU time of the whole process,
every thread together): the CPU clock is only meaningful with one thread per library, where it
ignores the time the process spends descheduled by other load.
"""
from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # jiffies per second


def cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot, from ``/proc/stat``; None where it is missing."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]  # user .. steal; guest is inside user
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def own_jiffies() -> float:
    """CPU time of this process (all its threads) in jiffies."""
    t = os.times()
    return (t.user + t.system) * TICKS


def snapshot() -> tuple | None:
    """A point to measure other processes' load from (see :func:`load_since`)."""
    machine = cpu_jiffies()
    return None if machine is None else (*machine, own_jiffies())


def load_since(start: tuple | None) -> float | None:
    """Fraction of all CPUs' time used by other processes since ``start``, in [0, 1]; None if unknown."""
    end = snapshot()
    if start is None or end is None or end[1] <= start[1]:
        return None
    others = (end[0] - start[0]) - (end[2] - start[2])
    return min(max(others / (end[1] - start[1]), 0.0), 1.0)


def other_load(window: float) -> float | None:
    """Other processes' load over the next ``window`` seconds (this process sleeps meanwhile)."""
    start = snapshot()
    time.sleep(window)
    return load_since(start)


def wait_quiet(threshold: float, max_wait: float, window: float) -> tuple[float | None, float]:
    """Wait until other processes' load is at most ``threshold`` or ``max_wait`` seconds have passed.

    Returns
    -------
    load : float or None
        The load of the last window read (None where ``/proc/stat`` is missing: no gate).
    waited : float
        Seconds spent waiting.
    """
    start = time.monotonic()
    while True:
        load = other_load(window)
        waited = time.monotonic() - start
        if load is None or load <= threshold or waited >= max_wait:
            return load, waited


def block(fn: Callable[[], object], clock: Callable[[], float], block_s: float, warm_s: float) -> tuple[float, int]:
    """Warm ``fn`` up, then time it ``k`` times; returns (median seconds of a call, k)."""
    calls, start, last = 0, clock(), 0.0
    while calls < 2 or (clock() - start < warm_s and calls < 50):
        t0 = clock()
        fn()
        last = clock() - t0
        calls += 1
    k = int(min(max(block_s / max(last, 1e-9), 3), 50))
    times = []
    for _ in range(k):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times), k


def rounds(sides: dict, n_rounds: int, gate: dict, clock: str = "wall", block_s: float = 0.25,
           warm_s: float = 0.05) -> list[dict]:
    """Time every side in ``n_rounds`` quiet-gated rounds of interleaved blocks.

    Parameters
    ----------
    sides : dict of name -> callable
    gate : dict
        ``threshold``, ``max_wait`` and ``window`` of :func:`wait_quiet`.
    clock : {"wall", "cpu"}

    Returns
    -------
    list of dict, one per round: ``ms`` (name -> median ms of a call in its block), ``calls``
    (name -> k), ``load_before`` and ``waited_s`` (the gate), ``load_during`` (other processes'
    load while the round ran), ``under_load`` (the gate gave up waiting).
    """
    tick, names, out = CLOCKS[clock], list(sides), []
    for r in range(n_rounds):
        load, waited = wait_quiet(**gate)
        start, ms, calls = snapshot(), {}, {}
        for name in (names if r % 2 == 0 else names[::-1]):
            seconds, calls[name] = block(sides[name], tick, block_s, warm_s)
            ms[name] = seconds * 1e3
        out.append({"ms": ms, "calls": calls, "load_before": load, "waited_s": round(waited, 3),
                    "load_during": load_since(start),
                    "under_load": load is not None and load > gate["threshold"]})
    return out


def median_ms(rounds_: list[dict], side: str) -> float:
    """Median over rounds of one side's per-round time."""
    return statistics.median(r["ms"][side] for r in rounds_)


def median_ratio(rounds_: list[dict], num: str, den: str) -> float:
    """Median over rounds of the per-round ratio ``num / den``."""
    return statistics.median(r["ms"][num] / r["ms"][den] for r in rounds_)


def cpu_name() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (or what ``platform`` says)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """The vector extensions the CPU reports that decide OpenBLAS's kernel."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return []
    return sorted(f for f in set(flags) if f in ("avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile"))


def loadavg() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, or None."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return [float(v) for v in f.read().split()[:3]]
    except (OSError, ValueError):
        return None
