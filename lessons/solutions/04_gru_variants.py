"""Lesson 4: the exercises beyond the ladder, one function each (the ladder's rungs are gru.py, bptt.py and
numerical_gradient.py). Each returns its answer as text; ``quick=True`` shrinks the training runs (the test
suite's setting). Run the file to print them all at full size:

    python lessons/solutions/04_gru_variants.py            # full size
    python lessons/solutions/04_gru_variants.py --quick    # small training runs: a smoke test
"""
import inspect as signatures
import sys

import numpy as np

import minilstm
from minilstm import data, inspect
from minilstm.cells import VARIANTS


def adding_sets(quick, T=20):
    adding = data.make_task("adding", seed=0, n=600 if quick else 2000, T=T)
    return data.split(adding, (0.8, 0.2), seed=0)


def adding_accuracy(pred, ds):
    return data.adding_accuracy(pred, ds.Y)


def fit(model, train_set, val_set, epochs, metric=adding_accuracy, **options):
    """Lesson 4's miniature study: Adam at 0.01, batch 64, clipping at 1."""
    return minilstm.train(model, train_set, val_data=val_set, metrics={"accuracy": metric}, lr=1e-2, epochs=epochs,
                          batch_size=64, clip_norm=1.0, seed=0, progress=False, **options)


def converting_weights(quick=False):
    """Exercise 1: a GRU trained with reset_after=False, its weights loaded into a reset_after=True GRU.

    The arrays have the same shapes, so they load, but the two forms are different functions of the same
    weights (r multiplies W_hn h_prev + b_hn in one, h_prev before W_hn in the other), so the converted model
    computes something else: how much accuracy it loses depends on how far r sits from 1 and on what the
    trained network had learned (compare the two numbers). Weights do not transfer between the forms exactly;
    fine-tune after converting.
    """
    train_set, val_set = adding_sets(quick)
    cho = minilstm.Model(2, 32, 1, cell="gru", reset_after=False, seed=0)
    fit(cho, train_set, val_set, epochs=3 if quick else 16)
    after = minilstm.Model(2, 32, 1, cell="gru", reset_after=True, seed=0)
    after.load_state_dict(cho.state_dict())
    accuracy = {name: adding_accuracy(minilstm.predict(m, val_set.X), val_set) for name, m in
                (("reset_after=False (trained)", cho), ("reset_after=True (loaded)", after))}
    return "; ".join(f"{k}: {v:.3f}" for k, v in accuracy.items())


def update_bias_in_training(quick=False, biases=(0.0, 2.0, 5.0)):
    """Exercise 2: the GRU's update bias (``update_bias=``) in training on the adding problem at T = 30.

    A larger z bias keeps z near 1 at the start, so h_t = z h_(t-1) + ... carries the state and its gradient
    over more steps, as the forget bias does for the LSTM. Read the table: whether it helps within this budget
    is what the runs say, one seed each; too large a bias also makes the GRU slow to write anything new.
    """
    train_set, val_set = adding_sets(quick, T=30)
    rows = []
    for b in biases:
        history = fit(minilstm.Model(2, 32, 1, cell="gru", update_bias=b, seed=0), train_set, val_set,
                      epochs=3 if quick else 16)
        rows.append(f"update_bias {b:g}: validation accuracy per epoch "
                    + " ".join(f"{a:.2f}" for a in history["val_accuracy"]))
    return "\n".join(rows)


def peepholes_in_the_highway(T=40, B=8, H=16):
    """Exercise 3: the cut experiment (W_hh = 0) on a peephole LSTM.

    dL/dc_(t-1) = f_t * dL/dc_t no longer holds: i_t and f_t read c_(t-1) through their peepholes, so c_(t-1)
    also reaches the loss through them. Adding those two terms, p_i * da_i + p_f * da_f with
    da_i = dc_t g_t i_t (1 - i_t) and da_f = dc_t c_(t-1) f_t (1 - f_t), restores the equality. (o_t's peephole
    reads c_t, so it adds to dL/dc_t itself, and is zero here, where nothing reaches h_t before the last step.)
    """
    x = np.random.default_rng(0).standard_normal((T, B, 2))
    lstm = minilstm.PeepholeLSTM(2, H, dtype="float64", seed=0)
    lstm.params["weight_hh_l0"][...] = 0.0
    rec, g = inspect.record(lstm, x), inspect.state_gradients(lstm, x)
    i, f, gg, c = rec.gates["i"][0], rec.gates["f"][0], rec.gates["g"][0], rec.c[0]
    p_i, p_f = lstm.params["weight_peep_i_l0"], lstm.params["weight_peep_f_l0"]
    dc, ts = g.c[0], range(2, T - 1)
    highway = all(np.allclose(dc[t - 1], f[t] * dc[t], rtol=1e-12, atol=0) for t in ts)
    full = all(np.allclose(dc[t - 1], f[t] * dc[t] + p_i * dc[t] * gg[t] * i[t] * (1 - i[t])
                           + p_f * dc[t] * c[t - 1] * f[t] * (1 - f[t]), rtol=1e-10, atol=1e-15) for t in ts)
    assert not highway and full
    return f"dL/dc_(t-1) == f_t dL/dc_t: {highway}; with the two peephole terms: {full}"


def variant_table(quick=False, names=("V", "NFG", "CIFG", "NOAF", "NIG")):
    """Exercise 4: more variants, and the temporal-order task in place of adding.

    A ranking needs a task hard enough to separate the variants: if every variant reaches the same accuracy
    (temporal order at T = 30 within 16 epochs may be solved by all of them), the task ranks nothing; make it
    harder (a longer T, fewer epochs, a smaller H) before reading an order, and expect neighbours to swap with
    the seed. Greff et al.'s robust findings (the forget gate and the output activation matter; CIFG and no
    peepholes cost little) needed many seeds and learning rates; a miniature can only hint at them.
    """
    T = 20 if quick else 30
    order = data.make_task("order", seed=0, n=600 if quick else 2000, T=T)
    train_set, val_set = data.split(order, (0.8, 0.2), seed=0)
    rows = []
    for name in (names[:2] if quick else names):
        model = minilstm.Model(8, 32, 4, cell="lstm", seed=0, **VARIANTS[name])
        history = fit(model, train_set, val_set, epochs=2 if quick else 16,
                      metric=lambda pred, ds: data.class_accuracy(pred, ds.Y))
        rows.append(f"{name:5s} {model.num_params:6,d} parameters, final validation accuracy "
                    f"{history['val_accuracy'][-1]:.3f}")
    return "\n".join(rows)


def parameter_counts(D=2, H=32):
    """Exercise 5: each variant's parameter count as a formula in D and H, checked against ``num_params``.

    A gate block holds H(D + H) weights and 2H biases (b_ih and b_hh, as PyTorch keeps both); the LSTM has 4
    blocks, and a peephole cell adds one (H,) vector per gate that reads c. NIG, NFG, NOG and CIFG lose a block
    (CIFG's i = 1 - f); NIAF and NOAF only remove an activation; a removed gate takes its peephole with it.
    """
    block = H * (D + H) + 2 * H
    formula = {"V": 4 * block + 3 * H, "NIG": 3 * block + 2 * H, "NFG": 3 * block + 2 * H,
               "NOG": 3 * block + 2 * H, "NIAF": 4 * block + 3 * H, "NOAF": 4 * block + 3 * H,
               "NP": 4 * block, "CIFG": 3 * block + 2 * H}
    rows = []
    for name, options in VARIANTS.items():
        counted = minilstm.LSTM(D, H, **options).num_params
        assert counted == formula[name], (name, counted, formula[name])
        rows.append(f"{name:5s} {formula[name]:6,d}")
    return f"4H(D + H) + 8H = {4 * block} for the plain LSTM; per variant:\n" + "\n".join(rows)


if __name__ == "__main__":
    quick = "--quick" in sys.argv  # the training runs at small sizes
    for fn in (converting_weights, update_bias_in_training, peepholes_in_the_highway, variant_table,
               parameter_counts):
        trains = "quick" in signatures.signature(fn).parameters
        print(f"{fn.__name__}:\n{fn(quick=quick) if trains else fn()}\n")
