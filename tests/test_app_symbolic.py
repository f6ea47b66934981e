"""The symbolic derivation page, driven through app.py: the seed's letters, SymPy's verdicts, the numeric check."""

from __future__ import annotations

import re

import pandas as pd

import convcore
from tests.apphelpers import assert_clean, messages, open_app
from tests.apphelpers import table as shown_table
from ui import presets

TWO_D = {
    "sym_dim": "2D",
    "sym_sidebar": "false",
    "sym_h": "4",
    "sym_w": "5",
    "sym_kh": "3",
    "sym_kw": "2",
    "sym_stride": "2",
    "sym_pad": "1",
    "sym_cin": "2",
    "sym_cout": "2",
}


def _latex(at) -> list[str]:
    return [str(x.value) for x in at.latex]


def _differences(at) -> dict[str, float]:
    df = shown_table(at)
    return dict(zip(df["quantity"], pd.to_numeric(df["largest |symbolic - convcore|"]), strict=True))


def _verdicts(at) -> list[str]:
    return [m for m in messages(at, "success") if m.startswith("SymPy: identical for every input")]


def test_default_is_the_seed_example_and_reproduces_its_answer():
    at = open_app("symbolic")
    assert_clean(at)
    latex = "\n".join(_latex(at))
    assert "L = \\begin{bmatrix} a & b & c & d & e \\end{bmatrix}" in latex
    assert "w = \\begin{bmatrix} x & y \\end{bmatrix}" in latex
    assert "Q_{0} = a x + b y" in latex and "Q_{3} = d x + e y" in latex
    # dQ/dc = [0 y x 0]: the kernel reversed, highlighted as a column of the Jacobian
    assert "\\frac{\\partial Q}{\\partial c} = \\begin{bmatrix} 0 & y & x & 0 \\end{bmatrix}" in latex
    table = next(t for t in _latex(at) if "\\hline" in t)
    assert re.findall(r"\\color\{[^}]+\}\{(\w+)\}", table) == ["c", "0", "y", "x", "0"]
    assert "\\frac{\\partial E}{\\partial c} = g y + h x" in latex
    assert "\\hat{w} = \\begin{bmatrix} y & x \\end{bmatrix}" in latex  # the seed's [y x]
    assert len(_verdicts(at)) == 2  # dE/dx and dE/dW
    assert "for all 5 entries" in _verdicts(at)[0]
    assert any("Without the flip: not identical" in w and "5 of 5" in w for w in messages(at, "warning"))


def test_numeric_check_substitutes_the_sidebars_numbers_and_matches_convcore():
    at = open_app("symbolic")
    assert_clean(at)
    diffs = _differences(at)
    assert set(diffs) == {"z", "dx_scatter", "dx_rot180", "dw"}
    assert max(diffs.values()) < 1e-9
    # dE/dc = g y + h x: y from row 0 of the sidebar's default kernel, g and h from the flip page's random dZ
    w = presets.make_kernel("asymmetric 1..n", 3, 3, 1, 1, 0)[0, :2, 0, 0]
    dz = presets.make_dz("random integers", 1, 4, 1, 0)[0, :, 0]
    expected = convcore.conv1d_grad_input_scatter(5, w, dz)[2]
    entry = next(
        t.strip("$\n") for t in _latex(at) if t.strip("$\n").startswith("\\frac{\\partial E}{\\partial c} = g")
    )
    assert "\\cdot" in entry and entry.endswith(f"= {int(expected)}")
    assert any(f"gives {int(expected)} for c" in c.value for c in at.caption)
    at.radio(key="sym_numbers").set_value("random integers").run()
    assert_clean(at)
    assert max(_differences(at).values()) < 1e-9


def test_choosing_another_input_moves_the_highlighted_column():
    at = open_app("symbolic")
    at.selectbox(key="sym_col").set_value("b").run()
    assert_clean(at)
    latex = "\n".join(_latex(at))
    assert "\\frac{\\partial Q}{\\partial b} = \\begin{bmatrix} y & x & 0 & 0 \\end{bmatrix}" in latex
    assert "= f y + g x" in latex  # the seed: dE/db = fy + gx
    at = open_app("symbolic", {"sym_col": "d"})  # a link names the input
    assert "\\frac{\\partial Q}{\\partial d} = \\begin{bmatrix} 0 & 0 & y & x \\end{bmatrix}" in "\n".join(_latex(at))


def test_switching_to_2d_derives_the_sidebars_layer():
    at = open_app("symbolic", {"h": "5", "w": "4", "stride": "2", "pad": "1"})
    at.radio(key="sym_dim").set_value("2D").run()
    assert_clean(at)
    assert any("input 5x4, kernel 3x3, stride 2, pad 1" in c.value for c in at.caption)
    assert any("the sidebar's input and kernel" in c.value for c in at.caption)
    assert len(_verdicts(at)) == 2
    assert "for all 20 entries" in _verdicts(at)[0]
    diffs = _differences(at)
    assert set(diffs) == {"z", "dx_scatter", "dx_rot180", "dw", "db"} and max(diffs.values()) < 1e-9


def test_a_sidebar_layer_past_the_limits_is_explained_and_the_page_sizes_take_over():
    at = open_app("symbolic", {"sym_dim": "2D", "h": "8"})
    assert_clean(at)
    assert any("input height 8 > 6" in i for i in messages(at, "info"))
    assert at.number_input(key="sym_h").value == 4
    assert len(_verdicts(at)) == 2


def test_query_params_reopen_a_2d_layer_with_stride_padding_and_channels():
    at = open_app("symbolic", TWO_D)
    assert_clean(at)
    assert at.radio(key="sym_dim").value == "2D"
    assert at.toggle(key="sym_sidebar").value is False
    assert [at.number_input(key=k).value for k in ("sym_h", "sym_w", "sym_kh", "sym_kw")] == [4, 5, 3, 2]
    assert not at.get("toast")  # every value of the link was used
    latex = "\n".join(_latex(at))
    assert "n_H = 1 + " in latex and "= 2 \\qquad" in latex  # 1 + (4 + 2 - 3) // 2
    assert "\\frac{\\partial E}{\\partial b^{(1)}}" in latex
    assert "\\hat{w}^{(0,1)}" in latex.replace("{\\hat{w}}", "\\hat{w}")  # channel axes swapped
    assert len(_verdicts(at)) == 2
    assert any("Without the flip: not identical" in w for w in messages(at, "warning"))
    # the sidebar has one channel: the numbers are random integers, and the page says why
    assert any("do not fit" in i for i in messages(at, "info"))
    assert max(_differences(at).values()) < 1e-9


def test_bad_input_is_answered_with_an_error_not_an_exception():
    at = open_app("symbolic", {"sym_n": "1", "sym_k": "3"})
    assert_clean(at)
    errors = messages(at, "error")
    assert len(errors) == 1 and "larger than the padded input" in errors[0]
    assert not _verdicts(at)
    at.number_input(key="sym_pad").set_value(1).run()  # 1 + 2 = 3: now the kernel fits
    assert_clean(at)
    assert not messages(at, "error") and len(_verdicts(at)) == 2


def test_seed_letters_run_out_with_a_hint_to_use_indexed_names():
    at = open_app("symbolic")
    at.number_input(key="sym_k").set_value(4).run()
    assert_clean(at)
    assert any("indexed" in e for e in messages(at, "error"))
    at.radio(key="sym_names").set_value("indexed").run()
    assert_clean(at)
    assert not messages(at, "error")
    assert any("x_{0} w_{0}" in t for t in _latex(at))


def test_true_convolution_from_the_sidebar_cancels_the_flip():
    at = open_app("symbolic", {"conv": "true convolution"})
    assert_clean(at)
    assert any("true convolution" in c.value for c in at.caption)
    latex = "\n".join(_latex(at))
    assert "Q_{0} = a y + b x" in latex  # the forward pass reverses the kernel
    assert "\\hat{w} = \\begin{bmatrix} x & y \\end{bmatrix}" in latex  # ... so the backward one uses it as written
    assert len(_verdicts(at)) == 2
    assert max(_differences(at).values()) < 1e-9


def test_a_one_entry_kernel_makes_the_flip_invisible_and_the_page_says_so():
    at = open_app("symbolic", {"sym_k": "1"})
    assert_clean(at)
    assert any("reversal changes nothing" in i for i in messages(at, "info"))
    assert not messages(at, "warning")


def test_the_largest_2d_layer_is_derived_and_checked():
    query = {**TWO_D, "sym_h": "6", "sym_w": "6", "sym_kh": "4", "sym_kw": "4", "sym_stride": "1", "sym_pad": "2"}
    at = open_app("symbolic", query)
    assert_clean(at)
    assert "for all 72 entries" in _verdicts(at)[0]
    assert max(_differences(at).values()) < 1e-9


def test_sizes_past_the_limits_in_a_link_are_dropped_with_a_notice_not_derived():
    at = open_app("symbolic", {"sym_n": "500", "sym_k": "zzz", "sym_stride": "9"})
    assert_clean(at)
    assert [at.number_input(key=k).value for k in ("sym_n", "sym_k", "sym_stride")] == [5, 2, 1]
    toasts = [t.proto.body for t in at.get("toast")]
    assert toasts and all(f"`{key}`" in toasts[0] for key in ("sym_n", "sym_k", "sym_stride"))
    assert len(_verdicts(at)) == 2  # the seed example, at the defaults
