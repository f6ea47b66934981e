"""Start the real app (``streamlit run app.py``) on a free loopback port and drive Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"  # screenshots the browser tests save, for a person to look at
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(cmd: list[str], port: int, log_name: str, timeout: float = 90):
    """Start ``cmd`` (a server that listens on ``port``), wait until ``/_stcore/health`` answers ``ok`` on
    loopback, yield ``(base_url, process)``; stop it afterwards. Fails with the end of the log if it never
    answers."""
    log_path = ROOT / log_name
    log = open(log_path, "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start (exit {proc.poll()}): {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        log_path.unlink(missing_ok=True)


@contextlib.contextmanager
def running_app(extra_args: list[str] | None = None, timeout: float = 90):
    """Yield ``(base_url, process)`` of ``streamlit run app.py`` on a free loopback port; stop it afterwards."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *(extra_args or []),
    ]
    with running_server(cmd, port, ".streamlit-test.log", timeout) as served:
        yield served


def open_page(browser, url: str, height: int = 1400):
    """A new tab on ``url``, once Streamlit has drawn the app and finished running the script."""
    page = browser.new_page(viewport={"width": 1500, "height": height})
    page.goto(url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    return page


def plot_state(page, index: int, trace: int) -> dict:
    """The x coordinates of one trace of the ``index``-th chart, and the chart's title."""
    return page.evaluate(
        """([i, t]) => { const p = document.querySelectorAll('.js-plotly-plot')[i];
            return {x: Array.from(p.data[t].x), title: p.layout.title.text}; }""",
        [index, trace],
    )


def click_menu(page, chart: int, label: str) -> None:
    """Click a Plotly menu button of the ``chart``-th animated chart by its label (SVG text, which
    Playwright's has_text does not see). Each animated chart has the same six buttons."""
    page.wait_for_selector(".updatemenu-button", timeout=30_000)
    buttons = page.locator(".updatemenu-button")
    labels = buttons.evaluate_all("els => els.map(e => e.textContent)")
    per_chart = len(labels) // max(1, labels.count("step ▶"))
    buttons.nth(chart * per_chart + labels[:per_chart].index(label)).click()
    page.wait_for_timeout(400)


def steps_and_plays(page, chart: int = 0, plot: int = 0, play_ms: int = 1500) -> None:
    """Step forward, back, and Play on the ``chart``-th animated chart (the ``plot``-th chart of the page): a step
    moves the window and changes the title, back one step is the same frame again, and Play moves it on."""
    t = overlay_index(page, plot)
    start = plot_state(page, plot, t)
    click_menu(page, chart, "step ▶")
    one = plot_state(page, plot, t)
    assert one["x"] != start["x"] and one["title"] != start["title"]
    click_menu(page, chart, "step ▶")
    click_menu(page, chart, "◀ step")
    assert plot_state(page, plot, t) == one  # back one step is the same frame again
    click_menu(page, chart, "▶ fast")
    page.wait_for_timeout(play_ms)
    assert plot_state(page, plot, t)["x"] != one["x"]


def overlay_index(page, index: int) -> int:
    """The first overlay trace of a chart: the one its frames move."""
    return page.evaluate(
        "(i) => document.querySelectorAll('.js-plotly-plot')[i]._transitionData._frames[0].traces[0]", index
    )


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # installed by `npm ci` (package.json), as the README says
DRAWN = """() => !document.querySelector('[data-testid=stStatusWidget]')
    && !document.querySelector('[data-testid=stSkeleton]')
    && !!document.querySelector('[data-testid=stMain] h1')
    && Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]')).every(e => e.querySelector('.main-svg'))"""


def wait_until_drawn(page, timeout: float = 90_000) -> None:
    """Until the script has finished, no placeholder is left and every chart has drawn, twice 0.5 s apart (a chart
    that appears late would start its own placeholder)."""
    for _ in range(2):
        page.wait_for_function(DRAWN, timeout=timeout)
        page.wait_for_timeout(500)
    page.wait_for_function(DRAWN, timeout=timeout)


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the whole page: ``[{id, impact, count, target, summary}]``, one per rule."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, count: v.nodes.length, target: v.nodes[0].target.join(' '),
            summary: (v.nodes[0].failureSummary || '').split('\\n').slice(0, 2).join(' ')}))"""
    )
