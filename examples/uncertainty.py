"""A forecaster that says how sure it is: an LSTM with a Gaussian head, trained with the NLL.

Run: python examples/uncertainty.py [--quick] [--out DIR]

The sine forecaster of examples/sine_forecaster.py (t = linspace(0, 20 pi, 1000),
sin(t) + noise 0.1, 80/20 chronological split, [-1, 1] scaling fitted on the
training part, windows of 20, Adam 1e-3, batch 32, clipping 1.0) with its Linear
head replaced by a GaussianHead: for each window it predicts a mean and a
variance, and it is trained with the Gaussian negative log-likelihood
(as ``torch.nn.GaussianNLLLoss``), ``(1/2) (log var + (y - mean)^2 / var)``.
A variance that is too small is punished by the squared error it divides;
one too large by the log. Here the noise is the same everywhere (sigma 0.1), so
a calibrated model predicts sigma near 0.1 and about 95 % of the test points
fall inside its mean +- 2 sigma band.

The head returns ``(mean, var)`` and its backward takes ``(dmean, dvar)``;
``minilstm.train(..., loss="gaussian_nll_loss")`` carries both pairs through the model.

It prints the test RMSE of the mean, the mean predicted sigma and the share of
test points inside the band, and writes them to results.json, with
uncertainty_loss.png (NLL per epoch) and uncertainty_band.png (the mean with its
+-2 sigma band against the truth, in original units), to
runs/examples/uncertainty/ (or to --out). --quick trains briefly (for CI).
"""
import argparse
import json
import math
import os

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="a small model, a few epochs, a few seconds")
parser.add_argument("--out", default="runs/examples/uncertainty", help="folder for the figures and results.json")
args = parser.parse_args()
H, epochs = (8, 3) if args.quick else (32, 60)
os.makedirs(args.out, exist_ok=True)

# 1. data: the noisy sine, windows of 20 steps -> the next value (see examples/sine_forecaster.py)
n_points, noise = 1000, 0.1
dataset = data.sine_wave(n_points=n_points, window=20, noise=noise, dt=20 * np.pi / (n_points - 1),
                         fractions=(0.8, 0.2), seed=0)
scaler = dataset.meta["scaler"]
train_set, test_set = data.chronological_split(dataset)

# 2. model: (B, 20, 1) -> (B, 20, H) -> (B, H) -> mean (B, 1), var (B, 1)
model = minilstm.Sequential(
    minilstm.LSTM(1, H, batch_first=True, seed=0),
    minilstm.LastStep(),
    minilstm.GaussianHead(H, 1, seed=0),               # var = softplus(x W_v^T + b_v) + 1e-6 > 0
)
print(model)

# 3. training: the Gaussian NLL (as torch.nn.GaussianNLLLoss), Adam, the global gradient norm clipped to 1
history = minilstm.train(model, train_set, val_data=test_set, loss="gaussian_nll_loss", optimizer="adam", lr=1e-3,
                         epochs=epochs, batch_size=32, clip_norm=1.0, seed=0, progress=False)
print(f"after {epochs} epochs: NLL {history['train_loss'][-1]:.3f} (train), {history['val_loss'][-1]:.3f} (test)")

# 4. result, in original units: the band's edges go through the same linear inverse transform as the mean
mean, var = minilstm.predict(model, test_set)          # (180, 1) each, scaled
sigma = np.sqrt(var)
mean_orig = scaler.inverse_transform(mean)[:, 0]
lower = scaler.inverse_transform(mean - 2 * sigma)[:, 0]
upper = scaler.inverse_transform(mean + 2 * sigma)[:, 0]
truth_orig = scaler.inverse_transform(test_set.Y)[:, 0]
test_rmse = data.rmse(mean, test_set.Y, scaler)
inside = np.mean((lower <= truth_orig) & (truth_orig <= upper))
sigma_orig = np.mean(upper - lower) / 4
calibrated = math.erf(2 / math.sqrt(2))               # P(|y - mean| < 2 sigma) for a Gaussian
print(f"test RMSE of the mean {test_rmse:.4f} (noise level {noise}); mean predicted sigma {sigma_orig:.4f}; "
      f"{inside:.1%} of the test points inside mean +- 2 sigma ({calibrated:.1%} for a calibrated Gaussian)")

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(history["epoch"], history["train_loss"], label="train (80 %)")
ax.plot(history["epoch"], history["val_loss"], label="test (20 %)")
ax.set(xlabel="epoch", ylabel="Gaussian NLL on scaled values", title=f"LSTM({H}) + GaussianHead: NLL per epoch")
ax.legend()
fig.tight_layout()
fig.savefig(os.path.join(args.out, "uncertainty_loss.png"), dpi=100)
plt.close(fig)

t_test = dataset.meta["t"][-len(test_set):]           # the test windows' targets are the last points
fig, ax = plt.subplots(figsize=(8, 4))
ax.fill_between(t_test, lower, upper, color="C1", alpha=0.25, linewidth=0, label="mean ± 2σ")
ax.plot(t_test, np.sin(t_test), color="0.3", linewidth=1, label="sin(t) without noise")
ax.plot(t_test, mean_orig, color="C1", label="predicted mean")
ax.plot(t_test, truth_orig, ".", color="C0", markersize=4, label="observed: sin(t) + noise")
ax.set(xlabel="t", ylabel="x(t)", ylim=(-1.5, 1.9),
       title=f"one-step forecasts with a band: {inside:.0%} of the test points inside, RMSE {test_rmse:.3f}")
ax.legend(loc="upper center", ncol=4, fontsize="small")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "uncertainty_band.png"), dpi=100)
plt.close(fig)

# the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs, "train_nll": history["train_loss"][-1],
           "test_nll": history["val_loss"][-1], "noise": noise, "test_rmse": test_rmse,
           "mean_predicted_sigma": float(sigma_orig), "inside_band": float(inside),
           "inside_band_if_calibrated": calibrated}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote uncertainty_loss.png, uncertainty_band.png and results.json to {args.out}")
