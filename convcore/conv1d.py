"""1D convolution: the classic example ``[a b c d e]`` with ``[x y]``, forward and both backward forms.

``x (n,)``, ``w (k,)``, output ``z (n_out,)`` with ``n_out = 1 + (n + 2 * pad - d (k - 1) - 1) // stride`` and,
under the default ``"correlation"`` convention, ``z[h] = sum_u x_pad[s*h + d*u] * w[u]`` (so ``[a b c d e]``
with ``[x y]`` gives ``[ax+by, bx+cy, cx+dy, dx+ey]``; at dilation 2, ``[ax+cy, bx+dy, cx+ey]``). One channel,
so ``groups`` can only be 1 (it is accepted, and checked, for symmetry with the 2D functions). Each function is
the 2D one of :mod:`convcore.conv` on a single row, a single channel and a batch of one: the 1D case is literally
a slice of the 2D one.
Padding is applied to the row only (the 2D functions would pad above and below too).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int, check_convention, check_groups
from .conv import correlate, effective_kernel, grad_input_rot180, grad_input_scatter, grad_weight, output_shape

__all__ = [
    "conv1d_forward",
    "conv1d_grad_input_scatter",
    "conv1d_grad_input_rot180",
    "conv1d_grad_weight",
]


def _row(v) -> np.ndarray:
    return v.reshape(1, 1, -1, 1)  # (n,) -> (m=1, n_H=1, n, n_C=1)


def _kernel(w) -> np.ndarray:
    return w.reshape(1, -1, 1, 1)  # (k,) -> (f_H=1, f_W=k, n_C_prev=1, n_C=1)


def _checked(n, k, dz, stride, pad, convention, dilation, groups):
    stride, pad = as_int("stride", stride, 1), as_int("pad", pad, 0)
    dilation = as_int("dilation", dilation, 1)
    check_groups(as_int("groups", groups, 1), 1, 1)
    check_convention(convention)
    _, _, n_out, _ = output_shape((1, 1, n + 2 * pad, 1), (1, k, 1, 1), stride, 0, dilation)
    if dz is not None:
        dz = as_array("dz", dz, 1)
        if dz.shape != (n_out,):
            raise ValueError(f"dz must have the forward output's length {n_out}, got {dz.shape[0]}")
    return dz, stride, pad, dilation


def conv1d_forward(
    x, w, stride: int = 1, pad: int = 0, convention: str = "correlation", dilation: int = 1, groups: int = 1
) -> np.ndarray:
    """``x (n,)``, ``w (k,)`` -> ``z (1 + (n + 2 pad - d (k - 1) - 1) // stride,)``; no bias."""
    x, w = as_array("x", x, 1), as_array("w", w, 1)
    _, stride, pad, dilation = _checked(x.size, w.size, None, stride, pad, convention, dilation, groups)
    x_pad = np.pad(x, pad)
    return correlate(_row(x_pad), effective_kernel(_kernel(w), convention), stride, dilation).reshape(-1)


def conv1d_grad_input_scatter(
    n: int, w, dz, stride: int = 1, pad: int = 0, convention: str = "correlation", dilation: int = 1, groups: int = 1
):
    """dE/dx by scattering ``w * dz[h]`` into each window (its taps ``d`` apart): ``(n,)``."""
    w = as_array("w", w, 1)
    dz, stride, pad, dilation = _checked(as_int("n", n, 1), w.size, dz, stride, pad, convention, dilation, groups)
    hp = {"stride": stride, "pad": 0, "convention": convention, "dilation": dilation}
    d = grad_input_scatter((1, 1, n + 2 * pad, 1), _kernel(w), _row(dz), hp).reshape(-1)
    return d[pad : pad + n]


def conv1d_grad_input_rot180(
    n: int, w, dz, stride: int = 1, pad: int = 0, convention: str = "correlation", dilation: int = 1, groups: int = 1
):
    """dE/dx: the full correlation of the dilated, padded ``dz`` with the reversed (still dilated) kernel: ``(n,)``."""
    w = as_array("w", w, 1)
    dz, stride, pad, dilation = _checked(as_int("n", n, 1), w.size, dz, stride, pad, convention, dilation, groups)
    hp = {"stride": stride, "pad": 0, "convention": convention, "dilation": dilation}
    d = grad_input_rot180((1, 1, n + 2 * pad, 1), _kernel(w), _row(dz), hp).reshape(-1)
    return d[pad : pad + n]


def conv1d_grad_weight(
    x, k: int, dz, stride: int = 1, pad: int = 0, convention: str = "correlation", dilation: int = 1, groups: int = 1
):
    """dE/dw: ``dw[u] = sum_h x_pad[s h + d u] dz[h]``, the padded ``x`` sampled with holes correlated with ``dz``
    dilated by the stride: ``(k,)``."""
    x = as_array("x", x, 1)
    dz, stride, pad, dilation = _checked(x.size, as_int("k", k, 1), dz, stride, pad, convention, dilation, groups)
    hp = {"stride": stride, "pad": 0, "convention": convention, "dilation": dilation}
    return grad_weight(_row(np.pad(x, pad)), (1, k, 1, 1), _row(dz), hp).reshape(-1)
