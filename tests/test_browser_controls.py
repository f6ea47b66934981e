"""The sidebar and the pickable charts in Debian's Chromium (Playwright): each page shows its own controls, page
changes and Back keep the configuration in the address, a grid edit reaches the text box and the URL, and a click on
a cell picks it on the flip page, the single-1 dZ, the symbolic Jacobian and the matrix view. Screenshots land in
artifacts/ for a person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import ARTIFACTS, open_page
from ui.pick_figures import PICK_HINT

pytestmark = pytest.mark.browser


def _settle(page, extra: int = 600) -> None:
    page.wait_for_timeout(500)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=90_000)
    page.wait_for_timeout(extra)


def _nav(page, title: str) -> None:
    page.locator("[data-testid=stSidebarNav] a").filter(has_text=title).first.click()
    _settle(page)


def _shown(page, key: str) -> None:
    expect(page.locator(f"[data-testid=stSidebar] .st-key-{key}").first).to_be_visible(timeout=20_000)


def _hidden(page, key: str) -> None:
    """Drawn (its value stays in the address) but hidden by the page's style sheet."""
    loc = page.locator(f"[data-testid=stSidebar] .st-key-{key}").first
    expect(loc).to_be_attached(timeout=20_000)
    expect(loc).to_be_hidden(timeout=20_000)


def _box(page, key: str) -> str:
    return page.locator(f".st-key-{key} input").first.input_value()


def _cell_px(page, key: str, x: float, y: float) -> tuple[float, float]:
    """Where the data coordinates ``(x, y)`` of the last trace's axes (the pick layer) of chart ``key`` are on the
    page, once the chart is scrolled into view."""
    plot = page.locator(f".st-key-{key} .js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return plot.evaluate(
        """(el, [x, y]) => { const t = el._fullData[el._fullData.length - 1], L = el._fullLayout;
            const xa = L[t.xaxis.replace('x', 'xaxis')], ya = L[t.yaxis.replace('y', 'yaxis')];
            const r = el.getBoundingClientRect();
            return [r.left + xa._offset + xa.l2p(x), r.top + ya._offset + ya.l2p(y)]; }""",
        [x, y],
    )


def _click_cell(page, key: str, x: float, y: float) -> None:
    """Click the chart ``key`` at the cell ``(x, y)`` of its pick layer, as a reader would click that cell."""
    px, py = _cell_px(page, key, x, y)
    page.mouse.click(px, py)
    _settle(page, 1000)


def test_each_page_shows_its_controls_and_back_keeps_the_configuration(browser, app_url):
    page = open_page(browser, f"{app_url}/forward?stride=3&input=ramp", height=2000)
    _settle(page)
    # On a server that has just started, the first page change can drop the address's parameters: main does the
    # same (measured: /forward?stride=3&input=ramp, then Pooling, gave /pooling), a race with the first runs while
    # the warm-up opens every page. A reload once the server is warm, as a returning reader's tab is.
    page.reload()
    _settle(page, 1500)
    start = page.evaluate("history.length")
    _shown(page, "stride")
    _shown(page, "input")
    _nav(page, "Pooling")
    _shown(page, "input")
    _hidden(page, "stride")
    _hidden(page, "kernel")
    assert "stride=3" in page.url and "input=ramp" in page.url  # kept in the address though not shown
    _nav(page, "Transposed")
    _shown(page, "stride")
    _shown(page, "kernel")
    _hidden(page, "input")
    assert _box(page, "stride") == "3"
    _nav(page, "Home")
    for key in ("stride", "kernel", "input"):
        _hidden(page, key)
    assert page.evaluate("history.length") == start + 3, "one history entry per page change"
    page.go_back()
    _settle(page)
    assert "/transposed" in page.url and _box(page, "stride") == "3"
    page.go_back()
    _settle(page)
    assert "/pooling" in page.url and "stride=3" in page.url
    page.go_back()
    _settle(page)
    assert "/forward" in page.url and _box(page, "stride") == "3"
    page.close()


def test_a_link_to_home_carries_the_configuration_to_the_next_page(browser, app_url):
    page = open_page(browser, f"{app_url}/?stride=2&h=9&input=ramp")
    _settle(page)
    page.get_by_text("Forward: the sliding window").first.click()
    _settle(page)
    assert _box(page, "stride") == "2" and _box(page, "h") == "9"
    assert "stride=2" in page.url and "h=9" in page.url
    page.close()


def test_a_custom_input_shows_its_size_and_a_grid_edit_reaches_the_text_and_the_url(browser, app_url):
    page = open_page(browser, f"{app_url}/forward?input=custom", height=2000)
    _settle(page)
    side = page.locator("[data-testid=stSidebar]")
    _hidden(page, "h")
    expect(side.get_by_text("H x W: 4 x 4")).to_be_visible()
    side.get_by_text("Edit in a grid").click()
    _settle(page)
    canvas = side.locator("[data-testid=stDataFrame] canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    header = 35  # px: the grid's header row; rows are as tall, the index column about as wide
    page.mouse.click(box["x"] + 40 + 40 * 1.5, box["y"] + header * 1.5)  # row 1, column 2
    page.keyboard.press("Enter")  # open the cell's editor
    page.locator("#portal textarea, #portal input").first.fill("42")
    page.keyboard.press("Enter")
    _settle(page, 1500)
    assert side.locator("textarea").first.input_value().startswith("1 42 3 0\n")
    assert "input_text=1+42+3+0" in page.url
    ARTIFACTS.mkdir(exist_ok=True)
    side.screenshot(path=str(ARTIFACTS / "sidebar-grid-edit.png"))
    page.close()


def test_clicking_cells_picks_them_on_every_pickable_chart(browser, app_url):
    page = open_page(browser, f"{app_url}/flip?dz=single+1", height=3200)
    _settle(page)
    assert (_box(page, "cell_y"), _box(page, "cell_x")) == ("1", "1")
    _click_cell(page, "verdict", 4, 2)  # input cell (2, 4)
    assert (_box(page, "cell_y"), _box(page, "cell_x")) == ("2", "4")
    assert page.get_by_text("Padded cell (2, 4), input cell (2, 4)").count() == 1
    assert "cell_y=2" in page.url and "cell_x=4" in page.url
    # hover and the click's selection come from the layer's data: Plotly draws one of its markers, not one a cell
    page.mouse.move(*_cell_px(page, "verdict", 3, 1))
    page.wait_for_timeout(500)
    verdict = page.locator(".st-key-verdict .js-plotly-plot").first
    assert "input cell (1, 3): " in verdict.evaluate("el => el.querySelector('.hoverlayer').textContent")
    layers, cells, drawn = verdict.evaluate(
        """(el, hint) => { const picks = el._fullData.filter(t => t.hovertemplate && t.hovertemplate.includes(hint));
            return [picks.length, picks.reduce((n, t) => n + t.x.length, 0),
                    el.querySelectorAll('.scatterlayer path.point').length]; }""",
        PICK_HINT,
    )
    assert layers >= 1 and cells >= 25 and drawn <= layers + 4  # + the overlays' own markers (the x of a hole)
    _click_cell(page, "dz_pick", 0, 3)  # the single 1 to row 3, column 0
    assert (_box(page, "dz_h"), _box(page, "dz_w")) == ("3", "0")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".st-key-verdict").screenshot(path=str(ARTIFACTS / "pick-verdict.png"))

    page.goto(f"{app_url}/matrix")
    _settle(page)
    _click_cell(page, "mx_backward", 5, 7)  # row q = 7 of Cᵀ: input cell (1, 1)
    assert (_box(page, "mx_y"), _box(page, "mx_x")) == ("1", "1")
    assert page.get_by_text("Row q = 7 (A_prev[1, 1]) of Cᵀ, read along:").count() == 1

    page.goto(f"{app_url}/symbolic?sym_dim=1D")
    _settle(page)
    _click_cell(page, "sym_jacobian", 3, 2)  # the entry of output Q_2 in input d's column
    assert "sym_col=d" in page.url
    page.locator(".st-key-sym_jacobian").screenshot(path=str(ARTIFACTS / "pick-jacobian.png"))
    assert page.locator("[data-testid=stException]").count() == 0
    page.close()
