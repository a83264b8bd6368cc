"""Lesson 2, vanishing and exploding gradients: the exercises' reference solutions.

Each exercise is one function that computes its answer with the library and returns the numbers it rests
on; the docstring says what to conclude. Run them all (small sizes with ``--quick``)::

    python lessons/solutions/02_vanishing_exploding.py [--quick]
"""
from __future__ import annotations

import sys

import numpy as np

import minilstm
from minilstm import data, inspect

D, H, B = 8, 32, 16


def rnn_with(W_hh, nonlinearity="tanh"):
    """A float64 RNN layer (D inputs, H units) whose recurrent weights are ``W_hh``."""
    rnn = minilstm.RNN(D, W_hh.shape[0], nonlinearity=nonlinearity, seed=0, dtype="float64")
    rnn.params["weight_hh_l0"][...] = W_hh
    return rnn


def exercise_1_orthogonal_versus_gaussian(T=100):
    """A Gaussian W_hh scaled to sigma_max = 1 against the orthogonal one (every singular value 1).

    The Gaussian one's gradient vanishes far faster: only its largest singular value is 1, the others
    spread down towards 0, and a gradient has almost no weight along the one direction that is not
    shrunk. No contradiction: sigma_max < 1/gamma is *sufficient* for vanishing; at sigma_max = 1 the
    bound promises nothing either way, and what happens depends on every singular value and on the
    tanh's saturation. Returns ``{name: ||dL/dh|| at lag T - 1}``.
    """
    x = np.random.default_rng(0).standard_normal((T, B, D))
    W = np.random.default_rng(1).standard_normal((H, H)) / np.sqrt(H)
    gaussian = W / np.linalg.svd(W, compute_uv=False)[0]                 # sigma_max exactly 1
    orthogonal = minilstm.RNN(D, H, seed=0, dtype="float64").params["weight_hh_l0"].copy()
    out = {name: inspect.gradient_flow(rnn_with(W_hh), x).lag(T - 1)
           for name, W_hh in (("orthogonal", orthogonal), ("gaussian, sigma_max = 1", gaussian))}
    print("exercise 1: ||dL/dh|| after", T - 1, "steps back:", {k: f"{v:.1e}" for k, v in out.items()})
    return out


def exercise_2_sigmoid_gamma():
    """For h = sigmoid(a), |sigmoid'| <= 1/4, so vanishing is guaranteed when sigma_max(W_hh) < 4.

    ``inspect.spectrum`` of an LSTM gives one block per gate with its own gamma: 1/4 for the sigmoid gates
    i, f, o (line at 1/gamma = 4) and 1 for the tanh candidate g (line at 1). At the default initialisation
    the sigmoid gates' blocks lie below 4, so they are guaranteed to vanish; the candidate's largest
    singular values reach its line at 1, so for g the bound promises nothing. All of this is the path
    through h; the cell state's path (c_t = f c_(t-1) + ...) has no weight matrix and no such bound, which
    is the point of lesson 3. Returns ``spec.vanishing``.
    """
    spec = inspect.spectrum(minilstm.LSTM(8, 16, seed=0))
    print("exercise 2: guaranteed to vanish, per (weights, gate):", spec.vanishing)
    return spec.vanishing


def _cliff():
    """The lesson's one-unit cliff: L(w, b) = (h_10 - y)^2 and dL/db, h_0 = 0.5, no input, y = -0.6."""
    one = minilstm.RNN(1, 1, dtype="float64")
    silence, h0, y = np.zeros((10, 1, 1)), np.full((1, 1, 1), 0.5), -0.6

    def loss_and_grad(b, w=1.5):
        one.params["weight_hh_l0"][...], one.params["bias_ih_l0"][...], one.params["bias_hh_l0"][...] = w, b, 0.0
        out, _ = one(silence, h0)
        dout = np.zeros_like(out)
        dout[-1] = 2 * (out[-1] - y)
        one.backward(dout)
        return float((out[-1, 0, 0] - y) ** 2), float(one.grads["bias_ih_l0"][0])
    return loss_and_grad


def exercise_3_cliff_thresholds(steps=30, lr=0.1):
    """Descents from b = 0.3 with the gradient clipped at 0.1, 1 and 10.

    At c = 10 a step can still be eta * c = 1 long: the descent is thrown off the wall onto the plateau,
    like the unclipped one. At c = 0.1 every step is at most 0.01, so 30 steps cover at most 0.3 of the
    way: far too slow to reach the wall. c = 1 is in between. Returns ``{c: (final b, final loss)}``.
    """
    loss_and_grad = _cliff()
    out = {}
    for clip in (0.1, 1.0, 10.0):
        b = 0.3
        for _ in range(steps):
            g = loss_and_grad(b)[1]
            b -= lr * g * min(1.0, clip / abs(g))
        out[clip] = (b, loss_and_grad(b)[0])
    print("exercise 3: clip -> (final b, loss):", {c: (round(b, 3), round(L, 3)) for c, (b, L) in out.items()})
    return out


def exercise_4_clip_by_value(epochs=12, n=1000):
    """The lesson's training run with ``clip_value=1`` in place of ``clip_norm=1``.

    Clipping by value clips each entry to [-1, 1] on its own: the entries above 1 are cut, the others kept,
    so the ratios between entries change and with them the direction of the step (clip_norm scales every
    entry by the same factor and keeps it). Here it keeps the loss finite but far above clip_norm's: the
    steps no longer point down the gradient. Returns the loss per epoch.
    """
    adding = data.make_task("adding", seed=0, n=n, T=30, variable=False)
    model = minilstm.Model(2, 32, 1, cell="rnn", seed=0)
    model.rnn.params["weight_hh_l0"] *= 2.0
    history = minilstm.train(model, adding, optimizer="sgd", lr=0.1, epochs=epochs, batch_size=20, clip_value=1.0,
                             seed=0, progress=False)
    g = np.array([3.0, 0.5])
    print("exercise 4: loss per epoch with clip_value=1:", " ".join(f"{v:.3g}" for v in history["train_loss"]),
          f"| the gradient {g} clipped by value: {np.clip(g, -1, 1)} (another direction), "
          f"by norm: {g * min(1, 1 / np.linalg.norm(g))} (the same direction)")
    return history["train_loss"]


def exercise_5_longer_sequences(T=300):
    """Scale 1.0 and 1.5 at T = 300: both tanh RNNs' gradients vanish, scale 1.0 by many more orders.

    At scale 1.0 every singular value is 1 and tanh' < 1 shrinks the gradient at every step; at 1.5 the
    larger weights push the units into saturation, which shrinks it too, more slowly. Neither survives 300
    steps in the sense of carrying a useful gradient to the start. Returns ``{scale: ||dL/dh|| at lag T-1}``.
    """
    x = np.random.default_rng(0).standard_normal((T, B, D))
    out = {}
    for scale in (1.0, 1.5):
        rnn = minilstm.RNN(D, H, seed=0, dtype="float64")
        rnn.params["weight_hh_l0"] *= scale
        out[scale] = inspect.gradient_flow(rnn, x).lag(T - 1)
    print(f"exercise 5: ||dL/dh|| {T - 1} steps back:", {s: f"{v:.1e}" for s, v in out.items()})
    return out


def main(quick=False):
    exercise_1_orthogonal_versus_gaussian(T=40 if quick else 100)
    exercise_2_sigmoid_gamma()
    exercise_3_cliff_thresholds()
    exercise_4_clip_by_value(epochs=2 if quick else 12, n=200 if quick else 1000)
    exercise_5_longer_sequences(T=60 if quick else 300)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
