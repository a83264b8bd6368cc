"""Seeing inside a recurrent network: gradient flow, gates and the state Jacobian.

Run: python examples/seeing_inside.py [--quick] [--out DIR]

1. The vanishing gradient: an RNN, an LSTM and a GRU of one size read the same
   random sequence; how far back does the gradient of the last output reach?
2. An LSTM trained for a few seconds on the noisy sine wave: its gates, step by
   step, on one validation window, and how saturated each gate is.
3. The state Jacobian of the RNN and the LSTM against the line at 1.

It prints what each shows and writes it to results.json, with gradient_flow.png,
gates.png and jacobian.png, to runs/examples/seeing_inside/ (or to --out).
--quick makes everything small (for CI).
"""
import argparse
import json
import os

import numpy as np

import minilstm
from minilstm import data, inspect, plot

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
parser.add_argument("--out", default="runs/examples/seeing_inside", help="folder for the figures and results.json")
args = parser.parse_args()
T, H, epochs = (30, 8, 2) if args.quick else (100, 32, 20)
os.makedirs(args.out, exist_ok=True)

# 1. gradient flow of three untrained cells on one random sequence (T, B, D)
x = np.random.default_rng(0).standard_normal((T, 16, 8))
flows = {name: inspect.gradient_flow(getattr(minilstm, name)(8, H, seed=0), x) for name in ("RNN", "LSTM", "GRU")}
lags = (1, 10, T - 1)
for name, flow in flows.items():
    print(f"{name:4s} ||dL/dh|| 1, 10 and {T - 1} steps back: " + ", ".join(f"{flow.lag(k):.1e}" for k in lags))
plot.gradient_flow(flows, path=os.path.join(args.out, "gradient_flow.png"),
                   title=f"gradient flow back from step {T - 1}, untrained cells (H = {H})")

# 2. an LSTM trained briefly on the noisy sine wave, and its gates on one validation window
train_set, val_set, _ = data.chronological_split(data.make_task("sine", seed=0))
model = minilstm.Model(1, H, 1, cell="lstm", readout="last", seed=0)
minilstm.train(model, train_set, val_data=val_set, lr=1e-2, epochs=epochs, batch_size=32, clip_norm=1.0,
               seed=0, progress=False)
model.eval()
trace = inspect.record(model, val_set.X[:4])
plot.gates(trace, path=os.path.join(args.out, "gates.png"),
           title=f"LSTM gates on one sine window after {epochs} epochs")
saturation = inspect.saturation(trace)
for gate, share in saturation.items():
    print(f"gate {gate}: {share['low']:.0%} of values near 0 (or -1), {share['high']:.0%} near 1")

# 3. the state Jacobian ds_t/ds_(t-1): below 1 the gradient shrinks at that step
norms = {name: inspect.jacobian_norms(getattr(minilstm, name)(8, 8, seed=0), x[:20]) for name in ("RNN", "LSTM")}
plot.jacobian_norms(norms, path=os.path.join(args.out, "jacobian.png"))
print("mean Jacobian norm: " + ", ".join(f"{k} {v.mean():.2f}" for k, v in norms.items()))

# the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs,
           "gradient_norm_steps_back": {name: {k: float(flow.lag(k)) for k in lags} for name, flow in flows.items()},
           "gate_saturation": saturation,                 # per gate: the shares "low" (near 0 or -1) and "high"
           "mean_jacobian_norm": {name: float(v.mean()) for name, v in norms.items()}}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote gradient_flow.png, gates.png, jacobian.png and results.json to {args.out}")
