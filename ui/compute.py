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

from . import (
    caching,
    flip_figures,
    forward_figures,
    limits,
    matrix_figures,
    mistakes_figures,
    pooling_figures,
    transposed_figures,
    weights_figures,
)

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
    "mistakes_summary",
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
    "matrix_view",
    "gemm_view",
    "flattening_figure",
    "matrix_forward_figure",
    "matrix_backward_figure",
    "matrix_row_figure",
    "matrix_verdict_figure",
    "gemm_forward_figure",
    "gemm_backward_figure",
    "col2im_figure",
    "transposed",
    "transposed_check",
    "stamp_counts",
    "transposed_figure",
    "checkerboard_figure",
    "transposed_backward_figure",
    "transposed_output_figure",
    "transposed_sizes",
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
    """dA_prev by both forms with the fast code, the "without the rotation" result, and PyTorch's name for it,
    ``conv_transpose2d(dZ, W)`` (``"transposed"``, with the ``"output_padding"`` it needs), for one example.

    ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``dZ (n_H, n_W, n_C)`` -> arrays without the batch axis.
    """
    shape = (1, *A_prev.shape)
    hp = {"stride": stride, "pad": pad, "convention": convention, "dilation": dilation, "groups": groups}
    scatter_ = convcore.grad_input_scatter(shape, W, dZ[None], hp)[0]
    rot = convcore.grad_input_rot180(shape, W, dZ[None], hp)[0]
    transposed_ = convcore.grad_input_transpose(shape, W, dZ[None], hp)[0]
    output_padding = convcore.matching_output_padding(shape, W.shape, stride, pad, dilation)
    # The same full correlation, but with the kernel the forward pass correlated left unrotated:
    # rot180 of it is passed in, so grad_input_rot180's own rotation undoes it.
    kernel = convcore.effective_kernel(W, convention)
    unrotated_hp = {**hp, "convention": "correlation"}
    unrotated = convcore.grad_input_rot180(shape, convcore.rot180(kernel), dZ[None], unrotated_hp)[0]
    return {
        "scatter": scatter_,
        "rot180": rot,
        "unrotated": unrotated,
        "transposed": transposed_,
        "output_padding": output_padding,
    }


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
def mistakes_summary() -> tuple:
    """``grader.mistakes.summary_table()``: every catalogued mistake run on every case of its battery, once per
    process. Its own cache is ``functools.cache``, which lets sessions that open the page together all compute it
    side by side (a fifth of the server's time when a class opened a fresh server)."""
    from grader import mistakes

    return mistakes.summary_table()


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


# --- the matrix view ---------------------------------------------------------------------------------------------


def _hp(stride: int, pad: int, convention: str, dilation: int, groups: int) -> dict:
    return {"stride": stride, "pad": pad, "convention": convention, "dilation": dilation, "groups": groups}


@caching.cache_data(**_CACHE)
def matrix_view(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, dZ: np.ndarray, stride, pad, convention, dilation=1, groups=1
) -> dict:
    """The convolution matrix of one example and both products with it, from the core.

    ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``b (n_C,)``, ``dZ (n_H, n_W, n_C)`` -> ``{"C" (R, Q), "taps" (R, Q),
    "a" (Q,), "z" (R,) = C a + b, "dz" (R,), "dA" (n_H_prev, n_W_prev, n_C_prev) = Cᵀ dz reshaped}``. The page checks
    ``R * Q <= limits.MAX_MATRIX_ENTRIES`` first."""
    hp = _hp(stride, pad, convention, dilation, groups)
    big = dict(max_entries=limits.MAX_MATRIX_ENTRIES)
    C = convcore.conv_matrix(A_prev.shape, W, hp, **big)
    taps = convcore.conv_matrix_taps(A_prev.shape, W.shape, hp, **big)
    Z = convcore.conv_forward_matrix(A_prev[None], W, b.reshape(1, 1, 1, -1), hp, **big)[0]
    dA = convcore.grad_input_matrix((1, *A_prev.shape), W, dZ[None], hp, **big)[0]
    return {
        "C": C,
        "taps": taps,
        "weights": int((taps >= 0).sum()),
        "a": A_prev.ravel(),
        "z": Z.ravel(),
        "dz": dZ.ravel(),
        "dA": dA,
    }


@caching.cache_data(**_CACHE)
def gemm_view(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, dZ: np.ndarray, stride, pad, convention, dilation=1, groups=1
) -> dict:
    """The im2col forward and the col2im backward of one example, every matrix from the core.

    ``{"cols" (n_H n_W, f_H f_W n_C_prev), "cols_pad" (same, True on padding), "Wm" (f_H f_W n_C_prev, n_C),
    "Wm_taps" (same: the tap of each weight, -1 between groups), "Z" (n_H n_W, n_C), "dZ" (n_H n_W, n_C),
    "dcols" (n_H n_W, f_H f_W n_C_prev), "dA" (n_H_prev, n_W_prev, n_C_prev) = col2im(dcols),
    "cover" (n_H_prev, n_W_prev), "identity" = col2im(im2col(A_prev))}``."""
    hp = _hp(stride, pad, convention, dilation, groups)
    f_H, f_W, _, n_C = W.shape
    n_C_prev = A_prev.shape[2]
    cols = convcore.im2col(A_prev[None], f_H, f_W, hp)
    real = convcore.im2col(np.ones((1, *A_prev.shape)), f_H, f_W, hp)  # 1 where a patch reads the input, 0 on padding
    Wm = convcore.weight_matrix(W, hp)
    linked = convcore.weight_matrix(np.ones(W.shape), hp) != 0  # the weights that exist (groups leave blocks empty)
    tap_of_row = np.repeat(np.arange(f_H * f_W), n_C_prev)[:, None]  # row (u f_W + v) n_C_prev + k holds tap u f_W + v
    dcols = convcore.grad_cols(W, dZ[None], hp)
    cover = convcore.cover_count(A_prev.shape, f_H, f_W, hp)
    identity = convcore.col2im(cols, A_prev.shape, f_H, f_W, hp)
    return {
        "cols": cols,
        "cols_pad": real == 0,
        "Wm": Wm,
        "Wm_taps": np.where(linked, tap_of_row, -1),
        "Z": convcore.conv_forward_gemm(A_prev[None], W, b.reshape(1, 1, 1, -1), hp)[0].reshape(-1, n_C),
        "dZ": dZ.reshape(-1, n_C),
        "dcols": dcols,
        "dA": convcore.col2im(dcols, A_prev.shape, f_H, f_W, hp),
        "cover": cover,
        "identity": identity,
        "identity_error": float(np.abs(identity - A_prev * cover[:, :, None]).max()),
    }


@caching.cache_resource(**_FIG_CACHE)
def flattening_figure(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride, pad, convention, dilation=1, groups=1):
    Z = forward(A_prev, W, b, stride, pad, convention, dilation, groups).Z
    return matrix_figures.flattening_figure(A_prev, Z)


@caching.cache_resource(**_FIG_CACHE)
def matrix_forward_figure(A_prev, W, b, dZ, stride, pad, convention, q: int, dilation=1, groups=1):
    """z = C · a + b, input cell ``q``'s column outlined."""
    v = matrix_view(A_prev, W, b, dZ, stride, pad, convention, dilation, groups)
    f_H, f_W = W.shape[:2]
    M = matrix_figures.Panel(v["C"], "C", v["taps"], f_H * f_W, name="C")
    top = matrix_figures.Panel(v["a"], "a", name="a")
    right = matrix_figures.Panel(v["z"], "z", name="z")
    return matrix_figures.matvec_figure(M, top, right, highlight_col=q, pick="cols")


@caching.cache_resource(**_FIG_CACHE)
def matrix_backward_figure(A_prev, W, b, dZ, stride, pad, convention, q: int, dilation=1, groups=1):
    """dA_prev = Cᵀ · dZ, input cell ``q``'s row outlined."""
    v = matrix_view(A_prev, W, b, dZ, stride, pad, convention, dilation, groups)
    f_H, f_W = W.shape[:2]
    M = matrix_figures.Panel(v["C"].T, "Cᵀ", v["taps"].T, f_H * f_W, name="Cᵀ")
    top = matrix_figures.Panel(v["dz"], "dZ", name="dZ")
    right = matrix_figures.Panel(v["dA"].ravel(), "Cᵀ·dZ", name="dA_prev")
    return matrix_figures.matvec_figure(M, top, right, highlight_row=q, pick="rows")


@caching.cache_resource(**_FIG_CACHE)
def matrix_row_figure(A_prev, W, b, dZ, stride, pad, convention, q: int, q_name: str, dilation=1, groups=1):
    v = matrix_view(A_prev, W, b, dZ, stride, pad, convention, dilation, groups)
    f_H, f_W = W.shape[:2]
    out_shape = forward(A_prev, W, b, stride, pad, convention, dilation, groups).Z.shape
    return matrix_figures.row_figure(v["C"][:, q], v["taps"][:, q], f_H * f_W, f_W, out_shape, q_name)


@caching.cache_resource(**_FIG_CACHE)
def matrix_verdict_figure(A_prev, W, b, dZ, stride, pad, convention, c_in: int, dilation=1, groups=1):
    """dA_prev of channel ``c_in`` four ways: Cᵀ dZ, scatter, rot180, conv_transpose2d(dZ, W)."""
    v = matrix_view(A_prev, W, b, dZ, stride, pad, convention, dilation, groups)
    res = backward_all(A_prev, W, dZ, stride, pad, convention, dilation, groups)
    forms = {
        "Cᵀ·dZ, reshaped": v["dA"][:, :, c_in],
        "scatter": res["scatter"][:, :, c_in],
        "rot180": res["rot180"][:, :, c_in],
        "conv_transpose2d(dZ, W)": res["transposed"][:, :, c_in],
    }
    return matrix_figures.verdict_figure(forms)


@caching.cache_resource(**_FIG_CACHE)
def gemm_forward_figure(A_prev, W, b, dZ, stride, pad, convention, dilation=1, groups=1):
    g = gemm_view(A_prev, W, b, dZ, stride, pad, convention, dilation, groups)
    f_H, f_W = W.shape[:2]
    P = matrix_figures.Panel(g["cols"], "im2col(A_prev): one row per window", pad=g["cols_pad"], name="cols")
    Wm = matrix_figures.Panel(g["Wm"], "W as a matrix", g["Wm_taps"], f_H * f_W, name="W")
    Zm = matrix_figures.Panel(g["Z"], "Z = cols · W + b", name="Z")
    return matrix_figures.gemm_figure(P, Wm, Zm)


@caching.cache_resource(**_FIG_CACHE)
def gemm_backward_figure(A_prev, W, b, dZ, stride, pad, convention, dilation=1, groups=1):
    g = gemm_view(A_prev, W, b, dZ, stride, pad, convention, dilation, groups)
    f_H, f_W = W.shape[:2]
    dZm = matrix_figures.Panel(g["dZ"], "dZ: one row per window", name="dZ")
    Wt = matrix_figures.Panel(g["Wm"].T, "Wᵀ", g["Wm_taps"].T, f_H * f_W, name="Wᵀ")
    dP = matrix_figures.Panel(g["dcols"], "dcols = dZ · Wᵀ: what each window sends back", name="dcols")
    return matrix_figures.gemm_figure(dZm, Wt, dP)


@caching.cache_resource(**_FIG_CACHE)
def col2im_figure(A_prev, W, b, dZ, stride, pad, convention, c_in: int, dilation=1, groups=1):
    g = gemm_view(A_prev, W, b, dZ, stride, pad, convention, dilation, groups)
    channel = f"[:, :, {c_in}]" if A_prev.shape[2] > 1 else ""
    return matrix_figures.col2im_figure(g["dA"][:, :, c_in], g["cover"], g["identity"][:, :, c_in], channel)


# --- the transposed convolution ----------------------------------------------------------------------------------


@caching.cache_data(**_CACHE)
def transposed(
    X: np.ndarray, W: np.ndarray, b: np.ndarray, stride, pad, output_padding, convention, dilation=1, groups=1
):
    """The stamping trace of one example: ``X (n_H, n_W, n_C)``, ``b (n_C_prev,)``."""
    return trace.transpose_trace(X, W, b, stride, pad, output_padding, convention, dilation, groups)


@caching.cache_data(**_CACHE)
def transposed_check(
    X: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    dY: np.ndarray,
    stride,
    pad,
    output_padding,
    convention,
    dilation=1,
    groups=1,
) -> dict:
    """The fast layer, forward and backward, and the convolution it comes from, for one example.

    ``{"Y" (L_H, L_W, n_C_prev), "dX" (n_H, n_W, n_C), "dW", "db" (n_C_prev,), "correlation"`` = the convolution's
    forward pass of dY with W (its first n_H x n_W outputs), ``"scatter"`` = the convolution's scatter-form dA_prev for
    an input of Y's size with X as dZ, or None when output_padding past the stride makes that convolution's output
    larger than X``}``."""
    hp = {**_hp(stride, pad, convention, dilation, groups), "output_padding": output_padding}
    conv_hp = _hp(stride, pad, convention, dilation, groups)
    Y, cache = convcore.conv_transpose_forward(X[None], W, b.reshape(1, 1, 1, -1), hp)
    dX, dW, db = convcore.conv_transpose_backward(dY[None], cache)
    n_H, n_W, n_C = X.shape
    Z, _ = convcore.conv_forward(dY[None], W, np.zeros((1, 1, 1, n_C)), conv_hp)
    scatter_ = None
    if convcore.output_shape(Y.shape, W.shape, stride, pad, dilation, groups)[1:3] == (n_H, n_W):
        scatter_ = convcore.grad_input_scatter(Y.shape, W, X[None], conv_hp)[0] + b
    return {
        "Y": Y[0],
        "dX": dX[0],
        "dW": dW,
        "db": db.reshape(-1),
        "correlation": Z[0, :n_H, :n_W],
        "scatter": scatter_,
    }


@caching.cache_data(**_CACHE)
def stamp_counts(input_hw: tuple, kernel_hw: tuple, stride, pad, output_padding, dilation) -> dict:
    """Stamps per output cell: kernel 3 and kernel 4 at stride 2 (no padding, on X's size), and the page's layer."""
    hp = {"stride": stride, "pad": pad, "output_padding": output_padding, "dilation": dilation}
    return {
        "kernel 3, stride 2": convcore.stamp_count(input_hw, 3, 3, {"stride": 2, "pad": 0}),
        "kernel 4, stride 2": convcore.stamp_count(input_hw, 4, 4, {"stride": 2, "pad": 0}),
        "this layer": convcore.stamp_count(input_hw, *kernel_hw, hp),
    }


@caching.cache_resource(**_FIG_CACHE)
def transposed_figure(X, W, b, stride, pad, output_padding, convention, k: int, dilation=1, groups=1):
    t = transposed(X, W, b, stride, pad, output_padding, convention, dilation, groups)
    return transposed_figures.stamp_figure(t, k)


@caching.cache_resource(**_FIG_CACHE)
def checkerboard_figure(input_hw: tuple, kernel_hw: tuple, stride, pad, output_padding, dilation):
    return transposed_figures.checkerboard_figure(
        stamp_counts(input_hw, kernel_hw, stride, pad, output_padding, dilation)
    )


@caching.cache_resource(**_FIG_CACHE)
def transposed_backward_figure(X, W, b, dY, stride, pad, output_padding, convention, k: int, dilation=1, groups=1):
    res = transposed_check(X, W, b, dY, stride, pad, output_padding, convention, dilation, groups)
    return transposed_figures.backward_figure(dY[:, :, k], k, res["dX"], res["correlation"])


@caching.cache_resource(**_FIG_CACHE)
def transposed_output_figure(X, W, b, stride, pad, output_padding, convention, dilation=1, groups=1):
    t = transposed(X, W, b, stride, pad, output_padding, convention, dilation, groups)
    return transposed_figures.output_figure(t.Y)


@caching.cache_data(**_CACHE)
def transposed_sizes(n_H: int, n_W: int, f_H: int, f_W: int, stride: int, pad: int, dilation: int) -> list[dict]:
    """For each output_padding PyTorch allows (``0 .. max(stride, dilation) - 1``): the transposed convolution's output
    size, and the output size a convolution with the same kernel, stride, padding and dilation gives for it."""
    rows = []
    for op in range(max(stride, dilation)):
        try:
            _, L_H, L_W, _ = convcore.conv_transpose_output_shape(
                (1, n_H, n_W, 1), (f_H, f_W, 1, 1), stride, pad, op, dilation
            )
        except ValueError:
            continue
        _, back_H, back_W, _ = convcore.output_shape((1, L_H, L_W, 1), (f_H, f_W, 1, 1), stride, pad, dilation)
        rows.append(
            {"output_padding": op, "Y size": f"{L_H} x {L_W}", "a convolution of it gives": f"{back_H} x {back_W}"}
        )
    return rows
