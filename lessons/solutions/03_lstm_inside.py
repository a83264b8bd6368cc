"""Lesson 3: the exercises beyond the ladder, one function each (the ladder's rungs are lstm.py, bptt.py and
numerical_gradient.py). Each returns its answer as text; ``quick=True`` shrinks the training runs (the test
suite's setting). Run the file to print them all at full size:

    python lessons/solutions/03_lstm_inside.py            # full size
    python lessons/solutions/03_lstm_inside.py --quick    # small training runs: a smoke test
"""
import inspect as signatures
import sys

import numpy as np

import minilstm
from minilstm import data, inspect


def fit(model, train_set, val_set, metric, epochs, seed=0, **options):
    """Lesson 3's brief training: Adam at 1e-2, clipping at 1."""
    return minilstm.train(model, train_set, val_data=val_set, metrics={"accuracy": metric}, lr=1e-2, epochs=epochs,
                          batch_size=64, clip_norm=1.0, seed=seed, progress=False, **options)


def the_1997_cell(T=200, B=8, H=16):
    """Exercise 1: the cut experiment on the 1997 cell (``forget_gate=False``: f = 1).

    With f = 1 the highway multiplies by 1: dL/dc_(t-1) = dL/dc_t exactly, so the gradient reaches every
    earlier step undiminished (Hochreiter and Schmidhuber's constant error carousel). The price is the forward
    pass: c_t = c_(t-1) + i_t * g_t only adds, so ||c_t|| drifts like a random walk (or grows steadily when
    i * g has a mean) and tanh(c_t) saturates on long sequences; that is why Gers et al. (2000) added f.
    """
    x = np.random.default_rng(0).standard_normal((T, B, 2))
    cut = minilstm.LSTM(2, H, dtype="float64", seed=0, forget_gate=False)
    cut.params["weight_hh_l0"][...] = 0.0
    g = inspect.state_gradients(cut, x)
    same = all(np.array_equal(g.c[0, t - 1], g.c[0, t]) for t in range(1, T - 1))
    c_norm = np.linalg.norm(inspect.record(cut, x).c[0], axis=-1).mean(axis=-1)  # (T,)
    assert same
    return (f"dL/dc_(t-1) == dL/dc_t at every step: {same}; mean ||c_t|| at t = 10, 100, {T}: "
            + ", ".join(f"{c_norm[t - 1]:.1f}" for t in (10, 100, T)))


def trained_order_lstm(quick=False):
    """Lesson 3's section 2: an LSTM trained on temporal order, and its validation set."""
    T = 20 if quick else 30
    order = data.make_task("order", seed=0, n=600 if quick else 2000, T=T)
    train_set, val_set = data.split(order, (0.8, 0.2), seed=0)
    lstm = minilstm.Model(8, 32, 4, cell="lstm", seed=0)
    fit(lstm, train_set, val_set, lambda pred, ds: data.class_accuracy(pred, ds.Y), epochs=3 if quick else 8)
    return lstm, val_set


def unit_for_classes(quick=False):
    """Exercise 2: a unit whose final cell state separates the four classes.

    Score each unit by how far apart the class means of its final c are, relative to the spread inside a
    class (a one-way F ratio), and take the best. Its c_t, drawn per class, changes at the two relevant
    symbols: at the first it moves one way or the other (X or Y), at the second it moves again, and the end
    value encodes the pair. Which symbol a unit reacts to most is the trained network's choice, so read it off
    the plot rather than expecting one answer.
    """
    lstm, val_set = trained_order_lstm(quick)
    c_end = inspect.record(lstm, val_set.X).c[0, -1]        # (B, H)
    labels = np.asarray(val_set.Y)
    means = np.stack([c_end[labels == k].mean(axis=0) for k in range(4)])           # (4, H)
    within = np.mean([c_end[labels == k].var(axis=0) for k in range(4)], axis=0)   # (H,)
    score = means.var(axis=0) / (within + 1e-12)
    best = int(np.argmax(score))
    return f"unit {best}: final c per class " + ", ".join(f"{m:+.2f}" for m in means[:, best]) + \
        f" (F ratio {score[best]:.1f}, the median unit's {np.median(score):.1f})"


def seeds(quick=False, biases=(0.0, 1.0, 5.0), seed_list=(0, 1, 2)):
    """Exercise 3: section 5's forget-bias comparison at three seeds.

    A conclusion survives when it holds in every row's seeds alike (is bias 0 behind at each seed, or only at
    seed 0?); the decimals, and often the order of close runs, move with the seed. One run is an anecdote:
    report the spread over seeds, and claim only what every seed shows.
    """
    T = 20 if quick else 30
    adding = data.make_task("adding", seed=0, n=400 if quick else 2000, T=T, variable=False)
    train_set, val_set = data.split(adding, (0.8, 0.2), seed=0)
    rows = []
    for b in biases:
        final = [fit(minilstm.Model(2, 32, 1, forget_bias=b, seed=s), train_set, val_set,
                     lambda pred, ds: data.adding_accuracy(pred, ds.Y), epochs=2 if quick else 16,
                     schedule="cosine")["val_accuracy"][-1] for s in (seed_list[:2] if quick else seed_list)]
        rows.append(f"forget_bias {b:g}: final validation accuracy " + ", ".join(f"{a:.2f}" for a in final))
    return "\n".join(rows)


def saturation_during_training(quick=False):
    """Exercise 4: the input gate's saturation after each epoch, from a callback.

    A callback ``fn(epoch, logs, model)`` sees the model after every epoch; recording the validation
    sequences and calling ``inspect.saturation`` gives the share of i below 0.05 and above 0.95. At
    initialisation both are near 0 (the gates sit near sigmoid(0) = 0.5); the epochs at which they rise, if they
    do within the budget, are when training sharpens the gates into switches, and they are also where the gate
    gradients sigmoid' = i(1 - i) start to vanish. Read the answer off the rows.
    """
    T = 20 if quick else 30
    order = data.make_task("order", seed=0, n=600 if quick else 2000, T=T)
    train_set, val_set = data.split(order, (0.8, 0.2), seed=0)
    shares = []

    def record_saturation(epoch, logs, model):
        shares.append(inspect.saturation(inspect.record(model, val_set.X))["i"])

    lstm = minilstm.Model(8, 32, 4, cell="lstm", seed=0)
    fit(lstm, train_set, val_set, lambda pred, ds: data.class_accuracy(pred, ds.Y), epochs=3 if quick else 8,
        callbacks=[record_saturation])
    return "\n".join(f"epoch {k + 1}: i below 0.05: {s['low']:.1%}, above 0.95: {s['high']:.1%}"
                     for k, s in enumerate(shares))


def gru_highway(T=40, B=8, H=16):
    """Exercise 5: the GRU's path through h_t = (1 - z_t) n_t + z_t h_(t-1).

    Its last term gives dL/dh_(t-1) the share z_t * dL/dh_t directly, with no weight matrix and no tanh
    derivative: the GRU's highway, with z in the forget gate's role. The untrained GRU still lost its gradient
    because z = sigmoid(about 0) = 0.5 at initialisation: each step back halves this direct share, 0.5**30 ~ 1e-9
    over section 4's 30 steps (the path through W_hh adds some back, so the lesson measured fewer orders).
    With W_hh cut, dL/dh_(t-1) = z_t * dL/dh_t holds exactly, as dL/dc_(t-1) = f_t * dL/dc_t did for the LSTM.
    """
    x = np.random.default_rng(0).standard_normal((T, B, 2))
    gru = minilstm.GRU(2, H, dtype="float64", seed=0)
    gru.params["weight_hh_l0"][...] = 0.0
    z = inspect.record(gru, x).gates["z"][0]
    g = inspect.state_gradients(gru, x)
    exact = all(np.allclose(g.h[0, t - 1], z[t] * g.h[0, t], rtol=1e-12, atol=0) for t in range(1, T - 1))
    assert exact
    return f"dL/dh_(t-1) == z_t * dL/dh_t with W_hh cut: {exact}; mean z = {z.mean():.2f}"


if __name__ == "__main__":
    quick = "--quick" in sys.argv  # the training runs at small sizes
    for fn in (the_1997_cell, unit_for_classes, seeds, saturation_during_training, gru_highway):
        trains = "quick" in signatures.signature(fn).parameters
        print(f"{fn.__name__}:\n{fn(quick=quick) if trains else fn()}\n")
