"""The plotting primitives (ui/figures.py): the dict-built layout agrees with plotly.subplots.make_subplots, specs
are what Plotly.js draws, and animations stay light at the largest sizes."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from ui import figures as F


@pytest.mark.parametrize(
    ("rows", "cols", "widths", "hs", "vs"),
    [
        (1, 3, [0.3, 0.25, 0.45], 0.07, 0.3),
        (2, 3, [0.42, 0.2, 0.38], 0.07, 0.1),
        (3, 4, None, 0.06, 0.12),
        (1, 1, None, 0.2, 0.3),
    ],
)
def test_the_subplot_layout_is_make_subplots_own(rows, cols, widths, hs, vs):
    """Domains, axis names and anchors, and the title positions, as make_subplots computes them (the oracle)."""
    titles = [f"t{k}" for k in range(rows * cols)]
    ref = make_subplots(
        rows=rows, cols=cols, subplot_titles=titles, column_widths=widths, horizontal_spacing=hs, vertical_spacing=vs
    ).to_dict()["layout"]
    mine = F._Subplots(rows, cols, titles, widths, hs, vs)
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            mine.add(dict(type="heatmap", z=[[0]]), r, c)
    got = mine.figure().to_dict()["layout"]
    for name, axis in ref.items():
        if name.startswith(("xaxis", "yaxis")):
            np.testing.assert_allclose(got[name]["domain"], axis["domain"], atol=1e-12, err_msg=name)
            assert got[name]["anchor"] == axis["anchor"], name
    for a, b in zip(got["annotations"], ref["annotations"], strict=True):
        assert a["text"] == b["text"]
        assert a["x"] == pytest.approx(b["x"]) and a["y"] == pytest.approx(b["y"])
        assert (a["xanchor"], a["yanchor"]) == (b["xanchor"], b["yanchor"])


def test_a_spec_is_plain_plotly_json_and_carries_its_colours():
    fig = F.grids_figure([F.Grid(z=np.array([[1.0, -2.0], [np.nan, 0.5]]), title="A")], cols=1)
    spec = json.loads(fig.to_json())
    heat = spec["data"][0]
    assert heat["type"] == "heatmap" and heat["xaxis"] == "x" and heat["yaxis"] == "y"
    assert isinstance(heat["colorscale"], list) and heat["colorscale"][0][1].startswith("rgb")  # not "RdBu_r"
    assert heat["z"][1][0] is None  # NaN as null: strict JSON
    assert spec["layout"]["yaxis"]["scaleanchor"] == "x" and spec["layout"]["yaxis"]["range"] == [1.5, -0.5]
    assert "<html" in fig.to_html(include_plotlyjs=False, full_html=True)
    top = fig.spec["layout"].get("margin", {}).get("t", 0)
    F.lift_titles(fig)  # the titles go up by 12 px more than a grid's own shift, and the top margin with them
    assert fig.to_dict()["layout"]["annotations"][0]["yshift"] == F.SUBTITLE_SHIFT + 12
    assert fig.to_dict()["layout"]["margin"]["t"] == top + 12
    assert pio.from_json(fig.to_json()).layout.yaxis.range == (1.5, -0.5)  # plotly.py reads it back: valid


def _slide(n_steps: int):
    grid = F.Grid(z=np.zeros((40, 40)), title="input")
    steps = [F.Step(window=(k // 38, k % 38), cell=(k // 38, k % 38), title=f"step {k}") for k in range(n_steps)]
    return F.slide_figure([(grid, None)], F.Grid(z=np.zeros((38, 38)), title="out"), (3, 3), steps)


def test_a_spec_builds_no_plotly_figure_of_its_own(monkeypatch):
    """go.Figure's __init__ (a Layout of some 160 properties and Plotly's template) ran for every Spec, 1.1 ms each;
    a Spec is still a go.Figure for st.plotly_chart, and each keeps its own figure."""
    import pickle

    import plotly.graph_objects as go

    F.Spec({"data": []})  # the shared empty state exists
    built = []
    original = go.Figure.__init__
    monkeypatch.setattr(go.Figure, "__init__", lambda self, *a, **k: (built.append(1), original(self, *a, **k)))
    a = F.Spec({"data": [{"type": "heatmap", "z": [[1]]}], "layout": {"title": {"text": "a"}}})
    b = F.Spec({"data": [], "layout": {"title": {"text": "b"}}})
    assert built == []
    assert isinstance(a, go.Figure) and a != b
    a.update_layout(height=300)
    assert b.to_dict() == {"data": [], "layout": {"title": {"text": "b"}}}
    assert json.loads(a.to_json())["layout"] == {"title": {"text": "a"}, "height": 300}
    assert pickle.loads(pickle.dumps(a)) == a


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("update_xaxes", {"range": [0, 1]}),
        ("add_annotation", {"text": "x"}),
        ("update_traces", {}),
        ("update", {"layout": {"width": 1}}),
    ],
)
def test_go_figures_other_setters_refuse_to_write_into_the_state_every_spec_shares(method, args):
    """The Specs share one empty go.Figure's Layout and data: update_xaxes on one would have written into all of them
    (and into none of the specs that are drawn)."""
    a = F.Spec({"data": [], "layout": {}})
    with pytest.raises(TypeError, match="update_layout and update_annotations only"):
        getattr(a, method)(**args)
    import plotly.graph_objects as go

    assert F.Spec({"data": []}).layout.to_plotly_json() == go.Figure(layout={"template": {}}).layout.to_plotly_json()
    assert a.update_layout(width=300).to_dict() == {"data": [], "layout": {"width": 300}}


def test_the_slider_marks_every_frame_of_a_short_animation():
    spec = _slide(36).to_dict()
    marks = [s["label"] for s in spec["layout"]["sliders"][0]["steps"]]
    assert marks == [str(k + 1) for k in range(36)] and len(spec["frames"]) == 36


def test_a_long_animation_keeps_every_frame_but_a_light_slider():
    spec = _slide(1444).to_dict()
    marks = [int(s["label"]) for s in spec["layout"]["sliders"][0]["steps"]]
    assert len(spec["frames"]) == 1444  # play and the step buttons go through all of them
    assert len(marks) <= F.MAX_SLIDER_STEPS + 1 and marks[0] == 1 and marks[-1] == 1444
    assert marks == sorted(marks) and len(set(np.diff(marks[:-1]))) == 1  # evenly spaced, then the last
    # the step buttons name no frame (ui/player.js moves one frame from the one shown), so no frame rewrites them
    nav = spec["layout"]["updatemenus"][1]["buttons"]
    assert [(b["label"], b["method"]) for b in nav] == [("◀ step", "skip"), ("step ▶", "skip")]
    assert all(set(f["layout"]) == {"title"} for f in spec["frames"])


def test_a_downloaded_animation_brings_the_step_buttons_script_and_a_still_figure_does_not():
    animated = _slide(3).to_html(include_plotlyjs=False, full_html=True)
    assert F.PLAYER_JS in animated and animated.count("window.__convPlayer = {") == 1
    assert all(f'"{label}"' in F.PLAYER_JS for label in F.STEP_BUTTONS)  # it looks for the buttons' labels
    with_mine = _slide(3).to_html(include_plotlyjs=False, post_script="console.log('mine')")
    assert F.PLAYER_JS in with_mine and "console.log('mine')" in with_mine
    still = F.grids_figure([F.Grid(np.zeros((2, 2)), "z")], cols=1).to_html(include_plotlyjs=False)
    assert "__convPlayer" not in still


def test_an_axis_labels_every_cell_up_to_16_and_lets_plotly_space_them_past_that():
    """(16 rows, 17 columns): the rows keep one label a cell, the columns get Plotly's spacing for their length (the
    browser test checks the labels it then draws: whole cells, 2, 5 or 10 apart, none overlapping)."""
    layout = F.grids_figure([F.Grid(np.zeros((16, 17)), "z")], cols=1).to_dict()["layout"]
    assert layout["yaxis"]["tickmode"] == "linear" and layout["yaxis"]["dtick"] == 1
    assert layout["xaxis"]["tickmode"] == "auto" and "dtick" not in layout["xaxis"]
    assert layout["xaxis"]["range"] == [-0.5, 16.5] and layout["yaxis"]["range"] == [15.5, -0.5]
