"""The seed's 1D example: input [a b c d e], filter [x y], and the flip that appears in dE/dL.

Numbers stand for the letters: a..e = 1..5, x = 2, y = 3, and dE/dQ = [f g h i] = [1, 10, 100, 1000]
(powers of ten, so each digit of a result shows which term it came from).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convcore

a, b, c, d, e = 1.0, 2.0, 3.0, 4.0, 5.0
x, y = 2.0, 3.0
f, g, h, i = 1.0, 10.0, 100.0, 1000.0
L = np.array([a, b, c, d, e])
FILTER = np.array([x, y])
DQ = np.array([f, g, h, i])


def test_forward_is_ax_plus_by():
    Q = convcore.conv1d_forward(L, FILTER)
    np.testing.assert_array_equal(Q, [a * x + b * y, b * x + c * y, c * x + d * y, d * x + e * y])
    np.testing.assert_array_equal(Q, [8.0, 13.0, 18.0, 23.0])


@pytest.mark.parametrize("form", [convcore.conv1d_grad_input_scatter, convcore.conv1d_grad_input_rot180])
def test_input_gradient_is_dQ_convolved_with_y_x(form):
    dL = form(5, FILTER, DQ)
    # dQ/dc = [0 y x 0], so dE/dc = g*y + h*x; likewise dE/db = f*y + g*x and dE/dd = h*y + i*x
    expected = [f * x, f * y + g * x, g * y + h * x, h * y + i * x, i * y]
    np.testing.assert_array_equal(dL, expected)
    np.testing.assert_array_equal(dL, [2.0, 23.0, 230.0, 2300.0, 3000.0])


def test_rot180_form_reads_the_reversed_filter():
    # [0 f g h i 0] slid over [y x]: the reversed filter, read left to right
    dq_full = np.pad(DQ, 1)
    by_hand = [dq_full[k] * y + dq_full[k + 1] * x for k in range(5)]
    np.testing.assert_array_equal(by_hand, convcore.conv1d_grad_input_rot180(5, FILTER, DQ))
    unflipped = [dq_full[k] * x + dq_full[k + 1] * y for k in range(5)]
    assert not np.array_equal(unflipped, by_hand)


def test_filter_gradient_is_input_correlated_with_dQ():
    dw = convcore.conv1d_grad_weight(L, 2, DQ)
    np.testing.assert_array_equal(dw, [a * f + b * g + c * h + d * i, b * f + c * g + d * h + e * i])
    np.testing.assert_array_equal(dw, [4321.0, 5432.0])


def test_stride_two_skips_e():
    # stride 2: Q = [ax + by, cx + dy]; e is never read, so its gradient is 0
    np.testing.assert_array_equal(convcore.conv1d_forward(L, FILTER, stride=2), [8.0, 18.0])
    dq = np.array([f, g])
    for form in (convcore.conv1d_grad_input_scatter, convcore.conv1d_grad_input_rot180):
        np.testing.assert_array_equal(form(5, FILTER, dq, stride=2), [f * x, f * y, g * x, g * y, 0.0])
    np.testing.assert_array_equal(convcore.conv1d_grad_weight(L, 2, dq, stride=2), [a * f + c * g, b * f + d * g])


def test_padding_one():
    # [0 a b c d e 0] with [x y]: six outputs, the first is 0*x + a*y
    Q = convcore.conv1d_forward(L, FILTER, pad=1)
    np.testing.assert_array_equal(Q, [a * y, 8.0, 13.0, 18.0, 23.0, e * x])


def test_true_convolution_flips_the_forward_pass_instead():
    # convention="convolution": the filter is reversed going forward, [a y + b x, ...] ...
    Q = convcore.conv1d_forward(L, FILTER, convention="convolution")
    np.testing.assert_array_equal(Q, [a * y + b * x, b * y + c * x, c * y + d * x, d * y + e * x])
    # ... and the flip moves: dE/dL is then dQ correlated with [x y] unflipped (dE/dc = g*x + h*y)
    for form in (convcore.conv1d_grad_input_scatter, convcore.conv1d_grad_input_rot180):
        dL = form(5, FILTER, DQ, convention="convolution")
        np.testing.assert_array_equal(dL, [f * y, f * x + g * y, g * x + h * y, h * x + i * y, i * x])
    dw = convcore.conv1d_grad_weight(L, 2, DQ, convention="convolution")
    np.testing.assert_array_equal(dw, [5432.0, 4321.0])  # dE/dx now pairs with the second tap


def test_1d_is_a_row_of_the_2d_layer():
    Z, cache = convcore.conv_forward(
        L.reshape(1, 1, 5, 1), FILTER.reshape(1, 2, 1, 1), np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0}
    )
    np.testing.assert_array_equal(Z.reshape(-1), convcore.conv1d_forward(L, FILTER))
    dA, dW, _ = convcore.conv_backward(DQ.reshape(1, 1, 4, 1), cache)
    np.testing.assert_array_equal(dA.reshape(-1), convcore.conv1d_grad_input_scatter(5, FILTER, DQ))
    np.testing.assert_array_equal(dW.reshape(-1), convcore.conv1d_grad_weight(L, 2, DQ))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 9),
    k=st.integers(1, 4),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    convention=st.sampled_from(convcore.CONVENTIONS),
    seed=st.integers(0, 2**32 - 1),
)
def test_1d_forms_agree_with_a_direct_sum(n, k, stride, pad, convention, seed):
    if k > n + 2 * pad:
        return
    rng = np.random.default_rng(seed)
    xs, w = rng.standard_normal(n), rng.standard_normal(k)
    n_out = 1 + (n + 2 * pad - k) // stride
    dz = rng.standard_normal(n_out)
    taps = w if convention == "correlation" else w[::-1]
    x_pad = np.pad(xs, pad)
    direct = np.array([np.dot(x_pad[stride * t : stride * t + k], taps) for t in range(n_out)])
    np.testing.assert_allclose(convcore.conv1d_forward(xs, w, stride, pad, convention), direct, atol=1e-12)
    # the gradient of sum(z * dz) by the chain rule written entry by entry
    dx_pad, dtaps = np.zeros(n + 2 * pad), np.zeros(k)
    for t in range(n_out):
        dx_pad[stride * t : stride * t + k] += dz[t] * taps
        dtaps += dz[t] * x_pad[stride * t : stride * t + k]
    dw = dtaps if convention == "correlation" else dtaps[::-1]
    for form in (convcore.conv1d_grad_input_scatter, convcore.conv1d_grad_input_rot180):
        np.testing.assert_allclose(form(n, w, dz, stride, pad, convention), dx_pad[pad : pad + n], atol=1e-12)
    np.testing.assert_allclose(convcore.conv1d_grad_weight(xs, k, dz, stride, pad, convention), dw, atol=1e-12)
