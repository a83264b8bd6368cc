"""Lesson 7's unit search on real code: a unit of a trained python-task model that tracks a property of the text.

For three properties of Python source, each a number per character (its value after reading it):
being inside a string (or a comment), the indentation of the current line (in spaces), and the bracket
depth (``([{`` minus ``)]}`` outside strings and comments), every unit's hidden state is correlated
with the property over a stretch of the *training* files, where the unit is chosen (largest |r|), and
the chosen unit's correlation is then reported on a stretch of the *held-out* files, which played no
part in the choice (the best of many units is biased upward where it was chosen; not where it was not).

    python -m minilstm train --task python --out runs/python       # the model (the CLI's default run)
    python benchmarks/python_units.py runs/python                   # writes results/python_units.json

The JSON holds, per property, the chosen unit, its r where chosen and held out, and a held-out passage
with that unit's activations, which lesson 7 draws with ``plot.activation_text``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from minilstm import checkpoint, data, inspect

RESULTS = Path(__file__).resolve().parent / "results" / "python_units.json"


def properties(text: str) -> dict[str, np.ndarray]:
    """``{name: (len(text),) float}``: inside a string or comment, the line's indentation, the bracket depth."""
    inside, indent, depth = (np.zeros(len(text)) for _ in range(3))
    quote, comment, level, spaces, leading, escaped, start = "", False, 0, 0, True, False, 0
    for t, ch in enumerate(text):
        if quote:  # in a string: it ends at the same quote (three of them for a triple-quoted one)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif text.startswith(quote, t - len(quote) + 1) and t - len(quote) + 1 >= start:
                quote = ""
        elif comment:
            comment = ch != "\n"
        elif ch in "'\"":
            quote = ch * 3 if text.startswith(ch * 3, t) else ch
            start = t + len(quote)  # the closing quote is looked for after the opening one
        elif ch == "#":
            comment = True
        elif ch in "([{":
            level += 1
        elif ch in ")]}":
            level = max(level - 1, 0)
        if ch == "\n":
            spaces, leading = 0, True
        elif leading and ch == " ":
            spaces += 1
        else:
            leading = False
        inside[t], indent[t], depth[t] = bool(quote) or comment, spaces, level
    return {"inside a string or comment": inside, "indentation": indent, "bracket depth": depth}


def correlations(acts: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``(H,)`` Pearson r of every unit's ``(T, H)`` activations with the ``(T,)`` property ``f``."""
    a = (acts - acts.mean(0)) / (acts.std(0) + 1e-12)
    return a.T @ ((f - f.mean()) / (f.std() + 1e-12)) / len(f)


def hidden_states(model, text: str) -> np.ndarray:
    """``(T, H)``: the last layer's h after each character of ``text``, read in one go from a zero state."""
    return inspect.record(model, data.python_source().meta["vocab"].encode(text)[None, :]).h[-1, :, 0, :]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="a python-task run's folder (its model.npz) or a checkpoint")
    p.add_argument("--chars", type=int, default=40_000, help="characters of each part to correlate over")
    args = p.parse_args(argv)
    path = Path(args.run) / "model.npz" if Path(args.run).is_dir() else Path(args.run)
    model = checkpoint.load(str(path))
    meta = data.python_source().meta
    chosen_text, held_text = meta["text"][:args.chars], meta["held_out_text"][:args.chars]
    chosen_acts, held_acts = hidden_states(model, chosen_text), hidden_states(model, held_text)
    chosen_props, held_props = properties(chosen_text), properties(held_text)
    passage = slice(held_text.index("\n    def ", 2000) + 1, None)
    passage = slice(passage.start, held_text.rindex("\n", passage.start, passage.start + 900) + 1)
    units = {}
    for name in chosen_props:
        r_chosen = correlations(chosen_acts, chosen_props[name])
        j = int(np.argmax(np.abs(r_chosen)))
        r_held = correlations(held_acts, held_props[name])
        units[name] = {"unit": j, "r_chosen": float(r_chosen[j]), "r_held_out": float(r_held[j]),
                       "best_r_held_out_any_unit": float(np.abs(r_held).max()),
                       "activations": held_acts[passage, j].round(4).tolist()}
        print(f"{name:>28}: unit {j:3d}, r = {r_chosen[j]:+.3f} where chosen, {r_held[j]:+.3f} held out", flush=True)
    training = checkpoint.read(str(path)).meta.get("training") or {}
    history = training.get("history") or {}
    results = {"command": f"python benchmarks/python_units.py {args.run}", "chars": args.chars,
               "model": {"hidden": model.config["hidden_size"], "cell": model.config["cell"],
                         "epochs": training.get("epoch"), "val_bpc": (history.get("val_bpc") or [None])[-1]},
               "passage": held_text[passage], "units": units}
    RESULTS.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
