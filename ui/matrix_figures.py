"""Figures of the matrix view (C and Cᵀ, im2col and col2im), built from arrays the core computed. Layout only.

Shapes (one example): ``C (R, Q)`` with ``R = n_H n_W n_C`` output cells and ``Q = n_H_prev n_W_prev n_C_prev`` input
cells, both flattened row-major (NHWC); ``taps (R, Q)`` the kernel tap ``u * f_W + v`` each entry holds, ``-1`` where C
is zero; the patch matrix ``(n_H n_W, f_H f_W n_C_prev)``; the weight matrix ``(f_H f_W n_C_prev, n_C)``.

A product is drawn in one coordinate system, so that every cell is square and the factors line up with the result:
``right = M · top`` puts the vector ``top`` as a strip above ``M`` (entry ``q`` above column ``q``) and the result as a
column at the right of ``M`` (entry ``r`` beside row ``r``); a matrix product ``R = L · T`` puts ``T`` above ``R`` and
``L`` left of it (Falk's scheme): each result cell sits where its row of ``L`` meets its column of ``T``. Kernel entries
are coloured by tap position (the position colours of the other pages, fixed from the first tap to the last, so a
colour names a weight); structural zeros are faint and carry no number; data (inputs, gradients) use the signed scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import limits
from .figures import HILITE, PAD_GREY, POSITION, SIGNED, Grid, Spec, fmt, grids_figure, lift_titles
from .pick_figures import pick_layer

__all__ = [
    "Panel",
    "flattening_figure",
    "matvec_figure",
    "gemm_figure",
    "row_figure",
    "verdict_figure",
    "col2im_figure",
    "drawable",
]

ZERO = "#f3f3f3"  # a structural zero of C: faint, no number
WIDTH_PX = 1000  # the width a figure is sized for (the main column of the wide layout); narrower screens shrink cells
HEIGHT_PX = 1000  # the height a drawing aims to stay within: a tall matrix gets smaller cells


def drawable(rows: int, cols: int) -> bool:
    """True when a ``rows x cols`` matrix is small enough to draw (:data:`ui.limits.MAX_MATRIX_DRAWN` cells)."""
    return rows * cols <= limits.MAX_MATRIX_DRAWN


@dataclass
class Panel:
    """One matrix placed in a figure. ``z (rows, cols)``; ``taps`` colours it by kernel tap instead of value
    (``-1``: a structural zero, drawn faint); ``pad`` marks padding cells (grey); ``name`` prefixes the hover text."""

    z: np.ndarray
    title: str
    taps: np.ndarray | None = None
    n_taps: int = 1
    pad: np.ndarray | None = None
    name: str = ""


def _heatmap(**trace) -> dict:
    """A heatmap in Plotly.js's own terms (no validation: see :class:`ui.figures.Spec`), unset options left out."""
    return {"type": "heatmap", **{k: v for k, v in trace.items() if v is not None}}


def _scatter(**trace) -> dict:
    return {"type": "scatter", **trace}


class _Drawing:
    """The traces and labels of one drawing on a single pair of axes, turned into a :class:`Spec` by :func:`_finish`."""

    def __init__(self):
        self.data: list[dict] = []
        self.annotations: list[dict] = []

    def add_trace(self, trace: dict) -> None:
        self.data.append(trace)

    def update_layout(self, annotations: list[dict]) -> None:
        self.annotations = annotations


def _texts(z: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    text = np.vectorize(fmt, otypes=[object])(z)
    return text if keep is None else np.where(keep, text, "")


def _traces(p: Panel, x0: float, y0: float, zmax: float, numbers: bool, font: int) -> list:
    """The heatmaps of one panel with its top-left cell at ``(x0, y0)`` (one unit a cell)."""
    z = np.asarray(p.z, dtype=np.float64)
    where = dict(x0=x0, dx=1, y0=y0, dy=1, xgap=1, ygap=1, showscale=False, hoverongaps=False)
    hover = f"{p.name}[%{{customdata}}] = %{{text}}<extra></extra>" if p.name else "%{text}<extra></extra>"
    rows, cols = z.shape
    index = np.array(
        [
            [f"{r}, {c}" if cols > 1 and rows > 1 else f"{r if cols == 1 else c}" for c in range(cols)]
            for r in range(rows)
        ]
    )
    out = []
    if p.taps is not None:
        weight = p.taps >= 0
        out.append(
            _heatmap(
                z=np.where(weight, np.nan, 0.0),
                colorscale=[[0, ZERO], [1, ZERO]],
                hoverinfo="skip",
                **where,
            )
        )
        out.append(
            _heatmap(
                z=np.where(weight, p.taps, np.nan),
                zmin=0,
                zmax=max(p.n_taps - 1, 1),
                colorscale=POSITION,
                text=_texts(z, weight),
                texttemplate="%{text}" if numbers else None,
                textfont=dict(size=font),
                customdata=index,
                hovertemplate=hover,
                **where,
            )
        )
        return out
    body = z.copy()
    text = _texts(z)
    if p.pad is not None:
        body[p.pad] = np.nan
    out.append(
        _heatmap(
            z=body,
            zmid=0,
            zmin=-zmax,
            zmax=zmax,
            colorscale=SIGNED,
            text=text,
            texttemplate="%{text}" if numbers else None,
            textfont=dict(size=font),
            customdata=index,
            hovertemplate=hover,
            **where,
        )
    )
    if p.pad is not None and p.pad.any():
        out.append(
            _heatmap(
                z=np.where(p.pad, 0.0, np.nan),
                colorscale=[[0, PAD_GREY], [1, PAD_GREY]],
                text=np.where(p.pad, "0", ""),
                texttemplate="%{text}" if numbers else None,
                textfont=dict(size=font, color="#555"),
                hovertemplate="padding: 0<extra></extra>",
                **where,
            )
        )
    return out


def _outline(x0: float, y0: float, cols: int, rows: int, color: str = HILITE, width: float = 3) -> dict:
    """A rectangle around the cells ``[x0, x0 + cols) x [y0, y0 + rows)``."""
    xs = [x0 - 0.5, x0 + cols - 0.5, x0 + cols - 0.5, x0 - 0.5, x0 - 0.5]
    ys = [y0 - 0.5, y0 - 0.5, y0 + rows - 0.5, y0 + rows - 0.5, y0 - 0.5]
    return _scatter(x=xs, y=ys, mode="lines", line=dict(color=color, width=width), hoverinfo="skip", showlegend=False)


def _label(x: float, y: float, text: str, anchor: str = "center", size: int = 14) -> dict:
    return dict(
        x=x, y=y, xref="x", yref="y", text=text, showarrow=False, xanchor=anchor, yanchor="bottom", font=dict(size=size)
    )


def _side(y: float, text: str) -> dict:
    """A short label left of the drawing, vertically centred on row ``y`` (the margin keeps room for it)."""
    return dict(
        x=-0.7,
        y=y,
        xref="x",
        yref="y",
        text=text,
        showarrow=False,
        xanchor="right",
        yanchor="middle",
        font=dict(size=15),
    )


def _sized(cols: int, rows: int) -> tuple[float, int, float]:
    """``(cell px, font px, label cells)`` for a drawing of ``cols x rows`` cells within :data:`WIDTH_PX` x
    :data:`HEIGHT_PX`: the label height in cells (a 22 px line of text) tells how much room a title needs."""
    cell = max(4.0, min(34.0, WIDTH_PX / cols, HEIGHT_PX / max(rows, 1)))
    return cell, int(max(8, min(13, cell * 0.42))), max(1.2, 22 / cell)


def _finish(fig: _Drawing, x_range, y_range, cell: float) -> Spec:
    """Square cells on one pair of hidden axes (row 0 at the top); the height fits the drawing at ``cell`` px."""
    rows = abs(y_range[0] - y_range[1])
    height = int(min(1600, max(200, cell * rows + 50)))
    layout = dict(
        # automargin off, as in ui.figures._Subplots: hidden axes push no margin, only extra layout passes
        xaxis=dict(range=list(x_range), visible=False, constrain="domain", automargin=False),
        yaxis=dict(range=list(y_range), visible=False, scaleanchor="x", constrain="domain", automargin=False),
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        annotations=fig.annotations,
    )
    return Spec({"data": fig.data, "layout": layout})


def _zmax(*arrays: np.ndarray) -> float:
    m = max([float(np.abs(a).max()) for a in arrays if np.size(a)] + [0.0])
    return m if m > 0 else 1.0


def _numbers(rows: int, cols: int, cell: float) -> bool:
    return rows * cols <= limits.MAX_MATRIX_NUMBERS and cell >= 14


def matvec_figure(
    M: Panel,
    top: Panel,
    right: Panel,
    highlight_col: int | None = None,
    highlight_row: int | None = None,
    pick: str | None = None,
) -> Spec:
    """``right = M · top``: the vector ``top (Q,)`` as a strip above ``M (R, Q)``, the result ``right (R,)`` as a
    column at its right. ``highlight_col`` outlines a column of M and its entry of ``top``; ``highlight_row`` a row
    of M and its entry of ``right``. ``pick`` ``"cols"`` (or ``"rows"``): a click on a weight of M or on an entry of
    ``top`` (of ``right``) picks its column (row): it reports ``x``, the column (``y``, the row)."""
    R, Q = M.z.shape
    cell, font, label = _sized(Q + 5, R + 5)
    gap = int(np.ceil(label)) + 1  # rows between the strip and the matrix: room for the matrix's title
    x_right = Q + 1
    top_y = -gap - 1
    vec_numbers = cell >= 12
    fig = _Drawing()
    strip = Panel(
        np.reshape(top.z, (1, Q)), "", pad=None if top.pad is None else np.reshape(top.pad, (1, Q)), name=top.name
    )
    for t in _traces(strip, 0, top_y, _zmax(top.z), vec_numbers, font):
        fig.add_trace(t)
    for t in _traces(M, 0, 0, _zmax(M.z), _numbers(R, Q, cell), font):
        fig.add_trace(t)
    for t in _traces(
        Panel(np.reshape(right.z, (R, 1)), "", name=right.name), x_right, 0, _zmax(right.z), vec_numbers, font
    ):
        fig.add_trace(t)
    if pick is not None:
        for t in _pick_traces(M, top, right, pick, top_y, x_right):
            fig.add_trace(t)
    if highlight_col is not None:
        fig.add_trace(_outline(highlight_col, 0, 1, R))
        fig.add_trace(_outline(highlight_col, top_y, 1, 1))
    if highlight_row is not None:
        fig.add_trace(_outline(0, highlight_row, Q, 1))
        fig.add_trace(_outline(x_right, highlight_row, 1, 1))
    fig.update_layout(
        annotations=[
            _side(top_y, top.title),
            _side((R - 1) / 2, M.title),
            _label(x_right, -0.55, right.title, "center"),
        ]
    )
    side = max(1.5, 40 / cell)  # room on the left for the labels (Plotly hides annotations outside the axes' range)
    return _finish(fig, [-0.5 - side, x_right + 0.5], [R - 0.5, top_y - 0.5 - label], cell)


def _pick_traces(M: Panel, top: Panel, right: Panel, pick: str, top_y: float, x_right: float) -> list[dict]:
    """The pick layers of :func:`matvec_figure`: on M's weights (every cell when M is not a kernel's matrix) and on
    the vector whose entries name the columns (``top``, at row ``top_y``) or the rows (``right``, at ``x_right``)."""
    R, Q = M.z.shape
    cells = M.taps >= 0 if M.taps is not None else np.ones((R, Q), bool)
    out = [pick_layer(cells, M.z, f"{M.name}[%{{y}}, %{{x}}] = %{{customdata:.4g}}")]
    if pick == "cols":
        vec = np.reshape(top.z, (1, Q))
        out.append(pick_layer(np.ones_like(vec, bool), vec, f"{top.name}[%{{x}}] = %{{customdata:.4g}}", y0=top_y))
    else:
        vec = np.reshape(right.z, (R, 1))
        out.append(pick_layer(np.ones_like(vec, bool), vec, f"{right.name}[%{{y}}] = %{{customdata:.4g}}", x0=x_right))
    return out


def gemm_figure(left: Panel, top: Panel, result: Panel) -> Spec:
    """``result = left · top`` in Falk's scheme: ``top (K, N)`` above ``result (M, N)``, ``left (M, K)`` to its left,
    so each result cell is where its row of ``left`` meets its column of ``top``."""
    M_, K = left.z.shape
    N = top.z.shape[1]
    cell, font, label = _sized(K + 1 + N, K + M_ + 4)
    gap = int(np.ceil(label)) + 1
    x_res = K + 1
    y_top = -gap - K
    fig = _Drawing()
    for panel, x0, y0 in ((top, x_res, y_top), (left, 0, 0), (result, x_res, 0)):
        rows, cols = panel.z.shape
        for t in _traces(panel, x0, y0, _zmax(panel.z), _numbers(rows, cols, cell), font):
            fig.add_trace(t)
    below = _label(x_res + N - 0.5, M_ - 0.45, result.title, "right")
    below["yanchor"] = "top"
    fig.update_layout(
        annotations=[
            _label(x_res + N - 0.5, y_top - 0.55, top.title, "right"),
            _label(-0.5, -0.55, left.title, "left"),
            below,
        ]
    )
    return _finish(fig, [-0.5, x_res + N - 0.5], [M_ - 0.5 + label, y_top - 0.5 - label], cell)


def flattening_figure(A_prev: np.ndarray, Z: np.ndarray) -> Spec:
    """The flattening order: each cell of ``A_prev (n_H_prev, n_W_prev, n_C_prev)`` and ``Z (n_H, n_W, n_C)`` with its
    index in the flattened vector (row-major over height, width, channel), one panel per channel."""
    fig = _Drawing()
    labels = []
    x = 0
    shown = (A_prev.shape[0] + Z.shape[0]) <= 2 * limits.MAX_SHOWN
    for arr, vec, what in ((A_prev, "a", "A_prev"), (Z, "z", "Z")):
        H, W_, C = arr.shape
        index = np.arange(H * W_ * C).reshape(H, W_, C)
        for k in range(C):
            q = index[:, :, k]
            fig.add_trace(
                _heatmap(
                    z=np.zeros((H, W_)),
                    x0=x,
                    dx=1,
                    y0=0,
                    dy=1,
                    colorscale=[
                        [0, "#eef3fb" if vec == "a" else "#fbf1e6"],
                        [1, "#eef3fb" if vec == "a" else "#fbf1e6"],
                    ],
                    showscale=False,
                    xgap=1,
                    ygap=1,
                    text=q.astype(str),
                    texttemplate="%{text}" if shown else None,
                    textfont=dict(size=12),
                    customdata=_texts(arr[:, :, k]),
                    hovertemplate=f"{vec}[%{{text}}] = {what}[row, col, {k}] = %{{customdata}}<extra></extra>",
                )
            )
            title = f"{what}[:, :, {k}] → {vec}[…]" if C > 1 else f"{what} → {vec}[…]"
            labels.append(_label(x - 0.5, -0.6, title, "left", 13))
            x += W_ + 1
        x += 1
    fig.update_layout(annotations=labels)
    rows = max(A_prev.shape[0], Z.shape[0])
    cell, _, label = _sized(max(x, 24), rows + 2)  # at most 34 px a cell: a small input stays small
    return _finish(fig, [-0.5, x - 1.5], [rows - 0.5, -0.5 - label], cell)


def row_figure(row: np.ndarray, taps: np.ndarray, n_taps: int, kernel_w: int, out_shape: tuple, q_name: str) -> Spec:
    """Row ``q`` of Cᵀ (one input cell): the strip ``(R,)`` in the order of the output cells, each weight coloured by
    its tap and labelled ``(u, v)``, then the same row laid out like the output, one ``(n_H, n_W)`` panel per filter.
    Read along the strip, ``(u, v)`` falls: the kernel reversed."""
    n_H, n_W, n_C = out_shape
    R = row.size
    weight = taps >= 0
    panels_w = n_C * (n_W + 1) - 1
    total_cols = max(R, panels_w)
    cell, font, label = _sized(total_cols, n_H + 4)
    gap = int(np.ceil(label)) + 1
    text = np.vectorize(fmt, otypes=[object])(row)
    tap_uv = [f"({t // kernel_w}, {t % kernel_w})" if t >= 0 else "" for t in taps]
    small = cell >= 30
    strip_text = np.array(
        [[f"{uv}<br>{v}" if small and uv else (v if uv else "") for uv, v in zip(tap_uv, text, strict=True)]]
    )
    where = dict(xgap=1, ygap=1, showscale=False, hoverongaps=False, dx=1, dy=1)
    fig = _Drawing()
    hover = np.array(
        [
            [
                f"dZ[{r // n_C // n_W}, {r // n_C % n_W}, {r % n_C}] ← W tap {uv}" if uv else ""
                for r, uv in enumerate(tap_uv)
            ]
        ]
    )
    fig.add_trace(
        _heatmap(
            z=np.where(weight, np.nan, 0.0)[None],
            colorscale=[[0, ZERO], [1, ZERO]],
            hoverinfo="skip",
            x0=0,
            y0=0,
            **where,
        )
    )
    fig.add_trace(
        _heatmap(
            z=np.where(weight, taps, np.nan)[None],
            zmin=0,
            zmax=max(n_taps - 1, 1),
            colorscale=POSITION,
            text=strip_text,
            texttemplate="%{text}" if cell >= 12 else None,
            textfont=dict(size=font),
            customdata=hover,
            hovertemplate="%{customdata}: %{text}<extra></extra>",
            x0=0,
            y0=0,
            **where,
        )
    )
    labels = [_label(-0.5, -0.6, f"row {q_name} of Cᵀ, in the order of the output cells (dZ flattened)", "left", 13)]
    y0 = gap
    for c in range(n_C):
        x0 = c * (n_W + 1)
        t_c = taps.reshape(n_H, n_W, n_C)[:, :, c]
        v_c = row.reshape(n_H, n_W, n_C)[:, :, c]
        w_c = t_c >= 0
        fig.add_trace(
            _heatmap(
                z=np.where(w_c, np.nan, 0.0), colorscale=[[0, ZERO], [1, ZERO]], hoverinfo="skip", x0=x0, y0=y0, **where
            )
        )
        fig.add_trace(
            _heatmap(
                z=np.where(w_c, t_c, np.nan),
                zmin=0,
                zmax=max(n_taps - 1, 1),
                colorscale=POSITION,
                text=_texts(v_c, w_c),
                texttemplate="%{text}" if cell >= 12 else None,
                textfont=dict(size=font),
                hovertemplate="%{text}<extra></extra>",
                x0=x0,
                y0=y0,
                **where,
            )
        )
        labels.append(_label(x0 - 0.5, y0 - 0.6, "laid out like Z" + (f"[:, :, {c}]" if n_C > 1 else ""), "left", 13))
    fig.update_layout(annotations=labels)
    return _finish(fig, [-0.5, total_cols - 0.5], [y0 + n_H - 0.5, -0.5 - label], cell)


def verdict_figure(forms: dict[str, np.ndarray]) -> Spec:
    """dA_prev of one channel ``(n_H_prev, n_W_prev)`` by each form, side by side on one colour scale."""
    grids = [Grid(z=z, title=name) for name, z in forms.items()]
    return lift_titles(grids_figure(grids, cols=len(grids), height=380))


def col2im_figure(dA: np.ndarray, cover: np.ndarray, identity: np.ndarray, channel: str) -> Spec:
    """col2im's result (dA_prev), the cover count (windows per input cell) and col2im(im2col(A_prev)), one channel."""
    grids = [
        Grid(z=dA, title=f"col2im(dcols) = dA_prev{channel}"),
        Grid(z=cover, title="cover count: windows per cell"),
        Grid(z=identity, title=f"col2im(im2col(A_prev)){channel}"),
    ]
    return lift_titles(grids_figure(grids, cols=3, height=380, shared_scale=False))
