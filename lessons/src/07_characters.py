# %% [markdown]
# # Lesson 7: Characters
#
# Karpathy's char-rnn post ("The Unreasonable Effectiveness of Recurrent Neural Networks", 2015) trained an LSTM
# to read text one character at a time and predict the next one, then let it write, and then looked inside it
# for a unit that had learned something a person can read. This lesson does all three on minilstm's small
# built-in corpus, with the library's own training loop, sampler and recorder.
#
# **In this lesson you will be able to**
#
# 1. turn a text into a vocabulary and one-step-ahead targets (`data.make_task("text", ...)`, `CharVocab`);
# 2. explain truncated backpropagation through time, train with it (`minilstm.train(..., tbptt=...)`) and compare
#    it with full BPTT on the same windows, and measure what each costs;
# 3. sample from the model with a temperature (`data.sample`) and say what the temperature does to the softmax;
# 4. search the hidden units for one that tracks a readable feature of the text, measure how strongly it does on
#    text it was not chosen on, and draw it as coloured text (`inspect.record`, `plot.activation_text`).
#
# About 25 minutes. Lessons 1 to 3 first.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown

import minilstm
from minilstm import data, inspect, plot
from minilstm.cli import known_words

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
PREVIEW = "quick-mode preview, too short to show the result:\n" if QUICK else ""   # titles of trained plots
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. The text, the vocabulary and the targets
#
# The built-in corpus is about thirteen kilobytes of original English prose (nothing is downloaded). Its
# vocabulary is the set of its distinct characters, each given an id: its rank in sorted order.

# %%
SEQ_LEN = 100
text_set = data.make_task("text", seq_len=SEQ_LEN)
vocab, corpus = text_set.meta["vocab"], text_set.meta["text"]
V = vocab.size
print(f"{len(corpus):,} characters, {V} distinct: {vocab.chars!r}")
print(corpus[:160])

# %% [markdown]
# A character-level language model reads $x_1, \dots, x_t$ and outputs a distribution over the next character,
# $p(x_{t+1} \mid x_{\le t})$. So the target at step $t$ is simply the input at step $t+1$: the dataset cuts the
# stream of ids into windows of `SEQ_LEN` characters, and `Y` is `X` shifted by one.

# %%
print("X[0, :12] =", text_set.X[0, :12], "=", repr(vocab.decode(text_set.X[0, :12])))
print("Y[0, :12] =", text_set.Y[0, :12], "=", repr(vocab.decode(text_set.Y[0, :12])))
print("shapes:", text_set.X.shape, text_set.Y.shape)

# %% [markdown]
# The loss is the cross-entropy per character, in nats, averaged over every step of every window:
#
# $$L = -\frac{1}{BT} \sum_{b,t} \log p_\theta(x^{(b)}_{t+1} \mid x^{(b)}_{\le t}).$$
#
# **Check yourself.** A model that knows nothing gives every character probability $1/V$. What is its loss, and
# what does a model that only knows how often each character occurs get? *(Run the next cell.)*

# %%
freq = np.bincount(vocab.encode(corpus), minlength=V) / len(corpus)
print(f"uniform guess: log V = {np.log(V):.3f} nats;  character frequencies only: {-(freq * np.log(freq)).sum():.3f}"
      " nats (the entropy of the unigram distribution)")

# %% [markdown]
# Anything below the second number means the model uses the context. How far below it a model must go to spell
# is best judged by setting section 2's validation loss beside section 3's counts of how many of the words it
# writes are words of the corpus.
#
# ## 2. Truncated backpropagation through time
#
# Full BPTT (lesson 1) runs forward over the whole window, then backward over all of it, for one gradient step.
# Over a long text that is too long: the memory grows with $T$, and there is only one update per window.
# *Truncated* BPTT cuts each window into chunks of $k$ steps. The hidden state is carried from one chunk to
# the next (the model still *sees* the whole past), but the gradient stops at each chunk boundary, and the
# weights are updated after every chunk:
#
# ```
#  chunk 1                chunk 2                chunk 3
#  x1 → x2 → … → xk  ══▶  xk+1 → … → x2k   ══▶  x2k+1 → … → x3k
#  ◀─── gradient ───┘     ◀─── gradient ───┘     ◀─── gradient ───┘
#        step               step                   step
#  ══▶ : the state (h, c) passes forward; no gradient flows back through it
# ```
#
# In symbols: for chunk $m$, covering steps $s = (m-1)k+1, \dots, mk$, the update uses
#
# $$\nabla_\theta L_m = \sum_{t \in \text{chunk } m} \;\sum_{s=(m-1)k+1}^{t}
# \frac{\partial L_t}{\partial h_t}\, \frac{\partial h_t}{\partial h_s}\, \frac{\partial^+ h_s}{\partial \theta},$$
#
# the BPTT sum of lesson 1 with its inner sum cut at the chunk's first step. The state $h_{(m-1)k}$ enters as a
# constant. The cost: no dependency longer than $k$ steps can be *learned* through the gradient (it can still
# be *used*, if something learned over shorter spans happens to keep it). `minilstm.train(..., tbptt=k)` does
# exactly this. We train the same LSTM twice on the same windows, once with $k = 25$ and once with full BPTT
# over all `SEQ_LEN` steps, for the same number of epochs, and time both:

# %%
train_set, val_set = data.split(text_set, (0.9, 0.1), seed=0)
EPOCHS = 4 if QUICK else 20
HIDDEN = 64 if QUICK else 128


def fit(tbptt):
    """An LSTM on characters: an embedding of 32, HIDDEN units, a softmax over V at every step."""
    model = minilstm.Model(32, HIDDEN, V, cell="lstm", readout="all", vocab_size=V, seed=0)
    history = minilstm.train(model, train_set, val_data=val_set, lr=5e-3, epochs=EPOCHS, batch_size=16,
                             clip_norm=1.0, seed=0, progress=False, tbptt=tbptt)
    return model, history


K = 25
model, hist_tbptt = fit(tbptt=K)
_, hist_full = fit(tbptt=None)
t_tbptt, t_full = sum(hist_tbptt["time"]), sum(hist_full["time"])
for name, h in (("tbptt 25", hist_tbptt), ("full BPTT", hist_full)):
    k = int(np.argmin(h["val_loss"]))
    print(f"{name:>9}: validation loss {h['val_loss'][-1]:.3f} nats after {EPOCHS} epochs "
          f"(lowest {h['val_loss'][k]:.3f}, at epoch {k + 1}), {sum(h['time']):.1f} s in all")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, h in (("truncated BPTT, k = 25", hist_tbptt), ("full BPTT, T = 100", hist_full)):
    ax.plot(np.cumsum(h["time"]), h["val_loss"], marker=".", label=name)
ax.axhline(-(freq * np.log(freq)).sum(), color="gray", ls=":", label="character frequencies only")
ax.set(xlabel="training time (s)", ylabel="validation cross-entropy (nats per character)",
       title=f"{PREVIEW}Same windows: {SEQ_LEN // K} updates per window against 1")
ax.legend();
Markdown(f"Truncated BPTT took **{t_tbptt:.1f} s** and full BPTT **{t_full:.1f} s** for the same {EPOCHS} epochs: "
         f"the truncated run took **{abs(t_tbptt / t_full - 1):.0%} {'more' if t_tbptt > t_full else 'less'}** time. "
         f"Every step goes forward and "
         f"backward once in both, so the arithmetic of the cells is the same; what differs is everything around it: "
         f"{SEQ_LEN // K} optimizer steps, gradient clippings and calls of the time loop per window instead of one "
         f"(and the timing of a shared machine is noisy: rerun it and the figure moves). Judge the curves against "
         f"their x-axis, the time each run really took, not against the epoch count.")

# %% [markdown]
# Truncated BPTT takes several optimizer steps per window instead of one, and on this corpus that can matter
# more than the gradient it throws away: the dependencies that decide the next character (the rest of a word, a
# space after it, a capital after a full stop) are far shorter than `K` steps. Compare the two curves at equal
# time, and at their ends: more steps on a small corpus can also overfit sooner (a validation loss that levels
# off and creeps up); whether full BPTT ends lower given more epochs is exercise 1. On a task whose answer lies
# 50 steps back (lesson 6), truncation at 25 would make it unlearnable at any budget.
#
# **Check yourself.** With `tbptt=25` and windows of 100 steps, how many optimizer steps does one batch make,
# and where does the state come from at the start of each window? *(Four; a window starts from a zero state,
# since the windows are shuffled and do not continue one another. Only chunks inside a window carry it. The
# python task of the command line does it the char-rnn way: the stream cut into contiguous rows, so that every
# chunk continues the one before and the state is carried all along.)*
#
# ## 3. Sampling with a temperature
#
# To write, feed a prime, read the logits $z$ after its last character, draw the next character from the
# softmax, feed it back, and repeat. The temperature $T$ divides the logits first:
#
# $$p_k(T) = \frac{\exp(z_k / T)}{\sum_{j=1}^{V} \exp(z_j / T)}.$$
#
# $T = 1$ is the model's own distribution; $T \to 0$ puts all the mass on the largest logit (greedy decoding);
# $T > 1$ flattens it toward uniform. Here is the distribution after the prime `"The keeper climbed the st"`:

# %%
prime = "The keeper climbed the st"
logits = model.step_fn()(vocab.encode(prime))          # (V,): the logits after the prime's last character
top = np.argsort(logits)[::-1][:8]
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for j, temp in enumerate((0.2, 0.5, 1.0)):
    z = logits / temp
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    ax.bar(np.arange(8) + 0.27 * (j - 1), p[top], width=0.27, label=f"T = {temp}")
ax.set_xticks(np.arange(8), [repr(vocab.chars[k]) for k in top])
ax.set(xlabel="next character (the model's 8 likeliest)", ylabel="probability",
       title=f"{PREVIEW}After {prime!r}: a low temperature bets on the favourite")
ax.legend();

# %% [markdown]
# The order of the characters never changes with $T$; only how sharply the mass is concentrated. Now 300
# characters at each temperature, all from the same prime and the same random seed. `data.sample` takes the
# model's `step_fn()`, which carries the state from one call to the next; `known_words` counts how many of the
# sample's whole words occur in the corpus.

# %%
samples = {}
for temp in (0.2, 0.5, 1.0):
    samples[temp] = data.sample(model.step_fn(), vocab, "The ", 300, temperature=temp, rng=0)
    known, words = known_words(samples[temp], corpus)
    print(f"--- T = {temp}: {known} of {words} words are words of the corpus ---\n{samples[temp]}\n")

# %% [markdown]
# Read the three samples against the counts above them. A low temperature tends to spell better but to loop
# through the commonest words and phrases: the model always takes its favourite, and its favourite after "the "
# is nearly always the same. At $T = 1.0$ it takes risks in proportion to its real uncertainty: more varied, more
# invented words. $T = 0.5$ is the usual compromise (and the default of `python -m minilstm train --task text`).
# None of them is grammatical; a 13 kB corpus and a few seconds of training teach spelling and the rhythm of
# sentences, not meaning.
#
# **Check yourself.** What does sampling at $T = 0.01$ produce, and why can it get stuck in a loop forever?
# *(Almost exactly the greedy argmax; the next character is then a function of the state alone, and a
# deterministic system with a finite number of likely paths falls into a cycle.)*
#
# ## 4. Looking for a readable unit
#
# Karpathy found cells that switch on inside quotes, count the position in a line, or track the depth of
# brackets. Are there such units in our small model? We record every unit's $h_t$ while the model reads a long
# stretch of the corpus in one go (state carried throughout), with `inspect.record`:

# %%
N = 3000 if QUICK else len(corpus)
stretch = corpus[:N]
trace = inspect.record(model, vocab.encode(stretch)[None, :])   # h: (layers, T, batch, H)
acts = trace.h[-1, :, 0, :]                                      # (N, H): each unit after each character
print("recorded:", acts.shape)

# %% [markdown]
# Then we write down a few simple features of the text, each a number per character (its value *after* reading
# that character, like the unit's):

# %%
def features(text):
    quote = np.cumsum([ch == '"' for ch in text]) % 2              # 1 from an opening quote to its closing one
    col, since_stop, in_word = np.zeros(len(text)), np.zeros(len(text)), np.zeros(len(text))
    c = s = w = 0
    for t, ch in enumerate(text):
        c = 0 if ch == "\n" else c + 1
        s = 0 if ch == "." else s + 1
        w = w + 1 if ch.isalpha() else 0
        col[t], since_stop[t], in_word[t] = c, min(s, 80), w
    vowel = np.array([ch.lower() in "aeiou" for ch in text], float)
    return {"inside quotes": quote.astype(float), "position in the line": col,
            "characters since a full stop": since_stop, "position in the word": in_word, "a vowel": vowel}


feats = features(stretch)
{name: f"mean {f.mean():.2f}" for name, f in feats.items()}

# %% [markdown]
# For each feature $f$ and each unit $j$ the Pearson correlation over the characters,
#
# $$r_j = \frac{\sum_t (h_{t,j} - \bar h_j)(f_t - \bar f)}{\sqrt{\sum_t (h_{t,j} - \bar h_j)^2 \sum_t (f_t -
# \bar f)^2}},$$
#
# is one matrix product after standardising. The model was trained on most of this text, so this describes what
# it does on its training corpus; it is not a test of generalisation. Picking the best of all the units is a search,
# and the best of many random numbers is large by luck alone; so we pick the unit on the first half of the
# stretch and report its correlation on the second half, which played no part in the choice.

# %%
def correlations(acts, f):
    a = (acts - acts.mean(0)) / (acts.std(0) + 1e-12)
    return a.T @ ((f - f.mean()) / (f.std() + 1e-12)) / len(f)    # (H,): r of every unit


def search(acts, f, half):
    """The unit of largest |r| on the first half, and its r there and on the second half."""
    r_pick = correlations(acts[:half], f[:half])
    j = int(np.argmax(np.abs(r_pick)))
    return j, r_pick[j], correlations(acts[half:], f[half:])[j]


half = N // 2
untrained = minilstm.Model(32, HIDDEN, V, cell="lstm", readout="all", vocab_size=V, seed=0)  # the same, before training
acts_0 = inspect.record(untrained, vocab.encode(stretch)[None, :]).h[-1, :, 0, :]
best, bar = {}, {}
for name, f in feats.items():
    best[name] = j, r_pick, r_test = search(acts, f, half)
    bar[name] = search(acts_0, f, half)[2]
    print(f"{name:>30}: unit {j:3d}, r = {r_pick:+.2f} where chosen, {r_test:+.2f} on the other half "
          f"(untrained: {bar[name]:+.2f})")

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, f in feats.items():
    ax.plot(np.sort(np.abs(correlations(acts[half:], f[half:])))[::-1], label=name)
ax.set(xlabel="unit, from best to worst", ylabel="|r| on the held-out half",
       title=f"{PREVIEW}How well does the best unit, and the tenth best, track each feature?")
ax.legend(fontsize=8);

# %% [markdown]
# Each curve sorts the units by how well they track one feature: some features are tracked by many units, some
# by none. But the last column of the table is a warning. It is the same search, chosen and measured the same
# way, on the same network *before* training, whose weights are random: a unit that is reset by every space
# tracks the position in the word whether or not anything was learned. A trained unit means something only by
# how far it clears that bar:

# %%
gain = {name: abs(best[name][2]) - abs(bar[name]) for name in feats}   # held-out |r|: trained minus untrained
Markdown("Held out, the trained network beats its untrained self by more than 0.1 in |r| on "
         + (", ".join(f"'{n}' (by {g:.2f})" for n, g in gain.items() if g > 0.1) or "no feature")
         + "; on the others by 0.1 or less, or not at all: "
         + ", ".join(f"'{n}' ({g:+.2f})" for n, g in gain.items() if g <= 0.1) + ".")

# %% [markdown]
# Now the picture. Each character's background is the chosen unit's $h_t$ after reading it, red for high and
# blue for low. We draw the best unit of the two features tracked most strongly *where the units were chosen*
# (ranking them by the held-out $r$ would be choosing on the held-out half after all, and bring the bias back) on
# a passage from the held-out half:

# %%
strongest = sorted(best, key=lambda name: -abs(best[name][1]))[:2]
start = stretch.index("\n\n", half) + 2                          # a paragraph of the held-out half
passage = slice(start, stretch.rindex("\n", start, start + 720))  # whole lines
for name in strongest:
    j, _, r_test = best[name]
    values = acts[passage, j]
    lim = np.abs(values).max()
    plot.activation_text(stretch[passage], values, width=80, vmin=-lim, vmax=lim,
                         title=f"{PREVIEW}unit {j}, chosen for '{name}' (r = {r_test:+.2f} held out): "
                               f"{'red' if r_test > 0 else 'blue'} where it is high")

# %% [markdown]
# Read the colours against the feature named above each picture: does the colour change where the feature
# changes (at a space, a newline, a full stop), or does it drift? A word unit, where there is one, turns at a
# space and at a word's first letter and changes steadily as the word goes on: a small counter reset by every
# space; and the table above says whether the untrained network had one just as good. And then a rarer
# feature, the quotes, counted in the next cell's output: with few quoted passages in the held-out half, its
# held-out $r$ says little either way and the picture is the fairer test. It too is drawn on the held-out half,
# where the unit was not chosen:

# %%
j, r_pick, r_test = best["inside quotes"]
first = stretch.index('"', half)                                   # the first quote of the held-out half
start = stretch.rfind("\n", half, first) + 1 or half              # from its line's start (or the half's)
quoted = slice(start, stretch.rindex("\n", start, start + 480))
values = acts[quoted, j]
lim = np.abs(values).max()
plot.activation_text(stretch[quoted], values, width=80, vmin=-lim, vmax=lim,
                     title=f"{PREVIEW}unit {j}, chosen for 'inside quotes' (r = {r_test:+.2f} held out): "
                           "is the speech a different colour?")
print(f"quote marks: {stretch[:half].count(chr(34))} in the half where the unit was chosen, "
      f"{stretch[half:].count(chr(34))} in the held-out half; r = {r_pick:+.2f} and {r_test:+.2f}")

# %%
Markdown(f"The quote unit's correlation is {r_pick:+.2f} where it was chosen and **{r_test:+.2f}** on the held-out "
         f"half. " + ("A held-out |r| this small means the model has no quote unit: look whether the speech and the "
                      "narration are coloured alike." if abs(r_test) < 0.3 else
                      "That is a unit that tracks the quotes, at least in part: look whether the speech stands out."))

# %% [markdown]
# Be honest about what this shows. A held-out correlation near 0.5 or above is a unit that really tracks the
# feature (partly; $r^2$ is the share of the unit's variance the feature explains), though not necessarily one
# that training made: the untrained network's column says what random weights give. Near 0.2 it is a weak
# tendency, and a picture of it will show whatever the eye wants. The features themselves overlap (position in
# the word and "a vowel" both change at spaces), so a unit can look like a "word" unit because it is a "space"
# unit. Karpathy's clean quote and line-length cells came from a much larger model on megabytes of text; a
# small model that has seen a handful of quoted passages has little reason to spend a unit on them, and the
# numbers above say whether it did. `benchmarks/python_units.py` repeats this search on a model of the python
# task (the standard library's source, megabytes of it): strings, indentation and bracket depth, the units
# chosen on training files and their correlation reported on held-out files.
#
# **Check yourself.** Why choose the unit on one half and report it on the other? *(With many units, the largest
# of their correlations is biased upward: even units that track nothing give a best $|r|$ well above 0 by
# chance. The held-out number has no such bias.)*
#
# ## 5. Real code: strings, indentation, brackets
#
# The quote and bracket cells of Karpathy, Johnson & Fei-Fei (2015) came from megabytes of text. Every Python
# install holds that much: `data.make_task("python")` is the standard library's own source, every tenth file
# held out whole. `benchmarks/python_units.py` does this section's search on a model of it, trained by
# `python -m minilstm train --task python` (stateful truncated BPTT along the stream): for three properties of
# code (inside a string or comment, the indentation of the line, the bracket depth) it picks the unit with the
# largest |r| on a stretch of the *training* files and reports that unit's r on a stretch of the *held-out*
# files. Training the model takes minutes to hours, so the lesson loads the committed results:

# %%
import json
from pathlib import Path

found = json.loads((Path("..") / "benchmarks" / "results" / "python_units.json").read_text(encoding="utf-8"))
m = found["model"]
print(f"{m['cell'].upper()} of {m['hidden']} units after {m['epochs']} epoch(s), held-out {m['val_bpc']:.3f} bits "
      f"per character; made by `{found['command']}`, {found['chars']:,} characters of each part")
for name, u in found["units"].items():
    print(f"{name:>28}: unit {u['unit']:3d}, r = {u['r_chosen']:+.2f} on training files (chosen there), "
          f"{u['r_held_out']:+.2f} on held-out files (best of any unit there: {u['best_r_held_out_any_unit']:.2f})")

# %%
for name, u in found["units"].items():
    values = np.array(u["activations"])
    lim = np.abs(values).max()
    plot.activation_text(found["passage"], values, width=80, vmin=-lim, vmax=lim,
                         title=f"unit {u['unit']}, chosen for '{name}' (r = {u['r_held_out']:+.2f} on held-out code): "
                               f"{'red' if u['r_held_out'] > 0 else 'blue'} where it is high")
Markdown("A negative r means the unit goes *down* where the property goes up, so look for blue, not red. "
         + " ".join(f"The '{name}' unit ({u['r_held_out']:+.2f} held out) "
                    + ("tracks it: $r^2$ = " if abs(u["r_held_out"]) >= 0.5 else "is a weak tendency: $r^2$ = ")
                    + f"{u['r_held_out'] ** 2:.0%} of its variance." for name, u in found["units"].items()))

# %% [markdown]
# Read each picture against its property: does the colour switch at a quote mark and stay until the string
# closes, step with each level of indentation, or change at an opening bracket and change back at the closing
# one? Look also for where it fails (a first line of a docstring, a line whose code is coloured like a string). The
# held-out r printed above says how much of it holds on code the unit was not chosen on, and the "best of any
# unit there" says how far that is from the best unit one could have picked with hindsight (a choice the
# held-out r must not be, for the reason of section 4).
#
# ## Exercises
#
# 1. **How short can the truncation be?** Train with `tbptt=5`, `10` and `50` for the same epochs. At what
#    chunk length does the validation loss start to suffer, and what does that say about how far back the
#    model needs to look on this corpus? Then run both models of section 2 for 40 epochs: which reaches the
#    lower *best* validation loss?
# 2. **Cell state or hidden state?** Repeat section 4 with `trace.c[-1, :, 0, :]` (the cell states) instead of
#    `trace.h`, and with $\tanh(c_t)$, which Karpathy drew. Are the best correlations higher? Why might a counter
#    (position in the line) live more naturally in $c$ than in $h$, and what does the $\tanh$ do to it?
# 3. **A feature of your own.** Add "the last character was a space", "a capital letter is due" (after ". "),
#    or "inside a word that starts with a capital" to `features`, and find its best unit. Which features are
#    tracked better than chance, judged by the held-out $r$?
# 4. **Random units.** Section 4 measured the bar on one untrained network, the trained one's own starting
#    point. Rerun it with `seed=1` to `4` (`minilstm.Model(32, HIDDEN, V, readout="all", vocab_size=V, seed=s)`):
#    how far does the held-out $|r|$ of each feature move from one set of random weights to another, and which
#    trained units clear every seed's bar?
# 5. **Your own text.** `data.make_task("text", path="some.txt", seq_len=100)` reads any UTF-8 file. Train on a
#    text with much more quoted speech or with code (brackets!) and look for a quote or nesting unit.
#
# ## Summary
#
# - A character-level language model predicts $x_{t+1}$ from $x_{\le t}$: `data.make_task("text")` gives the
#   vocabulary (`CharVocab`) and windows with `Y` = `X` shifted by one; the loss is the cross-entropy in nats,
#   to be compared with $\log V$ and with the unigram entropy.
# - Truncated BPTT (`train(..., tbptt=k)`) carries the state across chunks of $k$ steps but stops the gradient
#   at each boundary, and updates after every chunk; it takes `SEQ_LEN / k` optimizer steps per window
#   instead of one (at a cost in time measured, not assumed), which can learn short dependencies sooner, at
#   the price of not learning dependencies longer than $k$.
# - Sampling (`data.sample` with `model.step_fn()`) divides the logits by a temperature $T$: low $T$ is safe
#   and repetitive, $T = 1$ is the model's own uncertainty, higher is wilder.
# - Single units can track readable features of the text. Correlate every unit with a feature, pick on one
#   part, report on another, compare with the same search on an untrained network (random weights track some
#   features too), and draw the winner with `plot.activation_text`; and say how strong it really is.
#
# Next, lesson 8: the same code on CPU and GPU.
