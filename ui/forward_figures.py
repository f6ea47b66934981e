"""Figures of the forward page, built from :class:`convcore.trace.ForwardTrace`. Layout and labels only.

Shapes as in :mod:`convcore.trace` (one example, no batch axis): ``A_pad (H_p, W_p, n_C_prev)``,
``K (f_H, f_W, n_C_prev, n_C)``, ``Z (n_H, n_W, n_C)``; the frame titles quote the numbers the trace holds.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.trace import ForwardTrace

from . import limits
from .figures import Grid, Step, fmt, grids_figure, pad_mask, position_grid, slide_figure, sum_text

__all__ = ["forward_figure", "output_maps_figure", "animated_steps"]


def forward_figure(t: ForwardTrace, k: int = 0) -> go.Figure:
    """The window sliding over every input channel, the kernel slices of filter ``k``, the output map ``k``.

    With dilation the window is drawn as its taps, ``d`` apart (the holes between them are skipped); with groups the
    input channels of the other groups are greyed out, with no window and no kernel: filter ``k`` never reads them.
    """
    n_C_prev = t.A_pad.shape[2]
    n_H, n_W = t.Z.shape[:2]
    pad = pad_mask(t.A_pad.shape[:2], t.pad)
    cross = ~t.visited
    kname = "W" if t.convention == "correlation" else "rot180(W)"
    feeds = t.in_channels(k)
    panels = []
    for c in range(n_C_prev):
        ch = f", channel {c}" if n_C_prev > 1 else ""
        if c not in feeds:
            title = f"channel {c}: group {c // t.group_in}, not read by filter {k}"
            grey = np.ones(t.A_pad.shape[:2], dtype=bool)
            panels.append((Grid(z=t.A_pad[:, :, c], title=title, pad=grey, inactive=True), None))
            continue
        i = c - feeds.start  # the channel's index inside its group: W's third axis
        which = f"{kname}[:, :, {i}, {k}]" + (f" (input channel {c})" if t.groups > 1 else "")
        panels.append(
            (
                Grid(z=t.A_pad[:, :, c], title=f"padded input A_prev_pad{ch}", pad=pad, cross=cross),
                position_grid(t.K[:, :, i, k], which),
            )
        )
    result = Grid(z=t.Z[:, :, k], title=f"output Z[:, :, {k}]")
    steps = []
    shown = animated_steps(t, k)
    for h, w in t.steps[:shown]:
        r0, _, c0, _ = t.window(h, w)
        sums = t.channel_sums[h, w, :, k]
        if len(feeds) == 1:
            body = sum_text(t.patch(h, w, k)[:, :, 0], t.K[:, :, 0, k])
        else:
            body = " + ".join(f"{fmt(s)} (channel {c})" for c, s in zip(feeds, sums, strict=True))
        title = f"Z[{h}, {w}, {k}] = sum(patch · {kname}) + b = {body} + {fmt(t.b[k])} = <b>{fmt(t.Z[h, w, k])}</b>"
        steps.append(Step(window=(r0, c0), cell=(h, w), title=title))
    d = t.dilation
    span = t.extent_hw if d > 1 else None
    return slide_figure(panels, result, t.kernel_hw, steps, window_stride=(d, d), window_span=span)


def animated_steps(t: ForwardTrace, k: int = 0) -> int:
    """How many of the output cells the forward animation of filter ``k`` steps through (all, unless the frames
    would carry too much: see :func:`ui.limits.animated_steps`)."""
    taps = 1 if t.dilation == 1 else t.kernel_hw[0] * t.kernel_hw[1]
    rows = len(t.in_channels(k))
    spans = rows if t.dilation > 1 else 0
    return limits.animated_steps(len(t.steps), limits.overlay_numbers(rows, taps, spans))


def output_maps_figure(t: ForwardTrace) -> go.Figure:
    """One output map per filter (small multiples)."""
    n_C = t.Z.shape[2]
    grids = [Grid(z=t.Z[:, :, c], title=f"Z[:, :, {c}] (filter {c})") for c in range(n_C)]
    return grids_figure(grids, cols=min(n_C, 4), height=340)
