"""The symbolic page in Debian's Chromium (Playwright): it loads, KaTeX typesets the formulas, a link reopens a
2D layer. Screenshots land in artifacts/ for a person to look at."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, wait_until_drawn

pytestmark = pytest.mark.browser
SCROLL_HEIGHT = """() => { let m = 0;
    for (const e of document.querySelectorAll('section, main, div')) m = Math.max(m, e.scrollHeight);
    return m; }"""


def _open_symbolic(browser, url: str):
    """Open the page and wait until the script has finished (the numeric check is the last section)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    page.wait_for_selector("text=5. Numeric check", timeout=90_000)
    page.wait_for_selector("[data-testid=stTable]", timeout=60_000)  # the last section's table (st.table)
    wait_until_drawn(page)  # settled twice 0.5 s apart: a link's values can start one more rerun
    return page


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside a container, so grow the viewport to its height first."""
    height = page.evaluate(SCROLL_HEIGHT)
    page.set_viewport_size({"width": 1500, "height": min(height + 50, 12_000)})
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True, timeout=60_000)


def _assert_clean(page) -> None:
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0


def test_the_seed_example_is_typeset_by_katex(browser, app_url):
    page = _open_symbolic(browser, f"{app_url}/symbolic")
    _assert_clean(page)
    formulas = page.locator("[data-testid=stMarkdownContainer] .katex")
    assert formulas.count() >= 10
    # KaTeX's own rendering (not the raw TeX): the Jacobian column dQ/dc = [0 y x 0]
    column = formulas.filter(has_text="∂Q").filter(has_text="∂c").first.inner_text()
    assert "y" in column and "x" in column and "\\frac" not in column
    assert page.locator(".katex-error").count() == 0
    _screenshot(page, "page-symbolic.png")
    page.close()


def test_a_link_reopens_a_2d_layer_and_its_formulas_render(browser, app_url):
    query = "sym_dim=2D&sym_sidebar=false&sym_stride=2&sym_pad=1&sym_cin=2&sym_cout=2"
    page = _open_symbolic(browser, f"{app_url}/symbolic?{query}")
    _assert_clean(page)
    inputs = page.locator("[data-testid=stMain] [data-testid=stNumberInput]")
    shown = inputs.evaluate_all("els => els.map(e => [e.innerText.split('\\n')[0], e.querySelector('input').value])")
    assert shown == [
        ["H", "4"],
        ["W", "4"],
        ["f_H", "3"],
        ["f_W", "3"],
        ["stride", "2"],
        ["padding", "1"],
        ["C_in", "2"],
        ["C_out", "2"],
        ["dilation", "1"],
    ], page.locator("[data-testid=stMain]").inner_text()[:3000]
    assert page.locator("[data-testid=stMarkdownContainer] .katex").count() >= 10
    assert page.locator(".katex-error").count() == 0
    assert page.get_by_text("SymPy: identical for every input").count() == 2
    _screenshot(page, "page-symbolic-2d.png")
    page.close()
