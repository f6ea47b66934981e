"""A short, runnable NumPy (+ PyTorch when installed) script that reproduces a configuration's numbers.

This is the one place where the course's NHWC layout is mapped to PyTorch's:
``A_prev (m, n_H, n_W, n_C_prev)`` -> ``input (m, C_in, H, W)`` by ``transpose(0, 3, 1, 2)``, and
``W (f_H, f_W, n_C_prev, n_C)`` -> ``weight (C_out, C_in, kH, kW)`` by ``transpose(3, 2, 0, 1)``.
PyTorch computes cross-correlation; under the ``"convolution"`` convention the script hands it ``rot180(W)``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_convention

__all__ = ["numpy_torch_script"]


def _literal(a: np.ndarray) -> str:
    return np.array2string(
        np.asarray(a, dtype=np.float64), separator=", ", threshold=1_000_000, max_line_width=110, floatmode="unique"
    )


def numpy_torch_script(A_prev, W, b, dZ, stride: int, pad: int, convention: str = "correlation") -> str:
    """The script's text for one example: ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev, n_C)``,
    ``b (n_C,)``, ``dZ (n_H, n_W, n_C)``. It prints Z, dA_prev (both forms), dW and db, and checks them against
    PyTorch autograd when ``torch`` imports."""
    A_prev, W = as_array("A_prev", A_prev, 3), as_array("W", W, 4)
    b, dZ = as_array("b", np.reshape(b, -1), 1), as_array("dZ", dZ, 3)
    check_convention(convention)
    return f'''"""Reproduces the numbers shown by the convolution-gradient explainer (one example, NHWC layout).

Run: python this_file.py   (NumPy required; PyTorch optional, used as an independent check)
"""
import numpy as np

A_prev = np.array({_literal(A_prev)})  # (n_H_prev, n_W_prev, n_C_prev)
W = np.array({_literal(W)})  # (f_H, f_W, n_C_prev, n_C)
b = np.array({_literal(b)})  # (n_C,)
dZ = np.array({_literal(dZ)})  # (n_H, n_W, n_C), the upstream gradient
stride, pad = {int(stride)}, {int(pad)}
convention = "{convention}"  # "correlation" (the course, PyTorch) or "convolution" (kernel rotated going forward)

K = W if convention == "correlation" else W[::-1, ::-1]  # the kernel actually correlated going forward
f_H, f_W, n_C_prev, n_C = W.shape
A_pad = np.pad(A_prev, ((pad, pad), (pad, pad), (0, 0)))
n_H = 1 + (A_pad.shape[0] - f_H) // stride
n_W = 1 + (A_pad.shape[1] - f_W) // stride

# forward: Z[h, w, c] = sum(window * K[..., c]) + b[c]
Z = np.zeros((n_H, n_W, n_C))
for h in range(n_H):
    for w in range(n_W):
        window = A_pad[h * stride:h * stride + f_H, w * stride:w * stride + f_W, :]
        for c in range(n_C):
            Z[h, w, c] = np.sum(window * K[:, :, :, c]) + b[c]

# dA_prev, form 1 (scatter, the course's loop): no flip
dA_pad = np.zeros(A_pad.shape)
dK = np.zeros(K.shape)
for h in range(n_H):
    for w in range(n_W):
        rows, cols = slice(h * stride, h * stride + f_H), slice(w * stride, w * stride + f_W)
        for c in range(n_C):
            dA_pad[rows, cols, :] += K[:, :, :, c] * dZ[h, w, c]
            dK[:, :, :, c] += A_pad[rows, cols, :] * dZ[h, w, c]
dA_scatter = dA_pad[pad:pad + A_prev.shape[0], pad:pad + A_prev.shape[1], :]
dW = dK if convention == "correlation" else dK[::-1, ::-1]
db = dZ.sum(axis=(0, 1))

# dA_prev, form 2: dilate dZ by the stride, pad it "full", correlate with rot180(K), channel axes swapped
dil = np.zeros(((n_H - 1) * stride + 1, (n_W - 1) * stride + 1, n_C))
dil[::stride, ::stride] = dZ
extra_h = (A_pad.shape[0] - f_H) % stride  # rows a non-dividing stride never visits
extra_w = (A_pad.shape[1] - f_W) % stride
full = np.pad(dil, ((f_H - 1, f_H - 1 + extra_h), (f_W - 1, f_W - 1 + extra_w), (0, 0)))
K_rot = K[::-1, ::-1].transpose(0, 1, 3, 2)  # (f_H, f_W, n_C, n_C_prev)
dA_pad2 = np.zeros(A_pad.shape)
for y in range(A_pad.shape[0]):
    for x in range(A_pad.shape[1]):
        window = full[y:y + f_H, x:x + f_W, :]
        for k in range(n_C_prev):
            dA_pad2[y, x, k] = np.sum(window * K_rot[:, :, :, k])
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
    z = torch.nn.functional.conv2d(x, weight, bias, stride=stride, padding=pad)
    z.backward(torch.tensor(dZ[None].transpose(0, 3, 1, 2).copy()))
    dW_torch = weight.grad.numpy().transpose(2, 3, 1, 0)  # back to (f_H, f_W, C_in, C_out), for K
    if convention == "convolution":
        dW_torch = dW_torch[::-1, ::-1]
    print("PyTorch agrees on Z:", np.allclose(z.detach().numpy()[0].transpose(1, 2, 0), Z))
    print("PyTorch agrees on dA_prev:", np.allclose(x.grad.numpy()[0].transpose(1, 2, 0), dA_scatter))
    print("PyTorch agrees on dW:", np.allclose(dW_torch, dW))
    print("PyTorch agrees on db:", np.allclose(bias.grad.numpy(), db))
'''
