"""Figures of the transposed-convolution page, built from :class:`convcore.trace.TransposeTrace` and arrays the core
computed. Layout and labels only.

Shapes (one example): ``X (n_H, n_W, n_C)`` the layer's input, ``Y_pad (L_H + 2p, L_W + 2p, n_C_prev)`` the stamps
summed before the padding is cropped, ``Y (L_H, L_W, n_C_prev)``; stamp counts ``(L_H, L_W)``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.trace import TransposeTrace

from . import limits
from .figures import Grid, Step, fmt, grids_figure, lift_titles, pad_mask, scatter_figure

__all__ = ["stamp_figure", "stamp_steps", "output_figure", "checkerboard_figure", "backward_figure"]


def stamp_steps(t: TransposeTrace) -> int:
    """How many of the input cells the stamping animation steps through (see :func:`ui.limits.animated_steps`)."""
    f_H, f_W = t.K.shape[:2]
    taps = 1 if t.dilation == 1 else f_H * f_W
    return limits.animated_steps(len(t.steps), limits.overlay_numbers(1, taps, int(t.dilation > 1)))


def stamp_figure(t: TransposeTrace, k: int = 0) -> go.Figure:
    """Output channel ``k``: each input cell ``X[h, w]`` (left) stamps ``Σ_c W[:, :, k', c] · X[h, w, c]`` (middle,
    the filters ``c`` of ``k``'s group) onto its window of ``Y_pad`` (right, the running total, grey border cropped at
    the end). The loop of the convolution's scatter form, with X in dZ's place."""
    n_H, n_W, n_C = t.X.shape
    H_p, W_p = t.Y_pad.shape[:2]
    f_H, f_W = t.K.shape[:2]
    d = t.dilation
    filters = t.out_channels(k)
    i = k % t.group_in  # k's index inside its group: W's third axis
    steps_hw = t.steps[: stamp_steps(t)]
    animate_total = len(steps_hw) * H_p * W_p <= limits.MAX_RUNNING_CELLS
    running = np.zeros((H_p, W_p))
    taps = "" if d == 1 else f":{d}"
    steps = []
    for h, w in steps_hw:
        r0, r1, c0, c1 = t.window(h, w)
        contrib = t.contributions[h, w, :, :, k]
        running = running.copy()
        running[r0:r1:d, c0:c1:d] += contrib
        target = f"Y_pad[{r0}:{r1}{taps}, {c0}:{c1}{taps}" + (f", {k}]" if t.n_C_prev > 1 else "]")
        if len(filters) == 1:
            c = filters.start
            wname = "W" if t.n_C_prev * n_C == 1 else f"W[:, :, {i}, {c}]"
            title = f"{target} += {wname} · X[{h}, {w}{'' if n_C == 1 else f', {c}'}] = {wname} · {fmt(t.X[h, w, c])}"
        else:
            over = "c" if len(filters) == n_C else f"c = {filters.start}..{filters.stop - 1}"
            title = f"{target} += Σ_{over} W[:, :, {i}, c] · X[{h}, {w}, c]"
        steps.append(
            Step(
                window=(r0, c0),
                cell=(h, w),
                title=title,
                result_z=running if animate_total else None,
                extra_z={0: contrib},
            )
        )
    zmax = max(float(np.abs(t.Y_pad[:, :, k]).max()), float(np.abs(t.contributions[..., k]).max()), 1e-12)
    run = Grid(
        z=steps[0].result_z if animate_total else t.Y_pad[:, :, k],
        title="Y_pad (running total)" if animate_total else "Y_pad (final total)",
        pad=pad_mask((H_p, W_p), t.pad),
        zmax=zmax,
    )
    if len(filters) == 1:
        x = Grid(z=t.X[:, :, filters.start], title="X" if n_C == 1 else f"X[:, :, {filters.start}]")
    else:
        which = "c" if len(filters) == n_C else f"c = {filters.start}..{filters.stop - 1}"
        x = Grid(z=t.X[:, :, filters].sum(axis=2), title=f"Σ_{which} X[:, :, c]")
    span = (d * (f_H - 1) + 1, d * (f_W - 1) + 1) if d > 1 else None
    return lift_titles(
        scatter_figure(
            x,
            (f_H, f_W),
            run,
            steps,
            (f_H, f_W),
            contribution_title="stamp: W · X[h, w]",
            window_stride=(d, d),
            window_span=span,
        )
    )


def output_figure(Y: np.ndarray) -> go.Figure:
    """The output ``Y (L_H, L_W, n_C_prev)``, one map per channel (padding cropped, bias added)."""
    n = Y.shape[2]
    grids = [Grid(z=Y[:, :, k], title=f"Y[:, :, {k}]" if n > 1 else "Y") for k in range(n)]
    return lift_titles(grids_figure(grids, cols=min(n, 4), height=340))


def checkerboard_figure(counts: dict[str, np.ndarray]) -> go.Figure:
    """How many stamps reach each output cell, one map per layer named in ``counts`` (numbers on the cells)."""
    grids = [Grid(z=c.astype(np.float64), title=name) for name, c in counts.items()]
    return lift_titles(grids_figure(grids, cols=len(grids), height=380))


def backward_figure(dY_k: np.ndarray, k: int, dX: np.ndarray, correlation: np.ndarray) -> go.Figure:
    """The upstream gradient ``dY[:, :, k] (L_H, L_W)``, then ``dX (n_H, n_W, n_C)`` one map per channel and, for
    channel 0, the convolution's forward pass of dY with W (the same numbers: a correlation, no flip)."""
    n_C = dX.shape[2]
    grids = [Grid(z=dY_k, title=f"dY[:, :, {k}]" if k or n_C > 1 else "dY")]
    grids += [Grid(z=dX[:, :, c], title=f"dX[:, :, {c}]" if n_C > 1 else "dX") for c in range(n_C)]
    grids.append(Grid(z=correlation[:, :, 0], title="dY ⋆ W" + ("[..., 0]" if n_C > 1 else "") + " (correlation)"))
    return lift_titles(grids_figure(grids, cols=len(grids), height=360, shared_scale=False))
