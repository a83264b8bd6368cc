"""The figures of minilstm.inspect's results: made headless, with labelled axes, on a given ax or their own."""
import numpy as np
import pytest

import minilstm
from minilstm import inspect

plt = pytest.importorskip("matplotlib.pyplot")
plot = pytest.importorskip("minilstm.plot")


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((12, 2, 3))


def _labels(fig):
    return [(a.get_xlabel(), a.get_ylabel(), a.get_title()) for a in fig.axes if a.get_xlabel() or a.get_title()]


def test_gates_heatmaps(x, tmp_path):
    trace = inspect.record(minilstm.LSTM(3, 5, seed=0), x)
    fig = plot.gates(trace, path=str(tmp_path / "gates.png"))
    assert (tmp_path / "gates.png").stat().st_size > 0
    panels = [a for a in fig.axes if a.get_xlabel() == "time step"]
    assert [a.get_title() for a in panels] == ["input gate i", "forget gate f", "output gate o", "candidate g"]
    assert all(a.get_ylabel() == "unit" for a in panels)
    assert panels[0].images[0].get_clim() == (0.0, 1.0) and panels[3].images[0].get_clim() == (-1.0, 1.0)
    assert panels[0].images[0].get_array().shape == (5, 12)  # units by steps
    assert sum("gate value" in a.get_ylabel() for a in fig.axes) == 1  # one shared colour bar for the gates
    fig, axes = plt.subplots(1, 3)
    assert plot.gates(inspect.record(minilstm.GRU(3, 5, seed=0), x), ax=axes) is fig
    plt.close("all")


def test_gradient_flow_curves(x, tmp_path):
    flows = {name: inspect.gradient_flow(getattr(minilstm, name)(3, 4, seed=0), x) for name in ("RNN", "LSTM")}
    fig = plot.gradient_flow(flows, path=str(tmp_path / "flow.png"))
    (a,) = fig.axes
    assert a.get_yscale() == "log" and a.get_xlabel() == "time step t" and "||dL/dh_t||" in a.get_ylabel()
    assert [t.get_text() for t in a.get_legend().get_texts()] == ["RNN", "LSTM"]
    fig, a = plt.subplots()
    assert plot.gradient_flow(flows["LSTM"], ax=a, state="c") is fig
    assert "dc_t" in a.get_ylabel()
    plt.close("all")


def test_jacobian_and_spectrum_plots(x, tmp_path):
    rnn = minilstm.RNN(3, 4, seed=0)
    fig = plot.jacobian_norms({"RNN": inspect.jacobian_norms(rnn, x)}, path=str(tmp_path / "jac.png"))
    (a,) = fig.axes
    assert a.get_xlabel() == "time step t" and any(line.get_ydata()[0] == 1.0 for line in a.get_lines())
    fig = plot.spectrum(inspect.spectrum(minilstm.LSTM(3, 4, seed=0)), path=str(tmp_path / "spec.png"))
    (a,) = fig.axes
    assert a.get_ylabel() == "singular value"
    bounds = {line.get_ydata()[0] for line in a.get_lines() if line.get_linestyle() == "--"}
    assert bounds == {1.0, 4.0}  # 1/gamma for tanh and sigmoid blocks
    with pytest.raises(ValueError, match="no weight"):
        plot.spectrum(inspect.spectrum(rnn), key="weight_hh_l3")
    plt.close("all")


def test_activation_text(tmp_path):
    text = 'say "hi"\nbye'
    fig = plot.activation_text(text, np.linspace(-1, 1, len(text)), path=str(tmp_path / "text.png"), width=5)
    chars = [t.get_text() for t in fig.axes[0].texts]
    assert "".join(chars) == text.replace("\n", "")  # one drawn character per character, newlines as rows
    with pytest.raises(ValueError, match="one entry per character"):
        plot.activation_text("abc", [0.1, 0.2])
    fig, a = plt.subplots()
    assert plot.activation_text("ab", [0.0, 1.0], ax=a) is fig
    plt.close("all")


def test_plots_never_show(monkeypatch, x):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() called"))
    plot.gradient_flow(inspect.gradient_flow(minilstm.GRU(3, 4, seed=0), x))
    plot.gates(inspect.record(minilstm.RNN(3, 4, seed=0), x))
    plt.close("all")


def test_gradient_flow_leaves_exact_zeros_out_and_keeps_given_colours(x):
    flow = inspect.gradient_flow(minilstm.LSTM(3, 4, seed=0), x)
    assert flow.dc[-1] == 0  # nothing reaches c from later steps at the step the loss reads
    fig = plot.gradient_flow({"LSTM": flow}, state="c", colors={"LSTM": "C3"})
    (line,) = fig.axes[0].get_lines()
    assert np.isnan(line.get_ydata()[-1]) and fig.axes[0].get_ylim()[0] > 1e-100
    assert line.get_color() == "C3"
    plt.close("all")
