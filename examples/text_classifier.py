"""A Keras-style text classifier: Embedding, LSTM with dropout, a softmax head, on variable-length strings.

Run: python examples/text_classifier.py [--quick] [--out DIR]

The Keras original reads

    model = Sequential([Embedding(vocab, 8), LSTM(32, dropout=0.2, recurrent_dropout=0.2),
                        Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")

and here it is written with minilstm's layers. Keras's LSTM ``dropout`` (one
mask per sequence on the layer's input) is ``input_dropout`` here; the softmax
lives in the cross-entropy, which takes integer class ids as Keras's sparse one
does, so the head gives logits.

The task: strings of the embedded Reber grammar (``B T <Reber> T E`` or
``B P <Reber> P E``) against near-misses that the grammar rejects. A near-miss
is a grammatical string whose second-to-last symbol is flipped (T <-> P), so
that it no longer matches the second symbol: locally every symbol looks right,
and only a network that carried the second symbol through the whole inner
string (9 to 30 symbols long) can tell the two apart. Strings are padded at the
end; ``lengths`` tells the LSTM where each one ends, and ``LastStep()`` reads
the output at the last *valid* step, not at the padding.

Trained with Adam at Keras's default rate (1e-3), it stays near chance for a few
epochs (until it finds the long-range dependency) and then reaches 1.0. The
training loss sits above the validation loss because dropout is on only while
training. It prints the validation accuracy against chance (0.5) and writes it
to results.json, with text_classifier.png (loss and validation accuracy per
epoch), to runs/examples/text_classifier/ (or to --out). --quick makes
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
parser.add_argument("--out", default="runs/examples/text_classifier", help="folder for the figures and results.json")
args = parser.parse_args()
n, epochs = (300, 2) if args.quick else (2000, 12)
os.makedirs(args.out, exist_ok=True)

# 1. the data: grammatical strings (label 1) and near-misses (label 0), padded, with their lengths
strings, _ = data.reber_strings(n, embedded=True, seed=0)
rng = np.random.default_rng(0)
labels = rng.integers(0, 2, n)                                   # half of them become near-misses
flip = {"T": "P", "P": "T"}
strings = [s if y else s[:-2] + flip[s[-2]] + s[-1] for s, y in zip(strings, labels)]
symbols = data.reber.SYMBOLS                                     # "BTPSXVE": token ids 0..6
lengths = np.array([len(s) for s in strings])
X = np.zeros((n, lengths.max()), dtype=np.int64)                 # (N, T) token ids, padded with 0
for row, s in enumerate(strings):
    X[row, :len(s)] = [symbols.index(c) for c in s]
dataset = data.Dataset(X, labels.astype(np.int64), lengths, kind="classify_last")
train_set, val_set = data.split(dataset, (0.8, 0.2), seed=0)
print(f"{n} strings of {lengths.min()} to {lengths.max()} symbols, e.g. {strings[0]} (label {labels[0]}) "
      f"and {strings[1]} (label {labels[1]})")

# 2. the model: Embedding -> LSTM (input and recurrent dropout) -> last valid step -> class logits
model = minilstm.Sequential(
    minilstm.Embedding(len(symbols), 8, seed=0),                 # (B, T) ids -> (B, T, 8)
    minilstm.LSTM(8, 32, input_dropout=0.2, recurrent_dropout=0.2, batch_first=True, seed=0),
    minilstm.LastStep(),                                         # (B, T, 32) -> (B, 32) at lengths - 1
    minilstm.Linear(32, 2, seed=0),                              # (B, 2) logits
)
print(model)

# 3. training: integer targets select the (sparse) cross-entropy
history = minilstm.train(model, train_set, val_data=val_set, optimizer="adam", lr=1e-3, epochs=epochs,
                         batch_size=32, clip_norm=1.0, seed=0, progress=False,
                         metrics={"accuracy": lambda pred, ds: data.class_accuracy(pred, ds.Y)})

# 4. the result
accuracy = history["val_accuracy"][-1]
print(f"validation accuracy {accuracy:.3f} (chance 0.5) after {epochs} epochs, "
      f"{sum(history['time']):.1f} s of training")

# 5. the plot: loss and accuracy per epoch
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.plot(history["epoch"], history["train_loss"], label="training")
ax1.plot(history["epoch"], history["val_loss"], label="validation")
ax1.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
ax1.legend()
ax2.plot(history["epoch"], history["val_accuracy"], marker="o", label="LSTM")
ax2.axhline(0.5, color="gray", linestyle="--", label="chance")
ax2.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0.4, 1.02), title="grammatical or near-miss?")
ax2.legend()
fig.suptitle("Embedded Reber strings against near-misses: Embedding + LSTM (dropout) + LastStep")
fig.tight_layout()
fig.savefig(os.path.join(args.out, "text_classifier.png"), dpi=100)

# 6. the numbers printed above, for whoever reads them by program
results = {"quick": args.quick, "epochs": epochs, "train_seconds": sum(history["time"]), "val_accuracy": accuracy,
           "chance": 0.5}
with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
    json.dump(results, f, indent=2)
print(f"wrote text_classifier.png and results.json to {args.out}")
