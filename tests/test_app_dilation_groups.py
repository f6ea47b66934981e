"""Dilation and groups through the real app (AppTest): the sidebar controls, what each page draws and says with
them, links that carry them, and hostile values for them in the URL. The generic tests in test_hostile_inputs.py
also sweep these controls (they find every widget at run time)."""

from __future__ import annotations

import numpy as np
import pytest

import convcore
from tests.apphelpers import array, assert_clean, figures, messages, open_app, open_share_link, texts

PAGES = ["forward", "flip", "weights", "symbolic", "pooling"]


def _groups_options(at) -> list[str] | None:
    box = [s for s in at.sidebar.selectbox if s.key == "groups"]
    return box[0].options if box else None


def test_groups_offers_only_the_divisors_of_both_channel_counts():
    assert _groups_options(open_app("forward")) is None  # one channel each way: nothing to choose
    assert _groups_options(open_app("forward", {"cin": "4", "cout": "2"})) == ["1", "2"]
    assert _groups_options(open_app("forward", {"cin": "4", "cout": "4"})) == ["1", "2", "4"]
    assert _groups_options(open_app("forward", {"cin": "3", "cout": "4"})) is None  # gcd 1
    at = open_app("forward", {"cin": "3", "cout": "3", "groups": "3"})
    assert "Depthwise" in "\n".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_at_dilation_and_depthwise(page):
    for query in ({"dilation": "2", "h": "7", "w": "7"}, {"cin": "3", "cout": "3", "groups": "3", "dilation": "2"}):
        at = open_app(page, query)
        assert_clean(at)
        assert not messages(at, "error"), (page, query, messages(at, "error"))
        assert figures(at) or page == "symbolic"


def test_forward_page_draws_the_window_with_holes_and_the_formula_with_d():
    at = open_app("forward", {"dilation": "2", "h": "7", "w": "7"})
    assert_clean(at)
    latex = "\n".join(x.value for x in at.latex)
    assert "d\\,(f_H - 1) - 1" in latex and "2\\cdot2 - 1" in latex and "= 3" in latex  # 1 + (7 - 4 - 1) // 1
    fig = figures(at)["forward_anim"]
    window = fig["data"][fig["frames"][0]["traces"][0]]
    xs = [v for v in window["x"] if v is not None]
    assert len(xs) == 9 * 5  # nine taps, one closed square each (the holes are not outlined)
    assert sorted({round(v + 0.45) for v in xs[::5]}) == [0, 2, 4]  # taps in columns 0, 2 and 4 of the span
    assert any("dash" in (t.get("line") or {}) for t in fig["data"])  # the dashed outline of the whole span
    assert "holes" in texts(at)


def test_forward_page_greys_out_the_channels_of_other_groups():
    at = open_app("forward", {"cin": "4", "cout": "2", "groups": "2", "filter": "1"})
    assert_clean(at)
    titles = [a["text"] for a in figures(at)["forward_anim"]["layout"]["annotations"]]
    assert sum("not read by filter 1" in t for t in titles) == 2  # channels 0 and 1 belong to group 0
    assert "reads input channels 2 to 3 only" in texts(at)
    assert "W has shape (3, 3, 2, 2)" in texts(at)


def test_flip_page_agrees_with_dilation_and_groups_and_keeps_the_holes():
    query = {"cin": "2", "cout": "4", "groups": "2", "dilation": "2", "h": "7", "w": "7", "kernel": "random"}
    at = open_app("flip", query | {"cin_shown": "1"})
    assert_clean(at)
    assert any(m.startswith("The two forms agree") for m in messages(at, "success"))
    assert "the rotated kernel keeps its holes" in texts(at)
    fig = figures(at)["rot180_anim"]
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert sum("rot180(dilated W)" in t for t in titles) == 2  # input channel 1 meets its group's 2 filters
    kernel = [t for t in fig["data"] if t.get("type") == "heatmap" and t.get("colorscale") and t.get("xgap") == 2]
    z = array(kernel[0]["z"])
    assert z.shape == (5, 5)  # the 3x3 kernel at dilation 2 spans 5x5
    assert np.isnan(z[1::2]).all() and np.isnan(z[:, 1::2]).all() and not np.isnan(z[::2, ::2]).any()  # the holes
    # the cell-terms table adds up to the gradient, whose value the scatter form computed
    assert "= dA_prev_pad[" in texts(at)


def test_flip_page_exports_a_script_that_passes_dilation_and_groups():
    at = open_app("flip", {"cin": "2", "cout": "2", "groups": "2", "dilation": "2", "h": "6", "w": "6"})
    assert_clean(at)
    assert len(list(at.get("download_button"))) == 3


def test_weights_page_draws_only_the_pairs_that_meet():
    at = open_app("weights", {"cin": "4", "cout": "4", "groups": "2"})
    assert_clean(at)
    panels = [a["text"] for a in figures(at)["dw_panels"]["layout"]["annotations"] if a["text"].startswith("dW[")]
    assert len(panels) == 8  # 4 x 4 / 2
    assert any("8 of the 16 (c_in, c_out) pairs" in m for m in messages(at, "info"))
    # a pair from different groups is refused with a sentence, and the first in-group filter is shown
    at = open_app("weights", {"cin": "4", "cout": "4", "groups": "2", "cin_shown": "0", "filter": "3"})
    assert any("different groups" in m for m in messages(at, "info"))
    assert any(m.startswith("The correlation form equals") for m in messages(at, "success"))


def test_weights_page_says_the_input_is_read_with_holes():
    at = open_app("weights", {"dilation": "2", "stride": "2", "h": "9", "w": "9"})
    assert_clean(at)
    latex = "\n".join(x.value for x in at.latex)
    assert "2u + 2h" in latex and "2v + 2w" in latex
    assert "with holes" in texts(at) and "spread by the stride" in texts(at)


def test_symbolic_page_derives_a_dilated_layer():
    at = open_app("symbolic", {"sym_dilation": "2"})
    assert_clean(at)
    latex = "\n".join(x.value for x in at.latex)
    assert "a x + c y" in latex  # the classic example at dilation 2
    assert "\\hat{w} = \\begin{bmatrix} y & 0 & x \\end{bmatrix}" in latex  # reversed, still dilated
    assert any("identical for every input" in m for m in messages(at, "success"))


def test_symbolic_page_takes_a_grouped_sidebar_layer_or_says_why_not():
    at = open_app("symbolic", {"sym_dim": "2D", "cin": "2", "cout": "2", "groups": "2", "dilation": "2", "h": "5"})
    assert_clean(at)
    assert "2 groups (depthwise)" in texts(at) and "dilation 2" in texts(at)
    assert not messages(at, "error")
    at = open_app("symbolic", {"sym_dim": "2D", "cin": "4", "cout": "4", "groups": "2", "h": "5", "w": "5"})
    assert any("2 groups over 4 -> 4 channels" in m for m in messages(at, "info"))


def test_a_link_reopens_dilation_and_groups():
    at = open_app("forward", {"cin": "2", "cout": "2"})
    at.sidebar.number_input(key="dilation").set_value(2).run()
    at.sidebar.selectbox(key="groups").set_value("2").run()
    assert_clean(at)
    link = open_share_link(at)[0]
    assert "dilation=2" in link and "groups=2" in link
    again = open_app("forward", {"cin": "2", "cout": "2", "dilation": "2", "groups": "2"})
    assert again.sidebar.number_input(key="dilation").value == 2 and again.sidebar.selectbox(key="groups").value == "2"


@pytest.mark.parametrize(
    "query",
    [
        {"dilation": "0"},
        {"dilation": "9"},
        {"dilation": "abc"},
        {"dilation": "1e999"},
        {"cin": "4", "cout": "4", "groups": "3"},  # not a divisor
        {"cin": "4", "cout": "4", "groups": "-1"},
        {"cin": "4", "cout": "4", "groups": "<script>"},
        {"cin": "2", "cout": "2", "groups": "8"},
    ],
)
def test_hostile_dilation_and_groups_in_the_url_open_at_defaults_with_a_notice(query):
    at = open_app("flip", query)
    assert_clean(at)
    key = "dilation" if "dilation" in query else "groups"
    assert at.sidebar.number_input(key="dilation").value == 1
    options = _groups_options(at)
    assert options is None or at.sidebar.selectbox(key="groups").value == "1"
    toasts = [t.proto.body for t in at.get("toast")]
    assert toasts and f"`{key}`" in toasts[0]
    assert any(m.startswith("The two forms agree") for m in messages(at, "success"))


def test_changing_the_channels_under_a_chosen_group_count_never_breaks():
    at = open_app("flip", {"cin": "4", "cout": "4", "groups": "4"})
    assert_clean(at)
    for cin in (2, 3, 1, 4):  # 4 groups stop being offered, then come back
        at.sidebar.number_input(key="cin").set_value(cin).run()
        assert_clean(at)
        assert any(m.startswith("The two forms agree") for m in messages(at, "success")), cin


def test_a_kernel_too_large_once_dilated_is_a_clear_message():
    at = open_app("flip", {"h": "5", "w": "5", "dilation": "3"})  # 3 taps at dilation 3 span 7 > 5
    assert_clean(at)
    assert any("3 taps at dilation 3 span 7 cells" in m for m in messages(at, "error"))
    at.sidebar.number_input(key="pad").set_value(1).run()  # 5 + 2 = 7: it fits
    assert_clean(at)
    assert not messages(at, "error")


def test_the_pages_numbers_are_convcores():
    """The verdict figure's arrays on the flip page are convcore's dA_prev for the same configuration."""
    q = {"cin": "2", "cout": "2", "groups": "2", "dilation": "2", "h": "6", "w": "6", "dz": "random integers"}
    at = open_app("flip", q)
    fig = figures(at)["verdict"]
    shown = array(fig["data"][0]["z"])
    # rebuild the kernel and dZ the controls built (presets are deterministic); the input does not enter dA_prev
    from ui import presets

    W = presets.make_kernel("asymmetric 1..n", 3, 3, 1, 2, 0)
    dZ = presets.make_dz("random integers", 2, 2, 2, 0)
    dA = convcore.grad_input_scatter((1, 6, 6, 2), W, dZ[None], {"stride": 1, "pad": 0, "dilation": 2, "groups": 2})
    np.testing.assert_allclose(shown, dA[0, :, :, 0])
