"""The step-by-step traces the pages animate must add up to what the fast functions compute."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import convcore
from convcore import trace
from tests.conftest import DILATED_GROUPED_PARAMS, GEOMETRY_PARAMS, POOL_PARAMS, ConvCase, conv_cases


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


# --- dilation and groups -----------------------------------------------------------------------------------


def _dg(case: ConvCase):
    A_prev, W, b, dZ = case.arrays()
    return A_prev, W, b, dZ, (case.stride, case.pad, case.convention, case.dilation, case.groups)


@pytest.mark.parametrize("case", DILATED_GROUPED_PARAMS)
def test_dilated_grouped_traces_match_the_fast_functions(case):
    A_prev, W, b, dZ, args = _dg(case)
    Z, _ = convcore.conv_forward(A_prev, W, b, case.hparameters)
    dA = convcore.grad_input_scatter(case.input_shape, W, dZ, *args[:3], **case.extra)
    dW = convcore.grad_weight(A_prev[:1], W.shape, dZ[:1], *args[:3], **case.extra)
    shape = case.input_shape[1:]
    fwd = trace.forward_trace(A_prev[0], W, b, *args)
    np.testing.assert_allclose(fwd.Z, Z[0], rtol=1e-12, atol=1e-12)
    for h, w in fwd.steps:  # each step's products: the filter's patch (its taps, its group's channels) times K
        for c in range(case.n_C):
            np.testing.assert_array_equal(fwd.products[h, w, ..., c], fwd.patch(h, w, c) * fwd.K[..., c])
    sc = trace.scatter_trace(shape, W, dZ[0], *args)
    np.testing.assert_allclose(sc.dA_prev, dA[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sc.running(len(sc.steps)), sc.dA_pad, rtol=1e-12, atol=1e-12)
    rt = trace.rot180_trace(shape, W, dZ[0], *args)
    np.testing.assert_allclose(rt.dA_prev, dA[0], rtol=1e-12, atol=1e-12)
    wt = trace.weight_trace(A_prev[0], W.shape, dZ[0], *args)
    np.testing.assert_allclose(wt.dW, dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wt.dW_loops, dW, rtol=1e-12, atol=1e-12)
    # only the in-group (c_in, c_out) pairs have a panel: n_C_prev * n_C / g of them
    assert len(wt.pairs) == case.n_C_prev * case.n_C // case.groups
    assert all(wt.in_group(ci, co) for ci, co in wt.pairs)


@pytest.mark.parametrize("case", DILATED_GROUPED_PARAMS)
def test_dilated_grouped_input_cell_terms_sum_to_the_gradient(case):
    _, W, _, dZ, (s, p, conv, d, g) = _dg(case)
    sc = trace.scatter_trace(case.input_shape[1:], W, dZ[0], s, p, conv, d, g)
    rt = trace.rot180_trace(case.input_shape[1:], W, dZ[0], s, p, conv, d, g)
    H_p, W_p, n_C_prev = sc.dA_pad.shape
    for y, x, c_in in np.ndindex(H_p, W_p, n_C_prev):
        terms = trace.input_cell_terms(sc.K, dZ[0], s, y, x, c_in, d, g)
        assert sum(t.value for t in terms) == pytest.approx(sc.dA_pad[y, x, c_in], abs=1e-12)
        for t in terms:
            assert (s * t.h + d * t.u, s * t.w + d * t.v) == (y, x)
            assert t.c_out in rt.out_channels(c_in)  # only the filters of c_in's group reach it
            j = t.c_out - rt.out_channels(c_in).start
            assert t.weight == rt.W_rot[t.ru, t.rv, j, c_in]  # the same weight, read from the rotated kernel
            assert t.weight == rt.W_rot_dilated[d * t.ru, d * t.rv, j, c_in]


def test_dilated_forward_window_skips_the_holes_by_hand():
    # 5x5 input 0..24, 2x2 kernel of ones at dilation 2: the window spans 3x3, reads its corners only
    A = np.arange(25.0).reshape(5, 5, 1)
    tr = trace.forward_trace(A, np.ones((2, 2, 1, 1)), [0.0], 1, 0, dilation=2)
    assert tr.Z.shape == (3, 3, 1) and tr.extent_hw == (3, 3) and tr.window(0, 0) == (0, 3, 0, 3)
    np.testing.assert_array_equal(tr.patch(0, 0)[..., 0], [[0, 2], [10, 12]])
    assert tr.Z[0, 0, 0] == 0 + 2 + 10 + 12
    # stride 2 at dilation 2: the taps land on even rows and columns only; the odd ones are never read
    tr = trace.forward_trace(A, np.ones((2, 2, 1, 1)), [0.0], 2, 0, dilation=2)
    expected = np.zeros((5, 5), dtype=bool)
    expected[::2, ::2] = True
    np.testing.assert_array_equal(tr.visited, expected)


def test_rot180_trace_keeps_the_holes_of_the_dilated_kernel():
    K = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1, 1)
    tr = trace.rot180_trace((5, 5, 1), K, np.ones((3, 3, 1)), 1, 0, dilation=2)
    np.testing.assert_array_equal(tr.W_rot_dilated[..., 0, 0], [[4, 0, 3], [0, 0, 0], [2, 0, 1]])
    np.testing.assert_array_equal(tr.is_hole, [[False, True, False], [True, True, True], [False, True, False]])
    assert tr.offset == (2, 2) and tr.dZ_full.shape == (7, 7, 1)  # full padding by the extent - 1 = 2
    assert tr.window(0, 0) == (0, 3, 0, 3)


def test_grouped_traces_keep_groups_apart_by_hand():
    # two groups, one channel each, filter 0 = ones, filter 1 = tens: filter 1 never sees channel 0
    A = np.stack([np.ones((3, 3)), np.full((3, 3), 2.0)], axis=-1)
    W = np.stack([np.ones((2, 2)), np.full((2, 2), 10.0)], axis=-1)[:, :, None, :]  # (2, 2, 1, 2)
    tr = trace.forward_trace(A, W, [0.0, 0.0], 1, 0, groups=2)
    np.testing.assert_array_equal(tr.Z[..., 0], np.full((2, 2), 4.0))  # 4 cells of channel 0 (ones)
    np.testing.assert_array_equal(tr.Z[..., 1], np.full((2, 2), 80.0))  # 4 cells of channel 1 (twos) * 10
    assert list(tr.in_channels(1)) == [1] and list(tr.out_channels(0)) == [0] and not tr.in_group(0, 1)
    wt = trace.weight_trace(A, W.shape, np.ones((2, 2, 2)), 1, 0, groups=2)
    assert wt.pairs == [(0, 0), (1, 1)]
    np.testing.assert_array_equal(wt.dW[..., 0, 1], np.full((2, 2), 8.0))  # channel 1's twos, four windows


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(max_n=6, max_m=1, max_c=4, dilations=(1, 2, 3), groups=(1, 2, "depthwise")))
def test_dilated_grouped_traces_match_fast_functions_property(case):
    A_prev, W, b, dZ, args = _dg(case)
    Z, _ = convcore.conv_forward(A_prev, W, b, case.hparameters)
    np.testing.assert_allclose(trace.forward_trace(A_prev[0], W, b, *args).Z, Z[0], rtol=1e-12, atol=1e-12)
    shape = case.input_shape[1:]
    dA = convcore.grad_input_scatter(case.input_shape, W, dZ, case.hparameters)[0]
    np.testing.assert_allclose(trace.scatter_trace(shape, W, dZ[0], *args).dA_prev, dA, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.rot180_trace(shape, W, dZ[0], *args).dA_prev, dA, rtol=1e-12, atol=1e-12)
    dW = convcore.grad_weight(A_prev, W.shape, dZ, case.hparameters)
    np.testing.assert_allclose(trace.weight_trace(A_prev[0], W.shape, dZ[0], *args).dW, dW, rtol=1e-12, atol=1e-12)
