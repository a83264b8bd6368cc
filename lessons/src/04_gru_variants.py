# %% [markdown]
# # Lesson 4: GRU, peepholes and the variants
#
# The LSTM of lesson 3 is one point in a family. The gated recurrent unit (GRU; Cho et al. 2014) merges the cell
# state into the hidden state and uses two gates instead of three; the peephole LSTM (Gers & Schmidhuber 2000)
# lets the gates see the cell state; and Greff et al. (2015), "LSTM: A Search Space Odyssey", removed one part of
# the LSTM at a time to see which parts matter. Every one of them is an option of `minilstm`'s cells, with its
# backward proved by gradient checks, so we can compare them on equal terms.
#
# **In this lesson you will be able to**
#
# 1. write both forms of the GRU step, PyTorch's `reset_after=True` and Cho et al.'s `reset_after=False`, and
#    show that the same weights give different functions;
# 2. explain why cuDNN (and so PyTorch and Keras) chose `reset_after`;
# 3. say what the peephole LSTM's cell state feeds into, and check that zero peepholes give the plain LSTM;
# 4. build Greff et al.'s variants as options (`LSTM(..., **minilstm.cells.VARIANTS["CIFG"])`), count their
#    parameters, compare a few on a task, and read the project's measured miniature of the study;
# 5. write the GRU step backward yourself and have `check_step_backward(..., cell="gru")` check it.
#
# About 25 minutes. Lesson 3 first.

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minilstm
from minilstm import data, inspect, plot
from minilstm.cells import VARIANTS
from minilstm.exercises import check_step_backward
from IPython.display import Markdown   # text written from the numbers above it

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# %% [markdown]
# ## 1. The GRU, in its two forms
#
# The GRU keeps one state $h_t$. A reset gate $r_t$ decides how much of the old state the candidate $n_t$ sees,
# and an update gate $z_t$ mixes the candidate with the old state. PyTorch's gate order is $r, z, n$. The two
# forms differ in one line, where the reset gate acts:
#
# | | `reset_after=True` (PyTorch, cuDNN, TensorFlow 2's Keras) | `reset_after=False` (Cho et al. 2014) |
# |---|---|---|
# | reset | $r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})$ | the same |
# | update | $z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})$ | the same |
# | candidate | $n_t = \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big)$ | $n_t = \tanh\big(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}\big)$ |
# | new state | $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$ | the same |
#
# `plot.cell_diagram` draws both, each from the cell's own `reset_after`. In the drawing the $z$ path along the top carries $z_t \odot h_{t-1}$, and $(1 - z_t)$ weighs the candidate:

# %%
fig, axes = plt.subplots(1, 2, figsize=(16, 5.2))
for ax, reset_after in zip(axes, (True, False)):
    plot.cell_diagram(minilstm.GRUCell(3, 4, reset_after=reset_after), ax=ax)

# %% [markdown]
# Both forms have exactly the same parameters: `weight_ih` $(3H, D)$, `weight_hh` $(3H, H)$ and two bias vectors
# $(3H)$. So we can give two `minilstm.GRUCell`s the same weights and compute both forms by hand next to them:

# %%
D, H, B = 3, 4, 2
gru_after = minilstm.GRUCell(D, H, dtype="float64", seed=0)                     # reset_after=True, the default
gru_before = minilstm.GRUCell(D, H, reset_after=False, dtype="float64")
gru_before.load_state_dict(gru_after.state_dict())                              # the very same weights

x, h_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H))
W_ih, W_hh, b_ih, b_hh = (gru_after.params[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
x_r, x_z, x_n = np.split(x @ W_ih.T + b_ih, 3, axis=1)                          # input products, blocks r, z, n
W_hr, W_hz, W_hn = np.split(W_hh, 3)
b_hr, b_hz, b_hn = np.split(b_hh, 3)

r = sigmoid(x_r + h_prev @ W_hr.T + b_hr)
z = sigmoid(x_z + h_prev @ W_hz.T + b_hz)
n_after = np.tanh(x_n + r * (h_prev @ W_hn.T + b_hn))                           # reset after the product
n_before = np.tanh(x_n + (r * h_prev) @ W_hn.T + b_hn)                          # reset before it
h_after = (1 - z) * n_after + z * h_prev
h_before = (1 - z) * n_before + z * h_prev

print("reset_after=True  equals the equations:", np.allclose(h_after, gru_after(x, h_prev)))
print("reset_after=False equals the equations:", np.allclose(h_before, gru_before(x, h_prev)))
print("largest difference between the two forms, one step:", np.abs(h_after - h_before).max().round(3))

# %% [markdown]
# Over a whole sequence: two `GRU` layers with the same weights, one of each form, read
# the same input:

# %%
T = 60
xs = rng.standard_normal((T, 1, D))
layer_after = minilstm.GRU(D, 8, dtype="float64", seed=1)
layer_before = minilstm.GRU(D, 8, reset_after=False, dtype="float64")
layer_before.load_state_dict(layer_after.state_dict())
out_after, _ = layer_after(xs)
out_before, _ = layer_before(xs)

fig, ax = plt.subplots(figsize=(9, 3.6))
for unit, color in ((0, "C0"), (1, "C1")):
    ax.plot(out_after[:, 0, unit], color=color, label=f"unit {unit}, reset_after=True")
    ax.plot(out_before[:, 0, unit], color=color, ls="--", label=f"unit {unit}, reset_after=False")
ax.set(xlabel="time step t", ylabel="h_t", title="one set of weights, two GRU forms, two different functions")
ax.legend(ncol=4, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2))   # below the axes, off the lines
gap = np.abs(out_after - out_before)
print(f"largest difference over the sequence: {gap.max():.2f}")

# %%
halves = gap[: T // 2].mean(), gap[T // 2:].mean()          # the mean gap over the first and the second half
Markdown(f"Solid and dashed lines of one colour follow the same course, but not exactly: the two forms differ by "
         f"up to {gap.max():.2f} (a mean of {gap.mean():.3f} over every step and unit; {halves[0]:.3f} over the first "
         f"half of the steps, {halves[1]:.3f} over the second). "
         + ("The difference does not build up, because this untrained GRU soon forgets its past "
            "($z \\approx 0.5$), but it does not vanish either: "
            if halves[1] < 2 * halves[0] else "The difference builds up along the sequence: ")
         + "they are different functions of the same weights.")

# %% [markdown]
# Weights trained in one form do not carry over to the other, which is why PyTorch, Keras and minilstm name the form explicitly, and
# why Keras weights load into PyTorch's GRU only from a Keras GRU with `reset_after=True`.
#
# ### Why cuDNN chose `reset_after`
#
# Look at what each step must compute from $h_{t-1}$. With `reset_after=True`, all three recurrent products
# $W_{hr} h_{t-1}$, $W_{hz} h_{t-1}$, $W_{hn} h_{t-1}$ use the same vector, so they are **one** matrix product
# $W_{hh} h_{t-1}$ of shape $(3H, H)$, and $r_t$ is applied to its result afterwards. With `reset_after=False`,
# the $n$ block's product needs $r_t \odot h_{t-1}$, so it must wait for $r_t$: **two** products per step, one
# after the other. The engine's step forward (`minilstm/cells/gru.py`) shows the difference line for line:
#
# ```python
# if self.reset_after:                                # one product serves all three blocks
#     h_r, h_z, h_n = split_gates(h_in @ p.weight_hh.T, 3)
# else:                                               # W_hn waits for r
#     h_r, h_z = split_gates(h_in @ _rows(p.weight_hh, 0, 2).T, 2)
# r = sigmoid(x_r + h_r)
# z = sigmoid(x_z + h_z)
# if self.reset_after:
#     hn = h_n + b_hn
#     n = tanh(x_n + r * hn)
# else:
#     rh = r * h_in                                   # the second product needs r first
#     hn = rh @ _rows(p.weight_hh, 2, 3).T + b_hn
#     n = tanh(x_n + hn)
# ```
#
# On a GPU the time loop is sequential, and at the sizes recurrent networks often have, a step's cost is mostly
# the launching and synchronising of its kernels, not their arithmetic. One fused recurrent product per step is
# what cuDNN's GRU computes, and PyTorch and TensorFlow 2's Keras use its form so that they can call it. On a CPU
# with NumPy the arithmetic is the same either way; here is the time each form takes:

# %%
xt = rng.standard_normal((50 if QUICK else 100, 32, 64)).astype("float32")
layers = {ra: minilstm.GRU(64, 128, reset_after=ra, seed=0) for ra in (True, False)}
times = {True: [], False: []}
for _ in range(3 if QUICK else 7):            # the two forms in turn, so that a busy moment hits both
    for reset_after, layer in layers.items():
        start = time.perf_counter()
        out, _ = layer(xt)
        layer.backward(np.ones_like(out))
        times[reset_after].append(time.perf_counter() - start)
best = {ra: min(t) * 1000 for ra, t in times.items()}   # the fastest of the repeats: the least disturbed
for reset_after in layers:
    print(f"reset_after={reset_after!s:5}: {best[reset_after]:.0f} ms per forward and backward (fastest of "
          f"{len(times[reset_after])}; T = {len(xt)}, B = 32, H = 128, NumPy)")

# %%
diff = best[False] / best[True] - 1
Markdown(f"Here `reset_after=False` took {abs(diff):.0%} {'more' if diff > 0 else 'less'} time than "
         f"`reset_after=True`. The arithmetic is the same for both forms; what differs is the number of NumPy calls "
         f"per step and the shapes of the products (one $(3H, H)$ against a $(2H, H)$ and an $(H, H)$), whose cost "
         f"depends on the BLAS library and on the machine's load. On a shared CPU this figure moves a lot between "
         f"runs, and earlier runs of this cell have shown either form faster: do not read a rule into it. The "
         f"advantage of `reset_after` is structural and shows where each product is a kernel launch that must wait "
         f"for the one before.")

# %% [markdown]

# **Check yourself.** If $r_t = 1$ everywhere, do the two forms agree? And if $b_{hn} \neq 0$ and $r_t = 0$?
# *(Yes: both give $\tanh(W_{in}x + b_{in} + W_{hn}h + b_{hn})$. No: `reset_after=True` drops $b_{hn}$ with the
# product, `reset_after=False` keeps it.)*
#
# ## 2. The GRU's gradient path
#
# The last line, $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$, is the GRU's version of the LSTM's cell update:
# backward it gives $\partial L/\partial h_{t-1} = z_t \odot \partial L/\partial h_t + (\text{terms through }
# W_{hh})$. The update gate $z_t$ plays the forget gate's role, but its bias starts at 0 in minilstm (PyTorch draws
# it from $U(-1/\sqrt H, 1/\sqrt H)$, centred on 0), so $z \approx 0.5$ and this path passes only about half of the
# gradient at every step. That is why the
# untrained GRU lost its gradient fastest in lesson 3. Shifting the update gate's bias, as lesson 3 shifted the
# forget bias, opens the path; it is an option of the layer, `GRU(..., update_bias=b)` (and of `GRUCell` and
# `Model(..., cell="gru", update_bias=b)`), which sets the $z$ block of `bias_ih` to $b$:

# %%
def gru_with_update_bias(bias, H=32):
    return minilstm.GRU(8, H, update_bias=bias, seed=0)   # z = sigmoid(... + bias) at the start


xg = rng.standard_normal((50, 16, 8)).astype("float32")
flows = {f"GRU, update_bias {b:g} (z near {sigmoid(b):.2f})": inspect.gradient_flow(gru_with_update_bias(b), xg)
         for b in (0.0, 2.0, 5.0)}
flows["LSTM, forget bias 1"] = inspect.gradient_flow(minilstm.LSTM(8, 32, seed=0), xg)
ax = plot.gradient_flow(flows, title="untrained cells: how far back the gradient reaches").axes[0]
ax.set_xlabel("time step t (the loss reads the last one)");

# %%
K = len(xg) - 2
rate = {name: (f.lag(K + 1) / f.lag(1)) ** (1 / K) for name, f in flows.items()}   # mean factor per step back
names = list(rate)
Markdown(f"Per step back, over the {K} steps before the last, the gradient's norm changes on average by a factor of "
         + ", ".join(f"{rate[n]:.2f} ({n})" for n in names) + ". "
         f"At update bias 0 the direct path passes $z \\approx 0.5$ of the gradient, and the paths through "
         f"$W_{{hh}}$ {'add to it' if min(rate.values()) > 0.5 else 'change it'}; at larger biases the factor approaches $z = \\sigma(b)$ and the direct path keeps "
         f"nearly all of it. The price is the same as the forget bias's: a GRU that starts with $z$ near 1 barely "
         f"updates its state until it learns to.")

# %% [markdown]
# ## 3. The peephole LSTM
#
# In the LSTM of lesson 3 the gates see $x_t$ and $h_{t-1}$, but not the cell state itself; $h_{t-1}$ is only a
# squashed, gated view of it. Gers & Schmidhuber (2000) added *peepholes*, one diagonal weight vector per gate
# (`weight_peep_i`, `weight_peep_f`, `weight_peep_o`, each $(H)$): the input and forget gates see $c_{t-1}$, the
# output gate sees the new $c_t$:
#
# $$i_t = \sigma(\dots + p_i \odot c_{t-1}), \qquad f_t = \sigma(\dots + p_f \odot c_{t-1}), \qquad
# o_t = \sigma(\dots + p_o \odot c_t).$$
#
# So $c$ feeds into three more places, and backward each of them sends a gradient to it: the highway becomes
# $\partial L/\partial c_{t-1} = f_t \odot \delta c_t + p_i \odot \partial a_i + p_f \odot \partial a_f$, and
# $\delta c_t$ itself gains $p_o \odot \partial a_o$ (the engine's `step_backward` adds exactly these lines).
# `plot.cell_diagram` draws the peepholes dashed, forward and backward:

# %%
fig, axes = plt.subplots(1, 2, figsize=(16, 5.6))
plot.cell_diagram(minilstm.PeepholeLSTMCell(3, 4), ax=axes[0])
plot.cell_diagram(minilstm.PeepholeLSTMCell(3, 4), gradient=True, ax=axes[1]);

# %% [markdown]
# With zero peepholes it must be the plain LSTM:

# %%
peep = minilstm.PeepholeLSTM(D, H, dtype="float64", seed=0)
print({k: v.shape for k, v in peep.params.items() if "peep" in k})
plain = minilstm.LSTM(D, H, dtype="float64")
plain.load_state_dict({k: v for k, v in peep.state_dict().items() if "peep" not in k})
for k in ("i", "f", "o"):
    peep.params[f"weight_peep_{k}_l0"][...] = 0.0
xs = rng.standard_normal((10, B, D))
print("zero peepholes == plain LSTM:", np.allclose(peep(xs)[0], plain(xs)[0], rtol=1e-13, atol=0))

# %% [markdown]
# The peephole LSTM costs $3H$ more parameters, and its output gate must wait for $c_t$ within the step.
# cuDNN and PyTorch offer no peepholes; Greff et al. found that dropping them costs nothing on average (the "NP"
# variant below).
#
# ## 4. The variants of Greff et al. (2015)
#
# Greff et al. started from the peephole LSTM ("V", for vanilla) and changed one thing at a time. In minilstm
# each is an option of the one LSTM step, collected by name in `minilstm.cells.VARIANTS`:

# %%
for name, options in VARIANTS.items():
    layer = minilstm.LSTM(2, 32, **options)
    print(f"{name:5s} {layer.num_params:6,d} parameters, gate blocks {''.join(layer.cell.gates):4s}  {options}")
head = minilstm.Linear(32, 1).num_params
print(f"(the layers alone; a Model(2, 32, 1, ...) adds its Linear head, {head} more parameters)")

# %% [markdown]
# | name | option | the line it changes |
# |---|---|---|
# | NIG | `input_gate=False` | $i = 1$ |
# | NFG | `forget_gate=False` | $f = 1$ (the 1997 cell) |
# | NOG | `output_gate=False` | $o = 1$ |
# | NIAF | `input_activation=False` | $g = W_{ig} x + \dots$ (no tanh) |
# | NOAF | `output_activation=False` | $h = o \odot c$ (no tanh) |
# | NP | `peephole=False` | no peepholes |
# | CIFG | `coupled=True` | $i = 1 - f$ |
#
# A removed gate has no rows in the fused weights, so NIG, NFG, NOG and CIFG have a quarter fewer recurrent and
# input weights; NIAF and NOAF only drop a nonlinearity and keep every parameter. Any variant is one line:
# `minilstm.LSTM(D, H, **VARIANTS["CIFG"])`, or `Model(..., cell="lstm", **VARIANTS["CIFG"])`.
#
# ### A small run
#
# Three variants on the adding problem (sequences of 20 to 22 steps), with the settings of the project's
# miniature study below (32 units, Adam at 0.01, 16 epochs, batch 64, clipping at 1), one seed:

# %%
adding = data.make_task("adding", seed=0, n=600 if QUICK else 2000, T=20)
add_train, add_val = data.split(adding, (0.8, 0.2), seed=0)
runs = {}
for name in ("V", "NFG", "CIFG"):
    model = minilstm.Model(2, 32, 1, cell="lstm", seed=0, **VARIANTS[name])
    runs[name] = minilstm.train(model, add_train, val_data=add_val, lr=1e-2, epochs=3 if QUICK else 16,
                                batch_size=64, clip_norm=1.0, seed=0, progress=False,
                                metrics={"accuracy": lambda pred, ds: data.adding_accuracy(pred, ds.Y)})
    print(f"{name:5s} {model.num_params:5,d} parameters, final validation accuracy "
          f"{runs[name]['val_accuracy'][-1]:.3f}, loss {runs[name]['val_loss'][-1]:.2e}")

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, h in runs.items():
    ax.plot(h["epoch"], h["val_accuracy"], marker="o", label=name)
always_half = data.adding_accuracy(np.full(len(add_val.Y), 0.5), add_val.Y)
ax.axhline(always_half, color="0.5", ls="--", label=f"always 0.5 ({always_half:.0%})")
preview = "quick-mode preview, too short to show the result: " if QUICK else ""
ax.set(xlabel="epoch", ylabel="validation accuracy (|error| < 0.04)", ylim=(0, 1.02),
       title=f"{preview}three LSTM variants on the adding problem (T = 20, one seed)")
ax.legend();

# %% [markdown]
# ### The measured miniature
#
# One seed and one task say little. `python benchmarks/variants.py` (a few minutes; the report gives its run time) runs all eight
# variants with five seeds on two tasks, character-level text and the adding problem, with the settings above;
# its report is `benchmarks/results/variants.md`. The cell reads the report's two tables and shows the final
# validation results, as the mean over the five seeds and the mean difference from V with the same seed:

# %%
REPORT = Path("../benchmarks/results/variants.md")   # lessons run in lessons/


def report_rows(section):
    """``{variant: [cells...]}`` of the report's table under ``### section``."""
    rows, inside = {}, False
    for line in REPORT.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            inside = line.strip() == f"### {section}"
        elif inside and line.startswith("| ") and not line.startswith("| variant"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells
    return rows


text, add = report_rows("text"), report_rows("adding")
lines = ["| variant | parameters (adding) | text: char accuracy | minus V | text: seeds with loss above V's | "
         "adding: accuracy | minus V | adding: seeds with loss above V's |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
lines += [f"| {v} | {add[v][1]} | {text[v][2].split()[0]} | {text[v][3]} | {text[v][6]} | {add[v][2].split()[0]} | "
          f"{add[v][3]} | {add[v][6]} |" for v in text]
Markdown("\n".join(lines))

# %%
final = {name: h["val_accuracy"][-1] for name, h in runs.items()}
v_range = add["V"][2].split()[1].strip("()")                       # "lowest-highest" over the five seeds
v_spread = float(v_range.split("-")[1]) - float(v_range.split("-")[0])
one_run = max(final.values()) - min(final.values())
params_text = {v: int(text[v][1].replace(",", "")) for v in ("V", "CIFG")}   # the text models' counts
fewer = 1 - params_text["CIFG"] / params_text["V"]
Markdown(("**Quick mode:** the runs above are too short to show anything; run the lesson in full.\n\n" if QUICK else "")
         + "In the small run the final validation accuracies are " + ", ".join(f"{final[n]:.1%} ({n})" for n in final)
         + f". NFG has no forget gate: $c_t = c_{{t-1}} + i_t \\odot g_t$, a state that can only accumulate. Here "
         f"the three end {100 * one_run:.1f} percentage points apart, {'within' if one_run <= v_spread else 'beyond'} "
         f"the spread between seeds of the miniature, where V alone ranged over {v_range} ({100 * v_spread:.1f} points) "
         f"on the adding problem across five seeds. Either way, a ranking needs more than one run.\n\n"
         f"What the miniature found, in the report's words: on text, **the forget gate and the output activation "
         f"matter most, as in the paper** (NOAF and NFG worst, in every seed; part of NOAF's deficit is "
         f"overfitting); CIFG is the best variant with {fewer:.0%} fewer parameters (its text model has {params_text['CIFG']:,} against "
         f"V's {params_text['V']:,}), and NIG, NOG and NP are within "
         f"the seed-to-seed spread of V. The adding problem ranks them differently: NIG is worst in every seed, CIFG "
         f"and NIAF beat V in every seed, and the short lag leaves little for the forget gate to do. (The report "
         f"writes this paragraph by hand for its default run; the table above is read from the report itself.)")

# %% [markdown]
# **The caveats, also the report's.** Five seeds and two tiny tasks, one shared setting chosen from V's
# validation curves, where Greff et al. tuned every variant with 200 random-search trials per data set and
# tested differences with Welch's t-test. "Every seed" is 5 of 5: a coin gives that 1 time in 32 for one
# comparison, and the table holds 14 comparisons in two directions, so about one such result is expected by
# chance alone. Only the larger effects (NOAF and NFG on text, NIG on adding, CIFG's lead on adding) are worth
# much, and only for these tasks and settings.
#
# ### Which parts matter
#
# Greff et al.'s conclusion, over speech, handwriting and music: **the forget gate and the output activation
# are critical**; coupling the input and forget gates (CIFG, the GRU's idea) and dropping the peepholes (NP)
# cost nothing and save parameters; no variant beat the vanilla LSTM clearly. Jozefowicz et al. (2015) found
# the GRU better than a plain LSTM on most of their tasks, but not on language modelling, and an LSTM with a
# forget bias of 1 closed most of that gap. Our miniature agrees on the forget gate, the output activation, CIFG
# and NP for text, and shows that a task can reorder the rest.
#
# **Check yourself.** CIFG sets $i = 1 - f$. What does that do to the cell update, and which GRU line does it
# resemble? *($c_t = f_t \odot c_{t-1} + (1 - f_t) \odot g_t$: a convex mix of old and new, like
# $h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t$.)*
#
# ## 5. Your turn: the GRU step backward
#
# Write the GRU step backward (the default `reset_after=True` form) with the engine's signature,
# `step_backward(dstate, cache, p)`:
#
# - `dstate` is `(dh,)`: $\partial L/\partial h_t$, $(B, H)$;
# - `cache` is the engine's `GRUCache`: `cache.r`, `cache.z`, `cache.n`, `cache.h_prev`, and `cache.hn`
#   $= W_{hn} h_{t-1} + b_{hn}$;
# - `p.weight_hh` is $W_{hh}$, $(3H, H)$, blocks $r, z, n$.
#
# Return `(dxw, dhw, (dh_prev,))`. Unlike the LSTM's, the GRU's two pre-activation gradients differ: `dxw`
# $(B, 3H)$ is the gradient of the input side $W_{ih} x_t + b$ (blocks $\partial a_r, \partial a_z,
# \partial a_n$), and `dhw` that of the recurrent product $W_{hh} h_{t-1}$, whose $n$ block sits inside
# $r_t \odot (\dots)$ and so is $r_t \odot \partial a_n$. Then $\partial h_{t-1}$ has two paths: directly through
# $z_t \odot h_{t-1}$, and through `dhw` $W_{hh}$.

# %%
def my_gru_step_backward(dstate, cache, p):
    (dh,) = dstate
    da_r = da_z = da_n = np.zeros_like(dh)          # TODO: through h = (1 - z) n + z h_prev and n = tanh(...)
    dxw = np.concatenate([da_r, da_z, da_n], axis=-1)
    dhw = np.concatenate([da_r, da_z, da_n], axis=-1)  # TODO: the n block of the recurrent product
    dh_prev = np.zeros_like(dh)                     # TODO: two paths
    return dxw, dhw, (dh_prev,)


check_step_backward(my_gru_step_backward, cell="gru")

# %% [markdown]
# The checker names every wrong gradient and, in the fused arrays, the gate block of the worst entry. The usual
# first bug is a `dhw` equal to `dxw`: the checker then says the $n$ block of `dhw` is wrong. When all three pass,
# try the other form: `check_step_backward(fn, cell="gru", reset_after=False)`, where `cache.hn` is
# $W_{hn}(r_t \odot h_{t-1}) + b_{hn}$ and the reset gate's gradient comes through that product. (Stuck? The
# reference solution is `lessons/solutions/gru.py`.)
#
# ## Exercises
#
# ### The ladder for the GRU, both forms
#
# Reference solutions: `lessons/solutions/gru.py` (both forms), `bptt.py`, `numerical_gradient.py`.
#
# **Rung 1: the step forward.** `my_gru_step_forward(xw, state, p)` gets `xw` $(B, 3H)$, the input projection
# with $b_{ih}$ and the $r$ and $z$ blocks of $b_{hh}$ folded in (not $b_{hn}$: the reset gate multiplies it
# too), and `state = (h_prev,)`; it returns `(h,)` and `GRUCache(h_prev, r, z, n, hn, rh, h)`, where `hn` is the
# $n$ block's recurrent term and `rh` $= r \odot h_{t-1}$ exists only in the `reset_after=False` form (`None`
# in this one).

# %%
from minilstm.exercises import GRUCache, check_bptt, check_numerical_gradient, check_step_forward, plug


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def my_gru_step_forward(xw, state, p):
    (h_prev,) = state
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ p.weight_hh.T, 3, axis=-1)   # one product for the three blocks
    b_hn = np.split(p.bias_hh, 3)[2]
    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
    hn = h_n + b_hn
    n = np.zeros_like(h_prev)                                       # TODO: the candidate
    h = np.zeros_like(h_prev)                                       # TODO: the new state
    return (h,), GRUCache(h_prev, r, z, n, hn, None, h)


check_step_forward(my_gru_step_forward, cell="gru")

# %% [markdown]
# **Rung 2: the step backward** is the "Your turn" section above; then the other form: `check_step_forward(fn,
# cell="gru", reset_after=False)` and `check_step_backward(fn, cell="gru", reset_after=False)`, where `rh` $= r
# \odot h_{t-1}$ enters the product, `hn` $= W_{hn}(r \odot h_{t-1}) + b_{hn}$, and the reset gate's gradient
# comes back through that product. The checker's hints follow the form you ask for.
#
# **Rung 3: BPTT.** `check_bptt(my_bptt, cell="gru")` with your loop of lesson 1, then with
# `reset_after=False`: there the $n$ block of $W_{hh}$ multiplies `cache.rh`, not $h_{t-1}$, so its gradient
# is $\sum_t$ `dhw_n`$^\top$ `rh`$_t$. Does your loop need to know which cell it runs?
#
# **Rung 4: the numerical check.** `check_numerical_gradient(my_numerical_gradient, cell="gru", wrt="bias_hh")`:
# the $n$ block of $b_{hh}$ sits inside $r \odot (\dots)$, the one bias the time loop cannot fold into `xw`.
#
# **Rung 5: in a layer.** `plug(minilstm.GRU(2, 8, dtype="float64", seed=0), forward=my_gru_step_forward,
# backward=my_gru_step_backward)`, then `minilstm.gradcheck` on it. The layer's weight gradient $dW_{hh}$ comes
# from your `dhw`: what does the check say when `dhw` is `dxw`?
#
# ### More exercises
#
# 1. **Converting weights.** Train a `GRU(reset_after=False)` briefly on the adding problem, load its weights
#    into a `GRU(reset_after=True)` and measure the validation accuracy of each. How much is lost?
# 2. **A GRU update bias in training.** Train `minilstm.Model(2, 32, 1, cell="gru", update_bias=b)` on the adding
#    problem at $T = 30$ for a few values of `b`, as lesson 3 did with forget biases. Does a larger $z$ bias help
#    the GRU as the forget bias helped the LSTM?
# 3. **Peepholes in the highway.** Repeat lesson 3's cut experiment ($W_{hh} = 0$) with a `PeepholeLSTM`. Does
#    $\partial L/\partial c_{t-1} = f_t \odot \partial L/\partial c_t$ still hold? Add the two peephole terms and
#    check again.
# 4. **Your own variant table.** Add NOAF and NIG to section 4's run, then change the task to temporal order
#    (`data.make_task("order", T=30)`, `Model(8, 32, 4, ...)`, `data.class_accuracy`). Which ranking changes?
# 5. **Counting parameters.** Write the parameter count of each variant as a formula in $D$ and $H$ and check it
#    against `num_params` for $D = 2, H = 32$.
#
# Solutions: `lessons/solutions/04_gru_variants.py`, one function per exercise.

# %% [markdown]
# ## Summary
#
# - The GRU: $r$ and $z$ gates, a candidate $n$ and $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$. Its two forms
#   differ in where $r$ acts; with the same weights they are different functions (`GRU(reset_after=...)`).
# - `reset_after=True` needs one fused recurrent product per step, which is why cuDNN, and with it PyTorch and
#   Keras, use it; on a CPU both do the same arithmetic, and which one is faster depends on the machine and the
#   moment.
# - The GRU's $z_t \odot h_{t-1}$ is a gradient path like the LSTM's highway; at PyTorch's zero bias it passes
#   only about half of the gradient at each step; `GRU(..., update_bias=b)` opens it.
# - The peephole LSTM lets $i, f$ see $c_{t-1}$ and $o$ see $c_t$ (`PeepholeLSTM`); zero peepholes give the
#   LSTM exactly.
# - Greff et al.'s variants are options (`LSTM(..., **VARIANTS[name])`). The forget gate and the output
#   activation matter most; CIFG and no peepholes are free. Small studies, ours included, are weak evidence:
#   read the seeds and the caveats before the ranking.
