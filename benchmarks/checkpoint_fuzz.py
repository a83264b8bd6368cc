"""Damaged and crafted checkpoints of a saved Sequential: does ``load`` refuse each one quickly and clearly?

Run: python benchmarks/checkpoint_fuzz.py [--flips 1000] [--configs 100] [--seed 0]

1. Saves a Sequential (Conv1d, ReLU, Dropout, a 2-layer LSTM, LastStep, Linear) with Adam's state and a
   training state, as ``train(checkpoint_dir=...)`` would.
2. Flips one random bit of that file, ``--flips`` times (each a fresh copy), and loads each.
3. Rewrites its architecture ``--configs`` times, each with a few hostile edits (a setting of a
   wrong type or an absurd size, an unknown or a private class, a module entry of the wrong form, a
   duplicate name, a deep nesting, ...), and loads each.
4. Classifies every load: ``ValueError naming the file`` (what load promises), ``loaded unchanged`` (a flip
   in a byte nothing reads, such as a zip timestamp: the same weights and architecture), ``loaded`` (an edit
   that is still a valid config), or anything else (a failure: another exception, or a flip that loaded
   other weights), and times each one.
5. Times the large crafted files of issue 21 (an unterminated string of 600,000 escaped quotes, 200,000
   modules, a million JSON keys, 50,000 extra members, a Conv1d of dilation 10**12) in seconds per megabyte.
6. Writes ``benchmarks/results/checkpoint_fuzz.json`` (counts, the slowest load, each failure, the large
   files' timings) and prints a summary. tests/test_checkpoint_limits.py runs a small seeded sample of the
   same fuzz.

Timings are wall-clock on whatever else the machine runs at the time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from typing import Any

import numpy as np

import minilstm

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "checkpoint_fuzz.json")
HOSTILE = [-1, 0, 10**12, 10**30, -(10**18), 2.5, 1e308, float("nan"), float("inf"), "x", "", [], {}, [1, 2],
           {"a": 1}, True, None, "same", "valid", "float16"]
TYPES = ["_Parameterless", "Module", "Recurrent", "Cell", "Sequential", "Model", "os.system", "", 5, None, "LSTM",
         "Linear", "Conv1d", "ReLU", "GaussianHead", "Embedding", "builtins.eval"]


def saved_sequential(folder: str) -> str:
    """The checkpoint every case starts from."""
    seq = minilstm.Sequential(minilstm.Conv1d(2, 3, 3, padding="same", seed=0), minilstm.ReLU(),
                              minilstm.Dropout(0.1, seed=1), minilstm.LSTM(3, 4, num_layers=2, batch_first=True,
                                                                          seed=2),
                              minilstm.LastStep(), minilstm.Linear(4, 2, seed=3))
    return seq.save(os.path.join(folder, "model.npz"), optimizer=minilstm.Adam(seq.params), epoch=1, seed=0,
                    history={"train_loss": [0.5]}, rng_states={}, best=None, bad_epochs=0, schedule=None)


def _outcome(path: str, original: Any) -> tuple[str, str, float]:
    """(classification, message, seconds) of loading ``path``."""
    start = time.perf_counter()
    try:
        model = minilstm.load(path)
    except ValueError as err:
        seconds = time.perf_counter() - start
        named = repr(path) in str(err) or path in str(err)
        return ("ValueError naming the file" if named else "ValueError not naming the file"), str(err)[:300], seconds
    except Exception as err:  # noqa: BLE001 - any other exception is what this fuzz looks for
        return f"{type(err).__name__}", str(err)[:300], time.perf_counter() - start
    seconds = time.perf_counter() - start
    if original is None:
        return "loaded", "", seconds
    same = model.config == original.config and model.state_dict().keys() == original.state_dict().keys() and all(
        np.array_equal(v, original.state_dict()[k]) for k, v in model.state_dict().items())
    return ("loaded unchanged" if same else "loaded"), "", seconds


def _flipped(data: bytes, rng: np.random.Generator) -> tuple[bytes, str]:
    at, bit = int(rng.integers(len(data))), int(rng.integers(8))
    out = bytearray(data)
    out[at] ^= 1 << bit
    return bytes(out), f"byte {at} bit {bit}"


def _edit(arch: dict, rng: np.random.Generator) -> str:
    """One hostile edit of a Sequential's architecture, in place; what it did."""
    modules = arch["modules"]
    whole = [j for j, m in enumerate(modules) if isinstance(m, list) and len(m) == 3 and isinstance(m[2], dict)]
    i = whole[int(rng.integers(len(whole)))] if whole else 0
    kind = int(rng.integers(9)) if whole else 7  # an entry already broken is edited no further
    pick = HOSTILE[int(rng.integers(len(HOSTILE)))]
    if kind == 0 and modules[i][2]:
        key = sorted(modules[i][2])[int(rng.integers(len(modules[i][2])))]
        modules[i][2][key] = pick
        return f"module {i} {key}={pick!r}"
    if kind == 1:
        modules[i][2][f"extra{int(rng.integers(100))}"] = pick
        return f"module {i} gets an unknown setting"
    if kind == 2:
        modules[i][1] = TYPES[int(rng.integers(len(TYPES)))]
        return f"module {i} type {modules[i][1]!r}"
    if kind == 3:
        modules[i] = [[modules[i][0]], [1, 2, 3, 4], "x", {}, modules[i][:2], 5][int(rng.integers(6))]
        return f"module {i} entry {modules[i]!r}"
    if kind == 4:
        modules.insert(i, list(modules[i]))
        return f"module {i} twice under one name"
    if kind == 5 and len(whole) == len(modules):  # each name (so each stored array) now meets another module's class
        modules[:] = [[m[0], *later[1:]] for m, later in zip(modules, reversed(modules))]
        return "modules' types and configs in reverse order"
    if kind == 6:
        nested: Any = {"modules": modules}
        for _ in range(int(rng.integers(2, 40))):
            nested = {"modules": [["n", "Sequential", nested]]}
        arch["modules"] = nested["modules"]
        return "nested deep"
    if kind in (5, 7):
        arch["modules"] = pick
        return f"modules={pick!r}"
    modules[i][0] = [pick, "0.weight", "a.b", 3, None][int(rng.integers(5))]
    return f"module {i} named {modules[i][0]!r}"


def _rewritten(src: str, dst: str, meta: dict) -> str:
    with np.load(src, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["meta"] = np.array(json.dumps(meta))
    with open(dst, "wb") as f:
        np.savez(f, **arrays)
    return dst


def fuzz(folder: Any, flips: int = 1000, configs: int = 100, seed: int = 0) -> list:
    """Every case's ``{"case", "outcome", "message", "seconds", "megabytes"}``, bit flips first."""
    folder = os.fspath(folder)
    path = saved_sequential(folder)
    original = minilstm.load(path)
    with open(path, "rb") as f:
        data = f.read()
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
    rng, out = np.random.default_rng(seed), []
    for n in range(flips):
        damaged, case = _flipped(data, rng)
        target = os.path.join(folder, f"flip{n}.npz")
        with open(target, "wb") as f:
            f.write(damaged)
        out.append(_record(f"flip {case}", target, original))
    for n in range(configs):
        crafted = json.loads(json.dumps(meta))
        edits = [_edit(crafted["architecture"], rng) for _ in range(int(rng.integers(1, 4)))
                 if isinstance(crafted["architecture"].get("modules"), list) and crafted["architecture"]["modules"]]
        target = _rewritten(path, os.path.join(folder, f"config{n}.npz"), crafted)
        out.append(_record("config: " + "; ".join(edits), target, original))
    return out


def _record(case: str, path: str, original: Any) -> dict:
    outcome, message, seconds = _outcome(path, original)
    megabytes = os.path.getsize(path) / 1e6
    os.remove(path)
    return {"case": case, "outcome": outcome, "message": message, "seconds": seconds, "megabytes": megabytes}


def _meta(type_name: str, architecture: Any, **more: Any) -> dict:
    return {"format": "minilstm-checkpoint", "version": 1, "type": type_name, "architecture": architecture,
            "optimizer": None, "training": {}, **more}


LARGE = {  # name: (meta JSON text, extra arrays)
    "600,000 escaped quotes": lambda: ('"' + '\\"' * 600_000, {}),
    "200,000 modules": lambda: (json.dumps(_meta("Sequential", {"modules": [[str(i), "ReLU", {}]
                                                                           for i in range(200_000)]})), {}),
    "a million JSON keys": lambda: (json.dumps(_meta("Sequential", {"modules": [["0", "ReLU", {}]]},
                                                     training={f"k{i}": 0 for i in range(10**6)})), {}),
    "50,000 extra members": lambda: (json.dumps(_meta("Sequential", {"modules": [["0", "ReLU", {}]]})),
                                     {f"x{i}": np.zeros(0, np.float32) for i in range(50_000)}),
    "Conv1d dilation 10**12": lambda: (json.dumps(_meta("Conv1d", {
        "in_channels": 1, "out_channels": 1, "kernel_size": 2, "dilation": 10**12, "padding": "same"})),
        {"param/weight": np.zeros((1, 1, 2), np.float32), "param/bias": np.zeros(1, np.float32)}),
}


def large_files(folder: Any) -> list:
    """Each large crafted file's ``{"case", "outcome", "message", "seconds", "megabytes", "seconds_per_mb"}``."""
    out = []
    for case, make in LARGE.items():
        text, arrays = make()
        path = os.path.join(os.fspath(folder), "large.npz")
        with open(path, "wb") as f:
            np.savez(f, meta=np.array(text), **arrays)
        row = _record(case, path, None)
        out.append({**row, "seconds_per_mb": row["seconds"] / row["megabytes"]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flips", type=int, default=1000)
    parser.add_argument("--configs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        outcomes = fuzz(folder, args.flips, args.configs, args.seed)
        large = large_files(folder)
    counts: dict = {}
    for kind in ("flip", "config"):
        for o in outcomes:
            if o["case"].startswith(kind):
                counts.setdefault(kind, {}).setdefault(o["outcome"], 0)
                counts[kind][o["outcome"]] += 1
    slowest = max(outcomes, key=lambda o: o["seconds"])
    failures = [o for o in outcomes if o["outcome"] not in ("ValueError naming the file", "loaded unchanged")
                and not (o["outcome"] == "loaded" and o["case"].startswith("config"))]
    result = {"command": "python benchmarks/checkpoint_fuzz.py " + " ".join(sys.argv[1:]), "seed": args.seed,
              "machine": platform.machine(), "python": platform.python_version(), "numpy": np.__version__,
              "minilstm": minilstm.__version__, "date": time.strftime("%Y-%m-%d"), "counts": counts,
              "slowest": slowest, "over_a_second": sum(o["seconds"] >= 1.0 for o in outcomes),
              "loaded_configs": [o["case"] for o in outcomes if o["outcome"] == "loaded"], "failures": failures,
              "large": large}
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: result[k] for k in ("counts", "slowest", "over_a_second", "loaded_configs")}, indent=1))
    for row in large:
        print(f"{row['case']}: {row['megabytes']:.1f} MB, {row['seconds']:.2f} s ({row['seconds_per_mb']:.3f} s/MB): "
              f"{row['outcome']}: {row['message'][:120]}")
    print(f"{len(failures)} failures; written to {RESULTS}")


if __name__ == "__main__":
    main()
