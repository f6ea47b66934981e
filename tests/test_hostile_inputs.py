"""Hostile input on every page, through the real app.py (AppTest): every control at its extremes, nonsense in
every text box, and hand-edited URLs. Nothing may raise; refused input gets a clear st.error / st.warning;
the last good state stays on screen.

The pages are read from app.py and their widgets are found at run time, so a page that gains a control is
covered without changing this file.
"""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.apphelpers import APP, ROOT, assert_clean, figures, messages
from ui import limits

PAGES = re.findall(r'st\.Page\(\s*"views/(\w+)\.py"', (ROOT / "app.py").read_text())
WIDGET_KINDS = ("number_input", "selectbox", "radio", "text_area", "text_input", "slider", "select_slider")
SIDEBAR_TEXT_KEYS = ("input_text", "kernel_text")

HOSTILE_TEXT = [
    "__import__('os').system('touch /tmp/pwned')",
    "1e999 nan\ninf 1_000",
    "１ ２\n٣ ٤",  # full-width and Arabic-Indic digits
    "1 2 3\n4 5",  # ragged rows
    "\x00\x00 1",
    "<script>alert(1)</script> [link](http://127.0.0.1:9/) :red[x] $x^2$",
    "1 " * 15_000,  # 30,000 characters: past the parser's limit
    "",
]


def test_pages_are_found_in_app_py():
    assert PAGES[:3] == ["home", "forward", "flip"] and len(PAGES) >= 7, PAGES


def _open(page: str, query: dict | None = None) -> AppTest:
    """Open ``page`` directly (one run, as a browser following a link), with URL query parameters."""
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != "home":
        at.switch_page(f"views/{page}.py")
    return at.run()


def _widgets(at: AppTest) -> dict[str, object]:
    """Every keyed input widget on the page (main area and sidebar), by key."""
    out = {}
    for kind in WIDGET_KINDS:
        for w in at.get(kind):
            if w.key:
                out[w.key] = w
    return out


def _alerts(at: AppTest) -> list[str]:
    return messages(at, "error") + messages(at, "warning")


def _check(at: AppTest, charts_before: set[str], what: str) -> None:
    """No exception; the page either keeps its charts or says why not; no animation past the frame bound."""
    assert not at.exception, (what, [e.value for e in at.exception])
    charts = figures(at)
    if charts_before and not charts:
        assert _alerts(at), f"{what}: the charts are gone and no error or warning says why"
    for key, spec in charts.items():
        assert len(spec.get("frames", [])) <= limits.MAX_FRAMES, (what, key)


def _set_bounds(at: AppTest, pick: str) -> dict:
    """Set every enabled number box to its minimum or maximum (``pick``); returns what was set."""
    chosen = {}
    for key, w in _widgets(at).items():
        if w.type == "number_input" and not w.proto.disabled:
            assert w.min is not None and w.max is not None, f"number box {key!r} is unbounded"
            chosen[key] = int(w.max if pick == "max" else w.min)
            w.set_value(chosen[key])
    return chosen


@pytest.mark.parametrize("page", PAGES)
def test_every_control_at_its_extremes_never_raises(page):
    at = _open(page)
    assert_clean(at)
    charts_before = set(figures(at))

    # Every number box to its maximum, then every one to its minimum (the page's own boxes included, their
    # bounds read again after each run since they follow the configuration).
    for pick in ("max", "min", "max"):
        chosen = _set_bounds(at, pick)
        at.run()
        _check(at, charts_before, f"{page}: every number box at its {pick} {chosen}")

    # The largest output (38 x 38 windows, four channels each way) and a kernel that cannot fit.
    for case in (
        {"h": 32, "w": 32, "kh": 1, "kw": 1, "pad": 3, "stride": 1, "cin": 4, "cout": 4},
        {"h": 1, "w": 1, "kh": 7, "kw": 7, "pad": 0},
    ):
        for key, value in case.items():
            at.number_input(key=key).set_value(value)
        at.run()
        _check(at, charts_before, f"{page}: {case}")
    if page in ("forward", "flip"):
        assert any("larger than the padded input" in m for m in _alerts(at)), f"{page}: a 7x7 kernel on 1x1 input"
    at.number_input(key="pad").set_value(3).run()  # a 7x7 kernel fits a 1x1 input padded by 3
    _check(at, charts_before, f"{page}: 1x1 input, 7x7 kernel, pad 3")

    # Every option of every selectbox and radio, all of them stepping together.
    seen: set[tuple[str, str]] = set()
    for step in range(12):
        changed = False
        for key, w in _widgets(at).items():
            if w.type in ("selectbox", "radio") and not w.proto.disabled and w.options:
                option = w.options[step % len(w.options)]
                if (key, option) not in seen:
                    seen.add((key, option))
                    _choose(w, w.options.index(option))
                    changed = True
        if not changed:
            break
        at.run()
        _check(at, charts_before, f"{page}: options step {step}")


def _choose(w, index: int) -> None:
    """Pick option ``index``: by value for widgets over ``range(n)`` shown through a format function, else by label."""
    option = w.options[index]
    try:
        by_index = not isinstance(w.value, str) and w.format_func(index) == option
    except Exception:  # noqa: BLE001 - a format function that cannot take an int: the options are labels
        by_index = False
    w.set_value(index if by_index else option)


@pytest.mark.parametrize("page", PAGES)
def test_nonsense_typed_into_every_text_box_is_refused_and_the_last_good_state_kept(page):
    query = {"input": "custom", "kernel": "custom"}
    at = _open(page, query)
    assert_clean(at)
    # Every preset that offers "custom" switches to it, so every text box is on screen.
    for _ in range(2):
        for w in _widgets(at).values():
            if w.type == "selectbox" and "custom" in w.options and w.value != "custom":
                w.set_value("custom")
        at.run()
    assert_clean(at)
    boxes = [k for k, w in _widgets(at).items() if w.type in ("text_area", "text_input")]
    assert set(SIDEBAR_TEXT_KEYS) <= set(boxes), boxes

    at.text_area(key="input_text").set_value("1 2 3 0\n4 5 6 1\n7 8 9 2\n0 1 2 3")
    at.text_area(key="kernel_text").set_value("1 2\n3 4")
    at.run()
    assert_clean(at)
    good = {k: json.dumps(v, sort_keys=True) for k, v in figures(at).items()}
    good_alerts = _alerts(at)

    for text in HOSTILE_TEXT:
        for key in SIDEBAR_TEXT_KEYS:
            at.text_area(key=key).set_value(text)
        at.run()
        _check(at, set(good), f"{page}: {text[:40]!r}")
        alerts = _alerts(at)
        assert len(alerts) > len(good_alerts), f"{page}: {text[:40]!r} was not refused with a message"
        now = {k: json.dumps(v, sort_keys=True) for k, v in figures(at).items()}
        assert now == good, f"{page}: {text[:40]!r} changed the charts; the last good matrices must stay"

    # The page's own text boxes (an upstream gradient dZ, ...): nonsense never raises and is refused.
    for key in boxes:
        if key in SIDEBAR_TEXT_KEYS:
            continue
        for text in HOSTILE_TEXT[:3] + HOSTILE_TEXT[-2:]:
            before = len(_alerts(at))
            _widgets(at)[key].set_value(text)
            at.run()
            _check(at, set(good), f"{page}: {key} = {text[:40]!r}")
            assert len(_alerts(at)) >= max(1, before), f"{page}: {key} = {text[:40]!r} was not refused"


NONSENSE = ["1e999", "-1", "zzz", "", "9" * 5000, "<script>alert(1)</script>", "nan", "-inf", "0x10", "12abc"]


def _bound_widgets(at: AppTest) -> dict[str, object]:
    return {k: w for k, w in _widgets(at).items() if w.proto.query_param_key}


@pytest.mark.parametrize("page", PAGES)
def test_a_hand_edited_url_opens_at_defaults_with_a_notice(page):
    clean = _open(page)
    assert_clean(clean)
    defaults = {k: w.value for k, w in _bound_widgets(clean).items() if k not in SIDEBAR_TEXT_KEYS}
    sidebar_keys = {w.key for kind in WIDGET_KINDS for w in clean.sidebar.get(kind) if w.key}
    for shift in range(3):
        query = {key: NONSENSE[(i + shift) % len(NONSENSE)] for i, key in enumerate(sorted(defaults))}
        query |= {"unknown_key": "1", "__import__('os')": "x"}
        at = _open(page, query)
        assert not at.exception, (query, [e.value for e in at.exception])
        now = _bound_widgets(at)
        for key, default in defaults.items():
            if key in now:
                assert now[key].value == default, f"{page}: ?{key}={query[key][:20]!r} gave {now[key].value!r}"
        toasts = [t.proto.body for t in at.get("toast")]
        refused = {k for k in sidebar_keys & set(query) if query[k] != ""}
        if refused:
            assert toasts and "could not be used" in toasts[0], (page, query)
            named = set(re.findall(r"`(\w+)`", toasts[0]))
            assert named & refused, (toasts[0], refused)


@pytest.mark.parametrize(
    "query",
    [
        {"h": ["3", "4"], "stride": ["2", "zzz"]},  # a key given twice
        {"input": "custom", "input_text": "1 " * 30_000},  # a huge text in the URL
        {"input": "custom", "input_text": "__import__('os').system('true')"},
        {"h": "٣", "w": "１"},  # digits float() reads but nobody types
        {"seed": "9" * 30},
    ],
    ids=["repeated", "huge-text", "expression", "unicode-digits", "huge-seed"],
)
def test_odd_urls_on_the_flip_page_never_raise(query):
    at = _open("flip", query)
    assert_clean(at)
    assert at.title and at.title[0].value.startswith("Is the kernel flipped")
    if "input_text" in query:
        assert any("Custom input" in m for m in messages(at, "error"))


@pytest.mark.parametrize(
    "text,live",
    [
        ("[a](http://x.y/)", [r"(?<!\\)\]\(", r"(?<!\\)\[a"]),
        ("http://127.0.0.1:9/", [r"http://"]),
        ("www.example.com", [r"www\."]),
        ("a@b.co", [r"a@b"]),
        (":red[x]", [r"(?<!\\):red"]),
        ("$x^2$", [r"(?<!\\)\$x"]),
        ("**bold**", [r"(?<!\\)\*\*"]),
    ],
)
def test_typed_markdown_is_shown_as_text_not_rendered(text, live):
    """A link like ?input=custom&input_text=[a](http://...) must not put a live link in the app's error box:
    markdown characters are escaped and bare links broken (what is left would render as the text typed)."""
    at = _open("forward", {"input": "custom", "input_text": text})
    assert_clean(at)
    (body,) = [m for m in messages(at, "error") if "Custom input" in m]
    assert "is not a number" in body
    for pattern in live:
        assert not re.search(pattern, body), (pattern, body)


HOSTILE_CELLS = ["__import__('os').system('true')", float("nan"), float("inf"), -1e308, None, 10**30, "1 + 1"]


@pytest.mark.parametrize("page", PAGES)
def test_nonsense_in_every_grid_editor_is_refused_and_the_last_good_state_kept(page):
    """Every typed matrix has a grid editor beside its text box; a hostile cell is refused with the text box's rules
    (a message naming the cell), the text and the charts stay as they were."""
    at = _open(page, {"input": "custom", "kernel": "custom", "dz": "custom", "dz_text": "1"})
    for w in _widgets(at).values():  # every preset that offers "custom" switches to it
        if w.type == "selectbox" and "custom" in w.options and w.value != "custom":
            w.set_value("custom")
    at.run()
    assert_clean(at)
    grids = [d.key for d in at.data_editor if d.key and d.key.startswith("_grid_")]
    if not grids:
        return  # a page without a typed matrix of its own, whose sidebar shows none
    good = {k: json.dumps(v, sort_keys=True) for k, v in figures(at).items()}
    texts = {k: w.value for k, w in _widgets(at).items() if w.type == "text_area"}
    for value in HOSTILE_CELLS:
        for key in [d.key for d in at.data_editor if d.key and d.key.startswith("_grid_")]:
            at.session_state[key] = {"edited_rows": {0: {"1": value}}, "added_rows": [], "deleted_rows": []}
            at.run()
            _check(at, set(good), f"{page}: {key} <- {value!r}")
            assert any("row 1, column 1" in m for m in messages(at, "error")), f"{page}: {value!r} not refused"
        now = {k: json.dumps(v, sort_keys=True) for k, v in figures(at).items()}
        assert now == good, f"{page}: {value!r} in a grid changed the charts"
        assert texts == {k: w.value for k, w in _widgets(at).items() if w.type == "text_area"}, value
