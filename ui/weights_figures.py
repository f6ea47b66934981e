"""Figures of the dW / db page, built from :class:`convcore.trace.WeightTrace`. Layout and labels only.

Shapes as in :mod:`convcore.trace` (one example, no batch axis): ``A_pad (H_p, W_p, n_C_prev)``,
``dZ (n_H, n_W, n_C)``, ``dW (f_H, f_W, n_C_prev, n_C)``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.trace import WeightTrace

from .figures import Grid, Step, fmt, grids_figure, lift_titles, pad_mask, slide_figure

__all__ = ["weight_panels_figure", "weight_slide_figure", "dz_sums_figure"]


def _term(x: float) -> str:
    return f"({fmt(x)})" if x < 0 else fmt(x)


def _products(a: np.ndarray, b: np.ndarray, max_terms: int = 8) -> str:
    """``a0·b0 + a1·b1 + ...`` for two same-shape arrays, negatives in brackets, shortened past ``max_terms``."""
    terms = [f"{_term(x)}·{_term(y)}" for x, y in zip(np.ravel(a), np.ravel(b), strict=True)]
    if len(terms) > max_terms:
        terms = terms[: max_terms - 1] + ["…"] + terms[-1:]
    return " + ".join(terms)


def weight_panels_figure(t: WeightTrace) -> go.Figure:
    """dW as a grid of panels, one per ``(c_in, c_out)`` pair that meets: row ``c_in``, panel
    ``dW[:, :, c_in', c_out] (f_H, f_W)`` (``c_in'`` the channel's index in its group), one colour scale for all (so
    the panels compare). Without groups every pair meets (``C_in x C_out`` panels, one column per filter); with
    groups only the in-group pairs exist, ``C_out / g`` panels a row."""
    pairs = t.pairs
    cols = t.group_out
    rows = len(pairs) // cols

    def title(ci: int, co: int) -> str:
        index = f"dW[:, :, {t.kernel_channel(ci)}, {co}]"
        return f"{index}: A ch {ci} ⋆ dZ ch {co}"

    grids = [Grid(z=t.dW[:, :, t.kernel_channel(ci), co], title=title(ci, co)) for ci, co in pairs]
    per_row = {1: 340, 2: 320}.get(cols, 300)  # narrower panels need less height
    return lift_titles(grids_figure(grids, cols=cols, height=per_row * rows + 40))


def _touched(t: WeightTrace) -> np.ndarray:
    """``(H_p, W_p)`` True where dZ's entries land for at least one kernel offset ``(u, v)``."""
    seen = np.zeros(t.A_pad.shape[:2], dtype=bool)
    for u, v in t.steps:
        rows, cols = t.positions(u, v)
        seen[np.ix_(rows, cols)] = True
    return seen


def weight_slide_figure(t: WeightTrace, c_in: int = 0, c_out: int = 0) -> go.Figure:
    """dZ channel ``c_out`` (dilated by the stride) sliding over the padded input channel ``c_in`` as if it were
    the kernel, one frame per kernel tap ``(u, v)``, placed at ``(d u, d v)`` (the forward dilation: consecutive taps
    read the input ``d`` apart); the result is the correlation ``dK[:, :, c_in', c_out]`` (``dW`` itself under the
    ``"correlation"`` convention). The pair must meet (same group)."""
    s, d = t.stride, t.dilation
    n_H, n_W = t.dZ.shape[:2]
    H_p, W_p = t.A_pad.shape[:2]
    i = t.kernel_channel(c_in)
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
    result_title = f"{name}[:, :, {i}, {c_out}]" + (" (dW = rot180 of it)" if name == "dK" else "")
    result = Grid(z=t.dK[:, :, i, c_out], title=result_title)
    steps = []
    for u, v in t.steps:
        rows, cols = t.positions(u, v)
        patch = t.A_pad[np.ix_(rows, cols, [c_in])][:, :, 0]  # (n_H, n_W): the input cells under dZ's entries
        body = _products(patch, t.dZ[:, :, c_out])
        at = (f"{u}", f"{v}") if d == 1 else (f"{d}·{u}", f"{d}·{v}")
        title = (
            f"{name}[{u}, {v}] = Σ A_pad[{at[0]} + {s}·h, {at[1]} + {s}·w] · dZ[h, w] = {body} = "
            f"<b>{fmt(t.dK[u, v, i, c_out])}</b>"
        )
        steps.append(Step(window=(d * u, d * v), cell=(u, v), title=title))
    height = min(900, max(450, 200 + 32 * H_p))  # about 30 px a cell for the padded input
    return lift_titles(slide_figure(panels, result, (n_H, n_W), steps, height=height, window_stride=(s, s)))


def dz_sums_figure(t: WeightTrace) -> go.Figure:
    """Each dZ channel ``(n_H, n_W)`` with its sum, which is ``db[c]``."""
    n_C = t.dZ.shape[2]
    grids = [Grid(z=t.dZ[:, :, c], title=f"dZ[:, :, {c}]: sum = db[{c}] = {fmt(t.db[c])}") for c in range(n_C)]
    return lift_titles(grids_figure(grids, cols=min(n_C, 4), height=320))
