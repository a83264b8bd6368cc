# %% [markdown]
# # Lesson 9: Depth, direction, and sequences from sequences
#
# Lessons 1 to 8 used one recurrent layer reading left to right and answering at every step or at the end. Three
# changes to that picture make most of the recurrent models in use: stack layers (*depth*), read the sequence
# both ways (*direction*), and let one network read a sequence while another writes a different one, looking
# back at what was read (*encoder-decoder with attention*). This lesson builds each from minilstm's public layers,
# measures what it buys on a small task, and ends with what Greff et al. (2015) found about which LSTM to use.
#
# **In this lesson you will be able to**
#
# 1. stack recurrent layers (`LSTM(..., num_layers=2)`) and say what the second layer reads;
# 2. turn a language model's loss into perplexity and bits per character, and compare models by them;
# 3. use a bidirectional layer (`LSTM(..., bidirectional=True)`), show where it helps (the answer depends on the
#    future) and why it must not be used for a language model;
# 4. build an encoder-decoder from `LSTM`, `nn.Attention` and `Linear`, train it with teacher forcing, decode
#    greedily, and read its attention weights;
# 5. state Greff et al.'s FGR variant and their finding that the learning rate matters more than the variant.
#
# About 30 minutes. Lessons 1, 3 and 7 first.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import minilstm
from minilstm import data
from minilstm.optim import clip_grad_norm

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
np.set_printoptions(precision=3, suppress=True)
PREVIEW = "\n(quick-mode preview: tiny sizes; the full run trains longer)" if QUICK else ""

# %% [markdown]
# ## 1. Depth: stacked layers
#
# A stack of $L$ recurrent layers feeds each layer's hidden states to the next as its input sequence:
#
# $$h^{(1)}_t = \text{cell}^{(1)}(x_t, h^{(1)}_{t-1}), \qquad h^{(\ell)}_t = \text{cell}^{(\ell)}(h^{(\ell-1)}_t,
# h^{(\ell)}_{t-1}) \quad (\ell = 2, \dots, L),$$
#
# and the output is the top layer's $h^{(L)}_t$. Every layer has its own weights and its own state; depth is added
# *at each step*, so the path from $x_t$ to the output gets longer while the path along time does not.
# `LSTM(D, H, num_layers=2)` is such a stack, with PyTorch's shapes:

# %%
V_DEMO, H = 5, 8
stack = minilstm.LSTM(V_DEMO, H, num_layers=2, batch_first=True, seed=0)
out, (h_n, c_n) = stack(np.zeros((3, 7, V_DEMO)))
print("out:", out.shape, " h_n:", h_n.shape, " (layers, batch, hidden): one final state per layer")
print("weight_ih_l0:", stack.params["weight_ih_l0"].shape, " (4H x D: layer 0 reads x_t)")
print("weight_ih_l1:", stack.params["weight_ih_l1"].shape, " (4H x H: layer 1 reads layer 0's h_t)")

# %% [markdown]
# ## 2. Perplexity and bits per character
#
# A character model's loss is the mean cross-entropy $\bar L = -\frac{1}{N}\sum \ln p(x_{t+1} \mid x_{\le t})$ in
# nats (lesson 7). Two rescalings of it are what papers report:
#
# - **perplexity** $= e^{\bar L}$: the number of equally likely characters the model is, on average, as unsure
#   as. A uniform guess over $V$ characters has perplexity $V$.
# - **bits per character** $= \bar L / \ln 2$: the code length per character if the model drove an arithmetic
#   coder. A uniform guess costs $\log_2 V$ bits.
#
# Both are monotone in the loss, so they rank models the same way; they only make the number readable. On the
# built-in corpus, one LSTM layer against two of the same width, trained the same way:

# %%
text = data.make_task("text", seq_len=50)
V = text.meta["n_classes"]
train_text, val_text = data.split(text, (0.9, 0.1), seed=0)
corpus = text.meta["text"]
freq = np.bincount(text.meta["vocab"].encode(corpus), minlength=V) / len(corpus)
unigram = -(freq[freq > 0] * np.log(freq[freq > 0])).sum()
LM_EPOCHS, LM_HIDDEN = (1, 32) if QUICK else (10, 64)


def char_model(layers):
    return minilstm.Model(16, LM_HIDDEN, V, cell="lstm", readout="all", vocab_size=V, num_layers=layers, seed=0)


lm = {f"{n} layer{'s' * (n > 1)}": char_model(n) for n in (1, 2)}
lm_hist = {name: minilstm.train(m, train_text, val_data=val_text, lr=5e-3, epochs=LM_EPOCHS, batch_size=16,
                                clip_norm=1.0, seed=0, progress=False) for name, m in lm.items()}


def ppl_bpc(nats):
    return np.exp(nats), nats / np.log(2)


rows = [("uniform over the vocabulary", np.log(V), None), ("character frequencies only", unigram, None)]
rows += [(f"LSTM, {name} ({lm[name].num_params:,} parameters)", min(h["val_loss"]), None)
         for name, h in lm_hist.items()]
display(Markdown("| model | validation loss (nats) | perplexity | bits per character |\n|---|---:|---:|---:|\n"
                 + "\n".join(f"| {name} | {nats:.3f} | {ppl_bpc(nats)[0]:.2f} | {ppl_bpc(nats)[1]:.3f} |"
                             for name, nats, _ in rows)))

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
for name, h in lm_hist.items():
    ax.plot(h["epoch"], np.asarray(h["val_loss"]) / np.log(2), marker=".", label=f"LSTM, {name}")
ax.axhline(unigram / np.log(2), color="0.5", ls="--", label="character frequencies only")
ax.set(xlabel="epoch", ylabel="validation bits per character", title="one layer or two, same width" + PREVIEW)
ax.legend();

# %% [markdown]
# The lowest validation loss of each run is in the table, at its best epoch: a longer run can overfit, and then
# the last epoch would not be the best (the next output says where each run's best fell).
# The dashed line is what knowing only how often each letter occurs buys; everything below it is context.

# %%
best = {name: min(h["val_loss"]) for name, h in lm_hist.items()}
best_epoch = {name: int(np.argmin(h["val_loss"])) + 1 for name, h in lm_hist.items()}
deeper = best["2 layers"] < best["1 layer"]
still_falling = all(e == LM_EPOCHS for e in best_epoch.values())
peaked = [f"the {name.split()[0]}-layer run's best was epoch {e} of {LM_EPOCHS}"
          for name, e in best_epoch.items() if e < LM_EPOCHS]   # the runs whose loss rose after their best epoch
display(Markdown(
    f"In this run the second layer {'lowered' if deeper else 'did not lower'} the best validation loss "
    f"({best['1 layer'] / np.log(2):.3f} bits per character with one layer, {best['2 layers'] / np.log(2):.3f} with "
    f"two) at {lm['2 layers'].num_params / lm['1 layer'].num_params:.1f} times the parameters and after "
    f"{LM_EPOCHS} epoch{'s' * (LM_EPOCHS > 1)}; "
    + (f"both were at their best in the last epoch: {LM_EPOCHS} epochs are not enough to overfit here"
       if still_falling else " and ".join(peaked)
       + f"; {'its loss' if len(peaked) == 1 else 'their losses'} then rose again, the start of overfitting")
    + f". On a corpus of {len(corpus):,} characters, depth is not free: more parameters to fit from "
    "the same characters, and a longer path for the gradient at each step, so expect any gain to be small and to "
    "change with the seed (exercise 6). Deep stacks pay off on large corpora: Graves (2013) used up to 7 layers on "
    "Wikipedia text."))

# %% [markdown]
# ## 3. Direction: reading both ways
#
# A bidirectional layer runs two recurrent layers over the same input, one left to right and one right to left,
# and sets their hidden states side by side:
#
# $$\overrightarrow{h}_t = \text{cell}(x_t, \overrightarrow{h}_{t-1}), \qquad
# \overleftarrow{h}_t = \text{cell}'(x_t, \overleftarrow{h}_{t+1}), \qquad y_t = [\overrightarrow{h}_t;
# \overleftarrow{h}_t] \in \mathbb{R}^{2H}.$$
#
# So $y_t$ depends on the *whole* sequence. That helps exactly when the answer at step $t$ depends on what comes
# later, and it is why a bidirectional layer must never be a language model: predicting $x_{t+1}$ from a $y_t$
# that has read $x_{t+1}$ is copying, and its loss near zero says nothing.
#
# A task where the future matters: `data.reverse_task` gives $T$ random symbols, and the target at step $t$ is
# the symbol at step $T-1-t$. A left-to-right network at step $t < T/2$ has not yet seen its answer:

# %%
T_REV = 6 if QUICK else 10
rev = data.reverse_task(n=400 if QUICK else 2000, T=T_REV, alphabet=8, seed=0)
print("input ", rev.meta["source"][0], "\ntarget", rev.Y[0])
rev_train, rev_val = data.split(rev, (0.8, 0.2), seed=0)
REV_EPOCHS = 2 if QUICK else 12
tagger = {name: minilstm.Model(8, 32, 8, cell="lstm", readout="all", bidirectional=bi, seed=0)
          for name, bi in (("left to right", False), ("bidirectional", True))}
for m in tagger.values():
    minilstm.train(m, rev_train, lr=1e-2, epochs=REV_EPOCHS, batch_size=64, clip_norm=1.0, seed=0, progress=False)
per_position = {name: (minilstm.predict(m, rev_val).argmax(-1) == rev_val.Y).mean(axis=0)
                for name, m in tagger.items()}
fig, ax = plt.subplots(figsize=(7, 3.6))
for name, acc in per_position.items():
    ax.plot(np.arange(T_REV), acc, marker="o", label=name)
ax.axhline(1 / 8, color="0.5", ls="--", label="chance (1/8)")
ax.axvline((T_REV - 1) / 2, color="0.8", lw=0.8)
ax.set(xlabel="output step t (answer: the input at step T-1-t)", ylabel="validation accuracy", ylim=(0, 1.05),
       title=f"reversing {T_REV} symbols as a per-step labelling" + PREVIEW)
ax.legend();

# %% [markdown]
# Left of the thin line the answer lies in the future of step $t$.

# %%
half = T_REV // 2
uni, bi = per_position["left to right"], per_position["bidirectional"]
display(Markdown(
    f"The left-to-right LSTM scores {uni[:half].mean():.0%} on the first {half} steps, where it can only guess "
    f"(chance is 1/8), and {uni[half:].mean():.0%} on the last {T_REV - half}, where the answer is in its past. "
    f"The bidirectional one scores {bi[:half].mean():.0%} and {bi[half:].mean():.0%}: at every step one of its "
    "two directions has already read the answer. Same width per direction, twice the parameters; what it gains "
    "on the first half is information, not capacity."))

# %% [markdown]
# ## 4. Sequences from sequences: an encoder-decoder with attention
#
# Many tasks map a sequence to a *different* sequence, of its own length (translation, summaries, reversing a
# list as a program would). Sutskever et al. (2014) and Cho et al. (2014) split the work: an **encoder** reads
# the input and ends in a state; a **decoder** starts from that state and writes the output one symbol at a
# time, reading at each step the symbol it wrote before. Training feeds it the *true* previous symbol (*teacher
# forcing*, `data.shift_right`); at test time it reads its own guesses (*greedy decoding*).
#
# One state must then carry the whole input, a bottleneck Bahdanau et al. (2015) removed with **attention**:
# at every output step $t$ the decoder's state $q_t$ scores every encoder state $k_s$, and a softmax turns the
# scores into weights that say where to look. With Luong et al. (2015)'s "general" score, a learned matrix $W_a$
# (a `Linear` without bias) followed by `minilstm.nn.Attention`'s scaled dot product:
#
# $$e_{ts} = \frac{(W_a q_t) \cdot k_s}{\sqrt{H}}, \qquad a_{ts} = \operatorname{softmax}_s(e_{ts}), \qquad
# \text{context}_t = \sum_s a_{ts} k_s, \qquad \text{logits}_t = W [q_t; \text{context}_t] + b.$$
#
# (Without $W_a$, the plain dot score, the decoder's own state must learn to resemble the encoder state it wants;
# on this task that learned far more slowly.)
#
# The model is five public layers wired by hand, so that the backward pass is in view: the gradient reaches the
# encoder twice, through its outputs (the keys) and through its final state (the decoder's start).

# %%
class Seq2Seq:
    """A bidirectional LSTM encoder, an LSTM decoder started from its final state, optional attention, a head.

    Shapes: B batch, S source steps, T target steps, V symbols, H the decoder's width (the encoder's two
    directions of H/2 side by side, so keys and queries both have H features).
    """

    def __init__(self, V, H, attention, seed=0):
        self.V, self.H = V, H
        self.enc = minilstm.LSTM(V, H // 2, batch_first=True, bidirectional=True, seed=seed)
        self.dec = minilstm.LSTM(V + 1, H, batch_first=True, seed=seed + 1)     # reads V symbols and the start
        self.att = minilstm.nn.Attention(H) if attention else None
        self.head = minilstm.Linear(2 * H if attention else H, V, seed=seed + 2)
        self.parts = {"enc": self.enc, "dec": self.dec, "head": self.head}
        if attention:                                                   # W_a: Luong's "general" score
            self.parts["w_a"] = self.w_a = minilstm.Linear(H, H, bias=False, seed=seed + 3)
        self.params = {f"{n}.{k}": p for n, m in self.parts.items() for k, p in m.params.items()}

    @property
    def grads(self):
        return {f"{n}.{k}": g for n, m in self.parts.items() for k, g in m.grads.items()}

    def forward(self, src, dec_in):
        """src (B, S, V) one-hot, dec_in (B, T, V+1) one-hot -> logits (B, T, V)."""
        keys, (h, c) = self.enc(src)                                # keys (B, S, H); h, c (2, B, H/2)
        start = tuple(np.concatenate([s[0], s[1]], axis=-1)[None] for s in (h, c))  # (1, B, H): both directions
        q, _ = self.dec(dec_in, start)                              # (B, T, H)
        self._keys_shape = keys.shape
        z = q if self.att is None else np.concatenate([q, self.att(self.w_a(q), keys)], axis=-1)
        return self.head(z)

    def backward(self, dlogits):
        dz = self.head.backward(dlogits)
        if self.att is None:
            dq, dkeys = dz, np.zeros(self._keys_shape, dz.dtype)
        else:
            dq, (dq_att, dkeys) = dz[..., :self.H], self.att.backward(dz[..., self.H:])
            dq = dq + self.w_a.backward(dq_att)                     # q feeds the head and, through W_a, the attention
        _, (dh0, dc0) = self.dec.backward(dq)                       # the decoder's start state's gradient
        half = self.H // 2
        dstate = tuple(np.stack([d[0, :, :half], d[0, :, half:]]) for d in (dh0, dc0))
        self.enc.backward(dkeys, dstate)                            # through the keys and the final state


def fit_seq2seq(model, ds, epochs, lr=1e-2, batch=64, seed=0):
    """Teacher forcing: the decoder reads start + the true targets shifted right; Adam, clipping at 1."""
    opt = minilstm.Adam(model.params, lr=lr)
    dec_in = data.one_hot(data.shift_right(ds.Y, ds.meta["start"]), model.V + 1)
    rng, losses = np.random.default_rng(seed), []
    for _ in range(epochs):
        order, total = rng.permutation(len(ds)), 0.0
        for s in range(0, len(ds), batch):
            b = order[s:s + batch]
            loss, dlogits = minilstm.cross_entropy(model.forward(ds.X[b], dec_in[b]), ds.Y[b])
            model.backward(dlogits)
            grads = model.grads
            clip_grad_norm(grads, 1.0)
            opt.step(grads)
            total += loss * len(b)
        losses.append(total / len(ds))
    return losses


def greedy(model, src, start):
    """Write T symbols, each step reading the symbols written so far (the decoder is rerun on the prefix)."""
    written = np.full((src.shape[0], 1), start)
    for _ in range(src.shape[1]):
        logits = model.forward(src, data.one_hot(written, model.V + 1))
        written = np.concatenate([written, logits[:, -1].argmax(-1)[:, None]], axis=1)
    return written[:, 1:]

# %% [markdown]
# Reversal again, now as sequence to sequence, on sequences as long as section 3's: with and without
# attention, the same encoder, decoder, data and training:

# %%
T_S2S = T_REV
s2s_train = data.reverse_task(n=300 if QUICK else 2000, T=T_S2S, alphabet=8, seed=1)
s2s_test = data.reverse_task(n=200 if QUICK else 500, T=T_S2S, alphabet=8, seed=2)
S2S_EPOCHS = 2 if QUICK else 10
s2s = {name: Seq2Seq(8, 32, attention=att) for name, att in (("no attention", False), ("attention", True))}
s2s_loss = {name: fit_seq2seq(m, s2s_train, S2S_EPOCHS) for name, m in s2s.items()}
written = {name: greedy(m, s2s_test.X, s2s_test.meta["start"]) for name, m in s2s.items()}
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
for name in s2s:
    axes[0].plot(np.arange(1, S2S_EPOCHS + 1), s2s_loss[name], marker=".", label=name)
    axes[1].plot(np.arange(T_S2S), (written[name] == s2s_test.Y).mean(axis=0), marker="o", label=name)
axes[0].set(xlabel="epoch", ylabel="training loss (nats, teacher forcing)", title="learning" + PREVIEW)
axes[1].set(xlabel="output step t (copies input step T-1-t)", ylabel="test accuracy, greedy decoding",
            ylim=(0, 1.05), title=f"reversing {T_S2S} symbols, per output step")
for ax in axes:
    ax.legend()

# %% [markdown]
# Right: the later an output step, the earlier the input symbol it must copy, and the longer the trip through
# the bottleneck: encoder to its end, then decoder to step $t$.

# %%
exact = {name: (w == s2s_test.Y).all(axis=1).mean() for name, w in written.items()}
display(Markdown(
    f"Whole sequences reversed exactly, greedy decoding on {len(s2s_test):,} test sequences: "
    + ", ".join(f"{name} {v:.1%}" for name, v in exact.items())
    + f" (guessing: $8^{{-{T_S2S}}}$). Per output step, the model without attention scores "
    f"{(written['no attention'] == s2s_test.Y).mean(axis=0)[0]:.0%} at the first step and "
    f"{(written['no attention'] == s2s_test.Y).mean(axis=0)[-1]:.0%} at the last; with attention "
    f"{(written['attention'] == s2s_test.Y).mean(axis=0)[0]:.0%} and "
    f"{(written['attention'] == s2s_test.Y).mean(axis=0)[-1]:.0%}."))

# %% [markdown]
# Where does the attention look? One test sequence's weights $a_{ts}$ (rows: output steps; columns: input steps),
# taken while the decoder reads the symbols it wrote:

# %%
model = s2s["attention"]
src = s2s_test.X[:1]
model.forward(src, data.one_hot(np.concatenate([[[s2s_test.meta["start"]]], written["attention"][:1, :-1]], 1),
                                model.V + 1))
a = minilstm.to_numpy(model.att.last_attention)[0]                  # (T, S)
fig, ax = plt.subplots(figsize=(4.8, 4.2))
im = ax.imshow(a, cmap="Blues", vmin=0, vmax=1)
ax.set(xlabel="input step s", ylabel="output step t", title="attention weights a_ts" + PREVIEW)
fig.colorbar(im, ax=ax, fraction=0.046);
print("input  ", s2s_test.meta["source"][0], "\nwritten", written["attention"][0])
print(f"weight on the anti-diagonal (s = T-1-t), averaged over the output steps: "
      f"{np.mean([a[t, T_S2S - 1 - t] for t in range(T_S2S)]):.2f} (uniform: {1 / T_S2S:.2f})")

# %%
on_diagonal = np.mean([a[t, T_S2S - 1 - t] for t in range(T_S2S)])
display(Markdown(
    (f"In this run the weights sit on the anti-diagonal ({on_diagonal:.2f} on average, uniform would be "
     f"{1 / T_S2S:.2f}): output step $t$ looks at input step $T-1-t$, the symbol it copies, and no one told it so."
     if on_diagonal > 2 / T_S2S else
     f"In this run the weights have not found the anti-diagonal ({on_diagonal:.2f} on average there, uniform "
     f"would be {1 / T_S2S:.2f}): within this budget the decoder answers mostly from the state it started with, "
     "and the attention is still close to an average. Exercise 5 takes that state away, so that the decoder must "
     "look.")))

# %% [markdown]
# Reversal is also why Sutskever et al. fed their encoder the source *backwards*: it puts the first output word
# next to the first input word and shortens the path the gradient must travel, the long-time-lag problem of
# lesson 6 in a new place. Attention, once learned, shortens it for every output step at once.
#
# ## 5. Which LSTM? Greff et al. (2015)
#
# "LSTM: A Search Space Odyssey" trained eight variants on speech (TIMIT), handwriting (IAM Online) and music
# (JSB Chorales), about 5,400 runs with random hyperparameters. Every variant but one is an option of minilstm's
# `LSTM` (lesson 4: `minilstm.cells.VARIANTS`, where *NP*, no peepholes, is minilstm's plain `LSTM`). The
# exception, *FGR* (full gate recurrence), gives every gate the previous step's values of all three gates, through nine more
# $H \times H$ matrices:
#
# $$i_t = \sigma(W_i x_t + R_i h_{t-1} + p_i \odot c_{t-1} + b_i + R_{ii} i_{t-1} + R_{fi} f_{t-1} + R_{oi}
# o_{t-1}),$$
#
# and likewise for $f_t$ and $o_t$: the recurrence of the original 1997 paper's gates. minilstm does not build
# FGR, for the reason the paper gives:

# %%
D_EX, H_EX = 64, 128
lstm_params = minilstm.LSTM(D_EX, H_EX, seed=0).num_params
peephole_params = minilstm.LSTM(D_EX, H_EX, peephole=True, seed=0).num_params
fgr_params = peephole_params + 9 * H_EX * H_EX
display(Markdown(
    f"For $D = {D_EX}$ inputs and $H = {H_EX}$ units: the LSTM has {lstm_params:,} parameters, the peephole LSTM "
    f"(Greff's vanilla) {peephole_params:,}, FGR {fgr_params:,} ({fgr_params / peephole_params:.1f} times as many). "
    "Greff et al. found that FGR did not improve on the vanilla LSTM on TIMIT or IAM Online and made it worse on "
    "the JSB Chorales, and advised against it."))

# %% [markdown]
# Their other findings: removing the forget gate (NFG) or the output activation (NOAF) hurt most; coupling the
# input and forget gates (CIFG) or dropping the peepholes (NP) cost nothing measurable. And, from an analysis of
# variance over all the runs (fANOVA), the **learning rate** explained far more of the variation in results than
# any other hyperparameter (the network's size came second), while no variant improved significantly on the
# vanilla LSTM: past the harmful variants, the rate matters more than the choice. Hyperparameters interacted
# little, so the learning rate can be tuned first, alone. The same in miniature: three variants (all three
# without peepholes, so CIFG and NOAF here are NP plus coupling or minus the output activation), each at four
# learning rates, on section 3's reversal labelling (bidirectional, a fixed budget):

# %%
VARIANTS = {"LSTM (NP)": {}, "CIFG": {"coupled": True}, "NOAF": {"output_activation": False}}
RATES = (1e-3, 1e-2) if QUICK else (3e-4, 1e-3, 3e-3, 1e-2)
GREFF_EPOCHS = 1 if QUICK else 3
sweep = {}
for name, options in VARIANTS.items():
    for lr in RATES:
        m = minilstm.Model(8, 32, 8, cell="lstm", readout="all", bidirectional=True, seed=0, **options)
        h = minilstm.train(m, rev_train, val_data=rev_val, lr=lr, epochs=GREFF_EPOCHS, batch_size=64, clip_norm=1.0,
                           seed=0, progress=False)
        sweep[name, lr] = h["val_loss"][-1]
fig, ax = plt.subplots(figsize=(7, 3.6))
for name in VARIANTS:
    ax.plot(RATES, [sweep[name, lr] for lr in RATES], marker="o", label=name)
ax.set(xscale="log", xlabel="Adam learning rate", ylabel=f"validation loss after {GREFF_EPOCHS} epochs (nats)",
       title="the learning rate against the variant" + PREVIEW)
ax.legend();

# %%
grid = np.array([[sweep[name, lr] for lr in RATES] for name in VARIANTS])  # (variants, rates)
across_rates = np.ptp(grid, axis=1).mean()      # how much the rate moves one variant, on average
across_variants = np.ptp(grid, axis=0).mean()   # how much the variant moves one rate, on average
at_best = dict(zip(VARIANTS, grid.min(axis=1)))   # each variant at its best rate
there, here = [], []                              # where this run parts from Greff et al.'s study: theirs, ours
if at_best["NOAF"] < max(at_best.values()):
    there.append("dropping the output activation hurt")
    here.append("NOAF came out best" if at_best["NOAF"] == min(at_best.values()) else "NOAF did not come out worst")
if at_best["CIFG"] > at_best["LSTM (NP)"]:
    there.append("coupling the gates cost nothing measurable")
    here.append(f"CIFG {'' if here and here[0].startswith('NOAF came out') else 'came out '}"
                f"{at_best['CIFG'] - at_best['LSTM (NP)']:.3f} nats above the "
                "plain LSTM")
display(Markdown(
    f"Changing the learning rate moved a variant's validation loss by {across_rates:.3f} nats on average (from "
    f"its best rate to its worst); changing the variant at a fixed rate moved it by {across_variants:.3f}. "
    + ("In this run, as in Greff et al.'s, the learning rate mattered more. " if across_rates > across_variants
       else "In this run the variant mattered more than the rate, unlike Greff et al.'s finding: one seed, one "
            "small task, a short budget. ")
    + "Tune the learning rate before you choose among LSTM variants. The best rate here: "
    + ", ".join(f"{name} {RATES[int(np.argmin(row))]:g}" for name, row in zip(VARIANTS, grid))
    + (f": with a budget of {GREFF_EPOCHS} epoch{'s' * (GREFF_EPOCHS > 1)} the largest rate tried won for every "
       "variant, so the optimum may lie above this grid" if np.all(np.argmin(grid, axis=1) == len(RATES) - 1) else "")
    + "; Greff et al.'s runs, trained to convergence, found a broad optimum with too-high rates failing. At each "
    "variant's best rate: " + ", ".join(f"{name} {row.min():.3f}" for name, row in zip(VARIANTS, grid)) + " nats"
    + (f". Unlike in Greff et al.'s study, where {' and '.join(there)}, here {' and '.join(here)}: a short task of "
       "a few steps, a short budget and one seed cannot show what their 5,400 runs on speech, handwriting and music "
       "did (rerun the sweep with more epochs to see whether it holds)" if here else "") + "."))

# %% [markdown]
# ## Exercises
#
# 1. **Attention by hand (checked).** Write `attention_forward(q, k) -> (y, cache)` and
#    `attention_backward(dy, cache) -> (dq, dk)` in NumPy from section 4's equations (the keys are also the values,
#    so `dk` collects two terms). Check them: your `y` and gradients must equal `minilstm.nn.Attention`'s on random
#    inputs: `minilstm.exercises.check_attention(attention_forward, attention_backward)` compares them (with
#    $T_q \ne T_k$, so a transposed product cannot hide) and names what is wrong and where. Then run
#    `minilstm.check_gradients` on your backward yourself. The reference solution is in
#    `lessons/solutions/09_depth_direction_seq2seq.py` (`python lessons/solutions/09_depth_direction_seq2seq.py`).
# 2. **Sorting (checked).** Train section 4's model with attention on `data.reverse_task(..., mode="sort")`. Which
#    output steps are hardest, and where does the attention look now? (A sorted output step can copy any input
#    step holding the right symbol.) The solution file runs it and draws the weights.
# 3. **Bits per character.** Write `bits_per_character(history)` from a `minilstm.train` history, and check it:
#    a uniform model over $V$ characters must give $\log_2 V$.
# 4. **The bidirectional trap.** Train section 2's character model with `bidirectional=True`. What validation
#    loss does it reach, and why is that number meaningless?
# 5. **Without the bridge.** Start section 4's decoder from zeros instead of the encoder's final state (pass no
#    state). What happens with attention, and without?
# 6. **Deeper on more text.** Repeat section 2 with `seq_len=100`, 30 epochs and hidden 128: does the second
#    layer help more when it has more steps to learn from?
#
# Worked solutions of all six, runnable: `lessons/solutions/09_depth_direction_seq2seq.py` (`python
# lessons/solutions/09_depth_direction_seq2seq.py` from the repository root; `--quick` for small sizes). Try first.
#
# ## Summary
#
# - `LSTM(..., num_layers=L)` stacks layers: each reads the one below at the same step. More depth per step,
#   more parameters; on a small corpus it may not pay.
# - Perplexity $e^{\bar L}$ and bits per character $\bar L / \ln 2$ are the cross-entropy, rescaled; uniform gives
#   $V$ and $\log_2 V$.
# - `bidirectional=True` sets a right-to-left layer's states beside the left-to-right ones: right when the answer
#   depends on the future (tagging, encoding), never for predicting the next symbol.
# - An encoder-decoder reads with one network and writes with another, trained with teacher forcing and decoded
#   greedily; `nn.Attention` lets every output step look at every input step, and its weights show where.
# - Greff et al. (2015): the forget gate and the output activation matter, CIFG and no peepholes are free, FGR
#   adds nine matrices for nothing, and the learning rate matters more than the variant.
# - The thread through lessons 2, 6 and 9: Bengio et al. (1994) showed that gradients through long time lags
#   vanish for any network that stores information robustly; the LSTM's cell state (lesson 3), reversed inputs
#   and attention (this lesson) are three ways of shortening or protecting that path.
#
# **References.** Bengio, Simard & Frasconi (1994), Learning long-term dependencies with gradient descent is
# difficult, IEEE Trans. Neural Networks 5(2). Hochreiter & Schmidhuber (1997), Long short-term memory. Graves
# (2013), Generating sequences with recurrent neural networks. Sutskever, Vinyals & Le (2014), Sequence to sequence
# learning with neural networks. Cho et al. (2014), Learning phrase representations using RNN encoder-decoder.
# Bahdanau, Cho & Bengio (2015), Neural machine translation by jointly learning to align and translate. Luong,
# Pham & Manning (2015), Effective approaches to attention-based neural machine translation. Greff et al. (2015),
# LSTM: A search space odyssey (IEEE TNNLS 2017).
