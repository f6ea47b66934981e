"""The 2D convolution layer: hand-worked cases, fast == loops, scatter == rot180, and both == finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings

import convcore
from convcore import naive
from tests.conftest import (
    DILATED_GROUPED,
    DILATED_GROUPED_PARAMS,
    GEOMETRIES,
    GEOMETRY_PARAMS,
    ConvCase,
    conv_cases,
    numerical_gradient,
)

# d2l's corr2d example: X = 0..8 in a 3x3, K = [[0, 1], [2, 3]], as one-channel NHWC / (f, f, 1, 1) arrays.
X = np.arange(9.0).reshape(1, 3, 3, 1)
K = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(2, 2, 1, 1)
NO_BIAS = np.zeros((1, 1, 1, 1))


def nhwc(rows) -> np.ndarray:
    """A 2D list -> a one-example, one-channel NHWC array."""
    return np.array(rows, dtype=np.float64)[None, :, :, None]


def plane(x: np.ndarray) -> np.ndarray:
    """The single 2D plane of a one-example, one-channel NHWC array (or of a (f, f, 1, 1) kernel)."""
    return x[0, :, :, 0] if x.shape[0] == 1 else x[:, :, 0, 0]


# --- cases a person can work out by hand -------------------------------------------------------------


def test_d2l_corr2d_forward():
    Z, cache = convcore.conv_forward(X, K, NO_BIAS, {"stride": 1, "pad": 0})
    # 0*0 + 1*1 + 3*2 + 4*3 = 19, 1*0 + 2*1 + 4*2 + 5*3 = 25, ...
    np.testing.assert_array_equal(plane(Z), [[19.0, 25.0], [37.0, 43.0]])
    assert cache[0] is not None and cache[3] == {"stride": 1, "pad": 0}


def test_d2l_corr2d_forward_with_bias_and_true_convolution():
    b = np.full((1, 1, 1, 1), 0.5)
    Z, _ = convcore.conv_forward(X, K, b, {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(plane(Z), [[19.5, 25.5], [37.5, 43.5]])
    # a true convolution slides the rotated kernel [[3, 2], [1, 0]]: 0*3 + 1*2 + 3*1 + 4*0 = 5, ...
    Z, _ = convcore.conv_forward(X, K, NO_BIAS, {"stride": 1, "pad": 0, "convention": "convolution"})
    np.testing.assert_array_equal(plane(Z), [[5.0, 11.0], [23.0, 29.0]])


# Backward of the d2l example with dZ = [[1, 2], [3, 4]], worked by hand:
#   dX[i, j] = sum_{h, w} dZ[h, w] * K[i - h, j - w]    (each output scatters dZ * K into its window)
#   dX[1, 1] = 1*K[1,1] + 2*K[1,0] + 3*K[0,1] + 4*K[0,0] = 3 + 4 + 3 + 0 = 10
#   dK[u, v] = sum_{h, w} dZ[h, w] * X[h + u, w + v]    (dZ slid over X)
#   dK[0, 0] = 1*0 + 2*1 + 3*3 + 4*4 = 27
DZ_HAND = nhwc([[1.0, 2.0], [3.0, 4.0]])
DX_HAND = [[0.0, 1.0, 2.0], [2.0, 10.0, 10.0], [6.0, 17.0, 12.0]]
DK_HAND = [[27.0, 37.0], [57.0, 67.0]]


@pytest.mark.parametrize("method", ["scatter", "rot180"])
def test_d2l_corr2d_backward_by_hand(method):
    _, cache = convcore.conv_forward(X, K, NO_BIAS, {"stride": 1, "pad": 0})
    dX, dK, db = convcore.conv_backward(DZ_HAND, cache, method=method)
    np.testing.assert_array_equal(plane(dX), DX_HAND)
    np.testing.assert_array_equal(plane(dK), DK_HAND)
    np.testing.assert_array_equal(db, [[[[10.0]]]])


def test_d2l_backward_is_full_correlation_with_the_rotated_kernel():
    """The same dX as the padded dZ slid over K rotated 180 degrees, written out without convcore's helpers."""
    dZ_full = np.pad(plane(DZ_HAND), 1)  # [[0,0,0,0],[0,1,2,0],[0,3,4,0],[0,0,0,0]]
    K_rot = plane(K)[::-1, ::-1]  # [[3, 2], [1, 0]]
    by_hand = [[np.sum(dZ_full[i : i + 2, j : j + 2] * K_rot) for j in range(3)] for i in range(3)]
    np.testing.assert_array_equal(by_hand, DX_HAND)
    np.testing.assert_array_equal(plane(convcore.rot180_inputs(DZ_HAND, (3, 3), (2, 2), 1, 0)), dZ_full)
    # without the rotation the numbers are wrong: the flip is not optional in this form
    wrong = [[np.sum(dZ_full[i : i + 2, j : j + 2] * plane(K)) for j in range(3)] for i in range(3)]
    assert not np.array_equal(wrong, DX_HAND)


def test_stride_that_does_not_divide_leaves_unvisited_cells_with_zero_gradient():
    # 3x3 input, 2x2 kernel, stride 2: one window (the top-left 2x2); row 2 and column 2 are never read.
    Z, cache = convcore.conv_forward(X, K, NO_BIAS, {"stride": 2, "pad": 0})
    np.testing.assert_array_equal(plane(Z), [[19.0]])
    for method in ("scatter", "rot180"):
        dX, dK, _ = convcore.conv_backward(nhwc([[1.0]]), cache, method=method)
        np.testing.assert_array_equal(plane(dX), [[0.0, 1.0, 0.0], [2.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
        np.testing.assert_array_equal(plane(dK), [[0.0, 1.0], [3.0, 4.0]])
    # the rot180 form pads the far side by the never-visited row/column: (3 + 2*0 - 2) % 2 = 1
    assert convcore.full_padding(3, 2, 2, 0) == (1, 2)


def test_padding_one_by_hand_and_pad_zero_crop_is_not_empty():
    # The seed's slip: dA_prev_pad[:, p:-p] is empty at p = 0. With p = 0 the gradient must be the full input.
    _, cache = convcore.conv_forward(X, K, NO_BIAS, {"stride": 1, "pad": 0})
    dX, _, _ = convcore.conv_backward(DZ_HAND, cache)
    assert dX.shape == X.shape
    # pad 1: a 1x1 kernel [[2]] on a 2x2 input gives a 4x4 output whose border is the bias alone
    A = nhwc([[1.0, 2.0], [3.0, 4.0]])
    Z, cache = convcore.conv_forward(A, np.full((1, 1, 1, 1), 2.0), np.ones((1, 1, 1, 1)), {"stride": 1, "pad": 1})
    np.testing.assert_array_equal(plane(Z), [[1, 1, 1, 1], [1, 3, 5, 1], [1, 7, 9, 1], [1, 1, 1, 1]])
    dA, dW, db = convcore.conv_backward(np.ones(Z.shape), cache)
    np.testing.assert_array_equal(plane(dA), np.full((2, 2), 2.0))  # only the inner cells reach the input
    assert dW.item() == 10.0 and db.item() == 16.0


def test_helpers_by_hand():
    np.testing.assert_array_equal(plane(convcore.zero_pad(nhwc([[5.0]]), 1)), [[0, 0, 0], [0, 5, 0], [0, 0, 0]])
    np.testing.assert_array_equal(
        plane(convcore.dilate(nhwc([[1.0, 2.0], [3.0, 4.0]]), 2)), [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    )
    np.testing.assert_array_equal(convcore.rot180(np.arange(6.0).reshape(2, 3)), [[5, 4, 3], [2, 1, 0]])
    assert convcore.output_shape((10, 4, 4, 3), (2, 2, 3, 8), 2, 2) == (10, 4, 4, 8)
    assert convcore.output_shape((1, 7, 5, 1), (2, 3, 1, 1), 3, 1) == (1, 3, 2, 1)  # floored
    K2 = np.arange(8.0).reshape(2, 2, 1, 2)
    np.testing.assert_array_equal(convcore.effective_kernel(K2, "correlation"), K2)
    np.testing.assert_array_equal(convcore.effective_kernel(K2, "convolution"), K2[::-1, ::-1])


def test_course_shapes_and_cache():
    rng = np.random.default_rng(3)
    A_prev, W, b = (
        rng.standard_normal((10, 4, 4, 3)),
        rng.standard_normal((2, 2, 3, 8)),
        rng.standard_normal((1, 1, 1, 8)),
    )
    hp = {"pad": 2, "stride": 2}
    Z, cache = convcore.conv_forward(A_prev, W, b, hp)
    assert Z.shape == (10, 4, 4, 8)
    assert len(cache) == 4 and cache[3] is hp
    np.testing.assert_array_equal(cache[0], A_prev)
    dA, dW, db = convcore.conv_backward(Z, cache)
    assert (dA.shape, dW.shape, db.shape) == ((10, 4, 4, 3), (2, 2, 3, 8), (1, 1, 1, 8))


# --- fast == loops, scatter == rot180, both == central differences ----------------------------------


def _check_fast_equals_naive(case: ConvCase):
    A_prev, W, b, dZ = case.arrays()
    hp = case.hparameters
    Z, cache = convcore.conv_forward(A_prev, W, b, hp)
    Z_loops, cache_loops = naive.conv_forward(A_prev, W, b, hp)
    assert Z.shape == case.output_shape
    np.testing.assert_allclose(Z, Z_loops, rtol=1e-12, atol=1e-12)
    for method in ("scatter", "rot180"):
        fast = convcore.conv_backward(dZ, cache, method=method)
        loops = naive.conv_backward(dZ, cache_loops, method=method)
        for got, want, name in zip(fast, loops, ("dA_prev", "dW", "db"), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=f"{method} {name}")


def _check_scatter_equals_rot180(case: ConvCase):
    _, W, _, dZ = case.arrays()
    args = (case.input_shape, W, dZ, case.stride, case.pad, case.convention)
    scatter = convcore.grad_input_scatter(*args, **case.extra)
    rot = convcore.grad_input_rot180(*args, **case.extra)
    assert scatter.shape == rot.shape == case.input_shape
    np.testing.assert_allclose(scatter, rot, rtol=1e-12, atol=1e-12)


def _check_against_finite_differences(case: ConvCase):
    A_prev, W, b, dZ = case.arrays()
    hp = case.hparameters

    def forward():
        return convcore.conv_forward(A_prev, W, b, hp)[0]

    num = {name: numerical_gradient(forward, x, dZ) for name, x in (("dA_prev", A_prev), ("dW", W), ("db", b))}
    _, cache = convcore.conv_forward(A_prev, W, b, hp)
    for method in ("scatter", "rot180"):
        got = dict(zip(("dA_prev", "dW", "db"), convcore.conv_backward(dZ, cache, method=method), strict=True))
        for name, want in num.items():
            np.testing.assert_allclose(got[name], want, rtol=1e-6, atol=1e-7, err_msg=f"{method} {name}")


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_fast_equals_naive(case):
    _check_fast_equals_naive(case)


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_scatter_equals_rot180(case):
    _check_scatter_equals_rot180(case)


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_gradients_match_central_differences(case):
    _check_against_finite_differences(case)


# Hypothesis draws more; the @example rows pin the cases that must always be present.
def _pinned(fn):
    for _, case in GEOMETRIES[:4]:
        fn = example(case=case.with_convention("convolution"))(fn)
    return fn


@settings(max_examples=60, deadline=None)
@given(case=conv_cases())
@_pinned
def test_fast_equals_naive_property(case):
    _check_fast_equals_naive(case)


@settings(max_examples=100, deadline=None)
@given(case=conv_cases(max_n=7))
@_pinned
def test_scatter_equals_rot180_property(case):
    _check_scatter_equals_rot180(case)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(max_n=5, max_m=2))
@_pinned
def test_gradients_match_central_differences_property(case):
    _check_against_finite_differences(case)


@pytest.mark.parametrize("case", [pytest.param(case, id=name) for name, case in GEOMETRIES])
def test_conventions_are_related_by_rotating_the_kernel(case):
    """A true convolution with W is a correlation with rot180(W); its dW is rot180 of that correlation's dW."""
    A_prev, W, b, dZ = case.arrays()
    hp_corr = {"stride": case.stride, "pad": case.pad}
    hp_conv = {**hp_corr, "convention": "convolution"}
    Z_conv, cache_conv = convcore.conv_forward(A_prev, W, b, hp_conv)
    Z_corr, cache_corr = convcore.conv_forward(A_prev, convcore.rot180(W), b, hp_corr)
    np.testing.assert_allclose(Z_conv, Z_corr, rtol=1e-12, atol=1e-12)
    dA_conv, dW_conv, _ = convcore.conv_backward(dZ, cache_conv)
    dA_corr, dW_corr, _ = convcore.conv_backward(dZ, cache_corr)
    np.testing.assert_allclose(dA_conv, dA_corr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dW_conv, convcore.rot180(dW_corr), rtol=1e-12, atol=1e-12)


def test_bias_gradient_is_dZ_summed_per_filter():
    dZ = np.arange(2 * 2 * 3 * 2, dtype=np.float64).reshape(2, 2, 3, 2)
    np.testing.assert_array_equal(convcore.grad_bias(dZ), [[[[np.sum(dZ[..., 0]), np.sum(dZ[..., 1])]]]])


def test_correlate_multichannel_by_hand():
    # two input channels, two filters: out[..., c] = sum_k corr(X[..., k], K[:, :, k, c])
    X2 = np.stack([np.arange(9.0).reshape(3, 3), np.ones((3, 3))], axis=-1)[None]  # (1, 3, 3, 2)
    K2 = np.zeros((2, 2, 2, 2))
    K2[:, :, 0, 0] = [[0, 1], [2, 3]]  # filter 0 reads channel 0 with d2l's kernel
    K2[:, :, 1, 1] = 1.0  # filter 1 sums channel 1's window: 4 everywhere
    K2[0, 0, 1, 0] = 10.0  # and filter 0 adds 10 * channel 1's top-left = 10
    out = convcore.correlate(X2, K2)
    np.testing.assert_array_equal(out[0, :, :, 0], [[29.0, 35.0], [47.0, 53.0]])
    np.testing.assert_array_equal(out[0, :, :, 1], np.full((2, 2), 4.0))
    np.testing.assert_array_equal(convcore.correlate(X2, K2, stride=2)[0, :, :, 0], [[29.0]])


@settings(max_examples=50, deadline=None)
@given(case=conv_cases(max_n=7))
@example(case=ConvCase(2, 5, 6, 3, 1, 2, 3, 2, 1))  # C_in > C_out: correlate sums taps first
@example(case=ConvCase(2, 5, 6, 1, 3, 3, 2, 3, 0))  # C_in < C_out: correlate copies windows first
def test_correlate_matches_its_definition(case):
    """out[i, h, w, c] = sum_{u, v, k} X[i, s*h + u, s*w + v, k] * K[u, v, k, c], written one offset at a time."""
    A_prev, K, _, _ = case.arrays()
    X = convcore.zero_pad(A_prev, case.pad)
    _, n_H, n_W, _ = case.output_shape
    s = case.stride
    expected = np.zeros(case.output_shape)
    for u in range(case.f_H):
        for v in range(case.f_W):
            expected += np.einsum("ihwk,kc->ihwc", X[:, u : u + s * n_H : s, v : v + s * n_W : s, :], K[u, v])
    np.testing.assert_allclose(convcore.correlate(X, K, s), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", GEOMETRY_PARAMS[:6])
def test_non_contiguous_inputs_give_the_same_numbers(case):
    """Views (reversed, Fortran-ordered, sliced) go through the strided window views unchanged."""
    A_prev, W, b, dZ = case.arrays()
    Z, cache = convcore.conv_forward(A_prev, W, b, case.hparameters)
    expected = [convcore.conv_backward(dZ, cache, method=m) for m in ("scatter", "rot180")]
    A_view = np.ascontiguousarray(A_prev[:, ::-1, ::-1])[:, ::-1, ::-1]  # same values, negative strides
    W_view = np.asfortranarray(W)
    dZ_view = np.concatenate([dZ, dZ], axis=-1)[..., : dZ.shape[-1]]
    Z2, cache2 = convcore.conv_forward(A_view, W_view, b, case.hparameters)
    np.testing.assert_allclose(Z2, Z, rtol=1e-12, atol=1e-12)
    for method, want in zip(("scatter", "rot180"), expected, strict=True):
        for got, ref in zip(convcore.conv_backward(dZ_view, cache2, method=method), want, strict=True):
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


# --- dilation and groups: the same three properties -------------------------------------------------------

DG = dict(dilations=(1, 2, 3), groups=(1, 2, "depthwise"))


def _pinned_dg(fn):
    for _, case in DILATED_GROUPED:
        fn = example(case=case)(fn)
    return fn


@pytest.mark.parametrize("case", DILATED_GROUPED_PARAMS)
def test_dilated_grouped_fast_equals_naive(case):
    _check_fast_equals_naive(case)


@pytest.mark.parametrize("case", DILATED_GROUPED_PARAMS)
def test_dilated_grouped_scatter_equals_rot180(case):
    _check_scatter_equals_rot180(case)


@pytest.mark.parametrize("case", DILATED_GROUPED_PARAMS)
def test_dilated_grouped_gradients_match_central_differences(case):
    _check_against_finite_differences(case)


@settings(max_examples=60, deadline=None)
@given(case=conv_cases(max_c=4, **DG))
@_pinned_dg
def test_dilated_grouped_fast_equals_naive_property(case):
    _check_fast_equals_naive(case)


@settings(max_examples=100, deadline=None)
@given(case=conv_cases(max_n=8, max_c=4, **DG))
@_pinned_dg
def test_dilated_grouped_scatter_equals_rot180_property(case):
    _check_scatter_equals_rot180(case)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(max_n=5, max_m=2, max_c=4, **DG))
def test_dilated_grouped_gradients_match_central_differences_property(case):
    _check_against_finite_differences(case)


@settings(max_examples=50, deadline=None)
@given(case=conv_cases(max_n=8, max_c=6, **DG))
@example(case=ConvCase(2, 9, 8, 8, 8, 3, 3, 2, 1, dilation=2, groups=2))  # 4 channels a group: patches
@example(case=ConvCase(1, 7, 7, 10, 5, 2, 2, 1, 0, groups=5))  # 2 in, 1 out a group: tap by tap
def test_correlate_matches_its_definition_with_dilation_and_groups(case):
    """out[i, h, w, c] = sum_{u, v, k in c's group} X[i, s*h + d*u, s*w + d*v, k] * K[u, v, k', c], tap by tap."""
    A_prev, K, _, _ = case.arrays()
    X = convcore.zero_pad(A_prev, case.pad)
    _, n_H, n_W, n_C = case.output_shape
    s, d, g = case.stride, case.dilation, case.groups
    cg_in, cg_out = case.n_C_prev // g, n_C // g
    expected = np.zeros(case.output_shape)
    for u in range(case.f_H):
        for v in range(case.f_W):
            x = X[:, d * u : d * u + s * n_H : s, d * v : d * v + s * n_W : s, :][:, :n_H, :n_W]
            for c in range(n_C):
                k0 = (c // cg_out) * cg_in
                expected[..., c] += np.einsum("ihwk,k->ihw", x[..., k0 : k0 + cg_in], K[u, v, :, c])
    got = convcore.correlate(X, K, s, dilation=d, groups=g)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
