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
from .figures import Grid, Step, fmt, grids_figure, pad_mask, position_grid, scatter_figure, slide_figure, sum_text

__all__ = ["scatter_form_figure", "rot180_form_figure", "verdict_figure"]


def scatter_form_figure(t: ScatterTrace, c_in: int = 0) -> go.Figure:
    """Scatter form for input channel ``c_in``: each dZ cell adds ``Σ_c W[:, :, c_in, c] · dZ[h, w, c]`` to its
    window. The running total is animated while the figure stays small (see :data:`ui.limits.MAX_RUNNING_CELLS`)."""
    n_H, n_W, n_C = t.dZ.shape
    H_p, W_p = t.dA_pad.shape[:2]
    f_H, f_W = t.K.shape[:2]
    steps_hw = t.steps[: limits.MAX_FRAMES]
    animate_total = len(steps_hw) * H_p * W_p <= limits.MAX_RUNNING_CELLS
    running = np.zeros((H_p, W_p))
    steps = []
    for h, w in steps_hw:
        r0, r1, c0, c1 = t.window(h, w)
        contrib = t.contributions[h, w, :, :, c_in]
        running = running.copy()
        running[r0:r1, c0:c1] += contrib
        if n_C == 1:
            eq = f"dA_prev_pad[{r0}:{r1}, {c0}:{c1}] += W · dZ[{h}, {w}] = W · {fmt(t.dZ[h, w, 0])}"
        else:
            eq = f"dA_prev_pad[{r0}:{r1}, {c0}:{c1}, {c_in}] += Σ_c W[:, :, {c_in}, c] · dZ[{h}, {w}, c]"
        steps.append(
            Step(
                window=(r0, c0),
                cell=(h, w),
                title=eq,
                result_z=running if animate_total else None,
                extra_z={0: contrib},
            )
        )
    zmax = max(float(np.abs(t.dA_pad[:, :, c_in]).max()), float(np.abs(t.contributions[..., c_in]).max()), 1e-12)
    run_grid = Grid(
        z=t.dA_pad[:, :, c_in] if not animate_total else steps[0].result_z,
        title="dA_prev_pad (running total)" if animate_total else "dA_prev_pad (final total)",
        pad=pad_mask((H_p, W_p), t.pad),
        zmax=zmax,
    )
    dz_title = "dZ" if n_C == 1 else "dZ (all output channels reach each window)"
    dz = Grid(z=t.dZ[:, :, 0] if n_C == 1 else t.dZ.sum(axis=2), title=dz_title if n_C == 1 else "Σ_c dZ[:, :, c]")
    return scatter_figure(dz, (f_H, f_W), run_grid, steps, (f_H, f_W))


def rot180_form_figure(t: Rot180Trace, c_in: int = 0) -> go.Figure:
    """Rot180 form for input channel ``c_in``: one row per output channel (dZ_full[c] and rot180(W)[:, :, c, c_in]);
    the window slides over dZ_full and each padded-input cell gets ``Σ window · rot180(W)``."""
    n_C = t.dZ.shape[2]
    H_p, W_p = t.dA_pad.shape[:2]
    f_H, f_W = t.W_rot.shape[:2]
    panels = []
    for c in range(n_C):
        ch = f"[:, :, {c}]" if n_C > 1 else ""
        panels.append(
            (
                Grid(
                    z=t.dZ_full[:, :, c],
                    title=f"dZ dilated and padded{ch}",
                    pad=t.is_full_padding,
                    cross=t.is_dilation_zero,
                    cross_mode="center",
                ),
                position_grid(t.W_rot[:, :, c, c_in], f"rot180(W)[:, :, {c_in}, {c}]", rotated=True),
            )
        )
    result = Grid(z=t.dA_pad[:, :, c_in], title="dA_prev_pad = Σ window · rot180(W)", pad=pad_mask((H_p, W_p), t.pad))
    steps = []
    for y, x in t.steps[: limits.MAX_FRAMES]:
        win = t.dZ_full[y : y + f_H, x : x + f_W, :]
        if n_C == 1:
            body = sum_text(win[:, :, 0], t.W_rot[:, :, 0, c_in])
        else:
            body = " + ".join(fmt(np.sum(win[:, :, c] * t.W_rot[:, :, c, c_in])) for c in range(n_C))
        title = f"dA_prev_pad[{y}, {x}] = {body} = <b>{fmt(t.dA_pad[y, x, c_in])}</b>"
        steps.append(Step(window=(y, x), cell=(y, x), title=title))
    return slide_figure(panels, result, (f_H, f_W), steps)


def verdict_figure(scatter: np.ndarray, rot: np.ndarray, unrotated: np.ndarray) -> go.Figure:
    """The two right results (n_H_prev, n_W_prev), the result without the rotation, and wrong - right."""
    grids = [
        Grid(z=scatter, title="dA_prev, scatter"),
        Grid(z=rot, title="dA_prev, rot180"),
        Grid(z=unrotated, title="without the rotation (wrong)"),
        Grid(z=unrotated - scatter, title="difference: wrong - right"),
    ]
    return grids_figure(grids, cols=4, height=400)
