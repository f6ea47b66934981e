"""A chart on a page: ``st.plotly_chart`` with its text alternative, and presentation mode's larger fonts.

:func:`show` takes what ``st.plotly_chart`` takes. Under each chart a collapsed expander, "The numbers in this
figure", holds every matrix the figure draws as a table (:func:`ui.figures.figure_tables`, shown by
:func:`ui.tables.show_table`), for a screen reader, for a colour-blind reader, or to copy them; it is built only
while it is open, so a closed one costs the page nothing.

A chart is drawn once, not twice (:func:`for_browser`). Streamlit 1.67's chart element draws a figure, then applies
its theme to it again on mount, a JSON copy with the theme's template; Plotly sees new data arrays and a new
template, and draws the whole figure a second time. So the figures go to the browser without Streamlit's theme
(``theme=None``) and with a ``datarevision``, a hash of their data: Plotly then compares the revision instead of
the arrays, and the second pass changes nothing. Streamlit's theme is written into each figure's layout instead, as
plain values with the same sizes and spacing, and its colours are placeholders that ``ui/accessibility.css`` paints in
the active theme's (light or dark), as Streamlit's template did.

A chart is also cheap to send again. ``st.plotly_chart`` turns the figure into JSON on every rerun, in every
session, cache hit or not. With orjson installed (a runtime requirement) Plotly hands the figure to orjson, which
writes numeric NumPy arrays natively; but one array it cannot write (text in an object array, a transposed view)
sends the whole figure through Plotly's own cleaner, value by value in Python: 0.45 s of a 0.53 s rerun on the flip
page at 32 x 32 with four channels. :func:`for_browser` therefore hands over a figure orjson writes in one go (see
:func:`_json_ready`), built once per cached figure.
"""

from __future__ import annotations

import copy
import hashlib
import re

import numpy as np
import plotly.io as pio
import streamlit as st

try:
    import orjson
except ImportError:  # a runtime requirement; without it Plotly's json engine is used, slower, with the same JSON
    orjson = None

from . import figures, presentation
from .tables import show_table

__all__ = ["show", "for_browser", "TEXT", "HEADING", "LINE", "SURFACE", "BORDER"]

# The theme's colours as placeholders, one per role. Plotly writes each colour into an inline style as rgb(), where
# the stylesheet finds it by value and paints the active theme's colour over it (ui/accessibility.css). Each is a
# mid grey that reads on a light and a dark page alike, should the stylesheet be missing.
TEXT = "#888b97"  # rgb(136, 139, 151): tick labels, subplot titles, the players' labels, hover text
HEADING = "#888b98"  # rgb(136, 139, 152): a figure's title
LINE = "#888b99"  # rgb(136, 139, 153): tick marks, zero lines, grid lines
SURFACE = "#888b9a"  # rgb(136, 139, 154): the hover label's box
BORDER = "#888b9b"  # rgb(136, 139, 155): the hover label's border
FONT = '"Source Sans", sans-serif, "Source Sans", sans-serif'  # as the theme wrote it
CLEAR = "rgba(0, 0, 0, 0)"  # the page shows through the paper and the plot area, as the theme's background did

# What Streamlit's theme set (its template for plotly_chart, 1.67), where a figure sets nothing itself.
_LAYOUT = {
    "font": {"family": FONT, "size": 12, "color": TEXT, "weight": 400},
    # bold, as the theme drew a figure's title (it wrapped the text in <b>)
    "title": {
        "font": {"family": FONT, "size": 16, "color": HEADING, "weight": 700},
        "pad": {"l": 4},
        "xanchor": "left",
        "x": 0,
    },
    "paper_bgcolor": CLEAR,
    "plot_bgcolor": CLEAR,
    "hoverlabel": {"bgcolor": SURFACE, "bordercolor": BORDER, "font": {"family": FONT, "size": 12, "color": TEXT}},
    "legend": {"font": {"size": 12, "color": HEADING}, "bordercolor": CLEAR, "borderwidth": 0, "valign": "top"},
    "margin": {"pad": 8, "r": 0, "l": 0},
}
_AXIS = {
    # Not the theme's: Plotly's default ("hide past div") measures every tick label, one forced layout each, to hide
    # those that would leave the chart's box; with automargin none does. 421 ms of a 1.5 s change on the forward page
    # at 32 x 32 with four channels (Chromium's profile); every page drew pixel for pixel the same without it.
    "ticklabeloverflow": "allow",
    "automargin": True,
    "tickcolor": LINE,
    "zerolinecolor": LINE,
    "gridcolor": LINE,
    "tickfont": {"color": TEXT, "size": 12},
}
_X_AXIS = {
    **_AXIS,
    "showgrid": False,
    "zeroline": False,
    "title": {"font": {"color": TEXT, "size": 14}, "standoff": 20},
}
_Y_AXIS = {**_AXIS, "ticklabelposition": "outside", "title": {"font": {"color": TEXT, "size": 14}, "standoff": 24}}
# What Streamlit's chart element sets on a chart that selects points, where the figure sets nothing (1.67)
_PICK_MODES = {"clickmode": "event+select", "hovermode": "closest", "dragmode": "pan"}
_ORJSON = orjson and orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY  # Plotly's options for orjson
_AXIS_NAME = re.compile(r"^([xy])axis(\d*)$")
_CARTESIAN = {None, "scatter", "heatmap", "bar", "scattergl", "contour", "histogram", "box"}


def show(fig, *, key: str, width="stretch", **kwargs):
    """Draw ``fig`` (larger in presentation mode), then its numbers behind an expander; returns what
    ``st.plotly_chart`` returns."""
    if not isinstance(fig, figures.Spec):
        fig = figures.Spec(fig.to_dict())
    shown = figures.for_projector(fig) if presentation.on() else fig
    picks = kwargs.get("on_select", "ignore") != "ignore" and "points" in kwargs.get("selection_mode", ())
    event = st.plotly_chart(for_browser(shown, picks=picks), width=width, key=key, theme=None, **kwargs)
    _numbers(fig, key)
    return event


def _json_ready(value):
    """``value`` (a spec or a part of it) as orjson writes it without help: the parts it cannot write (text in an
    object array, a transposed view) in new containers, text and object arrays as lists, numeric arrays C-contiguous;
    the rest as it is (the cached figure is shared, and not changed). The JSON is the same as Plotly's of ``value``.

    orjson is asked first, part by part: it writes a part at C speed or refuses at once, so only the way down to
    the parts it refuses is walked in Python."""
    if orjson is None:
        return value  # Plotly's own JSON engine takes NumPy as it is
    try:
        orjson.dumps(value, option=_ORJSON)
        return value
    except TypeError:
        pass
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return np.ascontiguousarray(value)
        return _json_ready(value.tolist())  # object arrays may hold arrays or NumPy scalars of their own
    return value  # Plotly's cleaner takes what orjson does not (it never comes to that for the app's figures)


def _revision(spec: dict) -> str:
    """A hash of everything a figure draws from its data: its traces and its frames."""
    text = pio.to_json({"data": spec.get("data", []), "frames": spec.get("frames", [])}, validate=False)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _themed(layout: dict, axes: set[str]) -> dict:
    """``layout`` over the theme's defaults (its own values win, as over a template's), a new dict."""
    out = copy.deepcopy(_LAYOUT)
    for name in axes | {k for k in layout if _AXIS_NAME.match(k)}:
        out[name] = copy.deepcopy(_X_AXIS if name.startswith("x") else _Y_AXIS)
    if isinstance(layout.get("title"), str):  # a title given as its text, merged as Plotly reads it
        layout = {**layout, "title": {"text": layout["title"]}}
    figures.merge(out, layout)
    return out


def _trace_axes(data: list[dict]) -> set[str]:
    """The layout names of the axes the cartesian traces draw on (``"x2"`` -> ``"xaxis2"``)."""
    names = set()
    for trace in data:
        if trace.get("type") in _CARTESIAN:
            for letter in "xy":
                ref = trace.get(f"{letter}axis") or letter
                names.add(f"{letter}axis{ref[1:]}")
    return names


def for_browser(fig: figures.Spec, picks: bool = False) -> figures.Spec:
    """``fig`` as the browser gets it: Streamlit's theme in its layout, and a ``datarevision`` and ``uirevision``,
    both the hash of its data (see the module's docstring). A new spec, ready for orjson (:func:`_json_ready`), kept on
    ``fig`` itself so that it is built once per figure; ``fig``, shared by every session, is not changed.

    The ``uirevision`` keeps what the reader did to a chart (a player's step, a zoom) when Streamlit hands Plotly the
    same figure again, for instance when the reader switches the theme: Plotly keeps the frame it shows (its data is
    not redrawn, the revision being the same), and the slider stays with it.

    ``picks``: the chart selects points on a click (``on_select``). Streamlit then sets three of its layout's modes
    after the first draw, and a new click mode redraws the whole chart; they are set here already, as Streamlit
    would."""
    memo = "_browser_picks" if picks else "_browser"
    cached = getattr(fig, memo, None)
    if cached is not None:
        return cached
    spec = _json_ready(fig.spec)
    revision = _revision(spec)
    layout = _themed(spec.get("layout", {}), _trace_axes(spec.get("data", [])))
    layout.setdefault("datarevision", revision)
    layout.setdefault("uirevision", revision)
    # the width of the chart's box from the first draw on (Plotly's default is 700 px until Streamlit sets it)
    layout.setdefault("autosize", True)
    if picks:
        for mode, value in _PICK_MODES.items():
            layout.setdefault(mode, value)
    shown = figures.Spec({**spec, "layout": layout})
    object.__setattr__(fig, memo, shown)
    return shown


def _numbers(fig, key: str) -> None:
    box = st.expander("The numbers in this figure", key=f"{key}_numbers", on_change="rerun", icon=":material/table:")
    if not box.open:
        return
    with box:
        if fig.spec.get("frames"):
            st.caption("As the figure shows them at its first step; the play button walks through the others.")
        for title, rows in figures.figure_tables(fig):
            st.markdown(f"**{title}**")
            # one column per matrix column, headed by its index, and the row index first
            show_table(
                [{"row": str(r), **{str(c): v for c, v in enumerate(row)}} for r, row in enumerate(rows)],
                alt=f"The numbers of {title}, row by row.",
            )
