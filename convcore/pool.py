"""Max and average pooling, forward and backward, vectorised.

``A_prev (m, n_H_prev, n_W_prev, n_C)``, ``hparameters = {"f": f, "stride": s}`` (no padding, as in the
course), output ``A (m, n_H, n_W, n_C)`` with ``n_H = 1 + (n_H_prev - f) // s``. Channels are pooled
independently.

Ties in max pooling: the course's ``create_mask_from_window`` is ``x == np.max(x)``, so *every* maximum
in a window receives the full upstream gradient (``ties="all"``, the default: the total gradient grows
with the number of tied maxima). PyTorch's ``max_pool2d`` records one index per window, the first
maximum in row-major order, and routes the gradient there only (``ties="first"``: the total gradient is
preserved). The two agree whenever each window has a single maximum.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, out_size, pool_hparameters

__all__ = ["pool_forward", "pool_backward", "pool_windows", "window_mask", "MODES", "TIES"]

MODES = ("max", "average")
TIES = ("all", "first")


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    return mode


def _check_ties(ties: str) -> str:
    if ties not in TIES:
        raise ValueError(f"ties must be 'all' (the course: every maximum) or 'first' (PyTorch: one), got {ties!r}")
    return ties


def _geometry(A_prev, hparameters):
    f, stride = pool_hparameters(hparameters)
    A_prev = as_array("A_prev", A_prev, 4)
    _, n_H_prev, n_W_prev, _ = A_prev.shape
    n_H = out_size(n_H_prev, f, stride, 0, "input height")
    n_W = out_size(n_W_prev, f, stride, 0, "input width")
    return A_prev, f, stride, n_H, n_W


def pool_windows(A_prev, f: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """Every pooling window: ``A_prev (m, H, W, C)`` -> ``(m, n_H, n_W, C, f, f)``, a read-only view."""
    view = np.lib.stride_tricks.sliding_window_view(A_prev, (f, f), axis=(1, 2))  # (m, H-f+1, W-f+1, C, f, f)
    return view[:, : stride * n_H : stride, : stride * n_W : stride]


def window_mask(windows: np.ndarray, ties: str = "all") -> np.ndarray:
    """Where the gradient of max pooling goes, for windows ``(..., f, f)`` -> a 0/1 float array, same shape.

    ``ties="all"``: ``windows == max`` (the course's mask); ``ties="first"``: one-hot at the first
    maximum in row-major order (PyTorch's choice).
    """
    _check_ties(ties)
    f_H, f_W = windows.shape[-2:]
    if ties == "all":
        return (windows == windows.max(axis=(-2, -1), keepdims=True)).astype(np.float64)
    flat = windows.reshape(*windows.shape[:-2], f_H * f_W)  # (..., f*f)
    first = flat.argmax(axis=-1)  # argmax returns the first maximum
    onehot = np.zeros_like(flat, dtype=np.float64)
    np.put_along_axis(onehot, first[..., None], 1.0, axis=-1)
    return onehot.reshape(windows.shape)


def pool_forward(A_prev, hparameters, mode: str = "max"):
    """Pooling forward: ``A_prev (m, n_H_prev, n_W_prev, n_C)`` -> ``(A (m, n_H, n_W, n_C), cache)``.

    ``n_H = 1 + (n_H_prev - f) // stride``; ``cache = (A_prev, hparameters)`` as in the course.
    """
    _check_mode(mode)
    A_prev, f, stride, n_H, n_W = _geometry(A_prev, hparameters)
    windows = pool_windows(A_prev, f, stride, n_H, n_W)  # (m, n_H, n_W, n_C, f, f)
    A = windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))
    return A, (A_prev, hparameters)


def pool_backward(dA, cache, mode: str = "max", ties: str = "all") -> np.ndarray:
    """Pooling backward: ``dA (m, n_H, n_W, n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C)``.

    Max routes each ``dA`` entry to the maximum of its window (see the module note on ``ties``);
    average spreads ``dA / (f * f)`` over the window (the course's ``distribute_value``). Overlapping
    windows (``stride < f``) accumulate.
    """
    _check_mode(mode)
    _check_ties(ties)
    try:
        A_prev, hparameters = cache
    except (TypeError, ValueError):
        raise ValueError("cache must be the (A_prev, hparameters) tuple returned by pool_forward") from None
    A_prev, f, stride, n_H, n_W = _geometry(A_prev, hparameters)
    m, _, _, n_C = A_prev.shape
    dA = as_array("dA", dA, 4)
    if dA.shape != (m, n_H, n_W, n_C):
        raise ValueError(f"dA must have the pooling output's shape {(m, n_H, n_W, n_C)}, got {dA.shape}")
    if mode == "max":
        weights = window_mask(pool_windows(A_prev, f, stride, n_H, n_W), ties)  # (m, n_H, n_W, n_C, f, f)
    else:
        weights = np.full((m, n_H, n_W, n_C, f, f), 1.0 / (f * f))
    contrib = weights * dA[..., None, None]  # (m, n_H, n_W, n_C, f, f)
    dA_prev = np.zeros(A_prev.shape)
    for u in range(f):
        for v in range(f):
            dA_prev[:, u : u + stride * n_H : stride, v : v + stride * n_W : stride, :] += contrib[..., u, v]
    return dA_prev
