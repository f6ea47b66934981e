"""The common-mistakes page through app.py."""

from __future__ import annotations

import pytest

from grader import mistakes
from tests.apphelpers import array, assert_clean, figures, messages, open_app
from tests.apphelpers import table as shown_table


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_table_lists_every_mistake_and_says_the_mean_check_misses_the_flip():
    at = open_app("mistakes")
    assert_clean(at)
    df = shown_table(at)
    assert len(df) == len(mistakes.CATALOGUE)
    row = df[df["mistake"] == mistakes.mistake("kernel_not_rotated").title].iloc[0]
    assert row["a mean-only check catches it"] == "NO" and row["an element-wise check catches it"] == "yes"


def test_default_mistake_shows_diff_metrics_and_a_difference_heatmap():
    at = open_app("mistakes", {"mistake": mistakes.mistake("kernel_transposed").title})
    assert_clean(at)
    m = _metrics(at)
    assert m["mean-only check"].startswith("passes") and m["element-wise check"].startswith("fails")
    assert any("transpose" in c.value for c in at.code)
    out = mistakes.evaluate("kernel_transposed", "course")
    fig = figures(at)["mistake_fig_0"]
    heat = [array(d["z"]) for d in fig["data"] if d.get("type") == "heatmap"]
    assert len(heat) == 3 and abs(heat[2]).max() > 0  # right, with the mistake, difference
    i, _, _, c = out.differences[0].index
    assert (heat[0] == out.expected[0][i, :, :, c]).all()


@pytest.mark.parametrize("key", [m.key for m in mistakes.CATALOGUE])
def test_every_mistake_and_case_renders(key):
    at = open_app("mistakes", {"mistake": mistakes.mistake(key).title})
    assert_clean(at)
    for case in mistakes.cases(mistakes.mistake(key).shown_by):
        at.selectbox(key="mistake_case").set_value(case.name).run()
        assert_clean(at)


def test_a_crashing_mistake_is_reported_not_raised():
    at = open_app("mistakes", {"mistake": mistakes.mistake("dW_from_unpadded").title})
    assert_clean(at)
    assert any("raises" in e for e in messages(at, "error"))
    # where to check one's own code: the Check my code page (it replaced the command line shown here before)
    assert any(p.proto.page.endswith("check") and p.proto.label == "Check my code" for p in at.get("page_link"))
