"""How a figure goes to the browser (ui/charts.py): without Streamlit's theme, with the theme's look in its own layout,
and with a data revision that lets Plotly skip the second draw Streamlit's chart element asks for."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest

from tests.apphelpers import assert_clean, open_app
from ui import charts
from ui import figures as F


def _figure(z) -> F.Spec:
    return F.grids_figure([F.Grid(np.asarray(z, dtype=float), "A"), F.Grid(np.eye(2), "B")], cols=2)


def test_the_revision_is_a_hash_of_the_data_the_same_for_the_same_numbers():
    a, b = _figure([[1, 2], [3, 4]]), _figure([[1, 2], [3, 4]])
    assert a is not b
    ra, rb = charts.for_browser(a).spec["layout"], charts.for_browser(b).spec["layout"]
    assert ra["datarevision"] == rb["datarevision"] == ra["uirevision"]
    changed = charts.for_browser(_figure([[1, 2], [3, 5]])).spec["layout"]
    assert changed["datarevision"] != ra["datarevision"]  # one number: a new revision, so Plotly redraws


def test_the_revision_covers_the_frames():
    base = _figure([[1, 2], [3, 4]])
    frames = [{"name": "0", "data": [{"z": [[0, 0], [0, 0]]}], "layout": {}}]
    other = [{"name": "0", "data": [{"z": [[0, 0], [0, 1]]}], "layout": {}}]
    one = F.Spec({**base.spec, "frames": frames})
    two = F.Spec({**base.spec, "frames": other})
    assert (
        charts.for_browser(one).spec["layout"]["datarevision"] != charts.for_browser(two).spec["layout"]["datarevision"]
    )


def test_no_template_and_the_shared_figure_is_left_as_it_was():
    fig = _figure([[1, 2], [3, 4]])
    before = pio.to_json(fig.spec, validate=False)
    shown = charts.for_browser(fig)
    assert "template" not in shown.spec["layout"]
    assert pio.to_json(fig.spec, validate=False) == before  # cached figures are shared by every session
    assert charts.for_browser(fig) is shown  # built once per figure


def _awkward() -> F.Spec:
    """A figure with every kind of array the app's figures hold: numbers (one a transposed view, which orjson
    refuses), text in an object array, text as NumPy strings, and the same in a frame."""
    z = np.arange(6.0).reshape(2, 3).T
    text = np.array([["a", "b"], ["c", None], ["<b>e</b>", "f"]], dtype=object)
    names = np.array([["x"] * 2] * 3)  # NumPy strings
    trace = {"type": "heatmap", "z": z, "text": text, "texttemplate": "%{text}", "customdata": names}
    plain = {"type": "scatter", "x": np.array([0.0, 1.0]), "y": np.array([1, 2])}  # all orjson writes as it is
    frame = {"name": "0", "data": [{"z": z * 2, "text": text}], "layout": {"title": {"text": "step 0"}}}
    return F.Spec({"data": [trace, plain], "layout": {"xaxis": {"tickvals": np.array([0, 1])}}, "frames": [frame]})


def test_the_browser_copy_is_written_by_orjson_in_one_go_and_says_what_plotly_would():
    orjson = pytest.importorskip("orjson")
    fig = _awkward()
    before = pio.to_json(fig.spec, validate=False, engine="json")
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY  # Plotly's
    with pytest.raises(TypeError):  # the control: as it is, orjson refuses it and Plotly cleans it value by value
        orjson.dumps(fig.spec, option=options)
    shown = charts.for_browser(fig).spec
    theirs, ours = json.loads(before), json.loads(orjson.dumps(shown, option=options))
    assert ours["data"] == theirs["data"] and ours["frames"] == theirs["frames"]
    assert ours["layout"]["xaxis"]["tickvals"] == theirs["layout"]["xaxis"]["tickvals"] == [0, 1]
    # the shared figure keeps its arrays; what orjson writes as it is, is shared rather than copied
    assert pio.to_json(fig.spec, validate=False, engine="json") == before
    assert isinstance(fig.spec["data"][0]["text"], np.ndarray) and not fig.spec["data"][0]["z"].flags.c_contiguous
    assert shown["data"][1] is fig.spec["data"][1]


@pytest.mark.parametrize("page", ["forward", "flip", "matrix", "transposed", "weights", "pooling", "mistakes"])
def test_no_chart_of_the_app_goes_through_plotlys_slow_cleaner(page, monkeypatch):
    """Every chart is written by orjson in one go: Plotly's cleaner (Python, value by value: 0.45 s of a 0.53 s
    rerun at the largest flip page) is never asked, on a page at large sizes."""
    pytest.importorskip("orjson")
    import plotly.io._json as plotly_json

    def refuse(*args, **kwargs):
        raise AssertionError("a chart went through Plotly's cleaner")

    monkeypatch.setattr(plotly_json, "clean_to_json_compatible", refuse)
    query = {"input": "random integers", "h": "12", "w": "12", "cin": "2", "cout": "2", "pad": "1"}
    at = open_app(page, query)
    assert_clean(at)
    assert at.get("plotly_chart")


def test_the_figure_own_values_win_over_the_theme():
    fig = F.Spec(
        {
            "data": [{"type": "heatmap", "z": [[1]], "xaxis": "x2", "yaxis": "y2"}],
            "layout": {
                "font": {"size": 20},
                "margin": {"l": 33},
                "title": "a title",
                "xaxis2": {"showgrid": True, "tickfont": {"size": 9}},
                "paper_bgcolor": "#123456",
            },
        }
    )
    layout = charts.for_browser(fig).spec["layout"]
    assert layout["font"] == {"family": charts.FONT, "size": 20, "color": charts.TEXT, "weight": 400}
    assert layout["margin"] == {"pad": 8, "r": 0, "l": 33}
    assert layout["title"]["text"] == "a title" and layout["title"]["font"]["weight"] == 700
    assert layout["paper_bgcolor"] == "#123456" and layout["plot_bgcolor"] == charts.CLEAR
    # the theme's axis look on the axes the traces use, the figure's values over it
    assert layout["xaxis2"]["showgrid"] is True
    assert layout["xaxis2"]["tickfont"] == {"color": charts.TEXT, "size": 9}
    assert layout["yaxis2"]["tickcolor"] == charts.LINE and layout["yaxis2"]["ticklabelposition"] == "outside"
    assert "xaxis" not in layout  # no axis that nothing draws on (Plotly would draw an empty one)
    assert all("minor" not in layout[a] for a in ("xaxis2", "yaxis2"))  # a minor grid colour turns the grid on


def test_a_chart_that_picks_has_the_modes_streamlit_would_set_and_others_do_not():
    fig = _figure([[1, 2], [3, 4]])
    plain, picks = charts.for_browser(fig), charts.for_browser(fig, picks=True)
    assert plain is not picks
    assert {k: picks.spec["layout"][k] for k in ("clickmode", "hovermode", "dragmode")} == {
        "clickmode": "event+select",
        "hovermode": "closest",
        "dragmode": "pan",
    }
    assert not {"clickmode", "hovermode", "dragmode"} & set(plain.spec["layout"])


@pytest.mark.parametrize("page", ["forward", "flip", "matrix", "pooling"])
def test_every_chart_goes_without_streamlit_theme_and_with_its_data_revision(page):
    at = open_app(page)
    charts_on_page = at.get("plotly_chart")
    assert charts_on_page
    for el in charts_on_page:
        spec = json.loads(el.proto.spec)
        assert el.proto.theme == ""  # theme=None
        assert "template" not in spec["layout"]
        assert spec["layout"]["datarevision"] == spec["layout"]["uirevision"]
        assert spec["layout"]["autosize"] is True
