"""The transposed convolution: the convolution's backward pass for dA_prev, as a layer of its own.

A convolution is a matrix C (:func:`convcore.conv_matrix`); the transposed convolution multiplies by Cᵀ. Each input
cell ``X[h, w, c]`` **stamps** a copy of filter ``c``'s kernel, scaled by its value, into the output at rows
``s h + d u - p`` and columns ``s w + d v - p``; overlapping stamps add up. That is exactly the scatter form of a
convolution's dA_prev (:func:`convcore.grad_input_scatter`) with ``X = dZ``, and it is what PyTorch's
``torch.nn.functional.conv_transpose2d`` computes.

Layout, NHWC as everywhere in the project:

- ``X (m, n_H, n_W, n_C)``: the transposed convolution's input, shaped like the convolution's output (its dZ);
- ``W (f_H, f_W, n_C_prev // g, n_C)``: **the convolution's own weight**, not rotated, not transposed by hand
  (PyTorch's conv_transpose2d takes the conv2d weight tensor ``(C_out, C_in // g, kH, kW)`` as it is, and reads its
  first axis as its own input channels);
- ``b (1, 1, 1, n_C_prev)``: one bias per *output* channel of the transposed convolution;
- ``hparameters``: ``"stride"``, ``"pad"`` and the optional ``"output_padding"`` (default 0; an int or a
  ``(rows, cols)`` pair), ``"dilation"``, ``"groups"``, ``"convention"`` (``"convolution"``: the kernel was rotated
  going forward, so the stamps are ``rot180(W)``; the transposed layer stays the convolution's backward pass);
- ``Y (m, L_H, L_W, n_C_prev)`` with ``L = (n - 1) s - 2 p + d (f - 1) + output_padding + 1``, the size formula of
  PyTorch's ``conv_transpose2d``.

**Why output_padding.** A convolution with stride ``s`` floors: the ``s`` input lengths ``(n - 1) s + e - 2 p``
... ``+ s - 1`` (``e = d (f - 1) + 1``) all give ``n`` outputs. Going back, the size is ambiguous, and
``output_padding`` in ``0 .. s - 1`` picks one: it adds that many rows (and columns) at the bottom (and right) that
no stamp reaches before the padding is cropped. As PyTorch does, it must be smaller than ``max(stride, dilation)``.

**Its backward pass is the mirror of the convolution's story.** ``dX`` is a plain correlation of ``dY`` (padded by
``p``) with ``W``, at the same stride, dilation and groups: the convolution's *forward* pass, **no flip** anywhere
(:func:`conv_transpose_backward`). The convolution's backward needs a flip in its formula (the rot180 form); the
transposed convolution's backward needs none. ``dW`` correlates ``dY`` with ``X`` spread by the stride, ``db`` sums
``dY``.
"""

from __future__ import annotations

import numpy as np

from ._checks import ConvParams, as_array, as_int, conv_params, extent
from .conv import (
    _backward_params,
    _check_bias,
    _check_dZ,
    _correlate,
    _crop,
    _grad_bias,
    _grad_kernel,
    _input_shape,
    _pad,
    _scatter,
    effective_kernel,
    output_shape,
    rot180,
)
from .matrix import axis_cover

__all__ = [
    "TRANSPOSE_KEYS",
    "transpose_params",
    "conv_transpose_output_shape",
    "conv_transpose_forward",
    "conv_transpose_backward",
    "matching_output_padding",
    "grad_input_transpose",
    "conv_input_lengths",
    "stamp_count",
]

#: The keys of a transposed convolution's ``hparameters``: the convolution's, plus ``"output_padding"``.
TRANSPOSE_KEYS = ("stride", "pad", "output_padding", "dilation", "groups", "convention")


def _pair(name: str, value) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a (rows, cols) pair, got {value!r}")
        return as_int(name, value[0], 0), as_int(name, value[1], 0)
    n = as_int(name, value, 0)
    return n, n


def transpose_params(hparameters) -> tuple[ConvParams, tuple[int, int]]:
    """Read a transposed convolution's ``hparameters`` -> ``(ConvParams, (output_padding rows, cols))``.

    Unknown keys are refused with the list of the known ones (:data:`TRANSPOSE_KEYS`); ``output_padding`` must be
    smaller than ``max(stride, dilation)``, as PyTorch's ``conv_transpose2d`` requires.
    """
    params = conv_params(hparameters, TRANSPOSE_KEYS)
    op = _pair("output_padding", hparameters.get("output_padding", 0))
    limit = max(params.stride, params.dilation)
    for n in op:
        if n >= limit:
            raise ValueError(
                f"output_padding must be smaller than the stride or the dilation (here max(stride, dilation) = "
                f"{limit}), as PyTorch's conv_transpose2d requires; got {n}. It only chooses among the {params.stride} "
                f"output size(s) that a stride-{params.stride} convolution sends to the same input size"
            )
    return params, op


def conv_transpose_output_shape(
    input_shape, weight_shape, stride: int, pad: int, output_padding=0, dilation: int = 1, groups: int = 1
) -> tuple[int, int, int, int]:
    """``(m, L_H, L_W, n_C_prev)`` of a transposed convolution; raises ``ValueError`` when it would be empty.

    ``input_shape = (m, n_H, n_W, n_C)`` (X's), ``weight_shape = (f_H, f_W, n_C_prev // groups, n_C)`` (the
    convolution's W); ``L_H = (n_H - 1) s - 2 p + d (f_H - 1) + output_padding + 1``, the same for ``L_W``.
    """
    m, n_H, n_W, n_C = (int(n) for n in input_shape)
    f_H, f_W, cg_in, w_n_C = (int(n) for n in weight_shape)
    if w_n_C != n_C:
        raise ValueError(
            f"X has {n_C} channel(s) (X.shape[3]) but W has {w_n_C} filter(s) (W.shape[3]): a transposed convolution "
            "takes in as many channels as its convolution has filters"
        )
    if n_C % groups:
        raise ValueError(f"groups={groups} must divide X's channels n_C = {n_C}")
    op_H, op_W = _pair("output_padding", output_padding)
    sizes = []
    for axis, n, f, op in (("height", n_H, f_H, op_H), ("width", n_W, f_W, op_W)):
        L = (n - 1) * stride - 2 * pad + dilation * (f - 1) + op + 1
        if L < 1:
            raise ValueError(
                f"the output {axis} would be (n - 1) s - 2 p + d (f - 1) + output_padding + 1 = ({n} - 1)*{stride} - "
                f"2*{pad} + {dilation}*({f} - 1) + {op} + 1 = {L}: the padding crops away everything the stamps "
                "cover; use less padding or a larger input"
            )
        sizes.append(L)
    return m, sizes[0], sizes[1], cg_in * groups


def _forward_checked(X, W, b, hparameters):
    hp, op = transpose_params(hparameters)
    X, W = as_array("X", X, 4), as_array("W", W, 4)
    shape = conv_transpose_output_shape(X.shape, W.shape, hp.stride, hp.pad, op, hp.dilation, hp.groups)
    b = _check_bias(b, shape[3])
    return X, W, b, hp, op, shape


def conv_transpose_forward(X, W, b, hparameters):
    """Forward pass of a transposed convolution, vectorised.

    ``X (m, n_H, n_W, n_C)``, ``W (f_H, f_W, n_C_prev // g, n_C)`` the convolution's own weight, ``b (1, 1, 1,
    n_C_prev)``, ``hparameters = {"stride", "pad", "output_padding", "dilation", "groups"}`` (all but stride and pad
    optional) -> ``(Y, cache)``, ``Y (m, L_H, L_W, n_C_prev)``, ``L = (n - 1) s - 2 p + d (f - 1) + output_padding +
    1``, ``cache = (X, W, b, hparameters)``. Each ``X[i, h, w, c]`` adds ``W[:, :, :, c] * X[i, h, w, c]`` at rows
    ``s h + d u``, columns ``s w + d v`` of the padded output, on the input channels of ``c``'s group; then ``p`` is
    cropped from every side and ``b`` added: PyTorch's ``conv_transpose2d(x, weight, bias, stride, padding,
    output_padding, groups, dilation)``.
    """
    X, W, b, hp, _, (_, L_H, L_W, _) = _forward_checked(X, W, b, hparameters)
    K = effective_kernel(W, hp.convention)
    p = hp.pad
    Y_pad = _scatter(K, X, (L_H + 2 * p, L_W + 2 * p), hp.stride, hp.dilation, hp.groups)  # the stamps, summed
    Y = _crop(Y_pad, p, (L_H, L_W)) + b  # b (1, 1, 1, n_C_prev) broadcasts
    return Y, (X, W, b, hparameters)


def conv_transpose_backward(dY, cache):
    """Backward pass of a transposed convolution, vectorised.

    ``dY (m, L_H, L_W, n_C_prev)``, ``cache = (X, W, b, hparameters)`` from :func:`conv_transpose_forward` ->
    ``(dX (m, n_H, n_W, n_C), dW (f_H, f_W, n_C_prev // g, n_C), db (1, 1, 1, n_C_prev))``.

    - ``dX[i, h, w, c] = Σ_{u, v, k'} dY_pad[i, s h + d u, s w + d v, k] W[u, v, k', c]``: a **plain correlation** of
      dY (padded by ``p``) with ``W``, the convolution's forward pass, **no flip**: the mirror of the convolution,
      whose backward is this layer's forward;
    - ``dW[u, v, k', c] = Σ_{i, h, w} X[i, h, w, c] dY_pad[i, s h + d u, s w + d v, k]``;
    - ``db`` is ``dY`` summed over the batch and space.
    """
    try:
        X, W, b, hparameters = cache
    except (TypeError, ValueError):
        raise ValueError("cache must be the (X, W, b, hparameters) tuple returned by conv_transpose_forward") from None
    X, W, b, hp, _, expected = _forward_checked(X, W, b, hparameters)
    dY = as_array("dY", dY, 4)
    if dY.shape != expected:
        raise ValueError(f"dY must have the forward output's shape {expected}, got {dY.shape}")
    K = effective_kernel(W, hp.convention)
    f_H, f_W = K.shape[:2]
    n_H, n_W = X.shape[1:3]
    dY_pad = _pad(dY, hp.pad)
    dX = _correlate(dY_pad, K, hp.stride, n_H, n_W, hp.dilation, hp.groups)  # the convolution's forward: no flip
    dK = _grad_kernel(dY_pad, X, f_H, f_W, hp.stride, hp.dilation, hp.groups)
    dW = dK if hp.convention == "correlation" else rot180(dK)
    return dX, dW, _grad_bias(dY)


def matching_output_padding(input_shape, weight_shape, stride: int, pad: int, dilation: int = 1) -> tuple[int, int]:
    """The ``output_padding`` that sends a convolution's dZ back to its input's size: ``(r_H, r_W)`` with
    ``r = (n_prev + 2 p - d (f - 1) - 1) % s``, the rows (columns) of the padded input that a non-dividing stride
    never visits. ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)`` or without ``m``; ``weight_shape = (f_H, f_W,
    ...)``. This is what ``torch.nn.grad.conv2d_input`` passes to ``conv_transpose2d``."""
    *_, n_H_prev, n_W_prev, _ = (int(n) for n in input_shape)
    f_H, f_W = (int(n) for n in tuple(weight_shape)[:2])
    return tuple((n + 2 * pad - extent(f, dilation)) % stride for n, f in ((n_H_prev, f_H), (n_W_prev, f_W)))  # type: ignore[return-value]


def grad_input_transpose(
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
    """dA_prev of a convolution as a transposed convolution of dZ with the same W: ``conv_transpose2d(dZ, W)``.

    ``input_shape = (m, n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev // g, n_C)``, ``dZ (m, n_H, n_W,
    n_C)`` -> ``dA_prev (m, n_H_prev, n_W_prev, n_C_prev)``; ``stride`` may also be the whole ``hparameters`` dict.
    The same stride, padding, dilation and groups, and ``output_padding`` = :func:`matching_output_padding`, which
    makes the output exactly the input's size. The kernel is passed as it is: no rotation by hand.
    """
    shape = _input_shape(input_shape)
    W = as_array("W", W, 4)
    hp = _backward_params(stride, pad, convention, dilation, groups)
    dZ = _check_dZ(dZ, output_shape(shape, W.shape, hp.stride, hp.pad, hp.dilation, hp.groups))
    op = matching_output_padding(shape, W.shape, hp.stride, hp.pad, hp.dilation)
    hparameters = {**hp.as_dict(), "output_padding": op}
    Y, _ = conv_transpose_forward(dZ, W, np.zeros((1, 1, 1, shape[3])), hparameters)
    return Y


def conv_input_lengths(n: int, f: int, stride: int, pad: int, dilation: int = 1) -> range:
    """The input lengths a convolution maps to ``n`` outputs along one axis: ``L`` with
    ``1 + (L + 2 p - d (f - 1) - 1) // s == n``, i.e. ``(n - 1) s + d (f - 1) + 1 - 2 p`` up to ``s - 1`` more
    (the floor), those of them >= 1. A transposed convolution picks the ``output_padding``-th of them."""
    n, f = as_int("n", n, 1), as_int("f", f, 1)
    stride, pad, dilation = as_int("stride", stride, 1), as_int("pad", pad, 0), as_int("dilation", dilation, 1)
    low = (n - 1) * stride + extent(f, dilation) - 2 * pad
    return range(max(1, low), low + stride)


def stamp_count(input_hw, f_H: int, f_W: int, hparameters) -> np.ndarray:
    """How many input cells' stamps reach each output cell of a transposed convolution: ``(L_H, L_W)`` integers.

    ``input_hw = (n_H, n_W)`` (X's spatial size), the kernel's ``f_H, f_W``, the transposed convolution's
    ``hparameters``. It is the product of the two axes' counts. When the stride does not divide the kernel's extent
    (kernel 3 at stride 2) neighbouring cells get different counts (1, 2, 1, 2, ... along an axis): the checkerboard
    that transposed convolutions are known for; kernel 4 at stride 2 covers the interior evenly.
    """
    hp, (op_H, op_W) = transpose_params(hparameters)
    n_H, n_W = (as_int("input_hw", n, 1) for n in input_hw)
    f_H, f_W = as_int("f_H", f_H, 1), as_int("f_W", f_W, 1)
    _, L_H, L_W, _ = conv_transpose_output_shape(
        (1, n_H, n_W, 1), (f_H, f_W, 1, 1), hp.stride, hp.pad, (op_H, op_W), hp.dilation
    )
    rows = axis_cover(n_H, f_H, hp.stride, hp.dilation, L_H, hp.pad)
    cols = axis_cover(n_W, f_W, hp.stride, hp.dilation, L_W, hp.pad)
    return np.outer(rows, cols)  # (L_H,) x (L_W,) -> (L_H, L_W)
