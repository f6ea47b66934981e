"""Plotly figures built from :mod:`convcore.trace` records. Plotly only: no streamlit, no maths.

Conventions shared by every figure:

- matrices are drawn as heatmaps with row 0 at the top, numbers on the cells up to
  :data:`ui.limits.MAX_SHOWN` rows and columns;
- one diverging colour scale (ColorBrewer RdBu, colour-blind safe) centred at 0: red positive, blue
  negative, white zero; padding cells are grey and never-used cells are crossed;
- kernels can be coloured by *position* instead of value (ezyang's convolution visualizer does this):
  each weight keeps its colour wherever it moves, so a rotated kernel shows its colours reversed;
- animations run in the browser as Plotly frames that move only small overlay traces (window
  rectangles, highlighted cells) and the title; the step buttons do nothing in Plotly itself (method ``skip``):
  ``ui/player.js``, loaded by the app and by every downloaded figure, moves the chart one frame from the one it
  shows, so no frame has to rewrite the buttons' targets.

Figures are built as plain dicts (:class:`Spec`), laid out here rather than by ``plotly.subplots.make_subplots``:
Plotly's per-property validation took about 80% of a page's server time on a cache miss (py-spy on the flip page),
and every trace, axis and annotation here is written in Plotly.js's own terms, so there is nothing to validate.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import get_colorscale

from . import limits

_TAG = re.compile(r"<[^>]+>")
#: the script that works the players' step buttons (:func:`_nav`), for the app's pages and for downloaded figures
PLAYER_JS = (Path(__file__).resolve().parent / "player.js").read_text()

__all__ = [
    "AnimatedFigure",
    "Spec",
    "merge",
    "Grid",
    "Step",
    "grids_figure",
    "slide_figure",
    "scatter_figure",
    "add_player",
    "lift_titles",
    "fmt",
    "pad_mask",
    "position_grid",
    "position_label",
    "sum_text",
    "SPEEDS",
    "figure_tables",
    "for_projector",
    "plain",
]

# Plotly.js knows neither "RdBu_r" nor every Python-side name: the specs carry the colours themselves.
SIGNED = get_colorscale("RdBu_r")
POSITION = get_colorscale("Viridis")
PAD_GREY = "rgba(150, 150, 150, 0.55)"
WINDOW = "#111111"
HILITE = "#e69f00"  # Okabe-Ito orange: visible on red, blue and white
SPEEDS = {"slow": 900, "normal": 400, "fast": 120}  # milliseconds per frame

# The server cannot see the screen, so every figure is laid out to read at both widths: titles are wrapped to fit a
# phone's plot width (a 390 px screen leaves about 340 px between the margins), which a desktop draws as the same
# lines, and the player's buttons take two rows, which fit a phone and sit under each other on a desktop.
PHONE_PLOT_PX = 340
CHAR_PX = 0.58  # average advance of a character of the figures' sans-serif font, in font sizes (measured: 0.5-0.56)
TITLE_SIZE, SUBTITLE_SIZE = 16, 15  # the figure's title (a frame's equation) and each subplot's title, in px
LINE_PX = 1.3  # height of a line of text, in font sizes
SUBTITLE_SHIFT = 32  # px between a subplot's top and its title's last line: room for the column numbers
# px left of the first column for its row numbers (12 px digits, the tick and a gap): the axes' automargin is off
# (see _Subplots._axes), so the margin must hold them itself
ROW_LABEL_PX = 24
DIGIT_PX = 7


@dataclass
class Grid:
    """One matrix to draw. ``z (rows, cols)``; ``pad`` marks padding cells (grey); ``cross`` marks cells
    drawn with a small x (never visited, or zeros inserted by dilation); ``positions`` colours cells by
    kernel position instead of value (same shape as ``z``, integers)."""

    z: np.ndarray
    title: str
    pad: np.ndarray | None = None
    cross: np.ndarray | None = None
    positions: np.ndarray | None = None
    cross_mode: str = "corner"  # "corner": a small x in the corner, the number stays; "center": x instead of the number
    zmax: float | None = None
    labels: tuple[str, str] = ("", "")
    text: np.ndarray | None = field(default=None, repr=False)
    inactive: bool = False  # a moving panel the window does not visit (e.g. an input channel of another group)


@dataclass
class Step:
    """One animation frame: a window at ``(row, col)`` of size ``(height, width)`` on every moving panel
    (None: no window), a highlighted ``cell`` on the result panel, and the title (the equation)."""

    window: tuple[int, int] | None
    cell: tuple[int, int] | None
    title: str
    result_z: np.ndarray | None = None
    extra_z: dict[int, np.ndarray] | None = None


def fmt(v: float) -> str:
    """A number as a learner would write it: integers without a decimal point, else 3 significant digits."""
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.3g}"


def _fmt(v: float) -> str:
    """:func:`fmt` for a heatmap cell: empty when not finite, large integers in exponent form."""
    if not np.isfinite(v):
        return ""
    if abs(v - round(v)) < 1e-9 and abs(v) < 1e6:
        return str(int(round(v)))
    return f"{v:.3g}"


def pad_mask(shape_hw: tuple[int, int], pad: int) -> np.ndarray:
    """True on the ``pad`` outer rows and columns of a padded array of ``shape_hw``."""
    m = np.ones(shape_hw, dtype=bool)
    m[pad : shape_hw[0] - pad, pad : shape_hw[1] - pad] = False
    return m


def position_label(value: float, u: int, v: int) -> str:
    """A kernel cell's text: its weight, and under it the weight's own position (u, v) in W, so that the position
    colour is never the only thing that tells a weight where it came from (colour-blind readers, grey-scale print)."""
    return f"{fmt(value)}<br><span style='font-size:0.72em'>({u}, {v})</span>"


def position_grid(k: np.ndarray, title: str, rotated: bool = False) -> Grid:
    """A kernel slice ``(f_H, f_W)`` coloured by position; ``rotated=True`` for rot180 of it (colours follow
    the weights, so they appear in reverse order). Each cell says its weight and that weight's (u, v) in W: in the
    rotated kernel cell (0, 0) reads (f_H - 1, f_W - 1)."""
    f_H, f_W = k.shape
    pos = np.arange(f_H * f_W).reshape(f_H, f_W)
    if rotated:
        pos = pos[::-1, ::-1]
    text = np.empty((f_H, f_W), dtype=object)
    for i in range(f_H):
        for j in range(f_W):
            text[i, j] = position_label(k[i, j], *divmod(int(pos[i, j]), f_W))
    return Grid(z=k, title=title, positions=pos, text=text)


def _words(text: str) -> list[str]:
    """``text`` split at the spaces a line may break at: not inside brackets, not beside ``·``."""
    words, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == " " and depth == 0 and "·" not in (text[k - 1 : k], text[k + 1 : k + 2]):
            words.append(text[start:k])
            start = k + 1
    return [*words, text[start:]]


def _pieces(word: str, max_chars: int) -> list[str]:
    """A word longer than a line, cut where a reader still sees the parts: at a space beside ``·``, before a bracket
    that opens at its top level (a short call stays whole: ``rot180(W)``), after the ", " inside one
    (``dA_prev_pad`` / ``[0:3, 0:3]``)."""
    if len(_TAG.sub("", word)) <= max_chars:
        return [word]
    cuts, depth = [], 0
    for k, ch in enumerate(word):
        if ch in "([{":
            if depth == 0 and k and (ch != "(" or k > 8):  # rot180(W) stays whole, conv_transpose2d / (dZ, W) not
                cuts.append(k)
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == " " and (depth == 0 or word[k - 1] == ","):
            cuts.append(k + 1)
    parts, start = [], 0
    for a, b in zip(cuts, [*cuts[1:], len(word)], strict=True) if cuts else ():
        if b - start > max_chars and a > start:
            parts.append(word[start:a])
            start = a
    return [*parts, word[start:]]


def wrap(text: str, width_px: float, size: float) -> str:
    """``text`` broken into lines (``<br>``) of at most ``width_px`` at font ``size``, at the spaces of
    :func:`_words` (``W · dZ[h, w]`` and ``dA[0:3, 0:3]`` stay whole) and, for a word longer than a line, at the
    places of :func:`_pieces`; HTML tags take no room."""
    max_chars = max(8, int(width_px / (CHAR_PX * size)))
    rows, row = [], ""
    for w in (piece for word in _words(text) for piece in _pieces(word, max_chars)):
        if row and len(_TAG.sub("", row)) + 1 + len(_TAG.sub("", w)) > max_chars:
            rows.append(row)
            row = w
        else:
            row = f"{row} {w}" if row else w
    return "<br>".join(r.strip() for r in [*rows, row])


def lines(text: str) -> int:
    """How many lines ``text`` takes (its ``<br>`` plus one)."""
    return text.count("<br>") + 1


def fit(text: str, width_px: float, size: float, smallest: float = 10) -> tuple[str, float]:
    """``text`` wrapped to ``width_px`` (:func:`wrap`) and the font size its longest line fits at: ``size``, or
    smaller, down to ``smallest``, when a part cannot be cut any shorter."""
    wrapped = wrap(text, width_px, size)
    longest = max(len(_TAG.sub("", line)) for line in wrapped.split("<br>"))
    fits = max(smallest, min(size, int(width_px / (CHAR_PX * max(longest, 1)))))
    return (wrapped, size) if fits == size else (wrap(text, width_px, fits), fits)  # smaller: longer lines fit


def _factor(v: float) -> str:
    text = fmt(v)
    return f"({text})" if text.startswith("-") else text


def sum_text(a: np.ndarray, b: np.ndarray, max_terms: int = 9) -> str:
    """``a0·b0 + a1·(-b1) + ...`` for two same-shape arrays (negative factors in brackets), shortened past
    ``max_terms`` terms."""
    terms = [f"{_factor(x)}·{_factor(y)}" for x, y in zip(np.ravel(a), np.ravel(b), strict=True)]
    if len(terms) > max_terms:
        terms = terms[: max_terms - 1] + ["…"] + terms[-1:]
    return " + ".join(terms)


def lift_titles(fig: Spec) -> Spec:
    """Raise the subplot titles clear of the column numbers above each grid (called before the figure is shown); the
    top margin grows as much."""
    fig.update_annotations(yshift=SUBTITLE_SHIFT + 12)
    margin = fig.spec["layout"].setdefault("margin", {})
    margin["t"] = margin.get("t", 0) + 12
    return fig


def merge(target: dict, changes: dict) -> None:
    """``target.update(changes)``, recursing into nested dicts (as Plotly's update methods do)."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value


class Spec(go.Figure):
    """A figure kept as the plain dict Plotly.js draws: ``{"data": [...], "layout": {...}, "frames": [...]}``.

    It is a ``go.Figure`` so that ``st.plotly_chart`` takes it as it is (a figure's ``to_dict`` is trusted; a dict
    would be validated, property by property). It holds nothing Python-side: ``to_dict``, ``to_plotly_json``,
    ``to_json`` and ``to_html`` read the spec, and ``update_layout`` / ``update_annotations`` change it. The figures
    are cached and shared between sessions, so they are never changed after they are built.
    """

    #: the attributes of one empty ``go.Figure``, built once and shared by every Spec (see ``__init__``)
    _EMPTY: dict | None = None

    def __init__(self, spec: dict):
        # go.Figure's own __init__ builds a Layout of some 160 properties and copies Plotly's default template into
        # it: 1.1 ms, about a tenth of a symbolic-page run, for state a Spec never reads (every method that reads or
        # writes the figure is overridden here to use ``_spec``). So that state is built once and shared: it is only
        # there for ``isinstance(fig, go.Figure)`` and for Plotly's own attribute lookups.
        empty = Spec._EMPTY
        if empty is None:
            empty = Spec._EMPTY = dict(vars(go.Figure(layout={"template": {}})))
        self.__dict__.update(empty)
        object.__setattr__(self, "_spec", spec)  # plotly objects refuse unknown attributes

    def __reduce__(self):
        return (type(self), (self._spec,))

    @property
    def spec(self) -> dict:
        return self._spec

    def to_dict(self) -> dict:
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec

    def to_json(self, *args, **kwargs) -> str:
        return pio.to_json(self._spec, *args, validate=False, **kwargs)

    def to_html(self, *args, **kwargs) -> str:
        """The figure as HTML (``plotly.io.to_html``); an animated one brings ``ui/player.js`` for its step buttons."""
        if self._spec.get("frames"):
            given = kwargs.get("post_script") or []
            kwargs["post_script"] = [PLAYER_JS, *([given] if isinstance(given, str) else given)]
        return pio.to_html(self._spec, *args, validate=False, **kwargs)

    def update_layout(self, dict1: dict | None = None, **kwargs) -> Spec:
        merge(self._spec.setdefault("layout", {}), {**(dict1 or {}), **kwargs})
        return self

    def update_annotations(self, **kwargs) -> Spec:
        for annotation in self._spec.get("layout", {}).get("annotations", []):
            merge(annotation, copy.deepcopy(kwargs))
        return self


def _refused(name: str):
    def refuse(self, *args, **kwargs):
        raise TypeError(
            f"Spec.{name}: a Spec is changed through update_layout and update_annotations only; its figure is the "
            "dict in .spec, and the go.Figure state behind it is one empty figure's, shared by every Spec"
        )

    refuse.__name__ = refuse.__qualname__ = name
    return refuse


# go.Figure's other ways of changing a figure would write into the state every Spec shares (and never reach the
# spec that is drawn): they say so instead.
for _name in dir(go.Figure):
    if (
        _name == "update" or _name.startswith(("add_", "update_", "for_each_", "plotly_", "append_", "set_", "batch_"))
    ) and (_name not in vars(Spec)):
        setattr(Spec, _name, _refused(_name))
del _name


#: a subplot axis with at most this many cells labels every cell; a longer one lets Plotly space the labels (it picks
#: at most ten, so past ten cells its step is a whole number of cells: 2, 5, 10)
EVERY_CELL_LABELLED = limits.MAX_SHOWN


class _Subplots:
    """A grid of subplots laid out as ``plotly.subplots.make_subplots`` does (same domains, axis names, titles),
    with the axes every matrix here needs: integer ticks, columns numbered on top, square cells, row 0 on top."""

    def __init__(
        self,
        rows: int,
        cols: int,
        titles: list[str],
        column_widths: list[float] | None = None,
        horizontal_spacing: float = 0.2,
        vertical_spacing: float = 0.3,
    ):
        self.rows, self.cols = rows, cols
        self.data: list[dict] = []
        self.layout: dict = {"annotations": []}
        widths = column_widths or [1.0] * cols
        free_w = 1.0 - horizontal_spacing * (cols - 1)
        x0, self._x = 0.0, []
        for w in widths:
            self._x.append((x0, x0 + free_w * w / sum(widths)))
            x0 += free_w * w / sum(widths) + horizontal_spacing
        free_h = 1.0 - vertical_spacing * (rows - 1)
        height = free_h / rows
        self._y = [
            (1.0 - r * (height + vertical_spacing) - height, 1.0 - r * (height + vertical_spacing)) for r in range(rows)
        ]
        self._titles = titles

    def _k(self, row: int, col: int) -> int:
        return (row - 1) * self.cols + col  # make_subplots numbers the subplots row by row, from 1

    def _axes(self, row: int, col: int) -> tuple[str, str]:
        """``("x3", "y3")``: the axis references of subplot (row, col), created on first use."""
        k = self._k(row, col)
        ref = "" if k == 1 else str(k)
        x_name, y_name = f"xaxis{ref}", f"yaxis{ref}"
        if x_name not in self.layout:
            # automargin off: the margins are set here, and Streamlit's theme turns it on for every axis, which
            # makes Plotly lay each chart out again until its margins settle (2.3x the drawing time of a page)
            common = dict(
                showgrid=False, zeroline=False, constrain="domain", tickmode="linear", dtick=1, automargin=False
            )
            self.layout[x_name] = dict(domain=list(self._x[col - 1]), anchor=f"y{ref}", side="top", **common)
            self.layout[y_name] = dict(domain=list(self._y[row - 1]), anchor=f"x{ref}", scaleanchor=f"x{ref}", **common)
        return f"x{ref}", f"y{ref}"

    def add(self, trace: dict, row: int, col: int) -> int:
        """Add a trace (a dict with its ``type``) to subplot (row, col); returns its index."""
        xref, yref = self._axes(row, col)
        self.data.append({**{k: v for k, v in trace.items() if v is not None}, "xaxis": xref, "yaxis": yref})
        return len(self.data) - 1

    def fit(self, row: int, col: int, shape: tuple[int, int]) -> None:
        """Fit subplot (row, col) to a matrix of ``shape``: one unit a cell, row 0 at the top."""
        self._axes(row, col)
        k = self._k(row, col)
        ref = "" if k == 1 else str(k)
        n_r, n_c = shape
        for name, n, axis_range in (("xaxis", n_c, [-0.5, n_c - 0.5]), ("yaxis", n_r, [n_r - 0.5, -0.5])):
            axis = self.layout[name + ref]
            axis["range"] = axis_range
            if n > EVERY_CELL_LABELLED:
                # Plotly's own spacing for the axis's length in pixels (at most ten labels: every 2, 5 or 10 cells
                # past this many), so that a 38-cell axis is readable on a phone and draws 4-8 labels, not 38
                axis["tickmode"] = "auto"
                axis.pop("dtick", None)

    def title_room(self, col: int) -> float:
        """The width a title over column ``col`` (from 1) may take on a phone, in px: the subplot and half of each gap
        beside it."""
        x0, x1 = self._x[col - 1]
        left = x0 - self._x[col - 2][1] if col > 1 else 0.0
        right = self._x[col][0] - x1 if col < self.cols else 0.0
        return (x1 - x0 + left / 2 + right / 2) * PHONE_PLOT_PX

    def title_lines(self) -> int:
        """Lines of the tallest subplot title, once wrapped (see :meth:`figure`)."""
        rooms = [self.title_room(k % self.cols + 1) for k in range(len(self._titles))]
        return max(
            [lines(fit(t, room, SUBTITLE_SIZE)[0]) for t, room in zip(self._titles, rooms, strict=True) if t] + [1]
        )

    def figure(self, **layout) -> Spec:
        """The figure, its subplot titles centred over the subplots that have them (as make_subplots puts them),
        each wrapped to fit its subplot on a phone."""
        for k, title in enumerate(self._titles):
            if not title:
                continue
            row, col = k // self.cols + 1, k % self.cols + 1
            (x0, x1), (_, y1) = self._x[col - 1], self._y[row - 1]
            text, size = fit(title, self.title_room(col), SUBTITLE_SIZE)
            self.layout["annotations"].append(
                dict(
                    text=text,
                    x=(x0 + x1) / 2,
                    y=y1,
                    xref="paper",
                    yref="paper",
                    xanchor="center",
                    yanchor="bottom",
                    showarrow=False,
                    yshift=SUBTITLE_SHIFT,  # clear of the column numbers on top
                    font=dict(size=size),
                )
            )
        merge(self.layout, layout)
        rows = [axis["range"][0] for name, axis in self.layout.items() if name.startswith("yaxis") and "range" in axis]
        digits = len(str(int(max(rows)))) if rows else 1  # a y range is [n_rows - 0.5, -0.5]: the last row is int(..)
        margin = self.layout.setdefault("margin", {})
        margin["l"] = max(margin.get("l", 80), ROW_LABEL_PX + DIGIT_PX * digits)
        return Spec({"data": self.data, "layout": self.layout})


def _text(z: np.ndarray) -> np.ndarray:
    return np.vectorize(_fmt, otypes=[object])(z)


def _show_numbers(z: np.ndarray) -> bool:
    return max(z.shape) <= limits.MAX_SHOWN + 2 * limits.MAX_PAD


def _heat_traces(g: Grid, zmax: float) -> list[dict]:
    z = np.asarray(g.z, dtype=np.float64)
    show = _show_numbers(z)
    text = g.text if g.text is not None else _text(z)
    traces: list[dict] = []
    if g.positions is not None:
        traces.append(
            dict(
                type="heatmap",
                z=g.positions,
                text=text if show else None,
                texttemplate="%{text}" if show else None,
                colorscale=POSITION,
                showscale=False,
                xgap=2,
                ygap=2,
                hoverongaps=False,
                hovertemplate="row %{y}, col %{x}: weight %{text}<extra></extra>",
                textfont=dict(size=14),
            )
        )
        if g.cross is not None and g.cross.any():  # e.g. the holes of a dilated kernel
            traces.append(_cross_trace(g.cross, "center"))
        return traces
    body = z.copy()
    if g.cross is not None and g.cross_mode == "center":
        text = np.where(g.cross, "", text)
    body_text = text
    if g.pad is not None:
        body[g.pad] = np.nan
        body_text = np.where(g.pad, "", text)  # each cell's number is written by one layer only
    traces.append(
        dict(
            type="heatmap",
            z=body,
            text=body_text if show else None,
            texttemplate="%{text}" if show else None,
            colorscale=SIGNED,
            zmid=0,
            zmin=-zmax,
            zmax=zmax,
            showscale=False,
            xgap=1,
            ygap=1,
            hoverongaps=False,
            hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>",
            textfont=dict(size=13),
        )
    )
    if g.pad is not None and g.pad.any():
        pad_z = np.where(g.pad, 0.0, np.nan)
        traces.append(
            dict(
                type="heatmap",
                z=pad_z,
                text=np.where(g.pad, text, "") if show else None,
                texttemplate="%{text}" if show else None,
                colorscale=[[0, PAD_GREY], [1, PAD_GREY]],
                showscale=False,
                xgap=1,
                ygap=1,
                hoverongaps=False,
                hovertemplate="padding (row %{y}, col %{x}): 0<extra></extra>",
                textfont=dict(color="#555", size=12),
            )
        )
    if g.cross is not None and g.cross.any():
        traces.append(_cross_trace(g.cross, g.cross_mode))
    return traces


def _cross_trace(cross: np.ndarray, mode: str) -> dict:
    """A small x on every True cell: in the corner (the number stays) or in the centre (instead of the number)."""
    ys, xs = np.nonzero(cross)
    corner = mode == "corner"
    return dict(
        type="scatter",
        x=xs + 0.3 if corner else xs,
        y=ys - 0.3 if corner else ys,
        mode="markers",
        marker=dict(symbol="x-thin", size=6 if corner else 9, line=dict(width=1.5, color="#444")),
        hoverinfo="skip",
        showlegend=False,
    )


def _zmax(grids: list[Grid]) -> float:
    vals = [np.nanmax(np.abs(g.z)) for g in grids if g.positions is None and np.size(g.z)]
    m = max([v for v in vals if np.isfinite(v)] + [0.0])
    return m if m > 0 else 1.0


def _add_grid(fig: _Subplots, g: Grid, zmax: float, row: int, col: int) -> int:
    """Add a grid's traces to subplot (row, col), fit the axes to it; return the index of its first trace."""
    first = len(fig.data)
    for t in _heat_traces(g, g.zmax or zmax):
        fig.add(t, row, col)
    fig.fit(row, col, np.shape(g.z))
    return first


def grids_figure(grids: list[Grid], cols: int, height: int | None = None, shared_scale: bool = True) -> Spec:
    """Several matrices side by side (small multiples), one colour scale for all when ``shared_scale``."""
    rows = -(-len(grids) // cols)
    fig = _Subplots(rows, cols, [g.title for g in grids], None, 0.06, 0.12 if rows > 1 else 0.05)
    zmax = _zmax(grids) if shared_scale else None
    for k, g in enumerate(grids):
        _add_grid(fig, g, zmax or _zmax([g]), k // cols + 1, k % cols + 1)
    extra = (fig.title_lines() - 1) * round(LINE_PX * SUBTITLE_SIZE)
    return fig.figure(height=(height or 360 * rows) + extra, margin=dict(l=10, r=10, t=80 + extra, b=10))


def _rect(r: int, c: int, h: int, w: int, color: str, width: float = 3) -> dict:
    """A closed outline around cells [r, r + h) x [c, c + w), with a light veil inside: the veil keeps a dark
    outline visible over dark cells, in the light and the dark theme alike."""
    xs = [c - 0.5, c + w - 0.5, c + w - 0.5, c - 0.5, c - 0.5]
    ys = [r - 0.5, r - 0.5, r + h - 0.5, r + h - 0.5, r - 0.5]
    return dict(
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=color, width=width),
        fill="toself",
        fillcolor="rgba(255, 255, 255, 0.28)",
        hoverinfo="skip",
        showlegend=False,
    )


def slide_figure(
    panels: list[tuple[Grid, Grid | None]],
    result: Grid,
    window_hw: tuple[int, int],
    steps: list[Step],
    height: int | None = None,
    window_stride: tuple[int, int] = (1, 1),
    window_span: tuple[int, int] | None = None,
) -> go.Figure:
    """A window sliding over the left panel of every row, a kernel in the middle, the result on the right.

    ``panels``: one ``(moving grid, kernel grid or None)`` per row (e.g. one per input channel). Every row's
    window moves together, except on rows whose grid is ``inactive``; the result (top right) gets the highlighted
    cell. ``window_stride`` draws the window as separate cells ``s`` apart (a dilated kernel's taps, dW's dilated
    dZ) instead of one rectangle when it is not (1, 1); ``window_span`` ``(rows, cols)`` adds a dashed outline of the
    whole span, so that the cells between the taps (a dilated kernel's holes) show as skipped.
    """
    n_rows = len(panels)
    has_kernel = any(k is not None for _, k in panels)
    n_cols = 3 if has_kernel else 2
    titles = []
    for r, (g, k) in enumerate(panels):
        titles.append(g.title)
        if has_kernel:
            titles.append(k.title if k is not None else "")
        titles.append(result.title if r == 0 else "")
    widths = [0.42, 0.2, 0.38] if has_kernel else [0.55, 0.45]
    fig = _Subplots(n_rows, n_cols, titles, widths, 0.07, 0.1 if n_rows > 1 else 0.05)
    zmax = _zmax([g for g, _ in panels])
    for r, (g, k) in enumerate(panels, start=1):
        _add_grid(fig, g, zmax, r, 1)
        if k is not None:
            _add_grid(fig, k, _zmax([k]), r, 2)
    result_trace = _add_grid(fig, result, _zmax([result]), 1, n_cols)
    # overlay traces, the only ones frames touch: one window per row, one highlighted result cell
    overlay = []
    f_H, f_W = window_hw
    s_H, s_W = window_stride
    first = steps[0] if steps else Step(None, None, "")
    active = [not g.inactive for g, _ in panels]
    for r in range(1, n_rows + 1):
        window = first.window if active[r - 1] else None
        overlay.append(fig.add(_scatter(_window_xy(window, f_H, f_W, s_H, s_W)), r, 1))
    overlay.append(fig.add(_scatter(_cell_xy(first.cell)), 1, n_cols))
    if window_span is not None:  # after the windows and the cell: frames list them in this order
        for r in range(1, n_rows + 1):
            overlay.append(fig.add(_scatter(_span_xy(first.window if active[r - 1] else None, window_span)), r, 1))
    frames = []
    nowhere = _xy(_window_xy(None, f_H, f_W, s_H, s_W))
    wrapped = [wrap(st_.title, PHONE_PLOT_PX, TITLE_SIZE) for st_ in steps]
    for k, st_ in enumerate(steps):
        win = _xy(_window_xy(st_.window, f_H, f_W, s_H, s_W))
        data = [win if on else nowhere for on in active] + [_xy(_cell_xy(st_.cell))]
        if window_span is not None:
            span = _xy(_span_xy(st_.window, window_span))
            data += [span if on else nowhere for on in active]
        traces = list(overlay)
        if st_.result_z is not None:
            show = _show_numbers(st_.result_z)
            data.append(dict(type="heatmap", z=st_.result_z, text=_text(st_.result_z) if show else None))
            traces.append(result_trace)
        frames.append(dict(name=str(k), data=data, traces=traces, layout=dict(title=dict(text=wrapped[k]))))
    extra, layout = _titled_layout(fig, wrapped, first.title)
    spec = fig.figure(height=(height or max(420, 380 * n_rows) + 110) + extra, **layout)
    return add_player(spec, frames)


def _titled_layout(fig: _Subplots, wrapped: list[str], first: str) -> tuple[int, dict]:
    """The pixels a figure grows by (against a plain one-line title and a one-row player) for its wrapped titles and
    the player's rows, and its title and margins: the frames' equations (``wrapped``) at the top left, the subplot
    titles under them, the player under the grids."""
    title_lines = max([lines(t) for t in wrapped] + [1])
    title_px, subtitle_px = round(LINE_PX * TITLE_SIZE), round(LINE_PX * SUBTITLE_SIZE)
    # Plotly places a title of several lines 16 px above its anchor, whatever their number: a 20 px pad keeps the
    # first line in view (measured in Chromium)
    pad = 20 if title_lines > 1 else 8
    top = pad + title_lines * title_px + 8 + SUBTITLE_SHIFT + fig.title_lines() * subtitle_px + 8
    text = wrapped[0] if wrapped else wrap(first, PHONE_PLOT_PX, TITLE_SIZE)
    layout = dict(
        title=dict(text=text, x=0.01, y=1.0, yanchor="top", pad=dict(t=pad), font=dict(size=TITLE_SIZE)),
        margin=dict(l=10, r=10, t=top, b=PLAYER_PX),
    )
    return top - 110 + PLAYER_PX - 90, layout


def _window_xy(window, f_H, f_W, s_H, s_W) -> dict:
    if window is None:
        return dict(x=[], y=[], mode="lines", hoverinfo="skip", showlegend=False)
    r, c = window
    if (s_H, s_W) == (1, 1):
        return _rect(r, c, f_H, f_W, WINDOW)
    xs, ys = [], []
    for i in range(f_H):
        for j in range(f_W):
            rr, cc = r + i * s_H, c + j * s_W
            xs += [cc - 0.45, cc + 0.45, cc + 0.45, cc - 0.45, cc - 0.45, None]
            ys += [rr - 0.45, rr - 0.45, rr + 0.45, rr + 0.45, rr - 0.45, None]
    return dict(
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=WINDOW, width=2.5),
        fill="toself",
        fillcolor="rgba(255, 255, 255, 0.28)",
        hoverinfo="skip",
        showlegend=False,
    )


def _span_xy(window, span: tuple[int, int]) -> dict:
    """A thin dashed outline of the cells ``[r, r + span_rows) x [c, c + span_cols)`` (no fill)."""
    if window is None:
        return dict(x=[], y=[], mode="lines", hoverinfo="skip", showlegend=False)
    r, c = window
    h, w = span
    return dict(
        x=[c - 0.5, c + w - 0.5, c + w - 0.5, c - 0.5, c - 0.5],
        y=[r - 0.5, r - 0.5, r + h - 0.5, r + h - 0.5, r - 0.5],
        mode="lines",
        line=dict(color=WINDOW, width=1.5, dash="dot"),
        hoverinfo="skip",
        showlegend=False,
    )


def _scatter(trace: dict) -> dict:
    return {"type": "scatter", **trace}


def _xy(trace: dict) -> dict:
    """What a frame needs to move an overlay: its coordinates (the style stays from the base figure)."""
    return dict(type="scatter", x=trace["x"], y=trace["y"])


def _cell_xy(cell) -> dict:
    if cell is None:
        return dict(x=[], y=[], mode="lines", hoverinfo="skip", showlegend=False)
    return _rect(cell[0], cell[1], 1, 1, HILITE, 4)


def scatter_figure(
    dZ: Grid,
    contribution_shape: tuple[int, int],
    running: Grid,
    steps: list[Step],
    window_hw: tuple[int, int],
    height: int = 460,
    contribution_title: str = "contribution W · dZ[h, w]",
    window_stride: tuple[int, int] = (1, 1),
    window_span: tuple[int, int] | None = None,
) -> go.Figure:
    """The scatter form: the current dZ cell (left), its contribution ``W * dZ[h, w]`` (middle) and the running
    ``dA_prev_pad`` with the window being added to (right). Frames may carry the contribution (``extra_z[0]``)
    and the running total (``result_z``) when the figure stays small enough. Pooling's backward pass uses the
    same picture with its own rule as ``contribution_title``. ``window_stride``: the window on the running total
    drawn as its taps, that far apart (a dilated kernel), inside a dashed outline of ``window_span`` cells."""
    fig = _Subplots(1, 3, [dZ.title, contribution_title, running.title], [0.3, 0.25, 0.45], 0.07, 0.3)
    zmax_dz = _zmax([dZ])
    _add_grid(fig, dZ, zmax_dz, 1, 1)
    first = steps[0]
    contrib0 = first.extra_z[0] if first.extra_z else np.zeros(contribution_shape)
    zmax_run = running.zmax or _zmax([running])
    contrib_trace = fig.add(
        dict(
            type="heatmap",
            z=contrib0,
            text=_text(contrib0),
            texttemplate="%{text}",
            colorscale=SIGNED,
            zmid=0,
            zmin=-zmax_run,
            zmax=zmax_run,
            showscale=False,
            xgap=1,
            ygap=1,
            hovertemplate="%{z:.4g}<extra></extra>",
        ),
        1,
        2,
    )
    fig.fit(1, 2, contribution_shape)
    run_trace = _add_grid(fig, running, zmax_run, 1, 3)
    f_H, f_W = window_hw
    s_H, s_W = window_stride
    overlay = [fig.add(_scatter(_cell_xy(first.cell)), 1, 1)]
    overlay.append(fig.add(_scatter(_window_xy(first.window, f_H, f_W, s_H, s_W)), 1, 3))
    if window_span is not None:
        overlay.append(fig.add(_scatter(_span_xy(first.window, window_span)), 1, 3))
    frames = []
    wrapped = [wrap(st_.title, PHONE_PLOT_PX, TITLE_SIZE) for st_ in steps]
    for k, st_ in enumerate(steps):
        data = [_xy(_cell_xy(st_.cell)), _xy(_window_xy(st_.window, f_H, f_W, s_H, s_W))]
        if window_span is not None:
            data.append(_xy(_span_xy(st_.window, window_span)))
        traces = list(overlay)
        if st_.extra_z is not None:
            c = st_.extra_z[0]
            data.append(dict(type="heatmap", z=c, text=_text(c)))
            traces.append(contrib_trace)
        if st_.result_z is not None:
            show = _show_numbers(st_.result_z)
            data.append(dict(type="heatmap", z=st_.result_z, text=_text(st_.result_z) if show else None))
            traces.append(run_trace)
        frames.append(dict(name=str(k), data=data, traces=traces, layout=dict(title=dict(text=wrapped[k]))))
    extra, layout = _titled_layout(fig, wrapped, first.title)
    spec = fig.figure(height=height + extra, **layout)
    return add_player(spec, frames)


def stamping_steps(t) -> int:
    """How many cells of a stamping trace's scattered array (:class:`convcore.trace.ScatterTrace`'s dZ,
    :class:`convcore.trace.TransposeTrace`'s X) its animation steps through (see :func:`ui.limits.animated_steps`)."""
    f_H, f_W = t.K.shape[:2]
    taps = 1 if t.dilation == 1 else f_H * f_W
    return limits.animated_steps(len(t.steps), limits.overlay_numbers(1, taps, int(t.dilation > 1)))


def stamping_figure(t, k: int, source: str, canvas: str, contribution_title: str = "contribution W · dZ[h, w]"):
    """Channel ``k`` of a stamping trace (the scatter form's dZ into ``dA_prev_pad``, the transposed convolution's X
    into ``Y_pad``): each cell ``source[h, w]`` adds ``Σ_c W[:, :, k', c] · source[h, w, c]`` (the filters ``c`` of
    ``k``'s group) to its window's taps of ``canvas``, drawn by :func:`scatter_figure`. ``source`` and ``canvas``
    name the two arrays in the titles. The running total is animated while the figure stays small (see
    :data:`ui.limits.MAX_RUNNING_CELLS`)."""
    src, pad_total = t.scattered, t.canvas
    n_C = src.shape[2]
    H_p, W_p = pad_total.shape[:2]
    f_H, f_W = t.K.shape[:2]
    d = t.dilation
    filters = t.out_channels(k)
    i = k % t.group_in  # k's index inside its group: W's third axis
    steps_hw = t.steps[: stamping_steps(t)]
    animate_total = len(steps_hw) * H_p * W_p <= limits.MAX_RUNNING_CELLS
    running = np.zeros((H_p, W_p))
    steps = []
    taps = "" if d == 1 else f":{d}"
    for h, w in steps_hw:
        r0, r1, c0, c1 = t.window(h, w)
        contrib = t.contributions[h, w, :, :, k]
        running = running.copy()
        running[r0:r1:d, c0:c1:d] += contrib
        target = f"{canvas}[{r0}:{r1}{taps}, {c0}:{c1}{taps}" + (f", {k}]" if t.n_C_prev > 1 else "]")
        if len(filters) == 1:
            c = filters.start
            wname = "W" if t.n_C_prev * n_C == 1 else f"W[:, :, {i}, {c}]"
            eq = f"{target} += {wname} · {source}[{h}, {w}{'' if n_C == 1 else f', {c}'}]"
            eq += f" = {wname} · {fmt(src[h, w, c])}"
        else:
            over = "c" if len(filters) == n_C else f"c = {filters.start}..{filters.stop - 1}"
            eq = f"{target} += Σ_{over} W[:, :, {i}, c] · {source}[{h}, {w}, c]"
        steps.append(
            Step(
                window=(r0, c0),
                cell=(h, w),
                title=eq,
                result_z=running if animate_total else None,
                extra_z={0: contrib},
            )
        )
    zmax = max(float(np.abs(pad_total[:, :, k]).max()), float(np.abs(t.contributions[..., k]).max()), 1e-12)
    run_grid = Grid(
        z=steps[0].result_z if animate_total else pad_total[:, :, k],
        title=f"{canvas} (running total)" if animate_total else f"{canvas} (final total)",
        pad=pad_mask((H_p, W_p), t.pad),
        zmax=zmax,
    )
    if len(filters) == 1:
        left = Grid(z=src[:, :, filters.start], title=source if n_C == 1 else f"{source}[:, :, {filters.start}]")
    else:
        which = "c" if len(filters) == n_C else f"c = {filters.start}..{filters.stop - 1}"
        left = Grid(z=src[:, :, filters].sum(axis=2), title=f"Σ_{which} {source}[:, :, c]")
    span = (d * (f_H - 1) + 1, d * (f_W - 1) + 1) if d > 1 else None
    return scatter_figure(
        left,
        (f_H, f_W),
        run_grid,
        steps,
        (f_H, f_W),
        contribution_title=contribution_title,
        window_stride=(d, d),
        window_span=span,
    )


def _animate_args(names, duration: int) -> list:
    return [
        names,
        dict(
            mode="immediate", fromcurrent=True, frame=dict(duration=duration, redraw=True), transition=dict(duration=0)
        ),
    ]


# The player under the grids, in three rows placed in pixels below the plot area (a fraction of the plot's height
# would move them with it): play and pause, the two step buttons, the slider. Each row fits a phone's width.
PLAY_TOP, STEP_TOP, SLIDER_TOP = 10, 46, 80
PLAYER_PX = 160  # the bottom margin that holds them


#: the step buttons' labels, back then forward (``ui/player.js`` knows each by its label)
STEP_BUTTONS = ("◀ step", "step ▶")


def _nav() -> dict:
    """The two step buttons. They are Plotly buttons that do nothing themselves (method ``skip``); a click on one is
    handled by ``ui/player.js``, which animates the chart to the neighbour of the frame it shows. Plotly's own
    ``animate`` buttons name their target frame, so each frame had to rewrite them (about 40% of an animation's JSON
    on the flip page at the defaults)."""
    return dict(
        type="buttons",
        direction="left",
        x=0.0,
        y=0.0,
        xanchor="left",
        yanchor="top",
        showactive=False,
        pad=dict(t=STEP_TOP, r=6),
        font=dict(size=14),
        buttons=[dict(label=label, method="skip") for label in STEP_BUTTONS],
    )


MAX_SLIDER_STEPS = 60  # a slider draws a tick and a label per step: 1,444 of them took most of a chart's drawing


def _marks(n: int) -> list[int]:
    """The frames the slider can jump to: all of them up to :data:`MAX_SLIDER_STEPS`, else evenly spaced ones and
    the last (play and the step buttons still go through every frame)."""
    if n <= MAX_SLIDER_STEPS:
        return list(range(n))
    every = -(-n // MAX_SLIDER_STEPS)
    return sorted(set(range(0, n, every)) | {n - 1})


def add_player(fig: Spec, frames: list[dict]) -> Spec:
    """Attach ``frames`` (plain dicts) with play (three speeds), pause, step back/forward and a scrub slider.

    Everything runs in the browser, with no server round trip: play, pause and the slider are Plotly's own, the step
    buttons are worked by ``ui/player.js`` (:func:`_nav`). Past :data:`MAX_SLIDER_STEPS` frames the slider jumps
    between evenly spaced ones (at the largest sizes a slider mark per frame took about three quarters of the chart's
    drawing time).
    """
    n = len(frames)
    if n == 0:
        return fig
    play = dict(
        type="buttons",
        direction="left",
        x=0.0,
        y=0.0,
        xanchor="left",
        yanchor="top",
        showactive=False,
        pad=dict(t=PLAY_TOP, r=6),
        font=dict(size=14),
        buttons=[dict(label=f"▶ {name}", method="animate", args=_animate_args(None, ms)) for name, ms in SPEEDS.items()]
        + [
            dict(
                label="❚❚ pause",
                method="animate",
                args=[
                    [None],
                    dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0)),
                ],
            )
        ],
    )
    layout = dict(
        updatemenus=[play, _nav()],
        sliders=[
            dict(
                active=0,
                x=0.0,
                y=0.0,
                len=1.0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=SLIDER_TOP),
                currentvalue=dict(prefix="step ", font=dict(size=13)),
                steps=[dict(label=str(k + 1), method="animate", args=_animate_args([str(k)], 0)) for k in _marks(n)],
            )
        ],
    )
    return AnimatedFigure(fig.spec, frames, layout)


class AnimatedFigure(Spec):
    """A :class:`Spec` with frames and a player (play, pause, step buttons, a slider), as :func:`add_player` makes.

    ``raw_frames`` and ``player_layout`` are the parts :func:`add_player` added, for tests and readers.
    """

    def __init__(self, spec: dict, frames: list[dict], player_layout: dict):
        spec = {**spec, "layout": {**spec["layout"], **player_layout}, "frames": frames}
        super().__init__(spec)
        object.__setattr__(self, "raw_frames", frames)
        object.__setattr__(self, "player_layout", player_layout)

    def __reduce__(self):
        return (Spec, (self._spec,))


def plain(text: str) -> str:
    """A title or cell text without its markup: line breaks as spaces, tags dropped (``9<br>(2, 2)``: ``9 (2, 2)``)."""
    return " ".join(_TAG.sub("", text.replace("<br>", " ")).split())


def _cell_texts(trace: dict) -> np.ndarray:
    """The text a heatmap trace shows on each cell ("" where it shows none): its ``text``, else its numbers."""
    z = np.asarray(trace.get("z"), dtype=np.float64)
    if trace.get("text") is not None and trace.get("texttemplate"):
        text = np.asarray(trace["text"], dtype=object).reshape(z.shape)
        return np.vectorize(lambda t: plain(str(t)) if t is not None else "", otypes=[object])(text)
    return np.vectorize(_fmt, otypes=[object])(z)


def figure_tables(fig: Spec) -> list[tuple[str, list[list[str]]]]:
    """The numbers a figure draws, as it first appears: one ``(title, rows of cell texts)`` per matrix it shows, in the
    order it draws them (a text alternative for the picture). Heatmaps on the same axes at the same offset are one
    matrix (a body and its padding are two layers); the title is the subplot's, else the trace's name."""
    spec = fig.spec
    layout = spec.get("layout", {})
    titles = {}
    for a in layout.get("annotations", []):
        if a.get("xref") == "paper" and a.get("yref") == "paper":
            titles[(round(a["x"], 6), round(a["y"], 6))] = plain(a.get("text", ""))
    groups: dict[tuple, dict] = {}
    for trace in spec.get("data", []):
        if trace.get("type") != "heatmap" or trace.get("z") is None:
            continue
        xa, ya = trace.get("xaxis", "x"), trace.get("yaxis", "y")
        key = (xa, ya, trace.get("x0", 0), trace.get("y0", 0))
        text = _cell_texts(trace)
        if key not in groups:
            x_dom = layout.get(f"xaxis{xa[1:]}", {}).get("domain", [0, 1])
            y_dom = layout.get(f"yaxis{ya[1:]}", {}).get("domain", [0, 1])
            title = trace.get("name") or titles.get((round((x_dom[0] + x_dom[1]) / 2, 6), round(y_dom[1], 6)), "")
            groups[key] = {"title": title, "text": text}
        elif groups[key]["text"].shape == text.shape:
            mine = groups[key]["text"]
            groups[key]["text"] = np.where(mine == "", text, mine)
    return [(g["title"] or f"matrix {k + 1}", g["text"].tolist()) for k, g in enumerate(groups.values())]


PROJECTOR = 1.45  # font scale of the figures in presentation mode: numbers and titles readable from the back


def for_projector(fig: Spec) -> Spec:
    """``fig`` with every font ``PROJECTOR`` times larger and the figure taller as much as its text needs, for
    presentation mode. A new spec (the traces' and the layout's dicts copied, the frames shared: they carry no fonts),
    kept on ``fig`` itself so that it is built once per figure; ``fig``, shared by every session, is not changed."""
    cached = getattr(fig, "_projector", None)
    if cached is not None:
        return cached
    spec = fig.spec

    def bigger(part: dict, default: float) -> dict:
        font = dict(part.get("font") or {})
        font["size"] = round(font.get("size", default) * PROJECTOR)
        return {**part, "font": font}

    data = []
    for trace in spec.get("data", []):
        trace = dict(trace)
        if trace.get("textfont"):
            trace["textfont"] = {**trace["textfont"], "size": round(trace["textfont"].get("size", 12) * PROJECTOR)}
        if trace.get("marker", {}).get("size"):
            trace["marker"] = {**trace["marker"], "size": round(trace["marker"]["size"] * PROJECTOR)}
        data.append(trace)
    layout = copy.deepcopy(spec.get("layout", {}))
    layout["font"] = {**layout.get("font", {}), "size": round(12 * PROJECTOR)}  # ticks and everything without a size
    layout["annotations"] = [bigger(a, 12) for a in layout.get("annotations", [])]
    for name in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:  # the row and column numbers
        layout[name]["tickfont"] = {**layout[name].get("tickfont", {}), "size": round(12 * PROJECTOR)}
    if isinstance(layout.get("title"), dict):
        layout["title"] = bigger(layout["title"], 16)
    layout["updatemenus"] = [bigger(m, 12) for m in layout.get("updatemenus", [])]
    for slider in layout.get("sliders", []):
        slider["font"] = {"size": round(12 * PROJECTOR)}
        slider["currentvalue"] = bigger(slider.get("currentvalue", {}), 13)
    grow = PROJECTOR - 1.0
    margin = layout.get("margin", {})
    top, bottom = margin.get("t", 0), margin.get("b", 0)
    extra = round(top * grow) + round(bottom * grow)
    # the left margin holds the row numbers (the axes' automargin is off), which grow with the ticks' font
    left = round(margin.get("l", 80) * PROJECTOR)
    layout["margin"] = {**margin, "t": round(top * PROJECTOR), "b": round(bottom * PROJECTOR), "l": left}
    layout["height"] = round(layout.get("height", 450) * (1 + grow / 2)) + extra
    for menu, row in zip(layout.get("updatemenus", []), (PLAY_TOP, STEP_TOP), strict=False):
        menu["pad"] = {**menu.get("pad", {}), "t": round(row * PROJECTOR)}
    for slider in layout.get("sliders", []):
        slider["pad"] = {**slider.get("pad", {}), "t": round(SLIDER_TOP * PROJECTOR)}
    for a in layout["annotations"]:
        if "yshift" in a:
            a["yshift"] = round(a["yshift"] * PROJECTOR)
    out = {"data": data, "layout": layout}
    if "frames" in spec:
        out["frames"] = spec["frames"]
    projected = Spec(out)
    object.__setattr__(fig, "_projector", projected)
    return projected
