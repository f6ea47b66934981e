"""Shared helpers for the AppTest tests: open the real app through app.py, read charts and messages."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def open_app(page: str | None = None, query: dict | None = None, timeout: float = 120) -> AppTest:
    """Open app.py as a link would: straight on ``views/<page>.py`` (each page's url_path is its file name, so
    AppTest finds it before the first run), with the URL query parameters ``query``."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(f"views/{page}.py")
    at.run()
    return at


def figures(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page, by its key, as the JSON spec sent to the browser; the line breaks that wrap the
    titles to a phone's width read as spaces."""
    out = {}
    for el in at.get("plotly_chart"):
        key = el.proto.id.rsplit("-", 1)[-1]
        spec = json.loads(el.proto.spec)
        layouts = [spec.get("layout", {})] + [f.get("layout", {}) for f in spec.get("frames", [])]
        for part in [a for layout in layouts for a in layout.get("annotations", [])] + [
            layout["title"] for layout in layouts if isinstance(layout.get("title"), dict)
        ]:
            if isinstance(part.get("text"), str):
                part["text"] = part["text"].replace("<br>", " ")
        out[key] = spec
    return out


def open_share_link(at: AppTest) -> list[str]:
    """Open the sidebar's "Share this configuration" box (built only while open) and return the links it shows."""
    from ui.controls import SHARE_OPEN

    at.session_state[SHARE_OPEN] = True
    at.run()
    return [c.value for c in at.sidebar.code]


def texts(at: AppTest) -> str:
    """All markdown, captions, LaTeX and titles of the run, joined: what a reader sees as text."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [h.value for h in at.header] + [s.value for s in at.subheader] + [x.value for x in at.latex]
    return "\n".join(str(p) for p in parts)


def messages(at: AppTest, kind: str) -> list[str]:
    """Bodies of st.error / st.warning / st.info / st.success elements."""
    return [str(e.value) for e in getattr(at, kind)]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def array(value):
    """A Plotly JSON array as NumPy: plain lists, or the typed form ``{"dtype", "bdata", "shape"}``."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return data.reshape(shape) if shape else data
    return np.asarray(value, dtype=float)


def hidden_boxes(at: AppTest) -> set[str]:
    """The controls' containers this page's style sheet hides (``ctl_input``, ...): ui/controls.py draws every shared
    control on every page and hides the ones the page does not use."""
    import re

    css = " ".join(str(el.proto.body) for el in at.get("html"))
    return set(re.findall(r"\.st-key-(ctl_\w+)", css))


def shown_sidebar_widgets(at: AppTest) -> dict:
    """The sidebar's keyed widgets a reader can see (not inside a hidden container), by key."""
    hidden = hidden_boxes(at)

    def walk(node, hide: bool):
        block_id = str(getattr(getattr(node, "proto", None), "id", "") or "")
        hide = hide or any(block_id.endswith("-" + box) for box in hidden)
        key = getattr(node, "key", None)
        if key and not hide and hasattr(node, "value") and node.type not in ("html", "markdown", "caption"):
            yield key, node
        for child in getattr(node, "children", {}).values():
            yield from walk(child, hide)

    return dict(walk(at.sidebar, False))


def table(at: AppTest, k: int = 0):
    """The ``k``-th static table (``st.table``, as :func:`ui.tables.show_table` draws it) as a DataFrame of the text
    a reader sees: Markdown escapes removed, numbers still text (``pd.to_numeric`` reads them)."""
    import re

    df = at.table[k].value
    df = df.map(lambda v: re.sub(r"\\(.)", r"\1", str(v)))
    df.columns = [re.sub(r"\\(.)", r"\1", str(c)) for c in df.columns]
    return df
