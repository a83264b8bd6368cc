"""The cell modules a learner holds: one step with weights, like torch.nn.*Cell."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm import bptt, cells
from minilstm.gradcheck import gradcheck

CELLS = {
    "rnn-tanh": (minilstm.RNNCell, {}),
    "rnn-relu": (minilstm.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (minilstm.LSTMCell, {}),
    "peephole": (minilstm.PeepholeLSTMCell, {}),
    "gru": (minilstm.GRUCell, {}),
    "gru-reset-before": (minilstm.GRUCell, {"reset_after": False}),
    "lstm-no-bias": (minilstm.LSTMCell, {"bias": False}),
    "cifg": (minilstm.LSTMCell, {"coupled": True}),
}


def _state(cell, B, rng):
    parts = tuple(rng.standard_normal((B, cell.hidden_size)) for _ in cell.cell.state_names)
    return parts if len(parts) > 1 else parts[0]


@pytest.mark.parametrize("given_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("case", list(CELLS))
def test_cell_gradients(case, given_state, backend, rng):
    cls, kwargs = CELLS[case]
    cell = cls(3, 4, dtype="float64", seed=0, **kwargs)
    x = rng.standard_normal((5, 3))
    inputs = (x, _state(cell, 5, rng)) if given_state else (x,)
    report = gradcheck(cell, *inputs, max_entries=15)
    assert report.passed(1e-6), str(report)
    assert set(cell.params) <= set(report.errors)


@pytest.mark.parametrize("case", ["rnn-tanh", "lstm", "gru", "peephole"])
def test_cell_steps_equal_the_layer(case, backend, dtype, rng):
    """Stepping the cell module by hand gives the one-layer recurrent layer's output."""
    cls, kwargs = CELLS[case]
    layer_cls = {minilstm.RNNCell: minilstm.RNN, minilstm.LSTMCell: minilstm.LSTM,
                 minilstm.GRUCell: minilstm.GRU, minilstm.PeepholeLSTMCell: minilstm.PeepholeLSTM}[cls]
    layer = layer_cls(3, 4, seed=0, dtype=dtype)
    cell = cls(3, 4, seed=1, dtype=dtype)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = rng.standard_normal((6, 2, 3))
    out, _ = layer(x)
    state = None
    for t in range(6):
        state = cell(x[t], state)
        h = state[0] if isinstance(state, tuple) else state
        assert close(h, out[t, ...], dtype)


def test_cell_keys_and_shapes_are_torchs():
    cell = minilstm.LSTMCell(3, 5)
    assert {k: tuple(v.shape) for k, v in cell.params.items()} == {
        "weight_ih": (20, 3), "weight_hh": (20, 5), "bias_ih": (20,), "bias_hh": (20,)}
    peep = minilstm.PeepholeLSTMCell(3, 5)
    assert {"weight_peep_i", "weight_peep_f", "weight_peep_o"} <= set(peep.params)
    assert set(minilstm.GRUCell(3, 5, bias=False).params) == {"weight_ih", "weight_hh"}


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_torch_parity(name, rng):
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn, name)(3, 4).double()
    ours = getattr(minilstm, name)(3, 4, dtype="float64")
    ours.load_state_dict(ref.state_dict())
    x = rng.standard_normal((5, 3))
    n = len(ours.cell.state_names)
    state = tuple(rng.standard_normal((5, 4)) for _ in range(n))
    xt = torch.from_numpy(x).requires_grad_()
    st = tuple(torch.from_numpy(s).requires_grad_() for s in state)
    out_ref = ref(xt, st if n > 1 else st[0])
    out_ref = out_ref if n > 1 else (out_ref,)
    out = ours(x, state if n > 1 else state[0])
    out = out if n > 1 else (out,)
    ups = [rng.standard_normal((5, 4)) for _ in range(n)]
    for a, b in zip(out, out_ref):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=0, atol=1e-14)
    sum((o * torch.from_numpy(u)).sum() for o, u in zip(out_ref, ups)).backward()
    dx, ds = ours.backward(*ups)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-13)
    for a, b in zip(ds if n > 1 else (ds,), st):
        np.testing.assert_allclose(a, b.grad.numpy(), atol=1e-13)
    for k, p in ref.named_parameters():
        np.testing.assert_allclose(ours.grads[k], p.grad.numpy(), atol=1e-13, err_msg=k)


def test_cell_bad_input_is_clear():
    cell = minilstm.LSTMCell(3, 4)
    with pytest.raises(ValueError, match="add a batch axis"):
        cell(np.zeros(3))
    with pytest.raises(ValueError, match="input_size=3"):
        cell(np.zeros((2, 5)))
    with pytest.raises(TypeError, match=r"tuple \(h, c\)"):
        cell(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="hidden_size=4"):
        cell(np.zeros((2, 3)), (np.zeros((2, 5)), np.zeros((2, 5))))
    with pytest.raises(RuntimeError, match="before forward"):
        minilstm.GRUCell(3, 4).backward(np.zeros((2, 4)))
    gru = minilstm.GRUCell(3, 4)
    gru(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="no dc"):
        gru.backward(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="forget_bias needs a forget gate"):
        minilstm.LSTMCell(3, 4, forget_gate=False, forget_bias=2.0)


def test_step_classes_take_options_by_keyword_only():
    """cells.LSTMStep(5, 16) was once read as peephole=5, gates=16: options are keyword-only now."""
    with pytest.raises(TypeError):
        cells.LSTMVariantStep(5, 16)
    with pytest.raises(TypeError):
        cells.RNNStep("relu")
    with pytest.raises(TypeError, match="True or False"):
        cells.LSTMVariantStep(peephole=5)
    with pytest.raises(TypeError):
        cells.LSTMStep(peephole=True)  # the plain LSTM has no options
    assert cells.GRUStep(reset_after=False).gates == ("r", "z", "n")
    assert not hasattr(cells, "LSTMCell")  # one name per concept: the module is minilstm.LSTMCell


def test_one_name_per_concept():
    assert minilstm.LSTMCell is not cells.LSTMStep
    assert isinstance(minilstm.LSTMCell(2, 3).cell, cells.LSTMStep)
    assert isinstance(minilstm.LSTM(2, 3).cell, cells.LSTMStep)


def test_cell_step_runs_in_the_time_loop(rng):
    """A cell module's step pair and parameters run unchanged through bptt.forward."""
    cell = minilstm.GRUCell(3, 4, dtype="float64", seed=0)
    x = rng.standard_normal((5, 2, 3))
    hs, (h,), _ = bptt.forward(cell.cell, x, (np.zeros((2, 4)),), cell.step_params())
    state = None
    for t in range(5):
        state = cell(x[t], state)
    np.testing.assert_allclose(hs[-1], state, atol=1e-15)
    np.testing.assert_allclose(h, state, atol=1e-15)


def test_repr_names_the_options_that_differ():
    assert repr(minilstm.LSTM(3, 4, coupled=True, num_layers=2)) == "LSTM(3, 4, num_layers=2, coupled=True)"
    assert repr(minilstm.PeepholeLSTM(3, 4, forget_gate=False)) == "PeepholeLSTM(3, 4, forget_gate=False)"
    assert repr(minilstm.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"
    assert repr(minilstm.LSTMCell(3, 4, output_activation=False, dtype="float64")) \
        == "LSTMCell(3, 4, output_activation=False, dtype='float64')"
    assert repr(minilstm.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    assert minilstm.LSTMCell(3, 4).num_params == 4 * 4 * (3 + 4 + 2)


@pytest.mark.parametrize("make", [lambda **kw: minilstm.GRU(3, 4, num_layers=2, bidirectional=True, **kw),
                                  lambda **kw: minilstm.GRUCell(3, 4, **kw)], ids=["layer", "cell"])
def test_gru_update_bias_opens_the_carry(make):
    """update_bias sets the z block of every bias_ih (the GRU's forget_bias); z = sigmoid(b) at zero input."""
    plain, biased = make(seed=0, dtype="float64"), make(seed=0, dtype="float64", update_bias=3.0)
    for k, b in biased.params.items():
        if k.startswith("bias_ih"):
            np.testing.assert_array_equal(b[4:8], 3.0)
            np.testing.assert_array_equal(np.delete(b, np.s_[4:8]), np.delete(plain.params[k], np.s_[4:8]))
        else:
            np.testing.assert_array_equal(b, plain.params[k])  # the same seeded draws otherwise
    assert biased.config["update_bias"] == 3.0
    with pytest.raises(ValueError, match="needs biases"):
        make(bias=False, update_bias=1.0)
    with pytest.raises(TypeError, match="update_bias"):
        make(update_bias="high")


def test_lstm_cell_takes_peephole_like_the_layer(rng):
    """``LSTMCell(peephole=...)`` as ``LSTM(peephole=...)``: True is the peephole cell, False the plain one."""
    x = rng.standard_normal((2, 3))
    plain = minilstm.LSTMCell(3, 4, peephole=False, seed=0)
    assert "weight_peep_i" not in plain.params
    assert close(plain(x)[0], minilstm.LSTMCell(3, 4, seed=0)(x)[0], "float32")
    peep = minilstm.LSTMCell(3, 4, peephole=True, seed=0)
    assert set(peep.params) == set(minilstm.PeepholeLSTMCell(3, 4, seed=0).params)
    assert type(minilstm.PeepholeLSTMCell(3, 4, peephole=False).cell) is cells.LSTMStep
    with pytest.raises(TypeError, match="peephole must be True or False"):
        minilstm.LSTMCell(3, 4, peephole="yes")
