"""The dW / db page and the pooling page in Debian's Chromium (Playwright): they load, their charts draw, the step
buttons and Play move the window. Screenshots land in artifacts/ for a person to look at."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, open_page, steps_and_plays

pytestmark = pytest.mark.browser


def _load(browser, url: str, name: str, charts: int):
    """Open a page, wait for its ``charts`` charts, save a full-page screenshot, check there is no error box."""
    page = open_page(browser, url, height=3000)
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {3 * charts}", timeout=90_000
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0
    assert page.locator(".js-plotly-plot").count() == charts
    return page


def test_weights_default_loads(browser, app_url):
    _load(browser, f"{app_url}/weights", "weights", charts=3).close()


def test_weights_channels_and_stride_two_step_and_play_move_the_dilated_dz(browser, app_url):
    url = f"{app_url}/weights?cin=3&cout=2&stride=2&h=7&w=7&dz=random%20integers"
    page = _load(browser, url, "weights-channels", charts=3)
    steps_and_plays(page, chart=0, plot=1)  # the dW panels (plot 0) are not animated
    page.close()


def test_pooling_default_forward_and_backward_windows_move(browser, app_url):
    page = _load(browser, f"{app_url}/pooling", "pooling", charts=4)
    steps_and_plays(page, chart=0, plot=0)  # forward
    steps_and_plays(page, chart=1, plot=1)  # backward
    page.close()


def test_pooling_ties_loads(browser, app_url):
    _load(browser, f"{app_url}/pooling?input=plateaus%20(ties)&cin=2", "pooling-ties", charts=4).close()
