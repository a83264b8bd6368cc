"""The LSTM variants of Greff et al. (2015): options of the LSTM layers, each gradient-checked."""
import numpy as np
import pytest

import minilstm
from minilstm.cells import VARIANTS, LSTMStep, LSTMVariantStep
from minilstm.gradcheck import gradcheck


def _layer(name, **kw):
    opts = dict(VARIANTS[name])
    cls = minilstm.PeepholeLSTM if opts.pop("peephole") else minilstm.LSTM
    return cls(3, 4, **opts, **kw)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_gradients(name, rng):
    layer = _layer(name, dtype="float64", seed=0)
    x = rng.standard_normal((4, 3, 3))
    state = tuple(rng.standard_normal((1, 3, 4)) for _ in range(2))
    report = gradcheck(layer, x, state, max_entries=15)
    assert report.passed(1e-6), str(report)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_equals_numpy_on_every_backend(name, backend, rng):
    """Absent gates are constants in the cache, not arrays: every backend's loop must carry them."""
    x = rng.standard_normal((4, 3, 3))
    dout = rng.standard_normal((4, 3, 4))
    results = []
    for be in ("numpy", backend):
        with minilstm.backend_scope(be):
            layer = _layer(name, dtype="float64", seed=0)
            out, _ = layer(x)
            dx, _ = layer.backward(dout)
            results.append([out, dx, *layer.grads.values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(minilstm.to_numpy(a), minilstm.to_numpy(b), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["NIG", "NFG", "NOG", "CIFG"])
def test_a_removed_gate_has_no_weights(name):
    layer = _layer(name)
    assert len(layer.cell.gates) == 3
    assert layer.params["weight_ih_l0"].shape == (12, 3)
    assert layer.params["weight_hh_l0"].shape == (12, 4)
    removed = {"NIG": "i", "NFG": "f", "NOG": "o", "CIFG": "i"}[name]
    assert f"weight_peep_{removed}_l0" not in layer.params
    assert removed not in layer.cell.gates


def _step_by_hand(layer, x, options):
    """The variant's equations, written out for one step from a zero state (the cell's docstring table)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in layer.state_dict().items()}
    has = lambda name: options.get(name, True)  # noqa: E731 (every option but peephole and coupled is True)
    a = x @ p["weight_ih_l0"].T + p["bias_ih_l0"] + p["bias_hh_l0"]
    blocks = dict(zip(layer.cell.gates, np.split(a, len(layer.cell.gates), axis=-1)))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    f = sig(blocks["f"]) if has("forget_gate") else 1.0
    i = 1 - f if options.get("coupled") else (sig(blocks["i"]) if has("input_gate") else 1.0)
    g = np.tanh(blocks["g"]) if has("input_activation") else blocks["g"]
    c = i * g                                   # c_prev = 0
    peep_o = p["weight_peep_o_l0"] * c if options["peephole"] and has("output_gate") else 0.0
    o = sig(blocks["o"] + peep_o) if has("output_gate") else 1.0
    return o * (np.tanh(c) if has("output_activation") else c), c


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_equations_by_hand(name, rng):
    layer = _layer(name, dtype="float64", seed=1)
    x = rng.standard_normal((1, 2, 3))
    out, (h, c) = layer(x)
    h_ref, c_ref = _step_by_hand(layer, x[0], VARIANTS[name])
    np.testing.assert_allclose(out[0], h_ref, atol=1e-14)
    np.testing.assert_allclose(c[0], c_ref, atol=1e-14)


def test_all_gates_kept_is_the_lstm(rng):
    plain = minilstm.LSTM(3, 4, seed=0, dtype="float64")
    spelled = minilstm.LSTM(3, 4, seed=0, dtype="float64", input_gate=True, forget_gate=True, output_gate=True,
                            input_activation=True, output_activation=True, coupled=False)
    x = rng.standard_normal((5, 2, 3))
    np.testing.assert_array_equal(plain(x)[0], spelled(x)[0])


def test_variant_options_are_checked():
    with pytest.raises(TypeError, match="input_gate must be True or False"):
        minilstm.LSTM(3, 4, input_gate=0)
    with pytest.raises(ValueError, match="coupled=True"):
        minilstm.LSTM(3, 4, coupled=True, forget_gate=False)
    with pytest.raises(TypeError, match="forget_bias"):
        minilstm.LSTM(3, 4, forget_gate=False, forget_bias=2.0)
    assert minilstm.LSTM(3, 4, forget_gate=False).params["bias_ih_l0"].shape == (12,)
    assert LSTMVariantStep(coupled=True).gates == ("f", "g", "o")


def test_a_variant_model_saves_and_loads(tmp_path, rng):
    model = minilstm.Model(2, 4, 1, cell="peephole", coupled=True, output_activation=False, seed=0)
    path = model.save(str(tmp_path / "cifg.npz"))
    again = minilstm.load(path)
    assert again.rnn.cell == model.rnn.cell
    x = rng.standard_normal((3, 5, 2))
    np.testing.assert_array_equal(model(x), again(x))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variants_table_passes_straight_to_a_layer_and_a_model(name):
    layer = minilstm.LSTM(3, 4, **VARIANTS[name])
    assert bool(getattr(layer.cell, "peepholes", ())) == VARIANTS[name]["peephole"]
    assert (type(layer.cell) is LSTMStep) == (name == "NP")  # Greff's NP is PyTorch's LSTM
    model = minilstm.Model(3, 4, 1, cell="lstm", **VARIANTS[name])
    assert model.rnn.cell == layer.cell
    with pytest.raises(TypeError, match="peephole must be True or False"):
        minilstm.LSTM(3, 4, peephole="yes")
