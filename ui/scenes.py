"""Figures for each page, built from convcore traces. No streamlit and no maths: only layout and labels.

Each function takes a trace (see :mod:`convcore.trace`) and returns a Plotly figure; the equations in the
frame titles quote the numbers the trace holds.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.trace import ForwardTrace, Rot180Trace, ScatterTrace

from . import limits
from .figures import Grid, Step, grids_figure, scatter_figure, slide_figure

__all__ = [
    "fmt",
    "pad_mask",
    "position_grid",
    "forward_figure",
    "output_maps_figure",
    "scatter_form_figure",
    "rot180_form_figure",
    "sum_text",
    "verdict_figure",
]


def fmt(v: float) -> str:
    """A number as a learner would write it: integers without a decimal point, else 3 significant digits."""
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.3g}"


def pad_mask(shape_hw: tuple[int, int], pad: int) -> np.ndarray:
    """True on the ``pad`` outer rows and columns of a padded array of ``shape_hw``."""
    m = np.ones(shape_hw, dtype=bool)
    m[pad : shape_hw[0] - pad, pad : shape_hw[1] - pad] = False
    return m


def position_grid(k: np.ndarray, title: str, rotated: bool = False) -> Grid:
    """A kernel slice ``(f_H, f_W)`` coloured by position; ``rotated=True`` for rot180 of it (colours follow
    the weights, so they appear in reverse order)."""
    f_H, f_W = k.shape
    pos = np.arange(f_H * f_W).reshape(f_H, f_W)
    return Grid(z=k, title=title, positions=pos[::-1, ::-1] if rotated else pos)


def sum_text(a: np.ndarray, b: np.ndarray, max_terms: int = 9) -> str:
    """``a0·b0 + a1·b1 + ...`` for two same-shape arrays, shortened past ``max_terms`` terms."""
    terms = [f"{fmt(x)}·{fmt(y)}" for x, y in zip(np.ravel(a), np.ravel(b), strict=True)]
    if len(terms) > max_terms:
        terms = terms[: max_terms - 1] + ["…"] + terms[-1:]
    return " + ".join(terms)


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
