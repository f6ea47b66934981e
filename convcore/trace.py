"""Step-by-step records of every computation, for the pages to animate. Data only, never figures.

Each trace covers one example of the batch: ``A_prev (n_H_prev, n_W_prev, n_C_prev)`` (no batch axis),
``W (f_H, f_W, n_C_prev, n_C)``, ``dZ (n_H, n_W, n_C)``. The traces are built with explicit loops, one
step per output (or input) cell, in the order the course's loops visit them; the tests check each
trace's result against the fast functions of :mod:`convcore.conv` and :mod:`convcore.pool`.

Coordinates are in the *padded* input unless a name says otherwise: output cell ``(h, w)`` reads the
window ``rows [s*h, s*h + e_H)``, ``cols [s*w, s*w + e_W)`` of ``A_pad``, every ``d``-th row and column of it
(``e = d (f - 1) + 1`` the dilated kernel's extent; ``d = 1`` reads all of it). With ``groups = g``, filter ``c``
reads the input channels of its group only (``in_channels(c)``); ``W`` is ``(f_H, f_W, n_C_prev // g, n_C)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array, check_groups, conv_params, extent, out_size, pool_hparameters
from .conv import dilate, dilate_kernel, effective_kernel, full_padding, rot180, swap_channel_axes
from .pool import _check_mode, _check_ties, window_mask
from .transpose import conv_transpose_output_shape, transpose_params

__all__ = [
    "ForwardTrace",
    "ScatterTrace",
    "Rot180Trace",
    "WeightTrace",
    "PoolTrace",
    "TransposeTrace",
    "Term",
    "forward_trace",
    "scatter_trace",
    "rot180_trace",
    "weight_trace",
    "pool_trace",
    "transpose_trace",
    "input_cell_terms",
]


def _conv_args(A_prev_shape, W, stride, pad, convention, dilation=1, groups=1):
    W = as_array("W", W, 4)
    hp = conv_params({"stride": stride, "pad": pad, "convention": convention, "dilation": dilation, "groups": groups})
    n_H_prev, n_W_prev, n_C_prev = A_prev_shape
    f_H, f_W, w_c, n_C = W.shape
    if hp.groups == 1 and w_c != n_C_prev:
        raise ValueError(f"W expects {w_c} input channel(s) but the input has {n_C_prev}")
    check_groups(hp.groups, n_C_prev, n_C, w_c)
    n_H = out_size(n_H_prev, f_H, hp.stride, hp.pad, "input height", hp.dilation)
    n_W = out_size(n_W_prev, f_W, hp.stride, hp.pad, "input width", hp.dilation)
    return W, hp, n_H, n_W


def _check_dz(dZ, n_H, n_W, n_C):
    dZ = as_array("dZ", dZ, 3)
    if dZ.shape != (n_H, n_W, n_C):
        raise ValueError(f"dZ must have the forward output's shape {(n_H, n_W, n_C)}, got {dZ.shape}")
    return dZ


def _visited(shape_hw, f_H, f_W, stride, n_H, n_W, dilation=1) -> np.ndarray:
    """``(H, W)`` True where some window's tap reads the cell (a dilated window skips its holes)."""
    seen = np.zeros(shape_hw, dtype=bool)
    e_H, e_W = extent(f_H, dilation), extent(f_W, dilation)
    for h in range(n_H):
        for w in range(n_W):
            seen[h * stride : h * stride + e_H : dilation, w * stride : w * stride + e_W : dilation] = True
    return seen


class _Grouped:
    """Channel bookkeeping shared by the convolution traces: which input channels feed which filters."""

    groups: int
    n_C_prev: int
    n_C: int

    @property
    def group_in(self) -> int:
        """Input channels per group, ``n_C_prev // groups``."""
        return self.n_C_prev // self.groups

    @property
    def group_out(self) -> int:
        """Filters (output channels) per group, ``n_C // groups``."""
        return self.n_C // self.groups

    def in_channels(self, c_out: int) -> range:
        """The input channels that filter ``c_out`` reads (its group's block)."""
        g = c_out // self.group_out
        return range(g * self.group_in, (g + 1) * self.group_in)

    def out_channels(self, c_in: int) -> range:
        """The filters that read input channel ``c_in`` (its group's block)."""
        g = c_in // self.group_in
        return range(g * self.group_out, (g + 1) * self.group_out)

    def in_group(self, c_in: int, c_out: int) -> bool:
        """True when input channel ``c_in`` and filter ``c_out`` meet (the same group)."""
        return c_in // self.group_in == c_out // self.group_out


class _Stamps(_Grouped):
    """What the scatter loop records, shared by the convolution's scatter form (dZ scattered into ``dA_pad``) and the
    transposed convolution (X stamped into ``Y_pad``): one step per cell ``(h, w)`` of the scattered array, which adds
    ``contributions[h, w] (f_H, f_W, n_C_prev)`` onto the taps of its window in the padded canvas. A subclass names
    the two arrays (``scattered``, ``canvas``) and has the fields ``K``, ``stride``, ``dilation`` and
    ``contributions``."""

    K: np.ndarray
    stride: int
    dilation: int
    contributions: np.ndarray
    scattered: np.ndarray
    canvas: np.ndarray

    @property
    def n_C_prev(self) -> int:
        return self.canvas.shape[2]

    @property
    def n_C(self) -> int:
        return self.K.shape[3]

    @property
    def steps(self) -> list[tuple[int, int]]:
        n_H, n_W = self.scattered.shape[:2]
        return [(h, w) for h in range(n_H) for w in range(n_W)]

    def window(self, h: int, w: int) -> tuple[int, int, int, int]:
        """Step ``(h, w)``'s window: its span in padded coordinates; its taps are every ``dilation``-th cell of it."""
        f_H, f_W = self.K.shape[:2]
        e_H, e_W = extent(f_H, self.dilation), extent(f_W, self.dilation)
        return h * self.stride, h * self.stride + e_H, w * self.stride, w * self.stride + e_W

    def running(self, k: int) -> np.ndarray:
        """The padded canvas after the first ``k`` steps (``k = 0``: all zeros; the transposed convolution's without
        its bias)."""
        out = np.zeros(self.canvas.shape)
        d = self.dilation
        for h, w in self.steps[:k]:
            r0, r1, c0, c1 = self.window(h, w)
            out[r0:r1:d, c0:c1:d, :] += self.contributions[h, w]
        return out


def _stamp(K: np.ndarray, src: np.ndarray, canvas_shape: tuple, stride: int, dilation: int, groups: int):
    """The scatter loop, as the course writes it: for each cell ``(h, w)`` of ``src (n_H, n_W, n_C)``, every filter
    ``c`` adds ``K[:, :, :, c] * src[h, w, c]`` onto its group's channels of the window's taps. Returns
    ``(contributions (n_H, n_W, f_H, f_W, n_C_prev), canvas)``, the canvas of ``canvas_shape`` with every step added."""
    n_H, n_W, n_C = src.shape
    f_H, f_W, cg_in, _ = K.shape
    cg_out = n_C // groups
    s, d = stride, dilation
    e_H, e_W = extent(f_H, d), extent(f_W, d)
    canvas = np.zeros(canvas_shape)
    contributions = np.zeros((n_H, n_W, f_H, f_W, canvas_shape[2]))
    for h in range(n_H):
        for w in range(n_W):
            for c in range(n_C):
                k0 = (c // cg_out) * cg_in  # filter c reads (and stamps onto) its group's channels
                contributions[h, w, :, :, k0 : k0 + cg_in] += K[:, :, :, c] * src[h, w, c]
            canvas[h * s : h * s + e_H : d, w * s : w * s + e_W : d, :] += contributions[h, w]
    return contributions, canvas


@dataclass(frozen=True)
class ForwardTrace(_Grouped):
    """The forward sliding window for one example.

    ``A_pad (H_p, W_p, n_C_prev)``, ``K (f_H, f_W, n_C_prev // g, n_C)`` the kernel actually correlated
    (``W``, or ``rot180(W)`` under the ``"convolution"`` convention), ``b (n_C,)``,
    ``products (n_H, n_W, f_H, f_W, n_C_prev // g, n_C)`` = patch * K per step (the patch of filter ``c``: its
    taps, ``dilation`` apart, on the input channels of its group),
    ``channel_sums (n_H, n_W, n_C_prev // g, n_C)`` the products summed per input channel of the group,
    ``Z (n_H, n_W, n_C)`` = channel_sums summed + b, ``visited (H_p, W_p)`` True where at least one tap reads
    the cell.
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
    dilation: int = 1
    groups: int = 1

    @property
    def n_C_prev(self) -> int:
        return self.A_pad.shape[2]

    @property
    def n_C(self) -> int:
        return self.K.shape[3]

    @property
    def kernel_hw(self) -> tuple[int, int]:
        """The kernel's taps ``(f_H, f_W)``."""
        return self.K.shape[0], self.K.shape[1]

    @property
    def extent_hw(self) -> tuple[int, int]:
        """The cells a window spans, holes included: ``(d (f_H - 1) + 1, d (f_W - 1) + 1)``."""
        return extent(self.K.shape[0], self.dilation), extent(self.K.shape[1], self.dilation)

    @property
    def steps(self) -> list[tuple[int, int]]:
        """Output cells ``(h, w)`` in the order of the course's loops (row by row)."""
        n_H, n_W = self.Z.shape[:2]
        return [(h, w) for h in range(n_H) for w in range(n_W)]

    def window(self, h: int, w: int) -> tuple[int, int, int, int]:
        """``(vert_start, vert_end, horiz_start, horiz_end)`` in padded coordinates (the span, holes included)."""
        e_H, e_W = self.extent_hw
        return h * self.stride, h * self.stride + e_H, w * self.stride, w * self.stride + e_W

    def patch(self, h: int, w: int, c_out: int | None = None) -> np.ndarray:
        """The cells the window's taps read, ``(f_H, f_W, channels)``: every input channel, or with ``c_out``
        only those of filter ``c_out``'s group."""
        r0, r1, c0, c1 = self.window(h, w)
        d = self.dilation
        chans = slice(None) if c_out is None else slice(self.in_channels(c_out).start, self.in_channels(c_out).stop)
        return self.A_pad[r0:r1:d, c0:c1:d, chans]


def forward_trace(
    A_prev, W, b, stride: int, pad: int, convention: str = "correlation", dilation: int = 1, groups: int = 1
) -> ForwardTrace:
    """Trace the forward pass of one example: ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``b (n_C,)``."""
    A_prev = as_array("A_prev", A_prev, 3)
    W, hp, n_H, n_W = _conv_args(A_prev.shape, W, stride, pad, convention, dilation, groups)
    s, d = hp.stride, hp.dilation
    f_H, f_W, cg_in, n_C = W.shape
    cg_out = n_C // hp.groups
    b = as_array("b", np.reshape(b, -1), 1)
    if b.shape != (n_C,):
        raise ValueError(f"b must hold one bias per filter ({n_C}), got {b.size}")
    K = effective_kernel(W, hp.convention)
    A_pad = np.pad(A_prev, ((hp.pad, hp.pad), (hp.pad, hp.pad), (0, 0)))
    e_H, e_W = extent(f_H, d), extent(f_W, d)
    products = np.zeros((n_H, n_W, f_H, f_W, cg_in, n_C))
    for h in range(n_H):
        for w in range(n_W):
            patch = A_pad[h * s : h * s + e_H : d, w * s : w * s + e_W : d, :]  # the taps, every channel
            for c in range(n_C):
                k0 = (c // cg_out) * cg_in  # filter c reads its group's input channels only
                products[h, w, :, :, :, c] = patch[:, :, k0 : k0 + cg_in] * K[:, :, :, c]
    channel_sums = products.sum(axis=(2, 3))  # (n_H, n_W, cg_in, n_C)
    Z = channel_sums.sum(axis=2) + b  # (n_H, n_W, n_C)
    visited = _visited(A_pad.shape[:2], f_H, f_W, s, n_H, n_W, d)
    return ForwardTrace(A_pad, W, K, b, s, hp.pad, hp.convention, products, channel_sums, Z, visited, d, hp.groups)


@dataclass(frozen=True)
class ScatterTrace(_Stamps):
    """dA_prev by scattering, one step per output cell ``(h, w)`` in loop order.

    ``contributions (n_H, n_W, f_H, f_W, n_C_prev)``: for input channel ``k``, ``sum_c K[:, :, k', c] * dZ[h, w, c]``
    over the filters ``c`` of ``k``'s group (``k'`` its index in the group), added into the window's taps (``dilation``
    apart) of ``dA_pad (H_p, W_p, n_C_prev)``; ``dA_prev`` is ``dA_pad`` with the padding cropped.
    """

    dZ: np.ndarray
    K: np.ndarray
    stride: int
    pad: int
    contributions: np.ndarray
    dA_pad: np.ndarray
    dA_prev: np.ndarray
    dilation: int = 1
    groups: int = 1

    @property
    def scattered(self) -> np.ndarray:
        return self.dZ

    @property
    def canvas(self) -> np.ndarray:
        return self.dA_pad


def scatter_trace(
    input_shape, W, dZ, stride: int, pad: int, convention: str = "correlation", dilation: int = 1, groups: int = 1
) -> ScatterTrace:
    """Trace the scatter form for one example; ``input_shape = (n_H_prev, n_W_prev, n_C_prev)``."""
    n_H_prev, n_W_prev, n_C_prev = (int(n) for n in input_shape)
    W, hp, n_H, n_W = _conv_args((n_H_prev, n_W_prev, n_C_prev), W, stride, pad, convention, dilation, groups)
    s, d, p = hp.stride, hp.dilation, hp.pad
    dZ = _check_dz(dZ, n_H, n_W, W.shape[3])
    K = effective_kernel(W, hp.convention)
    contributions, dA_pad = _stamp(K, dZ, (n_H_prev + 2 * p, n_W_prev + 2 * p, n_C_prev), s, d, hp.groups)
    dA_prev = dA_pad[p : p + n_H_prev, p : p + n_W_prev, :]
    return ScatterTrace(dZ, K, s, p, contributions, dA_pad, dA_prev, d, hp.groups)


@dataclass(frozen=True)
class TransposeTrace(_Stamps):
    """A transposed convolution for one example, one step per input cell ``(h, w)`` in loop order: the cell stamps a
    scaled copy of the kernel into the output.

    ``X (n_H, n_W, n_C)``, ``K (f_H, f_W, n_C_prev // g, n_C)`` the kernel stamped (``W``, or ``rot180(W)`` under the
    ``"convolution"`` convention), ``b (n_C_prev,)``, ``contributions (n_H, n_W, f_H, f_W, n_C_prev)``: for output
    channel ``k``, ``Σ_c K[:, :, k', c] · X[h, w, c]`` over the filters ``c`` of ``k``'s group, added onto the window's
    taps (``dilation`` apart) of ``Y_pad (L_H + 2p, L_W + 2p, n_C_prev)``; ``Y (L_H, L_W, n_C_prev)`` is ``Y_pad``
    cropped by ``pad`` plus ``b``, with ``L = (n - 1) s - 2 p + d (f - 1) + output_padding + 1``. The same record as
    the convolution's scatter form (:class:`ScatterTrace`) with ``X`` for dZ: the same loop.
    """

    X: np.ndarray
    K: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    output_padding: tuple[int, int]
    contributions: np.ndarray
    Y_pad: np.ndarray
    Y: np.ndarray
    dilation: int = 1
    groups: int = 1

    @property
    def scattered(self) -> np.ndarray:
        return self.X

    @property
    def canvas(self) -> np.ndarray:
        return self.Y_pad


def transpose_trace(
    X,
    W,
    b,
    stride: int,
    pad: int,
    output_padding=0,
    convention: str = "correlation",
    dilation: int = 1,
    groups: int = 1,
) -> TransposeTrace:
    """Trace a transposed convolution of one example: ``X (n_H, n_W, n_C)``, ``W (f_H, f_W, n_C_prev // g, n_C)``
    (the convolution's own weight), ``b (n_C_prev,)``."""
    X = as_array("X", X, 3)
    W = as_array("W", W, 4)
    hp, op = transpose_params(
        {
            "stride": stride,
            "pad": pad,
            "output_padding": output_padding,
            "convention": convention,
            "dilation": dilation,
            "groups": groups,
        }
    )
    _, L_H, L_W, n_C_prev = conv_transpose_output_shape(
        (1, *X.shape), W.shape, hp.stride, hp.pad, op, hp.dilation, hp.groups
    )
    b = as_array("b", np.reshape(b, -1), 1)
    if b.shape != (n_C_prev,):
        raise ValueError(f"b must hold one bias per output channel ({n_C_prev}), got {b.size}")
    s, d, p = hp.stride, hp.dilation, hp.pad
    K = effective_kernel(W, hp.convention)
    contributions, Y_pad = _stamp(K, X, (L_H + 2 * p, L_W + 2 * p, n_C_prev), s, d, hp.groups)
    Y = Y_pad[p : p + L_H, p : p + L_W, :] + b
    return TransposeTrace(X, K, b, s, p, op, contributions, Y_pad, Y, d, hp.groups)


@dataclass(frozen=True)
class Rot180Trace(_Grouped):
    """dA_prev as a full correlation with the rotated kernel, one step per padded-input cell.

    ``dZ_dilated ((n_H-1)s+1, (n_W-1)s+1, n_C)``; ``dZ_full (H_p + e_H - 1, W_p + e_W - 1, n_C)`` is it padded by
    ``offset = (e_H - 1, e_W - 1)`` before (and as much plus the never-visited rows after), ``e = d (f - 1) + 1``
    the dilated kernel's extent; ``W_rot (f_H, f_W, n_C // g, n_C_prev)`` = rot180(K) with the channel axes swapped
    inside each group (:func:`convcore.conv.swap_channel_axes`); ``W_rot_dilated (e_H, e_W, n_C // g, n_C_prev)``
    the same with its holes written as zeros (``is_hole (e_H, e_W)``: rot180 of the dilated kernel keeps them);
    cell ``(y, x)`` of ``dA_pad (H_p, W_p, n_C_prev)``, channel ``k``, is
    ``sum(dZ_full[y:y+e_H, x:x+e_W, filters of k's group] * W_rot_dilated[:, :, :, k])``.
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
    dilation: int = 1
    groups: int = 1
    W_rot_dilated: np.ndarray | None = field(default=None, repr=False)
    is_hole: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_C_prev(self) -> int:
        return self.dA_pad.shape[2]

    @property
    def n_C(self) -> int:
        return self.dZ.shape[2]

    @property
    def steps(self) -> list[tuple[int, int]]:
        H_p, W_p = self.dA_pad.shape[:2]
        return [(y, x) for y in range(H_p) for x in range(W_p)]

    def window(self, y: int, x: int) -> tuple[int, int, int, int]:
        """The window over dZ_full, the dilated kernel's span (its taps ``dilation`` apart)."""
        e_H, e_W = self.W_rot_dilated.shape[:2]
        return y, y + e_H, x, x + e_W


def rot180_trace(
    input_shape, W, dZ, stride: int, pad: int, convention: str = "correlation", dilation: int = 1, groups: int = 1
) -> Rot180Trace:
    """Trace the rot180 form for one example; ``input_shape = (n_H_prev, n_W_prev, n_C_prev)``."""
    n_H_prev, n_W_prev, n_C_prev = (int(n) for n in input_shape)
    W, hp, n_H, n_W = _conv_args((n_H_prev, n_W_prev, n_C_prev), W, stride, pad, convention, dilation, groups)
    s, d, p = hp.stride, hp.dilation, hp.pad
    f_H, f_W, cg_in, n_C = W.shape
    cg_out = n_C // hp.groups
    dZ = _check_dz(dZ, n_H, n_W, n_C)
    K = effective_kernel(W, hp.convention)
    dZ_dilated = dilate(dZ[None], s)[0]
    top, bottom = full_padding(n_H_prev, f_H, s, p, d)
    left, right = full_padding(n_W_prev, f_W, s, p, d)
    dZ_full = np.pad(dZ_dilated, ((top, bottom), (left, right), (0, 0)))
    grid = np.zeros(dZ_dilated.shape[:2], dtype=bool)
    grid[::s, ::s] = True
    is_dilation_zero = np.pad(~grid, ((top, bottom), (left, right)))
    is_full_padding = np.pad(np.zeros(grid.shape, dtype=bool), ((top, bottom), (left, right)), constant_values=True)
    W_rot = swap_channel_axes(rot180(K), hp.groups)  # (f_H, f_W, cg_in, n_C) -> (f_H, f_W, cg_out, n_C_prev)
    W_rot_dilated = dilate_kernel(W_rot, d)  # (e_H, e_W, cg_out, n_C_prev), zeros in the holes
    is_hole = ~dilate_kernel(np.ones((f_H, f_W)), d).astype(bool)
    e_H, e_W = W_rot_dilated.shape[:2]
    H_p, W_p = n_H_prev + 2 * p, n_W_prev + 2 * p
    dA_pad = np.zeros((H_p, W_p, n_C_prev))
    for y in range(H_p):
        for x in range(W_p):
            window = dZ_full[y : y + e_H, x : x + e_W, :]  # (e_H, e_W, n_C)
            for k in range(n_C_prev):
                c0 = (k // cg_in) * cg_out  # input channel k collects the filters of its group only
                dA_pad[y, x, k] = np.sum(window[:, :, c0 : c0 + cg_out] * W_rot_dilated[:, :, :, k])
    dA_prev = dA_pad[p : p + n_H_prev, p : p + n_W_prev, :]
    return Rot180Trace(
        dZ,
        dZ_dilated,
        dZ_full,
        (top, left),
        W_rot,
        s,
        p,
        dA_pad,
        dA_prev,
        is_dilation_zero,
        is_full_padding,
        d,
        hp.groups,
        W_rot_dilated,
        is_hole,
    )


@dataclass(frozen=True)
class Term:
    """One term of an input cell's gradient: ``dZ[h, w, c_out] * K[u, v, c_in', c_out]``.

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


def input_cell_terms(
    K, dZ, stride: int, y: int, x: int, c_in: int = 0, dilation: int = 1, groups: int = 1
) -> list[Term]:
    """Which dZ entries reach padded-input cell ``(y, x)``, channel ``c_in``, and through which weights.

    ``K (f_H, f_W, n_C_prev // g, n_C)`` is the kernel correlated going forward, ``dZ (n_H, n_W, n_C)``. The terms
    are every ``(h, w, u, v)`` with ``s*h + d*u == y`` and ``s*w + d*v == x``, over the filters of ``c_in``'s group,
    ordered by ``(h, w)``: as ``h`` grows, ``u`` falls, which is the reversed (rotated) kernel read in order.
    """
    K = np.asarray(K, dtype=np.float64)
    f_H, f_W, cg_in, n_C = K.shape
    cg_out = n_C // groups
    g = c_in // cg_in
    n_H, n_W = dZ.shape[:2]
    terms = []
    for h in range(n_H):
        u, r = divmod(y - stride * h, dilation)
        if r or not 0 <= u < f_H:
            continue
        for w in range(n_W):
            v, r = divmod(x - stride * w, dilation)
            if r or not 0 <= v < f_W:
                continue
            for c in range(g * cg_out, (g + 1) * cg_out):
                weight = float(K[u, v, c_in - g * cg_in, c])
                terms.append(Term(h, w, c, u, v, f_H - 1 - u, f_W - 1 - v, float(dZ[h, w, c]), weight))
    return terms


@dataclass(frozen=True)
class WeightTrace(_Grouped):
    """dW per in-group ``(c_in, c_out)`` pair: dZ slides over the padded input like a kernel whose entries sit
    ``s`` apart, and each of its positions ``(u, v)`` reads the input at ``d u + s h`` (the holes of the dilation).

    ``A_pad (H_p, W_p, n_C_prev)`` (one example), ``dZ (n_H, n_W, n_C)``, ``dZ_dilated`` as in the
    rot180 form, ``dK (f_H, f_W, n_C_prev // g, n_C)`` the correlation result for the kernel that was
    correlated going forward, ``dW`` the gradient of ``W`` itself (``rot180(dK)`` under ``"convolution"``),
    ``dW_loops`` the course's per-window accumulation ``dW += a_slice * dZ[h, w]``, ``db (n_C,)``. A pair
    ``(c_in, c_out)`` from different groups never meets: it has no entry in ``dK`` (``in_group`` says which do).
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
    dilation: int = 1
    groups: int = 1

    @property
    def n_C_prev(self) -> int:
        return self.A_pad.shape[2]

    @property
    def n_C(self) -> int:
        return self.dZ.shape[2]

    @property
    def steps(self) -> list[tuple[int, int]]:
        f_H, f_W = self.dK.shape[:2]
        return [(u, v) for u in range(f_H) for v in range(f_W)]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """The ``(c_in, c_out)`` pairs that meet (same group), row by row: the panels dW has."""
        return [(ci, co) for ci in range(self.n_C_prev) for co in range(self.n_C) if self.in_group(ci, co)]

    def kernel_channel(self, c_in: int) -> int:
        """``c_in``'s index inside its group: the third index of ``dK`` / ``dW``."""
        return c_in % self.group_in

    def positions(self, u: int, v: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns of ``A_pad`` that dZ's entries touch when it sits at kernel tap ``(u, v)``:
        ``d u + s h`` and ``d v + s w``."""
        n_H, n_W = self.dZ.shape[:2]
        return self.dilation * u + self.stride * np.arange(n_H), self.dilation * v + self.stride * np.arange(n_W)


def weight_trace(
    A_prev,
    weight_shape,
    dZ,
    stride: int,
    pad: int,
    convention: str = "correlation",
    dilation: int = 1,
    groups: int = 1,
) -> WeightTrace:
    """Trace dW and db for one example: ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``dZ (n_H, n_W, n_C)``,
    ``weight_shape = (f_H, f_W, n_C_prev // g, n_C)``."""
    A_prev = as_array("A_prev", A_prev, 3)
    f_H, f_W, cg_in, n_C = (int(n) for n in weight_shape)
    zeros = np.zeros((f_H, f_W, cg_in, n_C))
    _, hp, n_H, n_W = _conv_args(A_prev.shape, zeros, stride, pad, convention, dilation, groups)
    s, d, p = hp.stride, hp.dilation, hp.pad
    cg_out = n_C // hp.groups
    dZ = _check_dz(dZ, n_H, n_W, n_C)
    A_pad = np.pad(A_prev, ((p, p), (p, p), (0, 0)))
    dZ_dilated = dilate(dZ[None], s)[0]
    d_H, d_W = dZ_dilated.shape[:2]
    dK = np.zeros((f_H, f_W, cg_in, n_C))
    for co in range(n_C):
        for i in range(cg_in):
            ci = (co // cg_out) * cg_in + i  # the i-th input channel of filter co's group
            for u in range(f_H):
                for v in range(f_W):  # dilated dZ placed at (d u, d v) over the padded input channel ci
                    dK[u, v, i, co] = np.sum(A_pad[d * u : d * u + d_H, d * v : d * v + d_W, ci] * dZ_dilated[:, :, co])
    dW_loops = np.zeros((f_H, f_W, cg_in, n_C))
    e_H, e_W = extent(f_H, d), extent(f_W, d)
    for h in range(n_H):
        for w in range(n_W):
            a_slice = A_pad[h * s : h * s + e_H : d, w * s : w * s + e_W : d, :]
            for c in range(n_C):
                k0 = (c // cg_out) * cg_in
                dW_loops[:, :, :, c] += a_slice[:, :, k0 : k0 + cg_in] * dZ[h, w, c]
    to_w = (lambda t: t) if hp.convention == "correlation" else rot180
    return WeightTrace(
        A_pad, dZ, dZ_dilated, s, p, hp.convention, dK, to_w(dK), to_w(dW_loops), dZ.sum(axis=(0, 1)), d, hp.groups
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
