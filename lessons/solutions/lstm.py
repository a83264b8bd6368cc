"""Lesson 3's ladder for the LSTM (gates i, f, g, o; no peepholes): the step forward and backward.

Forward:
    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * tanh(c)
with a = xw + h_prev W_hh^T, its four blocks side by side in the order i, f, g, o.
"""
import numpy as np

from minilstm.exercises import LSTMCache


def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))   # = 1 / (1 + exp(-a)), without overflow for large -a


def step_forward(xw, state, p):
    h_prev, c_prev = state
    a = xw + h_prev @ p.weight_hh.T          # (B, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=-1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    h = o * tc
    return (h, c), LSTMCache(h_prev, c_prev, i, f, g, o, c, tc, h)


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
