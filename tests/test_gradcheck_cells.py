"""Every cell and layer option passes a float64 central-difference gradient check."""
import numpy as np
import pytest

import minilstm
from minilstm.gradcheck import check_gradients, gradcheck

CASES = {
    "rnn-tanh": (minilstm.RNN, {}),
    "rnn-relu": (minilstm.RNN, {"nonlinearity": "relu"}),
    "lstm": (minilstm.LSTM, {}),
    "gru": (minilstm.GRU, {}),
    "gru-reset-before": (minilstm.GRU, {"reset_after": False}),
    "peephole": (minilstm.PeepholeLSTM, {}),
    "lstm-2-layers": (minilstm.LSTM, {"num_layers": 2}),
    "gru-bidirectional": (minilstm.GRU, {"bidirectional": True}),
    "rnn-batch-first": (minilstm.RNN, {"batch_first": True}),
    "lstm-no-bias": (minilstm.LSTM, {"bias": False}),
    "peephole-2-layers-bidirectional": (minilstm.PeepholeLSTM, {"num_layers": 2, "bidirectional": True}),
    "gru-reset-before-2-layers-dropout": (minilstm.GRU, {"reset_after": False, "num_layers": 2, "dropout": 0.3}),
}


def _state(layer, B, rng):
    shape = (layer.num_layers * layer.num_directions, B, layer.hidden_size)
    parts = tuple(rng.standard_normal(shape) for _ in layer.cell.state_names)
    return parts if len(parts) > 1 else parts[0]


@pytest.mark.parametrize("given_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("case", list(CASES))
def test_layer_gradients(case, given_state, backend, rng):
    cls, kwargs = CASES[case]
    T, B, D, H = 4, 3, 3, 4
    layer = cls(D, H, dtype="float64", seed=0, **kwargs)
    x = rng.standard_normal((B, T, D) if layer.batch_first else (T, B, D))
    inputs = (x, _state(layer, B, rng)) if given_state else (x,)
    report = gradcheck(layer, *inputs, max_entries=12)
    assert report.passed(1e-6), str(report)
    assert "x" in report.errors and ("state" in report.errors or "state[0]" in report.errors) == given_state


def test_gradcheck_finds_a_wrong_gradient():
    """The check must fail when the analytic gradient is off: it proves, not touches."""
    w = np.array([1.0, -2.0, 0.5])

    def f():
        return float(np.sum(np.sin(w)))

    good = check_gradients(f, {"w": w}, {"w": np.cos(w)})
    bad = check_gradients(f, {"w": w}, {"w": np.cos(w) * 1.01})
    assert good.passed(1e-8)
    assert not bad.passed(1e-3)
    assert "w" in str(bad)


def test_gradcheck_refuses_float32():
    layer = minilstm.LSTM(2, 3)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(layer, np.zeros((2, 1, 2)))
