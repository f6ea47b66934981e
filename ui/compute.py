"""Cached calls into convcore for the pages. Every cached function takes everything it uses as arguments.

``st.cache_data`` hashes NumPy arrays by content, so the cache key covers the whole configuration; results
are shared between all sessions, and :mod:`ui.caching` makes sure a class opening the same preset at the same
moment computes it once.
"""

from __future__ import annotations

import numpy as np

import convcore
from convcore import trace
from convcore.pool import pool_windows, window_mask

from . import caching, flip_figures, forward_figures, mistakes_figures, pooling_figures, weights_figures

__all__ = [
    "forward",
    "scatter",
    "rot180",
    "weights",
    "pool",
    "backward_all",
    "cell_terms",
    "forward_figure",
    "output_maps_figure",
    "scatter_figure",
    "rot180_figure",
    "verdict_figure",
    "mistake_outcome",
    "mistake_figures",
    "weight_check",
    "pool_fast",
    "pool_ties",
    "weight_panels_figure",
    "weight_slide_figure",
    "dz_sums_figure",
    "pool_forward_figure",
    "pool_backward_figure",
    "pool_result_figure",
    "pool_ties_figure",
]

_CACHE = dict(max_entries=512, show_spinner=False)


@caching.cache_data(**_CACHE)
def forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    return trace.forward_trace(A_prev, W, b, stride, pad, convention, dilation, groups)


@caching.cache_data(**_CACHE)
def scatter(
    input_shape: tuple, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    return trace.scatter_trace(input_shape, W, dZ, stride, pad, convention, dilation, groups)


@caching.cache_data(**_CACHE)
def rot180(
    input_shape: tuple, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    return trace.rot180_trace(input_shape, W, dZ, stride, pad, convention, dilation, groups)


@caching.cache_data(**_CACHE)
def weights(
    A_prev: np.ndarray, weight_shape, dZ: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    return trace.weight_trace(A_prev, weight_shape, dZ, stride, pad, convention, dilation, groups)


@caching.cache_data(**_CACHE)
def pool(A_prev: np.ndarray, f: int, stride: int, mode: str, dA: np.ndarray | None, ties: str):
    return trace.pool_trace(A_prev, {"f": f, "stride": stride}, mode, dA, ties)


@caching.cache_data(**_CACHE)
def backward_all(
    A_prev: np.ndarray, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
) -> dict:
    """dA_prev by both forms with the fast code, and the "without the rotation" result, for one example.

    ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``dZ (n_H, n_W, n_C)`` -> arrays without the batch axis.
    """
    shape = (1, *A_prev.shape)
    hp = {"stride": stride, "pad": pad, "convention": convention, "dilation": dilation, "groups": groups}
    scatter_ = convcore.grad_input_scatter(shape, W, dZ[None], hp)[0]
    rot = convcore.grad_input_rot180(shape, W, dZ[None], hp)[0]
    # The same full correlation, but with the kernel the forward pass correlated left unrotated:
    # rot180 of it is passed in, so grad_input_rot180's own rotation undoes it.
    kernel = convcore.effective_kernel(W, convention)
    unrotated_hp = {**hp, "convention": "correlation"}
    unrotated = convcore.grad_input_rot180(shape, convcore.rot180(kernel), dZ[None], unrotated_hp)[0]
    return {"scatter": scatter_, "rot180": rot, "unrotated": unrotated}


@caching.cache_data(**_CACHE)
def cell_terms(
    K: np.ndarray, dZ: np.ndarray, stride: int, y: int, x: int, c_in: int, dilation: int = 1, groups: int = 1
) -> list:
    return trace.input_cell_terms(K, dZ, stride, y, x, c_in, dilation, groups)


# Figures are cached as resources: one object shared by every session, never modified after it is built
# (st.plotly_chart only reads it), so a class opening the same configuration builds it once.
_FIG_CACHE = dict(max_entries=256, show_spinner=False)


@caching.cache_resource(**_FIG_CACHE)
def forward_figure(
    A_prev: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    stride: int,
    pad: int,
    convention: str,
    k: int,
    dilation: int = 1,
    groups: int = 1,
):
    return forward_figures.forward_figure(forward(A_prev, W, b, stride, pad, convention, dilation, groups), k)


@caching.cache_resource(**_FIG_CACHE)
def output_maps_figure(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    return forward_figures.output_maps_figure(forward(A_prev, W, b, stride, pad, convention, dilation, groups))


@caching.cache_resource(**_FIG_CACHE)
def scatter_figure(
    input_shape: tuple,
    W: np.ndarray,
    dZ: np.ndarray,
    stride: int,
    pad: int,
    convention: str,
    c_in: int,
    dilation: int = 1,
    groups: int = 1,
):
    t = scatter(input_shape, W, dZ, stride, pad, convention, dilation, groups)
    return flip_figures.scatter_form_figure(t, c_in)


@caching.cache_resource(**_FIG_CACHE)
def rot180_figure(
    input_shape: tuple,
    W: np.ndarray,
    dZ: np.ndarray,
    stride: int,
    pad: int,
    convention: str,
    c_in: int,
    dilation: int = 1,
    groups: int = 1,
):
    t = rot180(input_shape, W, dZ, stride, pad, convention, dilation, groups)
    return flip_figures.rot180_form_figure(t, c_in)


@caching.cache_resource(**_FIG_CACHE)
def verdict_figure(
    A_prev: np.ndarray,
    W: np.ndarray,
    dZ: np.ndarray,
    stride: int,
    pad: int,
    convention: str,
    c_in: int,
    dilation: int = 1,
    groups: int = 1,
):
    """dA_prev by both forms, the unrotated result and its difference from the right one, for channel ``c_in``."""
    res = backward_all(A_prev, W, dZ, stride, pad, convention, dilation, groups)
    return flip_figures.verdict_figure(
        res["scatter"][:, :, c_in], res["rot180"][:, :, c_in], res["unrotated"][:, :, c_in]
    )


@caching.cache_resource(**_FIG_CACHE)
def mistake_outcome(key: str, case_name: str):
    """The catalogue's own code run on one of its cases (never code typed by a visitor); shared, read-only."""
    from grader import mistakes

    return mistakes.evaluate(key, case_name)


@caching.cache_resource(**_FIG_CACHE)
def mistake_figures(key: str, case_name: str) -> list:
    """One figure per output of the mistake's function: right, mistaken, difference (through the first
    differing entry)."""
    outcome = mistake_outcome(key, case_name)
    first = {d.output: d.index for d in outcome.differences}
    figs = []
    for k, name in enumerate(outcome.outputs):
        got = outcome.got[k] if outcome.got is not None else None
        figs.append((name, mistakes_figures.outcome_figure(name, outcome.expected[k], got, first.get(name))))
    return figs


# --- dW / db page and pooling page -----------------------------------------------------------------------------


@caching.cache_data(**_CACHE)
def weight_check(
    A_prev: np.ndarray, weight_shape, dZ: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    """dW and db with the fast code, for one example: ``A_prev (n_H_prev, n_W_prev, n_C_prev)``,
    ``dZ (n_H, n_W, n_C)`` -> ``{"dW": (f_H, f_W, n_C_prev // groups, n_C), "db": (n_C,)}``."""
    hp = {"stride": stride, "pad": pad, "convention": convention, "dilation": dilation, "groups": groups}
    dW = convcore.grad_weight(A_prev[None], weight_shape, dZ[None], hp)
    db = convcore.grad_bias(dZ[None]).reshape(-1)  # (1, 1, 1, n_C) -> (n_C,)
    return {"dW": dW, "db": db}


@caching.cache_data(**_CACHE)
def pool_fast(A_prev: np.ndarray, f: int, stride: int, mode: str, dA: np.ndarray, ties: str) -> dict:
    """Pooling with the fast code, for one example: ``A_prev (n_H_prev, n_W_prev, n_C)``, ``dA (n_H, n_W, n_C)``
    -> ``{"A": (n_H, n_W, n_C), "dA_prev": (n_H_prev, n_W_prev, n_C)}``."""
    A, cache = convcore.pool_forward(A_prev[None], {"f": f, "stride": stride}, mode)
    dA_prev = convcore.pool_backward(dA[None], cache, mode, ties)
    return {"A": A[0], "dA_prev": dA_prev[0]}


@caching.cache_data(**_CACHE)
def pool_ties(A_prev: np.ndarray, f: int, stride: int, dA: np.ndarray) -> dict:
    """Max pooling's two tie rules side by side, for one example ``A_prev (n_H_prev, n_W_prev, n_C)``.

    Returns ``"all"`` (the course's mask) and ``"first"`` (PyTorch's) ``dA_prev``, their ``"difference"``, the
    number of maxima of every window ``"maxima" (n_H, n_W, n_C)``, and per channel ``(n_C,)``: ``"tied"`` (windows
    with more than one maximum), ``"total_dA"``, ``"total_all"``, ``"total_first"`` (the sums of the gradients).
    """
    hp = {"f": f, "stride": stride}
    _, cache = convcore.pool_forward(A_prev[None], hp, "max")
    course = convcore.pool_backward(dA[None], cache, "max", "all")[0]
    first = convcore.pool_backward(dA[None], cache, "max", "first")[0]
    n_H, n_W = dA.shape[:2]
    windows = pool_windows(A_prev[None], f, stride, n_H, n_W)[0]  # (n_H, n_W, n_C, f, f)
    maxima = window_mask(windows, "all").sum(axis=(-2, -1))  # (n_H, n_W, n_C)
    return {
        "all": course,
        "first": first,
        "difference": course - first,
        "maxima": maxima,
        "tied": (maxima > 1).sum(axis=(0, 1)),
        "total_dA": dA.sum(axis=(0, 1)),
        "total_all": course.sum(axis=(0, 1)),
        "total_first": first.sum(axis=(0, 1)),
    }


@caching.cache_resource(**_FIG_CACHE)
def weight_panels_figure(
    A_prev: np.ndarray, weight_shape, dZ: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    t = weights(A_prev, weight_shape, dZ, stride, pad, convention, dilation, groups)
    return weights_figures.weight_panels_figure(t)


@caching.cache_resource(**_FIG_CACHE)
def weight_slide_figure(
    A_prev: np.ndarray,
    weight_shape: tuple,
    dZ: np.ndarray,
    stride: int,
    pad: int,
    convention: str,
    c_in: int,
    c_out: int,
    dilation: int = 1,
    groups: int = 1,
):
    t = weights(A_prev, weight_shape, dZ, stride, pad, convention, dilation, groups)
    return weights_figures.weight_slide_figure(t, c_in, c_out)


@caching.cache_resource(**_FIG_CACHE)
def dz_sums_figure(
    A_prev: np.ndarray, weight_shape, dZ: np.ndarray, stride: int, pad: int, convention: str, dilation=1, groups=1
):
    return weights_figures.dz_sums_figure(weights(A_prev, weight_shape, dZ, stride, pad, convention, dilation, groups))


@caching.cache_resource(**_FIG_CACHE)
def pool_forward_figure(A_prev: np.ndarray, f: int, stride: int, mode: str, dA: np.ndarray | None, ties: str, c: int):
    return pooling_figures.pool_forward_figure(pool(A_prev, f, stride, mode, dA, ties), c)


@caching.cache_resource(**_FIG_CACHE)
def pool_backward_figure(A_prev: np.ndarray, f: int, stride: int, mode: str, dA: np.ndarray, ties: str, c: int):
    return pooling_figures.pool_backward_figure(pool(A_prev, f, stride, mode, dA, ties), c)


@caching.cache_resource(**_FIG_CACHE)
def pool_result_figure(A_prev: np.ndarray, f: int, stride: int, mode: str, dA: np.ndarray, ties: str, c: int):
    return pooling_figures.pool_result_figure(pool(A_prev, f, stride, mode, dA, ties), c)


@caching.cache_resource(**_FIG_CACHE)
def pool_ties_figure(A_prev: np.ndarray, f: int, stride: int, dA: np.ndarray, c: int):
    return pooling_figures.pool_ties_figure(pool_ties(A_prev, f, stride, dA), c)
