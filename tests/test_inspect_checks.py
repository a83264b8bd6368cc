"""Arguments of minilstm.inspect and of the plots of its results: each nonsense one is refused, naming it,
before any work (they once gave shares of 0, the cell state's curve, an empty figure or a string's plot),
and the sizes that ran for minutes are refused past their documented limits."""
import re

import numpy as np
import pytest

import minilstm
from minilstm import inspect, inspect_checks, plot


@pytest.fixture(scope="module")
def seen():
    """An LSTM's and a GRU's trace and flows on 3 sequences of 5 steps."""
    x = np.random.default_rng(0).standard_normal((5, 3, 2))
    lstm, gru = minilstm.LSTM(2, 4, seed=0, dtype="float64"), minilstm.GRU(2, 4, seed=0, dtype="float64")
    return dict(x=x, lstm=lstm, trace=inspect.record(lstm, x), flow=inspect.gradient_flow(lstm, x),
                gru_flow=inspect.gradient_flow(gru, x))


def _raises(kind, message, f, *args, **kwargs):
    with pytest.raises(kind, match="^" + re.escape(message)):
        f(*args, **kwargs)


def test_saturation_checks_index_and_tails(seen):
    trace = seen["trace"]
    _raises(ValueError, "index must be an index into the 1 (layer, direction) pairs, L*K: 0 to 0, got 99",
            inspect.saturation, trace, index=99)
    _raises(TypeError, "index must be an int", inspect.saturation, trace, index=0.5)
    _raises(ValueError, "low must be a finite number, got nan", inspect.saturation, trace, low=float("nan"))
    _raises(ValueError, "high must be in [0, 1] (a gate's range", inspect.saturation, trace, high=1.5)
    _raises(ValueError, "low must be below high (the two tails of [0, 1]), got low=0.9, high=0.1",
            inspect.saturation, trace, low=0.9, high=0.1)
    assert set(inspect.saturation(trace, low=0.0, high=1.0, index=0)) == {"i", "f", "g", "o"}


def test_flow_lag_checks_state_and_k(seen):
    _raises(ValueError, "state must be one of ('h', 'c'), got 'x'", seen["flow"].lag, 1, state="x")
    _raises(ValueError, "state='c' needs a cell state c, and this cell has none (only h)",
            seen["gru_flow"].lag, 1, state="c")
    _raises(TypeError, "k must be an int", seen["flow"].lag, "1")
    assert seen["flow"].lag(0, state="c") == seen["flow"].dc[-1]


@pytest.mark.parametrize("seed, kind, message", [
    (-1, ValueError, "seed must be an int >= 0, got -1"),
    ("a", TypeError, "seed must be an int >= 0, got str 'a'"),
])
def test_gradient_flow_checks_its_seed(seed, kind, message, seen):
    _raises(kind, message, inspect.gradient_flow, seen["lstm"], seen["x"], seed=seed)


def test_spectrum_of_weights_with_nan_names_the_weight():
    layer = minilstm.LSTM(2, 4, seed=0)
    layer.params["weight_hh_l0"][0, 0] = np.nan  # once numpy's LinAlgError: SVD did not converge
    _raises(ValueError, "weight_hh_l0 holds nan or inf: it has no singular values", inspect.spectrum, layer)


def test_jacobian_norms_refuses_a_state_past_max_state(seen):
    """H = 1024 ran for minutes: the LSTM's 2H = 2048 state is refused, unless max_state says otherwise."""
    _raises(ValueError, "jacobian_norms builds a 2048 x 2048 Jacobian per step from 2048 step backwards, which "
            "takes minutes: the state size is at most max_state=512", inspect.jacobian_norms,
            minilstm.LSTM(2, 1024), seen["x"])
    _raises(ValueError, "max_state must be a positive int, got 0", inspect.jacobian_norms, seen["lstm"], seen["x"],
            max_state=0)
    assert inspect.jacobian_norms(seen["lstm"], seen["x"], max_state=8).shape == (1, 5)
    _raises(ValueError, "jacobian_norms builds a 8 x 8", inspect.jacobian_norms, seen["lstm"], seen["x"],
            max_state=7)


def test_plot_gradient_flow_checks_state_and_flows(seen):
    _raises(ValueError, "state must be one of ('h', 'c'), got 'x'", plot.gradient_flow, seen["flow"], state="x")
    _raises(ValueError, "state='c' needs a cell state c (the LSTM family's), and no flow given has one",
            plot.gradient_flow, seen["gru_flow"], state="c")
    _raises(TypeError, "flows must be a Flow, what minilstm.inspect.gradient_flow returns, got str",
            plot.gradient_flow, "abc")
    _raises(TypeError, "flows['gru'] must be a Flow", plot.gradient_flow, {"gru": seen["gru_flow"].dh})


def test_plot_gates_checks_trace_index_and_batch(seen):
    _raises(ValueError, "index must be an index into the 1 (layer, direction) pairs, L*K: 0 to 0, got 1",
            plot.gates, seen["trace"], index=1)
    _raises(ValueError, "batch must be an index into the 3 sequences of the batch: 0 to 2, got 3",
            plot.gates, seen["trace"], batch=3)
    _raises(ValueError, "batch must be an index into the 3 sequences of the batch: 0 to 2, got -1",
            plot.gates, seen["trace"], batch=-1)
    _raises(TypeError, "trace must be a Trace, what minilstm.inspect.record returns, got str", plot.gates, "abc")
    _raises(TypeError, "spec must be a Spectrum", plot.spectrum, seen["trace"])


@pytest.mark.parametrize("width", [0, -5, 2.5])
def test_activation_text_checks_width(width):
    with pytest.raises((TypeError, ValueError), match="^width must be a positive int"):
        plot.activation_text("abc", [0.1, 0.2, 0.3], width=width)


def test_activation_text_refuses_more_than_its_documented_size():
    n = inspect_checks.MAX_TEXT + 1
    _raises(ValueError, f"text must be at most 2000 characters (each one is drawn as a patch, and {n} would take "
            f"minutes), got {n}: plot a slice, text[:2000]", plot.activation_text, "a" * n, np.zeros(n))
    _raises(TypeError, "text must be a str", plot.activation_text, list("abc"), np.zeros(3))


@pytest.mark.parametrize("norms, got", [("abc", "str of dtype <U3 and shape ()"),
                                        ({"lstm": "abc"}, "str of dtype <U3 and shape ()"),
                                        (np.zeros((2, 3, 4)), "ndarray of dtype float64 and shape (2, 3, 4)")])
def test_plot_jacobian_norms_refuses_what_is_not_numbers(norms, got):
    name = "norms['lstm']" if isinstance(norms, dict) else "norms"
    _raises(TypeError, f"{name} must be a (T,) or (L*K, T) array of numbers, from minilstm.inspect.jacobian_norms, "
            f"got {got}", plot.jacobian_norms, norms)


def test_loss_curves_and_predictions_check_their_data():
    _raises(ValueError, "history must hold 'epoch' and 'train_loss' (a History from train, or its logs dict), "
            "got dict []", plot.loss_curves, {})
    _raises(ValueError, "pred must have one value per step of truth (10), got 8: the curves share the step axis",
            plot.predictions, np.zeros(10), np.zeros(8))
    _raises(ValueError, "noisy must have one value per step of truth (10), got 12", plot.predictions,
            np.zeros(10), np.zeros(10), noisy=np.zeros(12))
