"""The course's functions written loop by loop: the reference for the fast code and the source of traces.

Same names, signatures, layout (NHWC) and caches as the course (see ``shared/seeds/003_*``), generalised
where the course stops: rectangular kernels ``W (f_H, f_W, n_C_prev // g, n_C)``, any stride (floored output
size), pad 0 (cropped with explicit ends, not ``p:-p``), the ``"dilation"``, ``"groups"`` and ``"convention"``
keys, and both forms of dA_prev. Slow on purpose: every output cell is one visible step.

Beside them, the loop versions of :mod:`convcore.matrix` (the convolution matrix C, im2col, col2im) and of
:mod:`convcore.transpose` (the transposed convolution, forward and backward), same arguments and layouts.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_groups, conv_params, out_size, pool_hparameters
from .conv import dilate_kernel, effective_kernel, full_padding, rot180, zero_pad
from .pool import _check_mode, _check_ties
from .transpose import conv_transpose_output_shape, transpose_params

__all__ = [
    "zero_pad",
    "conv_single_step",
    "conv_forward",
    "conv_backward",
    "conv_matrix",
    "im2col",
    "col2im",
    "conv_transpose_forward",
    "conv_transpose_backward",
    "create_mask_from_window",
    "distribute_value",
    "pool_forward",
    "pool_backward",
]


def conv_single_step(a_slice_prev, W, b) -> float:
    """``sum(a_slice_prev * W) + b`` for one window: ``a_slice_prev (f_H, f_W, n_C_prev)``, same-shape ``W``."""
    return float(np.sum(np.multiply(a_slice_prev, W)) + float(np.asarray(b).reshape(-1)[0]))


def _geometry(A_prev, W, hparameters):
    hp = conv_params(hparameters)
    A_prev, W = as_array("A_prev", A_prev, 4), as_array("W", W, 4)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f_H, f_W, w_c, n_C = W.shape
    check_groups(hp.groups, n_C_prev, n_C, w_c)
    n_H = out_size(n_H_prev, f_H, hp.stride, hp.pad, "input height", hp.dilation)
    n_W = out_size(n_W_prev, f_W, hp.stride, hp.pad, "input width", hp.dilation)
    return A_prev, W, hp, (m, n_H_prev, n_W_prev, n_C_prev), (f_H, f_W, w_c, n_C), (n_H, n_W)


def conv_forward(A_prev, W, b, hparameters):
    """Loop version of :func:`convcore.conv_forward` (same arguments, shapes and cache).

    The window of output cell ``(h, w)`` is ``A_prev_pad[vert_start:vert_end:d, horiz_start:horiz_end:d, ...]``
    (every ``d``-th row and column: the dilated kernel's taps), restricted to the input channels of filter
    ``c``'s group.
    """
    A_prev, W, hp, (m, _, _, _), (f_H, f_W, cg_in, n_C), (n_H, n_W) = _geometry(A_prev, W, hparameters)
    b = as_array("b", b, 4)
    s, d = hp.stride, hp.dilation
    cg_out = n_C // hp.groups
    K = effective_kernel(W, hp.convention)
    A_prev_pad = zero_pad(A_prev, hp.pad)
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * s
            vert_end = vert_start + d * (f_H - 1) + 1
            for w in range(n_W):
                horiz_start = w * s
                horiz_end = horiz_start + d * (f_W - 1) + 1
                for c in range(n_C):
                    k0 = (c // cg_out) * cg_in  # the first input channel of filter c's group
                    a_slice_prev = A_prev_pad[i, vert_start:vert_end:d, horiz_start:horiz_end:d, k0 : k0 + cg_in]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, K[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_backward(dZ, cache, method: str = "scatter"):
    """Loop version of :func:`convcore.conv_backward`.

    ``method="scatter"`` is the course's loop: ``dA_prev_pad[window] += W[:, :, :, c] * dZ[i, h, w, c]`` (the
    window's taps ``d`` apart, its group's input channels only). ``method="rot180"`` loops over the cells of the
    padded input instead: each is ``sum(dZ_full[window] * W_rot)`` with ``dZ_full`` dilated and "full" padded and
    ``W_rot`` rotated 180 degrees, dilated (holes stay holes) and with its channel axes swapped inside each group.
    """
    if method not in ("scatter", "rot180"):
        raise ValueError(f"method must be 'scatter' or 'rot180', got {method!r}")
    A_prev, W, b, hparameters = cache
    A_prev, W, hp, (m, n_H_prev, n_W_prev, _), (f_H, f_W, cg_in, n_C), (n_H, n_W) = _geometry(A_prev, W, hparameters)
    dZ = as_array("dZ", dZ, 4)
    if dZ.shape != (m, n_H, n_W, n_C):
        raise ValueError(f"dZ must have the forward output's shape {(m, n_H, n_W, n_C)}, got {dZ.shape}")
    s, d, pad = hp.stride, hp.dilation, hp.pad
    cg_out = n_C // hp.groups
    K = effective_kernel(W, hp.convention)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dK = np.zeros(K.shape)
    db = np.zeros((1, 1, 1, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start, vert_end = h * s, h * s + d * (f_H - 1) + 1
            for w in range(n_W):
                horiz_start, horiz_end = w * s, w * s + d * (f_W - 1) + 1
                for c in range(n_C):
                    k0 = (c // cg_out) * cg_in
                    window = (
                        i,
                        slice(vert_start, vert_end, d),
                        slice(horiz_start, horiz_end, d),
                        slice(k0, k0 + cg_in),
                    )
                    if method == "scatter":
                        dA_prev_pad[window] += K[:, :, :, c] * dZ[i, h, w, c]
                    dK[:, :, :, c] += A_prev_pad[window] * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    if method == "rot180":
        dA_prev_pad = _rot180_loops(dZ, K, A_prev_pad.shape, hp, (n_H_prev, n_W_prev))
    dA_prev = dA_prev_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    dW = dK if hp.convention == "correlation" else rot180(dK)
    return dA_prev, dW, db


def _rot180_loops(dZ, K, pad_shape, hp, prev_hw):
    m, n_H, n_W, n_C = dZ.shape
    f_H, f_W, cg_in, _ = K.shape
    s, d, g = hp.stride, hp.dilation, hp.groups
    cg_out = n_C // g
    dZ_dil = np.zeros((m, (n_H - 1) * s + 1, (n_W - 1) * s + 1, n_C))
    for h in range(n_H):
        for w in range(n_W):
            dZ_dil[:, h * s, w * s, :] = dZ[:, h, w, :]
    top, bottom = full_padding(prev_hw[0], f_H, s, hp.pad, d)
    left, right = full_padding(prev_hw[1], f_W, s, hp.pad, d)
    dZ_full = np.pad(dZ_dil, ((0, 0), (top, bottom), (left, right), (0, 0)))
    W_rot = dilate_kernel(rot180(K), d)  # (e_H, e_W, cg_in, n_C): rotated in space, the holes kept as zeros
    e_H, e_W = W_rot.shape[:2]
    dA_prev_pad = np.zeros(pad_shape)
    for i in range(m):
        for y in range(pad_shape[1]):
            for x in range(pad_shape[2]):
                window = dZ_full[i, y : y + e_H, x : x + e_W, :]  # (e_H, e_W, n_C)
                for k in range(pad_shape[3]):
                    c0 = (k // cg_in) * cg_out  # the filters of input channel k's group
                    # channel axes swapped: input channel k reads W_rot[:, :, k % cg_in, c] for its group's c
                    dA_prev_pad[i, y, x, k] = np.sum(
                        window[:, :, c0 : c0 + cg_out] * W_rot[:, :, k % cg_in, c0 : c0 + cg_out]
                    )
    return dA_prev_pad


def create_mask_from_window(x, ties: str = "all") -> np.ndarray:
    """Mask of the maximum of ``x (f, f)``: every maximum (``ties="all"``, the course) or the first only."""
    _check_ties(ties)
    x = np.asarray(x)
    if ties == "all":
        return x == np.max(x)
    mask = np.zeros(x.shape, dtype=bool)
    mask[np.unravel_index(np.argmax(x), x.shape)] = True
    return mask


def distribute_value(dz, shape) -> np.ndarray:
    """Spread the scalar ``dz`` evenly over a matrix of ``shape (n_H, n_W)``: each entry ``dz / (n_H * n_W)``."""
    n_H, n_W = shape
    return np.ones((n_H, n_W)) * (dz / (n_H * n_W))


def pool_forward(A_prev, hparameters, mode: str = "max"):
    """Loop version of :func:`convcore.pool_forward` (same arguments, shapes and cache)."""
    _check_mode(mode)
    f, stride = pool_hparameters(hparameters)
    A_prev = as_array("A_prev", A_prev, 4)
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = out_size(n_H_prev, f, stride, 0, "input height")
    n_W = out_size(n_W_prev, f, stride, 0, "input width")
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    a_slice = A_prev[i, h * stride : h * stride + f, w * stride : w * stride + f, c]
                    A[i, h, w, c] = np.max(a_slice) if mode == "max" else np.mean(a_slice)
    return A, (A_prev, hparameters)


def pool_backward(dA, cache, mode: str = "max", ties: str = "all") -> np.ndarray:
    """Loop version of :func:`convcore.pool_backward`."""
    _check_mode(mode)
    A_prev, hparameters = cache
    f, stride = pool_hparameters(hparameters)
    A_prev, dA = as_array("A_prev", A_prev, 4), as_array("dA", dA, 4)
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = out_size(n_H_prev, f, stride, 0, "input height")
    n_W = out_size(n_W_prev, f, stride, 0, "input width")
    if dA.shape != (m, n_H, n_W, n_C):  # a smaller dA would otherwise give a silently partial gradient
        raise ValueError(f"dA must have the pooling output's shape {(m, n_H, n_W, n_C)}, got {dA.shape}")
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            vert_start, vert_end = h * stride, h * stride + f
            for w in range(n_W):
                horiz_start, horiz_end = w * stride, w * stride + f
                for c in range(n_C):
                    if mode == "max":
                        a_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_slice, ties)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(
                            dA[i, h, w, c], (f, f)
                        )
    return dA_prev


# --- the convolution matrix, im2col and col2im (convcore.matrix) ----------------------------------------------


def conv_matrix(input_shape, W, hparameters) -> np.ndarray:
    """Loop version of :func:`convcore.conv_matrix`: for every output cell ``(h, w, c)`` (a row), every tap ``(u, v)``
    and every input channel of ``c``'s group, the weight goes into the column of the input cell it multiplies
    (nothing when the tap lands on padding). ``input_shape = (n_H_prev, n_W_prev, n_C_prev)``."""
    n_H_prev, n_W_prev, n_C_prev = (int(n) for n in input_shape)
    zeros = np.zeros((1, n_H_prev, n_W_prev, n_C_prev))
    _, W, hp, _, (f_H, f_W, cg_in, n_C), (n_H, n_W) = _geometry(zeros, W, hparameters)
    s, d, p = hp.stride, hp.dilation, hp.pad
    cg_out = n_C // hp.groups
    K = effective_kernel(W, hp.convention)
    C = np.zeros((n_H * n_W * n_C, n_H_prev * n_W_prev * n_C_prev))
    for h in range(n_H):
        for w in range(n_W):
            for c in range(n_C):
                row = (h * n_W + w) * n_C + c  # Z[0] flattened row-major
                for u in range(f_H):
                    for v in range(f_W):
                        y, x = s * h + d * u - p, s * w + d * v - p  # the input cell under tap (u, v)
                        if not (0 <= y < n_H_prev and 0 <= x < n_W_prev):
                            continue  # padding: multiplies a zero
                        for i in range(cg_in):
                            k = (c // cg_out) * cg_in + i
                            C[row, (y * n_W_prev + x) * n_C_prev + k] = K[u, v, i, c]
    return C


def im2col(A_prev, f_H: int, f_W: int, hparameters) -> np.ndarray:
    """Loop version of :func:`convcore.im2col`: one row per output position ``(i, h, w)``, the window's taps read in
    ``(u, v, k)`` order. ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``."""
    A_prev = as_array("A_prev", A_prev, 4)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    hp = conv_params(hparameters)
    s, d = hp.stride, hp.dilation
    n_H = out_size(n_H_prev, f_H, s, hp.pad, "input height", d)
    n_W = out_size(n_W_prev, f_W, s, hp.pad, "input width", d)
    A_prev_pad = zero_pad(A_prev, hp.pad)
    cols = np.zeros((m * n_H * n_W, f_H * f_W * n_C_prev))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                window = A_prev_pad[i, h * s : h * s + d * (f_H - 1) + 1 : d, w * s : w * s + d * (f_W - 1) + 1 : d, :]
                cols[(i * n_H + h) * n_W + w] = window.reshape(-1)  # (f_H, f_W, n_C_prev) -> one row
    return cols


def col2im(cols, input_shape, f_H: int, f_W: int, hparameters) -> np.ndarray:
    """Loop version of :func:`convcore.col2im`: every row added back onto its window's taps, then the padding
    cropped. ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``."""
    m, n_H_prev, n_W_prev, n_C_prev = (int(n) for n in input_shape)
    hp = conv_params(hparameters)
    s, d, p = hp.stride, hp.dilation, hp.pad
    n_H = out_size(n_H_prev, f_H, s, p, "input height", d)
    n_W = out_size(n_W_prev, f_W, s, p, "input width", d)
    cols = as_array("cols", cols, 2)
    out = np.zeros((m, n_H_prev + 2 * p, n_W_prev + 2 * p, n_C_prev))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                patch = cols[(i * n_H + h) * n_W + w].reshape(f_H, f_W, n_C_prev)
                out[i, h * s : h * s + d * (f_H - 1) + 1 : d, w * s : w * s + d * (f_W - 1) + 1 : d, :] += patch
    return out[:, p : p + n_H_prev, p : p + n_W_prev, :]


# --- the transposed convolution (convcore.transpose) ----------------------------------------------------------


def conv_transpose_forward(X, W, b, hparameters):
    """Loop version of :func:`convcore.conv_transpose_forward`: every ``X[i, h, w, c]`` stamps ``K[:, :, :, c] *
    X[i, h, w, c]`` onto the taps of its window in the padded output (its group's channels), then ``p`` is cropped
    and ``b`` added."""
    hp, op = transpose_params(hparameters)
    X, W, b = as_array("X", X, 4), as_array("W", W, 4), as_array("b", b, 4)
    m, n_H, n_W, n_C = X.shape
    _, L_H, L_W, n_C_prev = conv_transpose_output_shape(X.shape, W.shape, hp.stride, hp.pad, op, hp.dilation, hp.groups)
    f_H, f_W, cg_in, _ = W.shape
    s, d, p = hp.stride, hp.dilation, hp.pad
    cg_out = n_C // hp.groups
    K = effective_kernel(W, hp.convention)
    Y_pad = np.zeros((m, L_H + 2 * p, L_W + 2 * p, n_C_prev))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    k0 = (c // cg_out) * cg_in  # the input channels of filter c's group
                    rows = slice(h * s, h * s + d * (f_H - 1) + 1, d)
                    cols = slice(w * s, w * s + d * (f_W - 1) + 1, d)
                    Y_pad[i, rows, cols, k0 : k0 + cg_in] += K[:, :, :, c] * X[i, h, w, c]
    Y = Y_pad[:, p : p + L_H, p : p + L_W, :] + b.reshape(1, 1, 1, n_C_prev)
    return Y, (X, W, b, hparameters)


def conv_transpose_backward(dY, cache):
    """Loop version of :func:`convcore.conv_transpose_backward`: ``dX[i, h, w, c] = sum(dY_pad[window] * K[..., c])``
    (a correlation, no flip), ``dW[..., c] += dY_pad[window] * X[i, h, w, c]``, ``db`` the sum of ``dY``."""
    X, W, b, hparameters = cache
    hp, _ = transpose_params(hparameters)
    X, W, dY = as_array("X", X, 4), as_array("W", W, 4), as_array("dY", dY, 4)
    m, n_H, n_W, n_C = X.shape
    f_H, f_W, cg_in, _ = W.shape
    s, d, p = hp.stride, hp.dilation, hp.pad
    cg_out = n_C // hp.groups
    K = effective_kernel(W, hp.convention)
    dY_pad = zero_pad(dY, p)
    dX = np.zeros(X.shape)
    dK = np.zeros(K.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    k0 = (c // cg_out) * cg_in
                    window = dY_pad[
                        i, h * s : h * s + d * (f_H - 1) + 1 : d, w * s : w * s + d * (f_W - 1) + 1 : d, k0 : k0 + cg_in
                    ]
                    dX[i, h, w, c] = np.sum(window * K[:, :, :, c])
                    dK[:, :, :, c] += window * X[i, h, w, c]
    dW = dK if hp.convention == "correlation" else rot180(dK)
    db = dY.sum(axis=(0, 1, 2)).reshape(1, 1, 1, -1)
    return dX, dW, db
