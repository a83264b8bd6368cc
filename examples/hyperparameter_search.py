"""A hyperparameter search with Optuna: the sine forecaster's size, depth, learning rate and dropout, bad trials pruned.

Run: python examples/hyperparameter_search.py [--quick] [--out DIR]
Needs Optuna: pip install 'minilstm[tune]'.

The forecasting article suggests Optuna for the last step: searching the
hyperparameters instead of guessing them. Here, on the noisy sine of
examples/sine_forecaster.py split 70/15/15 in time order (train, validation,
test):
1. each trial builds LSTM(1, hidden, num_layers, dropout) -> last step ->
   Linear(hidden, 1) from Optuna's suggestions: hidden in {8, 16, 32}, 1 or 2
   layers, lr log-uniform in [1e-3, 3e-2], and dropout between the layers in
   [0, 0.5] (asked only when there are 2 layers: PyTorch's dropout acts between
   layers, so one layer has none);
2. it trains with ``minilstm.train``, whose per-epoch callback reports the
   validation loss to Optuna and stops the run when the pruner says so (the
   median pruner: a trial worse than the median of the earlier trials at the same
   epoch); the trial is then marked pruned (``optuna.TrialPruned``);
3. the TPE sampler (seeded) picks the next trial from the ones before; the best
   trial is the lowest final validation loss, and its test RMSE (original units)
   is measured once, at the end, against the noise 0.1.

It prints each trial, the best trial's settings and its test RMSE, and writes
them to results.json, with hyperparameter_search.png (every trial's validation
loss per epoch: pruned ones stop early, the best in bold), to
runs/examples/hyperparameter_search/ (or to --out). --quick runs a few short
trials (for CI).
"""
import argparse
import json
import os
import sys

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data

try:
    import optuna
except ImportError:
    sys.exit("this example needs Optuna: pip install 'minilstm[tune]' (or pip install optuna)")

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--quick", action="store_true", help="a few short trials, a few seconds")
parser.add_argument("--out", default="runs/examples/hyperparameter_search",
                    help="folder for the figure and results.json")
args = parser.parse_args()
n_trials, epochs = (4, 3) if args.quick else (24, 15)
os.makedirs(args.out, exist_ok=True)
optuna.logging.set_verbosity(optuna.logging.WARNING)   # this script prints each trial itself

# 1. data: the noisy sine, split 70/15/15 in time order; the search sees the validation part only
n_points, window, noise = 1000, 20, 0.1
dataset = data.sine_wave(n_points=n_points, window=window, noise=noise, dt=20 * np.pi / (n_points - 1),
                         fractions=(0.7, 0.15, 0.15), seed=0)
scaler = dataset.meta["scaler"]
train_set, val_set, test_set = data.chronological_split(dataset)
print(f"{len(train_set)} training, {len(val_set)} validation and {len(test_set)} test windows")


# 2. one trial: a model from the suggested settings, trained with a callback that lets Optuna prune it
def objective(trial):
    hidden = trial.suggest_categorical("hidden", [8, 16, 32])
    layers = trial.suggest_int("num_layers", 1, 2)
    lr = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5) if layers > 1 else 0.0   # asked only where it acts
    model = minilstm.Sequential(
        minilstm.LSTM(1, hidden, num_layers=layers, dropout=dropout, batch_first=True, seed=trial.number),
        minilstm.LastStep(),
        minilstm.Linear(hidden, 1, seed=trial.number),
    )

    def report(epoch, logs, model):
        """After each epoch: tell Optuna the validation loss; a true return stops train (the trial is pruned)."""
        trial.report(logs["val_loss"], epoch)
        return trial.should_prune()

    history = minilstm.train(model, train_set, val_data=val_set, optimizer="adam", lr=lr, epochs=epochs,
                             batch_size=32, clip_norm=1.0, seed=0, progress=False, callbacks=[report])
    trial.set_user_attr("val_loss", history["val_loss"])
    trial.set_user_attr("test_rmse", data.rmse(minilstm.predict(model, test_set), test_set.Y, scaler))
    pruned = trial.should_prune()
    print(f"trial {trial.number:>2}: hidden {hidden:>2}, layers {layers}, lr {lr:.4f}, dropout {dropout:.2f}: "
          f"validation loss {history['val_loss'][-1]:.5f} after {len(history['val_loss'])} epochs"
          + ("  (pruned)" if pruned else ""))
    if pruned:
        raise optuna.TrialPruned()
    return history["val_loss"][-1]


# 3. the search: TPE proposes, the median pruner stops trials worse than the median at the same epoch
study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=0),
                            pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2))
study.optimize(objective, n_trials=n_trials)
best = study.best_trial
pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
print(f"best trial {best.number}: {best.params}, validation loss {best.value:.5f}; "
      f"{len(pruned)} of {len(study.trials)} trials pruned")
print(f"the best trial's test RMSE {best.user_attrs['test_rmse']:.4f} in original units (noise level {noise})")

# 4. the plot: every trial's validation loss per epoch; pruned trials end early
fig, ax = plt.subplots(figsize=(7, 4.5))
for t in study.trials:   # the study's trials are copies: compare them by number
    losses = t.user_attrs["val_loss"]
    style = dict(color="C3", linewidth=2.5, zorder=3, label=f"best: trial {t.number}") if t.number == best.number \
        else dict(color="0.65", linestyle=":", label="pruned") if t.state == optuna.trial.TrialState.PRUNED \
        else dict(color="C0", alpha=0.5, label="completed")
    ax.plot(range(1, len(losses) + 1), losses, **style)
handles, labels = ax.get_legend_handles_labels()
unique = dict(zip(labels, handles))
ax.legend(unique.values(), unique.keys())
ax.set(xlabel="epoch", ylabel="validation MSE (scaled, log scale)", yscale="log",
       title=f"{len(study.trials)} Optuna trials on the sine forecaster ({len(pruned)} pruned)")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "hyperparameter_search.png"), dpi=100)
plt.close(fig)

# the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "trials": len(study.trials), "pruned": len(pruned), "epochs": epochs, "noise": noise,
           "best_trial": best.number, "best_params": best.params, "best_val_loss": best.value,
           "best_test_rmse": best.user_attrs["test_rmse"]}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote hyperparameter_search.png and results.json to {args.out}")
