"""PyTorch as the oracle for the matrix view and the transposed convolution (float64, CPU; skipped without torch).

- C against ``torch.autograd.functional.jacobian`` of ``conv2d`` with respect to its input;
- Cᵀ dZ, the scatter form, the rot180 form, col2im, ``F.conv_transpose2d(dZ, weight)`` and
  ``torch.nn.grad.conv2d_input``: one array;
- the transposed convolution forward against ``F.conv_transpose2d`` and backward against autograd, output_padding
  included (also below a dilation larger than the stride, which PyTorch allows).

Layout mapping as in test_torch.py: NHWC <-> NCHW; ``W (f_H, f_W, C_in // g, C_out)`` <-> ``(C_out, C_in // g, kH,
kW)``. A transposed convolution takes the *same* tensor: PyTorch reads its first axis as its own input channels.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import convcore
from tests.conftest import (
    DILATED_GROUPED_PARAMS,
    GEOMETRY_PARAMS,
    TRANSPOSE_PARAMS,
    ConvCase,
    TransposeCase,
    conv_cases,
    transpose_cases,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _nchw(X: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))


def _nhwc(t) -> np.ndarray:
    return t.detach().numpy().transpose(0, 2, 3, 1)


def _weight(W: np.ndarray, convention: str = "correlation"):
    """The conv2d weight ``(C_out, C_in // g, kH, kW)``; PyTorch correlates, so a true convolution hands it
    rot180(W)."""
    K = convcore.effective_kernel(W, convention)
    return torch.from_numpy(np.ascontiguousarray(K.transpose(3, 2, 0, 1)))


def _check_matrix(case: ConvCase) -> None:
    A_prev, W, _, dZ = case.arrays()
    weight = _weight(W, case.convention)
    kw = dict(stride=case.stride, padding=case.pad, dilation=case.dilation, groups=case.groups)
    x0 = _nchw(A_prev[:1])

    def conv(x_flat):  # x flattened in NHWC order -> z flattened in NHWC order: the Jacobian is C
        x = x_flat.reshape(1, case.n_H_prev, case.n_W_prev, case.n_C_prev).permute(0, 3, 1, 2)
        return F.conv2d(x, weight, **kw).permute(0, 2, 3, 1).reshape(-1)

    jac = torch.autograd.functional.jacobian(conv, x0.permute(0, 2, 3, 1).reshape(-1))
    C = convcore.conv_matrix(A_prev.shape[1:], W, case.hparameters)
    np.testing.assert_allclose(C, jac.numpy(), rtol=0, atol=1e-12)

    # every form of dA_prev, and PyTorch's two names for it
    g = _nchw(dZ)
    op = convcore.matching_output_padding(A_prev.shape, W.shape, case.stride, case.pad, case.dilation)
    transposed = F.conv_transpose2d(g, weight, output_padding=op, **kw)
    conv2d_input = torch.nn.grad.conv2d_input(_nchw(A_prev).shape, weight, g, **kw)
    x = _nchw(A_prev).requires_grad_()
    F.conv2d(x, weight, **kw).backward(g)
    reference = _nhwc(x.grad)
    hp = case.hparameters
    forms = {
        "C.T dZ": convcore.grad_input_matrix(A_prev.shape, W, dZ, hp),
        "scatter": convcore.grad_input_scatter(A_prev.shape, W, dZ, hp),
        "rot180": convcore.grad_input_rot180(A_prev.shape, W, dZ, hp),
        "col2im": convcore.grad_input_col2im(A_prev.shape, W, dZ, hp),
        "conv_transpose": convcore.grad_input_transpose(A_prev.shape, W, dZ, hp),
        "F.conv_transpose2d": _nhwc(transposed),
        "torch.nn.grad.conv2d_input": _nhwc(conv2d_input),
    }
    for name, form in forms.items():
        np.testing.assert_allclose(form, reference, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", GEOMETRY_PARAMS + DILATED_GROUPED_PARAMS)
def test_C_is_torchs_jacobian_and_every_form_of_dA_prev_is_torchs(case):
    _check_matrix(case)


@settings(max_examples=60, deadline=None)
@given(case=conv_cases(max_n=6, max_c=4, dilations=(1, 2, 3), groups=(1, 2, "depthwise")))
def test_C_and_the_forms_of_dA_prev_against_torch_property(case):
    _check_matrix(case)


def _check_transpose(case: TransposeCase) -> None:
    X, W, b, dY = case.arrays()
    Y, cache = convcore.conv_transpose_forward(X, W, b, case.hparameters)
    x = _nchw(X).requires_grad_()
    weight = _weight(W, case.convention).requires_grad_()
    bias = torch.from_numpy(b.reshape(-1).copy()).requires_grad_()
    y = F.conv_transpose2d(
        x,
        weight,
        bias,
        stride=case.stride,
        padding=case.pad,
        output_padding=case.output_padding,
        groups=case.groups,
        dilation=case.dilation,
    )
    np.testing.assert_allclose(Y, _nhwc(y), rtol=1e-12, atol=1e-12)
    y.backward(_nchw(dY))
    dX, dW, db = convcore.conv_transpose_backward(dY, cache)
    dW_torch = convcore.effective_kernel(weight.grad.numpy().transpose(2, 3, 1, 0), case.convention)
    np.testing.assert_allclose(dX, _nhwc(x.grad), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dW, dW_torch, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db.reshape(-1), bias.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", TRANSPOSE_PARAMS)
def test_conv_transpose_forward_and_backward_against_torch(case):
    _check_transpose(case)


@settings(max_examples=100, deadline=None)
@given(case=transpose_cases())
def test_conv_transpose_against_torch_property(case):
    _check_transpose(case)


def test_torch_refuses_the_output_padding_we_refuse():
    x, w = torch.zeros(1, 1, 2, 2, dtype=torch.float64), torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    for stride, dilation, op in ((2, 1, 2), (1, 2, 2), (1, 1, 1)):
        with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
            F.conv_transpose2d(x, w, stride=stride, dilation=dilation, output_padding=op)
        with pytest.raises(ValueError, match="output_padding must be smaller than the stride or the dilation"):
            convcore.conv_transpose_forward(
                np.zeros((1, 2, 2, 1)),
                np.zeros((2, 2, 1, 1)),
                np.zeros((1, 1, 1, 1)),
                {"stride": stride, "pad": 0, "dilation": dilation, "output_padding": op},
            )
