"""Figures of the flip page (dA_prev two ways), built from convcore traces. Layout and labels only.

Shapes as in :mod:`convcore.trace` (one example, no batch axis): ``dZ (n_H, n_W, n_C)``,
``dA_pad (H_p, W_p, n_C_prev)``; the scatter form's frames carry each window's contribution, the rot180 form's
frames the window over the dilated, full-padded dZ.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.trace import Rot180Trace, ScatterTrace

from . import limits
from .figures import (
    Grid,
    Spec,
    Step,
    fmt,
    grids_figure,
    pad_mask,
    position_grid,
    position_label,
    slide_figure,
    stamping_figure,
    stamping_steps,
    sum_text,
)
from .pick_figures import cell_outline, pick_layer, with_outlines

__all__ = [
    "scatter_form_figure",
    "rot180_form_figure",
    "verdict_figure",
    "verdict_picked",
    "scatter_steps",
    "rot180_steps",
]
VERDICT_PANELS = 4


def scatter_form_figure(t: ScatterTrace, c_in: int = 0) -> go.Figure:
    """Scatter form for input channel ``c_in``: each dZ cell adds ``Σ_c W[:, :, c_in', c] · dZ[h, w, c]`` (the filters
    ``c`` of ``c_in``'s group) to its window's taps (:func:`ui.figures.stamping_figure`)."""
    return stamping_figure(t, c_in, "dZ", "dA_prev_pad")


def rot180_form_figure(t: Rot180Trace, c_in: int = 0) -> go.Figure:
    """Rot180 form for input channel ``c_in``: one row per filter of ``c_in``'s group (dZ_full[c] and the rotated
    kernel slice that meets it); the window slides over dZ_full and each padded-input cell gets
    ``Σ window · rot180(W)``. With dilation the rotated kernel is drawn dilated, its holes crossed: rot180 of the
    dilated kernel keeps them, and the window reads dZ_full at its taps only."""
    n_C = t.dZ.shape[2]
    H_p, W_p = t.dA_pad.shape[:2]
    f_H, f_W = t.W_rot.shape[:2]
    d = t.dilation
    filters = t.out_channels(c_in)
    i = c_in % t.group_in  # c_in's index inside its group: W's third axis
    kernel_name = "rot180(W)" if d == 1 else "rot180(dilated W)"
    panels = []
    for j, c in enumerate(filters):
        ch = f"[:, :, {c}]" if n_C > 1 else ""
        dz_panel = Grid(
            z=t.dZ_full[:, :, c],
            title=f"dZ dilated and padded{ch}",
            pad=t.is_full_padding,
            cross=t.is_dilation_zero,
            cross_mode="center",
        )
        name = f"{kernel_name}[:, :, {i}, {c}]"  # named by W's own indices: input channel i of the group, filter c
        if d == 1:
            kernel_panel = position_grid(t.W_rot[:, :, j, c_in], name, rotated=True)
        else:
            kernel_panel = _dilated_position_grid(t, j, c_in, name)
        panels.append((dz_panel, kernel_panel))
    result = Grid(z=t.dA_pad[:, :, c_in], title="dA_prev_pad = Σ window · rot180(W)", pad=pad_mask((H_p, W_p), t.pad))
    steps = []
    e_H, e_W = t.W_rot_dilated.shape[:2]
    for y, x in t.steps[: rot180_steps(t, c_in)]:
        win = t.dZ_full[y : y + e_H : d, x : x + e_W : d, :]  # the taps of the window, (f_H, f_W, n_C)
        if len(filters) == 1:
            body = sum_text(win[:, :, filters.start], t.W_rot[:, :, 0, c_in])
        else:
            body = " + ".join(fmt(np.sum(win[:, :, c] * t.W_rot[:, :, j, c_in])) for j, c in enumerate(filters))
        title = f"dA_prev_pad[{y}, {x}] = {body} = <b>{fmt(t.dA_pad[y, x, c_in])}</b>"
        steps.append(Step(window=(y, x), cell=(y, x), title=title))
    return slide_figure(
        panels, result, (f_H, f_W), steps, window_stride=(d, d), window_span=(e_H, e_W) if d > 1 else None
    )


def _dilated_position_grid(t: Rot180Trace, j: int, c_in: int, title: str) -> Grid:
    """The rotated kernel written out dilated, ``(e_H, e_W)``: each tap coloured by its forward position (so the
    colours run in reverse), the holes blank and crossed."""
    f_H, f_W = t.W_rot.shape[:2]
    d = t.dilation
    pos = np.full(t.is_hole.shape, np.nan)
    pos[::d, ::d] = np.arange(f_H * f_W).reshape(f_H, f_W)[::-1, ::-1]
    text = np.full(t.is_hole.shape, "", dtype=object)
    for a in range(f_H):
        for b in range(f_W):  # tap (a, b) of the rotated kernel is W's weight (f_H - 1 - a, f_W - 1 - b)
            text[a * d, b * d] = position_label(t.W_rot[a, b, j, c_in], f_H - 1 - a, f_W - 1 - b)
    return Grid(z=t.W_rot_dilated[:, :, j, c_in], title=title, positions=pos, cross=t.is_hole, text=text)


def scatter_steps(t: ScatterTrace) -> int:
    """How many of the dZ cells the scatter animation steps through (see :func:`ui.limits.animated_steps`)."""
    return stamping_steps(t)


def rot180_steps(t: Rot180Trace, c_in: int = 0) -> int:
    """How many of the padded-input cells the rot180 animation of channel ``c_in`` steps through."""
    f_H, f_W = t.W_rot.shape[:2]
    taps = 1 if t.dilation == 1 else f_H * f_W
    rows = len(t.out_channels(c_in))
    return limits.animated_steps(len(t.steps), limits.overlay_numbers(rows, taps, rows * int(t.dilation > 1)))


def verdict_figure(scatter: np.ndarray, rot: np.ndarray, unrotated: np.ndarray) -> go.Figure:
    """The two right results (n_H_prev, n_W_prev), the result without the rotation, and wrong - right.

    A click on a cell of any panel picks that input cell (it reports ``x = col``, ``y = row``, unpadded).
    """
    grids = [
        Grid(z=scatter, title="dA_prev, scatter"),
        Grid(z=rot, title="dA_prev, rot180"),
        Grid(z=unrotated, title="without the rotation (wrong)"),
        Grid(z=unrotated - scatter, title="difference: wrong - right"),
    ]
    spec = grids_figure(grids, cols=VERDICT_PANELS, height=400).to_dict()
    every = np.ones(scatter.shape, bool)
    for k, g in enumerate(grids, start=1):
        axis = "" if k == 1 else str(k)
        hover = "input cell (%{y}, %{x}): %{customdata:.4g}"
        spec["data"].append(pick_layer(every, g.z, hover, xaxis=f"x{axis}", yaxis=f"y{axis}"))
    return Spec(spec)


def verdict_picked(fig: Spec, cell: tuple[int, int], pad: int, shape: tuple[int, int]) -> Spec:
    """The verdict figure with the picked padded ``cell`` outlined on every panel (none for a padding cell)."""
    y, x = cell[0] - pad, cell[1] - pad
    if not (0 <= y < shape[0] and 0 <= x < shape[1]):
        return fig
    refs = ["" if k == 1 else str(k) for k in range(1, VERDICT_PANELS + 1)]
    return with_outlines(fig, [cell_outline(x, y, f"x{a}", f"y{a}") for a in refs])
