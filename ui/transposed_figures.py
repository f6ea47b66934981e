"""Figures of the transposed-convolution page, built from :class:`convcore.trace.TransposeTrace` and arrays the core
computed. Layout and labels only.

Shapes (one example): ``X (n_H, n_W, n_C)`` the layer's input, ``Y_pad (L_H + 2p, L_W + 2p, n_C_prev)`` the stamps
summed before the padding is cropped, ``Y (L_H, L_W, n_C_prev)``; stamp counts ``(L_H, L_W)``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from convcore.trace import TransposeTrace

from .figures import Grid, grids_figure, lift_titles, stamping_figure, stamping_steps

__all__ = ["stamp_figure", "stamp_steps", "output_figure", "checkerboard_figure", "backward_figure"]


def stamp_steps(t: TransposeTrace) -> int:
    """How many of the input cells the stamping animation steps through (see :func:`ui.limits.animated_steps`)."""
    return stamping_steps(t)


def stamp_figure(t: TransposeTrace, k: int = 0) -> go.Figure:
    """Output channel ``k``: each input cell ``X[h, w]`` (left) stamps ``Σ_c W[:, :, k', c] · X[h, w, c]`` (middle,
    the filters ``c`` of ``k``'s group) onto its window of ``Y_pad`` (right, the running total, grey border cropped at
    the end). The loop of the convolution's scatter form, with X in dZ's place (:func:`ui.figures.stamping_figure`)."""
    return lift_titles(stamping_figure(t, k, "X", "Y_pad", contribution_title="stamp: W · X[h, w]"))


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
