# %% [markdown]
# # Lesson 5: Forecasting a noisy sine wave
#
# Lessons 1 to 4 opened the cells. This one uses them the way most people first meet an LSTM: the time-series
# tutorial of PyTorch and Keras, where a network reads the last 20 values of a noisy sine and predicts the next.
# We build that pipeline one step at a time and ask of each step *why*; then we measure the result against two
# honest yardsticks that tutorials usually skip, give the forecaster a way to say how sure it is, and swap the
# LSTM for a GRU.
#
# **In this lesson you will be able to**
#
# 1. build the common forecasting pipeline with `minilstm.data.sine_wave`: MinMax scaling to $[-1, 1]$ fitted
#    on the training part, windows of 20 steps, an 80/20 split in time order, and say why each choice is made;
# 2. train `Sequential(LSTM, LastStep, Linear)` with Adam and gradient clipping, and plot its forecasts after
#    the inverse transform;
# 3. judge a test RMSE against the noise floor and against the naive "repeat the last value" forecast;
# 4. train a `GaussianHead` with the Gaussian negative log-likelihood, draw its $\pm 2\sigma$ band and check
#    its calibration (the share of test points inside);
# 5. compare an LSTM and a GRU on the same pipeline: error, parameters and time.
#
# About 25 minutes. Lesson 1 first; lessons 3 and 4 explain the cells used here.

# %%
import math
import os

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown   # text written from the numbers above it

import minilstm
from minilstm import data

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
np.set_printoptions(precision=4, suppress=True)
H = 8 if QUICK else 32                   # hidden units
EPOCHS = 3 if QUICK else 30              # training epochs for the mean-squared-error models
PREVIEW = "quick-mode preview, too short to show the result: " if QUICK else ""   # titles of trained plots

# %% [markdown]
# ## 1. The data: 1000 points of a noisy sine
#
# $$t_k = k\,\Delta t, \quad \Delta t = \frac{20\pi}{999}, \quad k = 0, \dots, 999 \qquad
# (\texttt{np.linspace(0, 20*np.pi, 1000)}),$$
#
# $$x_k = \sin(t_k) + \varepsilon_k, \qquad \varepsilon_k \sim \mathcal{N}(0, 0.1^2)\ \text{independent}.$$
#
# Ten periods, 100 points each. `data.sine_wave` draws the series, splits, scales and windows it in one call;
# below we take it apart. `fractions=(0.8, 0.2)` makes two parts, train and test, in time order.

# %%
N_POINTS, WINDOW, NOISE = 1000, 20, 0.1
dataset = data.sine_wave(n_points=N_POINTS, window=WINDOW, noise=NOISE, dt=20 * np.pi / (N_POINTS - 1),
                         fractions=(0.8, 0.2), seed=0)
t = dataset.meta["t"]                        # equal to np.linspace(0, 20 * np.pi, 1000)
series = dataset.meta["series"][:, 0]        # x_k in original units
print("t equals linspace:", np.allclose(t, np.linspace(0, 20 * np.pi, N_POINTS)), "  series:", series.shape)

# %%
split_at = int(0.8 * N_POINTS)
fig, ax = plt.subplots(figsize=(10, 3.5))
ax.plot(t[:split_at], series[:split_at], ".", ms=2, label="training part (first 80 %)")
ax.plot(t[split_at:], series[split_at:], ".", ms=2, color="C3", label="test part (last 20 %)")
ax.plot(t, np.sin(t), color="0.3", lw=0.8, label="sin(t) without noise")
ax.set(xlabel="t", ylabel="x(t)", title="the series: the model learns on the blue past and is tested on the red future")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize="small", markerscale=4);   # below the axes

# %% [markdown]
# The split is a cut in time: the first 800 points train, the last 200 test. Never a random shuffle of points
# or windows: neighbouring windows share 19 of their 20 values, so a random split puts near-copies of every test
# window into training and the test error measures memory, not forecasting. A forecaster is used on the future,
# so it is tested on the future.
#
# ## 2. Scaling to $[-1, 1]$, fitted on the training part only
#
# MinMax scaling maps each value linearly:
#
# $$\tilde x = -1 + 2\,\frac{x - x_{\min}}{x_{\max} - x_{\min}}, \qquad
# x = x_{\min} + \frac{(\tilde x + 1)(x_{\max} - x_{\min})}{2}.$$
#
# Why scale: the LSTM's gates and $\tanh$ work best with inputs of order 1, and Adam's default step suits
# targets of that size. Why $x_{\min}, x_{\max}$ from the training part only: at forecast time the future is
# unknown, so fitting on all the data would leak the test part's extremes into the model's inputs.
# `dataset.meta["scaler"]` is a `data.MinMaxScaler` fitted on the first 800 points:

# %%
scaler = dataset.meta["scaler"]
print("x_min, x_max from the training part:", scaler.data_min, scaler.data_max)
x_tilde = -1 + 2 * (series - scaler.data_min) / (scaler.data_max - scaler.data_min)   # the equation
print("equation == scaler.transform:", np.allclose(x_tilde, scaler.transform(series[:, None])[:, 0]))
print("test part after scaling: min", x_tilde[split_at:].min().round(3), " max", x_tilde[split_at:].max().round(3))

# %%
low, high = x_tilde[split_at:].min(), x_tilde[split_at:].max()   # the test part's range, scaled
outside = []                                                       # where the test part leaves [-1, 1]
if high > 1:
    outside.append(f"reaches {high:.2f}, above 1: a test value above the training maximum scales above 1")
if low < -1:
    outside.append(f"reaches {low:.2f}, below -1: a test value below the training minimum scales below -1")
Markdown(("Here the test part " + "; it also ".join(outside) + ". " if outside else
          "Here the test part lands inside $[-1, 1]$, but it need not: a test value beyond the training extremes "
          "would scale to beyond $\\pm 1$. ")
         + "That is correct, not a bug: the model must cope with values it has not seen, as it would in use. Fitting "
         "on all the data would hide that case and leak the future into the inputs.")

# %% [markdown]
# ## 3. Windows of 20 → the next value
#
# Each sample is 20 consecutive scaled values, and its target is value 21:
#
# $$X^{(n)} = (\tilde x_n, \dots, \tilde x_{n+19}) \in \mathbb{R}^{20 \times 1}, \qquad y^{(n)} = \tilde x_{n+20}.$$
#
# `data.chronological_split` returns the parts in time order. Windows are cut inside each part, so no test value
# is ever the input of a training window: 800 points give 780 windows, 200 give 180.

# %%
train_set, test_set = data.chronological_split(dataset)
print(f"train: X {train_set.X.shape}, Y {train_set.Y.shape};  test: X {test_set.X.shape}, Y {test_set.Y.shape}")
n = 5                                                        # the 6th training window, by hand
print("window == x_tilde[n:n+20]:", np.allclose(train_set.X[n, :, 0], x_tilde[n:n + WINDOW], atol=1e-6),
      "  target == x_tilde[n+20]:", np.isclose(train_set.Y[n, 0], x_tilde[n + WINDOW], atol=1e-6))

# %% [markdown]
# **Check yourself.** (a) The test targets are which points of the series? (b) Why does the test part give 180
# windows and not 200? *(a: the last 180, points 820 to 999. b: the first 20 test points only serve as inputs;
# a window needs 20 values before its target, all from the test part.)*
#
# ## 4. The model and its training
#
# The tutorial's model, `nn.LSTM(1, 32, batch_first=True)` and `nn.Linear(32, 1)` applied to `out[:, -1]`:
#
# $$h_t = \operatorname{LSTM}(\tilde x_t, h_{t-1}), \qquad \hat y = W h_{20} + b,$$
#
# trained on the mean squared error $L = \frac{1}{N}\sum_n (\hat y^{(n)} - y^{(n)})^2$ with Adam
# (learning rate $10^{-3}$, batch 32). Before each Adam step the gradient is clipped to global norm 1
# (lesson 2): if $\|g\| > 1$, $g \leftarrow g / \|g\|$.

# %%
lstm = minilstm.Sequential(
    minilstm.LSTM(1, H, batch_first=True, seed=0),   # (B, 20, 1) -> (B, 20, H)
    minilstm.LastStep(),                             # out[:, -1]: (B, H)
    minilstm.Linear(H, 1, seed=0),                   # (B, 1)
)
print(lstm)


def rmse_metric(pred, ds):
    return data.rmse(pred, ds.Y, scaler)             # in original units, after the inverse transform


def fit(model, epochs=EPOCHS, **options):
    """The tutorial's training: Adam 1e-3, batch 32, clipping at 1; the test loss is logged, never chosen on."""
    return minilstm.train(model, train_set, val_data=test_set, optimizer="adam", lr=1e-3, epochs=epochs,
                          batch_size=32, clip_norm=1.0, seed=0, progress=False, **options)


history = fit(lstm, metrics={"rmse": rmse_metric})
print(f"{EPOCHS} epochs in {sum(history['time']):.1f} s; test RMSE per epoch:",
      " ".join(f"{v:.3f}" for v in history["val_rmse"]))

# %%
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(history["epoch"], history["train_loss"], marker=".", label="train (80 %)")
ax.plot(history["epoch"], history["val_loss"], marker=".", label="test (20 %)")
floor = (2 * NOISE / (scaler.data_max[0] - scaler.data_min[0])) ** 2
ax.axhline(floor, color="0.5", ls="--", label="noise variance, scaled (the floor)")
ax.set(xlabel="epoch", ylabel="MSE on scaled values (log scale)", yscale="log",
       title=f"{PREVIEW}loss per epoch against the noise floor")
ax.legend();

# %%
val, tr = history["val_loss"][-1], history["train_loss"][-1]
Markdown(f"The dashed line is the variance of the noise in scaled units ({NOISE}$^2$ times the scale factor "
         f"squared, {floor:.3g}): no forecast can go below it on average. After {EPOCHS} epochs the test loss is "
         f"{val:.3g}, {val / floor:.2f} times the floor, and the training loss {tr:.3g} ({tr / floor:.2f} times; it "
         f"is averaged over each epoch while the weights still move). A test loss "
         + ("close to the floor means the model has learnt nearly everything there is to learn; "
            if val < 1.3 * floor else "well above the floor means there is more to learn; ")
         + "a test loss below it would only mean that the noise drawn in this test part came out a little smaller "
         f"than {NOISE} (section 5 measures it). Watch whether the test loss rises while the training loss falls: that "
         f"would be overfitting.")

# %% [markdown]

# ## 5. Forecasts in original units, and two yardsticks
#
# The model predicts scaled values; the inverse transform of section 2 takes them back to the units of $x$.
# The RMSE is computed there:
#
# $$\mathrm{RMSE} = \sqrt{\frac{1}{N}\sum_n \big(x^{(n)} - \hat x^{(n)}\big)^2}, \qquad
# \hat x = \texttt{scaler.inverse\_transform}(\hat y).$$
#
# Two yardsticks. **The noise floor**: the next value carries fresh noise $\varepsilon$ that nothing in the past
# predicts, so even the perfect forecast $\sin(t)$ has an RMSE of about $\sigma = 0.1$. **The naive forecast**
# "the next value equals the last one" costs nothing; a model that does not beat it has learnt nothing useful.

# %%
pred = minilstm.predict(lstm, test_set)                          # (180, 1), scaled
pred_orig = scaler.inverse_transform(pred)[:, 0]
truth_orig = scaler.inverse_transform(test_set.Y)[:, 0]          # the noisy next values
t_test = t[-len(test_set):]                                      # the test targets are the last 180 points
scores = {"LSTM": data.rmse(pred, test_set.Y, scaler),
          "repeat the last value": data.rmse(test_set.X[:, -1], test_set.Y, scaler),
          "sin(t), the noise-free truth": float(np.sqrt(np.mean((np.sin(t_test) - truth_orig) ** 2)))}
for name, value in scores.items():
    print(f"test RMSE, {name:30s} {value:.4f}")

# %%
fig, ax = plt.subplots(figsize=(10, 4))
ax.plot(t_test, truth_orig, ".", color="0.6", label="observed: sin(t) + noise")
ax.plot(t_test, np.sin(t_test), color="0.3", lw=1, label="sin(t) without noise")
ax.plot(t_test, pred_orig, color="C1", label=f"LSTM forecast, RMSE {scores['LSTM']:.3f}")
ax.set(xlabel="t", ylabel="x(t), original units", ylim=(-1.5, 1.8),
       title=f"{PREVIEW}one-step forecasts on the test part: the forecast follows the clean sine, not the noise")
ax.legend(loc="upper center", ncol=3, fontsize="small");

# %%
best, ours, naive = (scores[k] for k in ("sin(t), the noise-free truth", "LSTM", "repeat the last value"))
Markdown(f"The orange line should run close to the grey sine rather than through the dots: a model that has learnt "
         f"to average the noise away does the best a one-step forecast can do. The noise-free sine itself scores "
         f"{best:.3f} here (this test part's noise came out {'below' if best < NOISE else 'above'} $\\sigma = "
         f"{NOISE}$), and the LSTM {ours:.3f}, {ours - best:+.3f} from the best possible. The naive forecast "
         f"({naive:.3f}) is {'worse' if naive > ours else 'better'} by {abs(naive - ours):.3f}: it copies the last "
         f"value's noise *and* lags by one step. (Exercise 1 asks by how much, in theory.)")

# %% [markdown]

# **Check yourself.** Someone reports a test RMSE of 0.03 on this data. What went wrong? *(Below the noise floor
# is impossible for fresh noise: most likely the test windows leaked into training, e.g. by a random split, or the
# RMSE was computed against the clean sine, or in scaled units.)*
#
# ## 6. A forecaster that says how sure it is
#
# A point forecast hides its uncertainty. A `GaussianHead` replaces the `Linear` and predicts, for each window, a
# mean and a variance:
#
# $$\mu = W_\mu h_{20} + b_\mu, \qquad \sigma^2 = \operatorname{softplus}(W_v h_{20} + b_v) + 10^{-6},$$
#
# and it is trained with the Gaussian negative log-likelihood (as `torch.nn.GaussianNLLLoss`):
#
# $$L = \frac{1}{N}\sum_n \frac{1}{2}\left(\log \sigma_n^2 + \frac{(y^{(n)} - \mu_n)^2}{\sigma_n^2}\right).$$
#
# A variance that is too small is punished by the squared error it divides; one too large by the log. The
# minimum over $\sigma^2$ for a fixed error $e$ is at $\sigma^2 = e^2$: the head learns the size of its own
# errors. `minilstm.train(..., loss="gaussian_nll_loss")` carries both outputs through the model.

# %%
gaussian = minilstm.Sequential(
    minilstm.LSTM(1, H, batch_first=True, seed=0),
    minilstm.LastStep(),
    minilstm.GaussianHead(H, 1, seed=0),             # returns (mean, var), each (B, 1)
)
g_history = fit(gaussian, epochs=3 if QUICK else 40, loss="gaussian_nll_loss")
print(f"NLL after {len(g_history['epoch'])} epochs: {g_history['train_loss'][-1]:.3f} (train), "
      f"{g_history['val_loss'][-1]:.3f} (test)")

# %% [markdown]
# The band's edges $\mu \pm 2\sigma$ are scaled values too; the inverse transform is linear, so they map back to
# original units exactly like the mean. For a calibrated Gaussian, the share of points inside $\pm 2\sigma$ is
# $\operatorname{erf}(2/\sqrt 2)$, printed below.

# %%
CALIBRATED = math.erf(2 / math.sqrt(2))                          # P(|Z| < 2) for a standard normal Z
mean, var = minilstm.predict(gaussian, test_set)                 # (180, 1) each, scaled
sigma = np.sqrt(var)
mean_orig = scaler.inverse_transform(mean)[:, 0]
lower = scaler.inverse_transform(mean - 2 * sigma)[:, 0]
upper = scaler.inverse_transform(mean + 2 * sigma)[:, 0]
inside = np.mean((lower <= truth_orig) & (truth_orig <= upper))
sigma_orig = np.mean(upper - lower) / 4
print(f"test RMSE of the mean {data.rmse(mean, test_set.Y, scaler):.4f};  mean predicted sigma {sigma_orig:.4f} "
      f"(true noise {NOISE});  inside mean ± 2 sigma: {inside:.1%} ({CALIBRATED:.1%} if calibrated)")

# %%
fig, ax = plt.subplots(figsize=(10, 4))
ax.fill_between(t_test, lower, upper, color="C1", alpha=0.25, lw=0, label="mean ± 2σ")
ax.plot(t_test, mean_orig, color="C1", label="predicted mean")
ax.plot(t_test, truth_orig, ".", color="C0", ms=4, label="observed: sin(t) + noise")
ax.set(xlabel="t", ylabel="x(t), original units", ylim=(-1.5, 1.8),
       title=f"{PREVIEW}the ±2σ band holds {inside:.0%} of the test points")
ax.legend(loc="upper center", ncol=3, fontsize="small");

# %%
spread = np.std(upper - lower) / np.mean(upper - lower)
learnt = abs(np.log(sigma_orig / NOISE)) < np.log(1.25)          # within a quarter of the true noise
Markdown(("**Quick mode:** three epochs are too few for the head to learn the noise; run the lesson in full.\n\n"
          if QUICK else "")
         + f"The band's width varies by {spread:.0%} (its standard deviation over its mean) along the test part; the "
         f"noise here is the same everywhere ($\\sigma = {NOISE}$). A mean predicted $\\sigma$ of {sigma_orig:.3f} "
         f"against the true {NOISE}: "
         + (f"the head has learnt the noise level from the data alone "
            f"({'a little cautious' if sigma_orig > NOISE else 'a little bold'})" if learnt else
            f"{'far too cautious' if sigma_orig > NOISE else 'far too bold'}, the head has not yet learnt the noise level")
         + f", and {inside:.1%} of the test points lie inside, against the {CALIBRATED:.1%} of a calibrated Gaussian "
         f"(with {len(truth_orig)} points, one point is {1 / len(truth_orig):.1%}). With noise that changed along the "
         f"sine, the band would breathe with it (exercise 3).")

# %% [markdown]
# **Check yourself.** The head predicted $\sigma = 0.01$ everywhere but kept the same mean. Would the NLL go up or
# down, and what share of points would the band hold? Think first, then run the cell. *(Up: the squared errors,
# about $0.1^2$, are divided by $10^{-4}$.)*

# %%
narrow = np.mean(np.abs(truth_orig - mean_orig) < 2 * 0.01)      # inside mean ± 2 * 0.01
print(f"inside mean ± 0.02: {narrow:.1%} of the test points "
      f"(for errors that are normal with sigma {NOISE}: {math.erf(0.02 / (NOISE * math.sqrt(2))):.1%})")

# %% [markdown]

# ## 7. LSTM against GRU
#
# Swapping the cell is one word, `minilstm.GRU` for `minilstm.LSTM`. A GRU has three weight blocks where the
# LSTM has four (lesson 4), so a quarter fewer recurrent parameters and less arithmetic per step; whether that
# makes it faster here depends on the sizes and the machine (at these small sizes Python's per-call overhead
# dominates; lesson 8). Same data, seeds and training; we time the training:

# %%
results = {"LSTM": dict(history=history, params=lstm.num_params)}
gru = minilstm.Sequential(minilstm.GRU(1, H, batch_first=True, seed=0), minilstm.LastStep(),
                          minilstm.Linear(H, 1, seed=0))
results["GRU"] = dict(history=fit(gru, metrics={"rmse": rmse_metric}), params=gru.num_params)
print(f"{'cell':5s} {'test RMSE':>10s} {'params':>7s} {'train time':>11s}")
for name, r in results.items():
    print(f"{name:5s} {r['history']['val_rmse'][-1]:10.4f} {r['params']:7,d} {sum(r['history']['time']):10.1f}s")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
for name, r in results.items():
    ax1.plot(r["history"]["epoch"], r["history"]["val_rmse"], marker=".", label=f"{name} ({r['params']:,} params)")
ax1.axhline(NOISE, color="0.5", ls="--", label="noise level (the floor)")
ax1.axhline(scores["repeat the last value"], color="C3", ls=":", label="repeat the last value")
ax1.set(xlabel="epoch", ylabel="test RMSE, original units", title=f"{PREVIEW}test RMSE per epoch")
ax1.legend()
ax2.bar(list(results), [sum(r["history"]["time"]) for r in results.values()], color=["C0", "C1"])
ax2.set(ylabel="training time (s), wall clock", title=f"time to train, the same {EPOCHS} epochs")
fig.suptitle(f"LSTM against GRU, hidden size {H}, the same seeds and settings")
fig.tight_layout();

# %%
end = {name: r["history"]["val_rmse"][-1] for name, r in results.items()}
secs = {name: sum(r["history"]["time"]) for name, r in results.items()}
Markdown(f"On this task the two cells end {abs(end['LSTM'] - end['GRU']):.3f} apart in test RMSE (LSTM "
         f"{end['LSTM']:.3f}, GRU {end['GRU']:.3f}; the noise floor is {NOISE}): a sine needs no long memory, so the "
         f"LSTM's separate cell state buys little here. The GRU has {results['GRU']['params']:,} parameters against "
         f"the LSTM's {results['LSTM']['params']:,}, and trained in {secs['GRU']:.1f} s against {secs['LSTM']:.1f} s "
         f"(wall clock on a shared machine: rerun and the times move). On tasks with long lags the ranking can "
         f"change; lesson 6 is about those.")

# %% [markdown]

# ## Exercises
#
# Each exercise ends in a check that tells you what is off. Replace the `None`s.
#
# 1. **The naive forecast in theory.** With $x_k = \sin(t_k) + \varepsilon_k$, the error of "repeat the last
#    value" is $\sin(t_{k}) - \sin(t_{k-1}) + \varepsilon_k - \varepsilon_{k-1}$. Its noise part alone has
#    variance $2\sigma^2$. Write the naive forecast's expected RMSE from the noise only (ignore the sine's change),
#    and compare with the measured one.

# %%
naive_theory = None          # TODO: the naive RMSE from the noise alone, in terms of NOISE

if naive_theory is None:
    print("exercise 1: set naive_theory")
else:
    measured = scores["repeat the last value"]
    if not np.all(np.isfinite(naive_theory)):
        print(f"not a number: {naive_theory}; the answer is a finite RMSE in the units of NOISE")
    elif abs(naive_theory - np.sqrt(2) * NOISE) < 1e-3:
        clean = scores["sin(t), the noise-free truth"]
        print(f"right: {naive_theory:.4f}. Measured {measured:.4f}: this test part's noise came out "
              f"{'smaller' if clean < NOISE else 'larger'} than {NOISE} "
              f"(the clean sine scores {scores['sin(t), the noise-free truth']:.3f}), and the sine's own change "
              f"per step (root mean square {np.sqrt(np.mean(np.diff(np.sin(t_test)) ** 2)):.3f}) adds a little back")
    elif abs(naive_theory - NOISE) < 1e-3:
        print("not quite: that is one noise; the error holds two independent ones, and their variances add")
    else:
        print(f"not quite: {naive_theory:.4f}; two independent noises add their variances, and RMSE is the root")

# %% [markdown]
# 2. **Scaling without leaks.** Fit your own `data.MinMaxScaler.fit(...)` on the *training* points of `series`
#    (the first 800, as a column `(800, 1)`), and check that it is the scaler the dataset used. (Fitting on all
#    1000 points gives the same numbers whenever the series' extremes lie in the training part, which is so when
#    section 2's scaled test part stays inside $[-1, 1]$. Then the check cannot see the leak, so the habit is yours:
#    fit on the past only.)

# %%
my_scaler = None             # TODO: data.MinMaxScaler.fit(...) on the training part only

if my_scaler is None:
    print("exercise 2: set my_scaler")
elif np.shape(my_scaler.data_min) != np.shape(scaler.data_min):
    print(f"your scaler has {np.size(my_scaler.data_min)} features, the series has 1: MinMaxScaler.fit takes "
          "(samples, features), so fit on a column, series[:800, None], not on series[:800]")
elif not np.all(np.isfinite(my_scaler.data_min)) or not np.all(np.isfinite(my_scaler.data_max)):
    print(f"your range is {my_scaler.data_min} .. {my_scaler.data_max}: not finite; fit on the series' first 800 points")
elif np.allclose(my_scaler.data_min, scaler.data_min) and np.allclose(my_scaler.data_max, scaler.data_max):
    print("right: fitted on the training part only")
else:
    print(f"not the same: your range is {my_scaler.data_min} .. {my_scaler.data_max}, the training part's is "
          f"{scaler.data_min} .. {scaler.data_max}; fit on series[:800, None]")

# %% [markdown]
# 3. **A band that breathes.** Build a series whose noise grows along time,
#    `x = np.sin(t) + 0.02 * (1 + t / 10) * rng.standard_normal(t.size)`, scale and window it yourself (or
#    simply scale by hand with `data.MinMaxScaler` and cut windows with `np.lib.stride_tricks.sliding_window_view`),
#    wrap it in `data.Dataset(X, Y, None, "regression_last")`, train the Gaussian model of section 6 and plot
#    its band. Does the band widen where the noise does? Does the share inside stay near 95 %?
# 4. **Longer windows.** Retrain the LSTM of section 4 with `window=5` and `window=50`. Which still reaches the
#    noise floor? What is the least number of past values that determines a clean sine's next value?
# 5. **Forecasting further ahead.** Feed the model its own forecasts: start from the last training window and
#    predict 100 steps by appending each prediction to the window. Plot it against the test part. Why does the
#    forecast drift, and why does it not drift as fast as you might fear?
#
# ## Summary
#
# - The tutorial pipeline, step by step: `data.sine_wave` draws $\sin(t) + \varepsilon$, splits it 80/20 **in
#   time order** (a random split leaks near-copies of test windows), fits the MinMax scaler on the **training
#   part only** (the future is unknown), and cuts windows of 20 → the next value inside each part.
# - `Sequential(LSTM(1, H, batch_first=True), LastStep(), Linear(H, 1))`, trained with Adam $10^{-3}$ and
#   clipping at 1 (`minilstm.train(..., clip_norm=1.0)`), is judged against the noise floor.
# - Report the RMSE in original units (after `scaler.inverse_transform`), next to the noise floor
#   ($\sigma = 0.1$, the best possible) and the naive "repeat the last value" forecast (the least to beat).
# - A `GaussianHead` trained with the Gaussian NLL (`loss="gaussian_nll_loss"`) predicts a mean and a variance;
#   its $\pm 2\sigma$ band learns the noise level, and the share of test points inside it measures its
#   calibration.
# - On this task the GRU, with a quarter fewer recurrent parameters, does about as well as the LSTM; a sine
#   needs no long memory.
#
# Next, lesson 6: long time lags, where the choice of cell decides whether a network learns at all.
