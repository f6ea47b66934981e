"""PyTorch as an independent oracle (float64, CPU). Skipped, not failed, where torch is not installed.

Layout mapping, written once here: convcore is NHWC with ``W (f_H, f_W, C_in, C_out)``; PyTorch is NCHW
with ``weight (C_out, C_in, kH, kW)``. PyTorch's conv2d is a correlation, so the ``"convolution"``
convention corresponds to the weight flipped in both spatial axes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import convcore
from tests.conftest import (
    DILATED_GROUPED_PARAMS,
    GEOMETRY_PARAMS,
    POOL_PARAMS,
    ConvCase,
    PoolCase,
    conv_cases,
    pool_cases,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional


def nhwc_to_torch(X: np.ndarray):
    """``(m, H, W, C)`` -> ``(m, C, H, W)``, float64."""
    return torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))


def torch_to_nhwc(t) -> np.ndarray:
    """``(m, C, H, W)`` -> ``(m, H, W, C)``."""
    return t.detach().numpy().transpose(0, 2, 3, 1)


def weight_to_torch(W: np.ndarray, convention: str = "correlation"):
    """``(f_H, f_W, C_in, C_out)`` -> ``(C_out, C_in, f_H, f_W)``, flipped in space for a true convolution."""
    K = convcore.effective_kernel(W, convention)
    return torch.from_numpy(np.ascontiguousarray(K.transpose(3, 2, 0, 1)))


def weight_from_torch(w, convention: str = "correlation") -> np.ndarray:
    """The inverse of :func:`weight_to_torch` (used for gradients)."""
    K = w.detach().numpy().transpose(2, 3, 1, 0)
    return convcore.effective_kernel(K, convention)


def _torch_conv_with_grads(case: ConvCase):
    A_prev, W, b, dZ = case.arrays()
    x = nhwc_to_torch(A_prev).requires_grad_()
    w = weight_to_torch(W, case.convention).requires_grad_()
    bias = torch.from_numpy(b.reshape(-1).copy()).requires_grad_()
    z = F.conv2d(x, w, bias, stride=case.stride, padding=case.pad, dilation=case.dilation, groups=case.groups)
    z.backward(nhwc_to_torch(dZ))
    return (
        (A_prev, W, b, dZ),
        torch_to_nhwc(z),
        torch_to_nhwc(x.grad),
        weight_from_torch(w.grad, case.convention),
        bias.grad,
    )


def _check_conv_against_torch(case: ConvCase):
    (A_prev, W, b, dZ), Z_t, dA_t, dW_t, db_t = _torch_conv_with_grads(case)
    Z, cache = convcore.conv_forward(A_prev, W, b, case.hparameters)
    np.testing.assert_allclose(Z, Z_t, rtol=1e-12, atol=1e-12)
    for method in ("scatter", "rot180"):
        dA, dW, db = convcore.conv_backward(dZ, cache, method=method)
        np.testing.assert_allclose(dA, dA_t, rtol=1e-12, atol=1e-12, err_msg=method)
        np.testing.assert_allclose(dW, dW_t, rtol=1e-12, atol=1e-12, err_msg=method)
        np.testing.assert_allclose(db.reshape(-1), db_t.numpy(), rtol=1e-12, atol=1e-12, err_msg=method)


def _check_nn_grad_functions(case: ConvCase):
    """torch.nn.grad.conv2d_input / conv2d_weight are named for what they return, as ours are."""
    A_prev, W, _, dZ = case.arrays()
    x, w, g = nhwc_to_torch(A_prev), weight_to_torch(W, case.convention), nhwc_to_torch(dZ)
    kw = dict(stride=case.stride, padding=case.pad, dilation=case.dilation, groups=case.groups)
    dx = torch.nn.grad.conv2d_input(x.shape, w, g, **kw)
    dw = torch.nn.grad.conv2d_weight(x, w.shape, g, **kw)
    args = (case.stride, case.pad, case.convention)
    np.testing.assert_allclose(
        convcore.grad_input_rot180(A_prev.shape, W, dZ, *args, **case.extra), torch_to_nhwc(dx), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        convcore.grad_input_scatter(A_prev.shape, W, dZ, *args, **case.extra), torch_to_nhwc(dx), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        convcore.grad_weight(A_prev, W.shape, dZ, *args, **case.extra),
        weight_from_torch(dw, case.convention),
        rtol=1e-12,
        atol=1e-12,
    )


def test_layout_mapping_round_trips():
    W = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    w = weight_to_torch(W)
    assert tuple(w.shape) == (5, 4, 2, 3) and w[4, 3, 1, 2].item() == W[1, 2, 3, 4]
    np.testing.assert_array_equal(weight_from_torch(w), W)
    np.testing.assert_array_equal(weight_from_torch(weight_to_torch(W, "convolution"), "convolution"), W)
    X = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    assert nhwc_to_torch(X)[1, 4, 2, 3].item() == X[1, 2, 3, 4]
    np.testing.assert_array_equal(torch_to_nhwc(nhwc_to_torch(X)), X)


def test_d2l_example_in_torch():
    x = torch.arange(9.0, dtype=torch.float64).reshape(1, 1, 3, 3)
    k = torch.tensor([[0.0, 1.0], [2.0, 3.0]], dtype=torch.float64).reshape(1, 1, 2, 2)
    Z, _ = convcore.conv_forward(
        torch_to_nhwc(x), k.numpy().transpose(2, 3, 1, 0), np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0}
    )
    np.testing.assert_array_equal(Z, torch_to_nhwc(F.conv2d(x, k)))


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_conv_forward_and_autograd(case):
    _check_conv_against_torch(case)


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_nn_grad_conv2d_input_and_weight(case):
    _check_nn_grad_functions(case)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(max_n=7))
def test_conv_against_torch_property(case):
    _check_conv_against_torch(case)
    _check_nn_grad_functions(case)


# --- dilation and groups: F.conv2d(..., dilation=, groups=) ---------------------------------------------


@pytest.mark.parametrize("case", DILATED_GROUPED_PARAMS)
def test_dilated_grouped_conv_forward_and_autograd(case):
    _check_conv_against_torch(case)


@pytest.mark.parametrize("case", DILATED_GROUPED_PARAMS)
def test_dilated_grouped_nn_grad_conv2d_input_and_weight(case):
    _check_nn_grad_functions(case)


@settings(max_examples=80, deadline=None)
@given(case=conv_cases(max_n=7, max_c=4, dilations=(1, 2, 3), groups=(1, 2, "depthwise")))
def test_dilated_grouped_conv_against_torch_property(case):
    _check_conv_against_torch(case)
    _check_nn_grad_functions(case)


def test_a_depthwise_layer_is_one_small_convolution_per_channel_in_torch_too():
    """groups = C_in: each channel has its own filter, and dA_prev / dW of one channel ignore the others."""
    case = ConvCase(1, 6, 6, 3, 3, 3, 3, 1, 0, dilation=2, groups=3)
    (A_prev, W, b, dZ), Z_t, dA_t, dW_t, _ = _torch_conv_with_grads(case)
    for c in range(3):
        one = ConvCase(1, 6, 6, 1, 1, 3, 3, 1, 0, dilation=2)
        Z1, cache = convcore.conv_forward(A_prev[..., c : c + 1], W[..., c : c + 1], b[..., c : c + 1], one.hparameters)
        np.testing.assert_allclose(Z1[..., 0], Z_t[..., c], rtol=1e-12, atol=1e-12)
        dA1, dW1, _ = convcore.conv_backward(dZ[..., c : c + 1], cache)
        np.testing.assert_allclose(dA1[..., 0], dA_t[..., c], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dW1[..., 0, 0], dW_t[..., 0, c], rtol=1e-12, atol=1e-12)


# --- pooling ----------------------------------------------------------------------------------------


def _torch_pool(case: PoolCase, A_prev: np.ndarray, dA: np.ndarray, mode: str):
    x = nhwc_to_torch(A_prev).requires_grad_()
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    a = pool(x, kernel_size=case.f, stride=case.stride)
    a.backward(nhwc_to_torch(dA))
    return torch_to_nhwc(a), torch_to_nhwc(x.grad)


def _check_pool_against_torch(case: PoolCase, kind: str):
    A_prev, dA = case.arrays(kind)
    for mode in ("max", "average"):
        A_t, dA_prev_t = _torch_pool(case, A_prev, dA, mode)
        A, cache = convcore.pool_forward(A_prev, case.hparameters, mode=mode)
        np.testing.assert_allclose(A, A_t, rtol=1e-13, atol=1e-13)
        ties_rules = ("all", "first") if kind == "distinct" or mode == "average" else ("first",)
        for ties in ties_rules:
            got = convcore.pool_backward(dA, cache, mode=mode, ties=ties)
            np.testing.assert_allclose(got, dA_prev_t, rtol=1e-13, atol=1e-13, err_msg=f"{mode} ties={ties}")


@pytest.mark.parametrize("kind", ["distinct", "ties"])
@pytest.mark.parametrize("case", POOL_PARAMS)
def test_pooling_against_torch(case, kind):
    """Away from ties both rules equal torch; with ties torch's max_pool2d is ties="first"."""
    _check_pool_against_torch(case, kind)


@settings(max_examples=30, deadline=None)
@given(case=pool_cases())
def test_pooling_against_torch_property(case):
    _check_pool_against_torch(case, "distinct")
    _check_pool_against_torch(case, "ties")


def test_torch_max_pool_on_a_tied_window_is_ties_first_not_the_course():
    A_prev = np.array([[1.0, 3.0], [3.0, 2.0]])[None, :, :, None]
    case = PoolCase(1, 2, 2, 1, 2, 2)
    _, dA_prev_t = _torch_pool(case, A_prev, np.ones((1, 1, 1, 1)), "max")
    _, cache = convcore.pool_forward(A_prev, case.hparameters)
    np.testing.assert_array_equal(dA_prev_t[0, :, :, 0], [[0, 1], [0, 0]])
    np.testing.assert_array_equal(convcore.pool_backward(np.ones((1, 1, 1, 1)), cache, ties="first"), dA_prev_t)
    assert not np.array_equal(convcore.pool_backward(np.ones((1, 1, 1, 1)), cache, ties="all"), dA_prev_t)
