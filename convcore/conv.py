"""Fast (vectorised) convolution layer: forward, and the two backward forms of dA_prev.

Layout: the course's NHWC, documented once here and used everywhere in the project.

- ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``: a batch of ``m`` inputs.
- ``W (f_H, f_W, n_C_prev // g, n_C)``: ``n_C`` filters; the course has ``f_H == f_W == f`` and ``g = 1``,
  rectangular kernels and groups are allowed here.
- ``b (1, 1, 1, n_C)``.
- ``hparameters = {"stride": s, "pad": p}``, with the optional keys ``"dilation": d`` (default 1: the taps of
  the kernel sit ``d`` cells apart on the input, ``d - 1`` skipped cells, the *holes*, between them),
  ``"groups": g`` (default 1; PyTorch's grouping: input channel block ``k`` of ``n_C_prev // g`` channels feeds
  only output channel block ``k`` of ``n_C // g`` filters; ``g = n_C_prev`` is a *depthwise* convolution) and
  ``"convention"``: ``"correlation"`` (the default: what the course, PyTorch and every framework compute) or
  ``"convolution"`` (true convolution: the kernel is rotated 180 degrees going forward). Any other key is
  refused with a ``ValueError`` that lists these.
- Output ``Z (m, n_H, n_W, n_C)`` with ``n_H = 1 + (n_H_prev + 2 p - d (f_H - 1) - 1) // s`` and
  ``n_W = 1 + (n_W_prev + 2 p - d (f_W - 1) - 1) // s`` (floored, as the course and PyTorch do);
  ``d (f - 1) + 1`` is the *extent* of the dilated kernel.

The two backward forms of dA_prev, named for what they return as PyTorch's ``torch.nn.grad`` does
(``conv2d_input(input_size, weight, grad_output, ...)``):

- :func:`grad_input_scatter`: for every output cell ``dA_prev_pad[window] += W * dZ[h, w]`` summed over
  the output channels of the input channel's group (the window's taps ``d`` apart), then crop the padding.
  It iterates over *outputs*, so no flip appears.
- :func:`grad_input_rot180`: dilate dZ by the stride (``s - 1`` zeros between entries), pad it by
  ``e - 1`` with ``e`` the dilated kernel's extent ("full" padding, plus the rows and columns a non-dividing
  stride never visits), correlate it with ``W`` rotated 180 degrees in space (rot180 of the *dilated* kernel:
  its holes stay holes, so the correlation keeps dilation ``d``) and with its channel axes swapped inside each
  group (a block-diagonal swap), then crop the padding. It iterates over *inputs*, so the kernel is flipped.

:func:`grad_weight` is the correlation of the padded input with dZ per in-group ``(c_in, c_out)`` pair:
``dW[u, v] = sum_{h, w} A_pad[h s + u d, w s + v d] dZ[h, w]``. The input is sampled with holes (the forward
dilation) and dZ's entries are spread by the stride (the forward stride has become a *dilation* of dZ), the
trade that PyTorch's ``torch.nn.grad.conv2d_weight`` documents.
"""

from __future__ import annotations

import numpy as np

from ._checks import CONV_KEYS, ConvParams, as_array, as_int, check_convention, check_groups, conv_params, out_size

__all__ = [
    "zero_pad",
    "rot180",
    "dilate",
    "dilate_kernel",
    "swap_channel_axes",
    "correlate",
    "effective_kernel",
    "conv_forward",
    "conv_backward",
    "grad_input_scatter",
    "grad_input_rot180",
    "grad_weight",
    "grad_bias",
    "output_shape",
    "full_padding",
    "rot180_inputs",
]

#: grouped layers with one channel (or one filter) a group and at most this many (channel, filter) pairs a group
#: are computed tap by tap with einsum (depthwise: 1 x 1, or with a channel multiplier); larger groups build patches
#: and use one matrix product per group. Measured with benchmarks/bench_conv.py: depthwise 3x3 tap by tap is about
#: 5x faster than with patches, 2 x 2 groups about 3x slower.
_TAPWISE_MAX_PAIRS = 4


def _tapwise(cg_in: int, cg_out: int, groups: int) -> bool:
    return groups > 1 and min(cg_in, cg_out) == 1 and cg_in * cg_out <= _TAPWISE_MAX_PAIRS


def zero_pad(X, pad: int) -> np.ndarray:
    """Pad the two spatial axes of ``X (m, n_H, n_W, n_C)`` with ``pad`` zeros on every side.

    Returns ``(m, n_H + 2 * pad, n_W + 2 * pad, n_C)``. ``pad = 0`` returns a copy.
    """
    X = as_array("X", X, 4)
    pad = as_int("pad", pad, 0)
    return _pad(X, pad) if pad else X.copy()


def _pad(X: np.ndarray, pad: int) -> np.ndarray:
    """:func:`zero_pad` without the checks; at ``pad = 0`` it returns ``X`` itself (callers only read it)."""
    if pad == 0:
        return X
    m, n_H, n_W, n_C = X.shape
    out = np.zeros((m, n_H + 2 * pad, n_W + 2 * pad, n_C))
    out[:, pad : pad + n_H, pad : pad + n_W, :] = X
    return out


def rot180(W) -> np.ndarray:
    """Rotate a kernel 180 degrees in space: ``W[::-1, ::-1]`` on the first two axes (any trailing axes)."""
    W = np.asarray(W, dtype=np.float64)
    return W[::-1, ::-1].copy()


def effective_kernel(W: np.ndarray, convention: str) -> np.ndarray:
    """The kernel that is *correlated* with the input going forward.

    ``"correlation"``: ``W`` itself. ``"convolution"``: ``rot180(W)``, since a true convolution
    is a correlation with the rotated kernel.
    """
    check_convention(convention)
    return W if convention == "correlation" else rot180(W)


def dilate(dZ, stride: int) -> np.ndarray:
    """Insert ``stride - 1`` zeros between the spatial entries of ``dZ (m, n_H, n_W, n_C)``.

    Returns ``(m, (n_H - 1) * stride + 1, (n_W - 1) * stride + 1, n_C)``; ``stride = 1`` is a copy.
    """
    dZ = np.asarray(dZ, dtype=np.float64)
    m, n_H, n_W, n_C = dZ.shape
    out = np.zeros((m, (n_H - 1) * stride + 1, (n_W - 1) * stride + 1, n_C))
    out[:, ::stride, ::stride, :] = dZ
    return out


def dilate_kernel(W, dilation: int) -> np.ndarray:
    """The dilated kernel written out: ``dilation - 1`` zeros (the holes) between the taps of ``W (f_H, f_W, ...)``.

    Returns ``(d (f_H - 1) + 1, d (f_W - 1) + 1, ...)``. Correlating with it at dilation 1 is correlating with
    ``W`` at dilation ``d``; ``rot180(dilate_kernel(W, d)) == dilate_kernel(rot180(W), d)``: the holes stay holes.
    """
    W = np.asarray(W, dtype=np.float64)
    dilation = as_int("dilation", dilation, 1)
    f_H, f_W = W.shape[:2]
    out = np.zeros(((f_H - 1) * dilation + 1, (f_W - 1) * dilation + 1, *W.shape[2:]))
    out[::dilation, ::dilation] = W
    return out


def swap_channel_axes(K, groups: int = 1) -> np.ndarray:
    """The rot180 form's channel swap, inside each group: ``K (f_H, f_W, n_C_prev // g, n_C)`` ->
    ``(f_H, f_W, n_C // g, n_C_prev)`` with ``out[u, v, j, k * n_C_prev // g + i] = K[u, v, i, k * n_C // g + j]``.

    With ``g = 1`` it is ``K.transpose(0, 1, 3, 2)``. With groups, the full ``(n_C_prev, n_C)`` channel matrix is
    block-diagonal (input block ``k`` only meets output block ``k``), and the swap transposes each block.
    """
    K = np.asarray(K, dtype=np.float64)
    f_H, f_W, cg_in, n_C = K.shape
    groups = as_int("groups", groups, 1)
    if n_C % groups:
        raise ValueError(f"groups={groups} must divide the kernel's output channels n_C = {n_C}")
    cg_out = n_C // groups
    # (f_H, f_W, cg_in, g, cg_out) -> (f_H, f_W, cg_out, g, cg_in) -> (f_H, f_W, cg_out, g * cg_in)
    return K.reshape(f_H, f_W, cg_in, groups, cg_out).transpose(0, 1, 4, 3, 2).reshape(f_H, f_W, cg_out, -1)


def output_shape(
    input_shape, weight_shape, stride: int, pad: int, dilation: int = 1, groups: int = 1
) -> tuple[int, int, int, int]:
    """``(m, n_H, n_W, n_C)`` of the forward output; raises ``ValueError`` if the kernel does not fit.

    ``n_H = 1 + (n_H_prev + 2 * pad - dilation * (f_H - 1) - 1) // stride`` (and the same for the width);
    ``weight_shape = (f_H, f_W, n_C_prev // groups, n_C)``.
    """
    m, n_H_prev, n_W_prev, n_C_prev = input_shape
    f_H, f_W, w_c_prev, n_C = weight_shape
    check_groups(groups, n_C_prev, n_C, w_c_prev)
    n_H = out_size(n_H_prev, f_H, stride, pad, "input height", dilation)
    n_W = out_size(n_W_prev, f_W, stride, pad, "input width", dilation)
    return m, n_H, n_W, n_C


def full_padding(n_prev: int, f: int, stride: int, pad: int, dilation: int = 1) -> tuple[int, int]:
    """Padding ``(before, after)`` of the dilated dZ along one axis for the rot180 form.

    With ``e = dilation * (f - 1) + 1`` the dilated kernel's extent: ``before = e - 1`` ("full" padding) and
    ``after = e - 1 + r`` where ``r = (n_prev + 2 * pad - e) % stride`` is the number of padded-input rows that a
    non-dividing stride never visits: they get gradient 0, and the extra zeros make the full correlation exactly
    as long as the padded input.
    """
    e = dilation * (f - 1) + 1
    return e - 1, e - 1 + (n_prev + 2 * pad - e) % stride


def _check_bias(b, n_C: int) -> np.ndarray:
    b = as_array("b", b, 4)
    if b.shape != (1, 1, 1, n_C):
        raise ValueError(f"b must have shape (1, 1, 1, {n_C}) (one bias per filter), got {b.shape}")
    return b


def _check_dZ(dZ, expected: tuple[int, ...]) -> np.ndarray:
    dZ = as_array("dZ", dZ, 4)
    if dZ.shape != tuple(expected):
        raise ValueError(f"dZ must have the forward output's shape {tuple(expected)}, got {dZ.shape}")
    return dZ


def _input_shape(input_shape) -> tuple[int, int, int, int]:
    try:
        shape = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (m, n_H_prev, n_W_prev, n_C_prev), got {input_shape!r}") from None
    if len(shape) != 4 or min(shape) < 1:
        raise ValueError(f"input_shape must be 4 positive sizes (m, n_H_prev, n_W_prev, n_C_prev), got {shape}")
    return shape  # type: ignore[return-value]


def _tap(X: np.ndarray, u: int, v: int, stride: int, dilation: int, n_H: int, n_W: int) -> np.ndarray:
    """``X[:, s*h + d*u, s*w + d*v, :]`` for every output cell ``(h, w)``: a strided view ``(m, n_H, n_W, C)``."""
    r0, c0 = u * dilation, v * dilation
    return X[:, r0 : r0 + stride * (n_H - 1) + 1 : stride, c0 : c0 + stride * (n_W - 1) + 1 : stride, :]


def _windows(A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int, dilation: int = 1) -> np.ndarray:
    """Every window of ``A_pad (m, H, W, C)`` as a read-only view ``(m, n_H, n_W, f_H, f_W, C)``, no copy.

    ``windows[i, h, w, u, v, k] = A_pad[i, s*h + d*u, s*w + d*v, k]``: stepping ``h`` moves ``s`` rows, stepping
    ``u`` moves ``d`` rows (one at dilation 1), so the view reuses ``A_pad``'s strides. The caller guarantees that
    the windows fit (``(n_H - 1) * s + d * (f_H - 1) + 1 <= H``, as :func:`output_shape` checks).
    """
    m, _, _, C = A_pad.shape
    s_m, s_h, s_w, s_k = A_pad.strides
    return np.lib.stride_tricks.as_strided(
        A_pad,
        shape=(m, n_H, n_W, f_H, f_W, C),
        strides=(s_m, stride * s_h, stride * s_w, dilation * s_h, dilation * s_w, s_k),
        writeable=False,
    )


def _im2col(A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int, dilation: int = 1) -> np.ndarray:
    """Every window of ``A_pad (m, H, W, C)`` as one row: ``cols (m*n_H*n_W, f_H*f_W*C)``, one copy.

    At dilation 1 each window row ``(v, k)`` is contiguous in ``A_pad``, so the copy moves ``f_W * C`` numbers
    at a time.
    """
    m, _, _, C = A_pad.shape
    return _windows(A_pad, f_H, f_W, stride, n_H, n_W, dilation).reshape(m * n_H * n_W, f_H * f_W * C)


def _grouped_cols(
    A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int, dilation: int, groups: int
) -> np.ndarray:
    """The patches of each group: ``(g, m*n_H*n_W, f_H*f_W*(C // g))``, one copy."""
    m, _, _, C = A_pad.shape
    win = _windows(A_pad, f_H, f_W, stride, n_H, n_W, dilation)  # (m, n_H, n_W, f_H, f_W, C)
    win = win.reshape(m * n_H * n_W, f_H * f_W, groups, C // groups)  # C = (g, C // g): a view
    return np.ascontiguousarray(win.transpose(2, 0, 1, 3)).reshape(groups, m * n_H * n_W, -1)


def _correlate(
    X: np.ndarray, K: np.ndarray, stride: int, n_H: int, n_W: int, dilation: int = 1, groups: int = 1
) -> np.ndarray:
    """:func:`correlate` without the checks: ``X (m, H, W, C_in)``, ``K (f_H, f_W, C_in // g, C_out)`` ->
    ``(m, n_H, n_W, C_out)``. The same sums in one of several orders, whichever moves fewer numbers:

    - windows first (``C_in <= C_out``, e.g. the forward pass): copy every window into a row
      (``n_H * n_W * f_H * f_W * C_in`` numbers), then one matrix product with the kernel (one per group);
    - taps first (``C_out < C_in``, e.g. the rot180 form, which correlates dZ's ``n_C`` channels down to
      ``n_C_prev``): one matrix product multiplies every input cell by every kernel tap
      (``H * W * f_H * f_W * C_out`` numbers), then one strided ``+=`` per tap ``(u, v)`` sums them;
    - tap by tap (small groups, e.g. depthwise; see :data:`_TAPWISE_MAX_PAIRS`): one small contraction per tap,
      ``out[.., k, j] += sum_i X[s h + d u, s w + d v, k, i] K[u, v, i, k, j]``, no patches at all.
    """
    f_H, f_W, cg_in, C_out = K.shape
    m, H, W_, C_in = X.shape
    if groups > 1:
        cg_out = C_out // groups
        if _tapwise(cg_in, cg_out, groups):
            out = np.zeros((m, n_H, n_W, groups, cg_out))
            Kg = K.reshape(f_H, f_W, cg_in, groups, cg_out).transpose(0, 1, 3, 2, 4)  # (f_H, f_W, g, cg_in, cg_out)
            for u in range(f_H):
                for v in range(f_W):
                    x = _tap(X, u, v, stride, dilation, n_H, n_W).reshape(m, n_H, n_W, groups, cg_in)
                    out += np.einsum("nhwgi,gij->nhwgj", x, Kg[u, v])
            return out.reshape(m, n_H, n_W, C_out)
        cols = _grouped_cols(X, f_H, f_W, stride, n_H, n_W, dilation, groups)  # (g, M, f_H*f_W*cg_in)
        Kg = K.reshape(f_H * f_W * cg_in, groups, cg_out).transpose(1, 0, 2)  # (g, f_H*f_W*cg_in, cg_out)
        out = cols @ Kg  # (g, M, cg_out)
        return out.transpose(1, 0, 2).reshape(m, n_H, n_W, C_out)
    if C_in <= C_out:
        cols = _im2col(X, f_H, f_W, stride, n_H, n_W, dilation)  # (m*n_H*n_W, f_H*f_W*C_in)
        out = cols @ K.reshape(f_H * f_W * C_in, C_out)
        return out.reshape(m, n_H, n_W, C_out)
    # taps[u, v, c, i, y, x] = sum_k K[u, v, k, c] * X[i, y, x, k], channel-first as in _scatter
    taps = K.transpose(0, 1, 3, 2).reshape(-1, C_in) @ X.reshape(-1, C_in).T  # (f_H*f_W*C_out, m*H*W)
    taps = taps.reshape(f_H, f_W, C_out, m, H, W_)
    out = np.zeros((C_out, m, n_H, n_W))
    for u in range(f_H):
        for v in range(f_W):  # out[.., h, w] += taps[u, v, .., s*h + d*u, s*w + d*v]
            r0, c0 = u * dilation, v * dilation
            out += taps[
                u, v, :, :, r0 : r0 + stride * (n_H - 1) + 1 : stride, c0 : c0 + stride * (n_W - 1) + 1 : stride
            ]
    return out.transpose(1, 2, 3, 0)  # (C_out, m, n_H, n_W) -> (m, n_H, n_W, C_out)


def _scatter(
    K: np.ndarray, dZ: np.ndarray, padded_hw: tuple[int, int], stride: int, dilation: int = 1, groups: int = 1
) -> np.ndarray:
    """The scatter form without the checks: ``dZ (m, n_H, n_W, n_C)`` -> ``dA_pad (m, H_p, W_p, n_C_prev)``.

    One matrix product (one per group) gives every window's contribution ``sum_c K[u, v, :, c] * dZ[i, h, w, c]``;
    then one strided ``+=`` per kernel tap ``(u, v)`` adds them into the windows (taps ``d`` apart; overlapping
    windows accumulate). Both are laid out channel-first so that each ``+=`` runs along whole rows of the
    image; the result is an NHWC view of the channel-first array.
    """
    m, n_H, n_W, n_C = dZ.shape
    f_H, f_W, cg_in, _ = K.shape
    cg_out = n_C // groups
    n_C_prev = cg_in * groups
    if _tapwise(cg_in, cg_out, groups):  # small groups: one contraction per tap, NHWC throughout
        dA_pad = np.zeros((m, *padded_hw, n_C_prev))
        Kg = K.reshape(f_H, f_W, cg_in, groups, cg_out).transpose(0, 1, 3, 2, 4)  # (f_H, f_W, g, cg_in, cg_out)
        dZg = dZ.reshape(m, n_H, n_W, groups, cg_out)
        for u in range(f_H):
            for v in range(f_W):
                tap = _tap(dA_pad, u, v, stride, dilation, n_H, n_W)  # a writable view of the window's tap
                tap += np.einsum("nhwgj,gij->nhwgi", dZg, Kg[u, v]).reshape(m, n_H, n_W, n_C_prev)
        return dA_pad
    if groups == 1:
        contrib = K.reshape(-1, n_C) @ dZ.reshape(-1, n_C).T  # (f_H*f_W*n_C_prev, m*n_H*n_W)
    else:  # per group: (g, f_H*f_W*cg_in, cg_out) @ (g, cg_out, M) -> (g, f_H*f_W*cg_in, M)
        Kg = K.reshape(f_H * f_W * cg_in, groups, cg_out).transpose(1, 0, 2)
        dZg = dZ.reshape(-1, groups, cg_out).transpose(1, 2, 0)
        contrib = Kg @ dZg
        # (g, f_H, f_W, cg_in, M) -> (f_H, f_W, g, cg_in, M): input channel k*cg_in + i, channel-first
        contrib = contrib.reshape(groups, f_H, f_W, cg_in, -1).transpose(1, 2, 0, 3, 4)
    contrib = contrib.reshape(f_H, f_W, n_C_prev, m, n_H, n_W)
    dA_pad = np.zeros((n_C_prev, m, *padded_hw))
    for u in range(f_H):
        for v in range(f_W):
            r0, c0 = u * dilation, v * dilation
            rows = slice(r0, r0 + stride * (n_H - 1) + 1, stride)
            cols = slice(c0, c0 + stride * (n_W - 1) + 1, stride)
            dA_pad[:, :, rows, cols] += contrib[u, v]
    return dA_pad.transpose(1, 2, 3, 0)  # (n_C_prev, m, H_p, W_p) -> (m, H_p, W_p, n_C_prev)


def _rot180(
    K: np.ndarray,
    dZ: np.ndarray,
    prev_hw: tuple[int, int],
    stride: int,
    pad: int,
    dilation: int = 1,
    groups: int = 1,
) -> np.ndarray:
    """The rot180 form without the checks: ``dZ (m, n_H, n_W, n_C)`` -> ``dA_pad (m, H_p, W_p, n_C_prev)``.

    Correlating with ``rot180(K)`` at dilation ``d`` is correlating with rot180 of the dilated kernel at dilation 1
    (the holes are skipped instead of multiplied): the same numbers, ``((f - 1) d + 1)^2 / f^2`` times fewer products.
    """
    f_H, f_W = K.shape[:2]
    dZ_full = rot180_inputs(dZ, prev_hw, (f_H, f_W), stride, pad, dilation)
    W_rot = swap_channel_axes(rot180(K), groups)  # (f_H, f_W, n_C_prev // g, n_C) -> (f_H, f_W, n_C // g, n_C_prev)
    return _correlate(dZ_full, W_rot, 1, prev_hw[0] + 2 * pad, prev_hw[1] + 2 * pad, dilation, groups)


def _grad_kernel(
    A_pad: np.ndarray, dZ: np.ndarray, f_H: int, f_W: int, stride: int, dilation: int = 1, groups: int = 1
) -> np.ndarray:
    """dK without the checks: ``dK[u, v, i, c] = sum_{n, h, w} A_pad[n, s*h + d*u, s*w + d*v, k(c)] * dZ[n, h, w, c]``,
    ``k(c) = (c // (n_C // g)) * (n_C_prev // g) + i``: the input channel ``i`` of filter ``c``'s group.
    ``dK (f_H, f_W, n_C_prev // g, n_C)``."""
    m, n_H, n_W, n_C = dZ.shape
    n_C_prev = A_pad.shape[3]
    if groups == 1:
        cols = _im2col(A_pad, f_H, f_W, stride, n_H, n_W, dilation)  # (m*n_H*n_W, f_H*f_W*n_C_prev)
        dK = cols.T @ dZ.reshape(-1, n_C)  # (f_H*f_W*n_C_prev, n_C)
        return dK.reshape(f_H, f_W, n_C_prev, n_C)
    cg_in, cg_out = n_C_prev // groups, n_C // groups
    if _tapwise(cg_in, cg_out, groups):  # small groups: one contraction over the batch and space per tap
        dK = np.zeros((f_H, f_W, groups, cg_in, cg_out))
        dZg = dZ.reshape(m, n_H, n_W, groups, cg_out)
        for u in range(f_H):
            for v in range(f_W):
                x = _tap(A_pad, u, v, stride, dilation, n_H, n_W).reshape(m, n_H, n_W, groups, cg_in)
                dK[u, v] = np.einsum("nhwgi,nhwgj->gij", x, dZg)
        return dK.transpose(0, 1, 3, 2, 4).reshape(f_H, f_W, cg_in, n_C)  # (f_H, f_W, cg_in, g, cg_out)
    cols = _grouped_cols(A_pad, f_H, f_W, stride, n_H, n_W, dilation, groups)  # (g, M, f_H*f_W*cg_in)
    dZg = dZ.reshape(-1, groups, cg_out).transpose(1, 0, 2)  # (g, M, cg_out)
    dK = cols.transpose(0, 2, 1) @ dZg  # (g, f_H*f_W*cg_in, cg_out)
    # (g, f_H, f_W, cg_in, cg_out) -> (f_H, f_W, cg_in, g, cg_out) -> (f_H, f_W, cg_in, n_C)
    return dK.reshape(groups, f_H, f_W, cg_in, cg_out).transpose(1, 2, 3, 0, 4).reshape(f_H, f_W, cg_in, n_C)


def _crop(dA_pad: np.ndarray, pad: int, prev_hw: tuple[int, int]) -> np.ndarray:
    # explicit ends: dA_pad[:, p:-p] would be empty at p = 0 (a classic slip)
    return dA_pad[:, pad : pad + prev_hw[0], pad : pad + prev_hw[1], :]


def correlate(X, K, stride: int = 1, dilation: int = 1, groups: int = 1) -> np.ndarray:
    """Multi-channel cross-correlation with no padding (what the forward pass computes).

    ``X (m, H, W, C_in)``, ``K (f_H, f_W, C_in // g, C_out)`` -> ``(m, n_H, n_W, C_out)`` with
    ``n_H = 1 + (H - d (f_H - 1) - 1) // s`` and ``out[i, h, w, c] = sum_{u, v, k} X[i, s*h + d*u, s*w + d*v,
    k(c)] * K[u, v, k, c]`` (``k(c)`` runs over the input channels of ``c``'s group).
    """
    X = as_array("X", X, 4)
    K = as_array("K", K, 4)
    stride = as_int("stride", stride, 1)
    dilation = as_int("dilation", dilation, 1)
    groups = as_int("groups", groups, 1)
    _, n_H, n_W, _ = output_shape(X.shape, K.shape, stride, 0, dilation, groups)
    return _correlate(X, K, stride, n_H, n_W, dilation, groups)


def _forward_checked(A_prev, W, b, hparameters):
    params = conv_params(hparameters)
    A_prev = as_array("A_prev", A_prev, 4)
    W = as_array("W", W, 4)
    out_shape = output_shape(A_prev.shape, W.shape, params.stride, params.pad, params.dilation, params.groups)
    b = _check_bias(b, out_shape[3])
    return A_prev, W, b, params, out_shape


def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a convolution layer, vectorised.

    ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev // g, n_C)``, ``b (1, 1, 1, n_C)``,
    ``hparameters = {"stride": s, "pad": p}`` (optional ``"dilation": d``, ``"groups": g``, ``"convention"``)
    -> ``(Z, cache)`` with ``Z (m, n_H, n_W, n_C)``, ``n_H = 1 + (n_H_prev + 2p - d (f_H - 1) - 1) // s``, and
    ``cache = (A_prev, W, b, hparameters)`` as the course builds it.
    """
    A_prev, W, b, hp, (_, n_H, n_W, _) = _forward_checked(A_prev, W, b, hparameters)
    K = effective_kernel(W, hp.convention)
    Z = _correlate(_pad(A_prev, hp.pad), K, hp.stride, n_H, n_W, hp.dilation, hp.groups)
    Z += b  # b (1, 1, 1, n_C) broadcasts over (m, n_H, n_W)
    return Z, (A_prev, W, b, hparameters)


def _backward_params(stride, pad, convention, dilation, groups) -> ConvParams:
    """The hyper-parameters of the backward functions: given one by one, or as an ``hparameters`` dict in
    place of ``stride`` (then ``pad`` and the others come from the dict)."""
    if isinstance(stride, dict):
        return conv_params(stride)
    return conv_params(
        {"stride": stride, "pad": pad, "convention": convention, "dilation": dilation, "groups": groups}, CONV_KEYS
    )


def grad_input_scatter(
    input_shape,
    W,
    dZ,
    stride: int = 1,
    pad: int = 0,
    convention: str = "correlation",
    *,
    dilation: int = 1,
    groups: int = 1,
) -> np.ndarray:
    """dA_prev by scattering: ``dA_prev_pad[:, window(h, w)] += W * dZ[:, h, w]`` summed over ``c_out``, cropped.

    ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev // g, n_C)``,
    ``dZ (m, n_H, n_W, n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``. ``stride`` may also be the whole
    ``hparameters`` dict. The window of output cell ``(h, w)`` is its taps ``A_pad[s h + d u, s w + d v]``; input
    channel ``k`` collects only the filters of its group.

    Vectorised over the output cells: one matrix product ``W @ dZ^T`` (one per group) gives every window's
    contribution ``(f_H, f_W, n_C_prev, m, n_H, n_W)`` at once; then one strided ``+=`` per kernel tap adds them
    into the padded gradient (overlapping windows accumulate). The kernel is used as it is: no flip.
    """
    m, n_H_prev, n_W_prev, n_C_prev = _input_shape(input_shape)
    W = as_array("W", W, 4)
    hp = _backward_params(stride, pad, convention, dilation, groups)
    expected = output_shape((m, n_H_prev, n_W_prev, n_C_prev), W.shape, hp.stride, hp.pad, hp.dilation, hp.groups)
    dZ = _check_dZ(dZ, expected)
    padded_hw = (n_H_prev + 2 * hp.pad, n_W_prev + 2 * hp.pad)
    dA_pad = _scatter(effective_kernel(W, hp.convention), dZ, padded_hw, hp.stride, hp.dilation, hp.groups)
    return _crop(dA_pad, hp.pad, (n_H_prev, n_W_prev))


def grad_input_rot180(
    input_shape,
    W,
    dZ,
    stride: int = 1,
    pad: int = 0,
    convention: str = "correlation",
    *,
    dilation: int = 1,
    groups: int = 1,
) -> np.ndarray:
    """dA_prev as a full correlation of the dilated, padded dZ with the rotated kernel, cropped.

    ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev // g, n_C)``,
    ``dZ (m, n_H, n_W, n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``; ``stride`` may also be the whole
    ``hparameters`` dict. With ``e_H = d (f_H - 1) + 1`` the dilated kernel's extent, the steps, literally:

    1. dilate: ``dZ_dil (m, (n_H - 1) s + 1, (n_W - 1) s + 1, n_C)``, ``s - 1`` zeros between entries;
    2. pad by :func:`full_padding` -> ``dZ_full (m, n_H_prev + 2p + e_H - 1, n_W_prev + 2p + e_W - 1, n_C)``;
    3. rotate the kernel 180 degrees in space (rot180 of the dilated kernel: the holes stay holes, so the taps
       still sit ``d`` apart) and swap its channel axes inside each group (:func:`swap_channel_axes`):
       ``W_rot (f_H, f_W, n_C // g, n_C_prev)`` (dZ's channels in, ``n_C_prev`` out, block-diagonal);
    4. correlate with stride 1, dilation ``d``, the same groups -> ``dA_prev_pad (m, n_H_prev + 2p, n_W_prev + 2p,
       n_C_prev)``; crop ``p``.

    Under the ``"convolution"`` forward convention the forward kernel is already rotated, so the two
    rotations cancel and this form correlates with ``W`` unrotated: the flip moves.
    """
    m, n_H_prev, n_W_prev, n_C_prev = _input_shape(input_shape)
    W = as_array("W", W, 4)
    hp = _backward_params(stride, pad, convention, dilation, groups)
    expected = output_shape((m, n_H_prev, n_W_prev, n_C_prev), W.shape, hp.stride, hp.pad, hp.dilation, hp.groups)
    dZ = _check_dZ(dZ, expected)
    K = effective_kernel(W, hp.convention)
    dA_pad = _rot180(K, dZ, (n_H_prev, n_W_prev), hp.stride, hp.pad, hp.dilation, hp.groups)
    return _crop(dA_pad, hp.pad, (n_H_prev, n_W_prev))


def rot180_inputs(dZ, prev_hw, kernel_hw, stride: int, pad: int, dilation: int = 1) -> np.ndarray:
    """Steps 1 and 2 of :func:`grad_input_rot180`: dZ dilated by the stride, then "full" padded.

    ``dZ (m, n_H, n_W, n_C)`` -> ``(m, n_H_prev + 2p + e_H - 1, n_W_prev + 2p + e_W - 1, n_C)`` with
    ``e = dilation * (f - 1) + 1`` the dilated kernel's extent.
    """
    dZ = np.asarray(dZ, dtype=np.float64)
    m, n_H, n_W, n_C = dZ.shape
    (n_H_prev, n_W_prev), (f_H, f_W) = prev_hw, kernel_hw
    top, bottom = full_padding(n_H_prev, f_H, stride, pad, dilation)
    left, right = full_padding(n_W_prev, f_W, stride, pad, dilation)
    d_H, d_W = (n_H - 1) * stride + 1, (n_W - 1) * stride + 1  # dilated size
    dZ_full = np.zeros((m, top + d_H + bottom, left + d_W + right, n_C))
    dZ_full[:, top : top + d_H : stride, left : left + d_W : stride, :] = dZ  # entries s apart, zeros between
    return dZ_full


def grad_weight(
    A_prev,
    weight_shape,
    dZ,
    stride: int = 1,
    pad: int = 0,
    convention: str = "correlation",
    *,
    dilation: int = 1,
    groups: int = 1,
) -> np.ndarray:
    """dW: the correlation of the padded input with dZ, per in-group ``(c_in, c_out)`` pair.

    ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``, ``weight_shape = (f_H, f_W, n_C_prev // g, n_C)``,
    ``dZ (m, n_H, n_W, n_C)`` -> ``dW (f_H, f_W, n_C_prev // g, n_C)`` with
    ``dW[u, v, i, c] = sum_{n, h, w} A_pad[n, s*h + d*u, s*w + d*v, k] * dZ[n, h, w, c]``, ``k`` the ``i``-th input
    channel of filter ``c``'s group. The input is sampled with holes (``d`` apart, the forward dilation) and
    dZ's entries are spread by the stride: dZ slides over the padded input like a kernel whose entries sit
    ``s`` apart (the forward stride has become a dilation), and the batch is summed. Pairs from different groups
    never meet, so there is nothing to compute for them. Under the ``"convolution"`` convention the result is
    rotated back, since the forward pass used ``rot180(W)``. ``stride`` may also be the whole ``hparameters``.
    """
    A_prev = as_array("A_prev", A_prev, 4)
    try:
        weight_shape = tuple(int(n) for n in weight_shape)
    except (TypeError, ValueError):
        raise ValueError(f"weight_shape must be (f_H, f_W, n_C_prev // g, n_C), got {weight_shape!r}") from None
    if len(weight_shape) != 4 or min(weight_shape) < 1:
        raise ValueError(f"weight_shape must be 4 positive sizes (f_H, f_W, n_C_prev // g, n_C), got {weight_shape}")
    hp = _backward_params(stride, pad, convention, dilation, groups)
    expected = output_shape(A_prev.shape, weight_shape, hp.stride, hp.pad, hp.dilation, hp.groups)
    dZ = _check_dZ(dZ, expected)
    A_pad = _pad(A_prev, hp.pad)
    dK = _grad_kernel(A_pad, dZ, weight_shape[0], weight_shape[1], hp.stride, hp.dilation, hp.groups)
    return dK if hp.convention == "correlation" else rot180(dK)


def grad_bias(dZ) -> np.ndarray:
    """db: ``dZ (m, n_H, n_W, n_C)`` summed over the batch and space -> ``(1, 1, 1, n_C)``."""
    dZ = as_array("dZ", dZ, 4)
    return _grad_bias(dZ)


def _grad_bias(dZ: np.ndarray) -> np.ndarray:
    n_C = dZ.shape[3]
    return np.einsum("ic->c", dZ.reshape(-1, n_C)).reshape(1, 1, 1, n_C)  # einsum: faster than sum(axis=(0,1,2))


def conv_backward(dZ, cache, method: str = "scatter"):
    """Backward pass of a convolution layer, vectorised.

    ``dZ (m, n_H, n_W, n_C)``, ``cache = (A_prev, W, b, hparameters)`` from :func:`conv_forward`
    -> ``(dA_prev (m, n_H_prev, n_W_prev, n_C_prev), dW (f_H, f_W, n_C_prev // g, n_C), db (1, 1, 1, n_C))``.
    ``method="scatter"`` (the course's loops, vectorised) or ``"rot180"`` (full correlation with the
    rotated kernel) chooses how dA_prev is computed; both give the same numbers.
    """
    try:
        A_prev, W, b, hparameters = cache
    except (TypeError, ValueError):
        raise ValueError("cache must be the (A_prev, W, b, hparameters) tuple returned by conv_forward") from None
    if method not in ("scatter", "rot180"):
        raise ValueError(f"method must be 'scatter' or 'rot180', got {method!r}")
    A_prev, W, b, hp, expected = _forward_checked(A_prev, W, b, hparameters)
    dZ = _check_dZ(dZ, expected)
    K = effective_kernel(W, hp.convention)
    f_H, f_W = K.shape[:2]
    prev_hw = A_prev.shape[1:3]
    A_pad = _pad(A_prev, hp.pad)
    if method == "scatter":
        dA_pad = _scatter(K, dZ, A_pad.shape[1:3], hp.stride, hp.dilation, hp.groups)
    else:
        dA_pad = _rot180(K, dZ, prev_hw, hp.stride, hp.pad, hp.dilation, hp.groups)
    dK = _grad_kernel(A_pad, dZ, f_H, f_W, hp.stride, hp.dilation, hp.groups)
    dW = dK if hp.convention == "correlation" else rot180(dK)
    return _crop(dA_pad, hp.pad, prev_hw), dW, _grad_bias(dZ)
