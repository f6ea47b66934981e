"""The real app in Debian's Chromium (Playwright): pages load, charts draw, Play and the step buttons move
the window. Screenshots land in artifacts/ for a person to look at."""

from __future__ import annotations

import os

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="module")
def app_url():
    with running_app() as (base, _proc):
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: apt-get install -y chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str, height: int = 1400):
    page = browser.new_page(viewport={"width": 1500, "height": height})
    page.goto(url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    return page


def _plot_state(page, index: int, trace: int):
    return page.evaluate(
        """([i, t]) => { const p = document.querySelectorAll('.js-plotly-plot')[i];
            return {x: Array.from(p.data[t].x), title: p.layout.title.text}; }""",
        [index, trace],
    )


def _click_menu(page, chart: int, label: str) -> None:
    """Click a Plotly menu button of the ``chart``-th animated chart by its label (SVG text, which
    Playwright's has_text does not see). Each animated chart has the same six buttons."""
    page.wait_for_selector(".updatemenu-button", timeout=30_000)
    buttons = page.locator(".updatemenu-button")
    labels = buttons.evaluate_all("els => els.map(e => e.textContent)")
    per_chart = len(labels) // max(1, labels.count("step ▶"))
    buttons.nth(chart * per_chart + labels[:per_chart].index(label)).click()
    page.wait_for_timeout(400)


def _overlay_index(page, index: int) -> int:
    """The first overlay trace of a chart: the one its frames move."""
    return page.evaluate(
        "(i) => document.querySelectorAll('.js-plotly-plot')[i]._transitionData._frames[0].traces[0]", index
    )


@pytest.mark.parametrize("path", ["", "forward", "flip", "mistakes"])
def test_page_loads_without_an_exception_box(browser, app_url, path):
    page = _open(browser, f"{app_url}/{path}")
    if path:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{path or 'home'}.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0
    if path:
        assert page.locator(".js-plotly-plot").count() >= 2
    page.close()


def test_step_buttons_and_play_move_the_window_in_the_browser(browser, app_url):
    page = _open(browser, f"{app_url}/forward")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    t = _overlay_index(page, 0)
    start = _plot_state(page, 0, t)
    _click_menu(page, 0, "step ▶")
    one = _plot_state(page, 0, t)
    assert one["x"] != start["x"] and one["title"] != start["title"]
    _click_menu(page, 0, "step ▶")
    _click_menu(page, 0, "◀ step")
    assert _plot_state(page, 0, t) == one  # back one step is the same frame again
    _click_menu(page, 0, "▶ fast")
    page.wait_for_timeout(2000)
    played = _plot_state(page, 0, t)
    assert played["x"] != one["x"]
    page.close()


def test_a_link_reopens_the_same_configuration(browser, app_url):
    page = _open(browser, f"{app_url}/forward?stride=2&pad=1&h=9&kernel=random")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    values = page.locator("[data-testid=stNumberInput] input").evaluate_all("els => els.map(e => e.value)")
    assert "2" in values and "9" in values
    latex = page.locator("[data-testid=stMarkdownContainer] .katex").first.inner_text()
    assert "5" in latex  # n_H = 1 + (9 + 2 - 3) // 2 = 5
    page.close()


def test_share_link_carries_page_controls_changed_in_the_browser(browser, app_url):
    page = _open(browser, f"{app_url}/flip?dz=single+1&stride=2")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    main_steps = page.locator(
        "[data-testid=stMain] [data-testid=stNumberInput] button[data-testid=stNumberInputStepDown]"
    )
    main_steps.first.click()  # dz_h: 1 -> 0
    page.wait_for_function("location.search.includes('dz_h=0')", timeout=30_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    page.get_by_text("Share this configuration").click()
    link = page.locator("[data-testid=stSidebar] code").first.inner_text()
    assert "stride=2" in link and "dz=single+1" in link and "dz_h=0" in link
    page.close()
