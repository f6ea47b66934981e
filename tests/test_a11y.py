"""Accessibility and small screens, in Debian's Chromium: axe-core on every page of the router, at a desktop and a
phone width, in the light and the dark theme, once every chart has drawn; what a phone shows (no sideways scrolling,
no title over another, no player button over another); the players worked from the keyboard alone; presentation
mode. Screenshots land in artifacts/ for a person to look at."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser import ARTIFACTS, AXE, ROOT, axe_violations, plot_state, wait_until_drawn

pytestmark = pytest.mark.browser

_APP = (ROOT / "app.py").read_text()
PAGES = [
    (name, "" if name == "home" else re.search(rf'"views/{name}\.py".*?url_path="(\w+)"', _APP, re.S).group(1))
    for name in re.findall(r'st\.Page\(\s*"views/(\w+)\.py"', _APP)
]
WIDTHS = {"desktop": (1500, 3200), "phone": (390, 6000)}  # tall: Streamlit scrolls inside its own container
BLOCKING = ("critical", "serious")

# Bounding boxes (page pixels) of what must not overlap on each chart: the subplot titles and the figure's title, and
# the player's buttons.
BOXES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => {
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const text = e => e.textContent;
    const titles = Array.from(p.querySelectorAll('.infolayer g.annotation, .infolayer .gtitle')).filter(e => text(e));
    return {titles: titles.map(e => [text(e), box(e)]),
            numbers: Array.from(p.querySelectorAll('.xtick text')).map(e => [text(e), box(e)]),
            buttons: Array.from(p.querySelectorAll('g.updatemenu-button')).map(e => [text(e), box(e)]),
            width: p.getBoundingClientRect().width};
})"""


def _overlaps(items: list, others: list | None = None) -> list[tuple[str, str]]:
    """The pairs of named boxes ``[name, [x0, y0, x1, y1]]`` that overlap by more than 2 px both ways: among
    ``items``, or between ``items`` and ``others``. (A text's box includes its line's leading: 2 px is no overlap.)"""
    pairs = []
    for i, (a, (ax0, ay0, ax1, ay1)) in enumerate(items):
        for b, (bx0, by0, bx1, by1) in items[i + 1 :] if others is None else others:
            if min(ax1, bx1) - max(ax0, bx0) > 2 and min(ay1, by1) - max(ay0, by0) > 2:
                pairs.append((a, b))
    return pairs


def _open(browser, url: str, width: int, height: int, scheme: str):
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    wait_until_drawn(page)
    return context, page


def test_axe_is_installed():
    assert AXE.exists(), "axe-core is missing: run `npm ci --no-audit --no-fund` (the README's test command does)"


def test_pages_are_read_from_the_router():
    assert [name for name, _ in PAGES][:3] == ["home", "forward", "flip"] and len(PAGES) >= 10, PAGES


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(WIDTHS))
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_axe_finds_nothing_serious_and_a_phone_reads_it(browser, app_url, name, path, size, scheme):
    width, height = WIDTHS[size]
    context, page = _open(browser, f"{app_url}/{path}", width, height, scheme)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"a11y-{name}-{size}-{scheme}.png"))
        assert page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).colorScheme") == scheme
        found = axe_violations(page)
        for v in found:  # what axe found, serious or not, for the log
            print(f"{name} {size} {scheme}: {v['impact']} {v['id']} x{v['count']} at {v['target']}: {v['summary']}")
        assert not [v for v in found if v["impact"] in BLOCKING], found

        overflow = page.evaluate(
            """() => [document.documentElement.scrollWidth - innerWidth, ...Array.from(
                document.querySelectorAll('[data-testid=stMain], [data-testid=stMainBlockContainer]'))
                .map(e => e.scrollWidth - e.clientWidth)]"""
        )
        assert max(overflow) <= 0, f"the page scrolls sideways by {max(overflow)} px"
        for k, chart in enumerate(page.evaluate(BOXES)):
            assert not _overlaps(chart["titles"]), (k, _overlaps(chart["titles"]))
            assert not _overlaps(chart["titles"], chart["numbers"]), (k, _overlaps(chart["titles"], chart["numbers"]))
            assert not _overlaps(chart["buttons"]), (k, _overlaps(chart["buttons"]))
            assert chart["width"] <= width
    finally:
        context.close()


def _moves(page, trace: int, before: dict, timeout: float = 5_000) -> dict:
    """Wait until the first chart's window (its overlay ``trace``) has left where it was in ``before``; its state."""
    page.wait_for_function(
        "([t, x]) => JSON.stringify(Array.from(document.querySelectorAll('.js-plotly-plot')[0].data[t].x)) !== x",
        arg=[trace, json.dumps(before["x"], separators=(",", ":"))],
        timeout=timeout,
    )
    return plot_state(page, 0, trace)


def _focus_label(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label') || ''")


def _tab_to(page, label: str, limit: int = 120) -> None:
    """Press Tab until the control named ``label`` has the focus (the keyboard only: no click anywhere)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focus_label(page) == label:
            return
    raise AssertionError(f"Tab never reached {label!r}")


@pytest.mark.parametrize("path", ["forward", "pooling"])
def test_the_players_work_from_the_keyboard_alone(browser, app_url, path):
    """Tab to the chart's buttons, Enter and Space press them, the arrow keys step: the window moves each time."""
    context, page = _open(browser, f"{app_url}/{path}", 1500, 3200, "light")
    try:
        t = page.evaluate("document.querySelectorAll('.js-plotly-plot')[0]._transitionData._frames[0].traces[0]")
        start = plot_state(page, 0, t)

        _tab_to(page, "step forward")
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        one = plot_state(page, 0, t)
        assert one["x"] != start["x"] and one["title"] != start["title"]
        assert _focus_label(page) == "step forward"  # the focus stays on the button Plotly redrew

        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(400)
        two = plot_state(page, 0, t)
        assert two["x"] != one["x"]
        page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(400)
        assert plot_state(page, 0, t) == one  # back one step is the same frame again
        page.keyboard.press("End")
        page.wait_for_timeout(400)
        last = plot_state(page, 0, t)
        page.keyboard.press("Home")
        page.wait_for_timeout(400)
        assert plot_state(page, 0, t)["x"] == start["x"] != last["x"]  # the first frame (Streamlit bolds its title)

        page.keyboard.press("Shift+Tab")  # step back
        page.keyboard.press("Shift+Tab")
        assert _focus_label(page) == "pause"
        page.keyboard.press("Shift+Tab")
        assert _focus_label(page) == "play, fast"
        page.keyboard.press(" ")
        _moves(page, t, start)  # playing
        page.keyboard.press("Tab")  # pause
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        paused = plot_state(page, 0, t)
        page.wait_for_timeout(800)
        assert plot_state(page, 0, t) == paused
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_presentation_mode_from_a_link(browser, app_url, scheme):
    """``?present=true``: the sidebar folded away, no captions, larger figures; axe still finds nothing serious; the
    page links keep the mode, and the players still work from the keyboard."""
    context, page = _open(browser, f"{app_url}/?present=true", 1500, 3200, scheme)
    try:
        assert page.locator("[data-testid=stSidebar]").get_attribute("data-collapsed") == "true"
        page.locator("[data-testid=stMain]").get_by_role("link", name="Forward: the sliding window").click()
        page.wait_for_function("location.pathname.endsWith('/forward')", timeout=30_000)
        wait_until_drawn(page)
        assert "present=true" in page.evaluate("location.search")  # the mode follows the reader to the next page
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"a11y-present-forward-{scheme}.png"))
        captions = page.locator("[data-testid=stCaptionContainer]")
        assert captions.count() > 0 and all(not captions.nth(k).is_visible() for k in range(captions.count()))
        sizes = page.evaluate(
            "Array.from(document.querySelectorAll('.js-plotly-plot')[0].layout.annotations).map(a => a.font.size)"
        )
        assert min(sizes) >= 20, sizes  # 15 px otherwise
        found = axe_violations(page)
        for v in found:
            print(f"present forward {scheme}: {v['impact']} {v['id']} x{v['count']} at {v['target']}: {v['summary']}")
        assert not [v for v in found if v["impact"] in BLOCKING], found
        for k, chart in enumerate(page.evaluate(BOXES)):
            assert not _overlaps(chart["titles"]), (k, _overlaps(chart["titles"]))
            assert not _overlaps(chart["buttons"]), (k, _overlaps(chart["buttons"]))

        t = page.evaluate("document.querySelectorAll('.js-plotly-plot')[0]._transitionData._frames[0].traces[0]")
        start = plot_state(page, 0, t)
        _tab_to(page, "step forward")
        page.keyboard.press("Enter")
        _moves(page, t, start)
    finally:
        context.close()


def test_every_figure_has_its_numbers_behind_an_expander(browser, app_url):
    """The text alternative: opening "The numbers in this figure" shows the matrices the figure draws, as tables
    (the kernel cells with their (u, v)); closed, it is only its label."""
    context, page = _open(browser, f"{app_url}/forward", 1500, 3200, "light")
    try:
        charts = page.locator("[data-testid=stPlotlyChart]").count()
        expanders = page.locator("[data-testid=stExpander]").filter(has_text="The numbers in this figure")
        assert expanders.count() == charts == 2
        assert expanders.first.locator("[data-testid=stTable]").count() == 0  # nothing built while closed
        expanders.first.locator("summary").click()
        expanders.first.locator("[data-testid=stTable]").first.wait_for(timeout=30_000)
        wait_until_drawn(page)
        text = expanders.first.inner_text()
        assert "padded input A_prev_pad" in text and "W[:, :, 0, 0]" in text and "output Z[:, :, 0]" in text
        assert "1 (0, 0)" in text and "9 (2, 2)" in text  # the asymmetric 1..9 kernel, each weight with its place
        assert not [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    finally:
        context.close()
