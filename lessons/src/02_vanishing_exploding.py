# %% [markdown]
# # Lesson 2: Vanishing and exploding gradients
#
# In lesson 1 the gradient changed by some factor at every step back in time. Over 100 steps a factor
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
from IPython.display import Markdown   # the text under a plot is written from its numbers

import minilstm
from minilstm import data, inspect, plot

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
T, B, D, H = (40, 8, 8, 16) if QUICK else (100, 16, 8, 32)   # time steps, batch, input features, hidden units
x = np.random.default_rng(0).standard_normal((T, B, D))     # one random input sequence for every network

# %% [markdown]
# ## 1. Why the gradient shrinks or grows
#
# With $h_t = \phi(a_t)$ and $a_t = W_{ih} x_t + W_{hh} h_{t-1} + b$, the **state Jacobian** of one step is
#
# $$J_s = \frac{\partial h_s}{\partial h_{s-1}} = \operatorname{diag}\big(\phi'(a_s)\big)\, W_{hh}.$$
#
# Write gradients as column vectors, $g_t = \partial L / \partial h_t$ (as in lesson 1). One step back multiplies by
# the *transposed* Jacobian, $g_{t-1} = J_t^\top g_t$, so from the step the loss reads, $t$, back to step $k$
#
# $$g_k = J_{k+1}^\top J_{k+2}^\top \cdots J_t^\top\, g_t,$$
#
# the latest step's Jacobian acting first (rightmost). In row-vector form the same product reads
# $\partial L/\partial h_k = \partial L/\partial h_t\, J_t J_{t-1} \cdots J_{k+1}$; the order matters because
# matrices do not commute.
#
# This product is the object of Bengio, Simard & Frasconi (1994, "Learning long-term dependencies with gradient
# descent is difficult", IEEE Transactions on Neural Networks 5(2)). They showed that a network which stores a
# bit robustly against noise must keep its state where these Jacobians shrink (norms below 1), so the product,
# and with it the gradient that would teach the network to store the bit, decays exponentially with the lag
# $t - k$; where the Jacobians do not shrink, small noise can erase what was stored. Lesson 6 returns to it.
#
# If $|\phi'| \le \gamma$ ($\gamma = 1$ for tanh and ReLU, $1/4$ for the sigmoid) and $\sigma_{\max}$ is the
# largest singular value of $W_{hh}$, every factor has norm $\|J_s^\top\| \le \gamma\,\sigma_{\max}$, so
#
# $$\|g_k\| \le \|g_t\| \left(\gamma\, \sigma_{\max}\right)^{t-k}.$$
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

# %%
VANISHED, EXPLODED = 1e-2, 1e2                             # the norm at step 0 that we call vanished, exploded


def fate(flow):
    """What the gradient does over the whole sequence, read from its norm at step 0."""
    end = flow.lag(T - 1)
    return "vanishes" if end < VANISHED else "explodes" if end > EXPLODED else "stays between 0.01 and 100"


def sci(x):
    """x for prose: plainly to 2 significant digits (0.57, 23) from 0.01 to 100; else $2 \\times 10^{-3}$, one digit."""
    if 0.01 <= abs(x) < 100:
        return f"{float(f'{x:.2g}'):g}"
    m, e = f"{x:.0e}".split("e")
    return f"${m} \\times 10^{{{int(e)}}}$"


def listing(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


fates = {s: {nl: fate(flows[nl][f"scale {s}"]) for nl in flows} for s in SCALES}
shared = {}                                                # a fate both networks meet -> its scales
for s in SCALES:
    if fates[s]["tanh"] == fates[s]["relu"]:
        shared.setdefault(fates[s]["tanh"], []).append(f"{s:.1f}")
parted = [s for s in SCALES if fates[s]["tanh"] != fates[s]["relu"]]
at_step0 = {s: {nl: flows[nl][f"scale {s}"].lag(T - 1) for nl in flows} for s in SCALES}
Markdown(f"Read each line from the right (the step the loss reads, norm 1) to the left (far back in time). Straight "
         f"lines on this log axis are exponential decay or growth. Call a gradient vanished if its norm at step 0 "
         f"is below {VANISHED:g}, exploded if above {EXPLODED:g}. "
         + ("Then " + "; ".join(f"at scale{'s' if len(ss) > 1 else ''} {listing(ss)} it {f} in both"
                                + (" networks" if i == 0 else "") for i, (f, ss) in enumerate(shared.items()))
            + ". " if shared else "")
         + ("Between them the two nonlinearities part: " + "; ".join(
             f"at scale {s:.1f} the tanh RNN's gradient {fates[s]['tanh']} (it reaches step 0 at "
             f"{sci(at_step0[s]['tanh'])}) and the ReLU RNN's {fates[s]['relu']} ({sci(at_step0[s]['relu'])})"
             for s in parted) + ". "
            if parted else "")
         + ("Where they part, the ReLU's line lies higher: its derivative is 1 wherever a unit is on, while a large "
            "$W_{hh}$ drives tanh into saturation, where $\\phi'$ is small (section 3)."
            if parted and all(at_step0[s]["relu"] > at_step0[s]["tanh"] for s in parted) else ""))

# %% [markdown]
# The same numbers as a table, at a few lags (`Flow.lag(k)` is the norm $k$ steps before the loss):

# %%
lags = [k for k in (1, 10, 30, 50, 99) if k < T]
print(f"{'':16}" + "".join(f"{f'lag {k}':>10}" for k in lags))
for nl in flows:
    for name, flow in flows[nl].items():
        print(f"{nl + ' ' + name:16}" + "".join(f"{flow.lag(k):>10.1e}" for k in lags))

# %% [markdown]
# ### Try it: sliders
#
# Move the scale of $W_{hh}$, the nonlinearity and the sequence length and watch the line tilt. The sliders need
# a running kernel and `ipywidgets` (in the `lessons` extra); without them, or where the notebook is only
# rendered, the cell shows the default below, and you can call `draw_flow(scale=..., nonlinearity=..., length=...)`
# yourself. `plot.live(draw, name=(low, high, step), other=[choices])` is the package's helper: it draws
# `draw()` with its defaults now and puts a slider or a drop-down under it for each parameter you name
# (`labels=` names the controls), so you can put sliders under any figure of your own.

# %%
x_long = np.random.default_rng(0).standard_normal((300, B, D))   # long enough for the longest slider setting


def draw_flow(scale=1.5, nonlinearity="tanh", length=T):
    """The gradient flow of one RNN, drawn now (a slider calls it again on every change)."""
    flow = inspect.gradient_flow(rnn_with_scale(nonlinearity, scale), x_long[:length])
    fig, ax = plt.subplots(figsize=(7.5, 4))
    plot.gradient_flow({f"{nonlinearity}, W_hh scale {scale:.2f}": flow}, ax=ax,
                       title=f"{nonlinearity} RNN, {length} steps: gradient flow back from the last step")
    ax.set_ylim(1e-30, 1e30)
    plt.show()


plot.live(draw_flow, scale=(0.3, 3.0, 0.05), nonlinearity=["tanh", "relu"], length=(10, 300, 10),
          labels={"scale": "W_hh scale", "length": "length T"})

# %% [markdown]
# **Check yourself.** With a factor of $\rho$ per step, how many steps until the gradient is $10^{-8}$ of its
# start? Think first, then run the cell: it is $\log(10^{-8}) / \log \rho$, rounded *up* to whole steps.

# %%
for rho in (0.5, 0.9):
    steps = np.log(1e-8) / np.log(rho)
    print(f"rho = {rho}: log(1e-8) / log(rho) = {steps:.1f}, so {int(np.ceil(steps))} steps "
          f"(after {int(np.ceil(steps))} steps {rho}^{int(np.ceil(steps))} = {rho ** np.ceil(steps):.1e})")

# %% [markdown]
# ## 3. The bound: largest singular value against $1/\gamma$
#
# Bengio et al. (1994) showed the vanishing side for networks that latch information robustly: the product of
# Jacobians of section 1 shrinks exponentially there. Pascanu, Mikolov & Bengio (2013) turned it into a test you
# can compute from the weights alone: $\gamma\,\sigma_{\max} < 1$ is sufficient for vanishing (section 1's bound),
# $\gamma\,\sigma_{\max} > 1$ is necessary for exploding.
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
       ylabel=f"measured factor per step back, over {k - 1} steps", yscale="log",
       title="the gradient's factor per step against Pascanu et al.'s bound")
ax.legend();

# %%
measured = {nl: np.array(r) for nl, r in rates.items()}


def crossing(nl):
    """The first scale whose measured factor is above 1, in words."""
    above = scales[measured[nl] > 1]
    return f"$\\sigma_{{\\max}} \\approx {above[0]:.1f}$" if above.size else f"no scale up to {scales[-1]:g}"


# The bound is a theorem: a point above it, or a factor of 1 or more left of sigma_max = 1, is a bug.
assert all(np.all(r <= scales) for r in measured.values()), "a measured factor lies above the bound"
assert all(np.all(r[scales < 1] < 1) for r in measured.values()), "a factor left of sigma_max = 1 is not below 1"
Markdown(f"Every measured point lies below the dashed bound, as the inequality demands. Left of "
         f"$\\sigma_{{\\max}} = 1$ all of them are below 1 (vanishing, as guaranteed). "
         f"Right of it, growth needs more than $\\sigma_{{\\max}} > 1$: the measured factor first exceeds 1 at "
         f"{crossing('tanh')} for the tanh RNN and at {crossing('relu')} for the ReLU RNN. A large $W_{{hh}}$ also "
         f"drives tanh into saturation, where $\\phi' = 1 - h^2$ is small, while the ReLU's derivative is 0 or 1: at "
         f"the largest scale, {scales[-1]:.1f}, the tanh RNN's factor is {measured['tanh'][-1]:.2f} and the ReLU RNN's "
         f"{measured['relu'][-1]:.2f}"
         + (", closer to the bound." if measured["relu"][-1] > measured["tanh"][-1] else "."))

# %% [markdown]
# ## 4. Step by step: the state Jacobian
#
# The bound uses one number for every step. `inspect.jacobian_norms` builds the actual Jacobian
# $\partial h_t / \partial h_{t-1}$ at every step (from the cell's own step backward) and returns its spectral
# norm, averaged over the batch:

# %%
Tj = 20 if QUICK else 40
norms = {f"tanh, scale {s}": inspect.jacobian_norms(rnn_with_scale("tanh", s), x[:Tj]) for s in (0.9, 1.5, 3.0)}
ax = plot.jacobian_norms(norms, title="||dh_t / dh_(t-1)|| at every step, tanh RNN").axes[0]
ax.set_ylabel("||dh_t / dh_(t-1)||_2 (batch mean)")    # the RNN's state s_t is h_t
ax.set_ylim(0.7, 8)                                       # room above the lines for the legend
ax.legend(loc="upper right");

# %%
mean_norm = {name: float(np.mean(n)) for name, n in norms.items()}
at_15 = flows["tanh"]["scale 1.5"].lag(T - 1)
Markdown("Above the dashed line a step *can* amplify the gradient, below it every step shrinks it. Each norm sits "
         "close to its bound $\\sigma_{\\max}$: on average "
         + ", ".join(f"{mean_norm[name]:.2f} at scale {name.split()[-1]}" for name in norms)
         + ". The spectral norm is the worst direction, and some direction always passes almost unsaturated. Yet in "
         f"section 2 the tanh gradient at scale 1.5 shrank to {sci(at_15)} over the {T - 1} steps back to step 0, "
         f"while the product of its Jacobians' norms, about {mean_norm['tanh, scale 1.5']:.2f} per "
         f"step, would have allowed growth to {sci(mean_norm['tanh, scale 1.5'] ** (T - 1))}. The "
         f"product of these norms only bounds the change over many steps; the norm of a product of Jacobians is "
         f"usually far below the product of their norms, because the direction one step stretches is not the one "
         f"the next step stretches.")

# %% [markdown]
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


def loss_and_grads(w, b):
    """L = (h_10 - y)^2, dL/dw and dL/db, from the layer's own forward and backward."""
    one.params["weight_hh_l0"][...], one.params["bias_ih_l0"][...], one.params["bias_hh_l0"][...] = w, b, 0.0
    out, _ = one(silence, h0)
    dout = np.zeros_like(out)
    dout[-1] = 2 * (out[-1] - y)
    one.backward(dout)
    return float((out[-1, 0, 0] - y) ** 2), float(one.grads["weight_hh_l0"][0, 0]), float(one.grads["bias_ih_l0"][0])


bs = np.linspace(-2.5, 0.5, 1501)
surface = np.array([loss_and_grads(1.5, b) for b in bs])    # columns: L, dL/dw, dL/db
wall = bs[np.argmax(np.abs(surface[:, 2]))]
print(f"steepest point: b = {wall:.4f}, |dL/db| = {np.abs(surface[:, 2]).max():.3g}; "
      f"elsewhere the median |dL/db| is {np.median(np.abs(surface[:, 2])):.3g}")

# %% [markdown]
# Now take 30 plain gradient-descent steps $b \leftarrow b - \eta\, g$ ($\eta = 0.1$) from $b = 0.3$ (on the high side of the
# cliff), once unclipped and once with $g$ clipped to $|g| \le 1$. We write the loop here because it is a
# few numbers; `minilstm.train` does the same for every weight of a model. It clips the norm of the whole gradient
# vector, as here:

# %%
def descend(w, b, clip, lr=0.1, steps=30, move_w=False):
    """Gradient descent on b (and on w when ``move_w``) from (w, b); the path as rows (w, b)."""
    path = [(w, b)]
    for _ in range(steps):
        _, gw, gb = loss_and_grads(w, b)
        g = np.array([gw if move_w else 0.0, gb])
        if clip is not None:
            g *= min(1.0, clip / np.linalg.norm(g))     # clip_grad_norm
        w, b = w - lr * g[0], b - lr * g[1]
        path.append((w, b))
    return np.array(path)


paths = {"no clipping": descend(1.5, 0.3, None), "clip_norm = 1": descend(1.5, 0.3, 1.0)}
for name, path in paths.items():
    losses = [loss_and_grads(w, b)[0] for w, b in path]
    print(f"{name:14s} b after each step: " + " ".join(f"{b:.2f}" for b in path[:16, 1]) + " ...")
    print(f"{'':14s} longest step {np.abs(np.diff(path[:, 1])).max():.2f}; last b {path[-1, 1]:.3f}, loss there "
          f"{losses[-1]:.3f}, |dL/db| there {abs(loss_and_grads(*path[-1])[2]):.1e}; lowest loss on the way "
          f"{min(losses):.4f}")

# %%
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
ax.plot(bs, surface[:, 0], color="0.3", label="loss L(b)")
for (name, path), color in zip(paths.items(), ("C3", "C0")):
    ax.plot(path[:, 1], [loss_and_grads(w, b)[0] for w, b in path], "o-", color=color, ms=4, alpha=0.8, label=name)
ax.set(xlabel="bias b (w = 1.5 fixed)", ylabel="loss L = (h_10 - y)^2", xlim=(bs[0], bs[-1]),
       title="a cliff in the loss surface, and two descents from b = 0.3")
ax.legend()
ax2.plot(bs, np.abs(surface[:, 2]), color="0.3")
ax2.axhline(1.0, color="C0", ls="--", label="the clipping threshold c = 1")
ax2.set(xlabel="bias b (w = 1.5 fixed)", ylabel="|dL/db| (log scale)", yscale="log",
        title="the gradient along the same slice")
ax2.legend();

# %%
jump = paths["no clipping"][np.argmax(np.abs(np.diff(paths["no clipping"][:, 1]))) + 1, 1]
end = {name: (path[-1, 1], loss_and_grads(*path[-1])[0]) for name, path in paths.items()}
last2 = [(b, loss_and_grads(w, b)[0]) for w, b in paths["clip_norm = 1"][-2:]]
best = np.argmin(surface[:, 0])
Markdown(f"Left: the loss is smooth on both sides of a near-vertical wall at $b \\approx {wall:.2f}$, where the unit's "
         f"final state switches from one stable state to the other. Right: on the wall the gradient is orders of "
         f"magnitude larger than anywhere else. Both descents walk the same path down to the wall. There the "
         f"unclipped one (red) meets that gradient and is thrown to $b = {jump:.2f}$, onto a plateau whose gradient "
         f"is tiny: after 30 steps it sits at $b = {end['no clipping'][0]:.2f}$ with loss "
         f"{end['no clipping'][1]:.3f}, far from this slice's minimum, $L = {sci(surface[best, 0]).strip('$')}$ at "
         f"$b = {bs[best]:.2f}$, at the foot of the wall. The clipped one (blue) crosses the wall with steps of at "
         f"most $\\eta c = 0.1$ and then bounces across it: its last two steps are at $b = {last2[0][0]:.2f}$ "
         f"(loss {last2[0][1]:.3f}) and $b = {last2[1][0]:.2f}$ (loss {last2[1][1]:.3f}), always within one step "
         f"of the minimum (a smaller or decaying learning rate would let it settle). Clipping changed no step's "
         f"direction, only its length.")

# %% [markdown]
# ### The same cliff in two dimensions
#
# Pascanu et al. drew this surface over both parameters, $w$ and $b$. Here it is, with two descents that move
# *both* (from $w = 2$, $b = 0.3$, $\eta = 0.2$, 40 steps; clipping now caps the norm of the 2-vector $(g_w, g_b)$):

# %%
ws, bs2 = np.linspace(0.0, 3.0, 41 if QUICK else 121), np.linspace(-2.5, 1.0, 41 if QUICK else 141)
L2 = np.array([[loss_and_grads(w, b)[0] for w in ws] for b in bs2])
paths2 = {name: descend(2.0, 0.3, clip, lr=0.2, steps=40, move_w=True)
          for name, clip in (("no clipping", None), ("clip_norm = 1", 1.0))}
fig, ax = plt.subplots(figsize=(7.5, 5.5))
im = ax.pcolormesh(ws, bs2, L2, cmap="viridis", shading="auto")
fig.colorbar(im, ax=ax, label="loss L = (h_10 - y)^2")
for (name, path), color in zip(paths2.items(), ("C3", "w")):
    ax.plot(path[:, 0], path[:, 1], "o-", color=color, ms=3, lw=1.2, label=name)
ax.plot(*paths2["no clipping"][0], "k*", ms=14, label="start (w, b) = (2, 0.3)")
ax.set(xlabel="recurrent weight w", ylabel="bias b", xlim=(ws[0], ws[-1]), ylim=(bs2[0], bs2[-1]),
       title="the cliff over (w, b), and two descents that move both")
ax.legend(loc="lower right", facecolor="0.55");   # clear of both paths; grey, so the white line shows

# %%
steps2 = {name: np.linalg.norm(np.diff(path, axis=0), axis=1) for name, path in paths2.items()}
final2 = {name: loss_and_grads(*path[-1])[0] for name, path in paths2.items()}
Markdown(f"The yellow region is the high-loss side (the unit ends in its positive state), the dark one the "
         f"low-loss side; the wall between them runs diagonally across the plane. The unclipped descent (red) takes one step of length "
         f"{steps2['no clipping'].max():.2f} when it reaches the wall and ends at "
         f"$(w, b) = ({paths2['no clipping'][-1, 0]:.2f}, {paths2['no clipping'][-1, 1]:.2f})$ with loss "
         f"{final2['no clipping']:.3f}. The clipped one (white) never steps farther than "
         f"{steps2['clip_norm = 1'].max():.2f} ($\\eta c = 0.2$), stays near the wall and ends at "
         f"$({paths2['clip_norm = 1'][-1, 0]:.2f}, {paths2['clip_norm = 1'][-1, 1]:.2f})$ with loss "
         f"{sci(final2['clip_norm = 1'])}.")

# %% [markdown]
# ### A whole training run
#
# The same thing in a real model: an RNN on the adding problem (30 steps), its $W_{hh}$ started at twice
# orthogonal so that the gradient explodes, trained with plain SGD with and without `clip_norm`:

# %%
adding = data.make_task("adding", seed=0, n=400 if QUICK else 1000, T=30, variable=False)
epochs = 4 if QUICK else 12
histories, models = {}, {}
for name, clip in (("no clipping", None), ("clip_norm = 1", 1.0)):
    model = minilstm.Model(2, 32, 1, cell="rnn", seed=0)
    model.rnn.params["weight_hh_l0"] *= 2.0
    models[name] = model
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
Y = np.asarray(adding.Y).reshape(-1)
mean_mse = float(np.mean((Y - Y.mean()) ** 2))       # the best constant prediction's MSE: the targets' variance
mean_acc = data.adding_accuracy(np.full_like(Y, Y.mean()), Y)
pred = np.asarray(minilstm.predict(models["clip_norm = 1"], adding.X)).reshape(-1)
clipped_mse, clipped_acc = float(np.mean((pred - Y) ** 2)), data.adding_accuracy(pred, Y)
print(f"always predicting the mean: MSE {mean_mse:.4f}, accuracy (|error| < 0.04) {mean_acc:.1%}")
print(f"the clipped RNN at the end:  MSE {clipped_mse:.4f}, accuracy {clipped_acc:.1%}")

# %%
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
for name, h in histories.items():
    ax.plot(h["epoch"], np.minimum(h["train_loss"], 1e6), marker="o", label=name)
    ax2.plot(h["epoch"], np.minimum(h["grad_norm"], 1e30), marker="o", label=name)
ax.axhline(mean_mse, color="0.5", ls="--", label=f"predicting the mean (MSE {mean_mse:.3f})")
ax.set(xlabel="epoch", ylabel="training loss (MSE, log scale; capped at 1e6)", yscale="log",
       title="adding problem, RNN with W_hh = 2 x orthogonal")
ax2.set(xlabel="epoch", ylabel="mean gradient norm before clipping (capped at 1e30)", yscale="log",
        title="the gradient norm the optimizer saw")
ax.legend()
ax2.legend();

# %%
skipped = sum(histories["no clipping"]["skipped_steps"])
verdict = ("below" if clipped_mse < mean_mse else "not below") + " the dashed line"
learned = ("it has learned something beyond the mean" if clipped_mse < 0.5 * mean_mse else
           "it has not learned the task: it does about as well as predicting the mean, no better"
           if clipped_mse < 1.25 * mean_mse else "it has not learned the task: it does worse than predicting the mean")
tail = ("Clipping stops the divergence; it does not make an RNN carry the two marked numbers across 30 steps, "
        "because that gradient vanishes." if clipped_mse >= 0.5 * mean_mse else
        "Clipping made this run possible by stopping the divergence; it does not by itself cure the vanishing "
        "gradient that makes 30 steps hard for an RNN (lesson 3).")
first = histories["no clipping"]
overflow = next((e for e, v in zip(first["epoch"], first["train_loss"]) if not np.isfinite(v)), None)   # first inf
Markdown(f"Without clipping the gradient is huge from the start (its norm averages {sci(first['grad_norm'][0])} over "
         f"the first epoch, right), every step throws the weights farther "
         + (f"(the first epoch's mean loss is {sci(first['train_loss'][0])}), " if overflow != first["epoch"][0]
            else "")
         + (f"until, in epoch {overflow}, the loss overflows" if overflow else "until the loss overflows")
         + " and every later gradient is infinite: "
         f"`minilstm.train` refuses to take those steps (here it skipped {skipped}; it "
         f"counts them in `skipped_steps`), but the weights are already ruined, so after 10 skipped steps in a row it "
         f"stops the run with a `TrainingDiverged` error that says where it went wrong (the error carries the "
         f"history, which we plot; with `checkpoint_dir` the last good checkpoint would be left as it was).\n\n"
         f"With `clip_norm=1` the same run does not diverge: its gradient norm starts large, each step is capped, "
         f"and the loss stays finite. That is all clipping did. The dashed line is a model that always predicts "
         f"the mean: the target $0.5 + (X_1 + X_2)/4$, with $X_1, X_2$ uniform in $[-1, 1]$, has variance "
         f"$1/24 \\approx {1 / 24:.3f}$ (on these {Y.size} sequences {mean_mse:.4f}), and that is the mean predictor's "
         f"MSE. The clipped RNN ends at MSE {clipped_mse:.4f}, {verdict}, with accuracy {clipped_acc:.1%} against "
         f"the mean predictor's {mean_acc:.1%}: {learned}. {tail}")

# %% [markdown]
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
# - Each step back multiplies the gradient (a column vector) by $J_t^\top = W_{hh}^\top \operatorname{diag}(\phi'(a_t))$; over many steps the
#   product shrinks or grows exponentially (`inspect.gradient_flow`, `plot.gradient_flow`).
# - If the largest singular value of $W_{hh}$ is below $1/\gamma$, the gradient is guaranteed to vanish
#   (Pascanu et al. 2013; `inspect.spectrum`, `plot.spectrum`). Above it, saturation can still make it vanish.
# - `inspect.jacobian_norms` shows the factor of every step; below 1 the step shrinks the gradient.
# - Exploding gradients come from cliffs in the loss surface; one step there can ruin a run. Clipping the
#   gradient norm (`minilstm.train(..., clip_norm=c)`) keeps the direction and caps the step length: it stops a
#   divergence, and does not by itself make a network learn.
# - Nothing like clipping cures vanishing; a cell with an additive memory path does, next.
#
# **References.** Bengio, Simard & Frasconi (1994), Learning long-term dependencies with gradient descent is
# difficult, IEEE Trans. Neural Networks 5(2). Pascanu, Mikolov & Bengio (2013), On the difficulty of training
# recurrent neural networks, ICML.
