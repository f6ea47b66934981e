"""Dilation and groups: the hyper-parameters, cases worked by hand, the rot180 form done literally, the 1D functions,
bad input, and the exported script (checked against PyTorch when it is installed).

The comparisons with the loops, central differences and PyTorch over many shapes live beside the undilated ones in
test_conv.py, test_trace.py and test_torch.py (``DILATED_GROUPED`` and the Hypothesis strategy in conftest.py).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import subprocess
import sys

import numpy as np
import pytest

import convcore
from convcore import naive, trace
from convcore.export import numpy_torch_script
from tests.conftest import DILATED_GROUPED, ConvCase, numerical_gradient

A = np.random.default_rng(0).standard_normal((2, 6, 6, 4))
W2 = np.random.default_rng(1).standard_normal((3, 3, 2, 4))  # groups = 2: 4 input channels, 2 per group
B = np.zeros((1, 1, 1, 4))
FORWARDS = [pytest.param(convcore.conv_forward, id="fast"), pytest.param(naive.conv_forward, id="loops")]


# --- by hand ---------------------------------------------------------------------------------------------


def test_a_dilated_kernel_by_hand():
    # 4x4 input 0..15, kernel [[1, 2], [3, 4]] at dilation 2: output (0, 0) reads the cells (0,0) (0,2) (2,0) (2,2)
    X = np.arange(16.0).reshape(1, 4, 4, 1)
    K = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1, 1)
    Z, cache = convcore.conv_forward(X, K, np.zeros((1, 1, 1, 1)), {"stride": 1, "pad": 0, "dilation": 2})
    assert Z.shape == (1, 2, 2, 1)  # n_H = 1 + (4 - 2 (2 - 1) - 1) // 1 = 2
    assert Z[0, 0, 0, 0] == 1 * 0 + 2 * 2 + 3 * 8 + 4 * 10
    assert Z[0, 1, 1, 0] == 1 * 5 + 2 * 7 + 3 * 13 + 4 * 15
    # backward with a single 1 at (0, 0): dA_prev is the kernel stamped with holes, dW the input read with holes
    dZ = np.zeros((1, 2, 2, 1))
    dZ[0, 0, 0, 0] = 1.0
    for method in ("scatter", "rot180"):
        dA, dW, db = convcore.conv_backward(dZ, cache, method)
        expected = np.zeros((4, 4))
        expected[0, 0], expected[0, 2], expected[2, 0], expected[2, 2] = 1, 2, 3, 4
        np.testing.assert_array_equal(dA[0, :, :, 0], expected)
        np.testing.assert_array_equal(dW[:, :, 0, 0], [[0, 2], [8, 10]])  # dW[u, v] = A[2u, 2v] dZ[0, 0]
        assert db.item() == 1.0


def test_dW_reads_the_input_with_holes_and_dZ_spread_by_the_stride():
    """dW[u, v] = sum_{h, w} A_pad[h s + u d, w s + v d] dZ[h, w], the formula the docstrings and the page give."""
    case = ConvCase(1, 9, 8, 1, 1, 2, 3, 2, 1, dilation=3)
    A_prev, W, b, dZ = case.arrays()
    A_pad = convcore.zero_pad(A_prev, 1)[0, :, :, 0]
    s, d = 2, 3
    n_H, n_W = dZ.shape[1:3]
    expected = np.zeros((2, 3))
    for u in range(2):
        for v in range(3):
            expected[u, v] = sum(
                A_pad[h * s + u * d, w * s + v * d] * dZ[0, h, w, 0] for h in range(n_H) for w in range(n_W)
            )
    got = convcore.grad_weight(A_prev, W.shape, dZ, s, 1, dilation=d)
    np.testing.assert_allclose(got[:, :, 0, 0], expected, rtol=1e-12)


def test_groups_keep_the_channel_blocks_apart():
    """groups = 2 is two independent layers side by side: input block k feeds output block k only."""
    Z, cache = convcore.conv_forward(A, W2, B, {"stride": 1, "pad": 1, "groups": 2})
    dZ = np.random.default_rng(4).standard_normal(Z.shape)
    dA, dW, db = convcore.conv_backward(dZ, cache, "rot180")
    for k in range(2):
        chans, filters = slice(2 * k, 2 * k + 2), slice(2 * k, 2 * k + 2)
        Zk, ck = convcore.conv_forward(A[..., chans], W2[..., filters], B[..., filters], {"stride": 1, "pad": 1})
        np.testing.assert_allclose(Z[..., filters], Zk, rtol=1e-12, atol=1e-12)
        dAk, dWk, _ = convcore.conv_backward(dZ[..., filters], ck)
        np.testing.assert_allclose(dA[..., chans], dAk, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dW[..., filters], dWk, rtol=1e-12, atol=1e-12)


def test_the_1d_classic_example_at_dilation_2():
    # [a b c d e] with [x y] at dilation 2: [ax + cy, bx + dy, cx + ey]
    x, w = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([10.0, 100.0])
    np.testing.assert_array_equal(convcore.conv1d_forward(x, w, dilation=2), [310.0, 420.0, 530.0])
    dz = np.array([1.0, 0.0, 0.0])
    for fn in (convcore.conv1d_grad_input_scatter, convcore.conv1d_grad_input_rot180):
        np.testing.assert_array_equal(fn(5, w, dz, dilation=2), [10.0, 0.0, 100.0, 0.0, 0.0])  # w with a hole
    np.testing.assert_array_equal(convcore.conv1d_grad_weight(x, 2, dz, dilation=2), [1.0, 3.0])


@pytest.mark.parametrize("stride,pad,dilation", [(1, 0, 2), (2, 1, 2), (3, 2, 3), (2, 0, 3)])
def test_the_1d_functions_with_dilation_match_central_differences(stride, pad, dilation):
    rng = np.random.default_rng(stride * 10 + dilation)
    x, w = rng.standard_normal(9), rng.standard_normal(3)
    z = convcore.conv1d_forward(x, w, stride, pad, dilation=dilation)
    dz = rng.standard_normal(z.shape)
    num_dx = numerical_gradient(lambda: convcore.conv1d_forward(x, w, stride, pad, dilation=dilation), x, dz)
    num_dw = numerical_gradient(lambda: convcore.conv1d_forward(x, w, stride, pad, dilation=dilation), w, dz)
    for fn in (convcore.conv1d_grad_input_scatter, convcore.conv1d_grad_input_rot180):
        np.testing.assert_allclose(fn(9, w, dz, stride, pad, dilation=dilation), num_dx, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(convcore.conv1d_grad_weight(x, 3, dz, stride, pad, dilation=dilation), num_dw, rtol=1e-6)


# --- the rot180 form, done literally -----------------------------------------------------------------------


@pytest.mark.parametrize("case", [pytest.param(c, id=n) for n, c in DILATED_GROUPED])
def test_the_rot180_form_step_by_step(case):
    """dZ dilated by the stride, full-padded by the dilated kernel's extent, correlated at dilation 1 with rot180 of
    the dilated kernel written out (holes as zeros), channel axes swapped inside each group, cropped."""
    _, W, _, dZ = case.arrays()
    K = convcore.effective_kernel(W, case.convention)
    dZ_full = convcore.rot180_inputs(dZ, case.input_shape[1:3], W.shape[:2], case.stride, case.pad, case.dilation)
    e_H, e_W = case.dilation * (case.f_H - 1) + 1, case.dilation * (case.f_W - 1) + 1
    H_p, W_p = case.n_H_prev + 2 * case.pad, case.n_W_prev + 2 * case.pad
    assert dZ_full.shape[1:3] == (H_p + e_H - 1, W_p + e_W - 1)
    dilated_rot = convcore.rot180(convcore.dilate_kernel(K, case.dilation))
    np.testing.assert_array_equal(dilated_rot, convcore.dilate_kernel(convcore.rot180(K), case.dilation))  # holes stay
    W_rot = convcore.swap_channel_axes(dilated_rot, case.groups)
    dA_pad = convcore.correlate(dZ_full, W_rot, 1, groups=case.groups)
    assert dA_pad.shape[1:3] == (H_p, W_p)
    p = case.pad
    literal = dA_pad[:, p : p + case.n_H_prev, p : p + case.n_W_prev]
    fast = convcore.grad_input_rot180(case.input_shape, W, dZ, case.hparameters)
    np.testing.assert_allclose(literal, fast, rtol=1e-12, atol=1e-12)


def test_swap_channel_axes_is_block_diagonal():
    K = np.arange(2 * 3 * 4, dtype=float).reshape(1, 1, 2, 12)  # 2 in per group, 12 filters, groups = 3 (4 per group)
    swapped = convcore.swap_channel_axes(K, 3)
    assert swapped.shape == (1, 1, 4, 6)  # 4 filters a group in, 6 input channels out
    for g in range(3):
        for i in range(2):
            for j in range(4):
                assert swapped[0, 0, j, g * 2 + i] == K[0, 0, i, g * 4 + j]
    np.testing.assert_array_equal(convcore.swap_channel_axes(K, 1), K.transpose(0, 1, 3, 2))


def test_full_padding_uses_the_dilated_extent():
    # n = 7, f = 3, d = 2: extent 5, pad before 4, after 4 + (7 - 5) % 2 = 4; stride 3: after 4 + 2 % 3 = 6
    assert convcore.full_padding(7, 3, 2, 0, dilation=2) == (4, 4)
    assert convcore.full_padding(7, 3, 3, 0, dilation=2) == (4, 6)
    assert convcore.full_padding(7, 3, 1, 0) == (2, 2)


# --- hyper-parameters and bad input ------------------------------------------------------------------------


def test_the_course_layer_is_unchanged_when_the_keys_are_absent():
    case = ConvCase(2, 5, 5, 3, 2, 3, 3, 2, 1)
    A_prev, W, b, dZ = case.arrays()
    Z1, c1 = convcore.conv_forward(A_prev, W, b, {"stride": 2, "pad": 1})
    Z2, c2 = convcore.conv_forward(A_prev, W, b, {"stride": 2, "pad": 1, "dilation": 1, "groups": 1})
    np.testing.assert_array_equal(Z1, Z2)
    for a, b_ in zip(convcore.conv_backward(dZ, c1), convcore.conv_backward(dZ, c2), strict=True):
        np.testing.assert_array_equal(a, b_)


@pytest.mark.parametrize("forward", FORWARDS)
def test_unknown_keys_are_refused_and_the_known_ones_listed(forward):
    for key in ("dilatation", "padding", "strides", "group", "f"):
        with pytest.raises(
            ValueError, match=r"unknown key\(s\) \['" + key + r"'\].*'stride', 'pad', 'dilation', 'groups'"
        ):
            forward(A, W2, B, {"stride": 1, "pad": 0, "groups": 2, key: 2})


def test_unknown_keys_are_refused_everywhere():
    with pytest.raises(ValueError, match=r"unknown key"):
        convcore.grad_input_rot180(A.shape, W2, np.zeros((2, 4, 4, 4)), {"stride": 1, "pad": 0, "dilaton": 2})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['pad'\].*\['f', 'stride'\]"):
        convcore.pool_forward(A, {"f": 2, "stride": 2, "pad": 1})


@pytest.mark.parametrize("forward", FORWARDS)
@pytest.mark.parametrize(
    ("hp", "W", "match"),
    [
        ({"dilation": 0}, W2, r"dilation must be an integer >= 1, got 0"),
        ({"dilation": 1.5}, W2, r"dilation must be an integer >= 1, got 1\.5"),
        ({"dilation": True}, W2, r"dilation must be an integer >= 1, got True"),
        ({"dilation": "2"}, W2, r"dilation must be an integer >= 1, got '2'"),
        ({"groups": 0}, W2, r"groups must be an integer >= 1, got 0"),
        ({"groups": 2.0000001}, W2, r"groups must be an integer >= 1"),
        ({"groups": False}, W2, r"groups must be an integer >= 1, got False"),
        ({"groups": 3}, W2, r"groups=3 must divide n_C_prev \(input channels\) = 4; .* one of \[1, 2, 4\]"),
        ({"groups": 2}, W2[..., :3], r"groups=2 must divide n_C \(output channels, filters\) = 3"),
        ({"groups": 4}, W2, r"W expects 2 input channel\(s\) per group \(groups=4\).*n_C_prev // groups = 1"),
        ({"groups": 1}, W2, r"W expects 2 input channel\(s\) \(W.shape\[2\]\) but A_prev has 4"),
        (
            {"dilation": 3, "groups": 2},
            W2,
            r"dilated kernel \(3 taps at dilation 3 span 7\) is larger than the padded input height \(6 \+ 2\*0 = 6\)",
        ),
    ],
)
def test_bad_dilation_and_groups(forward, hp, W, match):
    with pytest.raises(ValueError, match=match):
        forward(A, W, np.zeros((1, 1, 1, W.shape[3])), {"stride": 1, "pad": 0, **hp})


def test_a_dilated_kernel_that_just_fits():
    Z, _ = convcore.conv_forward(A, W2, B, {"stride": 1, "pad": 0, "dilation": 2, "groups": 2})  # extent 5 <= 6
    assert Z.shape == (2, 2, 2, 4)
    Z, _ = convcore.conv_forward(A, W2, B, {"stride": 1, "pad": 1, "dilation": 3, "groups": 2})  # extent 7 <= 8
    assert Z.shape == (2, 2, 2, 4)
    with pytest.raises(ValueError, match=r"span 9\) is larger than the padded input height \(6 \+ 2\*1 = 8\)"):
        convcore.conv_forward(A, W2, B, {"stride": 1, "pad": 1, "dilation": 4, "groups": 2})


def test_the_1d_functions_refuse_groups_other_than_1():
    with pytest.raises(ValueError, match=r"groups=2 must divide"):
        convcore.conv1d_forward([1.0, 2.0, 3.0], [1.0], groups=2)
    with pytest.raises(ValueError, match=r"dilated kernel \(2 taps at dilation 3 span 4\) is larger"):
        convcore.conv1d_forward([1.0, 2.0, 3.0], [1.0, 1.0], dilation=3)


def test_traces_check_their_hyper_parameters_too():
    with pytest.raises(ValueError, match=r"groups=3 must divide"):
        trace.forward_trace(A[0], W2, [0.0] * 4, 1, 0, groups=3)
    with pytest.raises(ValueError, match=r"dilation must be an integer >= 1"):
        trace.rot180_trace(A.shape[1:], W2, np.zeros((4, 4, 4)), 1, 0, dilation=0, groups=2)


# --- the downloaded script ------------------------------------------------------------------------------------


def _script(case: ConvCase) -> str:
    A_prev, W, b, dZ = case.arrays()
    return numpy_torch_script(
        A_prev[0], W, b, dZ[0], case.stride, case.pad, case.convention, dilation=case.dilation, groups=case.groups
    )


SCRIPT_CASES = [
    pytest.param(ConvCase(1, 5, 6, 2, 2, 2, 3, 2, 1, convention="convolution"), id="course-layer-convolution"),
    pytest.param(ConvCase(1, 7, 6, 2, 4, 2, 2, 1, 1, dilation=2, groups=2), id="d2-g2"),
    pytest.param(ConvCase(1, 8, 8, 3, 3, 3, 3, 2, 0, dilation=2, groups=3), id="depthwise-d2-stride2"),
    pytest.param(ConvCase(1, 9, 7, 2, 2, 2, 2, 3, 2, convention="convolution", dilation=3), id="d3-convolution"),
]


@pytest.mark.parametrize("case", SCRIPT_CASES)
def test_the_exported_scripts_own_loops_compute_convcores_numbers(case):
    """The script is plain NumPy loops a learner can read; run them and compare every array with convcore."""
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(_script(case), "conv_gradients.py", "exec"), namespace)  # our own generated code
    A_prev, W, b, dZ = case.arrays()
    Z, cache = convcore.conv_forward(A_prev[:1], W, b, case.hparameters)
    dA, dW, db = convcore.conv_backward(dZ[:1], cache)
    np.testing.assert_allclose(namespace["Z"], Z[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(namespace["dA_scatter"], dA[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(namespace["dA_rot180"], dA[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(namespace["dW"], dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(namespace["db"], db.reshape(-1), rtol=1e-12, atol=1e-12)
    assert "largest |scatter - rot180| =" in printed.getvalue()


@pytest.mark.parametrize("case", SCRIPT_CASES)
def test_the_exported_script_runs_on_its_own_and_pytorch_agrees(case):
    out = subprocess.run([sys.executable, "-c", _script(case)], capture_output=True, text=True, timeout=120, check=True)
    if importlib.util.find_spec("torch") is None:
        assert "PyTorch is not installed" in out.stdout
    else:
        for what in ("Z", "dA_prev", "dW", "db"):
            assert f"PyTorch agrees on {what}: True" in out.stdout, out.stdout
        assert "conv_transpose2d(dZ, W) agrees on dA_prev: True" in out.stdout, out.stdout
