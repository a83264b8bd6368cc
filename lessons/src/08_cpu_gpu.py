# %% [markdown]
# # Lesson 8: CPU and GPU
#
# Lessons 1 to 7 ran everything on NumPy. minilstm never calls NumPy for its array maths, though: every layer
# asks `minilstm/backend.py` for a namespace `xp` and calls `xp.tanh`, `xp.matmul`, ... on it. Swap the
# namespace and the same code runs on a GPU with CuPy, or on any library that follows the array API standard.
# This lesson shows the swap, proves that nothing leaks past it, and measures where the time goes.
#
# **In this lesson you will be able to**
#
# 1. say what the `xp` namespace is and find it with `minilstm.backend.namespace`;
# 2. run the same LSTM under NumPy and under a strict stand-in for a GPU (`array_api_strict` with its arrays on
#    `Device("device1")`), get identical results, and explain what a stray NumPy call does there;
# 3. time the forward and backward pass of an LSTM layer against hidden size and batch, and tell a layer bound by
#    Python overhead from one bound by matrix products (GEMMs);
# 4. run the same timings on a GPU with `minilstm.backend_scope("cupy")`, synchronizing before you stop the clock;
# 5. say how minilstm sets the number of BLAS threads, and when to choose it yourself.
#
# About 20 minutes. Lesson 3 explains the LSTM used here.

# %%
import os
import statistics
import time

import array_api_strict as aas
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown   # text written from the numbers above it

import minilstm
from minilstm import backend, threads

QUICK = os.environ.get("MINILSTM_LESSON_QUICK") == "1"  # CI runs every lesson small
np.set_printoptions(precision=4, suppress=True)
REPEATS = 3 if QUICK else 5                 # timed repeats per shape (the median is reported)
T, D = (10, 16) if QUICK else (50, 32)     # sequence length and input size of the timed layer

# %% [markdown]
# ## 1. The namespace `xp`
#
# An array *namespace* is the module whose functions act on an array: `numpy` for NumPy arrays, `cupy` for CuPy
# arrays, `array_api_strict` for its own. Every engine function finds it once, at its top, with
# `backend.namespace(*arrays)` (CuPy's `get_array_module` habit), and never branches on which one it got:

# %%
print("active backend:", minilstm.get_backend().name, "| namespace of a NumPy array:",
      backend.namespace(np.zeros(3)).__name__)

# %% [markdown]
# ## 2. The same LSTM on NumPy and on a strict stand-in
#
# `array_api_strict` implements the array API standard and nothing more: no NumPy extras, no silent conversion
# to NumPy, and arrays on `Device("device1")` refuse to mix with arrays on its default device, just as a GPU
# array refuses to mix with a host array. If the LSTM's forward and backward run there and give NumPy's numbers,
# no NumPy call is hidden in them: that is what the project's tests check for every layer
# (`tests/conftest.py`, backend `strict`). The weights come from a seeded NumPy generator on the host and are
# moved over (`Backend.asarray`), so the same seed gives the same weights on every backend.

# %%
rng = np.random.default_rng(0)
x_host = rng.standard_normal((20, 4, 3)).astype(np.float32)       # (T, B, D)
dout_host = rng.standard_normal((20, 4, 8)).astype(np.float32)    # dL/d out, (T, B, H)


def lstm_forward_backward():
    """An LSTM of 8 units, forward and backward on the active backend; the results on the host."""
    be = minilstm.get_backend()
    layer = minilstm.LSTM(3, 8, seed=0)
    out, _ = layer(be.asarray(x_host))
    dx, _ = layer.backward(be.asarray(dout_host))
    grads = {k: minilstm.to_numpy(g) for k, g in layer.grads.items()}
    return minilstm.to_numpy(out), minilstm.to_numpy(dx), grads, type(out).__module__


# %%
out_np, dx_np, grads_np, kind_np = lstm_forward_backward()                   # NumPy, the default
with minilstm.backend_scope(aas, aas.Device("device1")) as strict:
    out_st, dx_st, grads_st, kind_st = lstm_forward_backward()
print("arrays from:", kind_np, "and", kind_st, "on", strict.device)
diffs = [np.abs(out_np - out_st).max(), np.abs(dx_np - dx_st).max()]
diffs += [np.abs(grads_np[k] - grads_st[k]).max() for k in grads_np]
print(f"largest difference over out, dx and {len(grads_np)} weight gradients: {max(diffs):.1e}")

# %% [markdown]
# The difference is zero: both runs do the same float32 operations in the same order. (On a GPU it would be of
# order $10^{-7}$, float32's rounding: a GPU sums the terms of a matrix product in another order.)
#
# Now a stray NumPy call, the bug the stand-in is there to catch. Here is an output gate written with `np.exp`
# where it should use the array's namespace:

# %%
def output_gate_stray(z):
    return 1 / (1 + np.exp(-z))                  # the bug: np instead of the array's namespace


def output_gate(z):
    xp = backend.namespace(z)
    return 1 / (1 + xp.exp(-z))


with minilstm.backend_scope(aas, aas.Device("device1")) as strict:
    z = strict.asarray(x_host[0])
    print("namespace-true version works:", tuple(output_gate(z).shape))
    try:
        output_gate_stray(z)
    except Exception as err:                     # the stand-in refuses, as a GPU array would
        print("stray NumPy call:", type(err).__name__, "-", err)

# %% [markdown]
# On NumPy both versions give the same answer, so a NumPy-only test suite would never notice. On CuPy the stray
# version would fail too (CuPy refuses the implicit copy to the host), or worse, in other spellings, copy the
# array to the host and back at every step. The stand-in makes every such call fail loudly on a CPU-only machine,
# so a suite that passes on it proves the engine is device-clean without needing a GPU.
#
# **Check yourself.** (a) Why put the stand-in's arrays on `Device("device1")` and not on its default device?
# (b) The forward passes on the stand-in but one backward line uses `np.outer`. Does the comparison with NumPy
# catch it? *(a: on the default device some conversions to NumPy would succeed; on another device every mix of
# devices and every conversion to NumPy raises, like a GPU. b: yes: the backward raises on the stand-in before any
# numbers are compared.)*
#
# ## 3. Where the time goes on the CPU
#
# We time one forward and one backward pass of an LSTM layer (float32, $T$ steps, input size $D$), with one
# BLAS thread so the numbers compare between machines (`threads.blas_limit(1)`; section 5 says why), and report
# the median of a few repeats after one warm-up call. Per step the LSTM does two matrix products forward,
# $[B, H] \times [H, 4H]$, and about three backward; the rest is a few dozen elementwise calls of a fixed Python
# cost each.

# %%
def lstm_step(B, H):
    """One forward + backward of an LSTM layer on the active backend, as a function of no arguments."""
    be = minilstm.get_backend()
    layer = minilstm.LSTM(D, H, seed=0)
    x = be.asarray(np.random.default_rng(0).standard_normal((T, B, D)))
    dout = be.zeros((T, B, H)) + 1

    def step():
        layer(x)
        layer.backward(dout)
    return step


def median_ms(fn, sync=lambda: None):
    """Median milliseconds of ``fn()`` over REPEATS calls, after a warm-up; ``sync()`` before each stop."""
    fn()
    sync()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


HIDDEN = [8, 32, 128] if QUICK else [8, 16, 32, 64, 128, 256, 512]
BATCHES = [1, 8, 64] if QUICK else [1, 4, 16, 64, 256]
B_FIXED, H_FIXED = 32, 128


def time_shapes(sync=lambda: None):
    """ms against hidden size (batch B_FIXED) and against batch (hidden size H_FIXED)."""
    by_h = [median_ms(lstm_step(B_FIXED, h), sync) for h in HIDDEN]
    by_b = [median_ms(lstm_step(b, H_FIXED), sync) for b in BATCHES]
    return by_h, by_b


# %%
with threads.blas_limit(1):
    cpu_by_h, cpu_by_b = time_shapes()
print(f"T = {T}, D = {D}, float32, one BLAS thread; forward + backward, median of {REPEATS}")
for h, ms in zip(HIDDEN, cpu_by_h):
    print(f"  B = {B_FIXED:3d}, H = {h:3d}: {ms:8.2f} ms")
for b, ms in zip(BATCHES, cpu_by_b):
    print(f"  B = {b:3d}, H = {H_FIXED:3d}: {ms:8.2f} ms")

# %% [markdown]
# ## 4. The GPU column
#
# The same code on a GPU is one `with` block: `minilstm.backend_scope("cupy")`. Where CuPy is missing, or has no
# CUDA device, asking for it raises a clear error, so we try and say which. A GPU runs asynchronously: a call
# returns as soon as its kernel is queued, so the clock must stop only after
# `cupy.cuda.Stream.null.synchronize()`, or it measures the queueing, not the work.

# %%
gpu_by_h = gpu_by_b = None
try:
    with minilstm.backend_scope("cupy") as gpu:
        gpu_by_h, gpu_by_b = time_shapes(sync=gpu.xp.cuda.Stream.null.synchronize)
    print("GPU:", gpu.xp.cuda.runtime.getDeviceProperties(0)["name"].decode())
    for h, ms in zip(HIDDEN, gpu_by_h):
        print(f"  B = {B_FIXED:3d}, H = {h:3d}: {ms:8.2f} ms on the GPU")
except (ImportError, RuntimeError) as err:
    print(f"No GPU column: this machine has no CuPy with a CUDA device ({err}). On a machine with an NVIDIA GPU, "
          'run pip install ".[cuda]" and rebuild this lesson.')

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
ax1.loglog(HIDDEN, cpu_by_h, "o-", label="CPU (NumPy, 1 BLAS thread)")
ax2.loglog(BATCHES, cpu_by_b, "o-", label="CPU (NumPy, 1 BLAS thread)")
if gpu_by_h is not None:
    ax1.loglog(HIDDEN, gpu_by_h, "s-", color="C2", label="GPU (CuPy)")
    ax2.loglog(BATCHES, gpu_by_b, "s-", color="C2", label="GPU (CuPy)")
h_ref = np.array(HIDDEN[-3:], dtype=float)
ax1.loglog(h_ref, cpu_by_h[-1] * (h_ref / h_ref[-1]) ** 2, "k--", lw=0.8, label="slope 2: time ∝ H²")
ax1.set(xlabel="hidden size H", ylabel="forward + backward (ms)", title=f"against hidden size (B = {B_FIXED})")
ax2.set(xlabel="batch B", ylabel="forward + backward (ms)", title=f"against batch (H = {H_FIXED})")
for ax in (ax1, ax2):
    ax.legend(fontsize="small")
fig.suptitle(f"an LSTM layer, T = {T}, D = {D}, float32: flat where Python overhead rules, steep where GEMMs do")
fig.tight_layout();

# %%
def loglog_slope(xs, ts, i, j):
    """The slope of the log-log curve between points i and j."""
    return np.log(ts[j] / ts[i]) / np.log(xs[j] / xs[i])


h8, h32 = HIDDEN.index(8), HIDDEN.index(32)
b0, b1 = 0, 1
Markdown(f"What to look at: the left ends of the curves rise slowly. From H = 8 to H = 32 the products do "
         f"{(32 / 8) ** 2:.0f} times the work, yet the time grew {cpu_by_h[h32] / cpu_by_h[h8]:.1f}-fold (log-log "
         f"slope {loglog_slope(HIDDEN, cpu_by_h, h8, h32):.2f}): a small layer's time is the fixed cost of the Python loop, "
         f"a few dozen NumPy calls per step of a few microseconds each, whatever the arrays' size. It is *overhead "
         f"bound*. Towards the right the curves steepen towards the dashed line, time $\\propto H^2$ (slope 2; "
         f"exercise 2 reads the slope at the largest sizes), and against batch towards time $\\propto B$ (slope 1; "
         f"between B = {BATCHES[-2]} and {BATCHES[-1]} it is {loglog_slope(BATCHES, cpu_by_b, -2, -1):.2f}): the matrix products now "
         f"dominate and the layer is *GEMM bound*, so a faster BLAS (or a GPU) is what helps. Batch "
         f"{BATCHES[b1]} is {BATCHES[b1] // BATCHES[b0]} times the work of batch {BATCHES[b0]} and took "
         f"{cpu_by_b[b1] / cpu_by_b[b0]:.1f} times as long. On a GPU the flat part is higher still (each call "
         f"launches a kernel, some microseconds each), so a GPU only wins for large layers and batches. (Timings on "
         f"a shared machine are noisy: rerun and the figures move.)")

# %% [markdown]
# **Check yourself.** (a) A batch several times larger, at small sizes, takes far less than that many times as long.
# Why? (b) Which of the two costs does a GPU make smaller? *(a: at batch 1 the products are tiny and most of the
# time is the fixed per-call overhead, the same for both sizes. b: the GEMM cost; it adds launch overhead per
# call, so small layers can run slower on a GPU than on a CPU.)*
#
# ## 5. BLAS threads
#
# NumPy's matrix products run in a BLAS library (OpenBLAS here) that may use several threads. A recurrent network
# does one small product per step, each waiting for the one before, and waking and joining threads for such a
# product costs more than it gives, far more when other programs keep the cores busy. So `minilstm.train`,
# `predict` and `evaluate` use one BLAS thread while they run, unless the recurrent product is large
# (`batch * hidden_size**2` at least that of H = 256 with B = 64), where BLAS keeps its own count; pass
# `blas_threads=N` (or `None`: leave BLAS alone), or set `OPENBLAS_NUM_THREADS`, to choose yourself. The
# README's "BLAS threads" section has the measured table, from a busy 2-core machine, against OpenBLAS's
# default threads.

# %%
set_by_you = [v for v in threads.ENV_VARS if v in os.environ]
print("thread variables set in this environment:", set_by_you or "none", "(if any, 'auto' leaves BLAS as they made it)")
for h in (64, 512):
    limit = threads.resolve("auto", work=64 * h**2)
    print(f"  'auto' for B = 64, H = {h}: {limit}  (1: one thread; None: BLAS's own count)")

# %% [markdown]
# ## Exercises
#
# Each exercise ends in a check that tells you what is off. Replace the `None`s.
#
# 1. **Make it device-clean.** Write `tanh_gate(z)`, equal to $\tanh(z) \cdot \sigma(z)$ with
#    $\sigma(z) = 1 / (1 + e^{-z})$, using only the array's namespace, so that it runs on the stand-in.

# %%
tanh_gate = None             # TODO: def tanh_gate(z): xp = backend.namespace(z); ...

if tanh_gate is None:
    print("exercise 1: define tanh_gate")
else:
    expected = np.tanh(x_host) / (1 + np.exp(-x_host))
    try:
        with minilstm.backend_scope(aas, aas.Device("device1")) as strict:
            got = minilstm.to_numpy(tanh_gate(strict.asarray(x_host)))
    except Exception as err:
        print(f"not device-clean: on the stand-in it raised {type(err).__name__} ({err}); "
              "use xp = backend.namespace(z) and xp.tanh, xp.exp")
    else:
        err = np.abs(got - expected).max()
        print("right: device-clean and correct" if err < 1e-5 else
              f"runs on the stand-in but differs from tanh(z) * sigmoid(z) by up to {err:.2g}")

# %% [markdown]
# 2. **Read the slope.** From the two largest hidden sizes of section 3, compute the slope of the CPU curve on the
#    log-log plot, $\log(t_2 / t_1) / \log(H_2 / H_1)$. Is the largest layer GEMM bound (slope near 2)?

# %%
slope = None                 # TODO: from HIDDEN[-2:] and cpu_by_h[-2:]

if slope is None:
    print("exercise 2: set slope")
else:
    true = np.log(cpu_by_h[-1] / cpu_by_h[-2]) / np.log(HIDDEN[-1] / HIDDEN[-2])
    if abs(slope - true) < 1e-6:
        print(f"right: {slope:.2f}; " + ("close to 2: GEMM bound" if slope > 1.5 else
                                         "well below 2: these sizes are still partly overhead bound"))
    elif abs(slope - 1 / true) < 1e-6:
        print("upside down: divide the log of the time ratio by the log of the size ratio")
    else:
        print(f"not quite: {slope:.3f}, measured {true:.3f}; use natural logs of the ratios of the last two points")

# %% [markdown]
# 3. **A GRU and an RNN.** Change `lstm_step` to time `minilstm.GRU` and `minilstm.RNN` of the same sizes. At
#    small H the times follow the number of calls per step; at large H, in what ratio should the
#    times approach each other (count the weight blocks: 4, 3, 1)?
# 4. **Threads on your machine.** Rerun section 3 with `threads.blas_limit(2)` (or your core count) and plot the
#    ratio to one thread against H. Where do threads start to pay? Repeat with another program keeping the cores
#    busy.
# 5. **On a GPU.** On a machine with CUDA, `pip install ".[cuda]"` and rebuild the lesson. From which H and B is
#    the GPU faster than the CPU? Time it once without the `synchronize` and explain what you measured.
#
# ## Summary
#
# - Every array call in minilstm goes through a namespace `xp` (`backend.namespace`, `minilstm.get_backend().xp`);
#   `minilstm.use_backend` and `minilstm.backend_scope` choose it: NumPy, CuPy or any array-API module.
# - The same LSTM runs on `array_api_strict` on `Device("device1")` with results identical to NumPy's; a stray
#   NumPy call raises there, so a test suite that passes on the stand-in proves the engine device-clean without a
#   GPU.
# - Forward + backward time is flat in H and B for small layers (Python overhead, per call) and grows as $H^2$
#   for large ones (GEMMs): only the second is helped by a faster BLAS or a GPU.
# - Time a GPU with `cupy.cuda.Stream.null.synchronize()` before stopping the clock; where there is no CUDA device,
#   `backend_scope("cupy")` says so.
# - minilstm trains with one BLAS thread unless the layer is large; `blas_threads=` or `OPENBLAS_NUM_THREADS`
#   choose for you (the README's "BLAS threads" table).
