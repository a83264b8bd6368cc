# %% [markdown]
# # Lesson 2: Vanishing and exploding gradients
#
# In lesson 1 the gradient changed by about the same factor at every step back in time. Over 100 steps a factor
# of 0.8 leaves $0.8^{100} \approx 2 \times 10^{-10}$ of the gradient, and a factor of 1.2 multiplies it by
# $8 \times 10^{7}$. This lesson measures that factor, explains it with one inequality, and shows the standard
# cure for the exploding side.
#
# **In this lesson you will be able to**
#
# 1. measure $\|\partial L / \partial h_t\|$ against the time lag for tanh and ReLU RNNs (`inspect.gradient_flow`);
# 2. predict vanishing from the largest singular value of $W_{hh}$ (Pascanu, Mikolov & Bengio 2013;
#    `inspect.spectrum`);
# 3. read the per-step state Jacobian norms (`inspect.jacobian_norms`);
# 4. see an exploding gradient wreck a training run, and explain what gradient-norm clipping
#    (`minilstm.train(..., clip_norm=...)`) changes, on a slice of the loss surface.
#
# About 25 minutes. Lesson 1 first.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data, inspect, plot

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
T, B, D, H = (40, 8, 8, 16) if QUICK else (100, 16, 8, 32)   # time steps, batch, input features, hidden units
x = np.random.default_rng(0).standard_normal((T, B, D))     # one random input sequence for every network

# %% [markdown]
# ## 1. Why the gradient shrinks or grows
#
# With $h_t = \phi(a_t)$ and $a_t = W_{ih} x_t + W_{hh} h_{t-1} + b$, one step back multiplies the gradient by
# the transposed **state Jacobian**
#
# $$\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\big(\phi'(a_t)\big)\, W_{hh},
# \qquad \frac{\partial L}{\partial h_k} = \frac{\partial L}{\partial h_t}
# \prod_{s=k+1}^{t} \frac{\partial h_s}{\partial h_{s-1}}.$$
#
# If $|\phi'| \le \gamma$ ($\gamma = 1$ for tanh and ReLU, $1/4$ for the sigmoid) and $\sigma_{\max}$ is the
# largest singular value of $W_{hh}$, every factor has norm at most $\gamma\,\sigma_{\max}$, so
#
# $$\left\|\frac{\partial L}{\partial h_k}\right\| \le \left\|\frac{\partial L}{\partial h_t}\right\|
# \left(\gamma\, \sigma_{\max}\right)^{t-k}.$$
#
# **$\sigma_{\max} < 1/\gamma$ is enough for the gradient to vanish exponentially** (Pascanu et al. 2013). The
# converse is not a theorem: $\sigma_{\max} > 1/\gamma$ is *necessary* for explosion, not sufficient.
#
# ## 2. Gradient flow against the lag
#
# `minilstm` starts $W_{hh}$ orthogonal: every singular value is exactly 1. Multiplying it by a scale $s$
# makes every singular value $s$. For each scale, `inspect.gradient_flow` runs the layer forward and backward
# once for $L = \langle u, h_{T-1} \rangle$ ($u$ a unit vector) and returns $\|\partial L / \partial h_t\|$ at
# every step:

# %%
SCALES = (0.5, 0.9, 1.0, 1.5, 3.0)


def rnn_with_scale(nonlinearity, scale):
    rnn = minilstm.RNN(D, H, nonlinearity=nonlinearity, seed=0, dtype="float64")
    rnn.params["weight_hh_l0"] *= scale      # orthogonal times scale: every singular value is `scale`
    return rnn


flows = {nl: {f"scale {s}": inspect.gradient_flow(rnn_with_scale(nl, s), x) for s in SCALES}
         for nl in ("tanh", "relu")}

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
for ax, nl in zip(axes, flows):
    plot.gradient_flow(flows[nl], ax=ax, title=f"{nl} RNN: gradient flow back from step {T - 1}")
    ax.set_ylim(1e-30, 1e30)

# %% [markdown]
# Read each line from the right (the step the loss reads, norm 1) to the left (far back in time). Straight lines
# on this log axis are exponential decay or growth. At scale 0.5 and 0.9 the gradient vanishes in both
# networks; at 3.0 it explodes in both. Between them the two nonlinearities differ: the same scale 1.5 explodes
# the ReLU RNN but not the tanh RNN.
#
# The same numbers as a table, at a few lags (`Flow.lag(k)` is the norm $k$ steps before the loss):

# %%
lags = [k for k in (1, 10, 30, 50, 99) if k < T]
print(f"{'':16}" + "".join(f"{f'lag {k}':>10}" for k in lags))
for nl in flows:
    for name, flow in flows[nl].items():
        print(f"{nl + ' ' + name:16}" + "".join(f"{flow.lag(k):>10.1e}" for k in lags))

# %% [markdown]
# **Check yourself.** With a factor of $\rho$ per step, how many steps until the gradient is $10^{-8}$ of its
# start? *($\log(10^{-8}) / \log \rho$: 26 steps for $\rho = 0.5$, 175 for $\rho = 0.9$.)*
#
# ## 3. The bound: largest singular value against $1/\gamma$
#
# `inspect.spectrum` gives the singular values of each recurrent weight block and its $\gamma$;
# `plot.spectrum` draws them against the $1/\gamma$ line. Here a *random* Gaussian $W_{hh}$, whose singular
# values spread out, before and after scaling:

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
random_rnn = minilstm.RNN(D, H, seed=0, dtype="float64")
W = np.random.default_rng(1).standard_normal((H, H)) / np.sqrt(H)   # a Gaussian matrix: sigma_max near 2
for ax, scale in zip(axes, (0.4, 1.0)):
    random_rnn.params["weight_hh_l0"][...] = scale * W
    spec = inspect.spectrum(random_rnn)
    plot.spectrum(spec, ax=ax, title=f"Gaussian W_hh times {scale}: vanishing guaranteed: "
                                     f"{spec.vanishing['weight_hh_l0', 'h']}")

# %% [markdown]
# On the left every singular value sits below the line at $1/\gamma = 1$: the bound guarantees vanishing
# (`Spectrum.vanishing` is True). On the right the largest ones are above it, and the bound promises nothing.
#
# How tight is the bound? Measure the actual decay per step, $\rho = (\|\partial L/\partial h_{t-50}\| /
# \|\partial L/\partial h_{t-1}\|)^{1/49}$, for many scales, and compare it with $\gamma\,\sigma_{\max}$:

# %%
scales = np.linspace(0.3, 3.0, 10 if QUICK else 28)
k = min(50, T - 1)
rates = {nl: [] for nl in ("tanh", "relu")}
for nl in rates:
    for s in scales:
        flow = inspect.gradient_flow(rnn_with_scale(nl, s), x)
        rates[nl].append((flow.lag(k) / flow.lag(1)) ** (1 / (k - 1)))

fig, ax = plt.subplots(figsize=(6.5, 4.5))
ax.plot(scales, scales, "k--", label="bound: gamma * sigma_max (gamma = 1)")
for nl, marker in (("tanh", "o"), ("relu", "s")):
    ax.plot(scales, rates[nl], marker=marker, label=f"{nl} RNN, measured")
ax.axhline(1.0, color="0.6", lw=0.8)
ax.axvline(1.0, color="0.6", lw=0.8)
ax.set(xlabel="largest singular value of W_hh (orthogonal W_hh times a scale)",
       ylabel=f"measured factor per step back, over {k} steps", yscale="log",
       title="the gradient's factor per step against Pascanu et al.'s bound")
ax.legend();

# %% [markdown]
# Every measured point lies below the dashed bound, as the inequality demands. Left of $\sigma_{\max} = 1$ all
# of them are below 1 (vanishing, as guaranteed). Right of it, growth needs more than $\sigma_{\max} > 1$: the
# tanh RNN's factor stays below 1 until $\sigma_{\max}$ is well past 1, because a large $W_{hh}$ also drives
# tanh into saturation, where $\phi' = 1 - h^2$ is small. The ReLU's derivative is 0 or 1, so it follows the
# bound more closely.
#
# ## 4. Step by step: the state Jacobian
#
# The bound uses one number for every step. `inspect.jacobian_norms` builds the actual Jacobian
# $\partial h_t / \partial h_{t-1}$ at every step (from the cell's own step backward) and returns its spectral
# norm, averaged over the batch:

# %%
Tj = 20 if QUICK else 40
norms = {f"tanh, scale {s}": inspect.jacobian_norms(rnn_with_scale("tanh", s), x[:Tj]) for s in (0.9, 1.5, 3.0)}
plot.jacobian_norms(norms, title="||dh_t / dh_(t-1)|| at every step, tanh RNN");

# %% [markdown]
# Above the dashed line a step *can* amplify the gradient, below it every step shrinks it. Each norm sits close to
# its bound $\sigma_{\max}$ = 0.9, 1.5, 3: the spectral norm is the worst direction, and some direction always
# passes almost unsaturated. Yet in section 2 the tanh gradient at scale 1.5 vanished. The product of these norms
# only bounds the change over many steps; the norm of a product of Jacobians is usually far below the product of
# their norms, because the direction one step stretches is not the one the next step stretches.
#
# **Check yourself.** At scale 0.9 every Jacobian norm is below 1. Can the gradient still grow from one step to
# the next? *(No: its norm can only shrink when every factor has norm below 1.)*
#
# ## 5. The exploding side, and gradient-norm clipping
#
# A vanishing gradient makes long-range learning slow; an exploding one makes training *unstable*: a single
# step with a huge gradient throws the weights far away. Pascanu et al.'s cure is to rescale the whole
# gradient $g$ when its norm exceeds a threshold $c$:
#
# $$g \leftarrow g \cdot \min\left(1, \frac{c}{\|g\|}\right).$$
#
# The direction stays, only the step length is capped. `minilstm.train(..., clip_norm=c)` does it before every
# optimizer step (`minilstm.optim.clip_grad_norm`), and logs the mean gradient norm *before* clipping.
#
# ### A cliff in the loss surface
#
# The smallest network that shows it has one unit: $h_t = \tanh(w\, h_{t-1} + b)$ from $h_0 = 0.5$ with no
# input, for 10 steps, and the loss $L = (h_{10} - y)^2$ with $y = -0.6$. With $w = 1.5$ the unit has two stable
# states, one positive and one negative, and the bias $b$ decides which one it falls into. Slice the loss surface along $b$:

# %%
one = minilstm.RNN(1, 1, dtype="float64")
silence, h0, y = np.zeros((10, 1, 1)), np.full((1, 1, 1), 0.5), -0.6


def loss_and_grad(b, w=1.5):
    """L = (h_10 - y)^2 and dL/db, from the layer's own forward and backward."""
    one.params["weight_hh_l0"][...], one.params["bias_ih_l0"][...], one.params["bias_hh_l0"][...] = w, b, 0.0
    out, _ = one(silence, h0)
    dout = np.zeros_like(out)
    dout[-1] = 2 * (out[-1] - y)
    one.backward(dout)
    return float((out[-1, 0, 0] - y) ** 2), float(one.grads["bias_ih_l0"][0])


bs = np.linspace(-1.5, 0.5, 2001)
surface = np.array([loss_and_grad(b) for b in bs])
wall = bs[np.argmax(np.abs(surface[:, 1]))]
print(f"steepest point: b = {wall:.4f}, |dL/db| = {np.abs(surface[:, 1]).max():.3g}; "
      f"elsewhere the median |dL/db| is {np.median(np.abs(surface[:, 1])):.3g}")

# %% [markdown]
# Now take 30 plain gradient-descent steps $b \leftarrow b - \eta\, g$ ($\eta = 0.1$) from $b = 0.3$ (on the high side of the
# cliff), once unclipped and once with $g$ clipped to $|g| \le 1$. We write the loop here because it is one
# number; `minilstm.train` does the same for every weight of a model.

# %%
def descend(b, clip, lr=0.1, steps=30):
    path = [b]
    for _ in range(steps):
        _, g = loss_and_grad(b)
        if clip is not None:
            g *= min(1.0, clip / abs(g))     # clip_grad_norm, for a single number
        b -= lr * g
        path.append(b)
    return np.array(path)


paths = {"no clipping": descend(0.3, None), "clip_norm = 1": descend(0.3, 1.0)}
for name, path in paths.items():
    print(f"{name:14s} b after each step: " + " ".join(f"{b:.2f}" for b in path[:16]) + " ...")
    losses = [loss_and_grad(b)[0] for b in path]
    print(f"{'':14s} last two b: {path[-2]:.3g}, {path[-1]:.3g}; lowest loss on the way {min(losses):.3f}, "
          f"|dL/db| at the end {abs(loss_and_grad(path[-1])[1]):.1e}")

# %%
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
ax.plot(bs, surface[:, 0], color="0.3", label="loss L(b)")
for (name, path), color in zip(paths.items(), ("C3", "C0")):
    inside = path[(path > bs[0]) & (path < bs[-1])]
    ax.plot(inside, [loss_and_grad(b)[0] for b in inside], "o-", color=color, ms=4, alpha=0.8, label=name)
ax.set(xlabel="bias b (w = 1.5 fixed)", ylabel="loss L = (h_10 - y)^2", xlim=(bs[0], bs[-1]),
       title="a cliff in the loss surface, and two descents from b = 0.3")
ax.legend()
ax2.plot(bs, np.abs(surface[:, 1]), color="0.3")
ax2.axhline(1.0, color="C0", ls="--", label="the clipping threshold c = 1")
ax2.set(xlabel="bias b (w = 1.5 fixed)", ylabel="|dL/db| (log scale)", yscale="log",
        title="the gradient along the same slice")
ax2.legend();

# %% [markdown]
# Left: the loss is smooth on both sides of a near-vertical wall, where the unit's final state switches from
# one stable state to the other. Right: on the wall the gradient is orders of magnitude larger than anywhere
# else. Both descents walk the same path down to the wall. There the unclipped one (red) meets that gradient
# and is thrown to $b \approx -1.9$, onto a plateau whose gradient is tiny: it is stuck far from the minimum,
# which sits right at the foot of the wall. The clipped one (blue) crosses the wall with a step of at most
# $\eta c = 0.1$ and then bounces across it, staying within one such step of the minimum (a smaller or decaying
# learning rate would let it settle). Clipping did not change the direction of any step, only its length.
#
# ### A whole training run
#
# The same thing in a real model: an RNN on the adding problem (30 steps), its $W_{hh}$ started at twice
# orthogonal so that the gradient explodes, trained with plain SGD with and without `clip_norm`:

# %%
adding = data.make_task("adding", seed=0, n=400 if QUICK else 1000, T=30, variable=False)
epochs = 4 if QUICK else 12
histories = {}
for name, clip in (("no clipping", None), ("clip_norm = 1", 1.0)):
    model = minilstm.Model(2, 32, 1, cell="rnn", seed=0)
    model.rnn.params["weight_hh_l0"] *= 2.0
    with np.errstate(over="ignore", invalid="ignore"):   # the unclipped run overflows float32; we know
        try:
            histories[name] = minilstm.train(model, adding, optimizer="sgd", lr=0.1, epochs=epochs, batch_size=20,
                                             clip_norm=clip, seed=0, progress=False)
        except minilstm.TrainingDiverged as err:  # the run stopped itself; its history is on the error
            print(f"{name:14s} {err}")
            histories[name] = err.history
    h = histories[name]
    print(f"{name:14s} loss per epoch: " + " ".join(f"{v:.3g}" for v in h["train_loss"]))
    print(f"{'':14s} steps skipped (inf or nan gradient): {sum(h['skipped_steps'])}")

# %%
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
for name, h in histories.items():
    ax.plot(h["epoch"], np.minimum(h["train_loss"], 1e6), marker="o", label=name)
    ax2.plot(h["epoch"], np.minimum(h["grad_norm"], 1e30), marker="o", label=name)
ax.axhline(1 / 6, color="0.5", ls="--", label="predicting the mean (MSE 1/6)")
ax.set(xlabel="epoch", ylabel="training loss (MSE, log scale; capped at 1e6)", yscale="log",
       title="adding problem, RNN with W_hh = 2 x orthogonal")
ax2.set(xlabel="epoch", ylabel="mean gradient norm before clipping (capped at 1e30)", yscale="log",
        title="the gradient norm the optimizer saw")
ax.legend()
ax2.legend();

# %% [markdown]
# Without clipping the first huge gradient sends the weights so far that the loss overflows, and every later
# gradient is infinite: `minilstm.train` refuses to take those steps (it counts them in `skipped_steps`), but the
# weights are already ruined, so after 10 skipped steps in a row it stops the run with a `TrainingDiverged` error
# that says where it went wrong (the error carries the history, the epoch it stopped in included, which we plot;
# with `checkpoint_dir` the last good checkpoint would be left as it was). With `clip_norm=1` the same run
# learns: its gradient norm starts large, each step is capped, and the loss falls below the dashed line of a
# model that always predicts the mean (the adding problem's target, the sum of two uniform numbers, has
# variance 1/6).
#
# Clipping cures explosion only. A vanishing gradient is not made larger by any threshold: that needs a
# different cell (lesson 3).
#
# ## Exercises
#
# 1. **Orthogonal versus Gaussian.** Rerun section 2 with the Gaussian `W` of section 3 in place of the
#    orthogonal start, scaled so that $\sigma_{\max} = 1$. Does the gradient still vanish, and why is that no
#    contradiction?
# 2. **The sigmoid's $\gamma$.** For a sigmoid, $\gamma = 1/4$. What would the vanishing condition be for an RNN
#    with $h_t = \sigma(a_t)$? Look at `inspect.spectrum(minilstm.LSTM(8, 16))` and `plot.spectrum`: which lines
#    are drawn, and which of the LSTM's blocks are guaranteed to vanish?
# 3. **The cliff, other thresholds.** Rerun the descent with `clip=0.1` and `clip=10`. Which one still gets
#    thrown, and which one is too slow?
# 4. **Clip by value.** `minilstm.train` also takes `clip_value=c` (each entry clipped to $[-c, c]$). Rerun the
#    training run with it. Why can clipping by value change the *direction* of a step?
# 5. **Longer sequences.** Rerun section 2 with $T = 300$ for scale 1.0 and 1.5. Which survives?
#
# ## Summary
#
# - Each step back multiplies the gradient by $\operatorname{diag}(\phi'(a_t))\, W_{hh}$; over many steps the
#   product shrinks or grows exponentially (`inspect.gradient_flow`, `plot.gradient_flow`).
# - If the largest singular value of $W_{hh}$ is below $1/\gamma$, the gradient is guaranteed to vanish
#   (Pascanu et al. 2013; `inspect.spectrum`, `plot.spectrum`). Above it, saturation can still make it vanish.
# - `inspect.jacobian_norms` shows the factor of every step; below 1 the step shrinks the gradient.
# - Exploding gradients come from cliffs in the loss surface; one step there can ruin a run. Clipping the
#   gradient norm (`minilstm.train(..., clip_norm=c)`) keeps the direction and caps the step length.
# - Nothing like clipping cures vanishing; a cell with an additive memory path does, next.
