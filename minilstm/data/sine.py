"""Noisy sine-wave forecasting: the common tutorial pipeline.

Task
    A series ``x[k] = sin(w * t[k] + phi) + eps[k]``, ``t[k] = k * dt``,
    ``eps ~ N(0, noise**2)``, is cut into sliding windows of ``window`` steps;
    from each window predict the next value (all channels for
    :func:`sine_waves`). ``kind = "regression_last"``.
Source
    The univariate series, the [-1, 1] min-max scaling and the 20-step windows
    follow the usual Keras/PyTorch time-series tutorials (1000 points of a
    noisy ``sin``); nothing is downloaded.
Split
    Chronological: the series is cut into train, val and test stretches
    (``fractions`` of the points), the scaler is fitted on the train stretch
    only, and each window lies wholly inside one stretch, so no target of one
    part is ever an input of another. The windows are stored in time order;
    :func:`~minilstm.data.chronological_split` returns the three parts.
Success
    The best possible forecast still misses the fresh noise of the next step,
    so the test RMSE in original units (``rmse(pred, Y, scaler)``) cannot go
    below ``meta["noise"]``; a good model comes within about 20 % of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import at_least, nonnegative, positive_int, real, seed_arg
from .dataset import Dataset, part_sizes


@dataclass(frozen=True, eq=False)
class MinMaxScaler:
    """Map each feature linearly from ``[data_min, data_max]`` to ``[low, high]``.

    Make one with :meth:`fit`; it holds no state that changes afterwards.

    Attributes
    ----------
    data_min, data_max : ndarray
        ``(F,)`` the per-feature extremes of the data it was fitted on.
    low, high : float
        The target range (``-1, 1`` by default).
    """

    data_min: np.ndarray
    data_max: np.ndarray
    low: float = -1.0
    high: float = 1.0

    @classmethod
    def fit(cls, x: Any, low: float = -1.0, high: float = 1.0) -> MinMaxScaler:
        """Fit on ``x`` of shape ``(..., F)`` (every axis but the last is samples)."""
        low, high = real("low", low), real("high", high)
        if not low < high:
            raise ValueError(f"low must be < high, got low={low}, high={high}")
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 1 or x.size == 0:
            raise ValueError(f"x must be a non-empty array of shape (..., F), got shape {x.shape}")
        x = x.reshape(-1, x.shape[-1])
        return cls(x.min(axis=0), x.max(axis=0), low, high)

    @property
    def _scale(self) -> np.ndarray:
        span = self.data_max - self.data_min
        span = np.where(span > 0, span, 1.0)  # a constant feature maps to low, not to nan
        return (self.high - self.low) / span

    def transform(self, x: Any) -> np.ndarray:
        """``(..., F)`` data in original units -> scaled (float64)."""
        return (np.asarray(x, dtype=np.float64) - self.data_min) * self._scale + self.low

    def inverse_transform(self, x: Any) -> np.ndarray:
        """``(..., F)`` scaled data (a model's predictions) -> original units (float64)."""
        return (np.asarray(x, dtype=np.float64) - self.low) / self._scale + self.data_min


def rmse(pred: Any, target: Any, scaler: MinMaxScaler | None = None) -> float:
    """Root mean squared error, in original units when ``scaler`` is given.

    ``pred`` and ``target`` are scaled values of the same shape ``(N, F)``.
    """
    pred, target = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape:
        raise ValueError(f"pred must have the shape of target {target.shape}, got {pred.shape}")
    if scaler is not None:
        pred, target = scaler.inverse_transform(pred), scaler.inverse_transform(target)
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def _forecast(series: np.ndarray, window: int, fractions: Any, meta: dict) -> Dataset:
    """Chronological split of ``series`` (P, C), scaler on train, windows per stretch."""
    P = series.shape[0]
    stretches = part_sizes(P, fractions)
    if min(stretches) <= window:
        raise ValueError(f"n_points={P} split by fractions {tuple(fractions)} gives stretches of "
                         f"{stretches} points; each must be longer than window={window}")
    bounds = np.cumsum([0, *stretches])
    scaler = MinMaxScaler.fit(series[:bounds[1]])  # train stretch only
    scaled = scaler.transform(series)
    X, Y = [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        # (n_w, C, window + 1) -> (n_w, window + 1, C): inputs then the next value
        w = np.lib.stride_tricks.sliding_window_view(scaled[a:b], window + 1, axis=0)
        w = w.transpose(0, 2, 1)
        X.append(w[:, :window])
        Y.append(w[:, window])
    meta = dict(meta, scaler=scaler, series=series, window=window,
                split_sizes=tuple(len(y) for y in Y))
    return Dataset(np.concatenate(X).astype(np.float32), np.concatenate(Y).astype(np.float32),
                   None, "regression_last", meta)


def _check(n_points: Any, window: Any, noise: Any, dt: Any) -> tuple[int, int, float, float]:
    window = positive_int("window", window)
    n_points = at_least("n_points", n_points, 3 * (window + 1), "three stretches of window + 1")
    dt = real("dt", dt)
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite number > 0, got {dt}")
    return n_points, window, nonnegative("noise", noise), dt


def sine_wave(n_points: int = 1000, window: int = 20, noise: float = 0.1, dt: float = 0.1,
              fractions: Any = (0.7, 0.15, 0.15), seed: int | None = None) -> Dataset:
    """Noisy ``sin(t)`` forecasting: X ``(N, window, 1)``, Y ``(N, 1)``, scaled to [-1, 1].

    Parameters
    ----------
    n_points : int
        Length of the series (1000: ``t`` runs over 0, 0.1, ..., 99.9, about 16 periods).
    window : int
        Input steps per sample; the target is the value right after them.
    noise : float
        Standard deviation of the Gaussian noise, in original units (>= 0).
    dt : float
        Time step between points, in radians of ``sin``.
    fractions : sequence of 3 floats
        Train, val and test shares of the points, in time order.
    seed : int or None

    Returns
    -------
    Dataset
        ``kind="regression_last"``; the windows in time order. ``meta`` holds
        ``scaler`` (a :class:`MinMaxScaler`), ``noise``, ``dt``, ``series``
        ``(n_points, 1)`` in original units, ``t``, ``window`` and ``split_sizes``
        (windows per part, for :func:`~minilstm.data.chronological_split`).
    """
    n_points, window, noise, dt = _check(n_points, window, noise, dt)
    rng = np.random.default_rng(seed_arg(seed))
    t = dt * np.arange(n_points)
    series = (np.sin(t) + noise * rng.standard_normal(n_points))[:, None]
    return _forecast(series, window, fractions, dict(noise=noise, dt=dt, t=t))


def sine_waves(n_points: int = 1000, channels: int = 3, window: int = 20, noise: float = 0.1,
               dt: float = 0.1, fractions: Any = (0.7, 0.15, 0.15),
               seed: int | None = None) -> Dataset:
    """Several noisy sines forecast together: X ``(N, window, channels)``, Y ``(N, channels)``.

    Channel ``c`` is ``sin(freqs[c] * t + phases[c]) + eps``, with ``freqs``
    drawn uniformly from [0.5, 2] and ``phases`` from [0, 2 pi). The parameters
    and the returned ``meta`` are those of :func:`sine_wave`, plus ``channels``,
    ``freqs`` and ``phases``; the scaler works per channel.
    """
    n_points, window, noise, dt = _check(n_points, window, noise, dt)
    channels = positive_int("channels", channels)
    rng = np.random.default_rng(seed_arg(seed))
    freqs = rng.uniform(0.5, 2.0, channels)
    phases = rng.uniform(0.0, 2 * np.pi, channels)
    t = dt * np.arange(n_points)
    series = np.sin(t[:, None] * freqs + phases) + noise * rng.standard_normal((n_points, channels))
    meta = dict(noise=noise, dt=dt, t=t, channels=channels, freqs=freqs, phases=phases)
    return _forecast(series, window, fractions, meta)
