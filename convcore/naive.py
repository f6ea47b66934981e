"""The course's functions written loop by loop: the reference for the fast code and the source of traces.

Same names, signatures, layout (NHWC) and caches as the course (see ``shared/seeds/003_*``), generalised
where the course stops: rectangular kernels ``W (f_H, f_W, n_C_prev, n_C)``, any stride (floored output
size), pad 0 (cropped with explicit ends, not ``p:-p``), the ``"convention"`` key, and both forms of
dA_prev. Slow on purpose: every output cell is one visible step.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, conv_hparameters, out_size, pool_hparameters
from .conv import effective_kernel, full_padding, rot180, zero_pad
from .pool import _check_mode, _check_ties

__all__ = [
    "zero_pad",
    "conv_single_step",
    "conv_forward",
    "conv_backward",
    "create_mask_from_window",
    "distribute_value",
    "pool_forward",
    "pool_backward",
]


def conv_single_step(a_slice_prev, W, b) -> float:
    """``sum(a_slice_prev * W) + b`` for one window: ``a_slice_prev (f_H, f_W, n_C_prev)``, same-shape ``W``."""
    return float(np.sum(np.multiply(a_slice_prev, W)) + float(np.asarray(b).reshape(-1)[0]))


def conv_forward(A_prev, W, b, hparameters):
    """Loop version of :func:`convcore.conv_forward` (same arguments, shapes and cache)."""
    stride, pad, convention = conv_hparameters(hparameters)
    A_prev, W, b = as_array("A_prev", A_prev, 4), as_array("W", W, 4), as_array("b", b, 4)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f_H, f_W, _, n_C = W.shape
    if W.shape[2] != n_C_prev:
        raise ValueError(f"W expects {W.shape[2]} input channel(s) but A_prev has {n_C_prev}")
    n_H = out_size(n_H_prev, f_H, stride, pad, "input height")
    n_W = out_size(n_W_prev, f_W, stride, pad, "input width")
    K = effective_kernel(W, convention)
    A_prev_pad = zero_pad(A_prev, pad)
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f_H
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f_W
                a_slice_prev = A_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, K[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)


def conv_backward(dZ, cache, method: str = "scatter"):
    """Loop version of :func:`convcore.conv_backward`.

    ``method="scatter"`` is the course's loop: ``dA_prev_pad[window] += W[:, :, :, c] * dZ[i, h, w, c]``.
    ``method="rot180"`` loops over the cells of the padded input instead: each is
    ``sum(dZ_full[window] * W_rot)`` with ``dZ_full`` dilated and "full" padded and ``W_rot`` rotated
    180 degrees with its channel axes swapped.
    """
    if method not in ("scatter", "rot180"):
        raise ValueError(f"method must be 'scatter' or 'rot180', got {method!r}")
    A_prev, W, b, hparameters = cache
    stride, pad, convention = conv_hparameters(hparameters)
    A_prev, W = as_array("A_prev", A_prev, 4), as_array("W", W, 4)
    dZ = as_array("dZ", dZ, 4)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f_H, f_W, _, n_C = W.shape
    n_H = out_size(n_H_prev, f_H, stride, pad, "input height")
    n_W = out_size(n_W_prev, f_W, stride, pad, "input width")
    if dZ.shape != (m, n_H, n_W, n_C):
        raise ValueError(f"dZ must have the forward output's shape {(m, n_H, n_W, n_C)}, got {dZ.shape}")
    K = effective_kernel(W, convention)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dK = np.zeros(K.shape)
    db = np.zeros((1, 1, 1, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start, vert_end = h * stride, h * stride + f_H
            for w in range(n_W):
                horiz_start, horiz_end = w * stride, w * stride + f_W
                a_slice = A_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    if method == "scatter":
                        dA_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :] += K[:, :, :, c] * dZ[i, h, w, c]
                    dK[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    if method == "rot180":
        dA_prev_pad = _rot180_loops(dZ, K, A_prev_pad.shape, stride, pad, (n_H_prev, n_W_prev))
    dA_prev = dA_prev_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    dW = dK if convention == "correlation" else rot180(dK)
    return dA_prev, dW, db


def _rot180_loops(dZ, K, pad_shape, stride, pad, prev_hw):
    m, n_H, n_W, n_C = dZ.shape
    f_H, f_W, n_C_prev, _ = K.shape
    dZ_dil = np.zeros((m, (n_H - 1) * stride + 1, (n_W - 1) * stride + 1, n_C))
    for h in range(n_H):
        for w in range(n_W):
            dZ_dil[:, h * stride, w * stride, :] = dZ[:, h, w, :]
    top, bottom = full_padding(prev_hw[0], f_H, stride, pad)
    left, right = full_padding(prev_hw[1], f_W, stride, pad)
    dZ_full = np.pad(dZ_dil, ((0, 0), (top, bottom), (left, right), (0, 0)))
    W_rot = rot180(K)  # (f_H, f_W, n_C_prev, n_C), rotated in space
    dA_prev_pad = np.zeros(pad_shape)
    for i in range(m):
        for y in range(pad_shape[1]):
            for x in range(pad_shape[2]):
                window = dZ_full[i, y : y + f_H, x : x + f_W, :]  # (f_H, f_W, n_C)
                for k in range(n_C_prev):
                    dA_prev_pad[i, y, x, k] = np.sum(window * W_rot[:, :, k, :])  # channel axes swapped
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
