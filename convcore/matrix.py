"""A convolution as a matrix, and as one matrix product over the patches: C and Cᵀ, im2col and col2im.

Layout: the course's NHWC (see :mod:`convcore.conv`), flattened **row-major** everywhere:

- one example's input ``A_prev[0] (n_H_prev, n_W_prev, n_C_prev)`` becomes the vector ``a`` with
  ``a[(y * n_W_prev + x) * n_C_prev + k] = A_prev[0, y, x, k]`` (``A_prev[0].ravel()``);
- its output ``Z[0] (n_H, n_W, n_C)`` becomes ``z`` with ``z[(h * n_W + w) * n_C + c] = Z[0, h, w, c]``.

**The convolution matrix** ``C (n_H n_W n_C, n_H_prev n_W_prev n_C_prev)`` (:func:`conv_matrix`) holds, in row
``(h, w, c)``, the kernel of filter ``c`` laid out at its window: ``C[(h, w, c), (y, x, k)] = K[u, v, i, c]`` where
``y = s h + d u - p``, ``x = s w + d v - p`` and ``k`` is the ``i``-th input channel of ``c``'s group (``K`` the kernel
correlated going forward: ``W``, or ``rot180(W)`` under the ``"convolution"`` convention). Padding is folded in: a tap
that lands on padding multiplies a zero, so it has no column. Then ``z = C a + b`` (``b`` tiled over the output
cells) and, since the layer is linear in ``a``, ``dA_prev[0].ravel() = Cᵀ dZ[0].ravel()`` (:func:`grad_input_matrix`).
C is the layer's Jacobian ``dz / da``.

Read row ``(y, x, k)`` of Cᵀ (column of C): it holds the weights that connect input cell ``(y, x, k)`` to each
output cell, in the order of the output cells. As ``h`` grows, ``u = (y + p - s h) / d`` falls: read along the row,
the kernel comes out **reversed**, which is the flip of the rot180 form, in the matrix itself.

**im2col** (:func:`im2col`): the patch matrix ``cols (m n_H n_W, f_H f_W n_C_prev)``, one row per output position
``(i, h, w)`` (row-major), the row being the window's taps ``A_pad[i, s h + d u, s w + d v, k]`` in ``(u, v, k)``
order (row-major: the NHWC order of a ``(f_H, f_W, n_C_prev)`` patch). The forward pass is one matrix product
(a GEMM) with :func:`weight_matrix` ``(f_H f_W n_C_prev, n_C)``; the backward pass is the transposed product
(:func:`grad_cols`) followed by :func:`col2im`, which **adds** every row back onto the taps it came from, so overlapping
windows sum. ``col2im(im2col(x)) = x * cover_count`` (:func:`cover_count`: how many windows' taps read each cell).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int, check_groups, conv_params, out_size
from .conv import _check_dZ, _forward_checked, _im2col, _input_shape, _pad, effective_kernel, output_shape

__all__ = [
    "MAX_MATRIX_ENTRIES",
    "conv_matrix",
    "conv_matrix_taps",
    "conv_forward_matrix",
    "grad_input_matrix",
    "im2col",
    "col2im",
    "cover_count",
    "axis_cover",
    "weight_matrix",
    "conv_forward_gemm",
    "grad_cols",
    "grad_input_col2im",
]

#: The most entries :func:`conv_matrix` builds by default: 16,777,216 float64 numbers, 128 MiB (a 32 x 32 x 3 input with
#: 5 filters of 3 x 3 makes C 4,500 x 3,072 = 13.8 million entries). Almost all of them are zeros: past this the matrix
#: costs more memory than a laptop spares and shows nothing new. Pass ``max_entries`` to go further.
MAX_MATRIX_ENTRIES = 1 << 24


def _example_shape(input_shape, what: str = "input_shape") -> tuple[int, int, int]:
    """``(n_H_prev, n_W_prev, n_C_prev)`` from a 3-tuple, or from ``(1, n_H_prev, n_W_prev, n_C_prev)``."""
    try:
        shape = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be (n_H_prev, n_W_prev, n_C_prev), got {input_shape!r}") from None
    if len(shape) == 4 and shape[0] == 1:
        shape = shape[1:]
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"{what} must be 3 positive sizes (n_H_prev, n_W_prev, n_C_prev) for one example, got {shape}")
    return shape  # type: ignore[return-value]


def _matrix_size(in_shape, weight_shape, hp, max_entries: int) -> tuple[int, int, int, int]:
    """``(n_H, n_W, rows, cols)`` of C after the checks, refusing a matrix of more than ``max_entries``."""
    n_H_prev, n_W_prev, n_C_prev = in_shape
    _, n_H, n_W, n_C = output_shape((1, *in_shape), weight_shape, hp.stride, hp.pad, hp.dilation, hp.groups)
    rows, cols = n_H * n_W * n_C, n_H_prev * n_W_prev * n_C_prev
    max_entries = as_int("max_entries", max_entries, 1)
    if rows * cols > max_entries:
        raise ValueError(
            f"the convolution matrix C would be {rows:,} x {cols:,} = {rows * cols:,} entries "
            f"({rows * cols * 8 / 2**20:,.0f} MiB), more than the limit of {max_entries:,} "
            f"(convcore.MAX_MATRIX_ENTRIES = {MAX_MATRIX_ENTRIES:,} unless max_entries says otherwise); "
            "use a smaller input or fewer channels, or im2col, whose patch matrix is much smaller"
        )
    return n_H, n_W, rows, cols


def _entries(in_shape, weight_shape, hp, n_H: int, n_W: int):
    """Where every weight sits in C, from the definition: for each output cell ``(h, w, c)``, tap ``(u, v)`` and
    input channel ``i`` of ``c``'s group, the input cell it multiplies. Returns the row and column indices of the
    entries that do not land on padding, and their ``(u, v, i, c)``."""
    n_H_prev, n_W_prev, n_C_prev = in_shape
    f_H, f_W, cg_in, n_C = weight_shape
    s, p, d = hp.stride, hp.pad, hp.dilation
    cg_out = n_C // hp.groups
    # every (h, w, c, u, v, i), each (n_H, n_W, n_C, f_H, f_W, cg_in)
    h, w, c, u, v, i = np.meshgrid(
        np.arange(n_H), np.arange(n_W), np.arange(n_C), np.arange(f_H), np.arange(f_W), np.arange(cg_in), indexing="ij"
    )
    y, x = s * h + d * u - p, s * w + d * v - p  # the input cell the tap reads, in unpadded coordinates
    k = (c // cg_out) * cg_in + i  # the i-th input channel of filter c's group
    inside = (y >= 0) & (y < n_H_prev) & (x >= 0) & (x < n_W_prev)  # padding has no column: it is zero
    rows = ((h * n_W + w) * n_C + c)[inside]
    cols = ((y * n_W_prev + x) * n_C_prev + k)[inside]
    return rows, cols, u[inside], v[inside], i[inside], c[inside]


def conv_matrix(input_shape, W, hparameters, *, max_entries: int = MAX_MATRIX_ENTRIES) -> np.ndarray:
    """The convolution of one example as a matrix: ``Z[0].ravel() == C @ A_prev[0].ravel() + bias``.

    ``input_shape = (n_H_prev, n_W_prev, n_C_prev)`` (or ``(1, ...)``), ``W (f_H, f_W, n_C_prev // g, n_C)``,
    ``hparameters`` the convolution's (``"stride"``, ``"pad"``, optional ``"dilation"``, ``"groups"``,
    ``"convention"``) -> ``C (n_H * n_W * n_C, n_H_prev * n_W_prev * n_C_prev)`` with
    ``n_H = 1 + (n_H_prev + 2 p - d (f_H - 1) - 1) // s`` (and the same for ``n_W``); rows are ``Z[0]`` flattened
    row-major over ``(n_H, n_W, n_C)``, columns ``A_prev[0]`` over ``(n_H_prev, n_W_prev, n_C_prev)``, padding folded
    in, ``bias = np.tile(b.ravel(), n_H * n_W)``. The backward pass is its transpose:
    ``dA_prev[0].ravel() == C.T @ dZ[0].ravel()``.

    Built from the definition (each row is the kernel at one window), not by probing the layer. Refuses a matrix of
    more than ``max_entries`` entries (default :data:`MAX_MATRIX_ENTRIES`) with a ``ValueError``.
    """
    in_shape = _example_shape(input_shape)
    W = as_array("W", W, 4)
    hp = conv_params(hparameters)
    n_H, n_W, n_rows, n_cols = _matrix_size(in_shape, W.shape, hp, max_entries)
    K = effective_kernel(W, hp.convention)
    rows, cols, u, v, i, c = _entries(in_shape, K.shape, hp, n_H, n_W)
    C = np.zeros((n_rows, n_cols))
    C[rows, cols] = K[u, v, i, c]  # no two taps of one window read the same cell: plain assignment
    return C


def conv_matrix_taps(input_shape, weight_shape, hparameters, *, max_entries: int = MAX_MATRIX_ENTRIES) -> np.ndarray:
    """Which kernel tap each entry of :func:`conv_matrix` holds: ``u * f_W + v`` (the tap's position in the kernel
    correlated going forward, as the pages colour kernels), or ``-1`` where C is zero because no weight connects
    that output cell to that input cell. Same shape as C, integers; same arguments with ``weight_shape`` for ``W``."""
    in_shape = _example_shape(input_shape)
    try:
        weight_shape = tuple(int(n) for n in weight_shape)
    except (TypeError, ValueError):
        raise ValueError(f"weight_shape must be (f_H, f_W, n_C_prev // g, n_C), got {weight_shape!r}") from None
    hp = conv_params(hparameters)
    n_H, n_W, n_rows, n_cols = _matrix_size(in_shape, weight_shape, hp, max_entries)
    rows, cols, u, v, _, _ = _entries(in_shape, weight_shape, hp, n_H, n_W)
    taps = np.full((n_rows, n_cols), -1, dtype=np.int64)
    taps[rows, cols] = u * weight_shape[1] + v
    return taps


def conv_forward_matrix(A_prev, W, b, hparameters, *, max_entries: int = MAX_MATRIX_ENTRIES) -> np.ndarray:
    """The forward pass as ``C a + b``, one example at a time: ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``,
    ``W (f_H, f_W, n_C_prev // g, n_C)``, ``b (1, 1, 1, n_C)`` -> ``Z (m, n_H, n_W, n_C)`` with
    ``Z[i].ravel() = C @ A_prev[i].ravel() + np.tile(b.ravel(), n_H * n_W)`` (:func:`conv_matrix`)."""
    A_prev, W, b, _, (m, n_H, n_W, n_C) = _forward_checked(A_prev, W, b, hparameters)
    C = conv_matrix(A_prev.shape[1:], W, hparameters, max_entries=max_entries)
    z = A_prev.reshape(m, -1) @ C.T + np.tile(b.reshape(-1), n_H * n_W)  # (m, cols) @ (cols, rows): C a + b
    return z.reshape(m, n_H, n_W, n_C)


def grad_input_matrix(input_shape, W, dZ, hparameters, *, max_entries: int = MAX_MATRIX_ENTRIES) -> np.ndarray:
    """dA_prev as ``Cᵀ dZ``, one example at a time: ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``,
    ``W (f_H, f_W, n_C_prev // g, n_C)``, ``dZ (m, n_H, n_W, n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``
    with ``dA_prev[i].ravel() = C.T @ dZ[i].ravel()`` (:func:`conv_matrix`)."""
    try:
        m, *in_shape = (int(n) for n in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (m, n_H_prev, n_W_prev, n_C_prev), got {input_shape!r}") from None
    in_shape = _example_shape(in_shape)
    if m < 1:
        raise ValueError(f"input_shape must start with the batch size m >= 1, got {m}")
    C = conv_matrix(in_shape, W, hparameters, max_entries=max_entries)
    hp = conv_params(hparameters)
    dZ = _check_dZ(dZ, output_shape((m, *in_shape), np.shape(W), hp.stride, hp.pad, hp.dilation, hp.groups))
    return (dZ.reshape(m, -1) @ C).reshape(m, *in_shape)  # (m, rows) @ (rows, cols): each example's Cᵀ dZ


def _batch(A_prev) -> tuple[np.ndarray, bool]:
    """``A_prev`` as ``(m, n_H_prev, n_W_prev, n_C_prev)``; a 3D array is one example without the batch axis."""
    if np.ndim(A_prev) == 3:
        return as_array("A_prev", A_prev, 3)[None], True
    return as_array("A_prev", A_prev, 4), False


def _windows_shape(n_H_prev: int, n_W_prev: int, f_H: int, f_W: int, hp) -> tuple[int, int]:
    n_H = out_size(n_H_prev, f_H, hp.stride, hp.pad, "input height", hp.dilation)
    n_W = out_size(n_W_prev, f_W, hp.stride, hp.pad, "input width", hp.dilation)
    return n_H, n_W


def im2col(A_prev, f_H: int, f_W: int, hparameters) -> np.ndarray:
    """The patch matrix: every window of the padded input as one row.

    ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)`` (or one example ``(n_H_prev, n_W_prev, n_C_prev)``), the kernel's
    ``f_H, f_W``, ``hparameters`` the convolution's -> ``cols (m * n_H * n_W, f_H * f_W * n_C_prev)``;
    ``n_H = 1 + (n_H_prev + 2 p - d (f_H - 1) - 1) // s``. Row ``(i * n_H + h) * n_W + w`` is output position
    ``(i, h, w)``; column ``(u * f_W + v) * n_C_prev + k`` holds ``A_pad[i, s h + d u, s w + d v, k]`` (NHWC order, the
    taps ``d`` apart, padding zeros included). ``"groups"`` and ``"convention"`` do not change the patches (they
    change the weight matrix, :func:`weight_matrix`).
    """
    A, _ = _batch(A_prev)
    f_H, f_W = as_int("f_H", f_H, 1), as_int("f_W", f_W, 1)
    hp = conv_params(hparameters)
    n_H, n_W = _windows_shape(A.shape[1], A.shape[2], f_H, f_W, hp)
    return np.ascontiguousarray(_im2col(_pad(A, hp.pad), f_H, f_W, hp.stride, n_H, n_W, hp.dilation))


def col2im(cols, input_shape, f_H: int, f_W: int, hparameters) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every row back onto the cells its window's taps read, then crop the padding.

    ``cols (m * n_H * n_W, f_H * f_W * n_C_prev)`` in :func:`im2col`'s layout, ``input_shape = (m, n_H_prev,
    n_W_prev, n_C_prev)`` (or ``(n_H_prev, n_W_prev, n_C_prev)`` for one example, returned without the batch axis)
    -> ``(m, n_H_prev, n_W_prev, n_C_prev)``. Overlapping windows **add up**, so
    ``col2im(im2col(x)) == x * cover_count(...)[..., None]``: each cell times the number of windows that read it.
    """
    try:
        shape = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (m, n_H_prev, n_W_prev, n_C_prev), got {input_shape!r}") from None
    single = len(shape) == 3
    if single:
        shape = (1, *shape)
    if len(shape) != 4 or min(shape) < 1:
        raise ValueError(f"input_shape must be 4 positive sizes (m, n_H_prev, n_W_prev, n_C_prev), got {shape}")
    m, n_H_prev, n_W_prev, n_C_prev = shape
    f_H, f_W = as_int("f_H", f_H, 1), as_int("f_W", f_W, 1)
    hp = conv_params(hparameters)
    n_H, n_W = _windows_shape(n_H_prev, n_W_prev, f_H, f_W, hp)
    cols = as_array("cols", cols, 2)
    expected = (m * n_H * n_W, f_H * f_W * n_C_prev)
    if cols.shape != expected:
        raise ValueError(
            f"cols must be im2col's (m * n_H * n_W, f_H * f_W * n_C_prev) = {expected} for this input and kernel, "
            f"got {cols.shape}"
        )
    s, d, p = hp.stride, hp.dilation, hp.pad
    patches = cols.reshape(m, n_H, n_W, f_H, f_W, n_C_prev)  # row (i, h, w), column (u, v, k)
    out = np.zeros((m, n_H_prev + 2 * p, n_W_prev + 2 * p, n_C_prev))
    for u in range(f_H):
        for v in range(f_W):  # every window's tap (u, v) at once: a strided += (no two windows share it)
            r0, c0 = d * u, d * v
            out[:, r0 : r0 + s * (n_H - 1) + 1 : s, c0 : c0 + s * (n_W - 1) + 1 : s, :] += patches[:, :, :, u, v, :]
    out = out[:, p : p + n_H_prev, p : p + n_W_prev, :]  # explicit ends: p:-p would be empty at p = 0
    return out[0] if single else out


def axis_cover(n_windows: int, f: int, stride: int, dilation: int, length: int, pad: int) -> np.ndarray:
    """Along one axis: how many of ``n_windows`` windows (``f`` taps ``dilation`` apart, ``stride`` apart, on an axis
    padded by ``pad``) read each of the ``length`` unpadded cells. ``(length,)`` integers."""
    count = np.zeros(length + 2 * pad, dtype=np.int64)
    for u in range(f):
        r0 = dilation * u
        count[r0 : r0 + stride * (n_windows - 1) + 1 : stride] += 1
    return count[pad : pad + length]


def cover_count(input_shape, f_H: int, f_W: int, hparameters) -> np.ndarray:
    """How many windows' taps read each input cell: ``(n_H_prev, n_W_prev)`` integers.

    ``input_shape`` is ``(n_H_prev, n_W_prev)``, ``(n_H_prev, n_W_prev, n_C_prev)`` or ``(m, n_H_prev, n_W_prev,
    n_C_prev)``. The count is the same for every channel and is the product of the two axes' counts (the windows
    form a grid). It is what col2im multiplies each cell by, and, when the stride does not divide the kernel's
    extent, it alternates from cell to cell: the checkerboard of a transposed convolution.
    """
    try:
        shape = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (n_H_prev, n_W_prev, ...), got {input_shape!r}") from None
    if len(shape) == 4:
        shape = shape[1:3]
    elif len(shape) in (2, 3):
        shape = shape[:2]
    else:
        raise ValueError(f"input_shape must have 2, 3 or 4 sizes, got {shape}")
    if min(shape) < 1:
        raise ValueError(f"input_shape must be positive sizes, got {shape}")
    f_H, f_W = as_int("f_H", f_H, 1), as_int("f_W", f_W, 1)
    hp = conv_params(hparameters)
    n_H, n_W = _windows_shape(shape[0], shape[1], f_H, f_W, hp)
    rows = axis_cover(n_H, f_H, hp.stride, hp.dilation, shape[0], hp.pad)
    cols = axis_cover(n_W, f_W, hp.stride, hp.dilation, shape[1], hp.pad)
    return np.outer(rows, cols)  # (n_H_prev,) x (n_W_prev,) -> (n_H_prev, n_W_prev)


def weight_matrix(W, hparameters) -> np.ndarray:
    """The right-hand factor of the im2col GEMM: ``(f_H * f_W * n_C_prev, n_C)``, row ``(u * f_W + v) * n_C_prev + k``
    (im2col's column order), column ``c``: ``K[u, v, k', c]`` when input channel ``k`` is in filter ``c``'s group
    (``k'`` its index there), 0 otherwise. ``W (f_H, f_W, n_C_prev // g, n_C)``; ``K`` is ``W`` or, under the
    ``"convolution"`` convention, ``rot180(W)``. With groups the matrix is block-diagonal in the channels: the
    grouped layer is an ordinary one whose cross-group weights are zero."""
    W = as_array("W", W, 4)
    hp = conv_params(hparameters)
    K = effective_kernel(W, hp.convention)
    f_H, f_W, cg_in, n_C = K.shape
    g = hp.groups
    check_groups(g, cg_in * g, n_C, cg_in)
    cg_out = n_C // g
    dense = np.zeros((f_H, f_W, cg_in * g, n_C))
    for k in range(g):  # group k: input channels k*cg_in.., filters k*cg_out..
        dense[:, :, k * cg_in : (k + 1) * cg_in, k * cg_out : (k + 1) * cg_out] = K[
            :, :, :, k * cg_out : (k + 1) * cg_out
        ]
    return dense.reshape(f_H * f_W * cg_in * g, n_C)  # (f_H, f_W, n_C_prev, n_C) -> (f_H f_W n_C_prev, n_C)


def conv_forward_gemm(A_prev, W, b, hparameters) -> np.ndarray:
    """The forward pass as frameworks compute it: ``Z = im2col(A_prev) @ weight_matrix(W) + b``, reshaped.

    ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev // g, n_C)``, ``b (1, 1, 1, n_C)`` ->
    ``Z (m, n_H, n_W, n_C)``, the numbers of :func:`convcore.conv_forward` (no cache)."""
    A_prev, W, b, _, (m, n_H, n_W, n_C) = _forward_checked(A_prev, W, b, hparameters)
    cols = im2col(A_prev, W.shape[0], W.shape[1], hparameters)  # (m n_H n_W, f_H f_W n_C_prev)
    Z = cols @ weight_matrix(W, hparameters) + b.reshape(1, n_C)  # (m n_H n_W, n_C)
    return Z.reshape(m, n_H, n_W, n_C)


def grad_cols(W, dZ, hparameters) -> np.ndarray:
    """The backward GEMM: the gradient of the patch matrix, ``dcols = dZ_mat @ weight_matrix(W).T``.

    ``W (f_H, f_W, n_C_prev // g, n_C)``, ``dZ (m, n_H, n_W, n_C)`` -> ``dcols (m * n_H * n_W, f_H * f_W * n_C_prev)``
    in :func:`im2col`'s layout: row ``(i, h, w)`` is ``Σ_c W[:, :, :, c] dZ[i, h, w, c]``, what that window sends
    back to its taps (:func:`col2im` then adds the rows up)."""
    dZ = as_array("dZ", dZ, 4)
    Wm = weight_matrix(W, hparameters)  # (f_H f_W n_C_prev, n_C)
    if dZ.shape[3] != Wm.shape[1]:
        raise ValueError(f"dZ has {dZ.shape[3]} channel(s) but W has {Wm.shape[1]} filter(s)")
    return dZ.reshape(-1, Wm.shape[1]) @ Wm.T  # (m n_H n_W, n_C) @ (n_C, f_H f_W n_C_prev)


def grad_input_col2im(input_shape, W, dZ, hparameters) -> np.ndarray:
    """dA_prev as frameworks compute it: the backward GEMM (:func:`grad_cols`), then :func:`col2im`.

    ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev // g, n_C)``, ``dZ (m, n_H, n_W,
    n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``."""
    shape = _input_shape(input_shape)
    W = as_array("W", W, 4)
    hp = conv_params(hparameters)
    _check_dZ(dZ, output_shape(shape, W.shape, hp.stride, hp.pad, hp.dilation, hp.groups))
    return col2im(grad_cols(W, dZ, hparameters), shape, W.shape[0], W.shape[1], hparameters)
