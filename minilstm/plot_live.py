"""Sliders for a lesson's figure: draw it now, redraw it on every change (re-exported by :mod:`minilstm.plot`).

``ipywidgets.interact`` draws its first figure inside a widget's output, which a notebook rendered without a
kernel (on GitHub, in nbviewer) does not show. :func:`live` draws the first figure as ordinary output, so the
committed notebook shows it, and puts sliders under it that redraw the figure when a kernel is running.
"""
from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

HINT = "pip install ipywidgets (the lessons extra has it) to move these settings with sliders"


def live(draw: Callable[..., Any], labels: dict | None = None, **controls: Any) -> None:
    """Call ``draw()`` now, then show sliders that call ``draw(**values)`` again on every change.

    Parameters
    ----------
    draw : callable
        Draws one figure (and shows it). Every control names one of its parameters, and that parameter's
        default is where the control starts: the figure drawn now is ``draw()``.
    labels : dict, optional
        A control's label (``{"scale": "W_hh scale"}``); the parameter's name otherwise.
    **controls
        One per parameter to move: ``(low, high, step)`` for a slider (whole numbers give an integer slider,
        any float a float slider), or a list of choices for a drop-down.

    The sliders and the output they redraw into are displayed (one ``ipywidgets.VBox``), and nothing is
    returned, so that a notebook does not show them twice. Where ipywidgets (or IPython) is not installed, a
    line says how to install it and only the figure drawn now is shown.

    Examples
    --------
    >>> def draw_flow(scale=1.5, nonlinearity="tanh"):                           # doctest: +SKIP
    ...     ...
    >>> plot.live(draw_flow, scale=(0.3, 3.0, 0.05), nonlinearity=["tanh", "relu"])  # doctest: +SKIP
    """
    labels = {} if labels is None else labels
    specs = _checked(draw, labels, controls)
    draw()  # the default, drawn as ordinary output: what a notebook rendered without a kernel shows
    try:
        import ipywidgets as widgets
        from IPython.display import display
    except ImportError:
        print(HINT)
        return
    made = {name: _widget(widgets, spec, default, labels.get(name, name)) for name, (spec, default) in specs.items()}
    out = widgets.Output()

    def redraw(_change: Any = None) -> None:
        with out:
            out.clear_output(wait=True)
            draw(**{name: control.value for name, control in made.items()})

    for control in made.values():
        control.observe(redraw, names="value")
    display(widgets.VBox([*made.values(), out]))


def _checked(draw: Any, labels: Any, controls: dict) -> dict:
    """``{name: (spec, default)}`` for every control, or a ValueError/TypeError that says what is wrong."""
    if not callable(draw):
        raise TypeError(f"live: draw must be a function that draws a figure, got {type(draw).__name__}")
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise TypeError("live: labels must be a dict of control name -> str")
    if not controls:
        raise ValueError("live: give at least one control, e.g. scale=(0.3, 3.0, 0.05)")
    unknown = sorted(set(labels) - set(controls))
    if unknown:
        raise ValueError(f"live: labels for {unknown}, which are not controls ({sorted(controls)})")
    params = inspect.signature(draw).parameters
    specs = {}
    for name, spec in controls.items():
        if name not in params or params[name].default is inspect.Parameter.empty:
            raise ValueError(f"live: control {name!r} must be a parameter of draw with a default (where the "
                             f"control starts); draw's parameters with defaults are "
                             f"{[n for n, p in params.items() if p.default is not inspect.Parameter.empty]}")
        default = params[name].default
        if isinstance(spec, list):
            if not spec:
                raise ValueError(f"live: control {name!r} has no choices")
            if default not in spec:
                raise ValueError(f"live: control {name!r}: draw's default {default!r} is not one of {spec}")
        elif isinstance(spec, tuple):
            _check_range(name, spec, default)
        else:
            raise TypeError(f"live: control {name!r} must be (low, high, step) or a list of choices, "
                            f"got {type(spec).__name__}")
        specs[name] = (spec, default)
    return specs


def _check_range(name: str, spec: tuple, default: Any) -> None:
    real = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (*spec, default))
    if len(spec) != 3 or not real:
        raise TypeError(f"live: control {name!r} must be (low, high, step) numbers with a number as draw's "
                        f"default, got {spec!r} (default {default!r})")
    low, high, step = spec
    if not low < high or not step > 0 or step > high - low:
        raise ValueError(f"live: control {name!r}: need low < high and 0 < step <= high - low, got {spec!r}")
    if not low <= default <= high:
        raise ValueError(f"live: control {name!r}: draw's default {default!r} is outside [{low}, {high}]")


def _widget(widgets: Any, spec: Any, default: Any, label: str) -> Any:
    if isinstance(spec, list):
        return widgets.Dropdown(options=spec, value=default, description=label)
    low, high, step = spec
    whole = all(isinstance(v, numbers.Integral) for v in (low, high, step, default))
    kind = widgets.IntSlider if whole else widgets.FloatSlider
    return kind(value=default, min=low, max=high, step=step, description=label,
                style={"description_width": "initial"})
