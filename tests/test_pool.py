"""Max and average pooling: hand-worked cases, fast == loops, finite differences, and the two tie rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings

import convcore
from convcore import naive
from tests.conftest import POOL_GEOMETRIES, POOL_PARAMS, PoolCase, numerical_gradient, pool_cases


def nhwc(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float64)[None, :, :, None]


def plane(x: np.ndarray) -> np.ndarray:
    return x[0, :, :, 0]


# --- by hand ----------------------------------------------------------------------------------------

OVERLAP = nhwc([[1, 2, 3], [4, 9, 5], [6, 7, 8]])  # f = 2, stride 1: four windows, all share the 9
DA_2x2 = nhwc([[1.0, 2.0], [3.0, 4.0]])


def test_max_pool_overlapping_windows_accumulate_on_the_shared_maximum():
    A, cache = convcore.pool_forward(OVERLAP, {"f": 2, "stride": 1}, mode="max")
    np.testing.assert_array_equal(plane(A), [[9, 9], [9, 9]])
    dA_prev = convcore.pool_backward(DA_2x2, cache, mode="max")
    # every window routes its gradient to the centre: 1 + 2 + 3 + 4
    np.testing.assert_array_equal(plane(dA_prev), [[0, 0, 0], [0, 10, 0], [0, 0, 0]])


def test_average_pool_overlapping_by_hand():
    A, cache = convcore.pool_forward(OVERLAP, {"f": 2, "stride": 1}, mode="average")
    np.testing.assert_array_equal(plane(A), [[16 / 4, 19 / 4], [26 / 4, 29 / 4]])
    dA_prev = convcore.pool_backward(DA_2x2, cache, mode="average")
    # each window spreads dA / 4 over its four cells; the centre is in all four windows
    expected = np.array([[1, 1 + 2, 2], [1 + 3, 1 + 2 + 3 + 4, 2 + 4], [3, 3 + 4, 4]]) / 4
    np.testing.assert_array_equal(plane(dA_prev), expected)


def test_max_pool_tiling_windows_by_hand():
    A_prev = nhwc([[1, 5, 0, 2], [3, 2, 7, 1], [4, 0, 1, 1], [2, 6, 3, 8]])
    A, cache = convcore.pool_forward(A_prev, {"f": 2, "stride": 2})
    np.testing.assert_array_equal(plane(A), [[5, 7], [6, 8]])
    dA_prev = convcore.pool_backward(DA_2x2, cache)
    np.testing.assert_array_equal(plane(dA_prev), [[0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 4]])
    A, cache = convcore.pool_forward(A_prev, {"f": 2, "stride": 2}, mode="average")
    np.testing.assert_array_equal(plane(A), [[11 / 4, 10 / 4], [12 / 4, 13 / 4]])


def test_stride_that_does_not_divide_leaves_the_last_row_and_column_without_gradient():
    A_prev = nhwc(np.arange(25.0).reshape(5, 5))  # f = 2, stride 2: windows at 0 and 2, row/col 4 unread
    A, cache = convcore.pool_forward(A_prev, {"f": 2, "stride": 2})
    np.testing.assert_array_equal(plane(A), [[6, 8], [16, 18]])
    for mode in ("max", "average"):
        dA_prev = convcore.pool_backward(np.ones(A.shape), cache, mode=mode)
        assert not plane(dA_prev)[4, :].any() and not plane(dA_prev)[:, 4].any()
        assert plane(dA_prev).sum() == pytest.approx(4.0)


# --- ties: "all" (the course) against "first" (PyTorch) ---------------------------------------------

TIED = nhwc([[1, 3, 3, 0], [2, 3, 1, 1], [0, 0, 5, 4], [0, 0, 4, 5]])
# windows (f = 2, stride 2): [[1,3],[2,3]] two 3s; [[3,0],[1,1]] one 3; [[0,0],[0,0]] four 0s; [[5,4],[4,5]] two 5s


def test_ties_all_gives_every_maximum_the_full_gradient():
    _, cache = convcore.pool_forward(TIED, {"f": 2, "stride": 2})
    dA_prev = convcore.pool_backward(DA_2x2, cache, mode="max", ties="all")
    np.testing.assert_array_equal(plane(dA_prev), [[0, 1, 2, 0], [0, 1, 0, 0], [3, 3, 4, 0], [3, 3, 0, 4]])
    # the course's mask counts every tie: the total gradient grows (1*2 + 2 + 3*4 + 4*2 = 24, not 10)
    assert dA_prev.sum() == 24.0


def test_ties_first_gives_the_first_maximum_in_row_major_order():
    _, cache = convcore.pool_forward(TIED, {"f": 2, "stride": 2})
    dA_prev = convcore.pool_backward(DA_2x2, cache, mode="max", ties="first")
    np.testing.assert_array_equal(plane(dA_prev), [[0, 1, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])
    assert dA_prev.sum() == DA_2x2.sum()  # PyTorch's rule preserves the total


def test_course_mask_helpers():
    window = np.array([[1.0, 3.0], [3.0, 2.0]])
    np.testing.assert_array_equal(naive.create_mask_from_window(window), [[False, True], [True, False]])
    np.testing.assert_array_equal(naive.create_mask_from_window(window, ties="first"), [[False, True], [False, False]])
    np.testing.assert_array_equal(naive.distribute_value(2.0, (2, 2)), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(convcore.pool.window_mask(window, "all"), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(convcore.pool.window_mask(window, "first"), [[0, 1], [0, 0]])


@settings(max_examples=40, deadline=None)
@given(case=pool_cases())
@example(case=PoolCase(2, 6, 6, 2, 2, 2))
def test_tie_rules_differ_exactly_on_tied_windows(case):
    """Tiling windows (stride = f) so every input cell belongs to at most one window."""
    case = PoolCase(case.m, case.n_H_prev, case.n_W_prev, case.n_C, case.f, case.f, case.seed)
    A_prev, dA = case.arrays("ties")
    dA = np.abs(dA) + 1.0  # nonzero, so a tie that moves gradient always shows
    _, cache = convcore.pool_forward(A_prev, case.hparameters)
    grad_all = convcore.pool_backward(dA, cache, ties="all")
    grad_first = convcore.pool_backward(dA, cache, ties="first")
    f = case.f
    _, n_H, n_W, _ = case.output_shape
    for i, h, w, c in np.ndindex(case.m, n_H, n_W, case.n_C):
        window = A_prev[i, h * f : (h + 1) * f, w * f : (w + 1) * f, c]
        n_max = int(np.sum(window == window.max()))
        g_all = grad_all[i, h * f : (h + 1) * f, w * f : (w + 1) * f, c]
        g_first = grad_first[i, h * f : (h + 1) * f, w * f : (w + 1) * f, c]
        assert g_all.sum() == pytest.approx(n_max * dA[i, h, w, c])
        assert g_first.sum() == pytest.approx(dA[i, h, w, c])
        assert np.array_equal(g_all, g_first) == (n_max == 1)
        first = np.unravel_index(np.argmax(window), window.shape)
        assert g_first[first] == dA[i, h, w, c]


# --- fast == loops, finite differences ------------------------------------------------------------


def _check_fast_equals_naive(case: PoolCase, kind: str):
    A_prev, dA = case.arrays(kind)
    hp = case.hparameters
    for mode in ("max", "average"):
        A, cache = convcore.pool_forward(A_prev, hp, mode=mode)
        A_loops, cache_loops = naive.pool_forward(A_prev, hp, mode=mode)
        assert A.shape == case.output_shape
        np.testing.assert_allclose(A, A_loops, rtol=1e-13, atol=1e-13)
        for ties in ("all", "first"):
            got = convcore.pool_backward(dA, cache, mode=mode, ties=ties)
            want = naive.pool_backward(dA, cache_loops, mode=mode, ties=ties)
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13, err_msg=f"{mode} ties={ties}")


@pytest.mark.parametrize("kind", ["distinct", "ties"])
@pytest.mark.parametrize("case", POOL_PARAMS)
def test_fast_equals_naive(case, kind):
    _check_fast_equals_naive(case, kind)


@settings(max_examples=50, deadline=None)
@given(case=pool_cases())
def test_fast_equals_naive_property(case):
    _check_fast_equals_naive(case, "ties")
    _check_fast_equals_naive(case, "distinct")


def _check_against_finite_differences(case: PoolCase):
    A_prev, dA = case.arrays("distinct")  # distinct values: max pooling is differentiable there
    for mode in ("max", "average"):
        num = numerical_gradient(lambda mode=mode: convcore.pool_forward(A_prev, case.hparameters, mode)[0], A_prev, dA)
        _, cache = convcore.pool_forward(A_prev, case.hparameters, mode)
        for ties in ("all", "first"):
            got = convcore.pool_backward(dA, cache, mode=mode, ties=ties)
            np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-7, err_msg=f"{mode} ties={ties}")


@pytest.mark.parametrize("case", POOL_PARAMS)
def test_gradients_match_central_differences(case):
    _check_against_finite_differences(case)


@settings(max_examples=40, deadline=None)
@given(case=pool_cases())
@example(case=POOL_GEOMETRIES[1][1])
def test_gradients_match_central_differences_property(case):
    _check_against_finite_differences(case)


def test_course_cache_and_channels_are_independent():
    rng = np.random.default_rng(0)
    A_prev = rng.standard_normal((2, 4, 4, 3))
    hp = {"stride": 2, "f": 3}
    A, cache = convcore.pool_forward(A_prev, hp)
    assert A.shape == (2, 1, 1, 3) and cache[1] is hp
    np.testing.assert_array_equal(A[..., 1], convcore.pool_forward(A_prev[..., 1:2], hp)[0][..., 0])
    np.testing.assert_array_equal(A[:, 0, 0, :], A_prev[:, :3, :3, :].max(axis=(1, 2)))
