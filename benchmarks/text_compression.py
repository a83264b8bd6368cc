"""How many bits per character each model or compressor spends on the python task's held-out files.

The marks a character model must clear, all on exactly the same text (the held-out files of
``minilstm.data.python_source``): gzip -9, bz2 -9 and xz -9e alone and with the training text as
context (the bytes of ``train + held_out`` minus those of ``train``: what the compressor spends on
the held-out text once it has seen the training text, as a trained model has); count-based n-gram
models of orders 1-5 with Witten-Bell smoothing (each order interpolated with the one below, so an
unseen context costs what the shorter one says; order 1 is add-one); and minilstm's RNN, GRU and
LSTM at the same parameter count, trained on the same stream with stateful truncated BPTT for the
same number of epochs, with their training time (process CPU minutes, the wall clock of a shared
machine says little).

    python benchmarks/text_compression.py                       # everything (the RNNs: about 10 CPU minutes)
    python benchmarks/text_compression.py --cells lstm          # one model; its row joins the results file
    python benchmarks/text_compression.py --no-models           # compressors and n-grams only (a minute)

Writes ``benchmarks/results/text_compression.json`` (every row, merged with the rows already there)
and ``text_compression.md`` (the README's table, built from the JSON).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from minilstm import Model, data, train

RESULTS = Path(__file__).resolve().parent / "results"
JSON, TABLE = RESULTS / "text_compression.json", RESULTS / "text_compression.md"
V = data.python_source().meta["vocab"].size  # 98 characters


def compressor_rows(train_text: str, held_out: str) -> dict:
    """Bits per character of each compressor on the held-out text, alone and after the training text."""
    rows = {}
    for method in ("gzip", "bz2", "xz"):
        flag = "-9e" if method == "xz" else "-9"
        rows[f"{method} {flag}"] = data.compressed_bits_per_char(held_out, method)
        rows[f"{method} {flag}, training text as context"] = data.compressed_bits_per_char(held_out, method, train_text)
    return rows


def ngram_bits(train_ids: np.ndarray, held_ids: np.ndarray, order: int) -> float:
    """Bits per character of the Witten-Bell interpolated n-gram model of ``order`` on ``held_ids``.

    ``P_n(w | ctx) = (c(ctx w) + T(ctx) P_(n-1)(w | ctx')) / (c(ctx) + T(ctx))``, ``T(ctx)`` the number of
    distinct characters seen after ``ctx``, ``ctx'`` its last ``n - 2`` characters; an unseen ``ctx`` falls
    back to ``P_(n-1)``. The held-out text is read after ``order - 1`` newlines, its first contexts.
    """
    pad = np.full(order - 1, data.python_source().meta["vocab"].chars.index("\n"), dtype=np.int64)
    held = np.concatenate([pad, held_ids])
    n_out = len(held_ids)
    p = (np.bincount(train_ids, minlength=V)[held_ids] + 1.0) / (len(train_ids) + V)  # order 1: add-one
    for n in range(2, order + 1):
        joint_train = _keys(train_ids, n)
        keys, counts = np.unique(joint_train, return_counts=True)
        ctx_keys, first = np.unique(keys // V, return_index=True)
        types, ctx_counts = np.diff(np.append(first, len(keys))), np.add.reduceat(counts, first)
        joint = _keys(held, n)[-n_out:]
        c_joint = _lookup(keys, counts, joint)
        at = np.searchsorted(ctx_keys, joint // V).clip(max=len(ctx_keys) - 1)
        seen = ctx_keys[at] == joint // V
        c_ctx, t_ctx = np.where(seen, ctx_counts[at], 0), np.where(seen, types[at], 0)
        p = np.where(seen, (c_joint + t_ctx * p) / np.maximum(c_ctx + t_ctx, 1), p)
    return float(-np.mean(np.log2(p)))


def _keys(ids: np.ndarray, n: int) -> np.ndarray:
    """``(len(ids) - n + 1,)`` int64 keys of every n-gram: ``sum_j ids[i + j] * V**(n - 1 - j)``."""
    key = np.zeros(len(ids) - n + 1, dtype=np.int64)
    for j in range(n):
        key = key * V + ids[j:len(ids) - n + 1 + j]
    return key


def _lookup(keys: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
    at = np.searchsorted(keys, query).clip(max=len(keys) - 1)
    return np.where(keys[at] == query, counts[at], 0)


def hidden_for(cell: str, params: int) -> int:
    """The hidden size of a ``cell`` model (embedding 32, 98 classes) whose parameter count is nearest ``params``."""
    h = 8
    while _model(cell, h + 1).num_params <= params:  # the count grows with h: stop at the last one below
        h += 1
    return h if params - _model(cell, h).num_params <= _model(cell, h + 1).num_params - params else h + 1


def _model(cell: str, hidden: int) -> Model:
    extra = {"forget_bias": 1.0} if cell == "lstm" else {}
    return Model(32, hidden, V, cell=cell, readout="all", vocab_size=V, seed=0, **extra)


def model_row(cell: str, hidden: int, epochs: int, args: argparse.Namespace) -> dict:
    """Train one model as ``python -m minilstm train --task python`` does; its held-out bits per character."""
    train_set = data.make_task("python", rows=args.batch_size)
    val_set = data.python_source(rows=32, part="held_out")
    model = _model(cell, hidden)
    t0, c0 = time.perf_counter(), time.process_time()
    history = train(model, train_set, val_data=val_set, lr=args.lr, epochs=epochs, batch_size=args.batch_size,
                    tbptt=args.seq_len, clip_norm=1.0, schedule="cosine", seed=0, verbose=0,
                    metrics={"bpc": lambda p, ds: data.bits_per_char(p, ds.Y)})
    return {"bpc": history["val_bpc"][-1], "bpc_per_epoch": history["val_bpc"], "params": model.num_params,
            "hidden": hidden, "epochs": epochs, "cpu_minutes": (time.process_time() - c0) / 60,
            "wall_minutes": (time.perf_counter() - t0) / 60}


def table(results: dict) -> str:
    """The README's table, every number from ``results``."""
    s = results["settings"]
    lines = [f"Held-out text: {s['held_out_chars']:,} characters of {s['held_out_files']} standard-library files "
             f"(Python {s['python']}); bits per character, lower is better.", "",
             "| model | bits per character | parameters | training (CPU minutes) |", "|---|---|---|---|"]
    for name, bpc in results["compressors"].items():
        lines.append(f"| {name} | {bpc:.3f} | | |")
    for n, bpc in results["ngrams"].items():
        lines.append(f"| {n}-gram, Witten-Bell | {bpc:.3f} | | |")
    for cell in ("rnn", "gru", "lstm"):
        if cell in results.get("models", {}):
            r = results["models"][cell]
            epochs = f"{r['epochs']} epoch" + ("s" if r["epochs"] != 1 else "")
            lines.append(f"| minilstm {cell.upper()} {r['hidden']}, {epochs} | {r['bpc']:.3f} | "
                         f"{r['params']:,} | {r['cpu_minutes']:.1f} |")
    lines += ["", f"Made by `{results['command']}` (the models: stateful truncated BPTT, batch {s['batch_size']}, "
              f"{s['seq_len']} steps, Adam {s['lr']:g} with a cosine schedule, one BLAS thread; the CPU minutes "
              "of a shared 2-core machine)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", nargs="*", default=["rnn", "gru", "lstm"], choices=["rnn", "gru", "lstm"])
    p.add_argument("--no-models", action="store_true", help="compressors and n-grams only")
    p.add_argument("--lstm-hidden", type=int, default=128, help="the LSTM's size; the others match its parameters")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--lr", type=float, default=3e-3)
    args = p.parse_args(argv)
    meta = data.python_source().meta
    results = json.loads(JSON.read_text(encoding="utf-8")) if JSON.exists() else {}
    results["settings"] = {"python": meta["python"], "held_out_chars": len(meta["held_out_text"]),
                           "held_out_files": len(meta["held_out_files"]), "batch_size": args.batch_size,
                           "seq_len": args.seq_len, "lr": args.lr}
    results["command"] = "python benchmarks/text_compression.py"
    results["compressors"] = compressor_rows(meta["text"], meta["held_out_text"])
    results["ngrams"] = {n: ngram_bits(meta["ids"], meta["held_out_ids"], n) for n in range(1, 6)}
    print(json.dumps({**results["compressors"], **results["ngrams"]}, indent=1), flush=True)
    params = _model("lstm", args.lstm_hidden).num_params
    for cell in [] if args.no_models else args.cells:
        results.setdefault("models", {})[cell] = model_row(cell, hidden_for(cell, params), args.epochs, args)
        print(cell, results["models"][cell], flush=True)
        if JSON.exists():  # another process may have added its rows meanwhile: keep them
            results["models"] = {**json.loads(JSON.read_text(encoding="utf-8")).get("models", {}),
                                 **results["models"]}
        JSON.write_text(json.dumps(results, indent=1), encoding="utf-8")
    JSON.write_text(json.dumps(results, indent=1), encoding="utf-8")
    TABLE.write_text(table(results), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    sys.exit(main())
