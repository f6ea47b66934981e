"""Figures of the common-mistakes page: the right output, the mistaken one and their difference.

Pure Plotly (no streamlit); the numbers come from :func:`grader.mistakes.evaluate`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .figures import Grid, grids_figure

__all__ = ["slice_2d", "outcome_figure"]

_KERNEL_LIKE = {"dW", "W"}


def slice_2d(a: np.ndarray, name: str, index: tuple[int, ...] | None) -> tuple[np.ndarray, str]:
    """A 2D slice of an output to draw, through ``index`` (e.g. the first differing entry) when given.

    NHWC activations ``(m, n_H, n_W, n_C)`` -> ``[i, :, :, c]``; kernels ``(f, f, n_C_prev, n_C)`` ->
    ``[:, :, c_in, c_out]``; 3D ``(n_H, n_W, n_C)`` -> ``[:, :, c]``; vectors as one row.
    """
    a = np.asarray(a, dtype=np.float64)
    idx = tuple(index) if index is not None and len(index) == a.ndim else (0,) * a.ndim
    if a.ndim == 4 and name in _KERNEL_LIKE:
        return a[:, :, idx[2], idx[3]], f"{name}[:, :, {idx[2]}, {idx[3]}]"
    if a.ndim == 4 and a.shape[:3] == (1, 1, 1):
        return a.reshape(1, -1), f"{name} (all {a.shape[3]} channels)"
    if a.ndim == 4:
        return a[idx[0], :, :, idx[3]], f"{name}[{idx[0]}, :, :, {idx[3]}]"
    if a.ndim == 3:
        return a[:, :, idx[2]], f"{name}[:, :, {idx[2]}]"
    if a.ndim == 2:
        return a, name
    return a.reshape(1, -1), name


def outcome_figure(
    name: str,
    expected: np.ndarray,
    got: np.ndarray | None,
    index: tuple[int, ...] | None,
    labels: tuple[str, str, str] = ("right", "with the mistake", "mistake - right"),
) -> go.Figure:
    """Right | mistaken | mistaken - right, on the slice through ``index``; the last two are omitted when
    the mistake crashed or returned another shape. ``labels`` name the three panels (the check page shows the
    learner's own output: "yours")."""
    right, label = slice_2d(expected, name, index)
    grids = [Grid(z=right, title=f"{labels[0]}: {label}")]
    if got is not None and np.shape(got) == np.shape(expected):
        wrong, _ = slice_2d(got, name, index)
        grids += [Grid(z=wrong, title=labels[1]), Grid(z=wrong - right, title=labels[2])]
    return grids_figure(grids, cols=3, height=360)
