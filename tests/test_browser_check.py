"""The "Check my code" page in Debian's Chromium: paste a file with two slips, wait for the report, screenshots at a
desktop and a phone width in artifacts/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, open_page

pytestmark = pytest.mark.browser

SOLUTIONS = Path(__file__).resolve().parent / "solutions"


@pytest.mark.parametrize("width", [1500, 390])
def test_paste_two_slips_and_read_the_report(browser, app_url, width):
    page = open_page(browser, f"{app_url}/check")
    page.set_viewport_size({"width": width, "height": 1400})
    if page.get_by_text("Nothing was run").count():
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"check-unavailable-{width}.png"), full_page=True)
        pytest.skip("this server has no working sandbox: the page says so and runs nothing (screenshot saved)")
    area = page.locator("textarea").first
    area.fill((SOLUTIONS / "mistake_two_slips.py").read_text())
    area.press("Control+Enter")  # commit the text area's value
    page.get_by_role("button", name="Check my code").click()
    page.get_by_text("Your report").wait_for(timeout=90_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=90_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 4200 if width < 600 else 3000})  # the page scrolls inside
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / f"check-report-{width}.png"), full_page=True)
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "1 of 2 functions pass" in body
    assert "Kernel transposed spatially" in body and "db assigned instead of accumulated" in body
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()
