"""The article's attention forecaster: a 2-layer LSTM, 4-head self-attention, the last step, a Linear head.

Run: python examples/attention_forecaster.py [--quick] [--out DIR]

The forecasting article ends by adding ``nn.MultiheadAttention(embed_dim=hidden_size,
num_heads=4)`` on the LSTM's outputs: every step's output attends over every step
(self-attention, four heads of hidden_size / 4 features each), and the head reads
the attended last step. Here, on the noisy sine of examples/sine_forecaster.py
(1000 points, noise 0.1, windows of 20 steps, an 80/20 chronological split):
1. the plain model, LSTM(1, H, num_layers=2) -> last step -> Linear(H, 1), and
2. the article's, LSTM(1, H, num_layers=2) -> MultiheadAttention(H, 4) -> last
   step -> Linear(H, 1), both trained alike (Adam, lr 1e-3, batch 32, clip 1.0);
3. the attention model's gradients are checked in float64 (a copy of the trained
   weights, ``minilstm.gradcheck``), and the trained model's four heads are drawn for
   one test window (``minilstm.inspect.attention_maps``, ``minilstm.plot.attention_maps``);
4. the article's PyTorch module (defined below, when torch is installed) loads into the
   same Sequential in one call, ``model.load_state_dict(torch_model)``, and the two
   predict the same.

It prints each model's test RMSE (original units, against the noise 0.1 and
against repeating the last value), the gradient check's worst error and the
largest difference from PyTorch, and writes them to results.json, with
attention_forecaster_maps.png (the four heads' weights, query step down, key
step across) and attention_forecaster_prediction.png (both forecasts on the
test part), to runs/examples/attention_forecaster/ (or to --out). --quick makes
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
parser.add_argument("--quick", action="store_true", help="a small model, a few epochs, a few seconds")
parser.add_argument("--out", default="runs/examples/attention_forecaster",
                    help="folder for the figures and results.json")
args = parser.parse_args()
H, epochs = (8, 2) if args.quick else (32, 30)
HEADS = 4
os.makedirs(args.out, exist_ok=True)

# 1. data: the noisy sine, split 80/20 in time order, scaled to [-1, 1] on the training part, windows of 20
n_points, window, noise = 1000, 20, 0.1
dataset = data.sine_wave(n_points=n_points, window=window, noise=noise, dt=20 * np.pi / (n_points - 1),
                         fractions=(0.8, 0.2), seed=0)
scaler, t = dataset.meta["scaler"], dataset.meta["t"]
train_set, test_set = data.chronological_split(dataset)
print(f"{len(train_set)} training and {len(test_set)} test windows of {window} steps")


# 2. the two models, batch-first (B, 20, 1) in; named as the article's attributes, so its weights load by name
def forecaster(attention, seed=0, dtype="float32"):
    """LSTM(1, H, 2 layers) [-> MultiheadAttention(H, 4)] -> the last step -> Linear(H, 1)."""
    parts = {"lstm": minilstm.LSTM(1, H, num_layers=2, batch_first=True, seed=seed, dtype=dtype)}
    if attention:  # time-major as PyTorch's default (batch_first=False): the Sequential turns it at its edges
        parts["attention"] = minilstm.MultiheadAttention(embed_dim=H, num_heads=HEADS, seed=seed + 1, dtype=dtype)
    parts["last"] = minilstm.LastStep()                                # out[:, -1]
    parts["fc"] = minilstm.Linear(H, 1, seed=seed + 2, dtype=dtype)
    return minilstm.Sequential(**parts)


models = {"LSTM": forecaster(attention=False), "LSTM + attention": forecaster(attention=True)}
print(models["LSTM + attention"])

# 3. training, each model alike; the test RMSE in original units
rmse, histories, preds = {}, {}, {}
for name, model in models.items():
    histories[name] = minilstm.train(model, train_set, val_data=test_set, optimizer="adam", lr=1e-3,
                                     epochs=epochs, batch_size=32, clip_norm=1.0, seed=0, progress=False)
    preds[name] = minilstm.predict(model, test_set)
    rmse[name] = data.rmse(preds[name], test_set.Y, scaler)
    print(f"{name:<17} test RMSE {rmse[name]:.4f}  ({model.num_params:,} parameters, "
          f"{sum(histories[name]['time']):.1f} s of training)")
naive = data.rmse(test_set.X[:, -1], test_set.Y, scaler)
print(f"noise level {noise}; repeating the last value gives {naive:.4f}")

# 4. its gradients, checked in float64 on the trained weights (every parameter and the input, a few windows)
model = models["LSTM + attention"]
model64 = forecaster(attention=True, dtype="float64")
model64.load_state_dict(model.state_dict())
report = minilstm.gradcheck(model64, test_set.X[:3], max_entries=10)
print(f"gradient check (float64, {sum(report.checked.values())} entries): worst error beyond the noise "
      f"{report.worst:.1e}, passed: {report.passed()}")

# 5. the attention maps of one test window: every query step's weights over the key steps, per head
maps = minilstm.inspect.attention_maps(model, test_set.X[:1])["attention"]     # (1, 4, 20, 20)
minilstm.plot.attention_maps(maps, path=os.path.join(args.out, "attention_forecaster_maps.png"),
                             title="the trained model's four heads on test window 0 (row: query step)")
recent = [float(w) for w in maps[0, :, -1, -5:].sum(axis=-1)]              # the last query step's, per head
print(f"weight of the last query step on the last 5 steps, per head: {', '.join(f'{w:.2f}' for w in recent)} "
      f"(spread evenly: {5 / window:.2f})")

fig, ax = plt.subplots(figsize=(8, 4))
t_test = t[-len(test_set):]
ax.plot(t_test, scaler.inverse_transform(test_set.Y)[:, 0], ".", color="0.6", label="observed")
for k, name in enumerate(models):
    ax.plot(t_test, scaler.inverse_transform(preds[name])[:, 0], color=f"C{k}", label=f"{name}: RMSE {rmse[name]:.3f}")
ax.set(xlabel="t", ylabel="x(t)", title="one-step forecasts on the test part", ylim=(-1.4, 1.7))
ax.legend(loc="upper center", ncol=3, fontsize="small")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "attention_forecaster_prediction.png"), dpi=100)
plt.close(fig)

# 6. the article's PyTorch module, loaded into the same architecture in one call
torch_difference = None
try:
    import torch
except ImportError:
    print("torch is not installed (pip install 'minilstm[torch]'): the PyTorch comparison is skipped")
else:
    class Forecaster(torch.nn.Module):
        """The article's model: LSTM -> MultiheadAttention (time-major) -> last step -> Linear."""

        def __init__(self, hidden_size):
            super().__init__()
            self.lstm = torch.nn.LSTM(1, hidden_size, num_layers=2, batch_first=True)
            self.attention = torch.nn.MultiheadAttention(embed_dim=hidden_size, num_heads=4)
            self.fc = torch.nn.Linear(hidden_size, 1)

        def forward(self, x):
            out, _ = self.lstm(x)                        # (B, T, H)
            out = out.transpose(0, 1)                    # (T, B, H): the attention's default layout
            out, _ = self.attention(out, out, out)
            return self.fc(out[-1])                      # the last step

    torch.manual_seed(0)
    torch_model = Forecaster(H).eval()
    loaded = forecaster(attention=True)
    loaded.load_state_dict(torch_model)                  # keys lstm.*, attention.*, fc.*: one call
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(test_set.X.astype(np.float32))).numpy()
    torch_difference = float(np.max(np.abs(minilstm.predict(loaded, test_set) - theirs)))
    print(f"the article's PyTorch module loaded in one call: largest difference of the {len(test_set)} test "
          f"predictions {torch_difference:.1e} (float32)")

# the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs, "hidden": H, "heads": HEADS, "noise": noise,
           "LSTM": {"test_rmse": rmse["LSTM"], "params": models["LSTM"].num_params},
           "LSTM + attention": {"test_rmse": rmse["LSTM + attention"], "params": model.num_params},
           "repeat_last_value_rmse": naive, "gradcheck_worst": report.worst, "gradcheck_passed": report.passed(),
           "last_query_weight_on_last_5_steps": recent, "spread_evenly": 5 / window,
           "torch_max_abs_difference": torch_difference}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote attention_forecaster_maps.png, attention_forecaster_prediction.png and results.json to {args.out}")
