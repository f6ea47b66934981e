"""The "Check my code" page through app.py, with the sandbox stood in for (its own branch provides the real one)."""

from __future__ import annotations

import contextlib
import sys
import types
from pathlib import Path

import nbformat
import pytest

from tests.apphelpers import assert_clean, messages, open_app, texts

SOLUTIONS = Path(__file__).resolve().parent / "solutions"


def _fake_sandbox(ok=True, on=True, busy=False):
    fake = types.ModuleType("grader.sandbox")

    class Busy(RuntimeError):
        pass

    @contextlib.contextmanager
    def slot(timeout=None):
        if busy:
            raise Busy("all slots taken")
        yield

    fake.Busy, fake.slot = Busy, slot
    fake.enabled = lambda: (on, "the teacher's switch" if not on else "")
    fake.status = lambda: types.SimpleNamespace(ok=ok, tier="test", facilities=(), reason="no namespaces here")
    fake.waiting, fake.running = (lambda: 3), (lambda: 4)
    return fake


@pytest.fixture
def sandbox(monkeypatch):
    def install(**kwargs):
        fake = _fake_sandbox(**kwargs)
        monkeypatch.setitem(sys.modules, "grader.sandbox", fake)
        import grader

        monkeypatch.setattr(grader, "sandbox", fake, raising=False)
        return fake

    return install


def _paste(at, code: str):
    at.text_area(key="check_code").set_value(code)
    at.button(key="check_run").click().run()
    return at


def test_a_right_file_gets_a_pass_for_every_function(sandbox):
    sandbox()
    at = _paste(open_app("check"), (SOLUTIONS / "correct_loops.py").read_text())
    assert_clean(at)
    shown = texts(at)
    assert "**8 of 8 functions pass**" in shown and shown.count(":green[PASS]") == 8


def test_two_slips_are_both_named_with_fixes_links_and_the_heatmap(sandbox):
    sandbox()
    at = _paste(open_app("check"), (SOLUTIONS / "mistake_two_slips.py").read_text())
    assert_clean(at)
    errors = "\n".join(messages(at, "error"))
    assert "Kernel transposed spatially" in errors and "db assigned instead of accumulated" in errors
    assert sum("**Fix:**" in s for s in messages(at, "success")) == 2
    assert "What the course's own test would have said:** the course's mean-only check would have caught it" in texts(
        at
    )
    assert at.get("plotly_chart"), "the learner's output beside the right one"
    links = [(p.proto.page, p.proto.label) for p in at.get("page_link")]
    assert any("mistakes" in page and "Kernel transposed spatially" in label for page, label in links)
    assert any("flip" in page for page, _ in links)


def test_a_notebook_upload_is_graded_and_its_cells_named(sandbox):
    sandbox()
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

    at.session_state["check_report"] = __import__("grader.check", fromlist=["x"]).grade_source(
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
def test_hostile_or_empty_input_gets_a_clear_message(sandbox, code, message):
    sandbox()
    at = _paste(open_app("check"), code)
    assert_clean(at)
    assert message in "\n".join(messages(at, "error") + messages(at, "warning") + [texts(at)])


@pytest.mark.parametrize("kwargs, message", [({"ok": False}, "no namespaces here"), ({"on": False}, "switched")])
def test_without_a_working_sandbox_nothing_runs(sandbox, monkeypatch, kwargs, message):
    sandbox(**kwargs)
    from grader import check

    monkeypatch.setattr(check, "grade_source", lambda *a, **k: pytest.fail("graded without a sandbox"))
    at = open_app("check")
    assert_clean(at)
    assert any(message in e and "Nothing was run" in e for e in messages(at, "error"))
    assert not at.get("text_area")


def test_when_every_slot_is_busy_the_page_says_so_and_runs_nothing(sandbox, monkeypatch):
    sandbox(busy=True)
    from grader import check

    monkeypatch.setattr(check, "grade_source", lambda *a, **k: pytest.fail("graded while busy"))
    at = _paste(open_app("check"), (SOLUTIONS / "correct_loops.py").read_text())
    assert_clean(at)
    assert any("4 running, 3 waiting" in w for w in messages(at, "warning"))
