"""The transposed convolution against independent oracles: d2l's examples worked by hand, the convolution matrix
transposed, the convolution's scatter form, the naive loops, central differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import convcore
from convcore import naive, trace
from tests.conftest import TRANSPOSE_PARAMS, TransposeCase, numerical_gradient, transpose_cases

X2 = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 2, 2, 1)
K2 = np.array([[0.0, 1.0], [2.0, 3.0]]).reshape(2, 2, 1, 1)
B0 = np.zeros((1, 1, 1, 1))


def test_the_d2l_examples_by_hand():
    """d2l's transposed-convolution chapter: every input cell stamps the kernel scaled by its value."""
    Y, _ = convcore.conv_transpose_forward(X2, K2, B0, {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(Y[0, :, :, 0], [[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    Y, _ = convcore.conv_transpose_forward(X2, K2, B0, {"stride": 2, "pad": 0})
    np.testing.assert_array_equal(Y[0, :, :, 0], [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]])
    Y, _ = convcore.conv_transpose_forward(X2, K2, B0, {"stride": 1, "pad": 1})  # padding crops the output
    np.testing.assert_array_equal(Y[0, :, :, 0], [[4]])


def test_the_output_size_formula_and_output_padding():
    X = np.ones((1, 3, 4, 2))
    W = np.ones((3, 2, 1, 2))
    for s, p, d, op in [(1, 0, 1, 0), (2, 1, 1, 1), (3, 0, 1, 2), (1, 1, 3, 2), (2, 2, 2, (1, 0))]:
        Y, _ = convcore.conv_transpose_forward(
            X, W, np.zeros((1, 1, 1, 1)), {"stride": s, "pad": p, "dilation": d, "output_padding": op}
        )
        op_H, op_W = op if isinstance(op, tuple) else (op, op)
        assert Y.shape == (1, (3 - 1) * s - 2 * p + d * 2 + op_H + 1, (4 - 1) * s - 2 * p + d * 1 + op_W + 1, 1)


@pytest.mark.parametrize(
    ("hp", "match"),
    [
        (
            {"stride": 2, "pad": 0, "output_padding": 2},
            r"output_padding must be smaller than the stride or the dilation \(here max\(stride, dilation\) = 2\)"
            r".*got 2",
        ),
        ({"stride": 1, "pad": 0, "output_padding": 1}, r"max\(stride, dilation\) = 1"),
        ({"stride": 1, "pad": 0, "dilation": 2, "output_padding": 2}, r"max\(stride, dilation\) = 2"),
        ({"stride": 2, "pad": 0, "output_padding": -1}, r"output_padding must be an integer >= 0, got -1"),
        ({"stride": 2, "pad": 0, "output_padding": (1, 2, 3)}, r"an integer or a \(rows, cols\) pair"),
        ({"stride": 1, "pad": 2}, r"output height would be .* = -1: the padding crops away everything"),
        ({"stride": 1, "pad": 0, "outputpadding": 1}, r"unknown key\(s\) \['outputpadding'\].*'output_padding'"),
    ],
)
def test_what_pytorch_refuses_is_refused_with_a_message(hp, match):
    with pytest.raises(ValueError, match=match):
        convcore.conv_transpose_forward(X2, K2, B0, hp)


def test_output_padding_below_a_larger_dilation_is_allowed_as_in_pytorch():
    Y, _ = convcore.conv_transpose_forward(X2, K2, B0, {"stride": 1, "pad": 0, "dilation": 3, "output_padding": 2})
    assert Y.shape == (1, 7, 7, 1)  # (2 - 1) 1 - 0 + 3 (2 - 1) + 2 + 1
    np.testing.assert_array_equal(Y[0, 5:, :, 0], 0)  # the two extra rows: no stamp reaches them
    np.testing.assert_array_equal(Y[0, :, 5:, 0], 0)
    assert Y[0, 4, 4, 0] == 9  # the last stamp's last tap: X[1, 1] * W[1, 1] = 3 * 3


def test_shapes_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match=r"X has 2 channel\(s\) .* but W has 1 filter"):
        convcore.conv_transpose_forward(np.ones((1, 2, 2, 2)), K2, B0, {"stride": 1, "pad": 0})
    with pytest.raises(ValueError, match=r"b must have shape \(1, 1, 1, 1\)"):
        convcore.conv_transpose_forward(X2, K2, np.zeros((1, 1, 1, 2)), {"stride": 1, "pad": 0})
    Y, cache = convcore.conv_transpose_forward(X2, K2, B0, {"stride": 1, "pad": 0})
    with pytest.raises(ValueError, match=r"dY must have the forward output's shape \(1, 3, 3, 1\)"):
        convcore.conv_transpose_backward(np.ones((1, 2, 2, 1)), cache)
    with pytest.raises(ValueError, match=r"cache must be"):
        convcore.conv_transpose_backward(Y, (1, 2))


# --- the forward pass is Cᵀ, the scatter form, the loops ---------------------------------------------------------


@pytest.mark.parametrize("case", TRANSPOSE_PARAMS)
def test_the_forward_pass_is_the_transposed_convolution_matrix(case):
    """Y = Cᵀ X + b with C the convolution whose input has Y's size. When output_padding reaches the stride (allowed
    below a larger dilation) that convolution has more outputs than X has cells: the extra ones get zeros."""
    X, W, b, _ = case.arrays()
    Y, _ = convcore.conv_transpose_forward(X, W, b, case.hparameters)
    assert Y.shape == case.output_shape
    conv_hp = {k: v for k, v in case.hparameters.items() if k != "output_padding"}
    _, n_H, n_W, _ = convcore.output_shape(Y.shape, W.shape, case.stride, case.pad, case.dilation, case.groups)
    assert (n_H, n_W) == (case.n_H, case.n_W) or max(case.output_padding) >= case.stride
    X_ext = np.zeros((case.m, n_H, n_W, case.n_C))
    X_ext[:, : case.n_H, : case.n_W] = X
    C = convcore.conv_matrix(Y.shape[1:], W, conv_hp)
    for i in range(case.m):
        bias = np.tile(b.ravel(), Y.shape[1] * Y.shape[2])
        np.testing.assert_allclose(Y[i].ravel(), C.T @ X_ext[i].ravel() + bias, atol=1e-12)
    # the flip page's scatter form is this layer's forward: X plays dZ
    scatter = convcore.grad_input_scatter(Y.shape, W, X_ext, conv_hp)
    np.testing.assert_allclose(Y - b, scatter, atol=1e-12)


@pytest.mark.parametrize("case", TRANSPOSE_PARAMS)
def test_fast_and_naive_loops_agree_forward_and_backward(case):
    X, W, b, dY = case.arrays()
    Y, cache = convcore.conv_transpose_forward(X, W, b, case.hparameters)
    Y_loops, cache_loops = naive.conv_transpose_forward(X, W, b, case.hparameters)
    np.testing.assert_allclose(Y, Y_loops, atol=1e-12)
    for fast, loops, name in zip(
        convcore.conv_transpose_backward(dY, cache),
        naive.conv_transpose_backward(dY, cache_loops),
        ("dX", "dW", "db"),
        strict=True,
    ):
        np.testing.assert_allclose(fast, loops, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", TRANSPOSE_PARAMS)
def test_the_backward_pass_matches_central_differences(case):
    X, W, b, dY = case.arrays()
    hp = case.hparameters
    _, cache = convcore.conv_transpose_forward(X, W, b, hp)
    dX, dW, db = convcore.conv_transpose_backward(dY, cache)

    def forward():
        return convcore.conv_transpose_forward(X, W, b, hp)[0]

    np.testing.assert_allclose(dX, numerical_gradient(forward, X, dY), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dW, numerical_gradient(forward, W, dY), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, numerical_gradient(forward, b, dY), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", TRANSPOSE_PARAMS)
def test_dX_is_a_plain_correlation_with_W_no_flip(case):
    """The transposed convolution's backward is the convolution's forward pass, with W as it is (its first n_H x n_W
    outputs, when output_padding past the stride gives the convolution more)."""
    X, W, b, dY = case.arrays()
    _, cache = convcore.conv_transpose_forward(X, W, b, case.hparameters)
    dX, _, _ = convcore.conv_transpose_backward(dY, cache)
    conv_hp = {k: v for k, v in case.hparameters.items() if k != "output_padding"}
    Z, _ = convcore.conv_forward(dY, W, np.zeros((1, 1, 1, case.n_C)), conv_hp)
    np.testing.assert_allclose(dX, Z[:, : case.n_H, : case.n_W], atol=1e-12)


def test_with_the_kernel_rotated_the_backward_would_be_wrong():
    """A control for the test above: correlating dY with rot180(W) does not give dX (the kernel is asymmetric)."""
    X = np.arange(1.0, 7.0).reshape(1, 2, 3, 1)
    W = np.arange(1.0, 7.0).reshape(3, 2, 1, 1)
    hp = {"stride": 2, "pad": 1, "output_padding": 1}
    Y, cache = convcore.conv_transpose_forward(X, W, B0, hp)
    dY = np.random.default_rng(0).standard_normal(Y.shape)
    dX, _, _ = convcore.conv_transpose_backward(dY, cache)
    flipped, _ = convcore.conv_forward(dY, convcore.rot180(W), B0, {"stride": 2, "pad": 1})
    assert flipped.shape == dX.shape and not np.allclose(flipped, dX)


@settings(max_examples=80, deadline=None)
@given(case=transpose_cases())
def test_fast_loops_and_trace_agree_property(case):
    X, W, b, dY = case.arrays()
    hp = case.hparameters
    Y, cache = convcore.conv_transpose_forward(X, W, b, hp)
    assert Y.shape == case.output_shape
    np.testing.assert_allclose(Y, naive.conv_transpose_forward(X, W, b, hp)[0], atol=1e-12)
    for fast, loops in zip(
        convcore.conv_transpose_backward(dY, cache), naive.conv_transpose_backward(dY, cache), strict=True
    ):
        np.testing.assert_allclose(fast, loops, atol=1e-12)
    t = trace.transpose_trace(
        X[0], W, b.ravel(), case.stride, case.pad, case.output_padding, case.convention, case.dilation, case.groups
    )
    np.testing.assert_allclose(t.Y, Y[0], atol=1e-12)
    np.testing.assert_allclose(t.running(len(t.steps)), t.Y_pad, atol=1e-12)


# --- the trace, the sizes, the stamp count -----------------------------------------------------------------------


def test_the_trace_stamps_one_kernel_copy_per_input_cell():
    t = trace.transpose_trace(X2[0], K2, [0.0], 2, 0)
    assert t.steps == [(0, 0), (0, 1), (1, 0), (1, 1)]
    np.testing.assert_array_equal(t.contributions[1, 1, :, :, 0], 3 * K2[:, :, 0, 0])  # X[1, 1] = 3 stamps 3 W
    np.testing.assert_array_equal(t.running(1), np.zeros((4, 4, 1)))  # X[0, 0] = 0 stamps zeros
    assert t.window(1, 0) == (2, 4, 0, 2)
    np.testing.assert_array_equal(t.running(2)[0:2, 2:4, 0], K2[:, :, 0, 0])


def test_stride_makes_the_size_ambiguous_and_output_padding_picks_one():
    """A stride-2 convolution with a 3x3 kernel sends inputs of 7 and 8 rows to 3 outputs; going back, output_padding
    0 gives 7 and 1 gives 8, and each convolves back to 3."""
    lengths = convcore.conv_input_lengths(3, 3, 2, 0)
    assert list(lengths) == [7, 8]
    for op, L in enumerate(lengths):
        _, L_H, _, _ = convcore.conv_transpose_output_shape((1, 3, 3, 1), (3, 3, 1, 1), 2, 0, op)
        assert L_H == L
        assert convcore.output_shape((1, L, L, 1), (3, 3, 1, 1), 2, 0)[1] == 3
    assert convcore.output_shape((1, 9, 9, 1), (3, 3, 1, 1), 2, 0)[1] == 4  # one more row: another output size
    assert list(convcore.conv_input_lengths(3, 3, 1, 0)) == [5]  # stride 1: no ambiguity
    assert list(convcore.conv_input_lengths(1, 1, 1, 1)) == []  # no input gives 1 output with padding 1


def test_matching_output_padding_is_what_a_non_dividing_stride_leaves_over():
    assert convcore.matching_output_padding((1, 6, 7, 2), (3, 3, 2, 1), 2, 0) == (1, 0)  # (6-3)%2, (7-3)%2
    assert convcore.matching_output_padding((8, 9, 1), (2, 2), 3, 1, 2) == (1, 2)  # (8+2-3)%3, (9+2-3)%3


def test_the_stamp_count_is_the_checkerboard():
    """Kernel 3 at stride 2: counts 1, 2, 4 in a checkerboard; kernel 4 at stride 2: 4 everywhere inside."""
    k3 = convcore.stamp_count((4, 4), 3, 3, {"stride": 2, "pad": 0})
    assert k3.shape == (9, 9)
    np.testing.assert_array_equal(k3[4], [2, 2, 4, 2, 4, 2, 4, 2, 2])
    np.testing.assert_array_equal(k3[3], [1, 1, 2, 1, 2, 1, 2, 1, 1])
    k4 = convcore.stamp_count((4, 4), 4, 4, {"stride": 2, "pad": 1})
    np.testing.assert_array_equal(k4[1:-1, 1:-1], 4)
    # an independent count: the transposed convolution of ones with a kernel of ones
    for hp, f in (({"stride": 2, "pad": 0}, 3), ({"stride": 3, "pad": 1, "output_padding": 2, "dilation": 2}, 2)):
        Y, _ = convcore.conv_transpose_forward(np.ones((1, 4, 3, 1)), np.ones((f, f, 1, 1)), B0, hp)
        np.testing.assert_array_equal(convcore.stamp_count((4, 3), f, f, hp), Y[0, :, :, 0])


def test_the_true_convolution_convention_stamps_the_rotated_kernel():
    """Under "convolution" the forward pass correlated rot180(W); its transpose stamps rot180(W), and it is still
    the convolution's dA_prev."""
    X = np.arange(1.0, 5.0).reshape(1, 2, 2, 1)
    W = np.arange(1.0, 5.0).reshape(2, 2, 1, 1)
    hp = {"stride": 1, "pad": 0, "convention": "convolution"}
    Y, _ = convcore.conv_transpose_forward(X, W, B0, hp)
    Y_rot, _ = convcore.conv_transpose_forward(X, convcore.rot180(W), B0, {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(Y, Y_rot)
    np.testing.assert_allclose(Y, convcore.grad_input_scatter((1, 3, 3, 1), W, X, hp), atol=1e-12)


def test_a_transposed_case_written_by_hand_matches_the_oracle_shape():
    """The helper the property tests use computes the size independently of convcore; check it once by hand."""
    case = TransposeCase(1, 3, 3, 1, 1, 3, 3, 2, 1, (1, 1))
    assert case.output_shape == (1, 6, 6, 1)  # (3 - 1) 2 - 2 + 2 + 1 + 1
