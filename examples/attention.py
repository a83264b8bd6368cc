"""Attention pooling over LSTM outputs, on a task whose answer sits at one marked step.

Run: python examples/attention.py [--quick] [--kind {additive,dot}] [--out DIR]

The task (generated below with a seeded NumPy generator): a sequence of 30
symbols drawn from 8, all distractors but one, which is *marked* (it comes as
its own token, symbol + 8, as if underlined), at a random step. The label is
the marked symbol. One sequence in nine has no mark at all, labelled 8,
"none": without them the network can answer the last symbol by elimination
("no mark I know, so it is a 7") and never look for it. 9 classes, chance 1/9.

The model: Embedding -> LSTM (batch-first, every step's output passed on) ->
``AttentionPool(H, kind="additive")`` -> Linear -> class logits. Instead of
reading the last step, the pool scores every step's output against a learned
query (Bahdanau's ``e_t = q . tanh(W h_t + b)``), takes ``a = softmax_t(e_t)``
and passes on ``sum_t a_t h_t``; the weights ``a`` of the last forward stay in
``pool.last_attention`` (B, T). If the model has learned the task, they pile up
on the marked step, the one place the answer is, although nobody told it where
that is. (With ``--kind dot``, ``e_t = q . h_t / sqrt(H)``, the model learns the
task too, but its attention spreads over the marked step and the steps after
it: a one-directional LSTM's outputs after the mark still carry the marked
symbol in its memory, so any of them will do. Try it and compare the mean
weight on the marked step.)

It prints the validation accuracy (against chance), the mean attention weight
on the marked step and how often it is the step with the most attention, and
writes them to results.json, with attention_weights.png (the weights over the
steps of a few validation sequences, the marked step ringed) and
attention_training.png (accuracy per epoch), to runs/examples/attention/ (or
to --out). --quick makes everything small (for CI).
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
parser.add_argument("--kind", choices=("additive", "dot"), default="additive", help="the pool's score function")
parser.add_argument("--out", default="runs/examples/attention", help="folder for the figures and results.json")
args = parser.parse_args()
n, H, epochs = (300, 8, 2) if args.quick else (2000, 32, 6)
V, T = 8, 30
NONE = V                                                    # the label of a sequence without a mark
os.makedirs(args.out, exist_ok=True)

# 1. the data: random symbols 0..7; in 8 of 9 sequences one is marked (token symbol + 8); label = that symbol
rng = np.random.default_rng(0)
X = rng.integers(0, V, (n, T))                              # (N, T) distractors
where = rng.integers(0, T, n)                               # (N,) the step to mark
has_mark = rng.random(n) < 8 / 9
rows = np.arange(n)[has_mark]
labels = np.full(n, NONE)
labels[rows] = X[rows, where[rows]]                         # the marked symbol is the answer
X[rows, where[rows]] += V                                   # its token says "marked"
dataset = data.Dataset(X, labels, kind="classify_last")
train_set, val_set = data.split(dataset, (0.8, 0.2), seed=0)
print(f"{n} sequences of {T} tokens, e.g. {X[0]} -> label {labels[0]}")

# 2. the model: the pool attends over every step of the LSTM's output sequence
pool = minilstm.AttentionPool(H, kind=args.kind, seed=0)   # (B, T, H) -> (B, H); weights in pool.last_attention
model = minilstm.Sequential(
    minilstm.Embedding(2 * V, 16, seed=0),                  # (B, T) ids 0..15 -> (B, T, 16)
    minilstm.LSTM(16, H, batch_first=True, seed=0),         # -> (B, T, H)
    pool,
    minilstm.Linear(H, V + 1, seed=0),                      # -> (B, 9) logits: the 8 symbols and "none"
)
print(model)

# 3. training: integer labels select the cross-entropy
history = minilstm.train(model, train_set, val_data=val_set, optimizer="adam", lr=1e-2, epochs=epochs,
                         batch_size=32, clip_norm=1.0, seed=0, progress=False,
                         metrics={"accuracy": lambda pred, ds: data.class_accuracy(pred, ds.Y)})

# 4. the result: accuracy, and where the attention went on the validation sequences that have a mark
minilstm.predict(model, val_set, batch_size=len(val_set))   # one batch, so last_attention covers them all
attention = minilstm.to_numpy(pool.last_attention)          # (N_val, T), each row sums to 1
with_mark = np.flatnonzero(val_set.Y != NONE)
marked = np.argmax(val_set.X[with_mark] >= V, axis=1)       # the marked step of each of them
on_mark = attention[with_mark, marked]
most_on_mark = np.mean(attention[with_mark].argmax(axis=1) == marked)
print(f"validation accuracy {history['val_accuracy'][-1]:.3f} (chance {1 / (V + 1):.3f}) after {epochs} epochs, "
      f"{sum(history['time']):.1f} s of training")
print(f"mean attention on the marked step {on_mark.mean():.2f} (spread evenly: {1 / T:.3f}); the marked step "
      f"gets the most attention in {most_on_mark:.0%} of sequences")

# 5. the plots: the attention weights of a few validation sequences, and accuracy per epoch
fig, axes = plt.subplots(4, 1, figsize=(9, 7), sharex=True)
for ax, k in zip(axes, range(4)):
    b, step = with_mark[k], marked[k]
    ax.bar(np.arange(T), attention[b], color="C0")
    ax.plot(step, attention[b, step], "o", markersize=12, markerfacecolor="none", color="C3", label="the marked step")
    ax.set(ylabel="attention", ylim=(0, 1.1))
    ax.set_title(f"validation sequence {b}: label {val_set.Y[b]}, marked at step {step}", fontsize="small")
axes[0].legend(loc="upper right")
axes[-1].set(xlabel="time step")
fig.suptitle("AttentionPool over LSTM outputs: where the model looks (pool.last_attention)")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "attention_weights.png"), dpi=100)
plt.close(fig)

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(history["epoch"], history["val_accuracy"], marker="o", label="LSTM + AttentionPool")
ax.axhline(1 / (V + 1), color="gray", linestyle="--", label="chance")
ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1.02), title="which symbol is marked?")
ax.legend(loc="center right")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "attention_training.png"), dpi=100)
plt.close(fig)

# 6. the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "kind": args.kind, "epochs": epochs, "train_seconds": sum(history["time"]),
           "val_accuracy": history["val_accuracy"][-1], "chance": 1 / (V + 1),
           "mean_attention_on_marked_step": float(on_mark.mean()), "attention_spread_evenly": 1 / T,
           "marked_step_gets_most_attention": float(most_on_mark)}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote attention_weights.png, attention_training.png and results.json to {args.out}")
