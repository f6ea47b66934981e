"""The values the course's notebook prints ("Convolution model - Step by Step"), reproduced by convcore.

Three generations of the notebook test conv_forward with different shapes (all with np.random.seed(1)):

- v1: A_prev (10, 4, 4, 3), W (2, 2, 3, 8), pad 2, stride 2 -> "Z's mean = 0.0489952035289"; its
  conv_backward test feeds Z back as dZ -> dA_mean 1.45243777754, dW_mean 1.72699145831, db_mean 7.83923256462
  (the later notebooks keep this backward test unchanged);
- v2: A_prev (10, 5, 7, 4), W (3, 3, 4, 8), pad 1, stride 2 -> Z's mean 0.6923608807576933;
- v3: A_prev (2, 5, 7, 4), same W shape, pad 1, stride 2 -> Z's mean 0.5511276474566768.

Then the point of seed 000: ``mean(dA)`` cannot tell a wrong kernel orientation from the right one.
"""

from __future__ import annotations

import numpy as np
import pytest

import convcore
from convcore import naive


def _course_conv(A_shape, W_shape, pad, stride, impl=convcore):
    np.random.seed(1)
    A_prev = np.random.randn(*A_shape)
    W = np.random.randn(*W_shape)
    b = np.random.randn(1, 1, 1, W_shape[-1])
    hparameters = {"pad": pad, "stride": stride}
    return impl.conv_forward(A_prev, W, b, hparameters)


@pytest.mark.parametrize("impl", [convcore, naive], ids=["fast", "loops"])
def test_v1_conv_forward_and_backward(impl):
    Z, cache = _course_conv((10, 4, 4, 3), (2, 2, 3, 8), 2, 2, impl)
    assert Z.shape == (10, 4, 4, 8)
    assert np.mean(Z) == pytest.approx(0.0489952035289, abs=1e-12)
    np.testing.assert_allclose(
        Z[3, 2, 1],
        [-0.61490741, -6.7439236, -2.55153897, 1.75698377, 3.56208902, 0.53036437, 5.18531798, 8.75898442],
        atol=5e-9,
    )
    np.testing.assert_allclose(cache[0][1][2][3], [-0.20075807, 0.18656139, 0.41005165], atol=5e-9)
    for method in ("scatter", "rot180"):
        dA, dW, db = impl.conv_backward(Z, cache, method=method)
        assert np.mean(dA) == pytest.approx(1.45243777754, abs=1e-11)
        assert np.mean(dW) == pytest.approx(1.72699145831, abs=1e-11)
        assert np.mean(db) == pytest.approx(7.83923256462, abs=1e-11)


def test_v2_conv_forward():
    Z, cache = _course_conv((10, 5, 7, 4), (3, 3, 4, 8), 1, 2)
    assert Z.shape == (10, 3, 4, 8)
    assert np.mean(Z) == pytest.approx(0.6923608807576933, abs=1e-13)
    np.testing.assert_allclose(
        Z[3, 2, 1],
        [-1.28912231, 2.27650251, 6.61941931, 0.95527176, 8.25132576, 2.31329639, 13.00689405, 2.34576051],
        atol=5e-9,
    )
    np.testing.assert_allclose(cache[0][1][2][3], [-1.1191154, 1.9560789, -0.3264995, -1.34267579], atol=5e-9)


def test_v3_conv_forward():
    Z, _ = _course_conv((2, 5, 7, 4), (3, 3, 4, 8), 1, 2)
    assert Z.shape == (2, 3, 4, 8)
    assert np.mean(Z) == pytest.approx(0.5511276474566768, abs=1e-13)
    np.testing.assert_allclose(
        Z[0, 2, 1],
        [-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645, -2.89198428, 10.99288867, 3.03171932],
        atol=5e-9,
    )


def test_course_helpers():
    np.random.seed(1)
    x = np.random.randn(4, 3, 3, 2)
    x_pad = convcore.zero_pad(x, 2)
    assert x_pad.shape == (4, 7, 7, 2)
    np.testing.assert_array_equal(x_pad[1, 1], np.zeros((7, 2)))
    np.testing.assert_array_equal(x_pad[:, 2:5, 2:5, :], x)
    np.random.seed(1)
    a_slice_prev, W, b = np.random.randn(4, 4, 3), np.random.randn(4, 4, 3), np.random.randn(1, 1, 1)
    assert naive.conv_single_step(a_slice_prev, W, b) == pytest.approx(-6.99908945068, abs=1e-11)
    np.random.seed(1)
    x = np.random.randn(2, 3)
    np.testing.assert_array_equal(naive.create_mask_from_window(x), [[True, False, False], [False, False, False]])


@pytest.mark.parametrize("impl", [convcore, naive], ids=["fast", "loops"])
def test_course_pool_forward(impl):
    np.random.seed(1)
    A_prev = np.random.randn(2, 4, 4, 3)
    hparameters = {"stride": 2, "f": 3}
    A, _ = impl.pool_forward(A_prev, hparameters)
    np.testing.assert_allclose(
        A.reshape(2, 3), [[1.74481176, 0.86540763, 1.13376944], [1.13162939, 1.51981682, 2.18557541]], atol=5e-9
    )
    A, _ = impl.pool_forward(A_prev, hparameters, mode="average")
    np.testing.assert_allclose(
        A.reshape(2, 3), [[0.02105773, -0.20328806, -0.40389855], [-0.22154621, 0.51716526, 0.48155844]], atol=5e-9
    )


@pytest.mark.parametrize("impl", [convcore, naive], ids=["fast", "loops"])
def test_course_pool_backward(impl):
    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    _, cache = impl.pool_forward(A_prev, {"stride": 1, "f": 2})
    dA = np.random.randn(5, 4, 2, 2)
    assert np.mean(dA) == pytest.approx(0.145713902729, abs=1e-12)
    np.testing.assert_allclose(
        impl.pool_backward(dA, cache, mode="max")[1, 1], [[0.0, 0.0], [5.05844394, -1.68282702], [0.0, 0.0]], atol=5e-9
    )
    np.testing.assert_allclose(
        impl.pool_backward(dA, cache, mode="average")[1, 1],
        [[0.08485462, 0.2787552], [1.26461098, -0.25749373], [1.17975636, -0.53624893]],
        atol=5e-9,
    )


# --- seed 000: "the course test only checks mean(dA)" -------------------------------------------------


def _v1_inputs():
    Z, (A_prev, W, _, hp) = _course_conv((10, 4, 4, 3), (2, 2, 3, 8), 2, 2)
    return A_prev, W, Z, hp["stride"], hp["pad"]


def test_mean_of_dA_cannot_see_a_spatially_transposed_kernel():
    A_prev, W, dZ, s, p = _v1_inputs()
    right = convcore.grad_input_scatter(A_prev.shape, W, dZ, s, p)
    # the slip: W.transpose(1, 0, 2, 3) (rows and columns of each filter swapped) in the scatter loop
    wrong = convcore.grad_input_scatter(A_prev.shape, W.transpose(1, 0, 2, 3), dZ, s, p)
    # with pad 2 and stride 2 the 2x2 windows tile the padded input and every window that reaches the
    # crop lies inside it, so the sum (and the mean) over dA_prev is the same for any order of the weights
    assert np.mean(wrong) == pytest.approx(np.mean(right), abs=1e-12)
    assert np.mean(wrong) == pytest.approx(1.45243777754, abs=1e-11)  # the course test would pass
    assert np.max(np.abs(wrong - right)) > 1.0  # element by element it is plainly wrong


def test_mean_of_dA_cannot_see_a_missing_rotation():
    A_prev, W, dZ, s, p = _v1_inputs()
    right = convcore.grad_input_rot180(A_prev.shape, W, dZ, s, p)
    # the full-correlation form without the 180-degree rotation: grad_input_rot180 rotates the kernel it is
    # given, so handing it rot180(W) correlates the dilated, padded dZ with W itself
    unrotated = convcore.grad_input_rot180(A_prev.shape, convcore.rot180(W), dZ, s, p)
    assert np.mean(unrotated) == pytest.approx(np.mean(right), abs=1e-12)
    assert np.max(np.abs(unrotated - right)) > 1.0
    # the right answers agree element by element, whichever form computes them
    np.testing.assert_allclose(right, convcore.grad_input_scatter(A_prev.shape, W, dZ, s, p), rtol=1e-12, atol=1e-12)


def test_an_element_wise_check_catches_what_the_mean_misses():
    """The check a course test could use instead: compare dA_prev against the loops entry by entry."""
    A_prev, W, dZ, s, p = _v1_inputs()
    _, cache = naive.conv_forward(A_prev, W, np.zeros((1, 1, 1, 8)), {"stride": s, "pad": p})
    reference, _, _ = naive.conv_backward(dZ, cache)
    wrong = convcore.grad_input_scatter(A_prev.shape, W.transpose(1, 0, 2, 3), dZ, s, p)
    assert not np.allclose(wrong, reference)
    np.testing.assert_allclose(
        convcore.grad_input_scatter(A_prev.shape, W, dZ, s, p), reference, rtol=1e-12, atol=1e-12
    )
