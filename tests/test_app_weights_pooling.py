"""The dW / db page and the pooling page, driven through app.py: what a learner would notice if it broke."""

from __future__ import annotations

import numpy as np
import pandas as pd

import convcore
from tests.apphelpers import array, assert_clean, figures, messages, open_app, texts
from tests.apphelpers import table as shown_table
from ui import presets


def _metric(at, label_start: str) -> float:
    for m in at.metric:
        if m.label.startswith(label_start):
            return float(m.value)
    raise AssertionError(f"no metric {label_start!r}")


def _heatmaps(spec: dict) -> list[np.ndarray]:
    return [array(d["z"]) for d in spec["data"] if d.get("type") == "heatmap"]


def _titles(spec: dict) -> list[str]:
    return [a["text"] for a in spec["layout"].get("annotations", [])]


# --- dW and db ------------------------------------------------------------------------------------------------


def test_weights_default_renders_with_the_verdict():
    at = open_app("weights")
    assert_clean(at)
    assert {"dw_panels", "dw_anim", "db_sums"} <= set(figures(at))
    assert _metric(at, "largest |correlation - loop accumulation|") < 1e-9
    assert _metric(at, "largest |correlation - convcore.grad_weight|") < 1e-9
    assert any("equals the course's per-window accumulation" in s for s in messages(at, "success"))
    assert "1 x 1 = 1 panel" in texts(at)


def test_weights_one_panel_per_channel_pair_with_the_numbers_of_grad_weight():
    query = {"cin": "3", "cout": "2", "stride": "2", "pad": "1", "h": "7", "w": "6", "kernel": "random"}
    at = open_app("weights", {**query, "dz": "random integers"})
    assert_clean(at)
    assert "3 x 2 = 6 panels" in texts(at)
    spec = figures(at)["dw_panels"]
    assert sum(t.startswith("dW[:, :,") for t in _titles(spec)) == 6
    A = presets.make_input("random integers", 7, 6, 3, 0)
    dZ = presets.make_dz("random integers", 4, 3, 2, 0)  # n_H = 1 + (7 + 2 - 3) // 2 = 4, n_W = 1 + (6 + 2 - 3) // 2
    dW = convcore.grad_weight(A[None], (3, 3, 3, 2), dZ[None], 2, 1)
    panels = _heatmaps(spec)
    assert len(panels) == 6
    for k, z in enumerate(panels):  # row c_in, column c_out
        assert np.allclose(z, dW[:, :, k // 2, k % 2])
    # db: one sum per filter, in the table and the panel titles
    db = pd.to_numeric(shown_table(at).iloc[:, 1]).to_numpy()
    assert np.allclose(db, dZ.sum(axis=(0, 1)))
    assert any(f"db[1] = {int(dZ[:, :, 1].sum())}" in t for t in _titles(figures(at)["db_sums"]))


def test_weights_stride_two_slides_a_dilated_dz_one_frame_per_kernel_offset():
    at = open_app("weights", {"stride": "2", "h": "7", "w": "7", "dz": "random integers"})
    assert_clean(at)
    assert any("dilation" in t for t in [m.value for m in at.markdown])
    spec = figures(at)["dw_anim"]
    assert len(spec["frames"]) == 3 * 3  # f_H * f_W kernel offsets
    n_H = n_W = 3  # 1 + (7 - 3) // 2
    window = spec["frames"][4]["data"][0]  # offset (1, 1)
    assert window["x"].count(None) == n_H * n_W  # drawn as separate cells, not one rectangle
    xs = sorted({round(x) for x in window["x"] if x is not None})  # cell centres (corners are ±0.45)
    assert xs == [1, 3, 5]  # the cells sit s = 2 apart, starting at v = 1
    A = presets.make_input("random integers", 7, 7, 1, 0)
    dZ = presets.make_dz("random integers", 3, 3, 1, 0)
    dW = convcore.grad_weight(A[None], (3, 3, 1, 1), dZ[None], 2, 0)
    assert spec["frames"][4]["layout"]["title"]["text"].endswith(f"<b>{int(dW[1, 1, 0, 0])}</b>")
    assert "dW[1, 1] = Σ A_pad[1 + 2·h, 1 + 2·w]" in spec["frames"][4]["layout"]["title"]["text"]


def test_weights_channel_pickers_and_true_convolution():
    at = open_app("weights", {"cin": "3", "cout": "2", "conv": "true convolution", "kernel": "random"})
    assert_clean(at)
    at.selectbox(key="cin_shown").set_value(2).run()
    at.selectbox(key="filter").set_value(1).run()
    assert_clean(at)
    assert any(t.startswith("dK[:, :, 2, 1]") for t in _titles(figures(at)["dw_anim"]))
    assert any("dW = rot180(dK)" in i for i in messages(at, "info"))
    assert _metric(at, "largest |correlation - convcore.grad_weight|") < 1e-9


def test_weights_bad_input_is_answered_with_an_error():
    at = open_app("weights", {"dz": "custom"})
    at.text_area(key="dz_text").set_value("1 2\n3 4").run()
    assert_clean(at)
    assert any("must be 4 x 4" in e for e in messages(at, "error"))
    at = open_app("weights", {"h": "2", "w": "2"})  # a 3 x 3 kernel does not fit a 2 x 2 input
    assert_clean(at)
    assert any("larger than the padded input" in e for e in messages(at, "error"))
    assert not figures(at)


# --- pooling --------------------------------------------------------------------------------------------------


def test_pooling_max_default_equals_convcore_forward_and_backward():
    at = open_app("pooling")
    assert_clean(at)
    figs = figures(at)
    A_prev = presets.make_input("random integers", 6, 6, 1, 0)
    A, cache = convcore.pool_forward(A_prev[None], {"f": 2, "stride": 2}, "max")
    dA_prev = convcore.pool_backward(np.ones((1, 3, 3, 1)), cache, "max", "all")
    assert np.array_equal(_heatmaps(figs["pool_fwd"])[-1], A[0, :, :, 0])
    assert len(figs["pool_fwd"]["frames"]) == 9
    assert np.array_equal(_heatmaps(figs["pool_result"])[2], dA_prev[0, :, :, 0])
    assert _metric(at, "largest |loops - convcore.pool_backward|") < 1e-12
    assert figs["pool_fwd"]["frames"][0]["layout"]["title"]["text"].startswith("A[0, 0] = max(")


def test_pooling_average_spreads_da_over_the_window():
    at = open_app("pooling", {"dz": "random integers"})
    at.radio(key="pool_mode").set_value("average").run()
    assert_clean(at)
    A_prev = presets.make_input("random integers", 6, 6, 1, 0)
    dA = presets.make_dz("random integers", 3, 3, 1, 0)
    A, cache = convcore.pool_forward(A_prev[None], {"f": 2, "stride": 2}, "average")
    dA_prev = convcore.pool_backward(dA[None], cache, "average")
    figs = figures(at)
    assert np.allclose(_heatmaps(figs["pool_fwd"])[-1], A[0, :, :, 0])
    assert np.allclose(_heatmaps(figs["pool_result"])[2], dA_prev[0, :, :, 0])
    assert "pool_ties" not in figs
    assert "/ (2·2)" in figs["pool_bwd"]["frames"][0]["layout"]["title"]["text"]


def test_pooling_ties_the_course_and_pytorch_disagree_and_only_pytorch_keeps_the_total():
    at = open_app("pooling", {"input": "plateaus (ties)"})  # every aligned 2 x 2 window holds 4 equal values
    assert_clean(at)
    assert _metric(at, "Σ dA (what") == 9
    assert _metric(at, "Σ dA_prev, course") == 36  # 4 tied maxima per window, each gets the full 1
    assert _metric(at, "Σ dA_prev, PyTorch") == 9
    assert any("disagree" in w for w in messages(at, "warning"))
    course, torch_, diff = _heatmaps(figures(at)["pool_ties"])
    assert np.array_equal(course, np.ones((6, 6)))
    expected_first = np.zeros((6, 6))
    expected_first[::2, ::2] = 1  # the first maximum of each window: its top-left cell
    assert np.array_equal(torch_, expected_first)
    assert np.array_equal(diff, course - torch_)
    # the switch changes the backward pass shown above
    at.radio(key="ties").set_value("PyTorch").run()
    assert_clean(at)
    assert np.array_equal(_heatmaps(figures(at)["pool_result"])[2], expected_first)
    assert "only the first gets it" in figures(at)["pool_bwd"]["frames"][0]["layout"]["title"]["text"]


def test_pooling_overlapping_windows_accumulate_a_hand_checked_case():
    at = open_app("pooling", {"input": "custom", "pool_stride": "1"})
    at.text_area(key="input_text").set_value("1 2 3\n4 9 5\n6 7 8").run()
    assert_clean(at)
    assert any("overlap" in i for i in messages(at, "info"))
    # all four 2 x 2 windows hold the 9 in the centre: it receives 4 x 1
    expected = np.zeros((3, 3))
    expected[1, 1] = 4
    assert np.array_equal(_heatmaps(figures(at)["pool_result"])[2], expected)
    at.radio(key="pool_mode").set_value("average").run()
    assert_clean(at)
    quarter = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4  # windows covering each cell, times 1/4
    assert np.allclose(_heatmaps(figures(at)["pool_result"])[2], quarter)


def test_pooling_window_larger_than_the_input_is_an_error_not_an_exception():
    at = open_app("pooling", {"h": "3", "w": "5", "pool_f": "4"})
    assert_clean(at)
    assert any("larger than the input (3 x 5)" in e for e in messages(at, "error"))
    assert not figures(at)


def test_pooling_channel_picker_shows_the_chosen_channel():
    at = open_app("pooling", {"cin": "2", "input": "plateaus (ties)"})
    at.selectbox(key="cin_shown").set_value(1).run()
    assert_clean(at)
    assert any("[:, :, 1]" in t for t in _titles(figures(at)["pool_fwd"]))
    A_prev = presets.make_input("plateaus (ties)", 6, 6, 2, 0)
    A, _ = convcore.pool_forward(A_prev[None], {"f": 2, "stride": 2}, "max")
    assert np.array_equal(_heatmaps(figures(at)["pool_fwd"])[-1], A[0, :, :, 1])
