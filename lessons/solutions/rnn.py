"""Lesson 1: the vanilla (tanh) RNN step backward, written from its equation.

Forward:  a = xw + h_prev W_hh^T   (xw = x W_ih^T + b_ih + b_hh),   h = tanh(a)
"""


def step_backward(dstate, cache, p):
    (dh,) = dstate
    da = dh * (1.0 - cache.h ** 2)     # backprop through tanh, from its output h
    dh_prev = da @ p.weight_hh         # a = ... + h_prev W_hh^T
    return da, da, (dh_prev,)          # xw and the recurrent product both add straight onto a
