"""The matrix view and the transposed-convolution page through the real app (AppTest), the flip page's fourth line
and the symbolic page's link: what a learner would notice if it broke. Every number is compared with convcore's.
The generic sweeps (test_hostile_inputs.py, test_deploy.py) cover these pages' controls at their extremes too."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import convcore
from tests.apphelpers import array, assert_clean, figures, messages, open_app, texts
from tests.apphelpers import table as shown_table
from ui import presets

W33 = presets.make_kernel("asymmetric 1..n", 3, 3, 1, 1, 0)  # the default kernel, 1..9
HP = {"stride": 1, "pad": 0}


def _metric(at, start: str) -> float:
    for m in at.metric:
        if m.label.startswith(start):
            return float(m.value)
    raise AssertionError(f"no metric {start!r}: {[m.label for m in at.metric]}")


def _position_traces(fig: dict) -> list[dict]:
    """The heatmaps coloured by kernel tap (Viridis): C's (or Cᵀ's) weights."""
    return [t for t in fig["data"] if t.get("type") == "heatmap" and t.get("colorscale") and t.get("zmin") == 0]


def _matrix_from(trace: dict) -> np.ndarray:
    """A matrix drawn as tap colours with its values as text (after the tap label, when there is one): the values, 0
    where the text is empty."""
    text = np.array(trace["text"], dtype=object)
    return np.vectorize(lambda s: float(s.rsplit("<br>", 1)[-1]) if s else 0.0, otypes=[float])(text)


# --- the matrix view ---------------------------------------------------------------------------------------------


def test_the_matrix_view_draws_every_figure_and_the_four_forms_agree():
    at = open_app("matrix")
    assert_clean(at)
    assert set(figures(at)) == {
        "mx_flat",
        "mx_forward",
        "mx_backward",
        "mx_row",
        "mx_verdict",
        "mx_gemm_forward",
        "mx_gemm_backward",
        "mx_col2im",
    }
    assert not messages(at, "error") and not messages(at, "warning")
    for label in ("largest |Cᵀ·dZ − scatter|", "largest |Cᵀ·dZ − rot180|", "largest |Cᵀ·dZ − conv_transpose2d"):
        assert _metric(at, label) < 1e-9
    assert any(
        m.startswith("Cᵀ·dZ, the scatter form, the rot180 form and conv_transpose2d") for m in messages(at, "success")
    )
    assert "C is therefore **16 x 36**" in texts(at)


def test_the_drawn_C_is_convcores_and_its_colours_are_the_taps():
    at = open_app("matrix")
    fig = figures(at)["mx_forward"]
    (weights,) = _position_traces(fig)
    np.testing.assert_array_equal(_matrix_from(weights), convcore.conv_matrix((6, 6, 1), W33, HP))
    taps = array(weights["z"])
    expected = convcore.conv_matrix_taps((6, 6, 1), W33.shape, HP)
    np.testing.assert_array_equal(np.nan_to_num(taps, nan=-1), expected)
    # z, the column at the right, is C a: the forward pass's output, flattened
    A = presets.make_input("random integers", 6, 6, 1, 0)
    Z, _ = convcore.conv_forward(A[None], W33, np.zeros((1, 1, 1, 1)), HP)
    z = [t for t in fig["data"] if t.get("type") == "heatmap" and t.get("x0") == 36 + 1]
    np.testing.assert_array_equal(array(z[0]["z"]).ravel(), Z[0].ravel())


def test_the_followed_input_cells_row_of_C_transposed_is_the_kernel_reversed():
    """The default cell is the one most windows reach: (2, 2) of a 6 x 6 input, all nine taps, weights 9 .. 1."""
    at = open_app("matrix")
    table = shown_table(at)
    assert list(pd.to_numeric(table["weight"])) == [9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert list(table["tap (u, v)"])[0] == "(2, 2)" and list(table["tap (u, v)"])[-1] == "(0, 0)"
    assert "**reversed**" in texts(at)
    row = figures(at)["mx_row"]
    strip = _position_traces(row)[0]
    C = convcore.conv_matrix((6, 6, 1), W33, HP)
    q = 2 * 6 + 2
    np.testing.assert_array_equal(_matrix_from(strip).ravel(), C[:, q])  # the row of Cᵀ, as the core built it
    # the outlined row of Cᵀ is that input cell: an orange rectangle around row q
    backward = figures(at)["mx_backward"]
    outlines = [t for t in backward["data"] if t.get("type") == "scatter"]
    assert any(min(t["y"]) == q - 0.5 and max(t["y"]) == q + 0.5 for t in outlines)


def test_picking_another_input_cell_moves_the_outline_and_rewrites_the_row():
    at = open_app("matrix")
    at.number_input(key="mx_y").set_value(0).run()
    at.number_input(key="mx_x").set_value(0).run()
    assert_clean(at)
    assert "Only one window reaches this cell, through W[0, 0]" in texts(at)
    forward = figures(at)["mx_forward"]
    outlines = [t for t in forward["data"] if t.get("type") == "scatter"]
    assert any(min(t["x"]) == -0.5 and max(t["x"]) == 0.5 for t in outlines)  # column 0 of C


def test_stride_two_with_two_channels():
    at = open_app("matrix", {"stride": "2", "cin": "2", "dz": "random integers"})
    assert_clean(at)
    (C_drawn,) = _position_traces(figures(at)["mx_forward"])
    assert array(C_drawn["z"]).shape == (4, 72)  # 2 x 2 x 1 outputs, 6 x 6 x 2 inputs
    W = presets.make_kernel("asymmetric 1..n", 3, 3, 2, 1, 0)
    np.testing.assert_array_equal(_matrix_from(C_drawn), convcore.conv_matrix((6, 6, 2), W, {"stride": 2, "pad": 0}))
    assert list(shown_table(at)["tap (u, v)"]) == ["(2, 2)", "(2, 0)", "(0, 2)", "(0, 0)"]  # every s-th tap
    assert any("cover count alternates" in m for m in [x.value for x in at.markdown])
    verdict = figures(at)["mx_verdict"]
    dZ = presets.make_dz("random integers", 2, 2, 1, 0)
    dA = convcore.grad_input_matrix((1, 6, 6, 2), W, dZ[None], {"stride": 2, "pad": 0})[0, :, :, 0]
    for k in range(4):  # Cᵀ dZ, scatter, rot180, conv_transpose2d: each panel is the same array
        np.testing.assert_allclose(array(verdict["data"][k]["z"]), dA, atol=1e-12)


def test_under_true_convolution_the_two_flips_cancel_in_the_row():
    at = open_app("matrix", {"conv": "true convolution"})
    assert_clean(at)
    assert list(pd.to_numeric(shown_table(at)["weight"])) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert "the two flips cancel" in texts(at)


def test_dilation_and_groups_on_the_matrix_view():
    at = open_app("matrix", {"cin": "2", "cout": "2", "groups": "2", "dilation": "2", "h": "7", "w": "7"})
    assert_clean(at)
    assert any(m.startswith("Cᵀ·dZ, the scatter form") for m in messages(at, "success"))
    assert "block-diagonal" in texts(at)


def test_a_matrix_too_large_to_draw_is_still_computed_and_one_too_large_to_build_is_refused():
    at = open_app("matrix", {"h": "16", "w": "16"})  # C is 196 x 256 = 50,176 entries: built, not drawn
    assert_clean(at)
    assert any("too many to draw here" in m for m in messages(at, "info"))
    assert "mx_forward" not in figures(at) and "mx_verdict" in figures(at)
    assert _metric(at, "largest |Cᵀ·dZ − scatter|") < 1e-9
    at = open_app("matrix", {"h": "32", "w": "32", "cin": "4", "cout": "4"})
    assert_clean(at)
    (warning,) = messages(at, "warning")
    assert warning.startswith("C would be 3,600 x 4,096 = 14,745,600 entries")
    assert "mx_verdict" not in figures(at) and "mx_col2im" in figures(at)  # im2col still works


@pytest.mark.parametrize("value", ["-1", "99", "abc", "1e999", "<script>"])
def test_hostile_input_cell_values_in_the_url_open_at_the_default_with_a_notice(value):
    at = open_app("matrix", {"mx_y": value, "mx_x": "2"})
    assert_clean(at)
    assert at.number_input(key="mx_y").value == 2
    toasts = [t.proto.body for t in at.get("toast")]
    assert toasts and "`mx_y`" in toasts[0]


def test_a_link_reopens_the_followed_cell():
    at = open_app("matrix", {"mx_y": "1", "mx_x": "3", "stride": "2"})
    assert_clean(at)
    assert at.number_input(key="mx_y").value == 1 and at.number_input(key="mx_x").value == 3
    assert "q = 9 (A_prev[1, 3])" in texts(at)


# --- the transposed convolution ----------------------------------------------------------------------------------


def test_the_transposed_page_draws_every_figure_and_ties_itself_to_the_flip_page():
    at = open_app("transposed")
    assert_clean(at)
    assert set(figures(at)) == {"tx_stamp", "tx_output", "tx_checkerboard", "tx_backward"}
    assert any(
        m.startswith("**The flip page's scatter form is this layer's forward.**") for m in messages(at, "success")
    )
    assert _metric(at, "largest |dX − dY ⋆ W|") < 1e-9
    assert "no flip" in texts(at) and "the convolution's own weight" in texts(at)
    links = [el.proto.page for el in at.get("page_link")]
    assert any("flip" in link for link in links) and any("matrix" in link for link in links)


def test_the_transposed_output_is_convcores_with_output_padding():
    at = open_app("transposed", {"stride": "2", "tx_op": "1", "tx_x": "random integers"})
    assert_clean(at)
    X = presets.make_dz("random integers", 3, 3, 1, 0)
    Y, _ = convcore.conv_transpose_forward(
        X[None], W33, np.zeros((1, 1, 1, 1)), {"stride": 2, "pad": 0, "output_padding": 1}
    )
    assert Y.shape == (1, 8, 8, 1)  # (3 - 1) 2 + 2 + 1 + 1
    np.testing.assert_array_equal(array(figures(at)["tx_output"]["data"][0]["z"]), Y[0, :, :, 0])
    latex = "\n".join(x.value for x in at.latex)
    assert "L_H = (3 - 1)\\cdot2 - 2\\cdot0 + 1\\cdot(3 - 1) + 1 + 1 = 8" in latex
    # one stamp per cell of X, and the last frame's running total is the padded output
    stamp = figures(at)["tx_stamp"]
    assert len(stamp["frames"]) == 9


def test_a_single_one_stamps_one_copy_of_the_kernel_as_in_d2l():
    """d2l's example kernel [[0, 1], [2, 3]] at stride 2: a 1 at X[1, 1] puts the kernel at rows and columns 2..3."""
    query = {"kernel": "custom", "kernel_text": "0 1\n2 3", "stride": "2", "tx_h": "2", "tx_w": "2", "tx_x": "single 1"}
    at = open_app("transposed", query)
    assert_clean(at)
    Y = array(figures(at)["tx_output"]["data"][0]["z"])
    expected = np.zeros((4, 4))
    expected[2:, 2:] = [[0, 1], [2, 3]]
    np.testing.assert_array_equal(Y, expected)


def test_output_padding_and_the_size_table():
    at = open_app("transposed", {"stride": "2"})
    table = shown_table(at)
    assert list(pd.to_numeric(table["output_padding"])) == [0, 1]
    assert list(table["Y size"]) == ["7 x 7", "8 x 8"] and list(table["a convolution of it gives"]) == ["3 x 3"] * 2
    assert "s different input sizes give the same output size" in texts(at)


def test_output_padding_past_pytorchs_rule_is_refused_and_an_empty_output_too():
    at = open_app("transposed", {"tx_op": "1"})  # stride 1, dilation 1: output_padding must be 0
    assert_clean(at)
    (error,) = messages(at, "error")
    assert "output_padding must be smaller than the stride or the dilation (here max(1, 1) = 1)" in error
    assert not figures(at)
    at.sidebar.number_input(key="stride").set_value(2).run()
    assert_clean(at)
    assert not messages(at, "error") and figures(at)
    at = open_app("transposed", {"tx_h": "1", "tx_w": "1", "kh": "1", "kw": "1", "pad": "1"})
    assert_clean(at)
    (error,) = messages(at, "error")
    assert "has no output" in error and "the padding crops away everything" in error
    # shown as it is: its arithmetic's "*" escaped, or Markdown turns "(1 - 1)*1 - 2*1" into "(1 - 1)1 - 21" in italics
    assert r"(1 \- 1)\*1 \- 2\*1 \+ 1\*(1 \- 1)" in error.replace("\\(", "(").replace("\\)", ")")


def test_the_transposed_page_needs_the_sidebars_kernel_not_its_input():
    """A kernel larger than the sidebar's input blocks the convolution pages, not this one: X is its input."""
    at = open_app("transposed", {"h": "3", "w": "3", "kh": "5", "kw": "5", "kernel": "random"})
    assert_clean(at)
    assert not messages(at, "error") and "tx_output" in figures(at)
    assert array(figures(at)["tx_output"]["data"][0]["z"]).shape == (7, 7)  # (3 - 1) + 4 + 1
    at = open_app("transposed", {"kernel": "custom", "kernel_text": "1 2\n3 4", "cin": "2", "cout": "2"})
    at.sidebar.text_area(key="kernel_text").set_value("1 0\n0 1 | 2 2\n2 2 | 1 1\n1 1").run()  # 3 matrices for 4
    assert_clean(at)
    assert any("The custom kernel has 3 matrices" in m for m in messages(at, "error"))
    assert not figures(at)


def test_the_checkerboard_kernel_3_versus_kernel_4():
    at = open_app("transposed", {"tx_h": "4", "tx_w": "4"})
    fig = figures(at)["tx_checkerboard"]
    k3, k4 = array(fig["data"][0]["z"]), array(fig["data"][1]["z"])
    np.testing.assert_array_equal(k3[3], [1, 1, 2, 1, 2, 1, 2, 1, 1])
    np.testing.assert_array_equal(k3[4], [2, 2, 4, 2, 4, 2, 4, 2, 2])
    np.testing.assert_array_equal(k4[2:-2, 2:-2], 4)  # 1 1 2 2 2 2 2 2 1 1 along an axis: even inside
    assert "**a checkerboard**" in texts(at)


def test_the_backward_pass_is_convcores_and_a_plain_correlation():
    at = open_app("transposed", {"stride": "2", "tx_op": "1", "tx_dy": "random integers"})
    assert_clean(at)
    X = presets.make_dz("ones", 3, 3, 1, 0)
    hp = {"stride": 2, "pad": 0, "output_padding": 1}
    _, cache = convcore.conv_transpose_forward(X[None], W33, np.zeros((1, 1, 1, 1)), hp)
    dY = presets.make_dz("random integers", 8, 8, 1, 0)
    dX, _, _ = convcore.conv_transpose_backward(dY[None], cache)
    fig = figures(at)["tx_backward"]
    np.testing.assert_array_equal(array(fig["data"][0]["z"]), dY[:, :, 0])
    np.testing.assert_allclose(array(fig["data"][1]["z"]), dX[0, :, :, 0])
    Z, _ = convcore.conv_forward(dY[None], W33, np.zeros((1, 1, 1, 1)), {"stride": 2, "pad": 0})
    np.testing.assert_allclose(array(fig["data"][2]["z"]), Z[0, :, :, 0])  # the correlation: no flip
    assert _metric(at, "largest |dX − dY ⋆ W|") < 1e-9


def test_dilation_groups_and_output_padding_below_a_larger_dilation():
    query = {"cin": "2", "cout": "2", "groups": "2", "dilation": "3", "h": "9", "w": "9", "tx_op": "2"}
    at = open_app("transposed", query)
    assert_clean(at)
    assert not messages(at, "error")
    assert any("allowed below the dilation" in m for m in messages(at, "info"))  # op 2 >= stride 1
    assert _metric(at, "largest |dX − dY ⋆ W|") < 1e-9


@pytest.mark.parametrize(
    "query", [{"tx_op": "9"}, {"tx_h": "0"}, {"tx_h": "1e999"}, {"tx_x": "<script>"}, {"tx_dy": "x"}]
)
def test_hostile_values_for_the_transposed_controls_open_at_defaults_with_a_notice(query):
    at = open_app("transposed", query)
    assert_clean(at)
    key = next(iter(query))
    toasts = [t.proto.body for t in at.get("toast")]
    assert toasts and f"`{key}`" in toasts[0]
    assert figures(at)


# --- the flip page's fourth line, the symbolic page's link, the home page -----------------------------------------


def test_the_flip_page_names_conv_transpose2d_with_its_output_padding():
    at = open_app("flip", {"stride": "2", "dz": "random integers"})  # (6 - 3) % 2 = 1: output_padding 1
    assert_clean(at)
    assert _metric(at, "largest |conv_transpose2d(dZ, W) - scatter|") < 1e-9
    body = texts(at)
    assert "**conv_transpose2d(dZ, W): what PyTorch calls it.**" in body and "output_padding = 1" in body
    assert any(
        m.startswith("The two forms agree, and conv_transpose2d(dZ, W) with them") for m in messages(at, "success")
    )
    links = [el.proto.page for el in at.get("page_link")]
    assert any("matrix" in link for link in links) and any("transposed" in link for link in links)


def test_the_flip_page_gives_a_pair_of_output_paddings_for_a_non_square_input():
    at = open_app("flip", {"stride": "2", "h": "6", "w": "7"})  # (6 - 3) % 2 = 1, (7 - 3) % 2 = 0
    assert_clean(at)
    assert "output_padding = (1, 0)" in texts(at)


def test_the_symbolic_jacobian_is_C_and_links_to_the_matrix_view():
    at = open_app("symbolic")
    assert_clean(at)
    assert "This Jacobian is the convolution matrix **C** of the matrix view" in texts(at)
    assert any("matrix" in el.proto.page for el in at.get("page_link"))


def test_home_links_both_new_pages():
    at = open_app()
    links = [el.proto.page for el in at.get("page_link")]
    assert any("matrix" in link for link in links) and any("transposed" in link for link in links)
