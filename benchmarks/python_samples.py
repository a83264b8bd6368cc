"""Samples of a python-task model at temperatures 0.5 and 1.0, for the README (``<!-- python-samples -->``).

    python -m minilstm train --task python --out runs/python      # the model
    python benchmarks/python_samples.py runs/python                # writes results/python_samples.json

Each sample is what ``python -m minilstm sample RUN --length 400 --temperature T --prime "def " --seed 0``
prints; the JSON also records the model's held-out bits per character and epochs, read from its checkpoint.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from minilstm import checkpoint, data

RESULTS = Path(__file__).resolve().parent / "results" / "python_samples.json"
TEMPERATURES, LENGTH, PRIME = (0.5, 1.0), 400, "def "


def block(results: dict) -> str:
    """The README's samples block, from the results."""
    m = results["model"]
    lines = [f"Samples of the {m['cell'].upper()} of {m['hidden']} units after {m['epochs']} epoch(s) (held-out "
             f"{m['val_bpc']:.3f} bits per character), each `{results['command']}` with the temperature given:"]
    for t, text in results["samples"].items():
        lines += ["", f"Temperature {t}:", "", "```text", text, "```"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="a python-task run's folder")
    args = p.parse_args(argv)
    path = str(Path(args.run) / "model.npz")
    model, training = checkpoint.load(path), checkpoint.read(path).meta.get("training") or {}
    vocab = data.python_source().meta["vocab"]
    samples = {str(t): data.sample(model, vocab, PRIME, LENGTH, temperature=t, rng=0) for t in TEMPERATURES}
    results = {"command": f"python -m minilstm sample {args.run} --length {LENGTH} --prime '{PRIME}' --seed 0",
               "model": {"cell": model.config["cell"], "hidden": model.config["hidden_size"],
                         "epochs": training.get("epoch"),
                         "val_bpc": (training.get("history", {}).get("val_bpc") or [None])[-1]},
               "samples": samples}
    RESULTS.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(block(results))


if __name__ == "__main__":
    sys.exit(main())
