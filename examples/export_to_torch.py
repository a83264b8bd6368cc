"""Deployment by export: train in minilstm, load into PyTorch, then TorchScript and dynamic quantization.

Run: python examples/export_to_torch.py [--quick] [--out DIR]
Needs PyTorch: pip install 'minilstm[torch]'.

The forecasting article's deployment step, from a model trained here:
1. train the article's forecaster in minilstm on the noisy sine of
   examples/sine_forecaster.py: LSTM(1, H, num_layers=2) -> MultiheadAttention(H,
   4) -> last step -> Linear(H, 1), its modules named as the PyTorch module's
   attributes (``lstm``, ``attention``, ``fc``), the same model, seeds and training
   as examples/attention_forecaster.py's;
2. ``model.state_dict(format="torch")`` gives torch tensors under PyTorch's keys,
   and the equivalent ``torch.nn.Module`` (defined below) loads them with its own
   ``load_state_dict``, strictly: every key and shape must match;
3. ``torch.jit.script`` compiles it to TorchScript (a file that runs without this
   Python code, in C++ too), saved and loaded back;
4. ``torch.ao.quantization.quantize_dynamic`` stores the LSTM's and the Linear's
   weights as 8-bit integers (activations quantized on the fly); the attention's
   projections stay float32, as PyTorch leaves ``MultiheadAttention``. It is
   scripted and saved too.
Each step's predictions on the 180 test windows are compared with minilstm's: the
float32 ones agree to rounding, the quantized ones to the 8-bit weights' error,
which the test RMSE shows is far below the noise.

PyTorch 2.13 marks ``torch.jit`` and ``torch.ao.quantization`` deprecated (their
successors are ``torch.export`` and torchao); they still work, and this example
silences their deprecation warnings, saying so when it runs.

It prints the largest difference from minilstm's predictions (on the scaled
values the models output) and the test RMSE
for each form, with the file sizes (minilstm's checkpoint, the state dict, the
scripted and the quantized scripted module), and writes them to results.json,
with export_to_torch.png (minilstm's forecast against the quantized module's),
to runs/examples/export_to_torch/ (or to --out). --quick trains a small model
briefly (for CI).
"""
import argparse
import json
import os
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data

try:
    import torch
    from torch import nn
except ImportError:
    sys.exit("this example needs PyTorch: pip install 'minilstm[torch]'")

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="a small model, a few epochs, a few seconds")
parser.add_argument("--out", default="runs/examples/export_to_torch", help="folder for the files and results.json")
args = parser.parse_args()
H, epochs = (8, 2) if args.quick else (32, 30)
os.makedirs(args.out, exist_ok=True)
for message in ("torch.ao.quantization is deprecated", "`torch.jit.", "torch.quantize_per_tensor"):
    warnings.filterwarnings("ignore", message=message)   # PyTorch 2.13 deprecates the article's path
print("note: PyTorch marks torch.jit and torch.ao.quantization deprecated (torch.export and torchao replace "
      "them); their warnings are silenced here")

# 1. data and training in minilstm
n_points, window, noise = 1000, 20, 0.1
dataset = data.sine_wave(n_points=n_points, window=window, noise=noise, dt=20 * np.pi / (n_points - 1),
                         fractions=(0.8, 0.2), seed=0)
scaler = dataset.meta["scaler"]
train_set, test_set = data.chronological_split(dataset)
model = minilstm.Sequential(lstm=minilstm.LSTM(1, H, num_layers=2, batch_first=True, seed=0),
                            attention=minilstm.MultiheadAttention(H, 4, seed=1),   # time-major, PyTorch's default
                            last=minilstm.LastStep(),
                            fc=minilstm.Linear(H, 1, seed=2))
minilstm.train(model, train_set, val_data=test_set, optimizer="adam", lr=1e-3, epochs=epochs, batch_size=32,
               clip_norm=1.0, seed=0, progress=False)
ours = minilstm.predict(model, test_set)                          # (180, 1), scaled
X = torch.from_numpy(test_set.X.astype(np.float32))               # (180, 20, 1)
print(f"trained {model.num_params:,} parameters; minilstm's test RMSE {data.rmse(ours, test_set.Y, scaler):.4f}")


# 2. the equivalent PyTorch module, and minilstm's weights in it
class Forecaster(nn.Module):
    """LSTM -> MultiheadAttention (time-major) -> the last step -> Linear, as the article writes it."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, num_layers=2, batch_first=True)
        self.attention = nn.MultiheadAttention(embed_dim=hidden_size, num_heads=4)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)                       # (B, T, H)
        out = out.transpose(0, 1)                   # (T, B, H)
        out, _ = self.attention(out, out, out, need_weights=False)
        return self.fc(out[-1])                     # the last step: (B, 1)


torch_model = Forecaster(H).eval()
torch_model.load_state_dict(model.state_dict(format="torch"))  # strict: every key and shape checked


def compare(name, module, path=None):
    """Predict the test windows with ``module``; print and return its largest difference from minilstm, its
    test RMSE and its file's size."""
    with torch.no_grad():
        pred = module(X).numpy()
    row = {"max_abs_difference": float(np.max(np.abs(pred - ours))), "test_rmse": data.rmse(pred, test_set.Y, scaler),
           "file_kib": None if path is None else os.path.getsize(path) / 1024}
    size = "" if path is None else f", {os.path.basename(path)} {row['file_kib']:.1f} KiB"
    print(f"{name:<28} largest difference {row['max_abs_difference']:.1e} (scaled), "
          f"test RMSE {row['test_rmse']:.4f}{size}")
    return row, pred


checkpoint = minilstm.save(model, os.path.join(args.out, "model.npz"))
torch.save(torch_model.state_dict(), state_path := os.path.join(args.out, "state_dict.pt"))
print(f"minilstm's checkpoint {os.path.getsize(checkpoint) / 1024:.1f} KiB")
rows = {"torch (float32)": compare("torch.nn.Module (float32)", torch_model, state_path)[0]}

# 3. TorchScript: compiled, saved, loaded back without the class above
scripted = torch.jit.script(torch_model)
scripted.save(script_path := os.path.join(args.out, "forecaster_scripted.pt"))
rows["scripted (float32)"] = compare("torch.jit.script (float32)", torch.jit.load(script_path), script_path)[0]

# 4. dynamic quantization: 8-bit weights for the LSTM and the Linear, then scripted and saved as well
quantized = torch.ao.quantization.quantize_dynamic(torch_model, {nn.LSTM, nn.Linear}, dtype=torch.qint8)
torch.jit.script(quantized).save(quant_path := os.path.join(args.out, "forecaster_quantized.pt"))
rows["quantized (int8)"], quant_pred = compare("quantize_dynamic (int8)", torch.jit.load(quant_path), quant_path)

t_test = dataset.meta["t"][-len(test_set):]
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(t_test, scaler.inverse_transform(test_set.Y)[:, 0], ".", color="0.6", label="observed")
ax.plot(t_test, scaler.inverse_transform(ours)[:, 0], color="C0", label="minilstm")
ax.plot(t_test, scaler.inverse_transform(quant_pred)[:, 0], "--", color="C3", label="PyTorch, int8 weights")
ax.set(xlabel="t", ylabel="x(t)", ylim=(-1.4, 1.7),
       title=f"the same forecaster exported: largest difference {rows['quantized (int8)']['max_abs_difference']:.1e} "
             "(scaled)")
ax.legend(loc="upper center", ncol=3, fontsize="small")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "export_to_torch.png"), dpi=100)
plt.close(fig)

# the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs, "hidden": H, "params": model.num_params, "noise": noise,
           "torch": torch.__version__.split("+")[0], "minilstm_test_rmse": data.rmse(ours, test_set.Y, scaler),
           "minilstm_checkpoint_kib": os.path.getsize(checkpoint) / 1024, **rows}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote the model files, export_to_torch.png and results.json to {args.out}")
