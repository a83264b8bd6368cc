"""Where each result of a step comes from, said once per cell and per option: a checker shows the line
next to a wrong result.

A hint states the equation of the cell *as configured*: the ReLU RNN's hint is
its own derivative (never the tanh one a learner may have copied), and the GRU
with ``reset_after=False`` gets that form's gradients (its reset gate acts
before the product). Symbols are the code's: ``xw`` the input projection with
the biases the time loop folds in, ``a`` a pre-activation, blocks of a fused
array named by their gate.
"""
from __future__ import annotations

RNN_PHI = {"tanh": ("tanh(a)", "dh * (1 - h**2)", "1 - h**2"),
           "relu": ("max(a, 0)", "dh * (h > 0)", "h > 0 (1 where h is positive, else 0)")}


def rnn(nonlinearity: str = "tanh") -> dict:
    phi, da, _ = RNN_PHI[nonlinearity]
    return {
        "h": f"h = {phi} with a = xw + h_prev W_hh^T (xw already holds b_ih + b_hh)",
        "h_prev": "the cache keeps the state the step started from, unchanged",
        "dxw": f"h = {phi}: da = {da}, from the saved output h",
        "dhw": "the same da: a = xw + h_prev W_hh^T",
        "dh_prev": "a = xw + h_prev W_hh^T: dh_prev = da W_hh",
    }


LSTM = {
    "i": "a = xw + h_prev W_hh^T, its blocks i, f, g, o side by side; i = sigmoid(a_i)",
    "f": "f = sigmoid(a_f), the second block of a = xw + h_prev W_hh^T",
    "g": "g = tanh(a_g), the third block of a = xw + h_prev W_hh^T",
    "o": "o = sigmoid(a_o), the fourth block of a = xw + h_prev W_hh^T",
    "c": "c = f * c_prev + i * g",
    "tc": "tc = tanh(c), kept for the backward",
    "h": "h = o * tanh(c)",
    "h_prev": "the cache keeps the state the step started from, unchanged",
    "c_prev": "the cache keeps the state the step started from, unchanged",
    "dxw": "c receives dc + dh * o * (1 - tanh(c)**2); then di = dc*g, df = dc*c_prev, dg = dc*i, "
           "do = dh*tanh(c), each times its gate's derivative (sigmoid: y(1-y), tanh: 1-y**2)",
    "dhw": "the same fused da as dxw",
    "dh_prev": "dh_prev = da W_hh, da all four gate blocks",
    "dc_prev": "c = f * c_prev + i * g: dc_prev = f * (total dc)",
}


def gru(reset_after: bool = True) -> dict:
    shared = {
        "r": "r = sigmoid(xw_r + h_prev W_hr^T) (xw_r holds b_ir + b_hr)",
        "z": "z = sigmoid(xw_z + h_prev W_hz^T) (xw_z holds b_iz + b_hz)",
        "h": "h = (1 - z) * n + z * h_prev",
        "h_prev": "the cache keeps the state the step started from, unchanged",
    }
    if reset_after:
        return shared | {
            "hn": "hn = h_prev W_hn^T + b_hn (b_hn is not in xw: r multiplies it too)",
            "n": "n = tanh(xw_n + r * hn)",
            "dxw": "h = (1-z)*n + z*h_prev; n = tanh(xw_n + r*hn): da_n = dh*(1-z)*(1-n**2), "
                   "da_z = dh*(h_prev-n)*z*(1-z), da_r = da_n*hn*r*(1-r)",
            "dhw": "like dxw, but its n block is the gradient of hn = h_prev W_hn^T + b_hn: da_n * r",
            "dh_prev": "two paths: dh * z directly, plus dhw W_hh through the three products",
        }
    return shared | {
        "rh": "rh = r * h_prev: the reset gate acts before the product",
        "hn": "hn = rh W_hn^T + b_hn = (r * h_prev) W_hn^T + b_hn",
        "n": "n = tanh(xw_n + hn)",
        "dxw": "h = (1-z)*n + z*h_prev; n = tanh(xw_n + hn), hn = (r*h_prev) W_hn^T + b_hn: "
               "da_n = dh*(1-z)*(1-n**2), da_z = dh*(h_prev-n)*z*(1-z), da_r = (da_n W_hn) * h_prev * r*(1-r)",
        "dhw": "like dxw: here the n block is da_n itself (hn = rh W_hn^T + b_hn; r acts before the product)",
        "dh_prev": "three paths: dh * z directly, da_r W_hr + da_z W_hz through the r and z products, "
                   "and (da_n W_hn) * r through rh = r * h_prev",
    }


# the loop over a sequence (check_bptt) and the numerical gradient (check_numerical_gradient)
SEQUENCE = {
    "hs": "the forward loop: xw_t = x_t W_ih^T + step.input_bias(p), state = step.step_forward(xw_t, state, p)",
    "dx": "dx_t = dxw_t W_ih, where dxw_t comes from step t's backward on (dh_t + dhs[t], ...)",
    "dh0": "the state gradient that leaves step 0's backward",
    "dc0": "the cell-state gradient that leaves step 0's backward",
    "weight_ih": "the sum over every step of dxw_t^T x_t",
    "weight_hh": "the sum over every step of dhw_t^T h_prev_t",
    "bias_ih": "the sum over every step and sequence of dxw_t",
    "bias_hh": "the sum over every step and sequence of dhw_t",
}
WEIGHT_HH_RESET_BEFORE = "the sum over every step of dhw_t^T times each block's product input: h_prev for r " \
                         "and z, r * h_prev (cache.rh) for n"


def of(cell: str, options: dict) -> dict:
    """Every hint of ``cell`` with ``options`` (``nonlinearity=``, ``reset_after=``)."""
    own = {"rnn": lambda: rnn(options.get("nonlinearity", "tanh")), "lstm": lambda: LSTM,
           "gru": lambda: gru(options.get("reset_after", True))}[cell]()
    sequence = dict(SEQUENCE)
    if cell == "gru" and not options.get("reset_after", True):
        sequence["weight_hh"] = WEIGHT_HH_RESET_BEFORE
    return own | sequence
