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


# The minimum cache: what backward reads per step beyond the h history, LSTM: its 4 gates and c (tanh(c) is
# recomputed); GRU: its 3 gates and hn (dhn goes over hn)
@pytest.mark.parametrize("make, kept", [(minilstm.LSTM, 5), (minilstm.GRU, 4)])
def test_training_step_peak_within_one_and_a_half_minimum_caches(make, kept, rng):
    """Inside a training loop (the previous step's cache released), a forward + backward peaks at no more
    than 1.5x the minimum cache: the arrays backward reads, ``kept`` (T, B, H) of them."""
    layer = make(D, H, seed=0)
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    dout = rng.standard_normal((T, B, H)).astype(np.float32)

    def step():
        layer.forward(x)
        return layer.backward(dout)

    step()  # the loop's previous step
    peak, _ = _peak_and_kept(step)
    minimum = kept * T * B * H * 4
    assert peak <= 1.5 * minimum, peak / minimum


@pytest.mark.parametrize("make", [minilstm.LSTM, minilstm.GRU, minilstm.RNN, minilstm.PeepholeLSTM])
def test_eval_forward_keeps_no_cache(make, rng):
    layer = make(D, H, seed=0)
    x = rng.standard_normal((T, B, D)).astype(np.float32)
    train_peak, train_kept = _peak_and_kept(lambda: layer.forward(x))
    layer.eval()
    eval_peak, eval_kept = _peak_and_kept(lambda: layer.forward(x))
    out_bytes = T * B * H * 4
    assert train_kept >= 2 * out_bytes          # the cache stays with the layer (RNN: pre-activations + h)
    assert eval_kept <= out_bytes // 4          # only the returned output was held, and it is gone
    assert eval_peak <= 0.75 * train_peak, (eval_peak, train_peak)  # LSTM 0.4, RNN 0.7 (h itself is the output)
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
