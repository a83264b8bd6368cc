"""Every cell and layer option passes a float64 central-difference gradient check."""
import numpy as np
import pytest
from conftest import BACKENDS, _backend_args, close

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


def _inputs(layer, given_state, rng):
    T, B, D = 4, 3, layer.input_size
    x = rng.standard_normal((B, T, D) if layer.batch_first else (T, B, D))
    return (x, _state(layer, B, rng)) if given_state else (x,)


def _check(case, given_state, rng):
    cls, kwargs = CASES[case]
    layer = cls(3, 4, dtype="float64", seed=0, **kwargs)
    report = gradcheck(layer, *_inputs(layer, given_state, rng), max_entries=12)
    assert report.passed(1e-6), str(report)
    assert "x" in report.errors and ("state" in report.errors or "state[0]" in report.errors) == given_state


@pytest.mark.parametrize("given_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("case", list(CASES))
def test_layer_gradients(case, given_state, check_backend, rng):
    _check(case, given_state, rng)


@pytest.mark.skipif("strict" not in BACKENDS, reason="the strict stand-in is not among the test backends")
@pytest.mark.parametrize("case", ["lstm", "gru-bidirectional"])
def test_layer_gradients_on_the_strict_stand_in(case, rng):
    """gradcheck itself on a namespace that is not NumPy: a few cases (the rest are proved by equality)."""
    with minilstm.backend_scope(*_backend_args("strict")):
        _check(case, True, rng)


def _run(case, inputs, dout_seed):
    """Outputs, input and state gradients and every parameter gradient of one forward and backward."""
    cls, kwargs = CASES[case]
    layer = cls(3, 4, dtype="float64", seed=0, **kwargs)
    out, state = layer(*inputs)
    draw = np.random.default_rng(dout_seed)
    dout = draw.standard_normal(tuple(out.shape))
    dstate = tuple(draw.standard_normal(tuple(s.shape)) for s in _parts(state))
    dx, dstate0 = layer.backward(dout, dstate if len(dstate) > 1 else dstate[0])
    return [out, *_parts(state), dx, *_parts(dstate0), *layer.grads.values()]


def _parts(parts):
    """The arrays of a state: ``h`` or ``(h, c)``."""
    return [p for p in (parts if isinstance(parts, tuple) else (parts,)) if p is not None]


@pytest.mark.skipif("strict" not in BACKENDS, reason="the strict stand-in is not among the test backends")
@pytest.mark.parametrize("given_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("case", list(CASES))
def test_the_strict_stand_in_computes_what_numpy_computes(case, given_state, rng):
    """Every case of the gradient check, on the stand-in: the same outputs and gradients as NumPy's, so the
    gradient check on NumPy proves the stand-in's gradients too."""
    layer = CASES[case][0](3, 4, **CASES[case][1])
    inputs = _inputs(layer, given_state, rng)
    numpy_run = _run(case, inputs, 0)
    with minilstm.backend_scope(*_backend_args("strict")):
        strict_run = _run(case, inputs, 0)
    assert len(numpy_run) == len(strict_run)
    for a, b in zip(numpy_run, strict_run):
        assert close(a, b, "float64")


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
