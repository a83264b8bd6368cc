"""MultiheadAttention: gradient checks of every parameter and input, PyTorch parity (outputs, weights, every
gradient; with and without a mask; 1 and 4 heads), padded keys, Sequential, save/load and clear errors."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm.gradcheck import check_gradients, gradcheck

E, L, S, B = 8, 4, 5, 3
HEADS = [1, 4]
MASK = np.array([[False] * 5, [False, False, False, True, True], [False] + [True] * 4])  # (B, S): True = padded
LENGTHS = [5, 3, 1]                                                                      # the same padding


def _inputs(rng, batch_first=False):
    shape = (lambda n: (B, n, E)) if batch_first else (lambda n: (n, B, E))
    return rng.standard_normal(shape(L)), rng.standard_normal(shape(S)), rng.standard_normal(shape(S))


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("mask", [None, MASK], ids=["full", "masked"])
@pytest.mark.parametrize("heads", HEADS)
def test_every_parameter_and_input_gradient_checks(heads, mask, check_backend, rng):
    """Query, key and value apart, and the loss reading the per-head weights as well as the output."""
    layer = minilstm.MultiheadAttention(E, heads, seed=0, dtype="float64")
    arrays = dict(zip(("query", "key", "value"), (check_backend.asarray(a, "float64") for a in _inputs(rng))))
    wy, ww = rng.standard_normal((L, B, E)), rng.standard_normal((B, heads, L, S))

    def f():
        y, w = layer(arrays["query"], arrays["key"], arrays["value"], key_padding_mask=mask,
                     average_attn_weights=False)
        return float(minilstm.to_numpy(y).ravel() @ wy.ravel() + minilstm.to_numpy(w).ravel() @ ww.ravel())

    f()
    dx = layer.backward(check_backend.asarray(wy, "float64"), check_backend.asarray(ww, "float64"))
    report = check_gradients(f, {**layer.params, **arrays}, {**layer.grads, **dict(zip(arrays, dx))}, max_entries=40)
    assert report.passed(1e-6), str(report)


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "padded"])
@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_gradients_through_minilstm_gradcheck(bias, lengths, check_backend, rng):
    """Self-attention (one input used three times) with the averaged weights returned: gradcheck as a user runs it."""
    layer = minilstm.MultiheadAttention(E, 4, bias=bias, batch_first=True, seed=1, dtype="float64")
    report = gradcheck(layer, rng.standard_normal((B, S, E)), lengths=lengths, max_entries=None)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == set(layer.params) | {"x"}


def test_dropout_gradients_with_the_masks_replayed(rng):
    layer = minilstm.MultiheadAttention(E, 2, dropout=0.3, batch_first=True, seed=2, dtype="float64")
    report = gradcheck(layer, rng.standard_normal((B, S, E)), max_entries=None)
    assert report.passed(1e-6), str(report)
    y1, _ = layer(np.ones((B, S, E)))
    assert 0 < float(np.mean(minilstm.to_numpy(layer.last_attention) == 0)) < 1   # some weights dropped
    y2, _ = layer.eval()(np.ones((B, S, E)))
    assert minilstm.to_numpy(layer.last_attention).min() > 0                        # none in eval mode


# ---------------------------------------------------------------- parity with torch.nn.MultiheadAttention
@pytest.mark.parametrize("mask", [None, MASK], ids=["full", "masked"])
@pytest.mark.parametrize("heads", HEADS)
@pytest.mark.parametrize("average", [True, False], ids=["averaged", "per-head"])
def test_matches_torch_outputs_weights_and_every_gradient(heads, mask, average, backend, rng):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.MultiheadAttention(E, heads).double()
    ours = minilstm.MultiheadAttention(E, heads, dtype="float64")
    ours.load_state_dict(theirs.state_dict())                      # a torch state_dict loads as it is
    q, k, v = _inputs(rng)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    ty, tw = theirs(tq, tk, tv, key_padding_mask=None if mask is None else torch.tensor(mask),
                    average_attn_weights=average)
    dy, dw = rng.standard_normal(tuple(ty.shape)), rng.standard_normal(tuple(tw.shape))
    ((ty * torch.tensor(dy)).sum() + (tw * torch.tensor(dw)).sum()).backward()

    y, w = ours(q, k, v, key_padding_mask=mask, average_attn_weights=average)
    dx = ours.backward(dy, dw)
    assert close(y, ty.detach().numpy(), "float64") and close(w, tw.detach().numpy(), "float64")
    for mine, t in zip(dx, (tq, tk, tv)):
        assert close(mine, t.grad.numpy(), "float64")
    for name, p in theirs.named_parameters():
        assert close(ours.grads[name], p.grad.numpy(), "float64"), name


def test_self_attention_and_batch_first_match_torch(rng):
    """One input for all three (its gradient the sum of the three uses), batch-first, without biases."""
    torch = pytest.importorskip("torch")
    theirs = torch.nn.MultiheadAttention(E, 4, bias=False, batch_first=True).double()
    ours = minilstm.MultiheadAttention(E, 4, bias=False, batch_first=True, dtype="float64")
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((B, S, E))
    tx = torch.tensor(x, requires_grad=True)
    ty, _ = theirs(tx, tx, tx, need_weights=False)
    dy = rng.standard_normal(tuple(ty.shape))
    (ty * torch.tensor(dy)).sum().backward()
    y, w = ours(x, need_weights=False)
    assert w is None and close(y, ty.detach().numpy(), "float64")
    assert close(ours.backward(dy), tx.grad.numpy(), "float64")
    for name, p in theirs.named_parameters():
        assert close(ours.grads[name], p.grad.numpy(), "float64"), name


def test_one_array_for_key_and_value_gets_the_sum_of_their_gradients(rng):
    layer = minilstm.MultiheadAttention(E, 2, seed=0, dtype="float64")
    q, kv, _ = _inputs(rng)
    dy = rng.standard_normal((L, B, E))
    y3, w3 = layer(q, kv, kv)
    dq3, dk3, dv3 = layer.backward(dy)
    y2, w2 = layer(q, kv)
    dq2, dkv = layer.backward(dy)
    assert np.array_equal(y2, y3) and np.array_equal(w2, w3) and np.array_equal(dq2, dq3)
    assert close(dkv, dk3 + dv3, "float64")


def test_the_initial_weights_follow_pytorchs_rules():
    layer = minilstm.MultiheadAttention(64, 4, seed=0, dtype="float64")
    w = minilstm.to_numpy(layer.params["in_proj_weight"])
    assert np.abs(w).max() <= np.sqrt(6 / (64 + 3 * 64)) and np.abs(w).max() > 0.9 * np.sqrt(6 / (4 * 64))
    assert np.abs(minilstm.to_numpy(layer.params["out_proj.weight"])).max() <= 1 / 8
    assert not minilstm.to_numpy(layer.params["in_proj_bias"]).any()
    assert not minilstm.to_numpy(layer.params["out_proj.bias"]).any()


# ---------------------------------------------------------------- padding
def test_padded_keys_get_exactly_zero_weight_and_gradient_whatever_they_hold(backend, rng):
    """lengths and key_padding_mask agree; each sequence attends as it does alone at its true length."""
    layer = minilstm.MultiheadAttention(E, 4, seed=0, dtype="float64")
    q, k, v = _inputs(rng)
    k[3:, 1], v[3:, 1], k[1:, 2], v[1:, 2] = np.nan, np.inf, 1e300, -np.inf   # padding: never read
    dy = rng.standard_normal((L, B, E))
    y, w = layer(q, k, v, lengths=np.array(LENGTHS))
    dq, dk, dv = layer.backward(dy)
    w = minilstm.to_numpy(w)
    assert np.all(w[1, :, 3:] == 0) and np.all(w[2, :, 1:] == 0) and np.allclose(w.sum(-1), 1)
    assert np.all(minilstm.to_numpy(dk)[3:, 1] == 0) and np.all(minilstm.to_numpy(dv)[1:, 2] == 0)
    y2, w2 = layer(q, k, v, key_padding_mask=MASK)
    assert np.array_equal(minilstm.to_numpy(y), minilstm.to_numpy(y2))
    for b, n in enumerate(LENGTHS):
        alone, _ = layer(q[:, b:b + 1], k[:n, b:b + 1], v[:n, b:b + 1])
        assert close(minilstm.to_numpy(alone)[:, 0], minilstm.to_numpy(y)[:, b], "float64")


def test_a_self_attention_with_lengths_never_reads_padding(rng):
    layer = minilstm.MultiheadAttention(E, 2, batch_first=True, seed=0, dtype="float64")
    x = rng.standard_normal((B, S, E))
    x[1, 3:], x[2, 1:] = np.nan, np.inf
    y, _ = layer(x, lengths=LENGTHS)
    dx = minilstm.to_numpy(layer.backward(np.ones((B, S, E))))
    assert np.isfinite(minilstm.to_numpy(y)).all() and np.all(dx[1, 3:] == 0) and np.all(dx[2, 1:] == 0)


# ---------------------------------------------------------------- composition, saving, inspecting
def test_inside_a_sequential_after_a_recurrent_layer(tmp_path, rng):
    """LSTM -> self-attention -> LastStep / MeanOverTime -> Linear: gradients check, padding flows, it saves,
    and the weights of the last forward are there to draw."""
    for readout in (minilstm.LastStep(), minilstm.MeanOverTime()):
        model = minilstm.Sequential(minilstm.LSTM(3, E, seed=0, dtype="float64"),
                                    minilstm.MultiheadAttention(E, 4, seed=1, dtype="float64"),
                                    readout, minilstm.Linear(E, 2, seed=2, dtype="float64"))
        x = rng.standard_normal((B, S, 3))
        report = gradcheck(model, x, lengths=LENGTHS, max_entries=20)
        assert report.passed(1e-6), str(report)
        assert "1.in_proj_weight" in model.params and "1.out_proj.bias" in model.grads
        model.save(tmp_path / "m.npz")
        loaded = minilstm.load(tmp_path / "m.npz")
        assert np.array_equal(minilstm.to_numpy(loaded(x, lengths=LENGTHS)),
                              minilstm.to_numpy(model(x, lengths=LENGTHS)))
        maps = minilstm.inspect.attention_maps(model, x, lengths=LENGTHS)
        assert list(maps) == ["1"] and maps["1"].shape == (B, 4, S, S)
        assert np.all(maps["1"][2, :, :, 1:] == 0) and np.allclose(maps["1"].sum(-1), 1)


def test_the_articles_torch_model_loads_in_one_call(rng):
    torch = pytest.importorskip("torch")

    class Forecaster(torch.nn.Module):   # the article's: LSTM -> MultiheadAttention -> last step -> Linear
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(1, E, num_layers=2, batch_first=True)
            self.attention = torch.nn.MultiheadAttention(embed_dim=E, num_heads=4, batch_first=True)
            self.fc = torch.nn.Linear(E, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            out, _ = self.attention(out, out, out)
            return self.fc(out[:, -1])

    theirs = Forecaster().double()
    ours = minilstm.Sequential(lstm=minilstm.LSTM(1, E, num_layers=2, batch_first=True, dtype="float64"),
                               attention=minilstm.MultiheadAttention(E, 4, batch_first=True, dtype="float64"),
                               last=minilstm.LastStep(), fc=minilstm.Linear(E, 1, dtype="float64"))
    ours.load_state_dict(theirs)
    x = rng.standard_normal((B, S, 1))
    assert close(ours(x), theirs(torch.from_numpy(x)).detach().numpy(), "float64")


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("make,error,match", [
    (lambda: minilstm.MultiheadAttention(10, 4), ValueError, "embed_dim must be divisible by num_heads"),
    (lambda: minilstm.MultiheadAttention(0, 1), ValueError, "embed_dim"),
    (lambda: minilstm.MultiheadAttention(8, 0), ValueError, "num_heads"),
    (lambda: minilstm.MultiheadAttention(8, 2, dropout=1.0), ValueError, "dropout"),
    (lambda: minilstm.MultiheadAttention(8, 2, bias="yes"), TypeError, "bias"),
    (lambda: minilstm.MultiheadAttention(8, 2, 0.0, True, False), TypeError, "positional argument"),  # add_bias_kv
])
def test_bad_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("call,error,match", [
    (lambda m, x: m(x[..., :4]), ValueError, r"query must be a non-empty 3-D array \(steps, batch, embed_dim\) "
                                             r"with embed_dim=8, got shape \(5, 3, 4\)"),
    (lambda m, x: m(x[0]), ValueError, "query must be a non-empty 3-D array"),
    (lambda m, x: m(x, x[:, :2]), ValueError, r"key and value must have the query's batch \(3\)"),
    (lambda m, x: m(x, x, x[:4]), ValueError, "key and value must have the query's batch"),
    (lambda m, x: m(x, key_padding_mask=np.zeros((3, 5))), TypeError, "key_padding_mask must hold booleans"),
    (lambda m, x: m(x, key_padding_mask=np.zeros((3, 4), bool)), ValueError, r"key_padding_mask must have shape"),
    (lambda m, x: m(x, key_padding_mask=MASK | (np.arange(3) == 1)[:, None]), ValueError,
     "at least one key of every sequence unmasked, got every key masked in sequence 1"),
    (lambda m, x: m(x, lengths=[5, 5, 5], key_padding_mask=MASK), ValueError, "lengths or key_padding_mask"),
    (lambda m, x: m(x, lengths=[5, 0, 5]), ValueError, "lengths must be in"),
    (lambda m, x: m(x, need_weights=1), TypeError, "need_weights"),
    (lambda m, x: m.backward(x), RuntimeError, "before forward"),
    (lambda m, x: (m(x), m.backward(x[:, :2]))[1], ValueError, r"dy must have shape \(5, 3, 8\)"),
    (lambda m, x: (m(x, need_weights=False), m.backward(x, np.ones((3, 5, 5))))[1], ValueError,
     "dweights was given but forward returned no weights"),
    (lambda m, x: (m(x), m.backward(x, np.ones((3, 5, 4))))[1], ValueError, "dweights must have shape"),
])
def test_bad_inputs_are_refused_clearly(call, error, match, rng):
    layer = minilstm.MultiheadAttention(8, 2, dtype="float64")
    with pytest.raises(error, match=match):
        call(layer, rng.standard_normal((S, B, 8)))
