"""Click a cell to pick it: the invisible layer that makes a matrix figure clickable, the outline of the picked cell,
and a small figure to pick one cell of a matrix (the single 1 of an upstream gradient). Plain Plotly.js dicts, no
streamlit (the chart and its selection events are :func:`ui.widgets.pick_chart`).

Plotly reports no selection for a click on a heatmap (its cells are not points; checked in Chromium with
``st.plotly_chart(..., on_select="rerun", selection_mode=("points",))``: a click on a bare heatmap selects nothing),
so a pickable matrix gets a scatter of invisible markers at its cell centres. A click selects the nearest marker, and
its coordinates say which cell. The layer goes on static figures only, never into an animation's frames, so it adds
nothing to what a frame carries; near a cell's centre its markers take over the heatmap's hover, so they carry the
cell's number (a typed array: the layer of a 32 x 32 panel adds about a tenth of what text would).

Plotly draws only one of the layer's markers (``marker.maxdisplayed``): they are invisible, and hover and the click's
selection are worked out from the data, not from the drawn points. Drawing and styling a path for each of the 4,096
markers made the flip page's verdict at 32 x 32 take 470 ms to draw; with one, it takes 130 ms (Chromium, 1040 px).
"""

from __future__ import annotations

import numpy as np

from .figures import HILITE, Grid, Spec, grids_figure, lift_titles

__all__ = ["pick_layer", "cell_outline", "with_outlines", "picker_figure", "PICK_HINT"]

PICK_HINT = "click to pick"


def pick_layer(
    cells: np.ndarray,
    values: np.ndarray,
    hover: str,
    *,
    x0: float = 0,
    y0: float = 0,
    xaxis: str = "x",
    yaxis: str = "y",
) -> dict:
    """Invisible markers on the True cells of ``cells (rows, cols)``, the cell ``(r, c)`` at ``(x0 + c, y0 + r)``.

    A click reports the marker's ``x`` and ``y`` (:func:`ui.widgets.pick_chart`), which say the cell. ``values``
    ``(rows, cols)``: the numbers ``hover`` (a Plotly hover template) shows as ``%{customdata}``, with ``%{x}`` and
    ``%{y}``; numbers only, sent as typed arrays, so the layer stays light beside the heatmap it covers.
    """
    rows, cols = np.nonzero(np.asarray(cells, dtype=bool))
    xs, ys = x0 + cols, y0 + rows
    small = (
        xs.size == 0
        or max(np.abs(xs).max(), np.abs(ys).max()) < 2**15
        and float(x0).is_integer()
        and float(y0).is_integer()
    )
    return dict(
        type="scatter",
        x=xs.astype(np.int16 if small else np.float64),  # cell indices: two bytes each
        y=ys.astype(np.int16 if small else np.float64),
        mode="markers",
        marker=dict(size=14, color="rgba(0, 0, 0, 0)", line=dict(width=0), maxdisplayed=1),  # see the module notes
        selected=dict(marker=dict(opacity=0)),
        unselected=dict(marker=dict(opacity=0)),
        customdata=np.asarray(values, dtype=np.float32)[rows, cols],  # shown with 4 significant digits
        hovertemplate=hover + f"<br><i>{PICK_HINT}</i><extra></extra>",
        showlegend=False,
        xaxis=xaxis,
        yaxis=yaxis,
    )


def cell_outline(x: float, y: float, xref: str = "x", yref: str = "y", w: int = 1, h: int = 1) -> dict:
    """A layout shape outlining the cells ``[x, x + w) x [y, y + h)`` of the subplot on ``xref`` / ``yref``."""
    return dict(
        type="rect",
        xref=xref,
        yref=yref,
        x0=x - 0.5,
        x1=x + w - 0.5,
        y0=y - 0.5,
        y1=y + h - 0.5,
        line=dict(color=HILITE, width=4),
        fillcolor="rgba(0, 0, 0, 0)",
        layer="above",
    )


def with_outlines(fig: Spec, shapes: list[dict]) -> Spec:
    """A copy of ``fig`` with ``shapes`` added (cached figures are shared between sessions and never changed)."""
    spec = fig.to_dict()
    layout = {**spec["layout"], "shapes": list(spec["layout"].get("shapes", [])) + shapes}
    return Spec({**spec, "layout": layout})


def picker_figure(z: np.ndarray, title: str, cell: tuple[int, int] | None, height: int | None = None) -> Spec:
    """``z (rows, cols)`` as a heatmap whose cells a click picks (it reports ``x = col``, ``y = row``), ``cell``
    ``(row, col)`` outlined."""
    z = np.asarray(z, dtype=np.float64)
    rows, cols = z.shape
    fig = grids_figure([Grid(z=z, title=title)], cols=1, height=height or int(120 + 30 * rows))
    spec = fig.to_dict()
    spec["data"].append(pick_layer(np.ones(z.shape, dtype=bool), z, "row %{y}, col %{x}: %{customdata:.4g}"))
    out = Spec(spec)
    if cell is not None:
        out = with_outlines(out, [cell_outline(cell[1], cell[0])])
    return lift_titles(out.update_layout(margin=dict(l=10, r=10, t=80, b=10)))
