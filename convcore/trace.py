"""Step-by-step records of every computation, for the pages to animate. Data only, never figures.

Each trace covers one example of the batch: ``A_prev (n_H_prev, n_W_prev, n_C_prev)`` (no batch axis),
``W (f_H, f_W, n_C_prev, n_C)``, ``dZ (n_H, n_W, n_C)``. The traces are built with explicit loops, one
step per output (or input) cell, in the order the course's loops visit them; the tests check each
trace's result against the fast functions of :mod:`convcore.conv` and :mod:`convcore.pool`.

Coordinates are in the *padded* input unless a name says otherwise: output cell ``(h, w)`` reads the
window ``rows [s*h, s*h + f_H)``, ``cols [s*w, s*w + f_W)`` of ``A_pad``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array, as_int, check_convention, out_size, pool_hparameters
from .conv import dilate, effective_kernel, full_padding, rot180
from .pool import _check_mode, _check_ties, window_mask

__all__ = [
    "ForwardTrace",
    "ScatterTrace",
    "Rot180Trace",
    "WeightTrace",
    "PoolTrace",
    "Term",
    "forward_trace",
    "scatter_trace",
    "rot180_trace",
    "weight_trace",
    "pool_trace",
    "input_cell_terms",
]


def _conv_args(A_prev_shape, W, stride, pad, convention):
    W = as_array("W", W, 4)
    stride, pad = as_int("stride", stride, 1), as_int("pad", pad, 0)
    check_convention(convention)
    n_H_prev, n_W_prev, n_C_prev = A_prev_shape
    f_H, f_W, w_c, _ = W.shape
    if w_c != n_C_prev:
        raise ValueError(f"W expects {w_c} input channel(s) but the input has {n_C_prev}")
    n_H = out_size(n_H_prev, f_H, stride, pad, "input height")
    n_W = out_size(n_W_prev, f_W, stride, pad, "input width")
    return W, stride, pad, n_H, n_W


def _check_dz(dZ, n_H, n_W, n_C):
    dZ = as_array("dZ", dZ, 3)
    if dZ.shape != (n_H, n_W, n_C):
        raise ValueError(f"dZ must have the forward output's shape {(n_H, n_W, n_C)}, got {dZ.shape}")
    return dZ


def _visited(shape_hw, f_H, f_W, stride, n_H, n_W) -> np.ndarray:
    seen = np.zeros(shape_hw, dtype=bool)
    for h in range(n_H):
        for w in range(n_W):
            seen[h * stride : h * stride + f_H, w * stride : w * stride + f_W] = True
    return seen


@dataclass(frozen=True)
class ForwardTrace:
    """The forward sliding window for one example.

    ``A_pad (H_p, W_p, n_C_prev)``, ``K (f_H, f_W, n_C_prev, n_C)`` the kernel actually correlated
    (``W``, or ``rot180(W)`` under the ``"convolution"`` convention), ``b (n_C,)``,
    ``products (n_H, n_W, f_H, f_W, n_C_prev, n_C)`` = patch * K per step,
    ``channel_sums (n_H, n_W, n_C_prev, n_C)`` the products summed per input channel,
    ``Z (n_H, n_W, n_C)`` = channel_sums summed over ``n_C_prev`` + b,
    ``visited (H_p, W_p)`` True where at least one window reads the cell.
    """

    A_pad: np.ndarray
    W: np.ndarray
    K: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    convention: str
    products: np.ndarray
    channel_sums: np.ndarray
    Z: np.ndarray
    visited: np.ndarray

    @property
    def kernel_hw(self) -> tuple[int, int]:
        return self.K.shape[0], self.K.shape[1]

    @property
    def steps(self) -> list[tuple[int, int]]:
        """Output cells ``(h, w)`` in the order of the course's loops (row by row)."""
        n_H, n_W = self.Z.shape[:2]
        return [(h, w) for h in range(n_H) for w in range(n_W)]

    def window(self, h: int, w: int) -> tuple[int, int, int, int]:
        """``(vert_start, vert_end, horiz_start, horiz_end)`` in padded coordinates."""
        f_H, f_W = self.kernel_hw
        return h * self.stride, h * self.stride + f_H, w * self.stride, w * self.stride + f_W

    def patch(self, h: int, w: int) -> np.ndarray:
        r0, r1, c0, c1 = self.window(h, w)
        return self.A_pad[r0:r1, c0:c1, :]


def forward_trace(A_prev, W, b, stride: int, pad: int, convention: str = "correlation") -> ForwardTrace:
    """Trace the forward pass of one example: ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``b (n_C,)``."""
    A_prev = as_array("A_prev", A_prev, 3)
    W, stride, pad, n_H, n_W = _conv_args(A_prev.shape, W, stride, pad, convention)
    f_H, f_W, n_C_prev, n_C = W.shape
    b = as_array("b", np.reshape(b, -1), 1)
    if b.shape != (n_C,):
        raise ValueError(f"b must hold one bias per filter ({n_C}), got {b.size}")
    K = effective_kernel(W, convention)
    A_pad = np.pad(A_prev, ((pad, pad), (pad, pad), (0, 0)))
    products = np.zeros((n_H, n_W, f_H, f_W, n_C_prev, n_C))
    for h in range(n_H):
        for w in range(n_W):
            patch = A_pad[h * stride : h * stride + f_H, w * stride : w * stride + f_W, :]
            for c in range(n_C):
                products[h, w, :, :, :, c] = patch * K[:, :, :, c]
    channel_sums = products.sum(axis=(2, 3))  # (n_H, n_W, n_C_prev, n_C)
    Z = channel_sums.sum(axis=2) + b  # (n_H, n_W, n_C)
    visited = _visited(A_pad.shape[:2], f_H, f_W, stride, n_H, n_W)
    return ForwardTrace(A_pad, W, K, b, stride, pad, convention, products, channel_sums, Z, visited)


@dataclass(frozen=True)
class ScatterTrace:
    """dA_prev by scattering, one step per output cell ``(h, w)`` in loop order.

    ``contributions (n_H, n_W, f_H, f_W, n_C_prev)``: ``sum_c K[:, :, :, c] * dZ[h, w, c]``, added into
    the window of ``dA_pad (H_p, W_p, n_C_prev)``; ``dA_prev`` is ``dA_pad`` with the padding cropped.
    """

    dZ: np.ndarray
    K: np.ndarray
    stride: int
    pad: int
    contributions: np.ndarray
    dA_pad: np.ndarray
    dA_prev: np.ndarray

    @property
    def steps(self) -> list[tuple[int, int]]:
        n_H, n_W = self.dZ.shape[:2]
        return [(h, w) for h in range(n_H) for w in range(n_W)]

    def window(self, h: int, w: int) -> tuple[int, int, int, int]:
        f_H, f_W = self.K.shape[:2]
        return h * self.stride, h * self.stride + f_H, w * self.stride, w * self.stride + f_W

    def running(self, k: int) -> np.ndarray:
        """``dA_pad (H_p, W_p, n_C_prev)`` after the first ``k`` steps (``k = 0``: all zeros)."""
        out = np.zeros(self.dA_pad.shape)
        for h, w in self.steps[:k]:
            r0, r1, c0, c1 = self.window(h, w)
            out[r0:r1, c0:c1, :] += self.contributions[h, w]
        return out


def scatter_trace(input_shape, W, dZ, stride: int, pad: int, convention: str = "correlation") -> ScatterTrace:
    """Trace the scatter form for one example; ``input_shape = (n_H_prev, n_W_prev, n_C_prev)``."""
    n_H_prev, n_W_prev, n_C_prev = (int(n) for n in input_shape)
    W, stride, pad, n_H, n_W = _conv_args((n_H_prev, n_W_prev, n_C_prev), W, stride, pad, convention)
    f_H, f_W, _, n_C = W.shape
    dZ = _check_dz(dZ, n_H, n_W, n_C)
    K = effective_kernel(W, convention)
    dA_pad = np.zeros((n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev))
    contributions = np.zeros((n_H, n_W, f_H, f_W, n_C_prev))
    for h in range(n_H):
        for w in range(n_W):
            for c in range(n_C):
                contributions[h, w] += K[:, :, :, c] * dZ[h, w, c]
            dA_pad[h * stride : h * stride + f_H, w * stride : w * stride + f_W, :] += contributions[h, w]
    dA_prev = dA_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return ScatterTrace(dZ, K, stride, pad, contributions, dA_pad, dA_prev)


@dataclass(frozen=True)
class Rot180Trace:
    """dA_prev as a full correlation with the rotated kernel, one step per padded-input cell.

    ``dZ_dilated ((n_H-1)s+1, (n_W-1)s+1, n_C)``; ``dZ_full (H_p + f_H - 1, W_p + f_W - 1, n_C)`` is it
    padded by ``offset = (f_H - 1, f_W - 1)`` before (and as much plus the never-visited rows after);
    ``W_rot (f_H, f_W, n_C, n_C_prev)`` = rot180(K) with the channel axes swapped; cell ``(y, x)`` of
    ``dA_pad (H_p, W_p, n_C_prev)`` is ``sum(dZ_full[y:y+f_H, x:x+f_W, :, None] * W_rot)``.
    ``is_dilation_zero (same as dZ_full[..., 0])`` marks the zeros that the stride inserted.
    """

    dZ: np.ndarray
    dZ_dilated: np.ndarray
    dZ_full: np.ndarray
    offset: tuple[int, int]
    W_rot: np.ndarray
    stride: int
    pad: int
    dA_pad: np.ndarray
    dA_prev: np.ndarray
    is_dilation_zero: np.ndarray = field(repr=False)
    is_full_padding: np.ndarray = field(repr=False)

    @property
    def steps(self) -> list[tuple[int, int]]:
        H_p, W_p = self.dA_pad.shape[:2]
        return [(y, x) for y in range(H_p) for x in range(W_p)]

    def window(self, y: int, x: int) -> tuple[int, int, int, int]:
        f_H, f_W = self.W_rot.shape[:2]
        return y, y + f_H, x, x + f_W


def rot180_trace(input_shape, W, dZ, stride: int, pad: int, convention: str = "correlation") -> Rot180Trace:
    """Trace the rot180 form for one example; ``input_shape = (n_H_prev, n_W_prev, n_C_prev)``."""
    n_H_prev, n_W_prev, n_C_prev = (int(n) for n in input_shape)
    W, stride, pad, n_H, n_W = _conv_args((n_H_prev, n_W_prev, n_C_prev), W, stride, pad, convention)
    f_H, f_W, _, n_C = W.shape
    dZ = _check_dz(dZ, n_H, n_W, n_C)
    K = effective_kernel(W, convention)
    dZ_dilated = dilate(dZ[None], stride)[0]
    top, bottom = full_padding(n_H_prev, f_H, stride, pad)
    left, right = full_padding(n_W_prev, f_W, stride, pad)
    dZ_full = np.pad(dZ_dilated, ((top, bottom), (left, right), (0, 0)))
    grid = np.zeros(dZ_dilated.shape[:2], dtype=bool)
    grid[::stride, ::stride] = True
    is_dilation_zero = np.pad(~grid, ((top, bottom), (left, right)))
    is_full_padding = np.pad(np.zeros(grid.shape, dtype=bool), ((top, bottom), (left, right)), constant_values=True)
    W_rot = rot180(K).transpose(0, 1, 3, 2)  # (f_H, f_W, n_C_prev, n_C) -> (f_H, f_W, n_C, n_C_prev)
    H_p, W_p = n_H_prev + 2 * pad, n_W_prev + 2 * pad
    dA_pad = np.zeros((H_p, W_p, n_C_prev))
    for y in range(H_p):
        for x in range(W_p):
            window = dZ_full[y : y + f_H, x : x + f_W, :]  # (f_H, f_W, n_C)
            for k in range(n_C_prev):
                dA_pad[y, x, k] = np.sum(window * W_rot[:, :, :, k])
    dA_prev = dA_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return Rot180Trace(
        dZ, dZ_dilated, dZ_full, (top, left), W_rot, stride, pad, dA_pad, dA_prev, is_dilation_zero, is_full_padding
    )


@dataclass(frozen=True)
class Term:
    """One term of an input cell's gradient: ``dZ[h, w, c_out] * K[u, v, c_in, c_out]``.

    ``(u, v)`` is the kernel position in the forward pass; ``(ru, rv) = (f_H-1-u, f_W-1-v)`` is where the
    same weight sits in the rotated kernel, the position the rot180 form reads it from.
    """

    h: int
    w: int
    c_out: int
    u: int
    v: int
    ru: int
    rv: int
    dz: float
    weight: float

    @property
    def value(self) -> float:
        return self.dz * self.weight


def input_cell_terms(K, dZ, stride: int, y: int, x: int, c_in: int = 0) -> list[Term]:
    """Which dZ entries reach padded-input cell ``(y, x)``, channel ``c_in``, and through which weights.

    ``K (f_H, f_W, n_C_prev, n_C)`` is the kernel correlated going forward, ``dZ (n_H, n_W, n_C)``. The terms
    are every ``(h, w, u, v)`` with ``s*h + u == y`` and ``s*w + v == x``, ordered by ``(h, w)``: as ``h``
    grows, ``u`` falls, which is the reversed (rotated) kernel read in order.
    """
    K = np.asarray(K, dtype=np.float64)
    f_H, f_W, _, n_C = K.shape
    n_H, n_W = dZ.shape[:2]
    terms = []
    for h in range(n_H):
        u = y - stride * h
        if not 0 <= u < f_H:
            continue
        for w in range(n_W):
            v = x - stride * w
            if not 0 <= v < f_W:
                continue
            for c in range(n_C):
                terms.append(Term(h, w, c, u, v, f_H - 1 - u, f_W - 1 - v, float(dZ[h, w, c]), float(K[u, v, c_in, c])))
    return terms


@dataclass(frozen=True)
class WeightTrace:
    """dW per ``(c_in, c_out)`` pair: dZ slides over the padded input like a kernel whose entries sit
    ``s`` apart.

    ``A_pad (H_p, W_p, n_C_prev)`` (one example), ``dZ (n_H, n_W, n_C)``, ``dZ_dilated`` as in the
    rot180 form, ``dK (f_H, f_W, n_C_prev, n_C)`` the correlation result for the kernel that was
    correlated going forward, ``dW`` the gradient of ``W`` itself (``rot180(dK)`` under ``"convolution"``),
    ``dW_loops`` the course's per-window accumulation ``dW += a_slice * dZ[h, w]``, ``db (n_C,)``.
    """

    A_pad: np.ndarray
    dZ: np.ndarray
    dZ_dilated: np.ndarray
    stride: int
    pad: int
    convention: str
    dK: np.ndarray
    dW: np.ndarray
    dW_loops: np.ndarray
    db: np.ndarray

    @property
    def steps(self) -> list[tuple[int, int]]:
        f_H, f_W = self.dK.shape[:2]
        return [(u, v) for u in range(f_H) for v in range(f_W)]

    def positions(self, u: int, v: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns of ``A_pad`` that dZ's entries touch when it sits at kernel offset ``(u, v)``."""
        n_H, n_W = self.dZ.shape[:2]
        return u + self.stride * np.arange(n_H), v + self.stride * np.arange(n_W)


def weight_trace(A_prev, weight_shape, dZ, stride: int, pad: int, convention: str = "correlation") -> WeightTrace:
    """Trace dW and db for one example: ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``dZ (n_H, n_W, n_C)``."""
    A_prev = as_array("A_prev", A_prev, 3)
    f_H, f_W, n_C_prev, n_C = (int(n) for n in weight_shape)
    _, stride, pad, n_H, n_W = _conv_args(A_prev.shape, np.zeros((f_H, f_W, n_C_prev, n_C)), stride, pad, convention)
    dZ = _check_dz(dZ, n_H, n_W, n_C)
    A_pad = np.pad(A_prev, ((pad, pad), (pad, pad), (0, 0)))
    dZ_dilated = dilate(dZ[None], stride)[0]
    d_H, d_W = dZ_dilated.shape[:2]
    dK = np.zeros((f_H, f_W, n_C_prev, n_C))
    for ci in range(n_C_prev):
        for co in range(n_C):
            for u in range(f_H):
                for v in range(f_W):  # dilated dZ placed at (u, v) over the padded input channel ci
                    dK[u, v, ci, co] = np.sum(A_pad[u : u + d_H, v : v + d_W, ci] * dZ_dilated[:, :, co])
    dW_loops = np.zeros((f_H, f_W, n_C_prev, n_C))
    for h in range(n_H):
        for w in range(n_W):
            a_slice = A_pad[h * stride : h * stride + f_H, w * stride : w * stride + f_W, :]
            for c in range(n_C):
                dW_loops[:, :, :, c] += a_slice * dZ[h, w, c]
    to_w = (lambda d: d) if convention == "correlation" else rot180
    return WeightTrace(
        A_pad, dZ, dZ_dilated, stride, pad, convention, dK, to_w(dK), to_w(dW_loops), dZ.sum(axis=(0, 1))
    )


@dataclass(frozen=True)
class PoolTrace:
    """Pooling for one example, forward and backward.

    ``A_prev (n_H_prev, n_W_prev, n_C)``, ``A (n_H, n_W, n_C)``, ``weights (n_H, n_W, n_C, f, f)`` where
    each window sends its gradient (the max mask, or ``1 / f^2`` everywhere for average), ``dA`` as given,
    ``dA_prev`` the accumulated result, ``visited`` True where some window reads the cell.
    """

    A_prev: np.ndarray
    f: int
    stride: int
    mode: str
    ties: str
    A: np.ndarray
    weights: np.ndarray
    dA: np.ndarray
    dA_prev: np.ndarray
    visited: np.ndarray

    @property
    def steps(self) -> list[tuple[int, int]]:
        n_H, n_W = self.A.shape[:2]
        return [(h, w) for h in range(n_H) for w in range(n_W)]

    def window(self, h: int, w: int) -> tuple[int, int, int, int]:
        return h * self.stride, h * self.stride + self.f, w * self.stride, w * self.stride + self.f

    def running(self, k: int) -> np.ndarray:
        """``dA_prev`` after the first ``k`` windows have sent their gradient."""
        out = np.zeros(self.A_prev.shape)
        for h, w in self.steps[:k]:
            r0, r1, c0, c1 = self.window(h, w)
            out[r0:r1, c0:c1, :] += (self.weights[h, w] * self.dA[h, w, :, None, None]).transpose(1, 2, 0)
        return out


def pool_trace(A_prev, hparameters, mode: str = "max", dA=None, ties: str = "all") -> PoolTrace:
    """Trace pooling for one example; ``dA`` defaults to ones (every output's gradient is 1)."""
    _check_mode(mode)
    _check_ties(ties)
    A_prev = as_array("A_prev", A_prev, 3)
    f, stride = pool_hparameters(hparameters)
    n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = out_size(n_H_prev, f, stride, 0, "input height")
    n_W = out_size(n_W_prev, f, stride, 0, "input width")
    dA = np.ones((n_H, n_W, n_C)) if dA is None else _check_dz(dA, n_H, n_W, n_C)
    A = np.zeros((n_H, n_W, n_C))
    weights = np.zeros((n_H, n_W, n_C, f, f))
    dA_prev = np.zeros(A_prev.shape)
    for h in range(n_H):
        for w in range(n_W):
            for c in range(n_C):
                window = A_prev[h * stride : h * stride + f, w * stride : w * stride + f, c]
                if mode == "max":
                    A[h, w, c] = window.max()
                    weights[h, w, c] = window_mask(window, ties)
                else:
                    A[h, w, c] = window.mean()
                    weights[h, w, c] = 1.0 / (f * f)
                dA_prev[h * stride : h * stride + f, w * stride : w * stride + f, c] += weights[h, w, c] * dA[h, w, c]
    visited = _visited((n_H_prev, n_W_prev), f, f, stride, n_H, n_W)
    return PoolTrace(A_prev, f, stride, mode, ties, A, weights, dA, dA_prev, visited)
