"""The "Check my code" page in Debian's Chromium with the real sandbox: paste a file with two slips, wait for the
report, check what a reader would notice at a desktop and a phone width (heatmaps side by side or one under the
other, never squashed; link labels whole), and save screenshots in artifacts/ for a person to look at."""

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
    area = page.locator("textarea").first
    area.wait_for(timeout=60_000)  # the page offers a text area only when the sandbox works here
    assert page.get_by_text("Nothing was run").count() == 0
    area.fill((SOLUTIONS / "mistake_two_slips.py").read_text())
    area.press("Control+Enter")  # commit the text area's value
    page.get_by_role("button", name="Check my code").click()
    page.get_by_text("Your report").wait_for(timeout=90_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=90_000)
    try:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    except Exception:  # say what the page shows instead of a bare timeout
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"check-report-{width}-no-chart.png"), full_page=True)
        raise AssertionError(page.locator("[data-testid=stMain]").inner_text()[:4000]) from None
    # The main area scrolls inside its container: a tall viewport shows the whole report in one screenshot.
    page.set_viewport_size({"width": width, "height": 3000 if width > 600 else 5200})
    page.wait_for_timeout(1000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"check-report-{width}.png"), full_page=True)

    body = page.locator("[data-testid=stMain]").inner_text()
    assert "1 of 2 functions pass" in body
    assert "Kernel transposed spatially" in body and "db assigned instead of accumulated" in body
    assert page.locator("[data-testid=stException]").count() == 0

    assert page.locator(".js-plotly-plot").count() == 3  # right, yours, yours - right
    boxes = [page.locator(".js-plotly-plot").nth(k).bounding_box() for k in range(3)]
    if width > 600:  # side by side
        assert len({round(b["y"]) for b in boxes}) == 1
    else:  # one under the other, each nearly the page's width
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
        assert all(b["width"] > 0.75 * width for b in boxes), boxes

    # Streamlit cuts a page link's label with "..." past its width: every label must fit whole.
    labels = page.locator("[data-testid=stPageLink-NavLink] [data-testid=stMarkdownContainer]")
    assert labels.count() == 3  # one per named mistake, and the explainer page at the failing case
    for k in range(labels.count()):
        fits = labels.nth(k).evaluate("e => e.scrollWidth <= e.parentElement.clientWidth")
        assert fits, labels.nth(k).inner_text()
    page.close()
