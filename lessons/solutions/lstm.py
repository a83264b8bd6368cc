"""Lesson 3: the LSTM step backward (gates i, f, g, o; no peepholes), written from its equations.

Forward:
    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * tanh(c)
with a = xw + h_prev W_hh^T, its four blocks side by side in the order i, f, g, o.
"""
import numpy as np


def step_backward(dstate, cache, p):
    dh, dc = dstate
    i, f, g, o, tc = cache.i, cache.f, cache.g, cache.o, cache.tc
    do = dh * tc                       # h = o * tanh(c)
    dc = dc + dh * o * (1.0 - tc ** 2)  # c reaches the loss twice: through c itself and through h
    di = dc * g                        # c = f * c_prev + i * g
    df = dc * cache.c_prev
    dg = dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=-1)
    dh_prev = da @ p.weight_hh
    dc_prev = dc * f                   # the gradient highway: one multiply by the forget gate
    return da, da, (dh_prev, dc_prev)
