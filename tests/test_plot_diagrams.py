"""``minilstm.plot.cell_diagram``: it draws every cell, its gate boxes are the cell's own gates, the backward
drawing marks the highway where there is one, and anything else is refused by name."""
import pytest

import minilstm
from minilstm.cells import LSTMVariantStep

pytest.importorskip("matplotlib")
plot = pytest.importorskip("minilstm.plot")

CELLS = {
    "rnn": minilstm.RNNCell(3, 4),
    "rnn relu": minilstm.RNNCell(3, 4, nonlinearity="relu"),
    "lstm": minilstm.LSTMCell(3, 4),
    "peephole lstm": minilstm.PeepholeLSTMCell(3, 4),
    "gru": minilstm.GRUCell(3, 4),
    "gru reset before": minilstm.GRUCell(3, 4, reset_after=False),
    "lstm layer": minilstm.LSTM(3, 4),
    "CIFG step": LSTMVariantStep(peephole=True, coupled=True),
    "no output gate step": LSTMVariantStep(output_gate=False),
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plot.pyplot().close("all")


def _gids(fig, prefix):
    return sorted(t.get_gid()[len(prefix):] for ax in fig.axes for t in ax.texts
                  if (t.get_gid() or "").startswith(prefix))


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("gradient", [False, True])
def test_the_gate_boxes_are_the_cells_gates(name, gradient, tmp_path):
    cell = CELLS[name]
    fig = plot.cell_diagram(cell, gradient=gradient, path=str(tmp_path / "cell.png"))
    assert (tmp_path / "cell.png").stat().st_size > 0
    assert _gids(fig, "gate:") == sorted(getattr(cell, "cell", cell).gates)
    assert _gids(fig, "equation")  # the equations (forward or backward) are written under the drawing


@pytest.mark.parametrize("name, highway", [("rnn", False), ("lstm", True), ("peephole lstm", True), ("gru", True)])
def test_the_backward_drawing_marks_the_highway_where_there_is_one(name, highway):
    texts = [t.get_text() for ax in plot.cell_diagram(CELLS[name], gradient=True).axes for t in ax.texts]
    assert ("gradient highway" in texts) is highway
    forward = [t.get_text() for ax in plot.cell_diagram(CELLS[name]).axes for t in ax.texts]
    assert "gradient highway" not in forward


def test_the_states_are_labelled_as_gradients_in_the_backward_drawing():
    fig = plot.cell_diagram(CELLS["lstm"], gradient=True)
    states = [t.get_text() for t in fig.axes[0].texts if (t.get_gid() or "").startswith("state:")]
    assert len(states) == 5 and all(s.startswith(r"$\partial L/\partial$") for s in states)


def test_the_options_change_the_drawing():
    """The peephole LSTM's dashed edges, the GRU's reset form and the RNN's nonlinearity are drawn."""
    def equations(cell):
        return " ".join(t.get_text() for t in plot.cell_diagram(cell).axes[0].texts if t.get_gid() == "equation")
    assert "p_i" in equations(CELLS["peephole lstm"]) and "p_i" not in equations(CELLS["lstm"])
    assert "reset_after=False" in equations(CELLS["gru reset before"])
    assert "relu" in equations(CELLS["rnn relu"])


def test_it_draws_on_the_callers_axes():
    plt = plot.pyplot()
    fig, ax = plt.subplots()
    assert plot.cell_diagram(CELLS["gru"], ax=ax, title="mine") is fig and ax.get_title() == "mine"
    plt.close(fig)


@pytest.mark.parametrize("bad", ["lstm", None, minilstm.Linear(3, 4)])
def test_a_non_cell_is_refused_by_name(bad):
    with pytest.raises(TypeError, match="cell must be an RNN, LSTM, PeepholeLSTM or GRU"):
        plot.cell_diagram(bad)


def test_gradient_must_be_a_bool():
    with pytest.raises(TypeError, match="gradient"):
        plot.cell_diagram(CELLS["lstm"], gradient="yes")
