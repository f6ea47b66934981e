"""The step-by-step traces the pages animate must add up to what the fast functions compute."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import convcore
from convcore import trace
from tests.conftest import GEOMETRY_PARAMS, POOL_PARAMS, ConvCase, conv_cases


def _one_example(case: ConvCase):
    A_prev, W, b, dZ = case.arrays()
    return A_prev, W, b, dZ, (case.stride, case.pad, case.convention)


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_forward_trace_matches_conv_forward(case):
    A_prev, W, b, _, (s, p, conv) = _one_example(case)
    Z, _ = convcore.conv_forward(A_prev, W, b, case.hparameters)
    for i in range(case.m):
        tr = trace.forward_trace(A_prev[i], W, b, s, p, conv)
        np.testing.assert_allclose(tr.Z, Z[i], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tr.K, convcore.effective_kernel(W, conv))
        # each step's products are the patch times the kernel, and they add up to Z (minus the bias)
        for h, w in tr.steps:
            np.testing.assert_array_equal(tr.products[h, w], tr.patch(h, w)[..., None] * tr.K)
            np.testing.assert_allclose(tr.channel_sums[h, w].sum(axis=0) + tr.b, tr.Z[h, w], rtol=1e-12, atol=1e-12)
        n_H, n_W = tr.Z.shape[:2]
        assert tr.steps == [(h, w) for h in range(n_H) for w in range(n_W)]  # row by row, as the course loops


def test_forward_trace_steps_windows_and_visited_cells():
    # 5x5 input, 2x2 kernel, stride 2, pad 0: windows at rows/cols 0 and 2; row 4 and column 4 are never read
    tr = trace.forward_trace(np.arange(25.0).reshape(5, 5, 1), np.ones((2, 2, 1, 1)), [0.0], 2, 0)
    assert tr.steps == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert tr.window(1, 0) == (2, 4, 0, 2)
    expected = np.ones((5, 5), dtype=bool)
    expected[4, :] = expected[:, 4] = False
    np.testing.assert_array_equal(tr.visited, expected)
    np.testing.assert_array_equal(
        tr.Z[..., 0], [[0 + 1 + 5 + 6, 2 + 3 + 7 + 8], [10 + 11 + 15 + 16, 12 + 13 + 17 + 18]]
    )
    # with pad 1 the padding ring is part of A_pad and the windows read it
    tr = trace.forward_trace(np.ones((2, 2, 1)), np.ones((2, 2, 1, 1)), [0.0], 1, 1)
    assert tr.A_pad.shape == (4, 4, 1) and tr.visited.all()
    np.testing.assert_array_equal(tr.Z[..., 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_scatter_trace_matches_grad_input_scatter(case):
    _, W, _, dZ, (s, p, conv) = _one_example(case)
    fast = convcore.grad_input_scatter(case.input_shape, W, dZ, s, p, conv)
    for i in range(case.m):
        tr = trace.scatter_trace(case.input_shape[1:], W, dZ[i], s, p, conv)
        np.testing.assert_allclose(tr.dA_prev, fast[i], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tr.running(len(tr.steps)), tr.dA_pad, rtol=1e-12, atol=1e-12)
        assert not tr.running(0).any()
        # after one step only the first window has received anything: W * dZ[0, 0] summed over filters
        r0, r1, c0, c1 = tr.window(0, 0)
        first = tr.running(1)
        np.testing.assert_allclose(first[r0:r1, c0:c1], (tr.K * dZ[i, 0, 0]).sum(axis=-1), atol=1e-12)
        outside = first.copy()
        outside[r0:r1, c0:c1] = 0
        assert not outside.any()


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_rot180_trace_matches_grad_input_rot180(case):
    _, W, _, dZ, (s, p, conv) = _one_example(case)
    fast = convcore.grad_input_rot180(case.input_shape, W, dZ, s, p, conv)
    dZ_full = convcore.rot180_inputs(dZ, case.input_shape[1:3], W.shape[:2], s, p)
    for i in range(case.m):
        tr = trace.rot180_trace(case.input_shape[1:], W, dZ[i], s, p, conv)
        np.testing.assert_allclose(tr.dA_prev, fast[i], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(tr.dZ_full, dZ_full[i])
        # the rotated kernel with its channel axes swapped: W_rot[u, v, c_out, c_in] = K[f_H-1-u, f_W-1-v, c_in, c_out]
        K = convcore.effective_kernel(W, conv)
        np.testing.assert_array_equal(tr.W_rot, K[::-1, ::-1].transpose(0, 1, 3, 2))
        # the masks: dZ's entries sit where neither mask is set
        assert not (tr.is_dilation_zero & tr.is_full_padding).any()
        holds_dz = ~(tr.is_dilation_zero | tr.is_full_padding)
        assert holds_dz.sum() == dZ.shape[1] * dZ.shape[2]
        np.testing.assert_array_equal(tr.dZ_full[holds_dz], dZ[i].reshape(-1, dZ.shape[-1]))
        assert not tr.dZ_full[~holds_dz].any()


def test_rot180_trace_mask_positions_by_hand():
    # n = 5, f = 2, stride 2, pad 0: dZ is 2x2, dilated to 3x3 (a zero between entries), then padded
    # 1 before and 1 + (5 - 2) % 2 = 2 after (the unvisited last row): dZ_full is 6x6 = n + f - 1
    dZ = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
    tr = trace.rot180_trace((5, 5, 1), np.ones((2, 2, 1, 1)), dZ, 2, 0)
    assert tr.offset == (1, 1)
    np.testing.assert_array_equal(tr.dZ_dilated[..., 0], [[1, 0, 2], [0, 0, 0], [3, 0, 4]])
    expected = np.zeros((6, 6))
    expected[1, 1], expected[1, 3], expected[3, 1], expected[3, 3] = 1, 2, 3, 4
    np.testing.assert_array_equal(tr.dZ_full[..., 0], expected)
    dilation_zero = np.zeros((6, 6), dtype=bool)
    dilation_zero[1:4, 1:4] = True
    dilation_zero[1, 1] = dilation_zero[1, 3] = dilation_zero[3, 1] = dilation_zero[3, 3] = False
    np.testing.assert_array_equal(tr.is_dilation_zero, dilation_zero)
    full_padding = np.ones((6, 6), dtype=bool)
    full_padding[1:4, 1:4] = False
    np.testing.assert_array_equal(tr.is_full_padding, full_padding)
    assert tr.steps == [(y, x) for y in range(5) for x in range(5)] and tr.window(2, 3) == (2, 4, 3, 5)


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_input_cell_terms_sum_to_the_gradient(case):
    _, W, _, dZ, (s, p, conv) = _one_example(case)
    tr = trace.scatter_trace(case.input_shape[1:], W, dZ[0], s, p, conv)
    rot = trace.rot180_trace(case.input_shape[1:], W, dZ[0], s, p, conv)
    H_p, W_p, n_C_prev = tr.dA_pad.shape
    for y, x, c_in in np.ndindex(H_p, W_p, n_C_prev):
        terms = trace.input_cell_terms(tr.K, dZ[0], s, y, x, c_in)
        assert sum(t.value for t in terms) == pytest.approx(tr.dA_pad[y, x, c_in], abs=1e-12)
        for t in terms:
            assert (s * t.h + t.u, s * t.w + t.v) == (y, x)
            assert (t.ru, t.rv) == (case.f_H - 1 - t.u, case.f_W - 1 - t.v)
            assert t.weight == rot.W_rot[t.ru, t.rv, t.c_out, c_in]  # the same weight, read from the rotated kernel
        # as h grows, u falls: the kernel is read backwards (the flip)
        for w in {t.w for t in terms}:
            us = [t.u for t in terms if t.w == w and t.c_out == 0]
            hs = [t.h for t in terms if t.w == w and t.c_out == 0]
            assert hs == sorted(hs) and us == sorted(us, reverse=True) and len(set(us)) == len(us)


def test_input_cell_terms_by_hand():
    # d2l: K = [[0, 1], [2, 3]], dZ = [[1, 2], [3, 4]]; input centre (1, 1) is read by all four windows,
    # through K[1,1], K[1,0], K[0,1], K[0,0] in that order: the rotated kernel read left to right
    K = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(2, 2, 1, 1)
    dZ = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
    terms = trace.input_cell_terms(K, dZ, 1, 1, 1)
    assert [(t.h, t.w, t.u, t.v) for t in terms] == [(0, 0, 1, 1), (0, 1, 1, 0), (1, 0, 0, 1), (1, 1, 0, 0)]
    assert [t.value for t in terms] == [3.0, 4.0, 3.0, 0.0] and sum(t.value for t in terms) == 10.0
    assert [(t.ru, t.rv) for t in terms] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # stride 2 on the 3x3 input: one window (dZ is 1x1); it never reads row 2
    assert trace.input_cell_terms(K, dZ[:1, :1], 2, 2, 2) == []
    assert [t.value for t in trace.input_cell_terms(K, dZ[:1, :1], 2, 1, 1)] == [3.0]


@pytest.mark.parametrize("case", GEOMETRY_PARAMS)
def test_weight_trace_matches_grad_weight(case):
    A_prev, W, _, dZ, (s, p, conv) = _one_example(case)
    total_dW = np.zeros(W.shape)
    for i in range(case.m):
        tr = trace.weight_trace(A_prev[i], W.shape, dZ[i], s, p, conv)
        fast = convcore.grad_weight(A_prev[i : i + 1], W.shape, dZ[i : i + 1], s, p, conv)
        np.testing.assert_allclose(tr.dW, fast, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tr.dW_loops, fast, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tr.db, dZ[i].sum(axis=(0, 1)), rtol=1e-12)
        assert tr.steps == [(u, v) for u in range(case.f_H) for v in range(case.f_W)]
        rows, cols = tr.positions(case.f_H - 1, case.f_W - 1)
        np.testing.assert_array_equal(rows, case.f_H - 1 + s * np.arange(dZ.shape[1]))
        np.testing.assert_array_equal(cols, case.f_W - 1 + s * np.arange(dZ.shape[2]))
        total_dW += tr.dW
    # the batch is summed
    np.testing.assert_allclose(total_dW, convcore.grad_weight(A_prev, W.shape, dZ, s, p, conv), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("ties", ["all", "first"])
@pytest.mark.parametrize("kind", ["distinct", "ties"])
@pytest.mark.parametrize("case", POOL_PARAMS)
def test_pool_trace_matches_pool_forward_and_backward(case, kind, ties, mode):
    A_prev, dA = case.arrays(kind)
    A, cache = convcore.pool_forward(A_prev, case.hparameters, mode=mode)
    dA_prev = convcore.pool_backward(dA, cache, mode=mode, ties=ties)
    for i in range(case.m):
        tr = trace.pool_trace(A_prev[i], case.hparameters, mode=mode, dA=dA[i], ties=ties)
        np.testing.assert_allclose(tr.A, A[i], rtol=1e-13)
        np.testing.assert_allclose(tr.dA_prev, dA_prev[i], rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(tr.running(len(tr.steps)), tr.dA_prev, rtol=1e-13, atol=1e-13)
        assert not tr.running(0).any()
        reached = convcore.pool_backward(np.ones(A.shape), cache, "average")[i, :, :, 0] > 0
        np.testing.assert_array_equal(tr.visited, reached)


def test_pool_trace_defaults_to_unit_gradient():
    tr = trace.pool_trace(np.array([[1.0, 3.0], [3.0, 2.0]])[..., None], {"f": 2, "stride": 1})
    np.testing.assert_array_equal(tr.dA, [[[1.0]]])
    np.testing.assert_array_equal(tr.dA_prev[..., 0], [[0, 1], [1, 0]])  # ties="all" by default
    tr = trace.pool_trace(np.array([[1.0, 3.0], [3.0, 2.0]])[..., None], {"f": 2, "stride": 1}, ties="first")
    np.testing.assert_array_equal(tr.dA_prev[..., 0], [[0, 1], [0, 0]])


@settings(max_examples=30, deadline=None)
@given(case=conv_cases(max_n=5, max_m=1))
def test_traces_match_fast_functions_property(case):
    A_prev, W, b, dZ, (s, p, conv) = _one_example(case)
    Z, _ = convcore.conv_forward(A_prev, W, b, case.hparameters)
    np.testing.assert_allclose(trace.forward_trace(A_prev[0], W, b, s, p, conv).Z, Z[0], rtol=1e-12, atol=1e-12)
    shape = case.input_shape[1:]
    dA = convcore.grad_input_scatter(case.input_shape, W, dZ, s, p, conv)[0]
    np.testing.assert_allclose(trace.scatter_trace(shape, W, dZ[0], s, p, conv).dA_prev, dA, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.rot180_trace(shape, W, dZ[0], s, p, conv).dA_prev, dA, rtol=1e-12, atol=1e-12)
    dW = convcore.grad_weight(A_prev, W.shape, dZ, s, p, conv)
    wt = trace.weight_trace(A_prev[0], W.shape, dZ[0], s, p, conv)
    np.testing.assert_allclose(wt.dW, dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wt.dW_loops, dW, rtol=1e-12, atol=1e-12)
