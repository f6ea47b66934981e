"""The "Check my code" page through app.py, with the real sandbox of grader/sandbox.py: it grades, and it refuses
to run anything (the gate, and run_grading behind it) when the sandbox cannot be set up or the teacher switched it
off; with every grading place taken it shows the queue and runs nothing."""

from __future__ import annotations

import re
import sys
import threading
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from grader import check, sandbox
from tests.apphelpers import assert_clean, messages, open_app, texts

SOLUTIONS = Path(__file__).resolve().parent / "solutions"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux's")


@pytest.fixture(autouse=True)
def server_settings(monkeypatch):
    """No teacher's setting and a fresh probe of the sandbox, before and after each test."""
    for name in ("GRADER_ENABLED", "GRADER_DISABLED_MESSAGE", "GRADER_SANDBOX_SIMULATE_MISSING", "GRADER_MAX_GRADINGS"):
        monkeypatch.delenv(name, raising=False)
    sandbox.status.cache_clear()
    yield
    sandbox.status.cache_clear()


_RUN_UNSANDBOXED = sandbox.run_unsandboxed


@pytest.fixture(autouse=True)
def never_unsandboxed(monkeypatch):
    """Nothing the page does may reach the command line's --no-sandbox path."""
    monkeypatch.setattr(sandbox, "run_unsandboxed", lambda *a, **k: pytest.fail("ran learner code unsandboxed"))


@pytest.fixture
def never_graded(monkeypatch):
    """grade_source fails the test if the page calls it."""
    monkeypatch.setattr(check, "grade_source", lambda *a, **k: pytest.fail("the page graded code"))


def _paste(at, code: str):
    at.text_area(key="check_code").set_value(code)
    at.button(key="check_run").click().run()
    return at


def test_a_right_file_gets_a_pass_for_every_function():
    at = _paste(open_app("check"), (SOLUTIONS / "correct_loops.py").read_text())
    assert_clean(at)
    shown = texts(at)
    assert "**8 of 8 functions pass**" in shown and shown.count(":green[PASS]") == 8


def test_two_slips_are_both_named_with_fixes_links_and_the_heatmap():
    at = _paste(open_app("check"), (SOLUTIONS / "mistake_two_slips.py").read_text())
    assert_clean(at)
    errors = "\n".join(messages(at, "error"))
    assert "Kernel transposed spatially" in errors and "db assigned instead of accumulated" in errors
    assert sum("**Fix:**" in s for s in messages(at, "success")) == 2
    assert "What the course's own test would have said:** the course's mean-only check would have caught it" in texts(
        at
    )
    # right, yours and yours - right as three figures (side by side, or one under the other on a phone)
    assert len(at.get("plotly_chart")) == 3, "the learner's output beside the right one"
    links = [(p.proto.page, urllib.parse.parse_qs(p.proto.query_string), p.proto.label) for p in at.get("page_link")]
    shown = [q["mistake"][0] for page, q, _ in links if page.endswith("mistakes")]
    assert shown == ["Kernel transposed spatially", "db assigned instead of accumulated"]  # one under each mistake
    assert any(page.endswith("flip") and q["stride"] == ["1"] for page, q, _ in links)  # the case 'plain'
    assert all(len(label) <= 40 for *_, label in links), "a page link's label is one line: it must fit a phone"


def test_a_notebook_upload_is_graded_and_its_cells_named():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Pooling"),
        nbformat.v4.new_code_cell("import numpy as np\n%matplotlib inline"),
        nbformat.v4.new_code_cell("def create_mask_from_window(x):\n    return np.max(x)"),
    ]
    at = open_app("check")
    at.radio(key="check_source").set_value("Upload a file").run()
    # AppTest has no file-uploader element: grade the bytes the uploader would hand over, through the page's helper
    from ui.check_run import run_grading  # noqa: F401 - the page's own entry point exists

    at.session_state["check_report"] = check.grade_source(
        nbformat.writes(nb).encode(), "Convolution_model_Step_by_Step.ipynb"
    )
    at.run()
    assert_clean(at)
    shown = texts(at)
    assert "notebook: code from cell 2, cell 3" in shown
    assert "Mask returns the maximum, not a mask" in "\n".join(messages(at, "error"))


@pytest.mark.parametrize(
    "code, message",
    [
        ("def zero_pad(X, pad)\n    return X\n", "does not parse"),
        ("print('hello')\n", "defines none of the graded functions"),
        ("(" * 100_000, "defines none of the graded functions"),
        ("   \n", "There is no code to check yet"),
    ],
    ids=["syntax", "no-functions", "nesting", "empty"],
)
def test_hostile_or_empty_input_gets_a_clear_message(code, message):
    at = _paste(open_app("check"), code)
    assert_clean(at)
    assert message in "\n".join(messages(at, "error") + messages(at, "warning") + [texts(at)])


# --- failing closed: what views/check.py calls (availability, then run_grading) ------------------------------


def _load_time_marker(tmp_path: Path) -> tuple[str, Path]:
    """Course-style code that, once loaded, writes a file outside its folder: only possible unsandboxed."""
    marker = tmp_path / "ran.txt"
    code = (SOLUTIONS / "correct_rot180.py").read_text()
    code += f"\n\nclass _WhenLoaded:\n    open({str(marker)!r}, 'w').write('ran')\n"
    return code, marker


@pytest.mark.parametrize(
    "env, shown",
    [
        ({"GRADER_SANDBOX_SIMULATE_MISSING": "landlock"}, "cannot provide one right now"),
        ({"GRADER_SANDBOX_SIMULATE_MISSING": "seccomp"}, "cannot provide one right now"),
        ({"GRADER_ENABLED": "0"}, "Your teacher has switched checking code off on this server."),
        ({"GRADER_ENABLED": "off", "GRADER_DISABLED_MESSAGE": "Grading is closed during the exam."}, "closed during"),
    ],
    ids=["no-landlock", "no-seccomp", "teacher-off", "teacher-off-own-message"],
)
def test_the_page_refuses_without_a_working_sandbox_and_runs_nothing(monkeypatch, never_graded, env, shown):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = open_app("check")
    assert_clean(at)
    assert any(shown in e and "Nothing was run" in e for e in messages(at, "error")), messages(at, "error")
    assert not at.get("text_area") and not at.button, "no way to hand code in"
    if "GRADER_SANDBOX_SIMULATE_MISSING" in env:  # the teacher reads what is missing
        missing = "Landlock" if env["GRADER_SANDBOX_SIMULATE_MISSING"] == "landlock" else "seccomp"
        assert any(c.value.startswith("For your teacher:") and missing in c.value for c in at.caption)


@pytest.mark.parametrize(
    "env", [{"GRADER_SANDBOX_SIMULATE_MISSING": "landlock"}, {"GRADER_ENABLED": "0"}], ids=["no-landlock", "off"]
)
def test_run_grading_refuses_even_past_the_gate(monkeypatch, tmp_path, env):
    # The sandbox was there when the page was opened and is not when the button is pressed (or the gate were
    # bypassed): run_grading goes through the sandbox, which refuses; nothing of the learner's runs.
    import ui.check_run

    code, marker = _load_time_marker(tmp_path)
    at = open_app("check")
    at.text_area(key="check_code").set_value(code)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sandbox.status.cache_clear()
    monkeypatch.setattr(ui.check_run, "availability", lambda: ui.check_run.Availability(True))
    at.button(key="check_run").click().run()
    assert_clean(at)
    assert any("Nothing was run" in e for e in messages(at, "error")), messages(at, "error")
    assert "Your report" not in texts(at) and not marker.exists()


def test_the_marker_file_is_written_only_without_the_sandbox(tmp_path, monkeypatch):
    # The control of the two tests above: the same code, graded by a learner on their own computer with
    # --no-sandbox, writes the file; in the sandbox (the page's way) it cannot.
    monkeypatch.setattr(sandbox, "run_unsandboxed", _RUN_UNSANDBOXED)  # the command line's --no-sandbox, here only
    code, marker = _load_time_marker(tmp_path)
    sandboxed = check.grade_source(code.encode(), "pasted code.py")
    assert "PermissionError" in sandboxed.error and not marker.exists()  # refused by the kernel, at load
    assert check.grade_source(code.encode(), "pasted code.py", sandboxed=False).exit_status == 0
    assert marker.exists()


def test_when_every_place_is_taken_the_page_shows_the_queue_and_runs_nothing(monkeypatch, never_graded):
    import ui.check_run

    monkeypatch.setenv("GRADER_MAX_GRADINGS", "1")
    monkeypatch.setattr(ui.check_run, "SLOT_WAIT", 1.0)
    at = _open_and_paste((SOLUTIONS / "correct_loops.py").read_text())
    taken, release = threading.Event(), threading.Event()

    def hold():  # another visitor's grading
        with sandbox.slot(timeout=5):
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(5)
        at.button(key="check_run").click().run()
    finally:
        release.set()
        holder.join(10)
    assert_clean(at)
    warnings = messages(at, "warning")
    assert any("stayed in use for 1 s (1 running, 0 waiting)" in w and "was not run" in w for w in warnings), warnings
    assert "Your report" not in texts(at)


def test_a_place_that_frees_up_while_waiting_is_taken(monkeypatch):
    monkeypatch.setenv("GRADER_MAX_GRADINGS", "1")
    at = _open_and_paste((SOLUTIONS / "correct_loops.py").read_text())
    taken = threading.Event()

    def hold():
        with sandbox.slot(timeout=5):
            taken.set()
            threading.Event().wait(1.5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5)
    at.button(key="check_run").click().run()
    holder.join(10)
    assert_clean(at)
    assert "**8 of 8 functions pass**" in texts(at)
    assert sandbox.running() == 0 and sandbox.waiting() == 0


def _open_and_paste(code: str):
    at = open_app("check")
    at.text_area(key="check_code").set_value(code)
    return at


def test_pressing_check_again_while_a_check_runs_starts_no_second_one(monkeypatch):
    # A press while the page waits for a grading reruns the page, and the first grading's thread goes on holding
    # its place: pressed again and again, one visitor's gradings took every place. One at a time per visitor.
    real, calls, release = check.grade_source, [], threading.Event()

    def slow(data, name, **kwargs):
        calls.append(name)
        release.wait(30)
        return real(data, name, **kwargs)

    monkeypatch.setattr(check, "grade_source", slow)
    at = _open_and_paste((SOLUTIONS / "correct_rot180.py").read_text())
    with pytest.raises(RuntimeError, match="timed out"):
        at.button(key="check_run").click().run(timeout=2)  # the visitor presses again before it is done
    at.text_area(key="check_code").set_value((SOLUTIONS / "correct_loops.py").read_text())
    threading.Timer(1.0, release.set).start()
    at.button(key="check_run").click().run(timeout=60)
    assert_clean(at)
    assert calls == ["pasted code.py"], "a second grading was started while the first ran"
    assert any("still running" in m for m in messages(at, "info")), messages(at, "info")
    assert "**2 of 2 functions pass**" in texts(at)  # the first one's report, when it is done
    at.button(key="check_run").click().run(timeout=60)  # once it is done, a new press grades what is there now
    assert calls == ["pasted code.py"] * 2 and "**8 of 8 functions pass**" in texts(at)


MARKDOWN = "**all** [right](https://example.org/claim) :rainbow[PASS] $x$ <b>"


@pytest.mark.parametrize("when", ["running", "loading"])
def test_the_learner_s_text_is_shown_as_text_not_markdown(when):
    code = (SOLUTIONS / "correct_rot180.py").read_text()
    if when == "running":
        code = code.replace(
            "def zero_pad(X, pad):\n", f"def zero_pad(X, pad):\n    raise ValueError({MARKDOWN!r})\n", 1
        )
    else:
        code += f"\n\nclass _WhenLoaded:\n    raise ValueError({MARKDOWN!r})\n"
    at = _paste(open_app("check"), code)
    assert_clean(at)
    shown = [m.value for m in at.markdown] + messages(at, "error") + [c.value for c in at.caption]
    rendered = [s for s in shown if re.search(r"(?<!\\)\]\(https://|:rainbow\[PASS|\*\*all", s)]
    assert not rendered, rendered
    assert any(r"\*\*all\*\* \[right\](https://" in s for s in shown), shown  # there, escaped, to read as typed
