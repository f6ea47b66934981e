"""A short, runnable NumPy (+ PyTorch when installed) script that reproduces a configuration's numbers.

This is the one place where the course's NHWC layout is mapped to PyTorch's:
``A_prev (m, n_H, n_W, n_C_prev)`` -> ``input (m, C_in, H, W)`` by ``transpose(0, 3, 1, 2)``, and
``W (f_H, f_W, n_C_prev, n_C)`` -> ``weight (C_out, C_in, kH, kW)`` by ``transpose(3, 2, 0, 1)``.
PyTorch computes cross-correlation; under the ``"convolution"`` convention the script hands it ``rot180(W)``.
The same weight tensor goes to ``conv_transpose2d``, which computes dA_prev (PyTorch reads its first axis, C_out, as
the transposed layer's input channels).
``dilation`` and ``groups`` mean what they mean to ``torch.nn.functional.conv2d``, and the script passes them on.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int, check_convention, check_groups

__all__ = ["numpy_torch_script"]


def _literal(a: np.ndarray) -> str:
    return np.array2string(
        np.asarray(a, dtype=np.float64), separator=", ", threshold=1_000_000, max_line_width=110, floatmode="unique"
    )


def numpy_torch_script(
    A_prev, W, b, dZ, stride: int, pad: int, convention: str = "correlation", dilation: int = 1, groups: int = 1
) -> str:
    """The script's text for one example: ``A_prev (n_H_prev, n_W_prev, n_C_prev)``,
    ``W (f_H, f_W, n_C_prev // groups, n_C)``, ``b (n_C,)``, ``dZ (n_H, n_W, n_C)``. It prints Z, dA_prev (both
    forms), dW and db, and checks them against PyTorch autograd (``conv2d(..., dilation=, groups=)``), and dA_prev
    against ``conv_transpose2d(dZ, W, output_padding=...)``, when ``torch`` imports."""
    A_prev, W = as_array("A_prev", A_prev, 3), as_array("W", W, 4)
    b, dZ = as_array("b", np.reshape(b, -1), 1), as_array("dZ", dZ, 3)
    check_convention(convention)
    dilation, groups = as_int("dilation", dilation, 1), as_int("groups", groups, 1)
    check_groups(groups, A_prev.shape[2], W.shape[3], W.shape[2])
    return f'''"""Reproduces the numbers shown by the convolution-gradient explainer (one example, NHWC layout).

Run: python this_file.py   (NumPy required; PyTorch optional, used as an independent check)
"""
import numpy as np

A_prev = np.array({_literal(A_prev)})  # (n_H_prev, n_W_prev, n_C_prev)
W = np.array({_literal(W)})  # (f_H, f_W, n_C_prev // groups, n_C)
b = np.array({_literal(b)})  # (n_C,)
dZ = np.array({_literal(dZ)})  # (n_H, n_W, n_C), the upstream gradient
stride, pad, dilation, groups = {int(stride)}, {int(pad)}, {int(dilation)}, {int(groups)}
convention = "{convention}"  # "correlation" (the course, PyTorch) or "convolution" (kernel rotated going forward)

K = W if convention == "correlation" else W[::-1, ::-1]  # the kernel actually correlated going forward
f_H, f_W, cg_in, n_C = W.shape  # cg_in: input channels per group
n_C_prev = A_prev.shape[2]
cg_out = n_C // groups  # filters per group: filter c reads input channels group(c) * cg_in ... + cg_in - 1
e_H, e_W = dilation * (f_H - 1) + 1, dilation * (f_W - 1) + 1  # the dilated kernel's extent (holes included)
A_pad = np.pad(A_prev, ((pad, pad), (pad, pad), (0, 0)))
n_H = 1 + (A_pad.shape[0] - e_H) // stride
n_W = 1 + (A_pad.shape[1] - e_W) // stride


def taps(h, w):
    """The rows and columns that output cell (h, w) reads: every dilation-th cell of its window."""
    return slice(h * stride, h * stride + e_H, dilation), slice(w * stride, w * stride + e_W, dilation)


def group_in(c):
    """The input channels filter c reads (its group)."""
    return slice((c // cg_out) * cg_in, (c // cg_out + 1) * cg_in)


# forward: Z[h, w, c] = sum(window * K[..., c]) + b[c]
Z = np.zeros((n_H, n_W, n_C))
for h in range(n_H):
    for w in range(n_W):
        rows, cols = taps(h, w)
        for c in range(n_C):
            Z[h, w, c] = np.sum(A_pad[rows, cols, group_in(c)] * K[:, :, :, c]) + b[c]

# dA_prev, form 1 (scatter, the course's loop): no flip
dA_pad = np.zeros(A_pad.shape)
dK = np.zeros(K.shape)
for h in range(n_H):
    for w in range(n_W):
        rows, cols = taps(h, w)
        for c in range(n_C):
            dA_pad[rows, cols, group_in(c)] += K[:, :, :, c] * dZ[h, w, c]
            dK[:, :, :, c] += A_pad[rows, cols, group_in(c)] * dZ[h, w, c]
dA_scatter = dA_pad[pad:pad + A_prev.shape[0], pad:pad + A_prev.shape[1], :]
dW = dK if convention == "correlation" else dK[::-1, ::-1]
db = dZ.sum(axis=(0, 1))

# dA_prev, form 2: dilate dZ by the stride, pad it "full" (by the dilated kernel's extent - 1), correlate with
# rot180 of the dilated kernel (its holes stay holes), channel axes swapped inside each group
dil = np.zeros(((n_H - 1) * stride + 1, (n_W - 1) * stride + 1, n_C))
dil[::stride, ::stride] = dZ
extra_h = (A_pad.shape[0] - e_H) % stride  # rows a non-dividing stride never visits
extra_w = (A_pad.shape[1] - e_W) % stride
full = np.pad(dil, ((e_H - 1, e_H - 1 + extra_h), (e_W - 1, e_W - 1 + extra_w), (0, 0)))
K_rot = np.zeros((e_H, e_W, cg_in, n_C))
K_rot[::dilation, ::dilation] = K[::-1, ::-1]  # rot180 of the dilated kernel = the rotated kernel, dilated
dA_pad2 = np.zeros(A_pad.shape)
for y in range(A_pad.shape[0]):
    for x in range(A_pad.shape[1]):
        window = full[y:y + e_H, x:x + e_W, :]
        for k in range(n_C_prev):
            group = slice((k // cg_in) * cg_out, (k // cg_in + 1) * cg_out)  # the filters that read channel k
            dA_pad2[y, x, k] = np.sum(window[:, :, group] * K_rot[:, :, k % cg_in, group])
dA_rot180 = dA_pad2[pad:pad + A_prev.shape[0], pad:pad + A_prev.shape[1], :]

np.set_printoptions(precision=4, suppress=True)
for c in range(n_C):
    print(f"Z[:, :, {{c}}] =\\n{{Z[:, :, c]}}")
for k in range(n_C_prev):
    print(f"dA_prev[:, :, {{k}}] =\\n{{dA_scatter[:, :, k]}}")
print("largest |scatter - rot180| =", np.abs(dA_scatter - dA_rot180).max())
print("db =", db)

try:
    import torch
except ImportError:
    print("PyTorch is not installed: skipped the comparison with autograd.")
else:
    # NHWC -> NCHW for the input; (f_H, f_W, C_in, C_out) -> (C_out, C_in, kH, kW) for the weight
    x = torch.tensor(A_prev[None].transpose(0, 3, 1, 2).copy(), requires_grad=True)
    weight = torch.tensor(np.ascontiguousarray(K.transpose(3, 2, 0, 1)), requires_grad=True)
    bias = torch.tensor(b, requires_grad=True)
    z = torch.nn.functional.conv2d(x, weight, bias, stride=stride, padding=pad, dilation=dilation, groups=groups)
    z.backward(torch.tensor(dZ[None].transpose(0, 3, 1, 2).copy()))
    dW_torch = weight.grad.numpy().transpose(2, 3, 1, 0)  # back to (f_H, f_W, C_in, C_out), for K
    if convention == "convolution":
        dW_torch = dW_torch[::-1, ::-1]
    print("PyTorch agrees on Z:", np.allclose(z.detach().numpy()[0].transpose(1, 2, 0), Z))
    print("PyTorch agrees on dA_prev:", np.allclose(x.grad.numpy()[0].transpose(1, 2, 0), dA_scatter))
    print("PyTorch agrees on dW:", np.allclose(dW_torch, dW))
    print("PyTorch agrees on db:", np.allclose(bias.grad.numpy(), db))
    # dA_prev is a transposed convolution of dZ with the same weight, not rotated by hand: PyTorch's conv_transpose2d.
    # output_padding: the rows and columns a non-dividing stride never visits, so the output has the input's size.
    dA_transposed = torch.nn.functional.conv_transpose2d(
        torch.tensor(dZ[None].transpose(0, 3, 1, 2).copy()),
        weight.detach(),
        stride=stride,
        padding=pad,
        output_padding=(extra_h, extra_w),
        groups=groups,
        dilation=dilation,
    )
    dA_transposed = dA_transposed.numpy()[0].transpose(1, 2, 0)  # NCHW -> (n_H_prev, n_W_prev, n_C_prev)
    print("conv_transpose2d(dZ, W) agrees on dA_prev:", np.allclose(dA_transposed, dA_scatter))
'''
