"""The training plots a learner reads (``minilstm.plot``): words on the axes, whole epochs, a chance line;
and the figures ``python -m minilstm train`` writes."""
import numpy as np
import pytest

import minilstm
from minilstm import cli
from minilstm.cli import TASKS

pytest.importorskip("matplotlib")
plot = pytest.importorskip("minilstm.plot")


def _history(epochs=3, **metrics):
    logs = {"epoch": list(range(1, epochs + 1)), "train_loss": list(np.geomspace(1.0, 0.1, epochs)),
            "val_loss": list(np.geomspace(1.2, 0.2, epochs)), **metrics}
    return minilstm.History(logs=logs)


def _integer_epoch_ticks(ax):
    """The x ticks inside the drawn range are whole numbers (3 epochs would get 1.25, 1.5, ... by default)."""
    ax.figure.canvas.draw()
    low, high = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    return len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)


def _chance_lines(ax):
    """The horizontal dashed lines of ``ax`` as ``(y, legend label)``."""
    return [(line.get_ydata()[0], line.get_label()) for line in ax.get_lines()
            if line.get_linestyle() == "--" and len(set(line.get_ydata())) == 1]


def _legend_texts(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_label_turns_logged_keys_into_words():
    assert plot.label("val_char_accuracy") == "validation character accuracy"
    assert plot.label("val_rmse") == "validation RMSE" and plot.label("train_loss") == "train loss"


def test_loss_curves_name_the_loss_on_a_log_axis_of_whole_epochs():
    fig = plot.loss_curves(_history(3), title="order: cross-entropy per epoch", loss="cross-entropy")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "cross-entropy (log scale)"
    assert ax.get_title() == "order: cross-entropy per epoch" and ax.get_yscale() == "log"
    assert _legend_texts(ax) == ["training", "validation"]
    assert _integer_epoch_ticks(ax)
    fig = plot.loss_curves(_history(3), labels=("train (80 %)", "test (20 %)"))
    assert _legend_texts(fig.axes[0]) == ["train (80 %)", "test (20 %)"]


def test_metric_curve_draws_chance_on_a_full_accuracy_axis():
    fig = plot.metric_curve(_history(3, val_char_accuracy=[0.2, 0.35, 0.5]), "val_char_accuracy",
                            chance=0.186923)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "validation character accuracy"
    assert ax.get_title() == "validation character accuracy"
    assert _chance_lines(ax) == [(0.186923, "chance (0.19)")]  # two digits are enough to read
    assert _legend_texts(ax) == ["validation character accuracy", "chance (0.19)"]
    low, high = ax.get_ylim()
    assert low < 0 < 1 < high < 1.1  # an accuracy spans [0, 1], so a flat run at chance looks flat
    assert _integer_epoch_ticks(ax)


def test_metric_curve_without_chance_has_no_line():
    fig = plot.metric_curve(_history(2, val_rmse=[0.3, 0.2]), "val_rmse")
    (ax,) = fig.axes
    assert _chance_lines(ax) == [] and ax.get_ylabel() == "validation RMSE"
    assert ax.get_ylim()[1] < 0.5  # not an accuracy: the axis follows the data


def test_predictions_label_the_axes_and_curves():
    t = np.linspace(0, 6, 50)
    fig = plot.predictions(np.sin(t), np.sin(t) + 0.05, title="sine: validation forecast")
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("step", "value", "sine: validation forecast")
    assert _legend_texts(ax) == ["truth", "prediction"]


@pytest.fixture
def figures(monkeypatch):
    """Every figure the plot module finishes (it still saves and closes them)."""
    made = []
    finish = plot._finish

    def keep(plt, fig, path):
        made.append(fig)
        return finish(plt, fig, path)

    monkeypatch.setattr(plot, "_finish", keep)
    return made


@pytest.mark.parametrize("task,chance,loss", [("order", 0.25, "cross-entropy"), ("text", None, "cross-entropy"),
                                              ("adding", 0.15, "mean squared error")])
def test_the_cli_plots_are_readable(task, chance, loss, figures, tmp_path):
    args = ["train", "--task", task, "--epochs", "3", "--hidden", "4", "--out", str(tmp_path), "--no-progress"]
    if task == "adding":
        args += ["--length", "20"]
    assert cli.main(args) == 0
    loss_fig, metric_fig = figures
    (ax,) = loss_fig.axes
    assert ax.get_ylabel() == f"{loss} (log scale)" and ax.get_title() == f"{task}: {loss} per epoch"
    assert ax.get_xlabel() == "epoch" and _integer_epoch_ticks(ax)
    (ax,) = metric_fig.axes
    assert ax.get_xlabel() == "epoch" and "_" not in ax.get_ylabel() + ax.get_title()
    assert _integer_epoch_ticks(ax)
    ((y, name),) = _chance_lines(ax)
    if chance is None:  # text: always guessing the commonest character
        train_set, val_set = TASKS["text"].make(0, TASKS["text"].length)
        chance = np.bincount(val_set.Y.ravel()).max() / val_set.Y.size
    assert y == pytest.approx(chance) and name == f"chance ({chance:.2g})"


def test_the_cli_sine_plot_shows_the_forecast(figures, tmp_path):
    assert cli.main(["train", "--epochs", "2", "--hidden", "4", "--out", str(tmp_path), "--no-progress"]) == 0
    loss_fig, forecast = figures
    assert loss_fig.axes[0].get_ylabel() == "mean squared error (log scale)"
    (ax,) = forecast.axes
    assert ax.get_title() == "sine: validation forecast" and _legend_texts(ax) == ["truth", "prediction"]
