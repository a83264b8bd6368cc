"""The ladder's third rung, for every cell: BPTT over a sequence with a loss at every step.

The loss is L = sum_t <dhs[t], h_t>, so the loss's own gradient at h_t is dhs[t]. Forward, one step
at a time, keeping each step's cache; backward from the last step to the first, where step t's
backward starts from the gradient later steps send back *plus* dhs[t], and every weight's gradient
is the sum of each step's share.
Checked by ``check_bptt(bptt, cell=...)``.
"""
import numpy as np


def product_inputs(step, cache):
    """What each gate block's recurrent product multiplied, (B, H) per block: h_prev, except the n block
    of the GRU with reset_after=False, which multiplies r * h_prev (cache.rh)."""
    inputs = [cache.h_prev] * len(step.gates)
    if getattr(step, "reset_after", True) is False:
        inputs[2] = cache.rh
    return inputs


def bptt(step, x, state0, p, dhs):
    T = x.shape[0]
    state, caches, hs = state0, [], []
    for t in range(T):                                    # forward
        xw = x[t] @ p.weight_ih.T + step.input_bias(p)
        state, cache = step.step_forward(xw, state, p)
        caches.append(cache)
        hs.append(state[0])
    grads = {"weight_ih": np.zeros_like(p.weight_ih), "weight_hh": np.zeros_like(p.weight_hh),
             "bias_ih": np.zeros_like(p.bias_ih), "bias_hh": np.zeros_like(p.bias_hh)}
    dx = np.zeros_like(x)
    dstate = tuple(np.zeros_like(s) for s in state0)     # nothing reads the final state
    for t in range(T - 1, -1, -1):                        # backward
        dnew = (dstate[0] + dhs[t],) + dstate[1:]         # the loss at step t reads h_t
        dxw, dhw, dstate = step.step_backward(dnew, caches[t], p)
        dstate = tuple(dstate)
        dx[t] = dxw @ p.weight_ih                         # xw = x W_ih^T + ...
        grads["weight_ih"] += dxw.T @ x[t]                # += : the same weights serve every step
        grads["bias_ih"] += dxw.sum(axis=0)
        H = p.weight_hh.shape[1]
        for k, h_in in enumerate(product_inputs(step, caches[t])):
            grads["weight_hh"][k * H:(k + 1) * H] += dhw[:, k * H:(k + 1) * H].T @ h_in
        grads["bias_hh"] += dhw.sum(axis=0)
    return np.stack(hs), dx, dstate, grads
