"""The sidebar shows each page the controls it uses, keeps the others (URL and share link), and says the size in
force where a typed or fixed matrix sets it (AppTest, the real app.py)."""

from __future__ import annotations

import ast
import re

import pytest

from tests.apphelpers import ROOT, assert_clean, hidden_boxes, open_app, open_share_link, shown_sidebar_widgets, texts

PAGES = re.findall(r'st\.Page\(\s*"views/(\w+)\.py"', (ROOT / "app.py").read_text())
USES = ast.literal_eval(re.search(r"^USES = (\{.*?^\})", (ROOT / "app.py").read_text(), re.S | re.M).group(1))
SECTION_WIDGETS = {
    "input": {"input", "h", "w"},
    "kernel": {"kernel", "kh", "kw", "cout"},
    "layer": {"stride", "pad", "dilation", "conv"},
}
EVERY = set().union(*SECTION_WIDGETS.values()) | {"cin", "seed"}


def test_the_router_names_what_each_page_uses():
    assert set(USES) <= set(PAGES)
    assert USES["pooling"] == ("input",) and USES["transposed"] == ("kernel", "layer")
    assert not {"home", "mistakes", "check"} & set(USES), "these pages use none of the sidebar's controls"


@pytest.mark.parametrize("page", PAGES)
def test_each_page_shows_the_controls_it_uses_and_only_those(page):
    at = open_app(page)
    assert_clean(at)
    uses = USES.get(page, ())
    want = set().union(*(SECTION_WIDGETS[s] for s in uses)) if uses else set()
    if "input" in uses or "kernel" in uses:
        want |= {"cin", "seed"}
    if "input" in uses and "kernel" not in uses:
        want -= {"cout"}
    shown = set(shown_sidebar_widgets(at)) & EVERY
    assert shown == want, (page, sorted(shown ^ want))
    # the hidden ones are still drawn: their values stay in the address on every page
    assert EVERY <= {w.key for kind in ("number_input", "selectbox", "radio") for w in at.sidebar.get(kind)}
    if not uses:
        assert any("uses no input, kernel or layer" in c.value for c in at.sidebar.caption)


def test_home_and_back_keep_the_configuration_and_the_share_link_carries_it():
    at = open_app("forward")
    at.sidebar.number_input(key="stride").set_value(2).run()
    at.sidebar.selectbox(key="kernel").set_value("random").run()
    at.switch_page("views/home.py").run()
    assert_clean(at)
    assert "stride" not in shown_sidebar_widgets(at)
    assert not at.sidebar.code  # the link is built only once its box is opened
    (link,) = open_share_link(at)
    assert "stride=2" in link and "kernel=random" in link
    at.switch_page("views/forward.py").run()
    assert_clean(at)
    assert at.sidebar.number_input(key="stride").value == 2 and at.sidebar.selectbox(key="kernel").value == "random"
    assert "stride" in shown_sidebar_widgets(at)


def test_a_link_to_a_page_without_the_controls_still_sets_them():
    at = open_app(None, {"stride": "3", "input": "ramp", "h": "5"})
    assert_clean(at)
    at.switch_page("views/forward.py").run()
    assert at.sidebar.number_input(key="stride").value == 3 and at.sidebar.number_input(key="h").value == 5
    assert at.sidebar.selectbox(key="input").value == "ramp"


def test_a_custom_input_says_its_size_instead_of_the_disabled_boxes():
    at = open_app("forward", {"input": "custom"})
    assert_clean(at)
    assert "ctl_hw" in hidden_boxes(at) and not {"h", "w"} & set(shown_sidebar_widgets(at))
    assert any("H x W: **4 x 4**" in m.value for m in at.sidebar.markdown)  # the default custom matrix
    at.sidebar.text_area(key="input_text").set_value("1 2 3 4 5\n" * 5).run()
    assert any("H x W: **5 x 5**" in m.value for m in at.sidebar.markdown)
    assert "1 + \\left\\lfloor \\frac{5 + 2\\cdot0 - 3}{1}" in texts(at)  # the page computes with 5 x 5
    at.sidebar.selectbox(key="input").set_value("ramp").run()  # a preset: the boxes come back, with their values
    assert {"h", "w"} <= set(shown_sidebar_widgets(at)) and at.sidebar.number_input(key="h").value == 6
    assert not any("H x W:" in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize(
    "query,size",
    [({"kernel": "sobel (x)", "kh": "5"}, "3 x 3"), ({"kernel": "custom", "kernel_text": "1 2 3\n4 5 6"}, "2 x 3")],
)
def test_a_fixed_or_typed_kernel_says_its_size(query, size):
    at = open_app("forward", query)
    assert_clean(at)
    assert "ctl_fhw" in hidden_boxes(at) and not {"kh", "kw"} & set(shown_sidebar_widgets(at))
    assert any(f"f_H x f_W: **{size}**" in m.value for m in at.sidebar.markdown)
