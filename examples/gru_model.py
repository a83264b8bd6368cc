"""The GRU in place of the LSTM: the sine forecaster and the text classifier, compared in one run.

Run: python examples/gru_model.py [--quick] [--out DIR]

A GRU (Cho et al. 2014) has two gates (reset r, update z) and no cell state,
so a layer of the same width has three weight blocks where the LSTM has four:
a quarter fewer recurrent parameters. Swapping it in is one word,
``minilstm.GRU`` for ``minilstm.LSTM``; everything else stays. Both cells are
trained here, with the same seeds, on two tasks:

1. the sine forecaster (examples/sine_forecaster.py): t = linspace(0, 20 pi,
   1000), sin(t) + noise 0.1, an 80/20 chronological split, min-max scaling to
   [-1, 1], windows of 20 steps -> the next value; cell(1, 32) -> last step ->
   Linear(32, 1); Adam 1e-3, clip 1.0, batch 32. Metric: the test RMSE in
   original units (the noise, 0.1, is the floor).
2. the text classifier (examples/text_classifier.py): embedded Reber strings
   against near-misses whose second-to-last symbol is flipped; Embedding(7, 8) ->
   cell(8, 32) with input and recurrent dropout 0.2 -> LastStep() -> Linear(32, 2);
   Adam 1e-3. Metric: validation accuracy (chance 0.5).

What to look at: on the sine both cells reach the noise floor within a few
epochs. On the Reber strings each cell sits near chance until it finds the
long-range dependency (the second symbol against the second-to-last), then
jumps to 1.0; *when* that happens depends on the seed as much as on the cell
(results.json gives the epoch at which each cell first reached 0.9), so one
run does not rank the cells. What holds on every seed is the GRU's quarter
fewer recurrent weights and its cheaper step. Training times are wall-clock
and vary with the machine's load.

It prints, per task and cell, the metric, the parameter count and the training
time, and writes them to results.json, with gru_model.png (the two learning
curves and the times), to runs/examples/gru_model/ (or to --out). --quick makes
everything small (for CI).
"""
import argparse
import json
import os

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
parser.add_argument("--out", default="runs/examples/gru_model", help="folder for the figures and results.json")
args = parser.parse_args()
H, sine_epochs, n_strings, text_epochs = (8, 2, 300, 2) if args.quick else (32, 10, 2000, 16)
os.makedirs(args.out, exist_ok=True)

# 1. data for task 1: the noisy sine, scaled to [-1, 1] and windowed by minilstm.data
sine = data.sine_wave(n_points=1000, window=20, noise=0.1, dt=20 * np.pi / 999, fractions=(0.8, 0.2), seed=0)
sine_train, sine_test = data.chronological_split(sine)
scaler = sine.meta["scaler"]

# 1. data for task 2: embedded Reber strings (label 1) and near-misses (label 0), padded, with their lengths
strings, _ = data.reber_strings(n_strings, embedded=True, seed=0)
labels = np.random.default_rng(0).integers(0, 2, n_strings)      # half of them become near-misses
flip = {"T": "P", "P": "T"}
strings = [s if y else s[:-2] + flip[s[-2]] + s[-1] for s, y in zip(strings, labels)]
symbols = data.reber.SYMBOLS                                     # "BTPSXVE": token ids 0..6
lengths = np.array([len(s) for s in strings])
X = np.zeros((n_strings, lengths.max()), dtype=np.int64)         # (N, T) token ids, padded with 0
for row, s in enumerate(strings):
    X[row, :len(s)] = [symbols.index(c) for c in s]
text_train, text_val = data.split(data.Dataset(X, labels.astype(np.int64), lengths, kind="classify_last"),
                                  (0.8, 0.2), seed=0)

# 2. and 3. the same two models with each cell, trained the same way
results = {}
for Cell in (minilstm.LSTM, minilstm.GRU):
    name = Cell.__name__
    forecaster = minilstm.Sequential(
        Cell(1, H, batch_first=True, seed=0),
        minilstm.LastStep(),
        minilstm.Linear(H, 1, seed=0),
    )
    sine_history = minilstm.train(forecaster, sine_train, val_data=sine_test, optimizer="adam", lr=1e-3,
                                  epochs=sine_epochs, batch_size=32, clip_norm=1.0, seed=0, progress=False,
                                  metrics={"rmse": lambda pred, ds: data.rmse(pred, ds.Y, scaler)})
    classifier = minilstm.Sequential(
        minilstm.Embedding(len(symbols), 8, seed=0),
        Cell(8, H, input_dropout=0.2, recurrent_dropout=0.2, batch_first=True, seed=0),
        minilstm.LastStep(),
        minilstm.Linear(H, 2, seed=0),
    )
    text_history = minilstm.train(classifier, text_train, val_data=text_val, optimizer="adam", lr=1e-3,
                                  epochs=text_epochs, batch_size=32, clip_norm=1.0, seed=0, progress=False,
                                  metrics={"accuracy": lambda pred, ds: data.class_accuracy(pred, ds.Y)})
    results[name] = dict(sine=sine_history, text=text_history,
                         sine_params=forecaster.num_params, text_params=classifier.num_params)

# 4. the result: metric, parameters and training time of each cell on each task
print(f"{'task':32s} {'cell':5s} {'metric':>8s} {'params':>7s} {'time':>7s}")
for name, r in results.items():
    print(f"{'sine, test RMSE (noise 0.1)':32s} {name:5s} {r['sine']['val_rmse'][-1]:8.4f} "
          f"{r['sine_params']:7,d} {sum(r['sine']['time']):6.1f}s")
for name, r in results.items():
    print(f"{'Reber, val accuracy (chance 0.5)':32s} {name:5s} {r['text']['val_accuracy'][-1]:8.3f} "
          f"{r['text_params']:7,d} {sum(r['text']['time']):6.1f}s")

# 5. the plot: learning curves on both tasks, and the training times
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4))
for name, r in results.items():
    ax1.plot(r["sine"]["epoch"], r["sine"]["val_rmse"], marker=".", label=f"{name} ({r['sine_params']:,} params)")
    ax2.plot(r["text"]["epoch"], r["text"]["val_accuracy"], marker=".",
             label=f"{name} ({r['text_params']:,} params)")
ax1.axhline(0.1, color="gray", linestyle="--", label="noise level (the floor)")
ax1.set(xlabel="epoch", ylabel="test RMSE, original units", title="sine forecaster")
ax1.legend()
ax2.axhline(0.5, color="gray", linestyle="--", label="chance")
ax2.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0.4, 1.02), title="Reber strings against near-misses")
ax2.legend()
names, width = list(results), 0.35
for k, task in enumerate(("sine", "text")):
    seconds = [sum(results[name][task]["time"]) for name in names]
    ax3.bar(np.arange(len(names)) + (k - 0.5) * width, seconds, width, label=("sine", "Reber")[k])
ax3.set_xticks(np.arange(len(names)), names)
ax3.set(ylabel="training time (s), wall clock", title="time to train (the same epochs for both cells)")
ax3.set_ylim(0, 1.3 * ax3.get_ylim()[1])
ax3.legend(loc="upper center", ncol=2)
fig.suptitle(f"LSTM against GRU, hidden size {H}, the same seeds and settings")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "gru_model.png"), dpi=100)

# 6. the numbers printed above, for whoever reads them by program: each cell's own
numbers = {"quick": args.quick, "sine_epochs": sine_epochs, "reber_epochs": text_epochs}
for name, r in results.items():
    first_at_90 = [e for e, a in zip(r["text"]["epoch"], r["text"]["val_accuracy"]) if a >= 0.9]
    numbers[name] = {"sine_test_rmse": r["sine"]["val_rmse"][-1], "sine_params": r["sine_params"],
                     "sine_train_seconds": sum(r["sine"]["time"]),
                     "reber_val_accuracy": r["text"]["val_accuracy"][-1], "reber_params": r["text_params"],
                     "reber_train_seconds": sum(r["text"]["time"]),
                     "reber_first_epoch_at_0.9": first_at_90[0] if first_at_90 else None}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(numbers, f, indent=2)
print(f"wrote gru_model.png and results.json to {args.out}")
