"""The matrix view and the transposed-convolution page in Debian's Chromium (Playwright): they load at the defaults, at
stride 2 with two channels, with the checkerboard, and on a phone; the keyboard moves the followed input cell; the
stamping animation steps and plays. Screenshots land in artifacts/ for a person to look at."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, steps_and_plays

pytestmark = pytest.mark.browser

MATRIX_CHARTS = 8  # flattening, C·a, Cᵀ·dZ, the row of Cᵀ, the verdict, two GEMMs, col2im
TRANSPOSED_CHARTS = 4  # stamps, output, checkerboard, backward


def _load(browser, url: str, name: str, charts: int, width: int = 1500, height: int = 3200):
    """Open a page at ``width`` x ``height`` (tall: Streamlit scrolls inside its own container), wait for its
    ``charts`` charts, save a screenshot, check there is no exception or error box."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=90_000)
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {3 * charts}", timeout=90_000
    )
    page.wait_for_timeout(800)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"))
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0
    assert page.locator(".js-plotly-plot").count() == charts
    return page


def _outlined_rows(page, chart: int) -> list[float]:
    """The y range of every orange outline drawn on the ``chart``-th chart."""
    return page.evaluate(
        """(i) => Array.from(document.querySelectorAll('.js-plotly-plot')[i].data)
            .filter(t => t.type === 'scatter' && t.line && t.line.color === '#e69f00')
            .map(t => [Math.min(...t.y), Math.max(...t.y)])""",
        chart,
    )


def test_the_matrix_view_at_the_defaults(browser, app_url):
    page = _load(browser, f"{app_url}/matrix", "matrix", MATRIX_CHARTS)
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "are the same array" in body and "reversed" in body
    # the backward figure outlines row q = 14 of Cᵀ (input cell (2, 2) of 6 x 6) and its entry of Cᵀ·dZ
    assert [13.5, 14.5] in _outlined_rows(page, 2)
    page.close()


def test_the_keyboard_moves_the_followed_input_cell(browser, app_url):
    page = _load(browser, f"{app_url}/matrix", "matrix-cell-0-0", MATRIX_CHARTS)
    for label, value in (("input row y", "0"), ("input col x", "0")):
        box = page.get_by_label(label)
        box.fill(value)
        box.press("Enter")
        page.wait_for_function(f"location.search.includes('{'mx_y' if 'row' in label else 'mx_x'}=0')", timeout=30_000)
        page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    page.wait_for_function("document.body.innerText.includes('Only one window reaches this cell')", timeout=30_000)
    assert [-0.5, 0.5] in _outlined_rows(page, 2)  # row 0 of Cᵀ now
    page.close()


def test_the_matrix_view_at_stride_two_with_two_channels(browser, app_url):
    page = _load(browser, f"{app_url}/matrix?stride=2&cin=2&dz=random%20integers", "matrix-stride2-cin2", MATRIX_CHARTS)
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "4 x 72" in body and "cover count alternates" in body
    page.close()


def test_the_transposed_page_with_the_checkerboard_steps_and_plays(browser, app_url):
    url = f"{app_url}/transposed?stride=2&tx_h=4&tx_w=4&tx_x=random%20integers"
    page = _load(browser, url, "transposed-checkerboard", TRANSPOSED_CHARTS)
    assert "a checkerboard" in page.locator("[data-testid=stMain]").inner_text()
    steps_and_plays(page)
    page.close()


@pytest.mark.parametrize(("path", "charts"), [("matrix", MATRIX_CHARTS), ("transposed", TRANSPOSED_CHARTS)])
def test_both_pages_on_a_phone(browser, app_url, path, charts):
    page = _load(browser, f"{app_url}/{path}", f"{path}-phone", charts, width=390, height=3200)
    width = page.evaluate("document.querySelector('[data-testid=stMain]').getBoundingClientRect().width")
    assert width <= 390
    page.close()
