"""What a reader sees never speaks the project's internal language.

The questions the app answers came to the team as numbered documents ("seeds"), tracked as "issues", worked on by
"helpers" in "worktrees" under ``/work/shared/``: none of that means anything to a learner, so none of it may reach
the page. Every page of the router (read from app.py) is run with AppTest, with its defaults and a few other
configurations, and every string a reader can see is collected from the element protos (markdown, captions, titles,
alerts, toasts, labels, help texts, option labels, metric labels, page links, expander labels, code), the cells of
every table and dataframe and every string of every chart's spec (titles, annotations, hover templates). The catalogue
of mistakes is read directly as well: the mistakes and "check my code" pages show its titles, explanations, origins
and fixes.

Allowed: the random-number seed control ("Random seed", its help) and ``np.random.seed(...)``, the course's own
code.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from grader import mistakes
from tests.apphelpers import APP, ROOT

PAGES = re.findall(r'st\.Page\(\s*"views/(\w+)\.py"', (ROOT / "app.py").read_text())
SOLUTIONS = ROOT / "tests" / "solutions"

# (what, pattern): matched case-insensitively on what a reader sees
FORBIDDEN = [
    ("seed", r"\bseed(s|ed|ing)?\b"),
    ("issue", r"\bissues?\b"),
    ("helper", r"\bhelpers?\b"),
    ("worktree", r"\bwork ?trees?\b"),
    ("the brief", r"\bthe brief\b"),
    ("a path of the project's machine", r"/work/|\bshared/|\bseeds/|\bwt-[a-z]"),
    ("a file of the source documents", r"\b00[0-3]_[0-9a-f]{6,}"),
    ("the tracker", r"\btracker\b"),
    ("a note to the team", r"\b(TODO|FIXME|XXX)\b"),
]
ALLOWED = re.compile(r"random seed|np\.random\.seed\(", re.IGNORECASE)  # the random-number seed is a real thing

# proto fields that are not text a reader sees: ids, URL keys, icons, formats, file ids, the chart (read as JSON)
NOT_SHOWN = {
    "id",
    "query_param_key",
    "deferred_file_id",
    "icon",
    "type",
    "tag",
    "format",
    "language",
    "theme",
    "config",
    "form_id",
    "url",
    "page",
    "page_script_hash",
    "query_string",
    "spec",
    "selection_mode",
    "default",
    "file_id",
}
SEED_CONTROL = "seed"  # the key of the "Random seed" box: its label and help may say "seed"


def _many(v) -> bool:
    return not isinstance(v, (str, bytes, Message)) and hasattr(v, "__len__")


def _proto_strings(msg: Message):
    for field, value in msg.ListFields():
        if field.name in NOT_SHOWN:
            continue
        for item in list(value) if _many(value) else [value]:
            if isinstance(item, str):
                yield item
            elif isinstance(item, Message):
                yield from _proto_strings(item)


def _json_strings(obj):
    """Every string of a chart's spec, skipping its arrays of numbers (``{"bdata": ...}``)."""
    if isinstance(obj, dict):
        if "bdata" in obj:
            return
        for value in obj.values():
            yield from _json_strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _json_strings(value)
    elif isinstance(obj, str):
        yield obj


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def seen_text(at: AppTest) -> list[tuple[str, str]]:
    """``(where, text)`` for every string a reader of this run can see."""
    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        where = type(node).__name__
        if getattr(proto, "query_param_key", "") == SEED_CONTROL or str(getattr(proto, "id", "")).endswith("-seed"):
            continue
        out += [(where, s) for s in _proto_strings(proto)]
        if where == "UnknownElement" and getattr(proto, "spec", ""):
            out += [("chart", s) for s in _json_strings(json.loads(proto.spec))]
        if where in ("Dataframe", "Table"):
            df = node.value
            out += [("dataframe", str(c)) for c in df.columns]
            out += [("dataframe", str(v)) for v in df.astype(str).to_numpy().ravel()]
    return out


def offences(texts) -> list[str]:
    found = []
    for where, text in texts:
        plain = ALLOWED.sub("", text)
        for what, pattern in FORBIDDEN:
            m = re.search(pattern, plain, re.IGNORECASE)
            if m:
                start = max(0, m.start() - 60)
                found.append(f"{where}: {what} in …{plain[start : m.end() + 60]}…")
    return found


def _open(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page != "home":
        at.switch_page(f"views/{page}.py")
    return at.run()


CONFIGURATIONS = [(page, {}) for page in PAGES] + [
    ("forward", {"input": "custom", "kernel": "custom", "cin": "2"}),
    ("flip", {"dz": "single 1", "cin": "2", "cout": "2", "groups": "2", "dilation": "2", "stride": "2"}),
    ("flip", {"dz": "custom", "kernel": "sobel (x)", "conv": "true convolution"}),
    ("weights", {"cin": "2", "cout": "2", "dz": "random integers"}),
    ("symbolic", {"sym_dim": "1D"}),
    ("symbolic", {"sym_dim": "1D", "sym_k": "4"}),  # the letters run out: the page says so in its own words
    ("symbolic", {"sym_dim": "2D", "sym_sidebar": "false", "sym_numbers": "random integers"}),
    ("pooling", {"input": "plateaus (ties)", "dz": "single 1"}),
    ("matrix", {"cin": "2", "dz": "single 1"}),
    ("transposed", {"tx_x": "single 1", "stride": "2"}),
    ("mistakes", {"mistake": mistakes.CATALOGUE[1].title}),
    ("home", {"stride": "zzz", "h": "99999"}),  # the notice about link values that could not be used
]


def test_the_pages_are_read_from_app_py():
    assert PAGES[:2] == ["home", "forward"] and {"symbolic", "mistakes", "check"} <= set(PAGES), PAGES


def test_the_scan_finds_the_words_it_looks_for():
    """The scan itself can fail: each forbidden word is found in a sentence that has it, the allowed ones are not."""
    for sentence in (
        "The seed's a b c d e with x y",
        "seed letters",
        "Where it comes from: seeds 000 and 001",
        "see the issue",
        "the helper's worktree",
        "as the brief says",
        "/work/shared/seeds/001_b68b642f3abc8c48.txt",
    ):
        assert offences([("test", sentence)]), sentence
    assert not offences([("test", "Random seed"), ("test", "np.random.seed(1), A_prev (10, 4, 4, 3)")])


@pytest.mark.parametrize("page,query", CONFIGURATIONS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(CONFIGURATIONS)])
def test_no_page_speaks_the_projects_internal_language(page, query):
    at = _open(page, query)
    assert not at.exception, [e.value for e in at.exception]
    texts = seen_text(at)
    assert len(texts) > 5, f"{page}: the scan read almost nothing"
    assert not offences(texts), "\n".join(offences(texts))


def test_the_navigation_titles_say_nothing_internal():
    titles = re.findall(r'title="([^"]+)"', (ROOT / "app.py").read_text())  # page_title and every st.Page
    assert len(titles) == len(PAGES) + 1 and not offences([("navigation", t) for t in titles])


def test_the_catalogue_of_mistakes_says_nothing_internal():
    """The mistakes page shows every mistake's title, explanation, 'when', origin and fix; the check page the same
    for the mistakes it recognises, and the labels of the cases."""
    texts = []
    for m in mistakes.CATALOGUE:
        texts += [(f"{m.key}.{f}", getattr(m, f)) for f in ("title", "when", "explanation", "origin", "fix")]
        for case in mistakes.cases(m.shown_by):
            texts.append((f"case {case.name}", case.label))
    assert not offences(texts), "\n".join(offences(texts))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux's")
@pytest.mark.parametrize("solution", ["mistake_mask_argmax.py", "imports_public_tests.py", "mistake_two_slips.py"])
def test_a_report_on_the_check_page_says_nothing_internal(solution):
    at = _open("check")
    at.text_area(key="check_code").set_value((SOLUTIONS / solution).read_text())
    at.button(key="check_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    texts = seen_text(at)
    assert any("Your report" in t for _, t in texts), "no report on the page"
    assert not offences(texts), "\n".join(offences(texts))
