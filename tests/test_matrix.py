"""The convolution matrix C, im2col and col2im, against independent oracles: the d2l example worked by hand, the
Jacobian probed with unit vectors, the naive loops, the dot-product test of an adjoint, central differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import convcore
from convcore import naive
from tests.conftest import DILATED_GROUPED_PARAMS, GEOMETRY_PARAMS, ConvCase, conv_cases

ALL_GEOMETRIES = GEOMETRY_PARAMS + DILATED_GROUPED_PARAMS


def _probe(case: ConvCase, W: np.ndarray) -> np.ndarray:
    """C built the slow, independent way: the forward pass (no bias) on every unit vector, one column each."""
    in_shape = (case.n_H_prev, case.n_W_prev, case.n_C_prev)
    n = int(np.prod(in_shape))
    cols = []
    b0 = np.zeros((1, 1, 1, case.n_C))
    for q in range(n):
        e = np.zeros(n)
        e[q] = 1.0
        Z, _ = convcore.conv_forward(e.reshape(1, *in_shape), W, b0, case.hparameters)
        cols.append(Z[0].ravel())
    return np.stack(cols, axis=1)  # (n_H n_W n_C, n_H_prev n_W_prev n_C_prev)


# --- by hand -----------------------------------------------------------------------------------------------------

X3 = np.arange(9.0).reshape(1, 3, 3, 1)  # d2l's corr2d example: input 0..8, kernel [[0, 1], [2, 3]]
K2 = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(2, 2, 1, 1)
HP = {"stride": 1, "pad": 0}


def test_the_d2l_example_by_hand():
    """d2l's transposed-convolution chapter writes this kernel as a 4 x 9 matrix, one row per window."""
    C = convcore.conv_matrix((3, 3, 1), K2, HP)
    expected = np.array(
        [
            [0, 1, 0, 2, 3, 0, 0, 0, 0],
            [0, 0, 1, 0, 2, 3, 0, 0, 0],
            [0, 0, 0, 0, 1, 0, 2, 3, 0],
            [0, 0, 0, 0, 0, 1, 0, 2, 3],
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(C, expected)
    np.testing.assert_array_equal(C @ X3.ravel(), [19, 25, 37, 43])  # d2l's corr2d(X, K)


def test_a_row_of_C_transposed_reads_the_kernel_reversed():
    """The centre input cell is reached by all four windows: its row of Cᵀ, in the order of the outputs, is
    [3, 2, 1, 0], the kernel [0, 1, 2, 3] backwards. That is the flip of the rot180 form."""
    C = convcore.conv_matrix((3, 3, 1), K2, HP)
    np.testing.assert_array_equal(C.T[4], [3, 2, 1, 0])
    taps = convcore.conv_matrix_taps((3, 3, 1), K2.shape, HP)
    np.testing.assert_array_equal(taps.T[4], [3, 2, 1, 0])  # tap positions u * f_W + v, falling
    np.testing.assert_array_equal(taps.T[0], [0, -1, -1, -1])  # the corner: one window, tap (0, 0)


def test_padding_is_folded_in_and_has_no_columns():
    C = convcore.conv_matrix((3, 3, 1), K2, {"stride": 1, "pad": 1})
    assert C.shape == (16, 9)  # 4 x 4 outputs, 3 x 3 inputs: the padding is not a column
    np.testing.assert_array_equal(C[0], [3, 0, 0, 0, 0, 0, 0, 0, 0])  # window 0 sees one real cell, under tap (1, 1)


# --- against the Jacobian probed with unit vectors, and the naive loops ----------------------------------------


@pytest.mark.parametrize("case", ALL_GEOMETRIES)
def test_C_is_the_jacobian_probed_with_unit_vectors_and_the_loops(case):
    _, W, b, _ = case.arrays()
    in_shape = (case.n_H_prev, case.n_W_prev, case.n_C_prev)
    C = convcore.conv_matrix(in_shape, W, case.hparameters)
    np.testing.assert_allclose(C, _probe(case, W), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(C, naive.conv_matrix(in_shape, W, case.hparameters))
    assert convcore.conv_matrix((1, *in_shape), W, case.hparameters).shape == C.shape  # a batch of one is accepted


@pytest.mark.parametrize("case", ALL_GEOMETRIES)
def test_z_is_C_a_plus_b_and_dA_prev_is_C_transposed_dZ(case):
    A_prev, W, b, dZ = case.arrays()
    Z, cache = convcore.conv_forward(A_prev, W, b, case.hparameters)
    dA, _, _ = convcore.conv_backward(dZ, cache)
    C = convcore.conv_matrix(A_prev.shape[1:], W, case.hparameters)
    n_H, n_W = Z.shape[1:3]
    for i in range(case.m):
        np.testing.assert_allclose(C @ A_prev[i].ravel() + np.tile(b.ravel(), n_H * n_W), Z[i].ravel(), atol=1e-12)
        np.testing.assert_allclose(C.T @ dZ[i].ravel(), dA[i].ravel(), atol=1e-12)
    np.testing.assert_allclose(convcore.grad_input_matrix(A_prev.shape, W, dZ, case.hparameters), dA, atol=1e-12)
    np.testing.assert_allclose(convcore.conv_forward_matrix(A_prev, W, b, case.hparameters), Z, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(case=conv_cases(max_n=6, max_c=4, dilations=(1, 2, 3), groups=(1, 2, "depthwise")))
def test_the_four_forms_of_dA_prev_are_one_array(case):
    """Cᵀ dZ, the scatter form, the rot180 form, col2im after the backward GEMM and conv_transpose2d(dZ, W)."""
    A_prev, W, _, dZ = case.arrays()
    hp = case.hparameters
    scatter = convcore.grad_input_scatter(A_prev.shape, W, dZ, hp)
    for name, form in (
        ("rot180", convcore.grad_input_rot180(A_prev.shape, W, dZ, hp)),
        ("matrix", convcore.grad_input_matrix(A_prev.shape, W, dZ, hp)),
        ("col2im", convcore.grad_input_col2im(A_prev.shape, W, dZ, hp)),
        ("transposed", convcore.grad_input_transpose(A_prev.shape, W, dZ, hp)),
    ):
        np.testing.assert_allclose(form, scatter, rtol=1e-12, atol=1e-12, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(max_n=5, max_c=3, dilations=(1, 2), groups=(1, 2, "depthwise")))
def test_C_is_the_probed_jacobian_property(case):
    _, W, _, _ = case.arrays()
    C = convcore.conv_matrix((case.n_H_prev, case.n_W_prev, case.n_C_prev), W, case.hparameters)
    np.testing.assert_allclose(C, _probe(case, W), rtol=0, atol=1e-12)


def test_the_taps_say_where_each_weight_sits():
    """With one channel each way, C is the kernel read at the tap positions, zero where the tap map says -1."""
    W = np.arange(1.0, 7.0).reshape(2, 3, 1, 1)  # every weight nonzero and different
    for hp in (
        {"stride": 2, "pad": 1},
        {"stride": 1, "pad": 0, "dilation": 2},
        {"stride": 1, "pad": 2, "convention": "convolution"},
    ):
        C = convcore.conv_matrix((5, 6, 1), W, hp)
        taps = convcore.conv_matrix_taps((5, 6, 1), W.shape, hp)
        K = convcore.effective_kernel(W, hp.get("convention", "correlation"))
        np.testing.assert_array_equal(C, np.where(taps >= 0, K[:, :, 0, 0].ravel()[taps], 0.0))
        assert (C != 0).sum() == (taps >= 0).sum()


def test_a_matrix_past_the_limit_is_refused_with_its_size():
    W = np.ones((3, 3, 4, 4))
    with pytest.raises(ValueError, match=r"C would be 15,376 x 16,384 = 251,920,384 entries .* more than the limit"):
        convcore.conv_matrix((64, 64, 4), W, {"stride": 1, "pad": 0})  # 62 x 62 x 4 outputs, 64 x 64 x 4 inputs
    assert convcore.conv_matrix((6, 6, 1), np.ones((3, 3, 1, 1)), HP, max_entries=576).shape == (16, 36)
    with pytest.raises(ValueError, match=r"more than the limit of 575"):
        convcore.conv_matrix((6, 6, 1), np.ones((3, 3, 1, 1)), HP, max_entries=575)


def test_conv_matrix_refuses_what_the_layer_refuses():
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['output_padding'\]"):
        convcore.conv_matrix((3, 3, 1), K2, {"stride": 1, "pad": 0, "output_padding": 1})
    with pytest.raises(ValueError, match=r"larger than the padded input height"):
        convcore.conv_matrix((1, 3, 1), K2, HP)
    with pytest.raises(ValueError, match=r"for one example"):
        convcore.conv_matrix((2, 3, 3, 1), K2, HP)
    with pytest.raises(ValueError, match=r"W expects 1 input channel"):
        convcore.conv_matrix((3, 3, 2), K2, HP)


# --- im2col, col2im, the cover count -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL_GEOMETRIES)
def test_im2col_layout_is_one_row_per_output_position_in_nhwc_order(case):
    A_prev, W, _, _ = case.arrays()
    f_H, f_W = W.shape[:2]
    s, p, d = case.stride, case.pad, case.dilation
    cols = convcore.im2col(A_prev, f_H, f_W, case.hparameters)
    _, n_H, n_W, _ = case.output_shape
    assert cols.shape == (case.m * n_H * n_W, f_H * f_W * case.n_C_prev)
    A_pad = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    rng = np.random.default_rng(1)
    for _ in range(20):  # the documented index formula, entry by entry
        i, h, w = rng.integers(case.m), rng.integers(n_H), rng.integers(n_W)
        u, v, k = rng.integers(f_H), rng.integers(f_W), rng.integers(case.n_C_prev)
        row, col = (i * n_H + h) * n_W + w, (u * f_W + v) * case.n_C_prev + k
        assert cols[row, col] == A_pad[i, s * h + d * u, s * w + d * v, k]
    np.testing.assert_array_equal(cols, naive.im2col(A_prev, f_H, f_W, case.hparameters))
    np.testing.assert_array_equal(convcore.im2col(A_prev[0], f_H, f_W, case.hparameters), cols[: n_H * n_W])


@pytest.mark.parametrize("case", ALL_GEOMETRIES)
def test_col2im_of_im2col_is_the_input_times_the_cover_count(case):
    A_prev, W, _, _ = case.arrays()
    f_H, f_W = W.shape[:2]
    hp = case.hparameters
    back = convcore.col2im(convcore.im2col(A_prev, f_H, f_W, hp), A_prev.shape, f_H, f_W, hp)
    cover = convcore.cover_count(A_prev.shape, f_H, f_W, hp)
    np.testing.assert_allclose(back, A_prev * cover[None, :, :, None], atol=1e-12)
    # an independent count: the windows that read each cell are the nonzero entries of its column of C
    ones = np.ones((f_H, f_W, 1, 1))
    C = convcore.conv_matrix(
        (case.n_H_prev, case.n_W_prev, 1), ones, {"stride": case.stride, "pad": case.pad, "dilation": case.dilation}
    )
    np.testing.assert_array_equal(cover.ravel(), C.sum(axis=0))


@pytest.mark.parametrize("case", ALL_GEOMETRIES)
def test_col2im_is_the_adjoint_of_im2col_and_matches_the_loops(case):
    """The dot-product test: <im2col(x), y> = <x, col2im(y)> for any x and y."""
    A_prev, W, _, _ = case.arrays()
    f_H, f_W = W.shape[:2]
    hp = case.hparameters
    cols = convcore.im2col(A_prev, f_H, f_W, hp)
    y = np.random.default_rng(2).standard_normal(cols.shape)
    back = convcore.col2im(y, A_prev.shape, f_H, f_W, hp)
    assert np.isclose(np.sum(cols * y), np.sum(A_prev * back), rtol=1e-12)
    np.testing.assert_allclose(back, naive.col2im(y, A_prev.shape, f_H, f_W, hp), atol=1e-12)
    single = convcore.col2im(y[: cols.shape[0] // case.m], A_prev.shape[1:], f_H, f_W, hp)
    np.testing.assert_allclose(single, back[0], atol=1e-12)  # one example, no batch axis


@settings(max_examples=60, deadline=None)
@given(case=conv_cases(max_n=7, max_c=3, dilations=(1, 2, 3), groups=(1, 2, "depthwise")))
def test_im2col_col2im_identity_property(case):
    A_prev, W, _, _ = case.arrays()
    f_H, f_W = W.shape[:2]
    hp = case.hparameters
    back = convcore.col2im(convcore.im2col(A_prev, f_H, f_W, hp), A_prev.shape, f_H, f_W, hp)
    cover = convcore.cover_count(A_prev.shape[1:3], f_H, f_W, hp)
    np.testing.assert_allclose(back, A_prev * cover[None, :, :, None], atol=1e-12)


def test_the_cover_count_by_hand():
    """Kernel 3 at stride 2 covers every other cell twice (1 1 2 1 2 1 1 along an axis), kernel 2 at stride 2 tiles
    the input once, and stride 3 with kernel 2 leaves cells no window reads."""
    hp2 = {"stride": 2, "pad": 0}
    np.testing.assert_array_equal(convcore.cover_count((1, 7), 1, 3, hp2), [[1, 1, 2, 1, 2, 1, 1]])
    np.testing.assert_array_equal(convcore.cover_count((3, 3), 3, 3, hp2), np.ones((3, 3)))
    np.testing.assert_array_equal(convcore.cover_count((2, 4), 2, 2, hp2), np.ones((2, 4)))
    np.testing.assert_array_equal(convcore.cover_count((1, 7), 1, 2, {"stride": 3, "pad": 0}), [[1, 1, 0, 1, 1, 0, 0]])
    # in two dimensions the count is the product of the axes' counts: 1, 2, 4 in a checkerboard
    two = convcore.cover_count((5, 5), 3, 3, hp2)
    np.testing.assert_array_equal(two[2], [2, 2, 4, 2, 2])
    np.testing.assert_array_equal(two[1], [1, 1, 2, 1, 1])


# --- the GEMM ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL_GEOMETRIES)
def test_the_forward_gemm_and_the_backward_gemm_give_convcores_numbers(case):
    A_prev, W, b, dZ = case.arrays()
    hp = case.hparameters
    Z, cache = convcore.conv_forward(A_prev, W, b, hp)
    np.testing.assert_allclose(convcore.conv_forward_gemm(A_prev, W, b, hp), Z, atol=1e-12)
    dA, _, _ = convcore.conv_backward(dZ, cache)
    np.testing.assert_allclose(convcore.grad_input_col2im(A_prev.shape, W, dZ, hp), dA, atol=1e-12)
    # the backward GEMM's rows are what each window sends back: the scatter form's contributions
    dcols = convcore.grad_cols(W, dZ, hp)
    assert dcols.shape == convcore.im2col(A_prev, *W.shape[:2], hp).shape


def test_the_weight_matrix_is_block_diagonal_with_groups():
    W = np.arange(1.0, 1 + 2 * 2 * 2 * 4).reshape(2, 2, 2, 4)  # 4 input channels in 2 groups, 4 filters
    Wm = convcore.weight_matrix(W, {"stride": 1, "pad": 0, "groups": 2}).reshape(2, 2, 4, 4)
    np.testing.assert_array_equal(Wm[:, :, :2, 2:], 0)  # group 0's channels never meet group 1's filters
    np.testing.assert_array_equal(Wm[:, :, 2:, :2], 0)
    np.testing.assert_array_equal(Wm[:, :, :2, :2], W[:, :, :, :2])
    np.testing.assert_array_equal(Wm[:, :, 2:, 2:], W[:, :, :, 2:])
    Wc = convcore.weight_matrix(W[:, :, :, :2], {"stride": 1, "pad": 0, "convention": "convolution"})
    np.testing.assert_array_equal(Wc, W[::-1, ::-1, :, :2].reshape(8, 2))


def test_col2im_refuses_the_wrong_patch_matrix():
    with pytest.raises(ValueError, match=r"cols must be im2col's .* = \(4, 4\) .* got \(4, 5\)"):
        convcore.col2im(np.zeros((4, 5)), (3, 3, 1), 2, 2, HP)
    with pytest.raises(ValueError, match=r"4 positive sizes"):
        convcore.col2im(np.zeros((4, 4)), (3, 3), 2, 2, HP)
    with pytest.raises(ValueError, match=r"unknown key"):
        convcore.im2col(X3, 2, 2, {"stride": 1, "pad": 0, "padding": 1})
