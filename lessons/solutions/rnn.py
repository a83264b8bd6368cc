"""Lesson 1's ladder for the vanilla RNN: the step forward and the step backward, written from the equation.

Forward:  a = xw + h_prev W_hh^T   (xw = x W_ih^T + b_ih + b_hh),   h = tanh(a)   (or max(a, 0))
Checked by ``check_step_forward(step_forward, cell="rnn")`` and ``check_step_backward(step_backward, cell="rnn")``
(the ReLU pair with ``nonlinearity="relu"``).
"""
import numpy as np

from minilstm.exercises import RNNCache


def step_forward(xw, state, p):
    (h_prev,) = state
    h = np.tanh(xw + h_prev @ p.weight_hh.T)     # both biases are already in xw
    return (h,), RNNCache(h_prev, h)


def step_backward(dstate, cache, p):
    (dh,) = dstate
    da = dh * (1.0 - cache.h ** 2)     # backprop through tanh, from its output h
    dh_prev = da @ p.weight_hh         # a = ... + h_prev W_hh^T
    return da, da, (dh_prev,)          # xw and the recurrent product both add straight onto a


def step_forward_relu(xw, state, p):
    (h_prev,) = state
    h = np.maximum(xw + h_prev @ p.weight_hh.T, 0.0)
    return (h,), RNNCache(h_prev, h)


def step_backward_relu(dstate, cache, p):
    (dh,) = dstate
    da = dh * (cache.h > 0)            # relu passes the gradient where it passed the value, else 0
    return da, da, (da @ p.weight_hh,)
