# %% [markdown]
# # Lesson 1: A recurrent network by hand
#
# A recurrent network reads a sequence one step at a time and carries a *hidden state* from each step to the
# next. In this lesson you take one such step apart, run it over a sequence, and follow the gradient back
# through time, with every number coming from `minilstm`'s own engine.
#
# **In this lesson you will be able to**
#
# 1. write the vanilla RNN step as an equation and compute it with `minilstm.RNNCell`;
# 2. draw the network unrolled over time and say which weights every step shares;
# 3. write backpropagation through time (BPTT) for it, and run one step forward and backward with the cell;
# 4. prove a gradient right with a gradient check (`minilstm.gradcheck`);
# 5. write the step backward yourself and have `minilstm.exercises.check_step_backward` check it.
#
# About 20 minutes. You need NumPy and the chain rule; nothing about recurrent networks.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import inspect, plot
from minilstm.exercises import check_step_backward
from IPython.display import Markdown   # text written from the numbers above it

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. One step
#
# At step $t$ the RNN reads an input $x_t$ (a vector of $D$ features) and the previous hidden state $h_{t-1}$
# (a vector of $H$ units), and computes the new state
#
# $$h_t = \tanh\left(W_{ih}\, x_t + b_{ih} + W_{hh}\, h_{t-1} + b_{hh}\right)$$
#
# with $W_{ih}$ of shape $(H, D)$, $W_{hh}$ of shape $(H, H)$ and two bias vectors of size $H$ (two, as PyTorch
# keeps them; only their sum matters). We process a *batch* of $B$ sequences at once, so $x_t$ is $(B, D)$ and
# $h_t$ is $(B, H)$, and the products become `x @ W_ih.T`.
#
# **One convention for the whole lesson.** In the equations every vector is a *column*: $x_t$ is $(D, 1)$, $h_t$ is
# $(H, 1)$, and so are the gradients, $\partial L / \partial h_t$ included. In the code a batch keeps each vector as
# a *row* of a $(B, \cdot)$ array, so a product $W v$ of the equations is `v @ W.T` in the code, and $W^\top g$ is
# `g @ W`. Same numbers, transposed.
#
# `minilstm.RNNCell` holds the four arrays under PyTorch's names:

# %%
D, H, B = 3, 4, 2                     # input features, hidden units, batch
cell = minilstm.RNNCell(D, H, dtype="float64", seed=0)
{name: value.shape for name, value in cell.params.items()}

# %% [markdown]
# `minilstm.plot.cell_diagram` draws the step: the previous state enters on the left, the input from below, one
# nonlinearity makes the new state, and the equation is written under the drawing:

# %%
plot.cell_diagram(cell);

# %% [markdown]
# Now the equation, line for line, next to the cell computing the same step:

# %%
x = rng.standard_normal((B, D))       # x_t, one row per sequence
h_prev = rng.standard_normal((B, H))  # h_(t-1)
W_ih, W_hh, b_ih, b_hh = (cell.params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

h_by_hand = np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)
h = cell(x, h_prev)                   # the same step, by the library
print(h)
print("same as the equation:", np.allclose(h, h_by_hand))

# %% [markdown]
# **Check yourself.** Every entry of `h` lies in $(-1, 1)$. Why? And what shape would `h` have for a batch of
# 10 sequences with $H = 4$? *(tanh maps every real number into $(-1, 1)$; $(10, 4)$.)*
#
# ## 2. Unrolled over time
#
# Run the same step on $x_1, x_2, \dots, x_T$ and you get $h_1, \dots, h_T$. Drawn with one box per step,
# the network is a deep feed-forward network whose layers all share **the same** $W_{ih}$, $W_{hh}$ and biases.
# A loss $L$ reads the last state here (it could read every state).

# %%
def draw_unrolled(T=4):
    """Boxes for x_t and h_t, arrows for W_ih (up) and W_hh (right); the loss reads h_T."""
    fig, ax = plt.subplots(figsize=(9, 3.2))
    for t in range(1, T + 1):
        ax.text(t, 0, f"$x_{t}$", ha="center", va="center", fontsize=13, bbox=dict(boxstyle="round", fc="#dde8f5"))
        ax.text(t, 1, f"$h_{t}$", ha="center", va="center", fontsize=13, bbox=dict(boxstyle="round", fc="#f5e3c8"))
        ax.annotate("", (t, 0.8), (t, 0.2), arrowprops=dict(arrowstyle="->"))
        ax.text(t + 0.05, 0.5, "$W_{ih}$", fontsize=10, color="0.3")
        ax.annotate("", (t - 0.2, 1), (t - 0.8, 1), arrowprops=dict(arrowstyle="->"))
        ax.text(t - 0.5, 1.1, "$W_{hh}$", ha="center", fontsize=10, color="0.3")
    ax.text(0, 1, "$h_0$", ha="center", va="center", fontsize=13, bbox=dict(boxstyle="round", fc="0.9"))
    ax.text(T + 1, 1, "$L$", ha="center", va="center", fontsize=13, bbox=dict(boxstyle="round", fc="#e8d5f0"))
    ax.annotate("", (T + 0.85, 1), (T + 0.2, 1), arrowprops=dict(arrowstyle="->"))
    ax.set(xlim=(-0.5, T + 1.5), ylim=(-0.5, 1.5), title="an RNN unrolled over T = 4 steps: one set of weights")
    ax.set_xticks(range(0, T + 2), ["start"] + [f"step {t}" for t in range(1, T + 1)] + ["loss"])
    ax.set_xlabel("time")
    ax.set_yticks([0, 1], ["input", "hidden state"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


draw_unrolled();

# %% [markdown]
# Read it left to right for the forward pass. The backward pass walks the same arrows right to left: the
# gradient reaching $h_1$ has passed through $W_{hh}$ three times. That is the whole story of lesson 2.
#
# Here is the unrolled forward as a loop over the cell, next to `minilstm.RNN`, the layer that runs the whole
# sequence in one call (with PyTorch's layer keys, `weight_hh_l0`, ...):

# %%
T = 12
xs = rng.standard_normal((T, B, D))   # (T, B, D): time first, as inside the engine

h = np.zeros((B, H))                  # h_0
for t in range(T):
    h = cell(xs[t], h)                # h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)

rnn = minilstm.RNN(D, H, dtype="float64")
rnn.load_state_dict({key + "_l0": value for key, value in cell.state_dict().items()})
out, h_T = rnn(xs)                    # out: every h_t (T, B, H); h_T: the last (1, B, H)
print("loop over the cell == RNN layer:", np.allclose(h, h_T[0]), np.allclose(h, out[-1]))

# %% [markdown]
# ## 3. Backpropagation through time, written out
#
# Take the loss $L = \langle u, h_T \rangle$ for a fixed vector $u$ (any loss would do; this one makes
# $\partial L / \partial h_T = u$). Name the pre-activation $a_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}$,
# so $h_t = \tanh(a_t)$. The chain rule, applied one step at a time from $t = T$ down to 1:
#
# $$\frac{\partial L}{\partial a_t} = \frac{\partial L}{\partial h_t} \odot \left(1 - h_t^2\right)
# \qquad \text{(the tanh derivative, from the saved output } h_t\text{)}$$
#
# $$\frac{\partial L}{\partial h_{t-1}} = W_{hh}^\top\, \frac{\partial L}{\partial a_t}
# \qquad \text{(plus any loss term that reads } h_{t-1} \text{ directly)}$$
#
# (column vectors, as in section 1), and, because every step shares the weights, each weight's gradient is a
# **sum over the steps** of an outer product:
#
# $$\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T} \frac{\partial L}{\partial a_t}\, h_{t-1}^\top,
# \qquad \frac{\partial L}{\partial W_{ih}} = \sum_{t=1}^{T} \frac{\partial L}{\partial a_t}\, x_t^\top,
# \qquad \frac{\partial L}{\partial b} = \sum_{t=1}^{T} \frac{\partial L}{\partial a_t}.$$
#
# In the code each of these vectors is a row of a batch, so the lines become `dh_prev = da @ W_hh` (the rows of
# $W_{hh}^\top\, \partial L/\partial a_t$), `dW_hh = da.T @ h_prev` (the outer products summed over the batch) and
# `db = da.sum(axis=0)`. The same backward, drawn: every arrow of the cell reversed, and the only way back to
# $h_{t-1}$ goes through the nonlinearity's derivative and $W_{hh}$:

# %%
plot.cell_diagram(cell, gradient=True);

# %% [markdown]
#
#
# ### One step backward with the cell
#
# `cell.backward(dh)` runs the first two lines for the cell's last forward and puts the weight gradients of
# that one step in `cell.grads`. Check it against the equations:

# %%
x, h_prev = xs[0], rng.standard_normal((B, H))
h = cell(x, h_prev)
dh = rng.standard_normal((B, H))      # dL/dh_t, whatever the loss
dx, dh_prev = cell.backward(dh)

da = dh * (1 - h**2)                  # through tanh
print("dh_prev == W_hh^T da:   ", np.allclose(dh_prev, da @ W_hh))     # rows: (W_hh^T da)^T = da^T W_hh
print("dx      == W_ih^T da:   ", np.allclose(dx, da @ W_ih))
print("dW_hh   == sum da h_prev^T:", np.allclose(cell.grads["weight_hh"], da.T @ h_prev))
print("db_hh   == sum of da:   ", np.allclose(cell.grads["bias_hh"], da.sum(axis=0)))

# %% [markdown]
# ### The whole sequence
#
# Over a sequence, the forward has to keep what each backward step needs: its *cache*. `minilstm` splits a cell
# into a **step pair**, `step_forward` (new state and a named cache) and `step_backward` (gradients from the
# cache), in `minilstm.cells`; the cell module above and the `RNN` layer both run this pair. Here is BPTT as two
# loops over it. `step_backward` returns the gradient of the pre-activation twice, as `dxw` (as the input
# projection $x_t W_{ih}^\top + b$ sees it) and `dhw` (as the recurrent product sees it; the same for the RNN),
# and the previous state's gradient.

# %%
step, p = cell.cell, cell.step_params()          # minilstm.cells.RNNStep and the cell's weights
u = rng.standard_normal(H)
u /= np.linalg.norm(u)                           # L = <u, h_T>, u a unit vector, summed over the batch

hs, caches = [np.zeros((B, H))], []              # forward: keep every cache
for t in range(T):
    xw = xs[t] @ p.weight_ih.T + step.input_bias(p)   # W_ih x_t + b_ih + b_hh
    (h,), cache = step.step_forward(xw, (hs[-1],), p)
    hs.append(h)
    caches.append(cache)

dh = np.broadcast_to(u, (B, H))                  # dL/dh_T
dW_hh, dW_ih, dh_norms = np.zeros_like(W_hh), np.zeros_like(W_ih), []
for t in reversed(range(T)):                     # backward: the same steps, last first
    dh_norms.append(np.linalg.norm(dh, axis=1).mean())
    g = step.step_backward((dh,), caches[t], p)  # g.dxw = g.dhw = dL/da_t
    dW_hh += g.dhw.T @ hs[t]                     # sum over steps of da_t h_(t-1)^T
    dW_ih += g.dxw.T @ xs[t]                     # sum over steps of da_t x_t^T
    (dh,) = g.dstate                             # dL/dh_(t-1) = W_hh^T da_t

# %% [markdown]
# The `RNN` layer's `backward` runs the same loop (`minilstm/bptt.py`, written once for every cell). Same
# loss, same gradients:

# %%
dout = np.zeros((T, B, H))
dout[-1] = u                                     # L reads only the last output
rnn(xs)
rnn.backward(dout)
print("dW_hh by hand == RNN layer:", np.allclose(dW_hh, rnn.grads["weight_hh_l0"]))
print("dW_ih by hand == RNN layer:", np.allclose(dW_ih, rnn.grads["weight_ih_l0"]))

# %% [markdown]
# While walking back, the loop noted $\|\partial L / \partial h_t\|$ at every step. `minilstm.inspect.gradient_flow`
# reads the same norms from the layer's own backward; the two agree:

# %%
flow = inspect.gradient_flow(rnn, xs, dout=dout)
trend = "shrinks" if dh_norms[-1] < dh_norms[0] else "grows"   # dh_norms[0] is at the last step, [-1] at the first
ax = plot.gradient_flow({"minilstm.inspect.gradient_flow": flow},
                        title=f"how the gradient of L = <u, h_T> {trend} going back in time").axes[0]
ax.plot(np.arange(T)[::-1], dh_norms, "o", color="C1", label="our loop above")
ax.set_xlabel("time step t (the loss reads the last one)")
ax.legend();

# %%
factors = np.array(dh_norms[1:]) / np.array(dh_norms[:-1])    # the norm's change over each step back
Markdown(f"Look at the slope: each step back multiplies the gradient by $W_{{hh}}^\\top \\operatorname{{diag}}(1 - h_t^2)$. "
         f"$W_{{hh}}$ is the same at every step, but $1 - h_t^2$ is not, so the factor by which the norm changes "
         f"varies from step to step: here between {factors.min():.2f} and {factors.max():.2f} (geometric mean "
         f"{np.exp(np.log(factors).mean()):.2f}). On this log axis a constant factor would be a straight line; "
         f"the line has kinks where the factor changes, and it trends {'down' if np.log(factors).mean() < 0 else 'up'} "
         f"on average. Whether the typical factor is below or above 1 decides whether a plain RNN can learn "
         f"long-range dependencies; lesson 2 measures it.")

# %% [markdown]
# ## 4. Proving the gradients: a gradient check
#
# How do we know the backward is right? Compare it with finite differences: nudge one weight by $\pm\epsilon$,
# rerun the forward, and take
#
# $$\frac{\partial f}{\partial w} \approx \frac{-f(w+2\epsilon) + 8f(w+\epsilon) - 8f(w-\epsilon) + f(w-2\epsilon)}{12\,\epsilon},$$
#
# for $f = \sum \text{out} \odot R$ with a fixed random $R$ (a weighted sum is a nice hash: any wrong entry of
# any gradient changes it). `minilstm.gradcheck` does this for every parameter and input, in float64. Each
# value of $f$ is itself wrong in its last bits (rounding), so the difference quotient $n$ carries noise of
# about $10^{-16} |f| / \epsilon$; the check measures that noise from $f$'s own values and allows each entry
# ten times its standard deviation. For each array it reports the error relative to the gradient's scale,
# $\max |a - n| / \max (|a| + |n|)$ ("rel. error"), and the worst relative error left over beyond the noise,
# which is what `passed` judges:

# %%
print(minilstm.gradcheck(cell, xs[0], rng.standard_normal((B, H))))   # one step: x and the state

# %%
report = minilstm.gradcheck(rnn, xs)                                  # the whole sequence, through BPTT
print(report)
print("passed at 1e-6:", report.passed(1e-6))
print(f"digits of agreement: {-np.log10(max(report.agreement.values())):.0f}")

# %% [markdown]
# The analytic gradient and the numerical one agree to as many digits as the last line says, and nothing is
# left beyond the noise. A bug (a missing tanh derivative, a transposed $W_{hh}$) shows as an error near 1 in
# both columns.
#
# **Check yourself.** (a) Why must the check run in float64? (b) Why a *random* weighted sum and not
# `out.sum()`? *(a: in float32 the rounding error of $f$ divided by $\epsilon$ swamps the difference.
# b: with `sum` the upstream gradient $\partial f/\partial\,\text{out}$ is 1 in every entry, so a backward that
# reads the wrong entry of it (the wrong step, unit or sequence, a transposed or reversed `dout`) gets the same
# numbers and passes; with random weights every entry of the upstream gradient differs.)*
#
# ## 5. Your turn: the step backward
#
# Write the RNN step backward with the engine's own signature, `step_backward(dstate, cache, p)`:
#
# - `dstate` is a tuple `(dh,)`: $\partial L / \partial h_t$, shape $(B, H)$;
# - `cache` is the engine's `RNNCache` from the step forward: `cache.h` is $h_t$, `cache.h_prev` is $h_{t-1}$;
# - `p` holds the weights: `p.weight_hh` is $W_{hh}$, $(H, H)$;
#
# and return `(dxw, dhw, (dh_prev,))`: the pre-activation's gradient $\partial L / \partial a_t$ twice (as the
# input projection and the recurrent product see it) and $\partial L / \partial h_{t-1}$. Replace the two
# `TODO` lines, then run the check below it. The checker runs your function and the engine's on random float64
# inputs and tells you which gradient is wrong, by how much and where.

# %%
def my_rnn_step_backward(dstate, cache, p):
    (dh,) = dstate
    da = np.zeros_like(dh)        # TODO: backprop through tanh, using cache.h
    dh_prev = np.zeros_like(dh)   # TODO: backprop through W_hh h_(t-1)
    return da, da, (dh_prev,)


check_step_backward(my_rnn_step_backward, cell="rnn")

# %% [markdown]
# As it stands, every gradient is zero and the checker says so, naming the worst entry and the equation each
# gradient comes from. When yours is right it prints *All 3 gradients ... match the engine's*. (Stuck? The
# reference solution is `lessons/solutions/rnn.py`.)
#
# ## Exercises
#
# ### The ladder: from one step to a checked BPTT
#
# Four rungs, as in CS231n's recurrent-network assignment: the step forward, the step backward (section 5 was
# that rung), the whole BPTT loop with a loss at every step, and the numerical check that proves it. Each
# rung has a checker in `minilstm.exercises` that runs your function next to the engine on random float64
# inputs and names what is wrong: which result, where, by how much, the equation it comes from, and, when
# yours is exactly a classic mistake, which one. Every rung takes the engine's own signatures, so what you
# write also runs inside a real layer (rung 5). Reference solutions: `lessons/solutions/` (`rnn.py`, `bptt.py`,
# `numerical_gradient.py`); peek only after trying.
#
# **Rung 1: the step forward.** `my_rnn_step_forward(xw, state, p)` gets `xw` $= x_t W_{ih}^\top + b_{ih} +
# b_{hh}$, $(B, H)$ (the time loop makes every step's input projection in one product, biases included),
# `state = (h_prev,)` and the weights `p`; it returns the new state `(h,)` and the cache the backward will read,
# `RNNCache(h_prev, h)`. Replace the `TODO` line:

# %%
from minilstm.exercises import RNNCache, check_bptt, check_numerical_gradient, check_step_forward, plug


def my_rnn_step_forward(xw, state, p):
    (h_prev,) = state
    h = np.zeros_like(h_prev)          # TODO: h = tanh(xw + h_prev W_hh^T)
    return (h,), RNNCache(h_prev, h)


check_step_forward(my_rnn_step_forward, cell="rnn")

# %% [markdown]
# **Rung 2: the step backward** is the "Your turn" section above. Then make it a ReLU RNN's:
# `minilstm.RNNCell(D, H, nonlinearity="relu")` computes $h_t = \max(a_t, 0)$; check yours with
# `check_step_backward(fn, cell="rnn", nonlinearity="relu")` (its hint gives the ReLU's own derivative). Which
# entries of `da` are exactly zero, and what does that mean for learning?
#
# **Rung 3: BPTT with a loss at every step.** Run a step pair over a whole sequence and back, for the loss $L =
# \sum_t \langle \text{dhs}_t, h_t\rangle$, which reads every step's state, so $\partial L/\partial h_t$ from
# the loss itself is `dhs[t]`. `my_bptt(step, x, state0, p, dhs)` gets the engine's step pair `step`
# (`step.step_forward`, `step.step_backward`, `step.input_bias(p)`), `x` $(T, B, D)$, `state0 = (h0,)` and `dhs`
# $(T, B, H)$, and returns every $h_t$ $(T, B, H)$, `dx` $(T, B, D)$, `(dh0,)` and the four parameter gradients.
# The forward is written; the backward below is the one of the BPTT section, where the loss read only the last
# step: run it and read what the checker finds, then fix the two `TODO`s.

# %%
def my_bptt(step, x, state0, p, dhs):
    T = x.shape[0]
    state, caches, hs = state0, [], []
    for t in range(T):                                       # forward, keeping every step's cache
        state, cache = step.step_forward(x[t] @ p.weight_ih.T + step.input_bias(p), state, p)
        caches.append(cache)
        hs.append(state[0])
    grads = {k: np.zeros_like(getattr(p, k)) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    dx = np.zeros_like(x)
    dstate = (dhs[-1],)                                      # TODO: the loss reads every step, not the last alone
    for t in range(T - 1, -1, -1):
        dxw, dhw, dstate = step.step_backward(dstate, caches[t], p)
        dx[t] = dxw @ p.weight_ih                            # xw = x W_ih^T + ...
        # TODO: each weight's and bias's gradient: its share at step t (dxw^T x_t, dhw^T h_(t-1), ...), summed
    return np.stack(hs), dx, dstate, grads


check_bptt(my_bptt, cell="rnn")

# %% [markdown]
# **Rung 4: your own numerical gradient.** `my_numerical_gradient(f, w, eps)` returns $\partial f/\partial w$
# by finite differences, for a function `f(w)` of an array `w`. The version below takes the one-sided
# difference $(f(w + \epsilon) - f(w))/\epsilon$; the checker differentiates $f(W_{hh}) = \sum_t \langle R_t,
# h_t\rangle$ with it and compares with the engine's analytic gradient. Run it, read the verdict, and make it
# the central difference of section 4 (the two-point one, $(f(w+\epsilon) - f(w-\epsilon))/2\epsilon$, is
# enough). Why is the one-sided one so much worse, at the same $\epsilon$?

# %%
def my_numerical_gradient(f, w, eps):
    grad = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        old = w[idx]
        w[idx] = old + eps
        f_plus = f(w)
        w[idx] = old                                         # TODO: also f at w - eps; put w back after
        grad[idx] = (f_plus - f(w)) / eps                    # TODO: the central difference
    return grad


check_numerical_gradient(my_numerical_gradient, cell="rnn")

# %% [markdown]
# **Rung 5: your step in a real layer.** `plug(layer, forward=..., backward=...)` returns a copy of a layer (or a
# cell) that runs your step forward and backward in place of the engine's, through the engine's own time loop;
# `minilstm.gradcheck`, `minilstm.train` and everything else that takes a layer then run on your code:

# %%
ex_x = np.random.default_rng(1).standard_normal((6, 2, 3))  # (T, B, D)
mine = plug(minilstm.RNN(3, 4, dtype="float64", seed=0), forward=my_rnn_step_forward,
            backward=my_rnn_step_backward)
engine = minilstm.RNN(3, 4, dtype="float64", seed=0)
same = np.allclose(mine(ex_x)[0], engine(ex_x)[0])
print("your layer's output equals the engine's:", same)
if same:                                                    # a gradient check judges a right forward's backward
    print(minilstm.gradcheck(mine, ex_x))

# %% [markdown]
# With the `TODO`s above still in place your layer outputs zeros. Check the output first: a gradient check of a
# function that is zero everywhere has nothing to find, and would pass a zero backward. When rung 1 passes, the
# cell prints the gradient check of your backward through the whole sequence.
#
# ### More exercises
#
# 1. **Break it on purpose.** Transpose `W_hh` in your `dh_prev` line. Does `check_step_backward` catch it?
#    Does `minilstm.gradcheck` on `plug(minilstm.RNN(3, 4, dtype="float64"), backward=...)` catch it too? And
#    with `RNN(3, 1, ...)`: why might a check with $H = 1$ miss it?
# 2. **Your backward in the whole loop.** Run your rung-3 loop with a step whose backward is yours
#    (`plug(rnn, backward=my_rnn_step_backward).cell` is the engine's step pair with your backward in it) and a
#    loss on the last step only, and confirm that `dW_hh` equals `rnn.grads["weight_hh_l0"]` after
#    `rnn.backward`.
# 3. **A first look at lesson 2.** Multiply `cell.params["weight_hh"]` by 3, rerun section 3 and the plot. What
#    happens to the slope?
#
# Solutions: `lessons/solutions/01_rnn_by_hand.py`, one function per exercise (rung 2's ReLU question too).

# %% [markdown]
# ## Summary
#
# - The vanilla RNN step is $h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$; `minilstm.RNNCell` is
#   one such step with its weights, and `minilstm.RNN` runs it over a sequence.
# - Unrolled, an RNN is a deep network with one set of weights shared by every step.
# - BPTT is the chain rule on the unrolled graph: $\partial L/\partial a_t = \partial L/\partial h_t \odot
#   (1 - h_t^2)$, $\partial L/\partial h_{t-1} = W_{hh}^\top\, \partial L/\partial a_t$, and each weight's gradient
#   sums over the steps. The engine runs it as a step pair (`minilstm.cells.RNNStep`) inside one time loop.
# - A gradient check (`minilstm.gradcheck`) compares analytic and numerical gradients; agreement to within the
#   finite differences' own rounding noise in float64 is proof.
# - Every step back multiplies the gradient by the same kind of matrix: next, in lesson 2, what that does over
#   many steps.
