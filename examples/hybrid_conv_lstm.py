"""A convolution feeding an LSTM (the "HLSTM" hybrid) against a plain LSTM, on the noisy sine wave.

Run: python examples/hybrid_conv_lstm.py [--quick] [--out DIR]

The hybrid of the articles: a Conv1d over time (kernel 3, padding 1, stride 1)
and a ReLU turn each step into 16 local features (the step and its two
neighbours), a 2-layer LSTM (hidden 16) reads them, and a Linear head forecasts
the next value from the last step. In PyTorch:

    x = relu(conv(x.transpose(1, 2))).transpose(1, 2)   # nn.Conv1d(1, 16, 3, padding=1)
    out, _ = lstm(x)                                    # nn.LSTM(16, 16, num_layers=2, batch_first=True)
    y = fc(out[:, -1])                                  # nn.Linear(16, 1)

minilstm's Conv1d takes batch-first sequences with the channels last, so no
transposes. In the same run a plain 2-layer LSTM with hidden 18 (about as many
parameters) learns the same data: the noisy sine of examples/sine_forecaster.py
(t = linspace(0, 20 pi, 1000), noise 0.1, 80/20 chronological split, [-1, 1]
scaling fitted on the training part, windows of 20, Adam 1e-3, batch 32,
clipping 1.0). It prints both test RMSEs in original units (the noise, 0.1, is
the best possible) and writes them to results.json, with
hybrid_conv_lstm_loss.png and hybrid_conv_lstm_prediction.png, to
runs/examples/hybrid_conv_lstm/ (or to --out). On this one smooth series both
end within a few per cent of the noise level: the convolution buys nothing
measurable here, and costs a little time.
--quick trains both briefly (for CI).
"""
import argparse
import json
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="a few epochs, a few seconds")
parser.add_argument("--out", default="runs/examples/hybrid_conv_lstm", help="folder for the figures and results.json")
args = parser.parse_args()
epochs = 2 if args.quick else 30
os.makedirs(args.out, exist_ok=True)

# 1. data: the noisy sine, windows of 20 steps -> the next value (see examples/sine_forecaster.py)
n_points, noise = 1000, 0.1
dataset = data.sine_wave(n_points=n_points, window=20, noise=noise, dt=20 * np.pi / (n_points - 1),
                         fractions=(0.8, 0.2), seed=0)
scaler = dataset.meta["scaler"]
train_set, test_set = data.chronological_split(dataset)

# 2. two models of about the same size
models = {
    "Conv1d + LSTM": minilstm.Sequential(
        minilstm.Conv1d(1, 16, kernel_size=3, stride=1, padding=1, seed=0),  # (B, 20, 1) -> (B, 20, 16)
        minilstm.ReLU(),
        minilstm.LSTM(16, 16, num_layers=2, batch_first=True, seed=0),       # -> (B, 20, 16)
        minilstm.LastStep(),                                                 # -> (B, 16)
        minilstm.Linear(16, 1, seed=0),                                      # -> (B, 1)
    ),
    "LSTM": minilstm.Sequential(
        minilstm.LSTM(1, 18, num_layers=2, batch_first=True, seed=0),        # (B, 20, 1) -> (B, 20, 18)
        minilstm.LastStep(),
        minilstm.Linear(18, 1, seed=0),
    ),
}
print(models["Conv1d + LSTM"])

# 3. training: the same data, optimizer, batches and epochs for both
histories, preds, results = {}, {}, {"quick": args.quick, "epochs": epochs, "noise": noise}
for name, model in models.items():
    start = time.perf_counter()
    histories[name] = minilstm.train(model, train_set, val_data=test_set, optimizer="adam", lr=1e-3,
                                     epochs=epochs, batch_size=32, clip_norm=1.0, seed=0, progress=False)
    seconds = time.perf_counter() - start
    # 4. result: the test RMSE in original units
    preds[name] = minilstm.predict(model, test_set)
    test_rmse = data.rmse(preds[name], test_set.Y, scaler)
    print(f"{name:14s} {model.num_params:5d} parameters, {seconds:5.1f} s of training: "
          f"test RMSE {test_rmse:.4f} (noise level {noise})")
    results[name] = {"params": model.num_params, "train_seconds": seconds, "test_rmse": test_rmse}

fig, ax = plt.subplots(figsize=(6, 4))
for k, (name, history) in enumerate(histories.items()):
    ax.plot(history["epoch"], history["train_loss"], color=f"C{k}", linestyle="--", label=f"{name}, train")
    ax.plot(history["epoch"], history["val_loss"], color=f"C{k}", label=f"{name}, test")
ax.set(xlabel="epoch", ylabel="MSE on scaled values (log scale)", yscale="log",
       title="Conv1d + LSTM against a plain LSTM: loss per epoch")
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(args.out, "hybrid_conv_lstm_loss.png"), dpi=100)
plt.close(fig)

t_test = dataset.meta["t"][-len(test_set):]           # the test windows' targets are the last points
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(t_test, scaler.inverse_transform(test_set.Y)[:, 0], ".", color="0.6", label="observed: sin(t) + noise")
for k, (name, pred) in enumerate(preds.items()):
    rmse = data.rmse(pred, test_set.Y, scaler)
    ax.plot(t_test, scaler.inverse_transform(pred)[:, 0], color=f"C{k}", label=f"{name} (RMSE {rmse:.3f})")
ax.set(xlabel="t", ylabel="x(t)", ylim=(-1.4, 1.7), title="one-step forecasts on the test part, original units")
ax.legend(loc="upper center", ncol=3, fontsize="small")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "hybrid_conv_lstm_prediction.png"), dpi=100)
plt.close(fig)

# the numbers printed above, for whoever reads them by program
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote hybrid_conv_lstm_loss.png, hybrid_conv_lstm_prediction.png and results.json to {args.out}")
