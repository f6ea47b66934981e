"""The forward and flip pages, driven through app.py: what a learner would notice if it broke."""

from __future__ import annotations

import numpy as np

import convcore
from tests.apphelpers import array, assert_clean, figures, messages, open_app, texts
from tests.apphelpers import table as shown_table
from ui import presets


def _metric(at, label_start: str) -> float:
    for m in at.metric:
        if m.label.startswith(label_start):
            return float(m.value)
    raise AssertionError(f"no metric {label_start!r}")


def test_forward_animation_has_one_frame_per_output_cell_and_the_numbers_of_convcore():
    at = open_app("forward", {"h": "5", "w": "7", "stride": "2", "pad": "1", "input": "ramp"})
    assert_clean(at)
    fig = figures(at)["forward_anim"]
    A = presets.make_input("ramp", 5, 7, 1, 0)
    W = presets.make_kernel("asymmetric 1..n", 3, 3, 1, 1, 0)
    Z, _ = convcore.conv_forward(A[None], W, np.zeros((1, 1, 1, 1)), {"stride": 2, "pad": 1})
    assert len(fig["frames"]) == Z.shape[1] * Z.shape[2]  # 3 x 4 windows
    # the title of frame k quotes Z at that cell: frame 5 is (1, 1)
    assert fig["frames"][5]["layout"]["title"]["text"].endswith(f"<b>{int(Z[0, 1, 1, 0])}</b>")
    result = [array(d["z"]) for d in fig["data"] if d.get("type") == "heatmap" and array(d["z"]).shape == (3, 4)]
    assert any(np.array_equal(r, Z[0, :, :, 0]) for r in result)


def test_forward_stride_that_skips_rows_is_explained():
    at = open_app("forward", {"h": "6", "w": "6", "stride": "2"})  # (6 - 3) % 2 = 1
    assert_clean(at)
    assert any("never visited" in w for w in messages(at, "warning"))
    at = open_app("forward", {"h": "7", "w": "7", "stride": "2"})  # (7 - 3) % 2 = 0
    assert not messages(at, "warning")


def test_forward_multichannel_shows_a_row_per_input_channel_and_a_map_per_filter():
    at = open_app("forward", {"cin": "3", "cout": "2"})
    assert_clean(at)
    figs = figures(at)
    titles = [a["text"] for a in figs["forward_anim"]["layout"]["annotations"]]
    assert sum("padded input" in t for t in titles) == 3
    assert sum("filter" in a["text"] for a in figs["forward_maps"]["layout"]["annotations"]) == 2
    at.selectbox(key="filter").set_value(1).run()
    assert_clean(at)
    assert "Z[0, 0, 1]" in figures(at)["forward_anim"]["layout"]["title"]["text"]


def test_forward_true_convolution_says_the_kernel_is_rotated():
    at = open_app("forward", {"conv": "true convolution"})
    assert_clean(at)
    assert any("rot180(W)" in i for i in messages(at, "info"))
    titles = [a["text"] for a in figures(at)["forward_anim"]["layout"]["annotations"]]
    assert any(t.startswith("rot180(W)") for t in titles)


def test_flip_verdict_both_forms_agree_and_the_unrotated_one_does_not():
    at = open_app("flip", {"dz": "random integers", "stride": "2", "pad": "1", "h": "7", "w": "6"})
    assert_clean(at)
    assert _metric(at, "largest |scatter - rot180|") < 1e-9
    assert _metric(at, "largest |without rotation") > 0
    assert any("The two forms agree" in s for s in messages(at, "success"))


def test_flip_single_one_stamps_one_copy_of_the_kernel():
    at = open_app("flip", {"dz": "single 1"})
    assert_clean(at)
    at.number_input(key="dz_h").set_value(1).run()
    at.number_input(key="dz_w").set_value(2).run()
    assert_clean(at)
    verdict = figures(at)["verdict"]
    scatter = array(verdict["data"][0]["z"])
    expected = np.zeros((6, 6))
    expected[1:4, 2:5] = np.arange(1, 10).reshape(3, 3)
    assert np.array_equal(scatter, expected)


def test_flip_symmetric_kernel_gets_the_hint_to_use_the_asymmetric_one():
    at = open_app("flip", {"kernel": "blur (box)"})
    assert_clean(at)
    assert any("180-degree symmetric" in i for i in messages(at, "info"))
    assert _metric(at, "largest |without rotation") < 1e-12


def test_flip_cell_terms_read_the_kernel_backwards():
    at = open_app("flip", {"dz": "ones", "h": "5", "w": "5"})
    assert_clean(at)
    at.number_input(key="cell_y").set_value(2).run()
    at.number_input(key="cell_x").set_value(2).run()
    df = shown_table(at)
    assert len(df) == 9  # the centre of a 5x5 input is covered by all 9 windows of a 3x3 kernel
    us = [int(s.strip("()").split(",")[0]) for s in df["kernel (u, v)"]]
    assert us == sorted(us, reverse=True)
    assert "= **45**" in texts(at)  # 1 + 2 + ... + 9


def test_flip_custom_dz_of_the_wrong_size_is_refused_with_the_expected_size():
    at = open_app("flip", {"dz": "custom"})
    at.text_area(key="dz_text").set_value("1 2\n3 4").run()
    assert_clean(at)
    assert any("must be 4 x 4" in e for e in messages(at, "error"))


def test_flip_multichannel_and_true_convolution_still_agree():
    at = open_app(
        "flip",
        {
            "cin": "2",
            "cout": "3",
            "dz": "random integers",
            "conv": "true convolution",
            "stride": "3",
            "h": "8",
            "w": "7",
            "kernel": "random",
        },
    )
    assert_clean(at)
    assert _metric(at, "largest |scatter - rot180|") < 1e-9
    fig = figures(at)["rot180_anim"]
    assert sum("dZ dilated and padded" in a["text"] for a in fig["layout"]["annotations"]) == 3


def test_flip_downloads_include_a_runnable_script():
    at = open_app("flip")
    buttons = [b for b in at.get("download_button")]
    assert len(buttons) == 3
