"""The real app in Debian's Chromium (Playwright): pages load, charts draw, Play and the step buttons move
the window. Screenshots land in artifacts/ for a person to look at."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, click_menu, open_page, plot_state, steps_and_plays, wait_until_drawn

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["", "forward", "flip", "mistakes"])
def test_page_loads_without_an_exception_box(browser, app_url, path):
    page = open_page(browser, f"{app_url}/{path}")
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
    page = open_page(browser, f"{app_url}/forward")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    steps_and_plays(page, play_ms=2000)
    page.close()


def test_a_link_reopens_the_same_configuration(browser, app_url):
    page = open_page(browser, f"{app_url}/forward?stride=2&pad=1&h=9&kernel=random")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    values = page.locator("[data-testid=stNumberInput] input").evaluate_all("els => els.map(e => e.value)")
    assert "2" in values and "9" in values
    latex = page.locator("[data-testid=stMarkdownContainer] .katex").first.inner_text()
    assert "5" in latex  # n_H = 1 + (9 + 2 - 3) // 2 = 5
    page.close()


def test_share_link_carries_page_controls_changed_in_the_browser(browser, app_url):
    page = open_page(browser, f"{app_url}/flip?dz=single+1&stride=2")
    # settled, not just drawn once: the link's values can start one more rerun, which would set dz_h back to the
    # link's 1 if the click below landed before it
    wait_until_drawn(page)
    main = page.locator("[data-testid=stMain] [data-testid=stNumberInput]")
    assert main.first.locator("input").input_value() == "1"  # dz_h, from the link
    main.first.locator("button[data-testid=stNumberInputStepDown]").click()  # dz_h: 1 -> 0
    page.wait_for_function("location.search.includes('dz_h=0')", timeout=30_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    page.get_by_text("Share this configuration").click()  # built on opening: a rerun draws the link
    code = page.locator("[data-testid=stSidebar] code").first
    code.wait_for(timeout=30_000)
    link = code.inner_text()
    assert "stride=2" in link and "dz=single+1" in link and "dz_h=0" in link
    page.close()


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("forward-dilation2", "forward?dilation=2&h=7&w=7"),
        ("forward-depthwise", "forward?cin=3&cout=3&groups=3&filter=1"),
        ("flip-dilation2", "flip?dilation=2&h=6&w=6&kh=2&kw=2&dz=single+1"),
        ("flip-depthwise", "flip?cin=2&cout=4&groups=2&cin_shown=1&kernel=random"),
    ],
)
def test_dilated_and_depthwise_pages_draw_and_step(browser, app_url, name, path):
    """At dilation 2 the window is drawn as its taps (one square each, holes left out), and it still steps."""
    page = open_page(browser, f"{app_url}/{path}", height=3200)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6", timeout=90_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0
    # the first animated chart (a single 1 in dZ has a small picker above it, without frames)
    a = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
            .findIndex(p => p._transitionData && (p._transitionData._frames || []).length > 0)"""
    )
    # the window: of the traces the frames move, the one drawn with the most points (an inactive row's is empty)
    traces = page.evaluate(
        """(a) => { const p = document.querySelectorAll('.js-plotly-plot')[a];
            return p._transitionData._frames[0].traces.filter(i => p.data[i].type === 'scatter'); }""",
        a,
    )
    t = max(traces, key=lambda i: len(plot_state(page, a, i)["x"]))
    start = plot_state(page, a, t)
    if "dilation2" in name:
        assert start["x"].count(None) >= 4  # several separate squares, not one rectangle
    click_menu(page, 0, "step ▶")  # the menus are counted among the animated charts only
    assert plot_state(page, a, t)["x"] != start["x"]
    page.close()
