"""A bidirectional LSTM tagging every step, against a one-directional one, where the answer lies ahead.

Run: python examples/bidirectional_tagger.py [--quick] [--out DIR]

The task (generated below with a seeded NumPy generator): a sequence of 8 to
24 symbols drawn uniformly from 10; tag each step 1 if the same symbol
appears again *later* in the sequence, else 0. For example

    symbols  3 7 1 3 9 7 2
    tags     1 1 0 0 0 0 0

About half the tags are 1. The answer at step t depends only on the steps
after t, which a one-directional LSTM has not read yet: the best it can do is
guess from what it has seen (a sequence that has gone on for a while is
likelier to be ending). A bidirectional LSTM (as ``nn.LSTM(...,
bidirectional=True)``) also reads the sequence backwards; that direction can
keep the set of symbols still to come, and the head compares it with the
symbol at t.

The model tags every step: the LSTM's (B, T, 2H) output sequence goes through
``MaskPadding()`` (sequences are padded to the longest; padded steps become 0)
into a ``Linear(2H, 2)`` applied at every step, with the per-step
cross-entropy (padded steps carry the target -1 and are not scored). The same
model with a one-directional LSTM is trained alongside, the same way.

What to look at: the bidirectional tagger reaches nearly every step right; the
one-directional one stays a little above chance, and on the example sequence
its probability only fades with the position, whatever the symbol: all it could
learn is that the later the step, the fewer steps remain for a repeat.

It prints the per-step validation accuracy of both (against always answering
the commoner tag) and writes it to results.json, with bidirectional_tagger.png
(per-step accuracy per epoch, and both models' answers on one validation
sequence), to runs/examples/bidirectional_tagger/ (or to --out). --quick makes
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
parser.add_argument("--out", default="runs/examples/bidirectional_tagger",
                    help="folder for the figures and results.json")
args = parser.parse_args()
n, H, epochs = (300, 8, 2) if args.quick else (2000, 32, 12)
V, min_len, max_len = 10, 8, 24
os.makedirs(args.out, exist_ok=True)

# 1. the data: random symbols, tagged 1 where the same symbol comes again later; padded, with lengths
rng = np.random.default_rng(0)
lengths = rng.integers(min_len, max_len + 1, n)
X = np.zeros((n, max_len), dtype=np.int64)                   # (N, T) symbol ids, padded with 0
Y = np.full((n, max_len), data.IGNORE, dtype=np.int64)       # (N, T) tags, -1 on padding (not scored)
for row, L in enumerate(lengths):
    x = rng.integers(0, V, L)
    X[row, :L] = x
    Y[row, :L] = [x[t] in x[t + 1:] for t in range(L)]       # does x[t] appear again after t?
dataset = data.Dataset(X, Y, lengths, kind="classify_seq")
train_set, val_set = data.split(dataset, (0.8, 0.2), seed=0)
scored = val_set.Y >= 0
majority = max(np.mean(val_set.Y[scored] == 1), np.mean(val_set.Y[scored] == 0))
print(f"{n} sequences of {min_len} to {max_len} symbols; {np.mean(Y[Y >= 0]):.0%} of the tags are 1")
print("e.g. symbols", X[0, :lengths[0]], "\n     tags   ", Y[0, :lengths[0]])


def per_step_accuracy(pred, ds):
    """The share of scored steps whose likelier tag is the right one."""
    keep = ds.Y >= 0
    return np.mean(pred.argmax(axis=-1)[keep] == ds.Y[keep])


# 2. the models: the same stack with a bidirectional and a one-directional LSTM, a head on every step
models, histories = {}, {}
for name, bidirectional in (("bidirectional", True), ("one-directional", False)):
    K = 2 if bidirectional else 1                             # directions: the output has K * H features
    models[name] = minilstm.Sequential(
        minilstm.Embedding(V, 16, seed=0),                    # (B, T) -> (B, T, 16)
        minilstm.LSTM(16, H, bidirectional=bidirectional, batch_first=True, seed=0),  # -> (B, T, K*H)
        minilstm.MaskPadding(),                               # padded steps -> 0
        minilstm.Linear(K * H, 2, seed=0),                    # (B, T, 2) logits at every step
    )
    print(f"{name}: {models[name].num_params:,} parameters")

    # 3. training: per-step cross-entropy, padded steps not scored
    histories[name] = minilstm.train(models[name], train_set, val_data=val_set, optimizer="adam", lr=1e-2,
                                     epochs=epochs, batch_size=32, clip_norm=1.0, seed=0, progress=False,
                                     metrics={"accuracy": per_step_accuracy})

# 4. the result
for name, history in histories.items():
    print(f"{name:16s} per-step validation accuracy {history['val_accuracy'][-1]:.3f} "
          f"({sum(history['time']):.1f} s of training)")
print(f"always answering the commoner tag: {majority:.3f}")

# 5. the plot: accuracy per epoch, and both models' answers on one validation sequence
b = int(np.argmax(val_set.lengths))                           # a validation sequence of the longest length
L = int(val_set.lengths[b])
rows = [val_set.Y[b, :L]]
for name in models:
    proba = minilstm.predict(models[name], val_set.subset([b]), proba=True)   # (1, T, 2)
    rows.append(proba[0, :L, 1])                                               # P(tag 1) at each step
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [1, 1.6]})
for name, history in histories.items():
    ax1.plot(history["epoch"], history["val_accuracy"], marker=".", label=name)
ax1.axhline(majority, color="gray", linestyle="--", label="always the commoner tag")
ax1.set(xlabel="epoch", ylabel="per-step validation accuracy", ylim=(0.4, 1.02),
        title="does this symbol come again later?")
ax1.legend(loc="center right", bbox_to_anchor=(1, 0.68))
image = ax2.imshow(np.array(rows), cmap="RdBu_r", vmin=0, vmax=1, aspect="auto")
ax2.set_xticks(np.arange(L), [str(s) for s in val_set.X[b, :L]])
ax2.set_yticks(range(3), ["truth", "bidirectional", "one-directional"])
ax2.set(xlabel="the symbol at each step", title="P(the symbol comes again) on one validation sequence")
fig.colorbar(image, ax=ax2, label="P(tag 1)")
fig.suptitle("Tagging every step: a bidirectional LSTM sees the future, a one-directional one cannot")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "bidirectional_tagger.png"), dpi=100)

# 6. the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs, "always_the_commoner_tag": majority}
for name, history in histories.items():
    results[name] = {"val_per_step_accuracy": history["val_accuracy"][-1], "train_seconds": sum(history["time"])}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote bidirectional_tagger.png and results.json to {args.out}")
