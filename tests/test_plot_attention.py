"""A MultiheadAttention's weights drawn as one (query, key) map per head, from minilstm.inspect.attention_maps."""
import numpy as np
import pytest

import minilstm
from minilstm import inspect

plt = pytest.importorskip("matplotlib.pyplot")
plot = pytest.importorskip("minilstm.plot")


@pytest.fixture
def maps():
    model = minilstm.Sequential(lstm=minilstm.LSTM(2, 8, batch_first=True, seed=0),
                                attention=minilstm.MultiheadAttention(8, 4, batch_first=True, seed=1),
                                last=minilstm.LastStep())
    x = np.random.default_rng(0).standard_normal((2, 6, 2))
    return inspect.attention_maps(model, x, lengths=[6, 4])


def test_one_panel_per_head_queries_down_keys_across(maps, tmp_path):
    assert list(maps) == ["attention"] and maps["attention"].shape == (2, 4, 6, 6)
    fig = plot.attention_maps(maps["attention"], batch=1, path=str(tmp_path / "maps.png"), title="sequence 1")
    assert (tmp_path / "maps.png").read_bytes()[:4] == b"\x89PNG"
    panels = [a for a in fig.axes if a.get_xlabel() == "key step"]
    assert [a.get_title() for a in panels] == [f"head {j}" for j in range(4)]
    assert panels[0].get_ylabel() == "query step"
    assert panels[0].images[0].get_clim() == (0.0, maps["attention"][1].max())   # the largest weight drawn
    image = panels[2].images[0].get_array()
    assert image.shape == (6, 6) and np.all(image[:, 4:] == 0)   # padded keys: no weight
    assert sum(a.get_ylabel() == "attention weight" for a in fig.axes) == 1


def test_averaged_weights_on_given_axes_with_step_labels(maps):
    fig, ax = plt.subplots()
    assert plot.attention_maps(maps["attention"].mean(axis=1), ax=ax, labels="abcdef", vmax=1.0) is fig
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert ax.get_title() == "averaged over heads" and [t.get_text() for t in ax.get_xticklabels()] == list("abcdef")
    plt.close("all")


@pytest.mark.parametrize("call,match", [
    (lambda w: plot.attention_maps(w[0, 0]), r"weights must be \(batch, heads, query steps, key steps\)"),
    (lambda w: plot.attention_maps(w, batch=2), r"batch must be in \[0, 2\), got 2"),
    (lambda w: plot.attention_maps(w, ax=plt.subplots(1, 2)[1]), "ax must be 4 axes here"),
    (lambda w: inspect.attention_maps(minilstm.LSTM(2, 3), np.zeros((4, 1, 2))), "holds no MultiheadAttention"),
])
def test_bad_calls_are_refused(maps, call, match):
    with pytest.raises(ValueError, match=match):
        call(maps["attention"])
    plt.close("all")
