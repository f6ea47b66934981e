"""Page-level widgets shared by several pages (upstream-gradient choice, channel pickers, downloads, charts whose
cells a click picks)."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from . import charts, limits, pick_figures, presets
from .controls import stage, typed_blocks

__all__ = ["dz_control", "index_select", "figure_download", "pick_chart", "stage_pick"]


def index_select(label: str, n: int, key: str) -> int:
    """A bound selectbox over ``range(n)``; returns 0 without a widget when ``n == 1``.

    No ``format_func``: a bound selectbox writes its *displayed* label into the URL, so the label is the value.
    """
    if n <= 1:
        return 0
    value = st.selectbox(label, range(n), key=key, bind="query-params")
    return min(int(value), n - 1)


def dz_control(n_H: int, n_W: int, n_C: int, seed: int, what: str = "dZ") -> np.ndarray:
    """Choose the upstream gradient ``(n_H, n_W, n_C)``: ones, random integers, a single 1, or typed."""
    cols = st.columns([2, 1, 1, 1])
    with cols[0]:
        preset = st.selectbox(
            f"Upstream gradient {what}",
            presets.DZ_PRESETS,
            key="dz",
            bind="query-params",
            help=(
                "'single 1' is the clearest demonstration: dA_prev is then one copy of the kernel stamped at "
                "that window."
                if what == "dZ"
                else "'single 1' sends the gradient of one output cell back through its window alone."
            ),
        )
    if preset == "single 1":
        with cols[1]:
            h = st.number_input("row h", 0, n_H - 1, min(n_H // 2, n_H - 1), key="dz_h", bind="query-params")
        with cols[2]:
            w = st.number_input("col w", 0, n_W - 1, min(n_W // 2, n_W - 1), key="dz_w", bind="query-params")
        with cols[3]:
            c = st.number_input("channel", 0, n_C - 1, 0, key="dz_c", bind="query-params") if n_C > 1 else 0
        dz = presets.make_dz(preset, n_H, n_W, n_C, seed, (int(h), int(w), int(c)))
        with st.columns([1, 2] if n_W <= 12 else [1, 1])[0]:
            where = f"{what}[:, :, {int(c)}]" if n_C > 1 else what
            fig = pick_figures.picker_figure(dz[:, :, int(c)], f"{where}: click a cell to move the 1", (int(h), int(w)))
            pick = pick_chart(fig, "dz_pick")
            if pick is not None and 0 <= pick[1] < n_H and 0 <= pick[0] < n_W:
                stage_pick({"dz_h": pick[1], "dz_w": pick[0]}, {"dz_h": int(h), "dz_w": int(w)})
        return dz
    if preset == "custom":
        blocks = typed_blocks(
            "dz_text",
            f"Custom {what} ({n_H} x {n_W}, one matrix per output channel)",
            max_rows=limits.MAX_INPUT + 2 * limits.MAX_PAD,
            max_cols=limits.MAX_INPUT + 2 * limits.MAX_PAD,
            max_blocks=limits.MAX_CHANNELS,
            help="Rows of numbers; separate output channels with a blank line or '|'.",
        )
        if blocks is not None and blocks[0].shape == (n_H, n_W) and len(blocks) in (1, n_C):
            return np.stack(blocks * n_C if len(blocks) == 1 else blocks, axis=-1)
        if blocks is not None:
            st.error(
                f"{what} must be {n_H} x {n_W} (the forward output's size) with 1 or {n_C} matrices; got "
                f"{len(blocks)} matrix/matrices of {blocks[0].shape[0]} x {blocks[0].shape[1]}. Using ones.",
                icon=":material/warning:",
            )
        return np.ones((n_H, n_W, n_C))
    return presets.make_dz(preset, n_H, n_W, n_C, seed)


def figure_download(fig, name: str, key: str) -> None:
    """A button that downloads the figure as a standalone HTML file (built only when clicked)."""
    st.download_button(
        "Download this figure (HTML)",
        data=lambda: fig.to_html(include_plotlyjs=True, full_html=True),
        file_name=f"{name}.html",
        mime="text/html",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


def pick_chart(fig, key: str, **kwargs) -> tuple[int, int] | None:
    """:func:`ui.charts.show` (``st.plotly_chart`` with its numbers behind an expander) of a figure with a pick layer
    (:func:`ui.pick_figures.pick_layer`): the ``(x, y)`` of the clicked cell, in the figure's own coordinates, or None
    when nothing was clicked. The caller checks the cell against what it can pick (the report comes from the
    browser).

    Streamlit 1.67 computes a chart's element id from its spec, so a chart whose figure changes (the picked cell is
    outlined) starts with no selection: a pick is reported once.
    """
    kwargs.setdefault("width", "stretch")
    event = charts.show(fig, key=key, on_select="rerun", selection_mode=("points",), **kwargs)
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or ():
        try:
            x, y = float(point["x"]), float(point["y"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(x) and math.isfinite(y) and x == round(x) and y == round(y):
            return int(x), int(y)
    return None


def stage_pick(values: dict, current: dict) -> None:
    """Write a pick into the bound boxes it sets (``values`` by key), unless they hold it already; then rerun."""
    if any(current.get(k) != v for k, v in values.items()):
        stage(values)
