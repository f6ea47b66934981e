"""Figures of the pooling page, built from :class:`convcore.trace.PoolTrace`. Layout and labels only.

Shapes (one example, no batch axis): ``A_prev (n_H_prev, n_W_prev, n_C)``, ``A`` and ``dA (n_H, n_W, n_C)``
with ``n_H = 1 + (n_H_prev - f) // stride``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.pool import window_mask
from convcore.trace import PoolTrace

from . import limits
from .figures import Grid, Step, fmt, grids_figure, lift_titles, scatter_figure, slide_figure

__all__ = [
    "pool_forward_figure",
    "pool_backward_figure",
    "pool_result_figure",
    "pool_ties_figure",
]


def _values(v: np.ndarray, max_terms: int = 9) -> str:
    items = [fmt(x) for x in np.ravel(v)]
    if len(items) > max_terms:
        items = items[: max_terms - 1] + ["…"] + items[-1:]
    return ", ".join(items)


def _ch(t: PoolTrace, c: int) -> str:
    return f"[:, :, {c}]" if t.A_prev.shape[2] > 1 else ""


def pool_forward_figure(t: PoolTrace, c: int = 0) -> go.Figure:
    """The ``f x f`` window sliding over input channel ``c`` (no kernel); each output cell is the window's max
    or mean."""
    op = "max" if t.mode == "max" else "mean"
    panels = [(Grid(z=t.A_prev[:, :, c], title=f"input A_prev{_ch(t, c)}", cross=~t.visited), None)]
    result = Grid(z=t.A[:, :, c], title=f"A{_ch(t, c)} = {op} of each window")
    steps = []
    for h, w in t.steps[: limits.MAX_FRAMES]:
        r0, r1, c0, c1 = t.window(h, w)
        vals = t.A_prev[r0:r1, c0:c1, c]
        title = f"A[{h}, {w}] = {op}({_values(vals)}) = <b>{fmt(t.A[h, w, c])}</b>"
        steps.append(Step(window=(r0, c0), cell=(h, w), title=title))
    n_H_prev = t.A_prev.shape[0]
    return lift_titles(slide_figure(panels, result, (t.f, t.f), steps, height=min(900, max(450, 200 + 30 * n_H_prev))))


def _backward_title(t: PoolTrace, h: int, w: int, c: int) -> str:
    r0, r1, c0, c1 = t.window(h, w)
    da = t.dA[h, w, c]
    lhs = f"dA_prev[{r0}:{r1}, {c0}:{c1}] +="
    if t.mode == "average":
        share = t.weights[h, w, c, 0, 0] * da
        return f"{lhs} dA[{h}, {w}] / ({t.f}·{t.f}) = {fmt(da)} / {t.f * t.f} = {fmt(share)} on every cell"
    window = t.A_prev[r0:r1, c0:c1, c]
    n_max = int(window_mask(window, "all").sum())
    text = f"{lhs} mask · dA[{h}, {w}] = mask · {fmt(da)};  max({_values(window)}) = {fmt(t.A[h, w, c])}"
    if n_max > 1:
        who = "each gets it (the course)" if t.ties == "all" else "only the first gets it (PyTorch)"
        text += f",  {n_max} tied maxima: {who}"
    return text


def pool_backward_figure(t: PoolTrace, c: int = 0) -> go.Figure:
    """The backward pass of pooling on channel ``c``: each ``dA[h, w]`` (left) becomes ``weights · dA[h, w]``
    (middle: the max mask, or ``1 / f^2`` everywhere) and is added to its window of ``dA_prev`` (right). The
    running total is animated while the figure stays small (see :data:`ui.limits.MAX_RUNNING_CELLS`)."""
    n_H_prev, n_W_prev = t.A_prev.shape[:2]
    steps_hw = t.steps[: limits.MAX_FRAMES]
    animate_total = len(steps_hw) * n_H_prev * n_W_prev <= limits.MAX_RUNNING_CELLS
    running = np.zeros((n_H_prev, n_W_prev))
    steps = []
    for h, w in steps_hw:
        r0, r1, c0, c1 = t.window(h, w)
        contrib = t.weights[h, w, c] * t.dA[h, w, c]  # (f, f)
        running = running.copy()
        running[r0:r1, c0:c1] += contrib
        steps.append(
            Step(
                window=(r0, c0),
                cell=(h, w),
                title=_backward_title(t, h, w, c),
                result_z=running if animate_total else None,
                extra_z={0: contrib},
            )
        )
    final = t.dA_prev[:, :, c]
    zmax = max(float(np.abs(final).max()), float(np.abs(t.weights[..., c, :, :] * t.dA[..., c, None, None]).max()))
    run_grid = Grid(
        z=steps[0].result_z if animate_total else final,
        title="dA_prev (running total)" if animate_total else "dA_prev (final total)",
        cross=~t.visited,
        zmax=max(zmax, 1e-12),
    )
    middle = "mask · dA[h, w]" if t.mode == "max" else "dA[h, w] / (f·f)  (distribute_value)"
    fig = scatter_figure(
        Grid(z=t.dA[:, :, c], title=f"upstream dA{_ch(t, c)}"),
        (t.f, t.f),
        run_grid,
        steps,
        (t.f,) * 2,
        contribution_title=middle,
    )
    return lift_titles(fig)


def pool_result_figure(t: PoolTrace, c: int = 0) -> go.Figure:
    """Input, upstream gradient and final ``dA_prev`` of channel ``c`` side by side (each its own colour scale)."""
    grids = [
        Grid(z=t.A_prev[:, :, c], title=f"input A_prev{_ch(t, c)}"),
        Grid(z=t.dA[:, :, c], title=f"upstream dA{_ch(t, c)}"),
        Grid(z=t.dA_prev[:, :, c], title=f"dA_prev{_ch(t, c)}", cross=~t.visited),
    ]
    return lift_titles(grids_figure(grids, cols=3, height=380, shared_scale=False))


def pool_ties_figure(ties: dict, c: int = 0) -> go.Figure:
    """Max pooling's two tie rules on channel ``c``, from :func:`ui.compute.pool_ties`: ``dA_prev`` with the course's
    mask (every maximum), with PyTorch's (the first maximum), and their difference, each ``(n_H_prev, n_W_prev)``."""
    grids = [
        Grid(z=ties["all"][:, :, c], title=f"course: every maximum (sum {fmt(ties['total_all'][c])})"),
        Grid(z=ties["first"][:, :, c], title=f"PyTorch: first maximum (sum {fmt(ties['total_first'][c])})"),
        Grid(z=ties["difference"][:, :, c], title="difference: course - PyTorch"),
    ]
    return lift_titles(grids_figure(grids, cols=3, height=380))
