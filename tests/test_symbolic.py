"""SymPy as the oracle: the seed's hand-worked example, the flip proven symbolically, numbers equal to convcore's."""

from __future__ import annotations

import dataclasses
import itertools
import pathlib
import re

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convcore
from convcore import symbolic
from convcore.symbolic import LIMITS, conv1d_derivation, conv2d_derivation, full_correlation_form

SOURCE = pathlib.Path(symbolic.__file__).read_text()


def flat(arr):
    return [arr[idx] for idx in itertools.product(*(range(n) for n in arr.shape))]


def is_zero(expr) -> bool:
    return sympy.expand(expr) == 0


# --------------------------------------------------------------------------- the seed, letter by letter
@pytest.fixture(scope="module")
def seed():
    return conv1d_derivation(5, 2, names="seed")


def test_seed_forward_is_ax_plus_by(seed):
    a, b, c, d, e, x, y = sympy.symbols("a b c d e x y")
    assert list(seed.x) == [a, b, c, d, e]
    assert list(seed.w) == [x, y]
    assert list(seed.z) == [a * x + b * y, b * x + c * y, c * x + d * y, d * x + e * y]
    assert seed.latex_forward() == ["Q_{0} = a x + b y", "Q_{1} = b x + c y", "Q_{2} = c x + d y", "Q_{3} = d x + e y"]


def test_seed_dQ_dc_is_the_kernel_flipped(seed):
    x, y = sympy.symbols("x y")
    # the seed writes [0 y x 0 0]; its fifth output ex+? is dropped, so four outputs remain
    assert list(seed.jacobian.col(2)) == [0, y, x, 0]
    assert list(seed.jacobian_column(2)) == [0, y, x, 0]
    expected = r"\frac{\partial Q}{\partial c} = \begin{bmatrix} 0 & y & x & 0 \end{bmatrix}"
    assert seed.latex_jacobian_column(2) == expected


def test_seed_dE_db_dc_dd(seed):
    f, g, h, i, x, y = sympy.symbols("f g h i x y")
    assert list(seed.dz) == [f, g, h, i]  # [f g h i j] in the seed; j belonged to the dropped output
    assert is_zero(seed.dx[1] - (f * y + g * x))  # dE/db
    assert is_zero(seed.dx[2] - (g * y + h * x))  # dE/dc
    assert is_zero(seed.dx[3] - (h * y + i * x))  # dE/dd
    lines = seed.latex_dx()
    assert lines[1:4] == [
        r"\frac{\partial E}{\partial b} = f y + g x",
        r"\frac{\partial E}{\partial c} = g y + h x",
        r"\frac{\partial E}{\partial d} = h y + i x",
    ]


def test_seed_dE_dL_is_dE_dQ_correlated_with_y_x(seed):
    f, g, h, i, x, y = sympy.symbols("f g h i x y")
    assert list(seed.full.kernel) == [y, x]  # "the convolution of dE/dQ with the filter [y x]"
    assert list(seed.full.upstream) == [0, f, g, h, i, 0]
    assert seed.verdict is True
    assert seed.latex_array("kernel") == r"\hat{w} = \begin{bmatrix} y & x \end{bmatrix}"
    assert seed.latex_full_form()[0] == r"\left(\tilde{\delta} \star \hat{w}\right)_{0} = 0 \cdot y + f x = f x"
    assert seed.latex_full_form()[2] == r"\left(\tilde{\delta} \star \hat{w}\right)_{2} = g y + h x"
    assert all(line.endswith("= 0") for line in seed.latex_check())


def test_seed_without_the_flip_is_wrong(seed):
    f, g, x, y = sympy.symbols("f g x y")
    wrong = full_correlation_form(seed, reverse=False)
    assert wrong.verdict is False
    assert list(wrong.kernel) == [x, y]
    assert is_zero(wrong.dx[1] - (f * x + g * y))
    assert not all(d == 0 for d in flat(wrong.differences))
    assert any(not line.endswith("= 0") for line in seed.latex_check(reverse=False))


def test_seed_convention_convolution_reverses_the_kernel_forward():
    r = conv1d_derivation(5, 2, names="seed", convention="convolution")
    a, b, x, y = sympy.symbols("a b x y")
    assert r.z[0] == a * y + b * x
    assert list(r.full.kernel) == [x, y]  # the two flips cancel: the backward form uses w as written
    assert r.verdict is True
    assert full_correlation_form(r, reverse=False).verdict is False


# --------------------------------------------------------------------------- the chain rule really is sympy.diff
SMALL_1D = [(5, 2, 1, 0), (5, 3, 2, 1), (6, 3, 3, 2), (4, 4, 1, 2), (3, 1, 2, 0)]
SMALL_2D = [((3, 3), (2, 2), 1, 0, 1, 1), ((3, 4), (2, 3), 2, 1, 2, 2), ((4, 3), (3, 2), 3, 2, 1, 2)]


def small_derivations():
    for conv in convcore.CONVENTIONS:
        for n, k, s, p in SMALL_1D:
            yield conv1d_derivation(n, k, s, p, convention=conv)
        for shape, kernel, s, p, ci, co in SMALL_2D:
            yield conv2d_derivation(shape, kernel, s, p, ci, co, convention=conv)


@pytest.mark.parametrize(
    "r",
    list(small_derivations()),
    ids=lambda r: f"{r.ndim}d-{r.in_shape}-{r.k_shape}-s{r.stride}p{r.pad}-{r.n_c_in}x{r.n_c_out}-{r.convention}",
)
def test_gradients_equal_sympy_diff_of_the_loss(r):
    for sym, grad in zip(flat(r.x), flat(r.dx), strict=True):
        assert is_zero(sympy.diff(r.loss, sym) - grad)
    for sym, grad in zip(flat(r.w), flat(r.dw), strict=True):
        assert is_zero(sympy.diff(r.loss, sym) - grad)
    if r.b is not None:
        for sym, grad in zip(flat(r.b), flat(r.db), strict=True):
            assert is_zero(sympy.diff(r.loss, sym) - grad)
    z, x = flat(r.z), flat(r.x)
    assert r.jacobian.shape == (len(z), len(x))
    for row, col in itertools.product(range(len(z)), range(len(x))):
        assert r.jacobian[row, col] == sympy.diff(z[row], x[col])
    # the proof, literally as the brief writes it
    for dx, full, diff in zip(flat(r.dx), flat(r.full_form), flat(r.dx_differences), strict=True):
        assert sympy.expand(dx - full) == 0 == diff
    for dw, form in zip(flat(r.dw), flat(r.dw_form), strict=True):
        assert sympy.expand(dw - form) == 0


def test_forward_is_the_course_sum_over_the_window():
    r = conv2d_derivation((3, 4), (2, 2), stride=2, pad=1, n_c_in=2, n_c_out=2)
    x_pad = sympy.zeros(5, 6), sympy.zeros(5, 6)
    for i, j, c in itertools.product(range(3), range(4), range(2)):
        x_pad[c][i + 1, j + 1] = r.x[i, j, c]
    for h, w_, co in itertools.product(range(r.out_shape[0]), range(r.out_shape[1]), range(2)):
        expected = r.b[co] + sum(
            x_pad[ci][2 * h + u, 2 * w_ + v] * r.w[u, v, ci, co]
            for u, v, ci in itertools.product(range(2), range(2), range(2))
        )
        assert is_zero(r.z[h, w_, co] - expected)
    assert r.out_shape == (2, 3)
    assert r.db[1] == sum(flat(r.dz[:, :, 1]))


# --------------------------------------------------------------------------- numbers: symbolic == convcore
def random_inputs(r, rng):
    return rng.normal(size=r.x.shape), rng.normal(size=r.w.shape), rng.normal(size=r.dz.shape)


def check_against_convcore_1d(r, rng):
    x, w, dz = random_inputs(r, rng)
    dx, dw, db = r.numeric(x, w, dz)
    assert db is None
    s, p, conv, n = r.stride, r.pad, r.convention, r.in_shape[0]
    np.testing.assert_allclose(r.numeric_forward(x, w), convcore.conv1d_forward(x, w, s, p, conv), atol=1e-12)
    np.testing.assert_allclose(dx, convcore.conv1d_grad_input_scatter(n, w, dz, s, p, conv), atol=1e-12)
    np.testing.assert_allclose(dx, convcore.conv1d_grad_input_rot180(n, w, dz, s, p, conv), atol=1e-12)
    np.testing.assert_allclose(dw, convcore.conv1d_grad_weight(x, w.size, dz, s, p, conv), atol=1e-12)


def check_against_convcore_2d(r, rng):
    x, w, dz = random_inputs(r, rng)
    b = rng.normal(size=(1, 1, 1, r.n_c_out))
    hp = {"stride": r.stride, "pad": r.pad, "convention": r.convention}
    Z, cache = convcore.conv_forward(x[None], w, b, hp)
    np.testing.assert_allclose(r.numeric_forward(x, w, b.reshape(-1)), Z[0], atol=1e-12)
    dx, dw, db = r.numeric(x, w, dz)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (r.n_c_out,)
    for method in ("scatter", "rot180"):
        dA, dW, dB = convcore.conv_backward(dz[None], cache, method=method)
        np.testing.assert_allclose(dx, dA[0], atol=1e-12)
        np.testing.assert_allclose(dw, dW, atol=1e-12)
        np.testing.assert_allclose(db, dB.reshape(-1), atol=1e-12)


@pytest.mark.parametrize("convention", convcore.CONVENTIONS)
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_1d_numbers_equal_convcore(stride, pad, convention):
    rng = np.random.default_rng(100 * stride + 10 * pad)
    checked = 0
    for n, k in itertools.product([1, 2, 5, 7, 12], [1, 2, 3, 4]):
        if k > n + 2 * pad:
            continue
        check_against_convcore_1d(conv1d_derivation(n, k, stride, pad, convention), rng)
        checked += 1
    assert checked >= 14


CASES_2D = [
    # (in_shape, k_shape, stride, pad, n_c_in, n_c_out)
    ((3, 3), (2, 2), 1, 0, 1, 1),  # d2l's corr2d example
    ((4, 4), (2, 2), 2, 0, 1, 1),  # stride 2, pad 0
    ((5, 5), (3, 3), 2, 0, 1, 1),
    ((5, 4), (2, 3), 3, 0, 1, 1),  # stride that does not divide, non-square input, rectangular kernel
    ((3, 5), (3, 1), 1, 1, 1, 2),
    ((4, 3), (1, 2), 2, 2, 2, 1),
    ((2, 6), (2, 4), 1, 2, 2, 2),
    ((6, 6), (4, 4), 3, 1, 2, 2),
    ((3, 4), (2, 2), 2, 1, 2, 2),
    ((1, 1), (3, 3), 1, 1, 1, 1),  # kernel larger than the input, fits the padded input
    ((6, 5), (3, 3), 2, 2, 2, 2),
    ((4, 4), (1, 1), 1, 0, 2, 2),
]


@pytest.mark.parametrize("convention", convcore.CONVENTIONS)
@pytest.mark.parametrize("case", CASES_2D, ids=str)
def test_2d_numbers_equal_convcore(case, convention):
    shape, kernel, stride, pad, c_in, c_out = case
    r = conv2d_derivation(shape, kernel, stride, pad, c_in, c_out, convention)
    check_against_convcore_2d(r, np.random.default_rng(sum(shape) + 7 * stride + pad))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=st.integers(1, 4),
    w=st.integers(1, 4),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    c_in=st.integers(1, 2),
    c_out=st.integers(1, 2),
    convention=st.sampled_from(convcore.CONVENTIONS),
    seed=st.integers(0, 2**16),
)
def test_2d_property_symbolic_equals_convcore(h, w, kh, kw, stride, pad, c_in, c_out, convention, seed):
    if kh > h + 2 * pad or kw > w + 2 * pad:
        with pytest.raises(ValueError, match="larger than the padded"):
            conv2d_derivation((h, w), (kh, kw), stride, pad, c_in, c_out, convention)
        return
    r = conv2d_derivation((h, w), (kh, kw), stride, pad, c_in, c_out, convention)
    assert r.verdict is True
    check_against_convcore_2d(r, np.random.default_rng(seed))


def test_compare_with_convcore_reports_tiny_differences():
    rng = np.random.default_rng(3)
    r2 = conv2d_derivation((4, 5), (2, 3), 2, 1, 2, 2, "convolution")
    report = symbolic.compare_with_convcore(r2, *random_inputs(r2, rng))
    assert set(report) == {"z", "dx_scatter", "dx_rot180", "dw", "db"}
    assert max(report.values()) < 1e-12
    r1 = conv1d_derivation(7, 3, 2, 1)
    report = symbolic.compare_with_convcore(r1, *random_inputs(r1, rng))
    assert set(report) == {"z", "dx_scatter", "dx_rot180", "dw"}
    assert max(report.values()) < 1e-12
    # it can fail: a symbolic dx built without the flip disagrees with convcore's numbers
    wrong = dataclasses.replace(r1, dx=r1.unflipped.dx)
    report = symbolic.compare_with_convcore(wrong, *random_inputs(r1, rng))
    assert report["dx_scatter"] > 1e-3 and report["dx_rot180"] > 1e-3 and report["dw"] < 1e-12


def test_numeric_checks_shapes_and_values():
    r = conv2d_derivation(3, 2, n_c_out=2)
    fn = r.numeric_function()
    with pytest.raises(ValueError, match=r"x must have 3 dimensions"):
        fn(np.zeros((3, 3)), np.zeros((2, 2, 1, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"x must have shape \(3, 3, 1\)"):
        fn(np.zeros((3, 3, 2)), np.zeros((2, 2, 1, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"dz must have shape \(2, 2, 2\)"):
        fn(np.zeros((3, 3, 1)), np.zeros((2, 2, 1, 2)), np.zeros((2, 2, 1)))
    with pytest.raises(ValueError, match="not finite"):
        fn(np.full((3, 3, 1), np.nan), np.zeros((2, 2, 1, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="no bias"):
        conv1d_derivation(3, 2).numeric_forward([1, 2, 3], [1, 1], b_values=[1.0])


# --------------------------------------------------------------------------- the Jacobian's shape of the flip
@pytest.mark.parametrize("convention", convcore.CONVENTIONS)
@pytest.mark.parametrize("n,k,pad", [(5, 2, 0), (7, 3, 0), (6, 4, 1), (4, 3, 2)])
def test_1d_jacobian_columns_are_the_reversed_kernel_sliding(n, k, pad, convention):
    r = conv1d_derivation(n, k, 1, pad, convention)
    k_eff = list(r.w) if convention == "correlation" else list(r.w)[::-1]
    for h, i in itertools.product(range(r.out_shape[0]), range(n)):
        u = i + pad - h
        assert r.jacobian[h, i] == (k_eff[u] if 0 <= u < k else 0)
    # a column whose window is whole reads the effective kernel bottom-up: reversed
    for i in range(n):
        column = [e for e in r.jacobian.col(i) if e != 0]
        if len(column) == k:
            assert column == k_eff[::-1]
            break
    else:
        raise AssertionError("no whole window")


def test_2d_jacobian_column_is_the_rotated_kernel():
    r = conv2d_derivation(5, (2, 3), stride=1, pad=0)
    col = r.jacobian_column((2, 2))  # shaped like z (3, 3, 1)
    block = sympy.Matrix(3, 3, lambda h, w_: col[h, w_, 0])
    w = sympy.Matrix(2, 3, lambda u, v: r.w[u, v, 0, 0])
    # dz[h, w]/dx[2, 2] = w[2 - h, 2 - v]: rot180(w) sits in rows 1..2, columns 0..2
    assert block[1:3, 0:3] == sympy.Matrix(2, 3, lambda u, v: w[1 - u, 2 - v])
    assert block[0, :] == sympy.zeros(1, 3)
    assert r.latex_jacobian().startswith(r"\begin{bmatrix}")


# --------------------------------------------------------------------------- verdicts, and the test of the test
VERDICT_1D = [
    (n, k, s, p, conv)
    for n, k, s, p, conv in itertools.product([1, 3, 6, 12], [1, 2, 3, 4], [1, 2, 3], [0, 1, 2], convcore.CONVENTIONS)
    if k <= n + 2 * p
]


def flip_matters(r) -> bool:
    """Whether reversing the kernel spatially changes the chain rule's dx (computed independently)."""
    k = r.k_shape
    swap = {}
    for idx in itertools.product(*(range(n) for n in r.w.shape)):
        mirrored = tuple(k_a - 1 - u for k_a, u in zip(k, idx[: r.ndim], strict=True)) + idx[r.ndim :]
        swap[r.w[idx]] = r.w[mirrored]
    return any(d.xreplace(swap) != d for d in flat(r.dx))


def test_1d_verdict_true_and_false_without_the_flip():
    assert len(VERDICT_1D) > 120
    centre_only = []
    for n, k, s, p, conv in VERDICT_1D:
        r = conv1d_derivation(n, k, s, p, conv)
        assert r.verdict is True, (n, k, s, p, conv)
        unflipped = full_correlation_form(r, reverse=False).verdict
        # without the flip the proof fails exactly when the flip changes dx
        assert unflipped is not flip_matters(r), (n, k, s, p, conv)
        if s == 1 and k > 1 and n > 1:  # stride 1: some input always meets an off-centre kernel entry
            assert unflipped is False, (n, k, s, p, conv)
        if k == 1:  # a 1-entry kernel is its own reversal
            assert unflipped is True
        elif unflipped:
            centre_only.append((n, k, s, p))
    # the rare configurations where the windows only reach inputs through the kernel's centre (or not at all)
    assert (1, 3, 3, 1) in centre_only and (1, 2, 3, 2) in centre_only and (1, 3, 1, 1) in centre_only
    assert all(s > 1 or n == 1 for n, _, s, _ in centre_only)


VERDICT_2D = [
    ((6, 6), (4, 4), 1, 2, 2, 2, "correlation"),  # the largest allowed case
    ((6, 6), (4, 4), 1, 2, 2, 2, "convolution"),
    ((5, 4), (3, 2), 2, 1, 2, 1, "correlation"),
    ((4, 6), (1, 3), 3, 2, 1, 2, "convolution"),
    ((3, 3), (3, 3), 1, 0, 2, 2, "correlation"),
    ((6, 5), (2, 2), 3, 0, 1, 1, "convolution"),
    ((4, 4), (1, 1), 2, 1, 2, 2, "correlation"),  # 1x1 kernel: unflipped is still right
    ((2, 2), (1, 1), 1, 0, 1, 1, "convolution"),
]


@pytest.mark.parametrize("case", VERDICT_2D, ids=str)
def test_2d_verdict_true_and_false_without_the_flip(case):
    shape, kernel, s, p, ci, co, conv = case
    r = conv2d_derivation(shape, kernel, s, p, ci, co, conv)
    assert r.verdict is True
    assert all(d == 0 for d in flat(r.dx_differences))
    assert all(d == 0 for d in flat(r.dw_differences))
    unflipped = full_correlation_form(r, reverse=False)
    assert unflipped.verdict is (kernel == (1, 1)) is (not flip_matters(r))
    assert r.unflipped.verdict is unflipped.verdict


def test_2d_channels_sum_and_swap():
    r = conv2d_derivation((3, 3), (2, 2), n_c_in=2, n_c_out=2)
    # dx of input channel 1 collects every output channel, through w[.., 1, co]
    used = {s for s in r.dx[1, 1, 1].free_symbols if s in set(flat(r.w))}
    assert used == {r.w[u, v, 1, co] for u, v, co in itertools.product(range(2), range(2), range(2))}
    for u, v, co, ci in itertools.product(range(2), range(2), range(2), range(2)):
        assert r.full.kernel[u, v, co, ci] == r.w[1 - u, 1 - v, ci, co]
    assert r.dw[0, 1, 1, 0] == sum(r.x[h, 1 + w_, 1] * r.dz[h, w_, 0] for h in range(2) for w_ in range(2))


def test_dx_differences_are_nonzero_where_the_flip_matters():
    r = conv2d_derivation((3, 3), (2, 2))
    wrong = r.unflipped
    assert wrong.verdict is False
    assert not is_zero(wrong.differences[1, 1, 0])


# --------------------------------------------------------------------------- LaTeX a learner reads
def test_indexed_latex_names():
    r = conv2d_derivation((2, 2), (1, 1), n_c_in=2, n_c_out=2)
    assert r.latex_forward()[0] == (
        "z^{(0)}_{0,0} = x^{(0)}_{0,0} w^{(0,0)}_{0,0} + x^{(1)}_{0,0} w^{(1,0)}_{0,0} + b^{(0)}"
    )
    assert r.latex_dx()[0] == (
        r"\frac{\partial E}{\partial x^{(0)}_{0,0}} = \delta^{(0)}_{0,0} w^{(0,0)}_{0,0} "
        r"+ \delta^{(1)}_{0,0} w^{(0,1)}_{0,0}"
    )
    assert r.latex_db()[1].startswith(r"\frac{\partial E}{\partial b^{(1)}} = \delta^{(1)}_{0,0} + ")
    r1 = conv1d_derivation(3, 2, stride=1, pad=1)
    assert r1.latex_forward()[0] == "z_{0} = x_{0} w_{1}"
    assert r1.latex_dx()[0] == r"\frac{\partial E}{\partial x_{0}} = \delta_{0} w_{1} + \delta_{1} w_{0}"
    # dw_0 = sum_h x_pad[h] delta_h with x_pad = [0 x_0 x_1 x_2 0]
    assert r1.latex_dw()[0] == (
        r"\frac{\partial E}{\partial w_{0}} = x_{0} \delta_{1} + x_{1} \delta_{2} + x_{2} \delta_{3}"
    )
    assert r1.latex_db() == []
    assert (
        r1.latex_array("upstream") == r"\tilde{\delta} = \begin{bmatrix} 0 & \delta_{0} & \delta_{1} & "
        r"\delta_{2} & \delta_{3} & 0 \end{bmatrix}"
    )
    assert r1.latex_dw_form()[0] == (
        r"\frac{\partial E}{\partial w_{0}} : \left(\tilde{x} \star \check{\delta}\right)_{0} = "
        r"0 \cdot \delta_{0} + x_{0} \delta_{1} + x_{1} \delta_{2} + x_{2} \delta_{3} = "
        r"x_{0} \delta_{1} + x_{1} \delta_{2} + x_{2} \delta_{3}"
    )


def test_every_latex_piece_renders_for_a_channel_case():
    r = conv2d_derivation((3, 4), (2, 3), 2, 1, 2, 2, "convolution")
    n_x, n_w = 3 * 4 * 2, 2 * 3 * 2 * 2
    assert len(r.latex_forward()) == r.out_shape[0] * r.out_shape[1] * 2
    assert len(r.latex_dx()) == len(r.latex_full_form()) == len(r.latex_check()) == n_x
    assert len(r.latex_dw()) == len(r.latex_dw_form()) == n_w
    names = [
        "x",
        "w",
        "b",
        "dz",
        "z",
        "dx",
        "dw",
        "db",
        "full_form",
        "upstream",
        "kernel",
        "x_padded",
        "dz_dilated",
        "dw_form",
    ]
    for which in names:
        text = r.latex_array(which)
        assert text.count(r"\begin{bmatrix}") == text.count(r"\end{bmatrix}") >= 1
    assert r.latex_array("kernel", reverse=False) != r.latex_array("kernel")
    assert r.latex_array("x").count("bmatrix}") == 4  # one block per input channel
    with pytest.raises(ValueError, match="which must be one of"):
        r.latex_array("nope")
    with pytest.raises(ValueError, match="no bias"):
        conv1d_derivation(3, 2).latex_array("db")
    assert r.latex(sympy.Integer(0)) == "0"
    expr = 2 * r.x[0, 0, 0] * r.w[0, 0, 0, 0] - r.dz[0, 0, 1]
    assert r.latex(expr) == r"2 x^{(0)}_{0,0} w^{(0,0)}_{0,0} - \delta^{(1)}_{0,0}"


# --------------------------------------------------------------------------- bounds and validation
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: conv1d_derivation(13, 2), r"n_in must be at most 12 .*LIMITS\['n_in_1d'\]"),
        (lambda: conv1d_derivation(5, 5), r"n_k must be at most 4"),
        (lambda: conv1d_derivation(5, 2, stride=4), r"stride must be at most 3"),
        (lambda: conv1d_derivation(5, 2, pad=3), r"pad must be at most 2"),
        (lambda: conv1d_derivation(10**12, 2), r"n_in must be at most 12"),
        (lambda: conv1d_derivation(0, 2), r"n_in must be an integer >= 1"),
        (lambda: conv1d_derivation(2.5, 2), r"n_in must be an integer"),
        (lambda: conv1d_derivation(True, 2), r"n_in must be an integer"),
        (lambda: conv1d_derivation("5", 2), r"n_in must be an integer"),
        (lambda: conv1d_derivation(5, 2, pad=-1), r"pad must be an integer >= 0"),
        (lambda: conv1d_derivation(2, 4), r"kernel \(4\) is larger than the padded input"),
        (lambda: conv1d_derivation(5, 2, convention="flip"), r"convention must be one of"),
        (lambda: conv1d_derivation(5, 2, names="greek"), r"names must be one of"),
        (lambda: conv1d_derivation(5, 4, names="seed"), r"kernel letters x, y, z only"),
        (lambda: conv1d_derivation(12, 1, pad=2, names="seed"), r"n_in \+ n_out must be at most 23"),
        (lambda: conv2d_derivation(7, 2), r"in_shape must be at most 6 .*LIMITS\['in_2d'\]"),
        (lambda: conv2d_derivation((6, 7), 2), r"in_shape\[1\] must be at most 6"),
        (lambda: conv2d_derivation(6, (5, 2)), r"k_shape\[0\] must be at most 4"),
        (lambda: conv2d_derivation(6, 2, n_c_in=3), r"n_c_in must be at most 2"),
        (lambda: conv2d_derivation(6, 2, n_c_out=3), r"n_c_out must be at most 2"),
        (lambda: conv2d_derivation((3, 3, 3), 2), r"in_shape must be an integer or a pair"),
        (lambda: conv2d_derivation((2, 5), (4, 2)), r"larger than the padded input height"),
        (lambda: conv2d_derivation((5, 2), (2, 4)), r"larger than the padded input width"),
    ],
)
def test_bounds_and_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_largest_seed_case_fits_the_alphabet():
    r = conv1d_derivation(12, 2, names="seed")  # inputs a..l, upstream m..w: 23 letters, none shared
    assert [str(s) for s in r.x] == list("abcdefghijkl")
    assert [str(s) for s in r.dz] == list("mnopqrstuvw")
    assert [str(s) for s in conv1d_derivation(3, 3, names="seed").w] == ["x", "y", "z"]
    assert r.verdict is True


def test_limits_are_documented_constants():
    assert LIMITS["n_in_1d"] == 12 and LIMITS["n_k_1d"] == 4
    assert LIMITS["in_2d"] == 6 and LIMITS["k_2d"] == 4 and LIMITS["channels"] == 2
    with pytest.raises(TypeError):
        LIMITS["n_in_1d"] = 100  # read-only


# --------------------------------------------------------------------------- hygiene
def test_source_never_parses_text_into_expressions():
    for banned in ("sympify", "parse_expr", "eval(", "Matrix(str", "exec("):
        assert banned not in SOURCE, banned


def test_module_never_imports_streamlit_and_lists_its_api():
    assert not re.search(r"^\s*(import|from)\s+streamlit", SOURCE, flags=re.MULTILINE)
    assert set(symbolic.__all__) == {
        "LIMITS",
        "NAMES",
        "Derivation",
        "FullForm",
        "compare_with_convcore",
        "conv1d_derivation",
        "conv2d_derivation",
        "full_correlation_form",
    }
    for name in symbolic.__all__:
        assert getattr(symbolic, name) is not None


# --- dilation and groups ------------------------------------------------------------------------------------


def test_the_classic_example_at_dilation_2_keeps_the_reversed_kernel_dilated():
    r = symbolic.conv1d_derivation(5, 2, names="seed", dilation=2)
    assert r.latex_forward() == ["Q_{0} = a x + c y", "Q_{1} = b x + d y", "Q_{2} = c x + e y"]
    # the flipped kernel appears by itself: reversed, and its hole (0) is still between the taps
    assert r.latex_array("kernel") == "\\hat{w} = \\begin{bmatrix} y & 0 & x \\end{bmatrix}"
    assert r.full.verdict and r.verdict and not r.unflipped.verdict
    c = sympy.Symbol("c")
    f, g, h = sympy.symbols("f g h")
    x, y = sympy.symbols("x y")
    assert sympy.expand(r.dx[2] - (f * y + h * x)) == 0  # dE/dc = f y + h x: c is read by Q_0 through y, Q_2 through x
    assert list(r.jacobian_column(2)) == [y, 0, x]  # dQ/dc: the reversed kernel, two apart
    assert c in r.x.tolist()


@pytest.mark.parametrize(
    ("in_shape", "k", "stride", "pad", "c_in", "c_out", "dilation", "groups"),
    [
        ((5, 5), 2, 1, 0, 1, 1, 2, 1),
        ((6, 5), (3, 2), 2, 1, 2, 2, 2, 2),  # depthwise, dilated, non-square, stride that does not divide
        ((6, 6), 2, 1, 1, 2, 2, 3, 1),
        ((5, 5), 3, 1, 2, 2, 2, 2, 2),
        ((6, 6), 2, 2, 0, 2, 2, 1, 2),
    ],
)
@pytest.mark.parametrize("convention", ["correlation", "convolution"])
def test_dilated_grouped_derivations_prove_the_flip_and_match_convcore(
    in_shape, k, stride, pad, c_in, c_out, dilation, groups, convention
):
    r = symbolic.conv2d_derivation(in_shape, k, stride, pad, c_in, c_out, convention, dilation, groups)
    assert r.verdict, "the chain rule's dx and dW equal the full forms"
    assert not r.unflipped.verdict, "without the flip the full form is wrong"
    assert r.w.shape[2] == c_in // groups
    rng = np.random.default_rng(dilation * 10 + groups)
    x = rng.integers(-3, 4, r.x.shape).astype(float)
    w = rng.integers(-3, 4, r.w.shape).astype(float)
    dz = rng.integers(-3, 4, r.dz.shape).astype(float)
    assert max(symbolic.compare_with_convcore(r, x, w, dz).values()) < 1e-12
    # with groups, the full form's kernel is block-diagonal: 0 between an input channel and another group's filters
    kern = np.asarray(r.full.kernel.tolist(), dtype=object)
    for co in range(c_out):
        for ci in range(c_in):
            if ci // (c_in // groups) != co // (c_out // groups):
                assert all(e == 0 for e in kern[..., co, ci].ravel())


def test_symbolic_dilation_limits_and_bad_groups():
    with pytest.raises(ValueError, match=r"dilation must be at most 3"):
        symbolic.conv1d_derivation(12, 2, dilation=4)
    with pytest.raises(ValueError, match=r"dilated kernel \(3 taps at dilation 3 span 7\) is larger"):
        symbolic.conv1d_derivation(6, 3, dilation=3)
    with pytest.raises(ValueError, match=r"groups=2 must divide"):
        symbolic.conv2d_derivation(4, 2, 1, 0, 2, 1, groups=2)
