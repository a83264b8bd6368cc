"""Lesson 5, forecasting a noisy sine wave: the exercises' reference solutions.

Each exercise is one function that computes its answer with the library and returns the numbers it rests
on; the docstring says what to conclude. Run them all (small sizes with ``--quick``)::

    python lessons/solutions/05_forecasting.py [--quick]
"""
from __future__ import annotations

import math
import sys

import numpy as np

import minilstm
from minilstm import data

N_POINTS, WINDOW, NOISE, H = 1000, 20, 0.1, 32
DT = 20 * np.pi / (N_POINTS - 1)


def sine(window=WINDOW):
    """The lesson's dataset (seed 0), split 80/20 in time order: ``(dataset, train, test)``."""
    dataset = data.sine_wave(n_points=N_POINTS, window=window, noise=NOISE, dt=DT, fractions=(0.8, 0.2), seed=0)
    return (dataset, *data.chronological_split(dataset))


def fit(model, train_set, test_set, epochs, **options):
    """The lesson's training: Adam 1e-3, batch 32, clipping at 1."""
    return minilstm.train(model, train_set, val_data=test_set, optimizer="adam", lr=1e-3, epochs=epochs,
                          batch_size=32, clip_norm=1.0, seed=0, progress=False, **options)


def lstm_model(head=None):
    return minilstm.Sequential(minilstm.LSTM(1, H, batch_first=True, seed=0), minilstm.LastStep(),
                               head or minilstm.Linear(H, 1, seed=0))


def exercise_1_naive_in_theory():
    """The naive error's noise part is eps_k - eps_(k-1), two independent noises: variance 2 sigma^2, so an
    RMSE of sqrt(2) * sigma (about 0.141 for sigma = 0.1). The measured one differs because this test part's
    noise is not exactly sigma and the sine's own change per step adds to it. Returns ``(theory, measured)``."""
    _, _, test_set = sine()
    scaler = sine()[0].meta["scaler"]
    theory = math.sqrt(2) * NOISE
    measured = data.rmse(test_set.X[:, -1], test_set.Y, scaler)
    print(f"exercise 1: naive RMSE in theory {theory:.4f}, measured {measured:.4f}")
    return theory, measured


def exercise_2_scaler_without_leaks():
    """Fit the scaler on the first 800 points only (the training part): the dataset's own scaler."""
    dataset, _, _ = sine()
    series = dataset.meta["series"][:, 0]
    mine = data.MinMaxScaler.fit(series[:800, None])
    same = np.allclose(mine.data_min, dataset.meta["scaler"].data_min) and \
        np.allclose(mine.data_max, dataset.meta["scaler"].data_max)
    print(f"exercise 2: fitted on the training part, the same as the dataset's scaler: {same}")
    return mine


def exercise_3_a_band_that_breathes(epochs=40):
    """Noise growing along t: the Gaussian head's band widens where the noise does.

    Returns ``(correlation of the band's width with the true noise sd, share of test points inside)``.
    The correlation comes out positive (the band does widen with the noise), and the share inside falls below
    the 95 % of a calibrated Gaussian: the test part is the future, whose noise is larger than any the head
    saw in training, so it extrapolates the width and underestimates it. (Full run, seed 0: correlation
    about 0.2, about 80 % inside.)
    """
    rng = np.random.default_rng(0)
    t = np.arange(N_POINTS) * DT
    sd = 0.02 * (1 + t / 10)
    x = np.sin(t) + sd * rng.standard_normal(t.size)
    split = int(0.8 * N_POINTS)
    scaler = data.MinMaxScaler.fit(x[:split, None])
    xs = scaler.transform(x[:, None])[:, 0]

    def windows(part):   # windows of WINDOW values -> the next value, inside one part
        X = np.lib.stride_tricks.sliding_window_view(part[:-1], WINDOW)[..., None]
        return data.Dataset(X.astype(np.float32), part[WINDOW:, None].astype(np.float32), None, "regression_last")
    train_set, test_set = windows(xs[:split]), windows(xs[split:])
    model = lstm_model(minilstm.GaussianHead(H, 1, seed=0))
    fit(model, train_set, test_set, epochs, loss="gaussian_nll_loss")
    mean, var = minilstm.predict(model, test_set)
    low = scaler.inverse_transform(mean - 2 * np.sqrt(var))[:, 0]
    width = scaler.inverse_transform(mean + 2 * np.sqrt(var))[:, 0] - low
    truth = scaler.inverse_transform(test_set.Y)[:, 0]
    inside = float(np.mean((low <= truth) & (truth <= low + width)))
    corr = float(np.corrcoef(width, sd[split + WINDOW:])[0, 1])
    print(f"exercise 3: band width against the true noise sd, correlation {corr:.2f}; inside the band {inside:.1%}")
    return corr, inside


def exercise_4_longer_windows(epochs=30, windows=(5, 50)):
    """Windows of 5 and 50 past values: 50 reaches the noise floor, 5 stays above it.

    A clean sine's next value is fixed by two past values (sin(t + dt) = 2 cos(dt) sin(t) - sin(t - dt));
    with noise, the model must average it away over many values, and 5 noisy values are too few to do it
    well (full run, seed 0: RMSE about 0.12 against 0.10 for 50). Returns ``{window: test RMSE}``.
    """
    out = {}
    for window in windows:
        dataset, train_set, test_set = sine(window)
        model = lstm_model()
        fit(model, train_set, test_set, epochs)
        out[window] = data.rmse(minilstm.predict(model, test_set), test_set.Y, dataset.meta["scaler"])
    print("exercise 4: test RMSE by window:", {w: round(r, 4) for w, r in out.items()}, f"(noise {NOISE})")
    return out


def exercise_5_further_ahead(epochs=30, steps=100):
    """Feed the forecasts back in: start from the last training window and predict ``steps`` values.

    The forecast drifts because each step's small error becomes part of the next input, and the model never
    saw its own (noise-free) forecasts as inputs in training; over 100 steps the error grows several-fold
    (full run, seed 0: from about 0.04 over the first 10 steps to about 0.5 over the last 10). It does not
    blow up at once because the model has learnt the sine's smooth dynamics, which keep a slightly wrong
    window on a sine-like continuation for a while.
    Returns the forecast's RMSE against the noise-free sine over the first 10 and the last 10 steps.
    """
    dataset, train_set, test_set = sine()
    model = lstm_model()
    fit(model, train_set, test_set, epochs)
    scaler = dataset.meta["scaler"]
    window = list(train_set.X[-1, :, 0])
    window = window[1:] + [float(train_set.Y[-1, 0])]     # the last training window, advanced to the split
    forecast = []
    for _ in range(steps):
        nxt = float(minilstm.predict(model, np.array(window, dtype=np.float32)[None, :, None])[0, 0])
        forecast.append(nxt)
        window = window[1:] + [nxt]
    t = dataset.meta["t"][int(0.8 * N_POINTS):][:steps]
    err = scaler.inverse_transform(np.array(forecast)[:, None])[:, 0] - np.sin(t)
    early, late = float(np.sqrt(np.mean(err[:10] ** 2))), float(np.sqrt(np.mean(err[-10:] ** 2)))
    print(f"exercise 5: RMSE against sin(t) over the first 10 steps {early:.3f}, the last 10 {late:.3f}")
    return early, late


def main(quick=False):
    epochs = 2 if quick else 30
    exercise_1_naive_in_theory()
    exercise_2_scaler_without_leaks()
    exercise_3_a_band_that_breathes(epochs=2 if quick else 40)
    exercise_4_longer_windows(epochs=epochs)
    exercise_5_further_ahead(epochs=epochs, steps=20 if quick else 100)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
