"""Forecasting a noisy sine wave with an LSTM: the tutorial pipeline, step by step.

Run: python examples/sine_forecaster.py [--quick] [--out DIR]

The pipeline of the usual PyTorch/Keras time-series tutorial:
1. data: t = linspace(0, 20 pi, 1000), x = sin(t) + noise (sigma 0.1, seeded),
   an 80/20 chronological split, min-max scaling to [-1, 1] fitted on the
   training part only, and windows of 20 steps whose target is the next value.
   `minilstm.data.sine_wave` does all of it; each window lies inside one part,
   so no test value is ever an input of a training window (780 training and
   180 test windows, where cutting 980 windows 80/20 would give 784 and 196).
2. model: LSTM(1, 32) -> last step -> Linear(32, 1), as
   `nn.LSTM(1, 32, batch_first=True)` + `nn.Linear(32, 1)` on `out[:, -1]`.
3. training: Adam, lr 1e-3, batch 32, the gradient norm clipped to 1.0.
4. result: the test RMSE in original units (after the inverse transform),
   against the noise level 0.1: no forecast can predict the next step's fresh
   noise, so about 0.1 is the best possible.

It prints the test RMSE and writes it to results.json, with
sine_forecaster_loss.png (training and test loss per epoch) and
sine_forecaster_prediction.png (the forecast on the test part, in original
units), to runs/examples/sine_forecaster/ (or to --out). --quick trains a small
model briefly (for CI).
"""
import argparse
import json
import os

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="a small model, a few epochs, a few seconds")
parser.add_argument("--out", default="runs/examples/sine_forecaster", help="folder for the figures and results.json")
args = parser.parse_args()
H, epochs = (8, 3) if args.quick else (32, 30)
os.makedirs(args.out, exist_ok=True)

# 1. data: 1000 points of sin(t) + noise over 10 periods, split 80/20 in time order, scaled, windowed
n_points, window, noise = 1000, 20, 0.1
dataset = data.sine_wave(n_points=n_points, window=window, noise=noise, dt=20 * np.pi / (n_points - 1),
                         fractions=(0.8, 0.2), seed=0)
t = dataset.meta["t"]                                  # 0, dt, ..., 20 pi: np.linspace(0, 20 * np.pi, 1000)
scaler = dataset.meta["scaler"]                        # MinMaxScaler to [-1, 1], fitted on the first 800 points
train_set, test_set = data.chronological_split(dataset)
print(f"{len(train_set)} training and {len(test_set)} test windows; X {train_set.X.shape}, Y {train_set.Y.shape}")

# 2. model: batch-first (B, 20, 1) -> (B, 20, H) -> (B, H) -> (B, 1)
model = minilstm.Sequential(
    minilstm.LSTM(1, H, batch_first=True, seed=0),
    minilstm.LastStep(),                               # out[:, -1]
    minilstm.Linear(H, 1, seed=0),
)
print(model)

# 3. training: mean squared error on the scaled values; the test loss is logged each epoch (never chosen on)
history = minilstm.train(model, train_set, val_data=test_set, optimizer="adam", lr=1e-3, epochs=epochs,
                         batch_size=32, clip_norm=1.0, seed=0, progress=False)

# 4. result: predictions back in original units
pred = minilstm.predict(model, test_set)               # (180, 1), scaled
pred_orig = scaler.inverse_transform(pred)[:, 0]
truth_orig = scaler.inverse_transform(test_set.Y)[:, 0]   # the noisy next values
t_test = t[-len(test_set):]                            # the test windows' targets are the last points
test_rmse = data.rmse(pred, test_set.Y, scaler)
naive_rmse = data.rmse(test_set.X[:, -1], test_set.Y, scaler)  # "tomorrow = today": repeat the last input
print(f"test RMSE {test_rmse:.4f} in original units (noise level {noise}; "
      f"repeating the last value gives {naive_rmse:.4f})")

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(history["epoch"], history["train_loss"], label="train (80 %)")
ax.plot(history["epoch"], history["val_loss"], label="test (20 %)")
ax.set(xlabel="epoch", ylabel="MSE on scaled values (log scale)", yscale="log",
       title=f"LSTM(1, {H}) on the noisy sine: loss per epoch")
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(args.out, "sine_forecaster_loss.png"), dpi=100)
plt.close(fig)

fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(t_test, truth_orig, ".", color="0.6", label="observed: sin(t) + noise")
ax.plot(t_test, np.sin(t_test), color="0.3", linewidth=1, label="sin(t) without noise")
ax.plot(t_test, pred_orig, color="C1", label="LSTM forecast (one step ahead)")
ax.set(xlabel="t", ylabel="x(t)", title=f"one-step forecasts on the test part: RMSE {test_rmse:.3f} (noise {noise})")
ax.set_ylim(-1.4, 1.7)
ax.legend(loc="upper center", ncol=3, fontsize="small")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "sine_forecaster_prediction.png"), dpi=100)
plt.close(fig)

# the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs, "train_windows": len(train_set), "test_windows": len(test_set),
           "noise": noise, "test_rmse": test_rmse, "repeat_last_value_rmse": naive_rmse}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote sine_forecaster_loss.png, sine_forecaster_prediction.png and results.json to {args.out}")
