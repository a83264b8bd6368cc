"""plot.live: the default drawn now, sliders that redraw, and clear errors for bad controls."""
import builtins

import pytest

from minilstm import plot

widgets = pytest.importorskip("ipywidgets")


@pytest.fixture
def shown(monkeypatch):
    """What live displays, instead of a notebook."""
    import IPython.display
    boxes = []
    monkeypatch.setattr(IPython.display, "display", boxes.append)
    return boxes


def recorder():
    calls = []

    def draw(scale=1.5, nonlinearity="tanh", length=100):
        calls.append({"scale": scale, "nonlinearity": nonlinearity, "length": length})
    return draw, calls


def test_draws_the_default_now_and_displays_the_controls(shown):
    draw, calls = recorder()
    assert plot.live(draw, scale=(0.3, 3.0, 0.05), nonlinearity=["tanh", "relu"], length=(10, 300, 10),
                     labels={"scale": "W_hh scale"}) is None  # nothing for a notebook to show a second time
    assert calls == [{"scale": 1.5, "nonlinearity": "tanh", "length": 100}]
    [box] = shown
    scale, nonlinearity, length, out = box.children
    assert isinstance(scale, widgets.FloatSlider) and scale.description == "W_hh scale"
    assert (scale.min, scale.max, scale.step, scale.value) == (0.3, 3.0, 0.05, 1.5)
    assert isinstance(nonlinearity, widgets.Dropdown) and nonlinearity.value == "tanh"
    assert isinstance(length, widgets.IntSlider) and length.description == "length" and length.value == 100
    assert isinstance(out, widgets.Output)


def test_a_change_redraws_with_every_control_value(shown):
    draw, calls = recorder()
    plot.live(draw, scale=(0.3, 3.0, 0.05), nonlinearity=["tanh", "relu"], length=(10, 300, 10))
    scale, nonlinearity, length, _ = shown[0].children
    nonlinearity.value = "relu"
    length.value = 50
    assert calls[1:] == [{"scale": 1.5, "nonlinearity": "relu", "length": 100},
                         {"scale": 1.5, "nonlinearity": "relu", "length": 50}]


def test_without_ipywidgets_it_draws_once_and_says_how_to_get_sliders(monkeypatch, capsys, shown):
    real_import = builtins.__import__

    def no_widgets(name, *args, **kwargs):
        if name == "ipywidgets":
            raise ImportError("no ipywidgets here")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_widgets)
    draw, calls = recorder()
    assert plot.live(draw, scale=(0.3, 3.0, 0.05)) is None
    assert len(calls) == 1 and shown == []
    assert "pip install ipywidgets" in capsys.readouterr().out


@pytest.mark.parametrize("controls, error, match", [
    ({}, ValueError, "at least one control"),
    ({"gain": (0.0, 1.0, 0.1)}, ValueError, "'gain' must be a parameter of draw with a default"),
    ({"scale": (3.0, 0.3, 0.05)}, ValueError, "low < high"),
    ({"scale": (0.3, 3.0, 0.0)}, ValueError, "0 < step"),
    ({"scale": (0.3, 3.0, float("nan"))}, ValueError, "0 < step"),
    ({"scale": (2.0, 3.0, 0.1)}, ValueError, "default 1.5 is outside"),
    ({"scale": (0.3, 3.0)}, TypeError, r"\(low, high, step\)"),
    ({"scale": ("a", "b", "c")}, TypeError, r"\(low, high, step\)"),
    ({"scale": 1.0}, TypeError, "or a list of choices"),
    ({"nonlinearity": []}, ValueError, "no choices"),
    ({"nonlinearity": ["relu", "sigmoid"]}, ValueError, "'tanh' is not one of"),
])
def test_bad_controls_are_refused_before_anything_is_drawn(controls, error, match):
    draw, calls = recorder()
    with pytest.raises(error, match=match):
        plot.live(draw, **controls)
    assert calls == []


def test_bad_draw_and_labels_are_refused():
    draw, _ = recorder()
    with pytest.raises(TypeError, match="draw must be a function"):
        plot.live("draw", scale=(0.3, 3.0, 0.05))
    with pytest.raises(ValueError, match="not controls"):
        plot.live(draw, scale=(0.3, 3.0, 0.05), labels={"length": "T"})
    with pytest.raises(TypeError, match="labels must be a dict"):
        plot.live(draw, scale=(0.3, 3.0, 0.05), labels={"scale": 3})

    def no_default(scale):
        pass
    with pytest.raises(ValueError, match="with a default"):
        plot.live(no_default, scale=(0.3, 3.0, 0.05))
