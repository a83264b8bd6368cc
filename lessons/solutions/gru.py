"""Lesson 4's ladder for the GRU, both forms: the step forward and backward, written from the equations.

xw = x W_ih^T + b_ih + (b_hr, b_hz, 0), blocks r, z, n; b_hn stays in the step. With reset_after=True
(PyTorch, cuDNN, Keras):
    r = sigmoid(xw_r + h_prev W_hr^T), z = sigmoid(xw_z + h_prev W_hz^T)
    hn = h_prev W_hn^T + b_hn
    n = tanh(xw_n + r * hn)
    h = (1 - z) * n + z * h_prev
With reset_after=False (Cho et al. 2014) the reset gate acts before the product:
    rh = r * h_prev, hn = rh W_hn^T + b_hn, n = tanh(xw_n + hn)
"""
import numpy as np

from minilstm.exercises import GRUCache


def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def blocks(w):
    """The r, z and n blocks of a fused (3H, ...) weight or (3H,) bias."""
    return np.split(w, 3, axis=0)


def step_forward(xw, state, p):
    (h_prev,) = state
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ p.weight_hh.T, 3, axis=-1)   # one product for all three blocks
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    hn = h_n + blocks(p.bias_hh)[2]
    n = np.tanh(x_n + r * hn)
    h = (1 - z) * n + z * h_prev
    return (h,), GRUCache(h_prev, r, z, n, hn, None, h)


def step_backward(dstate, cache, p):
    (dh,) = dstate
    r, z, n, hn, h_prev = cache.r, cache.z, cache.n, cache.hn, cache.h_prev
    dan = dh * (1 - z) * (1 - n ** 2)       # through h = (1 - z) * n + ..., then tanh
    daz = dh * (h_prev - n) * z * (1 - z)   # z mixes n and h_prev
    dar = dan * hn * r * (1 - r)            # n = tanh(xw_n + r * hn)
    dxw = np.concatenate([dar, daz, dan], axis=-1)
    dhw = np.concatenate([dar, daz, dan * r], axis=-1)  # the n block's product sits inside r * (...)
    dh_prev = dh * z + dhw @ p.weight_hh    # directly through z * h_prev, and through the three products
    return dxw, dhw, (dh_prev,)


def step_forward_reset_before(xw, state, p):
    (h_prev,) = state
    W_hr, W_hz, W_hn = blocks(p.weight_hh)
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    r, z = sigmoid(x_r + h_prev @ W_hr.T), sigmoid(x_z + h_prev @ W_hz.T)
    rh = r * h_prev                          # the reset gate acts before the product
    hn = rh @ W_hn.T + blocks(p.bias_hh)[2]
    n = np.tanh(x_n + hn)
    h = (1 - z) * n + z * h_prev
    return (h,), GRUCache(h_prev, r, z, n, hn, rh, h)


def step_backward_reset_before(dstate, cache, p):
    (dh,) = dstate
    r, z, n, h_prev = cache.r, cache.z, cache.n, cache.h_prev
    W_hr, W_hz, W_hn = blocks(p.weight_hh)
    dan = dh * (1 - z) * (1 - n ** 2)
    daz = dh * (h_prev - n) * z * (1 - z)
    drh = dan @ W_hn                         # hn = rh W_hn^T + b_hn
    dar = drh * h_prev * r * (1 - r)         # rh = r * h_prev
    dxw = np.concatenate([dar, daz, dan], axis=-1)
    dhw = dxw                                # every block's product gradient is its pre-activation's
    dh_prev = dh * z + dar @ W_hr + daz @ W_hz + drh * r   # z * h_prev, the r and z products, and rh
    return dxw, dhw, (dh_prev,)
