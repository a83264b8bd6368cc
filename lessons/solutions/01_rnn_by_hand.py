"""Lesson 1: the exercises beyond the ladder, one function each (the ladder's rungs are rnn.py, bptt.py and
numerical_gradient.py). Each returns its answer as text; run the file to print them all (``--quick`` is
accepted like every solution script's; these are small already):

    python lessons/solutions/01_rnn_by_hand.py
"""
import sys
from pathlib import Path

import numpy as np

import minilstm
from minilstm import inspect
from minilstm.exercises import CellParams, check_step_backward, plug, random_step

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # lessons/, so that `solutions` imports as a script
from solutions import bptt, rnn  # noqa: E402


def relu_zeros(seed=0):
    """Exercise, rung 2 (the ReLU RNN): which entries of ``da`` are exactly zero, and what that means.

    ``da = dh * (h > 0)`` is zero exactly where ``h = max(a, 0)`` was cut to 0 (``a <= 0``): there the unit
    passes no gradient at all, to its weights, its input or the earlier state. A unit whose pre-activation
    stays negative on every input never learns again (a "dead" ReLU); a tanh unit only slows down.
    """
    step, p, cache, dstate = random_step("rnn", seed, nonlinearity="relu")
    assert check_step_backward(rnn.step_backward_relu, cell="rnn", nonlinearity="relu", seed=seed)
    da = rnn.step_backward_relu(dstate, cache, p)[0]
    assert np.array_equal(da == 0, cache.h == 0)
    return f"{np.mean(da == 0):.0%} of da is exactly 0 here, exactly where h = 0 (the ReLU cut a <= 0)"


def transposed(dstate, cache, p):
    """The RNN step backward with W_hh transposed in dh_prev (the planted bug of "More exercises", 1)."""
    (dh,) = dstate
    da = dh * (1.0 - cache.h ** 2)
    return da, da, (da @ p.weight_hh.T,)


def break_it(T=6, B=2, D=3):
    """Exercise 1 of "More exercises": does the checker catch a transposed W_hh, and does ``gradcheck`` on a layer?

    Both do: the checker names ``dh_prev`` (and says it is ``da @ p.weight_hh.T``), and ``gradcheck`` of a
    layer plugged with that backward finds errors near 1 in every array the wrong ``dh_prev`` reaches (every
    gradient but the last step's). With H = 1, ``W_hh`` is a 1 x 1 matrix, its own transpose, so the bug
    changes nothing and no check can see it; a symmetric ``W_hh`` would hide it too. Check with H > 1 and
    random weights.
    """
    check = check_step_backward(transposed, cell="rnn")
    x = np.random.default_rng(0).standard_normal((T, B, D))
    worst = {H: minilstm.gradcheck(plug(minilstm.RNN(D, H, dtype="float64", seed=0), backward=transposed), x).worst
             for H in (4, 1)}
    assert check.wrong == ["dh_prev"] and worst[4] > 0.1 and worst[1] == 0.0
    return (f"checker: wrong {check.wrong}; gradcheck's worst error: {worst[4]:.2f} at H = 4, "
            f"{worst[1]:.0e} at H = 1")


def backward_in_the_loop(T=8, B=2, D=3, H=4):
    """Exercise 2 of "More exercises": your step backward inside a BPTT loop gives the layer's own ``dW_hh``.

    The loop of ``solutions/bptt.py`` runs any step pair; a plugged layer's ``cell`` is the engine's step
    pair with your backward in it. The loss reads the last step, as in section 3.
    """
    layer = minilstm.RNN(D, H, dtype="float64", seed=0)
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((T, B, D)), np.zeros((T, B, H))
    dout[-1] = rng.standard_normal((B, H))
    step = plug(layer, backward=rnn.step_backward).cell
    p = CellParams(*(layer.params[k + "_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
    _, _, _, grads = bptt.bptt(step, x, (np.zeros((B, H)),), p, dout)
    layer.forward(x)
    layer.backward(dout)
    gap = np.abs(grads["weight_hh"] - layer.grads["weight_hh_l0"]).max()
    assert gap < 1e-12
    return f"largest |your dW_hh - the layer's|: {gap:.1e}"


def larger_w_hh(T=30, B=8, D=3, H=16, scales=(1.0, 3.0)):
    """Exercise 3 of "More exercises": W_hh times 3, and the slope of ||dL/dh_t|| against the lag.

    Each step back multiplies the gradient (a column vector) by W_hh^T diag(1 - h_t^2). Tripling W_hh triples the
    matrix but also pushes tanh into its flat tails, which shrinks 1 - h_t^2: the net factor per step is what the
    slope shows.
    Here the slope turns from falling (vanishing) to flat or rising: the gradient reaches much further back,
    and past a factor of 1 per step it explodes (lesson 2).
    """
    x = np.random.default_rng(0).standard_normal((T, B, D))
    lines = []
    for scale in scales:
        layer = minilstm.RNN(D, H, dtype="float64", seed=0)
        layer.params["weight_hh_l0"][...] *= scale
        norms = np.linalg.norm(inspect.state_gradients(layer, x).h[0], axis=-1).mean(axis=-1)  # (T,)
        lag = np.arange(T)[::-1]
        slope = np.polyfit(lag[:-1], np.log10(norms[:-1]), 1)[0]
        lines.append(f"W_hh x {scale:g}: ||dL/dh_t|| changes by a factor {10 ** slope:.2f} per step back")
    return "\n".join(lines)


if __name__ == "__main__":
    for fn in (relu_zeros, break_it, backward_in_the_loop, larger_w_hh):
        print(f"{fn.__name__}: {fn()}")
