"""The charts in Chromium (ui/charts.py): drawn once, not twice; laid out as Streamlit's theme laid them out; coloured
in the active theme, light or dark, and again when it changes."""

from __future__ import annotations

import json
import sys

import pytest

from tests.apphelpers import open_app
from tests.browser import free_port, open_page, running_server, wait_until_drawn
from ui.figures import EVERY_CELL_LABELLED

pytestmark = pytest.mark.browser

# Streamlit's chart element, once a chart is drawn, applies its theme again to a JSON copy of the figure and hands it
# to Plotly.react (1.67). Here the same, by hand, on every chart of a page: did Plotly compute the traces again
# (``calcdata`` replaced) or redraw them (the plot layer's nodes replaced)? ``withTemplate`` adds a template to the
# copy, as Streamlit's own theme does: the check must see that draw (else it could not fail).
_SECOND_PASS = """async (withTemplate) => {
  const out = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const calc = gd.calcdata, layer = gd.querySelector('.cartesianlayer .hm image, .cartesianlayer .trace');
    layer.__before = true;
    const copy = JSON.parse(JSON.stringify({data: gd.data, layout: gd.layout, frames: gd._transitionData._frames}));
    if (withTemplate) copy.layout.template = {layout: {font: {size: 12}}};
    await window.Plotly.react(gd, copy);
    const now = gd.querySelector('.cartesianlayer .hm image, .cartesianlayer .trace');
    out.push({calc: gd.calcdata === calc, nodes: !!(now && now.__before)});
  }
  return out;
}"""


@pytest.mark.parametrize("path", ["flip", "pooling"])
def test_the_second_draw_streamlit_asks_for_changes_nothing(browser, app_url, path):
    page = open_page(browser, f"{app_url}/{path}")
    wait_until_drawn(page)
    kept = page.evaluate(_SECOND_PASS, False)
    assert len(kept) >= 3
    assert all(k == {"calc": True, "nodes": True} for k in kept), kept
    # the control: with a template in the copy, as with Streamlit's theme, Plotly computes every chart again
    assert not any(k["calc"] for k in page.evaluate(_SECOND_PASS, True))
    page.close()


_FILLS = """() => { const gd = document.querySelector('.st-key-scatter_anim .js-plotly-plot');
  const fill = (sel) => getComputedStyle(gd.querySelector(sel)).fill;
  const placeholders = /rgb\\(136, 139, 15[1-5]\\)/;
  let left = 0;
  for (const el of document.querySelectorAll('.js-plotly-plot .main-svg *')) {
    const s = getComputedStyle(el);
    if (placeholders.test(s.fill) || placeholders.test(s.stroke)) left++;
  }
  return {tick: fill('.xtick text'), subtitle: fill('text.annotation-text'), title: fill('.gtitle'),
          button: fill('.updatemenu-item-text'), slider: fill('.slider-label'), left,
          step: gd._fullLayout.sliders[0].active}; }"""


def test_chart_colours_follow_the_theme_and_its_change(browser, app_url):
    page = browser.new_page(viewport={"width": 1500, "height": 1400}, color_scheme="light")
    page.goto(f"{app_url}/flip")
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    wait_until_drawn(page)
    page.locator(".st-key-scatter_anim g.updatemenu-button").filter(has_text="step ▶").first.click()
    page.wait_for_timeout(300)
    light = page.evaluate(_FILLS)
    assert light == {
        "tick": "rgb(107, 111, 125)",  # #6b6f7d: 5.0:1 on white
        "subtitle": "rgb(107, 111, 125)",
        "title": "rgb(14, 13, 12)",  # the theme's text colour (.streamlit/config.toml)
        "button": "rgb(107, 111, 125)",
        "slider": "rgb(107, 111, 125)",
        "left": 0,  # every placeholder colour painted over
        "step": 1,
    }
    page.emulate_media(color_scheme="dark")  # Streamlit follows the system's setting by default
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.js-plotly-plot .xtick text')).fill === 'rgb(230, 234, 241)'",
        timeout=30_000,
    )
    dark = page.evaluate(_FILLS)
    assert dark == {
        "tick": "rgb(230, 234, 241)",
        "subtitle": "rgb(230, 234, 241)",
        "title": "rgb(237, 235, 232)",
        "button": "rgb(230, 234, 241)",
        "slider": "rgb(230, 234, 241)",
        "left": 0,
        "step": 1,  # the player stays where the reader left it
    }
    page.close()


# Every cell axis of every chart: how many cells it spans, the tick values Plotly drew, and whether two of its labels
# overlap on screen.
_TICKS = """() => {
  const out = [];
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const L = gd._fullLayout;
    for (const sp of Object.keys(L._plots)) {
      const plot = L._plots[sp];
      for (const [ax, letter] of [[plot.xaxis, 'x'], [plot.yaxis, 'y']]) {
        if (!ax.showticklabels || !ax._vals) continue;
        const cells = Math.round(Math.abs(ax.range[1] - ax.range[0]));
        const boxes = Array.from(gd.querySelectorAll(`.subplot.${sp} .${letter}axislayer-above .${letter}tick text`))
          .map(t => t.getBoundingClientRect()).filter(r => r.width > 0);
        let overlaps = 0;
        for (let a = 0; a < boxes.length; a++) for (let b = a + 1; b < boxes.length; b++) {
          const p = boxes[a], q = boxes[b];
          if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1) overlaps++;
        }
        out.push({cells, vals: ax._vals.map(v => v.x), overlaps});
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("width", [1500, 390])
def test_axes_of_many_cells_label_every_few_and_no_label_overlaps(browser, app_url, width):
    """Up to 16 cells (EVERY_CELL_LABELLED) every cell is labelled; past that Plotly spaces the labels for the axis's
    length (38 labels ran into each other), and they stay whole cell indices."""
    page = browser.new_page(viewport={"width": width, "height": 1400})
    page.goto(f"{app_url}/forward?input=random+integers&h=32&w=32&cin=2&pad=3")
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    wait_until_drawn(page)
    axes = page.evaluate(_TICKS)
    assert {a["cells"] for a in axes} >= {3, 36, 38}  # the kernel, the output, the padded input
    for a in axes:
        assert a["overlaps"] == 0, a
        vals = sorted(a["vals"])  # a y axis runs downwards
        assert all(v == int(v) for v in vals), a
        if a["cells"] <= EVERY_CELL_LABELLED:
            assert vals == list(range(a["cells"])), a
        else:
            steps = {b - c for b, c in zip(vals[1:], vals[:-1], strict=False)}
            assert len(steps) == 1 and steps.pop() in (2, 5, 10) and len(vals) <= 10, a
    page.close()


# Plotly's full layout of a figure drawn with Streamlit's template, against the same figure as ui/charts.py sends it
# (no template): every font, margin, axis setting and SVG element alike, colours aside (the stylesheet paints them).
_LAYOUTS = """async ([pairs, template]) => {
  const host = document.createElement('div'); document.body.appendChild(host);
  const keys = ['showgrid', 'zeroline', 'ticks', 'ticklen', 'showticklabels', 'automargin', 'ticklabelposition',
                'tickfont', 'title', 'side', 'showline', 'domain', 'range', 'gridwidth', 'minor'];
  const ignored = ['template', 'datarevision', 'uirevision', 'uid'];
  const skipped = (k) => k.startsWith('_') || /color$/.test(k) || ignored.includes(k);
  const plain = (x) => x === undefined ? null : JSON.parse(JSON.stringify(x, (k, v) => skipped(k) ? undefined : v));
  const out = {};
  for (const [name, pair] of Object.entries(pairs)) {
    out[name] = [];
    for (const which of ['themed', 'sent']) {
      const fig = JSON.parse(JSON.stringify(pair[which === 'themed' ? 'raw' : 'sent']));
      if (which === 'themed') fig.layout.template = JSON.parse(JSON.stringify(template));
      fig.layout.width = 1040;
      const gd = document.createElement('div'); host.appendChild(gd);
      await window.Plotly.newPlot(gd, {data: fig.data, layout: fig.layout});
      const fl = gd._fullLayout;
      const s = {font: plain(fl.font), margin: plain(fl.margin), height: fl.height, hoverlabel: plain(fl.hoverlabel),
                 title: plain({...fl.title, font: {...fl.title.font, weight: null}}),
                 annotations: plain((fl.annotations || []).map(a => ({font: a.font, text: a.text}))),
                 menus: plain((fl.updatemenus || []).map(u => ({font: u.font, pad: u.pad}))),
                 sliders: plain((fl.sliders || []).map(u => ({font: u.font, currentvalue: u.currentvalue}))),
                 traces: plain(gd._fullData.map(t => ({textfont: t.textfont, hoverlabel: t.hoverlabel}))), dom: {}};
      for (const ax of Object.keys(fl).filter(k => /^[xy]axis\\d*$/.test(k))) {
        s[ax] = {}; for (const k of keys) s[ax][k] = plain(fl[ax][k]);
      }
      for (const el of gd.querySelectorAll('svg *')) {
        const cls = (el.getAttribute('class') || '').replace(/trace[0-9a-f]{6}/, 'trace');
        const k = el.tagName + '.' + cls; s.dom[k] = (s.dom[k] || 0) + 1;
      }
      delete s.dom['rect.bg'];  // a transparent plot area is one more (invisible) background rectangle a subplot
      out[name].push(s);
      window.Plotly.purge(gd); gd.remove();
    }
  }
  return out;
}"""

_THEMED_PAGE = """import plotly.graph_objects as go
import streamlit as st

st.title("Streamlit's theme")
st.plotly_chart(go.Figure(go.Heatmap(z=[[1, 2], [3, 4]])), key="themed")
"""


def _specs(page: str, monkeypatch) -> dict[str, dict]:
    """Every chart of ``page`` as ui/charts.py sends it, and as it was before (``for_browser`` left out)."""
    from ui import charts

    def by_key(at):
        return {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}

    sent = by_key(open_app(page))
    with monkeypatch.context() as m:
        m.setattr(charts, "for_browser", lambda fig, picks=False: fig)
        raw = by_key(open_app(page))
    for k, spec in raw.items():  # the modes Streamlit's chart element sets on a chart that picks, as it would
        spec["layout"].update({m: sent[k]["layout"][m] for m in charts._PICK_MODES if m in sent[k]["layout"]})
    return {f"{page}:{k}": {"raw": raw[k], "sent": sent[k]} for k in sent}


def test_charts_are_laid_out_as_streamlit_theme_laid_them_out(browser, tmp_path, monkeypatch):
    pairs = {**_specs("flip", monkeypatch), **_specs("matrix", monkeypatch), **_specs("mistakes", monkeypatch)}
    assert len(pairs) >= 10
    script = tmp_path / "themed.py"
    script.write_text(_THEMED_PAGE)
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    with running_server(cmd, port, ".streamlit-themed-test.log") as (base, _proc):
        page = open_page(browser, base)
        wait_until_drawn(page)
        template = page.evaluate("document.querySelector('.js-plotly-plot').layout.template")
        assert template["layout"]["font"]["family"].startswith('"Source Sans"')
        layouts = page.evaluate(_LAYOUTS, [pairs, template])
        page.close()
    for name, (themed, sent) in layouts.items():
        assert themed == sent, (name, _differences(themed, sent))


def _differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for k, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{k}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_a_downloaded_animation_steps_on_its_own_page(browser, tmp_path):
    """The step buttons of a downloaded figure work without the app: it brings ui/player.js (Spec.to_html). A step
    moves one frame from the one shown, whether the buttons, play or the slider put it there."""
    import numpy as np

    from ui import figures as F

    grid = F.Grid(z=np.zeros((4, 4)), title="input")
    steps = [F.Step(window=(k // 2, k % 2), cell=(k // 2, k % 2), title=f"frame {k}") for k in range(4)]
    fig = F.slide_figure([(grid, None)], F.Grid(z=np.zeros((2, 2)), title="out"), (3, 3), steps)
    path = tmp_path / "figure.html"
    path.write_text(fig.to_html(include_plotlyjs=True, full_html=True))
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    try:
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelector('.js-plotly-plot') && window.__convPlayer", timeout=30_000)

        def title():
            return page.evaluate("document.querySelector('.js-plotly-plot').layout.title.text")

        def step(label):
            page.locator("g.updatemenu-button").filter(has_text=label).first.click()
            page.wait_for_timeout(200)

        assert "frame 0" in title()
        step("step ▶")
        step("step ▶")
        step("◀ step")
        assert "frame 1" in title()
        page.evaluate(  # as the slider does: Plotly animates to a frame by its name
            """Plotly.animate(document.querySelector('.js-plotly-plot'), ['3'],
                 {mode: 'immediate', frame: {duration: 0, redraw: true}, transition: {duration: 0}})"""
        )
        page.wait_for_timeout(200)
        step("◀ step")
        assert "frame 2" in title()
        step("step ▶")
        step("step ▶")  # past the last frame: it stays there
        assert "frame 3" in title()
    finally:
        page.close()
