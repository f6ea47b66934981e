"""The symbolic page in Debian's Chromium (Playwright): it loads, KaTeX typesets the formulas, a link reopens a
2D layer. Screenshots land in artifacts/ for a person to look at."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS

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
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
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
    values = page.locator("[data-testid=stNumberInput] input").evaluate_all("els => els.map(e => e.value)")
    # the page's H, W, f_H, f_W, s, p, C_in, C_out, dilation
    assert values[-9:] == ["4", "4", "3", "3", "2", "1", "2", "2", "1"]
    assert page.locator("[data-testid=stMarkdownContainer] .katex").count() >= 10
    assert page.locator(".katex-error").count() == 0
    assert page.get_by_text("SymPy: identical for every input").count() == 2
    _screenshot(page, "page-symbolic-2d.png")
    page.close()
