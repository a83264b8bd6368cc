"""What the engine keeps: a training forward keeps a lean cache that one backward uses up; eval keeps nothing."""
import tracemalloc

import numpy as np
import pytest

import minilstm

T, B, D, H = 100, 16, 32, 64


def _peak_and_kept(fn) -> tuple[int, int]:
    """Bytes allocated at the peak of ``fn()`` and still held after it, above what was held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()  # its result is dropped here
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, now - before


# The minimum cache: what backward reads per step beyond the h history. LSTM: its 4 gates, c and tanh(c);
# GRU: its 3 gates and hn. Backward leaves the cache as forward made it and writes its gradients into buffers
# of its own: one chunk of steps' dxw at a time (512 rows, here 32 of the 100 steps) and dx. With the h (and c)
# histories that makes 9.6 (LSTM) and 7.5 (GRU) T*B*H arrays at the peak: 1.6x and 1.9x the minimum cache.
# (When backward wrote its gradients over the gates and the GRU's hn, and the LSTM recomputed tanh(c), the
# peak was 6.8 and 5.9 such arrays, 1.37x and 1.47x the minimum of then, under a bound of 1.5x.)
@pytest.mark.parametrize("make, kept", [(minilstm.LSTM, 6), (minilstm.GRU, 4)])
def test_training_step_peak_within_twice_the_minimum_cache(make, kept, rng):
    """Inside a training loop (the previous step's cache released), a forward + backward peaks at no more
    than 2x the minimum cache: the arrays backward reads, ``kept`` (T, B, H) of them."""
    layer = make(D, H, seed=0)
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    dout = rng.standard_normal((T, B, H)).astype(np.float32)

    def step():
        layer.forward(x)
        return layer.backward(dout)

    step()  # the loop's previous step
    peak, _ = _peak_and_kept(step)
    minimum = kept * T * B * H * 4
    assert peak <= 2.0 * minimum, peak / minimum


# an eval forward's peak against a training forward's: the RNN's training cache is its h history alone, which
# eval makes too (it is the output)
@pytest.mark.parametrize("make, bound", [(minilstm.LSTM, 0.75), (minilstm.GRU, 0.75), (minilstm.RNN, 1.0),
                                         (minilstm.PeepholeLSTM, 0.75)])
def test_eval_forward_keeps_no_cache(make, bound, rng):
    layer = make(D, H, seed=0)
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    train_peak, train_kept = _peak_and_kept(lambda: layer.forward(x))
    layer.eval()
    eval_peak, eval_kept = _peak_and_kept(lambda: layer.forward(x))
    out_bytes = T * B * H * 4
    assert train_kept >= out_bytes              # the cache stays with the layer (the RNN's: its h history alone)
    assert eval_kept <= out_bytes // 4          # only the returned output was held, and it is gone
    assert eval_peak <= bound * train_peak, (eval_peak, train_peak)
    with pytest.raises(RuntimeError, match=r"backward\(\) after a forward in eval mode, which keeps no cache"):
        layer.backward(np.zeros((T, B, H), np.float32))


def test_eval_forward_equals_training_forward(backend, rng):
    layer = minilstm.LSTM(3, 5, num_layers=2, bidirectional=True, dtype="float64", seed=0)
    x = backend.asarray(rng.standard_normal((70, 40, 3)), "float64")  # eval projects 51 steps at a time here
    out_t, (h_t, c_t) = layer.forward(x)
    layer.eval()
    out_e, (h_e, c_e) = layer.forward(x)
    for a, b in ((out_t, out_e), (h_t, h_e), (c_t, c_e)):
        np.testing.assert_allclose(minilstm.to_numpy(a), minilstm.to_numpy(b), rtol=1e-12, atol=1e-14)


def test_backward_twice_after_one_forward_raises(rng):
    layer = minilstm.GRU(3, 4, seed=0)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    layer.forward(x)
    layer.backward(np.ones((5, 2, 4), np.float32))
    with pytest.raises(RuntimeError, match=r"backward\(\) twice after one forward"):
        layer.backward(np.ones((5, 2, 4), np.float32))


def test_backward_replaces_the_gradients_and_leaves_a_held_set_alone(rng):
    """Backward drops the layer's last gradients before making new ones (one weight-sized set less at the
    peak) by replacing the dict, never by writing into its arrays: a set a caller kept keeps its values."""
    layer = minilstm.LSTM(D, H, seed=0)
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    layer.forward(x)
    layer.backward(rng.standard_normal((T, B, H)).astype(np.float32))
    kept = layer.grads
    values = {k: v.copy() for k, v in kept.items()}
    layer.forward(x)
    layer.backward(rng.standard_normal((T, B, H)).astype(np.float32))
    assert layer.grads is not kept
    assert all(np.array_equal(kept[k], values[k]) for k in values)
    assert not all(np.array_equal(layer.grads[k], values[k]) for k in values)
