"""What every cell's specification checks the same way: its step backward, its weight gradients, its loop.

Shape letters: T steps, B batch, D input features, H hidden units, G gate blocks. Everything is float64
NumPy; the scalar checked is a weighted sum of the outputs with fixed random weights (a weighted sum is a
nice hash: any wrong entry of any gradient shows).
"""
from __future__ import annotations

import numpy as np

from minilstm import bptt
from minilstm.cells import CellParams
from minilstm.gradcheck import check_gradients


def draw(rng: np.random.Generator, G: int, D: int, H: int, peepholes: tuple = ()) -> CellParams:
    """Parameters in PyTorch's fused layout, N(0, 0.5^2), with peephole weights for ``peepholes``."""
    def normal(*shape: int) -> np.ndarray:
        return 0.5 * rng.standard_normal(shape)
    peeps = {f"peep_{k}": normal(H) for k in peepholes}
    return CellParams(normal(G * H, D), normal(G * H, H), normal(G * H), normal(G * H), **peeps)


def xw_of(step, x: np.ndarray, p: CellParams) -> np.ndarray:
    """The input's share of the pre-activations, as the time loop makes it: ``x W_ih^T`` plus the biases the
    cell folds into it."""
    return x @ p.weight_ih.T + step.input_bias(p)


def step_backward_report(step, p: CellParams, xw: np.ndarray, state: tuple, rng: np.random.Generator):
    """The step backward's ``dxw`` and ``dstate`` against central differences of one step forward.

    The loss is ``sum(u_k * s_k)`` over the new state's arrays ``s_k`` with random ``u_k``: the upstream
    gradient ``dstate`` the step backward receives is exactly ``(u_k)``.
    """
    u = tuple(rng.standard_normal(s.shape) for s in state)
    arrays = {"xw": xw.copy(), **{f"d_{k}": s.copy() for k, s in zip(step.state_names, state)}}

    def loss() -> float:
        new, _ = step.step_forward(arrays["xw"], tuple(arrays[f"d_{k}"] for k in step.state_names), p)
        return float(sum(np.sum(w * s) for w, s in zip(u, new)))

    _, cache = step.step_forward(xw, state, p)
    g = step.step_backward(u, cache, p)
    analytic = {"xw": g.dxw, **{f"d_{k}": d for k, d in zip(step.state_names, g.dstate)}}
    return check_gradients(loss, arrays, analytic)


def sequence_report(step, p: CellParams, x: np.ndarray, state: tuple, rng: np.random.Generator):
    """The time loop's input, initial-state and parameter gradients against central differences.

    ``x`` (T, B, D); the loss is ``sum(u * hs)`` over every step's output with random ``u``.
    """
    u = rng.standard_normal(x.shape[:2] + state[0].shape[1:])
    fields = [k for k in CellParams._fields if getattr(p, k) is not None and k != "recurrent_mask"]
    arrays = {"x": x.copy(), **{f"s0_{k}": s.copy() for k, s in zip(step.state_names, state)},
              **{k: getattr(p, k).copy() for k in fields}}

    def run(keep: bool) -> tuple:
        q = p._replace(**{k: arrays[k] for k in fields})
        s0 = tuple(arrays[f"s0_{k}"] for k in step.state_names)
        return bptt.forward(step, arrays["x"], s0, q, keep=keep), q

    def loss() -> float:
        (hs, _, _), _ = run(keep=False)
        return float(np.sum(u * hs))

    (_, _, cache), q = run(keep=True)
    dx, ds0, grads = bptt.backward(step, u, tuple(np.zeros_like(s) for s in state), cache, q)
    analytic = {"x": dx, **{f"s0_{k}": d for k, d in zip(step.state_names, ds0)}, **grads}
    return check_gradients(loss, arrays, analytic)


def loop_and_steps(step, p: CellParams, x: np.ndarray, state: tuple, rng: np.random.Generator) -> tuple:
    """The time loop's outputs and gradients, and the same made by calling the step pair once per step.

    Returns two lists ``[hs, *final state, dx, *dstate0, *weight gradients]``, the loop's and the steps'.
    """
    T = x.shape[0]
    u = rng.standard_normal(x.shape[:2] + state[0].shape[1:])
    hs, final, cache = bptt.forward(step, x, state, p)
    dx, ds0, grads = bptt.backward(step, u, tuple(np.zeros_like(s) for s in state), cache, p)
    loop = [hs, *final, dx, *ds0, *(grads[k] for k in sorted(grads))]

    s, caches, outs = state, [], []
    for t in range(T):
        s, c = step.step_forward(xw_of(step, x[t], p), s, p)
        caches.append(c)
        outs.append(s[0])
    d, dxws = tuple(np.zeros_like(a) for a in state), []
    for t in reversed(range(T)):
        g = step.step_backward((d[0] + u[t],) + d[1:], caches[t], p)
        d = g.dstate
        dxws.insert(0, g.dxw)
    dxw = np.stack(dxws)
    stacked = type(caches[0])(*(np.stack(f) if hasattr(f[0], "shape") else f[0] for f in zip(*caches)))
    by_steps = step.param_grads(x, dxw, stacked, p)
    steps = [np.stack(outs), *s, dxw @ p.weight_ih, *d, *(by_steps[k] for k in sorted(by_steps))]
    return loop, steps
