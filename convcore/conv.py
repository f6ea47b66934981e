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
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0.0)


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


def _im2col(A_pad: np.ndarray, f_H: int, f_W: int, stride: int, n_H: int, n_W: int) -> np.ndarray:
    """Gather every window of ``A_pad (m, H, W, C)`` -> ``cols (m, n_H, n_W, f_H, f_W, C)`` (a copy).

    One strided slice per kernel offset ``(u, v)``: ``cols[:, h, w, u, v] = A_pad[:, u + s*h, v + s*w]``.
    """
    m, _, _, C = A_pad.shape
    cols = np.empty((m, n_H, n_W, f_H, f_W, C))
    for u in range(f_H):
        for v in range(f_W):
            cols[:, :, :, u, v, :] = A_pad[:, u : u + stride * n_H : stride, v : v + stride * n_W : stride, :]
    return cols


def correlate(X, K, stride: int = 1) -> np.ndarray:
    """Multi-channel cross-correlation with no padding (what the forward pass computes).

    ``X (m, H, W, C_in)``, ``K (f_H, f_W, C_in, C_out)`` -> ``(m, 1 + (H - f_H) // s, 1 + (W - f_W) // s, C_out)``
    with ``out[i, h, w, c] = sum_{u, v, k} X[i, s*h + u, s*w + v, k] * K[u, v, k, c]``.
    """
    X = np.asarray(X, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    f_H, f_W, C_in, C_out = K.shape
    m, H, W_, _ = X.shape
    n_H = 1 + (H - f_H) // stride
    n_W = 1 + (W_ - f_W) // stride
    cols = _im2col(X, f_H, f_W, stride, n_H, n_W)  # (m, n_H, n_W, f_H, f_W, C_in)
    out = cols.reshape(m * n_H * n_W, f_H * f_W * C_in) @ K.reshape(f_H * f_W * C_in, C_out)
    return out.reshape(m, n_H, n_W, C_out)  # (m*n_H*n_W, C_out) -> (m, n_H, n_W, C_out)


def _forward_checked(A_prev, W, b, hparameters):
    stride, pad, convention = conv_hparameters(hparameters)
    A_prev = as_array("A_prev", A_prev, 4)
    W = as_array("W", W, 4)
    _, n_H, n_W, n_C = output_shape(A_prev.shape, W.shape, stride, pad)
    b = _check_bias(b, n_C)
    return A_prev, W, b, stride, pad, convention


def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a convolution layer, vectorised.

    ``A_prev (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev, n_C)``, ``b (1, 1, 1, n_C)``,
    ``hparameters = {"stride": s, "pad": p}`` -> ``(Z, cache)`` with ``Z (m, n_H, n_W, n_C)``,
    ``n_H = 1 + (n_H_prev + 2p - f_H) // s``, and ``cache = (A_prev, W, b, hparameters)`` as the course builds it.
    """
    A_prev, W, b, stride, pad, convention = _forward_checked(A_prev, W, b, hparameters)
    K = effective_kernel(W, convention)
    Z = correlate(zero_pad(A_prev, pad), K, stride) + b  # b (1, 1, 1, n_C) broadcasts over (m, n_H, n_W)
    return Z, (A_prev, W, b, hparameters)


def grad_input_scatter(input_shape, W, dZ, stride: int, pad: int, convention: str = "correlation") -> np.ndarray:
    """dA_prev by scattering: ``dA_prev_pad[:, window(h, w)] += W * dZ[:, h, w]`` summed over ``c_out``, cropped.

    ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev, n_C)``,
    ``dZ (m, n_H, n_W, n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``.

    Vectorised over the output cells: ``contrib = dZ @ W^T`` gives every window's contribution
    ``(m, n_H, n_W, f_H, f_W, n_C_prev)`` at once; then one strided ``+=`` per kernel offset adds them
    into the padded gradient (overlapping windows accumulate). The kernel is used as it is: no flip.
    """
    m, n_H_prev, n_W_prev, n_C_prev = _input_shape(input_shape)
    W = as_array("W", W, 4)
    stride, pad, convention = conv_hparameters({"stride": stride, "pad": pad, "convention": convention})
    expected = output_shape((m, n_H_prev, n_W_prev, n_C_prev), W.shape, stride, pad)
    dZ = _check_dZ(dZ, expected)
    K = effective_kernel(W, convention)
    f_H, f_W, _, n_C = K.shape
    _, n_H, n_W, _ = expected
    contrib = dZ.reshape(-1, n_C) @ K.reshape(-1, n_C).T  # (m*n_H*n_W, f_H*f_W*n_C_prev)
    contrib = contrib.reshape(m, n_H, n_W, f_H, f_W, n_C_prev)
    dA_pad = np.zeros((m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev))
    for u in range(f_H):
        for v in range(f_W):
            dA_pad[:, u : u + stride * n_H : stride, v : v + stride * n_W : stride, :] += contrib[:, :, :, u, v, :]
    # crop with explicit ends: dA_pad[:, p:-p] would be empty at p = 0 (the seed's bug)
    return dA_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]


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
    K = effective_kernel(W, convention)
    f_H, f_W = K.shape[:2]
    dZ_full = rot180_inputs(dZ, (n_H_prev, n_W_prev), (f_H, f_W), stride, pad)
    W_rot = rot180(K).transpose(0, 1, 3, 2)  # (f_H, f_W, n_C_prev, n_C) -> (f_H, f_W, n_C, n_C_prev)
    dA_pad = correlate(dZ_full, W_rot, 1)  # (m, n_H_prev + 2p, n_W_prev + 2p, n_C_prev)
    return dA_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]


def rot180_inputs(dZ, prev_hw, kernel_hw, stride: int, pad: int) -> np.ndarray:
    """Steps 1 and 2 of :func:`grad_input_rot180`: dZ dilated by the stride, then "full" padded.

    ``dZ (m, n_H, n_W, n_C)`` -> ``(m, n_H_prev + 2p + f_H - 1, n_W_prev + 2p + f_W - 1, n_C)``.
    """
    (n_H_prev, n_W_prev), (f_H, f_W) = prev_hw, kernel_hw
    top, bottom = full_padding(n_H_prev, f_H, stride, pad)
    left, right = full_padding(n_W_prev, f_W, stride, pad)
    return np.pad(dilate(dZ, stride), ((0, 0), (top, bottom), (left, right), (0, 0)))


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
    f_H, f_W, n_C_prev, n_C = weight_shape
    _, n_H, n_W, _ = expected
    cols = _im2col(zero_pad(A_prev, pad), f_H, f_W, stride, n_H, n_W)  # (m, n_H, n_W, f_H, f_W, n_C_prev)
    dK = cols.reshape(-1, f_H * f_W * n_C_prev).T @ dZ.reshape(-1, n_C)  # (f_H*f_W*n_C_prev, n_C)
    dK = dK.reshape(f_H, f_W, n_C_prev, n_C)
    return dK if convention == "correlation" else rot180(dK)


def grad_bias(dZ) -> np.ndarray:
    """db: ``dZ (m, n_H, n_W, n_C)`` summed over the batch and space -> ``(1, 1, 1, n_C)``."""
    dZ = as_array("dZ", dZ, 4)
    return dZ.sum(axis=(0, 1, 2), keepdims=True)


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
    A_prev, W, b, stride, pad, convention = _forward_checked(A_prev, W, b, hparameters)
    if method == "scatter":
        dA_prev = grad_input_scatter(A_prev.shape, W, dZ, stride, pad, convention)
    elif method == "rot180":
        dA_prev = grad_input_rot180(A_prev.shape, W, dZ, stride, pad, convention)
    else:
        raise ValueError(f"method must be 'scatter' or 'rot180', got {method!r}")
    dW = grad_weight(A_prev, W.shape, dZ, stride, pad, convention)
    return dA_prev, dW, grad_bias(dZ)
