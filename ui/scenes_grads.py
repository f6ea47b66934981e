"""Figures of the dW / db page and the pooling page, built from convcore traces. Layout and labels only.

Shapes as in :mod:`convcore.trace` (one example, no batch axis): ``A_pad (H_p, W_p, n_C_prev)``,
``dZ (n_H, n_W, n_C)``, ``dW (f_H, f_W, n_C_prev, n_C)``; pooling ``A_prev (n_H_prev, n_W_prev, n_C)``,
``A`` and ``dA (n_H, n_W, n_C)`` with ``n_H = 1 + (n_H_prev - f) // stride``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.pool import window_mask
from convcore.trace import PoolTrace, WeightTrace

from . import limits
from .figures import Grid, Step, grids_figure, scatter_figure, slide_figure
from .scenes import fmt, pad_mask

__all__ = [
    "weight_panels_figure",
    "weight_slide_figure",
    "dz_sums_figure",
    "pool_forward_figure",
    "pool_backward_figure",
    "pool_result_figure",
    "pool_ties_figure",
]


def _lift_titles(fig: go.Figure) -> go.Figure:
    """Raise the subplot titles clear of the column numbers above each grid (called before the figure is shown)."""
    fig.update_annotations(yshift=34)
    return fig


def _term(x: float) -> str:
    return f"({fmt(x)})" if x < 0 else fmt(x)


def _products(a: np.ndarray, b: np.ndarray, max_terms: int = 8) -> str:
    """``a0·b0 + a1·b1 + ...`` for two same-shape arrays, negatives in brackets, shortened past ``max_terms``."""
    terms = [f"{_term(x)}·{_term(y)}" for x, y in zip(np.ravel(a), np.ravel(b), strict=True)]
    if len(terms) > max_terms:
        terms = terms[: max_terms - 1] + ["…"] + terms[-1:]
    return " + ".join(terms)


def weight_panels_figure(t: WeightTrace) -> go.Figure:
    """dW as a grid of panels: row ``c_in``, column ``c_out``, panel ``dW[:, :, c_in, c_out] (f_H, f_W)``,
    one colour scale for all (so the panels compare)."""
    n_C_prev, n_C = t.dW.shape[2:]
    grids = [
        Grid(z=t.dW[:, :, ci, co], title=f"dW[:, :, {ci}, {co}]: A ch {ci} ⋆ dZ ch {co}")
        for ci in range(n_C_prev)
        for co in range(n_C)
    ]
    per_row = {1: 340, 2: 320}.get(n_C, 300)  # narrower panels need less height
    return _lift_titles(grids_figure(grids, cols=n_C, height=per_row * n_C_prev + 40))


def _touched(t: WeightTrace) -> np.ndarray:
    """``(H_p, W_p)`` True where dZ's entries land for at least one kernel offset ``(u, v)``."""
    seen = np.zeros(t.A_pad.shape[:2], dtype=bool)
    for u, v in t.steps:
        rows, cols = t.positions(u, v)
        seen[np.ix_(rows, cols)] = True
    return seen


def weight_slide_figure(t: WeightTrace, c_in: int = 0, c_out: int = 0) -> go.Figure:
    """dZ channel ``c_out`` (dilated by the stride) sliding over the padded input channel ``c_in`` as if it were
    the kernel, one frame per kernel offset ``(u, v)``; the result is the correlation ``dK[:, :, c_in, c_out]``
    (``dW`` itself under the ``"correlation"`` convention)."""
    s = t.stride
    n_H, n_W = t.dZ.shape[:2]
    H_p, W_p = t.A_pad.shape[:2]
    dilated = t.dZ_dilated[:, :, c_out]
    inserted = np.ones(dilated.shape, dtype=bool)
    inserted[::s, ::s] = False  # the zeros the stride put between dZ's entries
    dz_title = f"dZ[:, :, {c_out}]" + (f", entries {s} apart" if s > 1 else "")
    panels = [
        (
            Grid(
                z=t.A_pad[:, :, c_in],
                title=f"padded input A_pad[:, :, {c_in}]",
                pad=pad_mask((H_p, W_p), t.pad),
                cross=~_touched(t),
            ),
            Grid(
                z=dilated,
                title=dz_title,
                cross=inserted if s > 1 else None,
                cross_mode="center",  # an inserted zero is drawn as a cross, not as "0"
            ),
        )
    ]
    name = "dW" if t.convention == "correlation" else "dK"
    result_title = f"{name}[:, :, {c_in}, {c_out}]" + (" (dW = rot180 of it)" if name == "dK" else "")
    result = Grid(z=t.dK[:, :, c_in, c_out], title=result_title)
    steps = []
    for u, v in t.steps:
        rows, cols = t.positions(u, v)
        patch = t.A_pad[np.ix_(rows, cols, [c_in])][:, :, 0]  # (n_H, n_W): the input cells under dZ's entries
        body = _products(patch, t.dZ[:, :, c_out])
        title = (
            f"{name}[{u}, {v}] = Σ A_pad[{u} + {s}·h, {v} + {s}·w] · dZ[h, w] = {body} = "
            f"<b>{fmt(t.dK[u, v, c_in, c_out])}</b>"
        )
        steps.append(Step(window=(u, v), cell=(u, v), title=title))
    height = min(900, max(450, 200 + 32 * H_p))  # about 30 px a cell for the padded input
    return _lift_titles(slide_figure(panels, result, (n_H, n_W), steps, height=height, window_stride=(s, s)))


def dz_sums_figure(t: WeightTrace) -> go.Figure:
    """Each dZ channel ``(n_H, n_W)`` with its sum, which is ``db[c]``."""
    n_C = t.dZ.shape[2]
    grids = [Grid(z=t.dZ[:, :, c], title=f"dZ[:, :, {c}]: sum = db[{c}] = {fmt(t.db[c])}") for c in range(n_C)]
    return _lift_titles(grids_figure(grids, cols=min(n_C, 4), height=320))


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
    return _lift_titles(slide_figure(panels, result, (t.f, t.f), steps, height=min(900, max(450, 200 + 30 * n_H_prev))))


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
    return _lift_titles(fig)


def pool_result_figure(t: PoolTrace, c: int = 0) -> go.Figure:
    """Input, upstream gradient and final ``dA_prev`` of channel ``c`` side by side (each its own colour scale)."""
    grids = [
        Grid(z=t.A_prev[:, :, c], title=f"input A_prev{_ch(t, c)}"),
        Grid(z=t.dA[:, :, c], title=f"upstream dA{_ch(t, c)}"),
        Grid(z=t.dA_prev[:, :, c], title=f"dA_prev{_ch(t, c)}", cross=~t.visited),
    ]
    return _lift_titles(grids_figure(grids, cols=3, height=380, shared_scale=False))


def pool_ties_figure(ties: dict, c: int = 0) -> go.Figure:
    """Max pooling's two tie rules on channel ``c``, from :func:`ui.compute.pool_ties`: ``dA_prev`` with the course's
    mask (every maximum), with PyTorch's (the first maximum), and their difference, each ``(n_H_prev, n_W_prev)``."""
    grids = [
        Grid(z=ties["all"][:, :, c], title=f"course: every maximum (sum {fmt(ties['total_all'][c])})"),
        Grid(z=ties["first"][:, :, c], title=f"PyTorch: first maximum (sum {fmt(ties['total_first'][c])})"),
        Grid(z=ties["difference"][:, :, c], title="difference: course - PyTorch"),
    ]
    return _lift_titles(grids_figure(grids, cols=3, height=380))
