"""The articles' LSTMPredictor: a 2-layer LSTM over 5 features, a Linear head on the last step, 2 outputs.

Run: python examples/lstm_predictor.py [--quick] [--out DIR]

The PyTorch original:

    class LSTMPredictor(nn.Module):
        def __init__(self, input_size=5, hidden_size=32, num_layers=2, output_size=2):
            super().__init__()
            self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
            self.fc = nn.Linear(hidden_size, output_size)

        def forward(self, x):                 # x: (B, T, 5)
            out, _ = self.lstm(x)             # (B, T, 32)
            return self.fc(out[:, -1])        # (B, 2)

Here it is a Sequential of LSTM, LastStep and Linear, with the same parameter
names (``0.weight_ih_l0`` ... ``2.bias``; ``keys={"lstm": "0", "fc": "2"}`` maps a
trained LSTMPredictor's state_dict onto it).

The data, generated here from a seeded NumPy generator: 2000 sequences of 20
steps, 5 features drawn from N(0, 1), and two targets that need the whole
sequence:
- y0, a gated total: the sum of feature 0 over the steps where feature 3 is
  positive (feature 3 says whether feature 0 counts, as an LSTM's input gate does);
- y1, a recency-weighted average of feature 1, the weight of a step falling by
  0.8 per step back in time (an exponential moving average);
- features 2 and 4 are noise the model must learn to ignore.
Both targets are scaled to about unit variance, so a model that learned nothing
(always the mean) has an RMSE near 1 and an R^2 of 0. The sequences are split
80/10/10 into training, validation and test sets; Adam, lr 1e-3, batch 32,
the gradient norm clipped to 1.0, mean squared error.

It prints the test RMSE and R^2 of each target and writes them to results.json,
with lstm_predictor_loss.png (loss per epoch) and lstm_predictor_scatter.png
(predicted against true, per target), to runs/examples/lstm_predictor/ (or to
--out). --quick trains a small model briefly (for CI).
"""
import argparse
import json
import os

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data, plot

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="a small model, a few epochs, a few seconds")
parser.add_argument("--out", default="runs/examples/lstm_predictor", help="folder for the figures and results.json")
args = parser.parse_args()
N, H, epochs = (400, 8, 2) if args.quick else (2000, 32, 25)
os.makedirs(args.out, exist_ok=True)

# 1. data: X (N, 20, 5) from N(0, 1); Y (N, 2) from it
T = 20
rng = np.random.default_rng(0)
X = rng.standard_normal((N, T, 5)).astype(np.float32)
gated_total = np.sum(X[:, :, 0] * (X[:, :, 3] > 0), axis=1) / np.sqrt(T / 2)  # feature 0 where feature 3 > 0
decay = 0.8 ** np.arange(T - 1, -1, -1)                                      # 0.8^19, ..., 0.8, 1 (the last step)
moving_average = X[:, :, 1] @ decay / np.sqrt(decay @ decay)
Y = np.stack([gated_total, moving_average], axis=1).astype(np.float32)
train_set, val_set, test_set = data.split(data.Dataset(X, Y), fractions=(0.8, 0.1, 0.1), seed=0)
print(f"{len(train_set)} training, {len(val_set)} validation and {len(test_set)} test sequences; "
      f"X {X.shape}, Y {Y.shape}")

# 2. model: (B, 20, 5) -> LSTM, 2 layers -> (B, 20, H) -> last step (B, H) -> Linear (B, 2)
model = minilstm.Sequential(
    minilstm.LSTM(5, H, num_layers=2, batch_first=True, seed=0),
    minilstm.LastStep(),                              # out[:, -1]
    minilstm.Linear(H, 2, seed=0),
)
print(model)

# 3. training
history = minilstm.train(model, train_set, val_data=val_set, optimizer="adam", lr=1e-3, epochs=epochs,
                         batch_size=32, clip_norm=1.0, seed=0, progress=False)

# 4. result: RMSE and R^2 = 1 - (squared error) / (variance) of each target on the test set
pred = minilstm.predict(model, test_set)             # (200, 2)
rmse = np.sqrt(np.mean((pred - test_set.Y) ** 2, axis=0))
r2 = 1 - rmse ** 2 / np.var(test_set.Y, axis=0)
names = ("y0, gated total", "y1, moving average")
for name, e, r in zip(names, rmse, r2):
    print(f"test {name:19s} RMSE {e:.3f}, R^2 {r:.3f}  (always the mean: RMSE about 1, R^2 0)")

plot.loss_curves(history, path=os.path.join(args.out, "lstm_predictor_loss.png"),
                 title=f"LSTMPredictor (2 x LSTM({H}) + Linear): MSE per epoch")
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
for k, ax in enumerate(axes):
    ax.plot(test_set.Y[:, k], pred[:, k], ".", alpha=0.6)
    lim = np.abs(test_set.Y[:, k]).max() * 1.1
    ax.plot([-lim, lim], [-lim, lim], color="0.5", linewidth=1, label="prediction = truth")
    ax.set(xlabel="true value", ylabel="predicted value", xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal",
           title=f"{names[k]}: $R^2$ = {r2[k]:.2f}")
    ax.legend(loc="upper left")
fig.suptitle(f"LSTMPredictor on {len(test_set)} test sequences")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "lstm_predictor_scatter.png"), dpi=100)
plt.close(fig)

# the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs}
results.update({name: {"test_rmse": float(e), "test_r2": float(r)} for name, e, r in zip(names, rmse, r2)})
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote lstm_predictor_loss.png, lstm_predictor_scatter.png and results.json to {args.out}")
