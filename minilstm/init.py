"""Weight initialisers. All draw on the host from a seeded NumPy ``Generator``.

Defaults of the recurrent layers (documented in their docstrings):
input weights Glorot/Xavier uniform per gate block, recurrent weights
orthogonal per gate block, biases zero except the LSTM forget gate's, whose
``bias_ih`` entries start at ``forget_bias`` (default 1.0, Jozefowicz et al. 2015).
"""
from __future__ import annotations

import numpy as np


def glorot_uniform(rng: np.random.Generator, fan_out: int, fan_in: int) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010); shape (fan_out, fan_in)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_out, fan_in))


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random (n, n) orthogonal matrix (Saxe et al. 2014): Q of a Gaussian's QR, signs fixed."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def uniform(rng: np.random.Generator, shape: tuple, bound: float) -> np.ndarray:
    """U(-bound, bound): PyTorch's default for Linear, peepholes here."""
    return rng.uniform(-bound, bound, size=shape)


def recurrent_weights(rng: np.random.Generator, gates: int, input_size: int, hidden_size: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Fused ``weight_ih`` (G*H, D) and ``weight_hh`` (G*H, H), one block per gate."""
    w_ih = np.concatenate([glorot_uniform(rng, hidden_size, input_size) for _ in range(gates)])
    w_hh = np.concatenate([orthogonal(rng, hidden_size) for _ in range(gates)])
    return w_ih, w_hh
