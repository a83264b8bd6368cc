"""Lesson 4: the GRU step backward (PyTorch's reset_after=True form), written from its equations.

Forward, with xw = x W_ih^T + b_ih + (b_hr, b_hz, 0) and hw = h_prev W_hh^T (blocks r, z, n):
    r = sigmoid(xw_r + hw_r), z = sigmoid(xw_z + hw_z)
    hn = hw_n + b_hn
    n = tanh(xw_n + r * hn)
    h = (1 - z) * n + z * h_prev
"""
import numpy as np


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
