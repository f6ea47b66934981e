"""Figures of the forward page, built from :class:`convcore.trace.ForwardTrace`. Layout and labels only.

Shapes as in :mod:`convcore.trace` (one example, no batch axis): ``A_pad (H_p, W_p, n_C_prev)``,
``K (f_H, f_W, n_C_prev, n_C)``, ``Z (n_H, n_W, n_C)``; the frame titles quote the numbers the trace holds.
"""

from __future__ import annotations

import plotly.graph_objects as go

from convcore.trace import ForwardTrace

from . import limits
from .figures import Grid, Step, fmt, grids_figure, pad_mask, position_grid, slide_figure, sum_text

__all__ = ["forward_figure", "output_maps_figure"]


def forward_figure(t: ForwardTrace, k: int = 0) -> go.Figure:
    """The window sliding over every input channel, the kernel slices of filter ``k``, the output map ``k``."""
    n_C_prev = t.A_pad.shape[2]
    n_H, n_W = t.Z.shape[:2]
    pad = pad_mask(t.A_pad.shape[:2], t.pad)
    cross = ~t.visited
    kname = "W" if t.convention == "correlation" else "rot180(W)"
    panels = []
    for c in range(n_C_prev):
        ch = f", channel {c}" if n_C_prev > 1 else ""
        panels.append(
            (
                Grid(z=t.A_pad[:, :, c], title=f"padded input A_prev_pad{ch}", pad=pad, cross=cross),
                position_grid(t.K[:, :, c, k], f"{kname}[:, :, {c}, {k}]"),
            )
        )
    result = Grid(z=t.Z[:, :, k], title=f"output Z[:, :, {k}]")
    steps = []
    show_cells = n_H * n_W <= limits.MAX_FRAMES
    for h, w in t.steps if show_cells else []:
        r0, _, c0, _ = t.window(h, w)
        sums = t.channel_sums[h, w, :, k]
        if n_C_prev == 1:
            body = sum_text(t.patch(h, w)[:, :, 0], t.K[:, :, 0, k])
        else:
            body = " + ".join(f"{fmt(s)} (channel {c})" for c, s in enumerate(sums))
        title = f"Z[{h}, {w}, {k}] = sum(patch · {kname}) + b = {body} + {fmt(t.b[k])} = <b>{fmt(t.Z[h, w, k])}</b>"
        steps.append(Step(window=(r0, c0), cell=(h, w), title=title))
    return slide_figure(panels, result, t.kernel_hw, steps)


def output_maps_figure(t: ForwardTrace) -> go.Figure:
    """One output map per filter (small multiples)."""
    n_C = t.Z.shape[2]
    grids = [Grid(z=t.Z[:, :, c], title=f"Z[:, :, {c}] (filter {c})") for c in range(n_C)]
    return grids_figure(grids, cols=min(n_C, 4), height=340)
