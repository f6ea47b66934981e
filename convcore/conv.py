"""Fast (vectorised) convolution layer: forward, and the two backward forms of dA_prev.

Layout: the course's NHWC, documented once here and used everywhere in the project.

- ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``: a batch of ``m`` inputs.
- ``W (f_H, f_W, n_C_prev, n_C)``: ``n_C`` filters; the course has ``f_H == f_W == f``, rectangular
  kernels are allowed here.
- ``b (1, 1, 1, n_C)``.
- ``hparameters = {"stride": s, "pad": p}``; the optional key ``"convention"`` is ``"correlation"``
  (the default: what the course, PyTorch and every framework compute) or ``"convolution"`` (true
  convolution: the kernel is rotated 180 degrees going forward).
- Output ``Z (m, n_H, n_W, n_C)`` with ``n_H = 1 + (n_H_prev + 2 * p - f_H) // s`` and
  ``n_W = 1 + (n_W_prev + 2 * p - f_W) // s`` (floored, as the course and PyTorch do).

The two backward forms of dA_prev, named for what they return as PyTorch's ``torch.nn.grad`` does
(``conv2d_input(input_size, weight, grad_output, ...)``):

- :func:`grad_input_scatter`: for every output cell ``dA_prev_pad[window] += W * dZ[h, w]`` summed over
  the output channels, then crop the padding. It iterates over *outputs*, so no flip appears.
- :func:`grad_input_rot180`: dilate dZ by the stride (``s - 1`` zeros between entries), pad it by
  ``f - 1`` ("full" padding, plus the rows and columns a non-dividing stride never visits), correlate it
  with ``W`` rotated 180 degrees in space and with its channel axes swapped, then crop the padding. It
  iterates over *inputs*, so the kernel is flipped.

:func:`grad_weight` is the correlation of the padded input with dZ per ``(c_in, c_out)`` pair. There the
forward stride becomes a *dilation* of dZ (dZ's entries sit ``s`` apart on the input), the trade that
PyTorch's ``torch.nn.grad.conv2d_weight`` documents.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int, check_convention, conv_hparameters, out_size

__all__ = [
    "zero_pad",
    "rot180",
    "dilate",
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


def output_shape(input_shape, weight_shape, stride: int, pad: int) -> tuple[int, int, int, int]:
    """``(m, n_H, n_W, n_C)`` of the forward output; raises ``ValueError`` if the kernel does not fit.

    ``n_H = 1 + (n_H_prev + 2 * pad - f_H) // stride`` (and the same for the width).
    """
    m, n_H_prev, n_W_prev, n_C_prev = input_shape
    f_H, f_W, w_c_prev, n_C = weight_shape
    if w_c_prev != n_C_prev:
        raise ValueError(
            f"W expects {w_c_prev} input channel(s) (W.shape[2]) but A_prev has {n_C_prev} "
            f"(A_prev.shape[3]); they must be equal"
        )
    n_H = out_size(n_H_prev, f_H, stride, pad, "input height")
    n_W = out_size(n_W_prev, f_W, stride, pad, "input width")
    return m, n_H, n_W, n_C


def full_padding(n_prev: int, f: int, stride: int, pad: int) -> tuple[int, int]:
    """Padding ``(before, after)`` of the dilated dZ along one axis for the rot180 form.

    ``before = f - 1`` ("full" padding). ``after = f - 1 + r`` where ``r = (n_prev + 2 * pad - f) % stride``
    is the number of padded-input rows that a non-dividing stride never visits: they get gradient 0, and
    the extra zeros make the full correlation exactly as long as the padded input.
    """
    return f - 1, f - 1 + (n_prev + 2 * pad - f) % stride


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


def _windows(A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """Every window of ``A_pad (m, H, W, C)`` as a read-only view ``(m, n_H, n_W, f_H, f_W, C)``, no copy.

    ``windows[i, h, w, u, v, k] = A_pad[i, s*h + u, s*w + v, k]``: stepping ``h`` moves ``s`` rows, stepping
    ``u`` moves one row, so the view reuses ``A_pad``'s strides. The caller guarantees that the windows fit
    (``(n_H - 1) * s + f_H <= H``, as :func:`output_shape` checks).
    """
    m, _, _, C = A_pad.shape
    s_m, s_h, s_w, s_k = A_pad.strides
    return np.lib.stride_tricks.as_strided(
        A_pad,
        shape=(m, n_H, n_W, f_H, f_W, C),
        strides=(s_m, stride * s_h, stride * s_w, s_h, s_w, s_k),
        writeable=False,
    )


def _im2col(A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """Every window of ``A_pad (m, H, W, C)`` as one row: ``cols (m*n_H*n_W, f_H*f_W*C)``, one copy.

    Each window row ``(v, k)`` is contiguous in ``A_pad``, so the copy moves ``f_W * C`` numbers at a time.
    """
    m, _, _, C = A_pad.shape
    return _windows(A_pad, f_H, f_W, stride, n_H, n_W).reshape(m * n_H * n_W, f_H * f_W * C)


def _correlate(X: np.ndarray, K: np.ndarray, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """:func:`correlate` without the checks. The same sums in one of two orders, whichever moves fewer numbers:

    - windows first (``C_in <= C_out``, e.g. the forward pass): copy every window into a row
      (``n_H * n_W * f_H * f_W * C_in`` numbers), then one matrix product with the kernel;
    - taps first (``C_out < C_in``, e.g. the rot180 form, which correlates dZ's ``n_C`` channels down to
      ``n_C_prev``): one matrix product multiplies every input cell by every kernel tap
      (``H * W * f_H * f_W * C_out`` numbers), then one strided ``+=`` per tap ``(u, v)`` sums them.
    """
    f_H, f_W, C_in, C_out = K.shape
    m, H, W_, _ = X.shape
    if C_in <= C_out:
        out = _im2col(X, f_H, f_W, stride, n_H, n_W) @ K.reshape(f_H * f_W * C_in, C_out)  # (m*n_H*n_W, C_out)
        return out.reshape(m, n_H, n_W, C_out)
    # taps[u, v, c, i, y, x] = sum_k K[u, v, k, c] * X[i, y, x, k], channel-first as in _scatter
    taps = K.transpose(0, 1, 3, 2).reshape(-1, C_in) @ X.reshape(-1, C_in).T  # (f_H*f_W*C_out, m*H*W)
    taps = taps.reshape(f_H, f_W, C_out, m, H, W_)
    out = np.zeros((C_out, m, n_H, n_W))
    for u in range(f_H):
        for v in range(f_W):  # out[.., h, w] += taps[u, v, .., s*h + u, s*w + v]
            out += taps[u, v, :, :, u : u + stride * n_H : stride, v : v + stride * n_W : stride]
    return out.transpose(1, 2, 3, 0)  # (C_out, m, n_H, n_W) -> (m, n_H, n_W, C_out)


def _scatter(K: np.ndarray, dZ: np.ndarray, padded_hw: tuple[int, int], stride: int) -> np.ndarray:
    """The scatter form without the checks: ``dZ (m, n_H, n_W, n_C)`` -> ``dA_pad (m, H_p, W_p, n_C_prev)``.

    One matrix product gives every window's contribution ``sum_c K[u, v, :, c] * dZ[i, h, w, c]``; then one
    strided ``+=`` per kernel offset ``(u, v)`` adds them into the windows (overlapping windows accumulate).
    Both are laid out channel-first so that each ``+=`` runs along whole rows of the image; the result
    is an NHWC view of the channel-first array.
    """
    m, n_H, n_W, n_C = dZ.shape
    f_H, f_W, n_C_prev, _ = K.shape
    contrib = K.reshape(-1, n_C) @ dZ.reshape(-1, n_C).T  # (f_H*f_W*n_C_prev, m*n_H*n_W)
    contrib = contrib.reshape(f_H, f_W, n_C_prev, m, n_H, n_W)
    dA_pad = np.zeros((n_C_prev, m, *padded_hw))
    for u in range(f_H):
        for v in range(f_W):
            dA_pad[:, :, u : u + stride * n_H : stride, v : v + stride * n_W : stride] += contrib[u, v]
    return dA_pad.transpose(1, 2, 3, 0)  # (n_C_prev, m, H_p, W_p) -> (m, H_p, W_p, n_C_prev)


def _rot180(K: np.ndarray, dZ: np.ndarray, prev_hw: tuple[int, int], stride: int, pad: int) -> np.ndarray:
    """The rot180 form without the checks: ``dZ (m, n_H, n_W, n_C)`` -> ``dA_pad (m, H_p, W_p, n_C_prev)``."""
    f_H, f_W = K.shape[:2]
    dZ_full = rot180_inputs(dZ, prev_hw, (f_H, f_W), stride, pad)
    W_rot = rot180(K).transpose(0, 1, 3, 2)  # (f_H, f_W, n_C_prev, n_C) -> (f_H, f_W, n_C, n_C_prev)
    return _correlate(dZ_full, W_rot, 1, prev_hw[0] + 2 * pad, prev_hw[1] + 2 * pad)


def _grad_kernel(A_pad: np.ndarray, dZ: np.ndarray, f_H: int, f_W: int, stride: int) -> np.ndarray:
    """dK without the checks: ``dK[u, v, k, c] = sum_{i, h, w} A_pad[i, u + s*h, v + s*w, k] * dZ[i, h, w, c]``."""
    m, n_H, n_W, n_C = dZ.shape
    cols = _im2col(A_pad, f_H, f_W, stride, n_H, n_W)  # (m*n_H*n_W, f_H*f_W*n_C_prev)
    dK = cols.T @ dZ.reshape(-1, n_C)  # (f_H*f_W*n_C_prev, n_C)
    return dK.reshape(f_H, f_W, A_pad.shape[3], n_C)


def _crop(dA_pad: np.ndarray, pad: int, prev_hw: tuple[int, int]) -> np.ndarray:
    # explicit ends: dA_pad[:, p:-p] would be empty at p = 0 (the seed's bug)
    return dA_pad[:, pad : pad + prev_hw[0], pad : pad + prev_hw[1], :]


def correlate(X, K, stride: int = 1) -> np.ndarray:
    """Multi-channel cross-correlation with no padding (what the forward pass computes).

    ``X (m, H, W, C_in)``, ``K (f_H, f_W, C_in, C_out)`` -> ``(m, 1 + (H - f_H) // s, 1 + (W - f_W) // s, C_out)``
    with ``out[i, h, w, c] = sum_{u, v, k} X[i, s*h + u, s*w + v, k] * K[u, v, k, c]``.
    """
    X = as_array("X", X, 4)
    K = as_array("K", K, 4)
    stride = as_int("stride", stride, 1)
    _, n_H, n_W, _ = output_shape(X.shape, K.shape, stride, 0)
    return _correlate(X, K, stride, n_H, n_W)


def _forward_checked(A_prev, W, b, hparameters):
    stride, pad, convention = conv_hparameters(hparameters)
    A_prev = as_array("A_prev", A_prev, 4)
    W = as_array("W", W, 4)
    out_shape = output_shape(A_prev.shape, W.shape, stride, pad)
    b = _check_bias(b, out_shape[3])
    return A_prev, W, b, stride, pad, convention, out_shape


def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a convolution layer, vectorised.

    ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev, n_C)``, ``b (1, 1, 1, n_C)``,
    ``hparameters = {"stride": s, "pad": p}`` -> ``(Z, cache)`` with ``Z (m, n_H, n_W, n_C)``,
    ``n_H = 1 + (n_H_prev + 2p - f_H) // s``, and ``cache = (A_prev, W, b, hparameters)`` as the course builds it.
    """
    A_prev, W, b, stride, pad, convention, (_, n_H, n_W, _) = _forward_checked(A_prev, W, b, hparameters)
    Z = _correlate(_pad(A_prev, pad), effective_kernel(W, convention), stride, n_H, n_W)
    Z += b  # b (1, 1, 1, n_C) broadcasts over (m, n_H, n_W)
    return Z, (A_prev, W, b, hparameters)


def grad_input_scatter(input_shape, W, dZ, stride: int, pad: int, convention: str = "correlation") -> np.ndarray:
    """dA_prev by scattering: ``dA_prev_pad[:, window(h, w)] += W * dZ[:, h, w]`` summed over ``c_out``, cropped.

    ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev, n_C)``,
    ``dZ (m, n_H, n_W, n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``.

    Vectorised over the output cells: one matrix product ``W @ dZ^T`` gives every window's contribution
    ``(f_H, f_W, n_C_prev, m, n_H, n_W)`` at once; then one strided ``+=`` per kernel offset adds them
    into the padded gradient (overlapping windows accumulate). The kernel is used as it is: no flip.
    """
    m, n_H_prev, n_W_prev, n_C_prev = _input_shape(input_shape)
    W = as_array("W", W, 4)
    stride, pad, convention = conv_hparameters({"stride": stride, "pad": pad, "convention": convention})
    expected = output_shape((m, n_H_prev, n_W_prev, n_C_prev), W.shape, stride, pad)
    dZ = _check_dZ(dZ, expected)
    dA_pad = _scatter(effective_kernel(W, convention), dZ, (n_H_prev + 2 * pad, n_W_prev + 2 * pad), stride)
    return _crop(dA_pad, pad, (n_H_prev, n_W_prev))


def grad_input_rot180(input_shape, W, dZ, stride: int, pad: int, convention: str = "correlation") -> np.ndarray:
    """dA_prev as a full correlation of the dilated, padded dZ with the rotated kernel, cropped.

    ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev, n_C)``,
    ``dZ (m, n_H, n_W, n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``. The steps, literally:

    1. dilate: ``dZ_dil (m, (n_H - 1) s + 1, (n_W - 1) s + 1, n_C)``, ``s - 1`` zeros between entries;
    2. pad by :func:`full_padding` -> ``dZ_full (m, n_H_prev + 2p + f_H - 1, n_W_prev + 2p + f_W - 1, n_C)``;
    3. rotate the kernel 180 degrees in space and swap its channel axes:
       ``W_rot (f_H, f_W, n_C, n_C_prev)`` (``n_C`` in, ``n_C_prev`` out);
    4. correlate with stride 1 -> ``dA_prev_pad (m, n_H_prev + 2p, n_W_prev + 2p, n_C_prev)``; crop ``p``.

    Under the ``"convolution"`` forward convention the forward kernel is already rotated, so the two
    rotations cancel and this form correlates with ``W`` unrotated: the flip moves.
    """
    m, n_H_prev, n_W_prev, n_C_prev = _input_shape(input_shape)
    W = as_array("W", W, 4)
    stride, pad, convention = conv_hparameters({"stride": stride, "pad": pad, "convention": convention})
    expected = output_shape((m, n_H_prev, n_W_prev, n_C_prev), W.shape, stride, pad)
    dZ = _check_dZ(dZ, expected)
    dA_pad = _rot180(effective_kernel(W, convention), dZ, (n_H_prev, n_W_prev), stride, pad)
    return _crop(dA_pad, pad, (n_H_prev, n_W_prev))


def rot180_inputs(dZ, prev_hw, kernel_hw, stride: int, pad: int) -> np.ndarray:
    """Steps 1 and 2 of :func:`grad_input_rot180`: dZ dilated by the stride, then "full" padded.

    ``dZ (m, n_H, n_W, n_C)`` -> ``(m, n_H_prev + 2p + f_H - 1, n_W_prev + 2p + f_W - 1, n_C)``.
    """
    dZ = np.asarray(dZ, dtype=np.float64)
    m, n_H, n_W, n_C = dZ.shape
    (n_H_prev, n_W_prev), (f_H, f_W) = prev_hw, kernel_hw
    top, bottom = full_padding(n_H_prev, f_H, stride, pad)
    left, right = full_padding(n_W_prev, f_W, stride, pad)
    d_H, d_W = (n_H - 1) * stride + 1, (n_W - 1) * stride + 1  # dilated size
    dZ_full = np.zeros((m, top + d_H + bottom, left + d_W + right, n_C))
    dZ_full[:, top : top + d_H : stride, left : left + d_W : stride, :] = dZ  # entries s apart, zeros between
    return dZ_full


def grad_weight(A_prev, weight_shape, dZ, stride: int, pad: int, convention: str = "correlation") -> np.ndarray:
    """dW: the correlation of the padded input with dZ, per ``(c_in, c_out)`` pair.

    ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``, ``weight_shape = (f_H, f_W, n_C_prev, n_C)``,
    ``dZ (m, n_H, n_W, n_C)`` -> ``dW (f_H, f_W, n_C_prev, n_C)`` with
    ``dW[u, v, k, c] = sum_{i, h, w} A_pad[i, u + s*h, v + s*w, k] * dZ[i, h, w, c]``:
    dZ slides over the padded input like a kernel whose entries sit ``s`` apart (the forward stride has
    become a dilation), and the batch is summed. Under the ``"convolution"`` convention the result is
    rotated back, since the forward pass used ``rot180(W)``.
    """
    A_prev = as_array("A_prev", A_prev, 4)
    try:
        weight_shape = tuple(int(n) for n in weight_shape)
    except (TypeError, ValueError):
        raise ValueError(f"weight_shape must be (f_H, f_W, n_C_prev, n_C), got {weight_shape!r}") from None
    if len(weight_shape) != 4 or min(weight_shape) < 1:
        raise ValueError(f"weight_shape must be 4 positive sizes (f_H, f_W, n_C_prev, n_C), got {weight_shape}")
    stride, pad, convention = conv_hparameters({"stride": stride, "pad": pad, "convention": convention})
    expected = output_shape(A_prev.shape, weight_shape, stride, pad)
    dZ = _check_dZ(dZ, expected)
    dK = _grad_kernel(_pad(A_prev, pad), dZ, weight_shape[0], weight_shape[1], stride)
    return dK if convention == "correlation" else rot180(dK)


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
    -> ``(dA_prev (m, n_H_prev, n_W_prev, n_C_prev), dW (f_H, f_W, n_C_prev, n_C), db (1, 1, 1, n_C))``.
    ``method="scatter"`` (the course's loops, vectorised) or ``"rot180"`` (full correlation with the
    rotated kernel) chooses how dA_prev is computed; both give the same numbers.
    """
    try:
        A_prev, W, b, hparameters = cache
    except (TypeError, ValueError):
        raise ValueError("cache must be the (A_prev, W, b, hparameters) tuple returned by conv_forward") from None
    if method not in ("scatter", "rot180"):
        raise ValueError(f"method must be 'scatter' or 'rot180', got {method!r}")
    A_prev, W, b, stride, pad, convention, expected = _forward_checked(A_prev, W, b, hparameters)
    dZ = _check_dZ(dZ, expected)
    K = effective_kernel(W, convention)
    f_H, f_W = K.shape[:2]
    prev_hw = A_prev.shape[1:3]
    A_pad = _pad(A_prev, pad)
    if method == "scatter":
        dA_pad = _scatter(K, dZ, A_pad.shape[1:3], stride)
    else:
        dA_pad = _rot180(K, dZ, prev_hw, stride, pad)
    dK = _grad_kernel(A_pad, dZ, f_H, f_W, stride)
    dW = dK if convention == "correlation" else rot180(dK)
    return _crop(dA_pad, pad, prev_hw), dW, _grad_bias(dZ)
