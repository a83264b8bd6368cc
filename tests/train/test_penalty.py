"""l2_penalty: its value and gradients, its equivalence with weight decay, and input checks."""
import numpy as np
import pytest

import minilstm
from minilstm.gradcheck import check_gradients


def test_l2_penalty_value_and_gradients(backend, rng):
    layer = minilstm.Linear(4, 3, seed=0, dtype="float64")
    value, grads = minilstm.l2_penalty(layer.params, 0.3)
    host = layer.state_dict()
    assert abs(value - 0.15 * sum(np.sum(p * p) for p in host.values())) < 1e-12
    report = check_gradients(lambda: minilstm.l2_penalty(layer.params, 0.3)[0], dict(layer.params), grads)
    assert report.passed(1e-6), str(report)


def test_l2_penalty_step_equals_a_weight_decay_step(backend, rng):
    """SGD on loss + penalty moves the weights exactly as SGD(weight_decay) on the loss alone."""
    a, b = (minilstm.Linear(3, 2, seed=0, dtype="float64") for _ in range(2))
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    decayed = minilstm.SGD(a.params, lr=0.1, weight_decay=0.01)
    penalised = minilstm.SGD(b.params, lr=0.1)
    for model, opt, wd in ((a, decayed, 0.0), (b, penalised, 0.01)):
        _, dpred = minilstm.mse_loss(model(x), y)
        model.backward(dpred)
        _, dparams = minilstm.l2_penalty(model.params, wd)
        opt.step({k: g + dparams[k] for k, g in model.grads.items()})
    for k in a.params:
        np.testing.assert_allclose(minilstm.to_numpy(a.params[k]), minilstm.to_numpy(b.params[k]), rtol=1e-14)


def test_l2_penalty_on_chosen_arrays_only():
    layer = minilstm.Linear(2, 2, seed=0, dtype="float64")
    value, grads = minilstm.l2_penalty({"weight": layer.params["weight"]}, 1.0)
    assert set(grads) == {"weight"}
    assert value == pytest.approx(0.5 * float(np.sum(layer.state_dict()["weight"] ** 2)))


@pytest.mark.parametrize("params,weight,error,match", [
    ({"w": np.ones(2)}, -1.0, ValueError, "weight must be a finite number >= 0"),
    ([np.ones(2)], 0.1, TypeError, "params must be a dict of arrays"),
    ({"w": np.arange(2)}, 0.1, TypeError, r"params\['w'\] must be a float array"),
    ({"w": 1.0}, 0.1, TypeError, r"params\['w'\] must be a float array"),
], ids=["negative", "list", "integers", "scalar"])
def test_l2_penalty_refuses_bad_input(params, weight, error, match):
    with pytest.raises(error, match=match):
        minilstm.l2_penalty(params, weight)
