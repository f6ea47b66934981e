"""The report's sentences, written once for the command line and the web page.

:func:`function_text` gives, for one graded function, the headline and the sentences under it (each a plain
string, so the page can render them as markdown items and the command line as indented lines);
:func:`report_text` is the command line's whole report.

Much of it quotes the learner's code (an error's message, the line it came from, what the code printed), which can
hold anything: :func:`report_text` writes every character a terminal would not show as itself as an escape
(:func:`printable`), so that ``raise ValueError("\\r\\x1b[2K...PASS")`` cannot rewrite the lines above it; the
page shows the same text as text, never as markdown.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from ._runner import OUTPUT_NAMES

__all__ = ["FunctionText", "function_text", "file_notes", "report_text", "printable"]


@dataclass
class FunctionText:
    """``headline``: ``"PASS  19 cases"``; ``problems``: one sentence per failing case (the first points at the
    cause); ``mistakes``: ``(title, sentence, fix)`` per named mistake; ``notes``: the course functions it calls,
    NumPy 2, the course's own check."""

    function: str
    verdict: str
    headline: str
    problems: list[str] = field(default_factory=list)
    kinds: str | None = None
    mistakes: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def printable(text: str) -> str:
    """``text`` with each character that is not shown as itself (control characters such as ESC, CR, newline and
    tab, and invisible ones such as the right-to-left override) written as its escape: ``\\x1b``, ``\\r``,
    ``\\n``, ``\\u202e``. Letters of every script stay as they are."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _case_line(failure) -> str:
    at = f"case '{failure.case}'" if failure.case else "loading"
    kinds = f" [{', '.join(failure.kinds)}]" if failure.kinds else ""
    return f"{at}{kinds}: {failure.message}"


def function_text(f) -> FunctionText:
    """The sentences of one :class:`grader.check.FunctionResult`."""
    ran = [c for c in f.cases if c.status != "not run"]
    if f.passed:
        text = FunctionText(f.function, "PASS", f"PASS  {len(ran)} cases")
    elif f.verdict == "NUMPY 2":
        text = FunctionText(f.function, "NUMPY 2", "NUMPY 2  " + f.numpy2.detail)
    else:
        failing = [c for c in f.cases if c.status not in ("pass", "not run")]
        count = f"{len(failing)} of {len(ran)} cases fail" if ran else "not run"
        first = f.failure.message if f.failure else ""
        text = FunctionText(f.function, "FAIL", f"FAIL  {count}" + (f": {first}" if len(failing) <= 1 else ""))
        text.problems = [_case_line(x) for x in f.failures]
        if f.failing_kinds:
            text.kinds = "fails on: " + ", ".join(f.failing_kinds) + (f" ({f.pattern})" if f.pattern else "")
        elif f.pattern:
            text.kinds = f.pattern
    several = len(OUTPUT_NAMES[f.function]) > 1
    for d in f.diagnosis:
        to = f" to {_join(d.outputs)}" if several and d.outputs != ["raises the same error"] else ""
        where = f" (in {d.function})" if d.function != f.function and d.function not in f.function else ""
        on = f" on {_join([repr(c) for c in d.cases[:4]])}" + (" and more" if len(d.cases) > 4 else "")
        text.mistakes.append(
            (d.title, f"this is what happens{to}{on} when {d.when}{where} [{d.key}]. {d.explanation}", d.fix)
        )
    hint = f.failure.hint if f.failure is not None else None
    if hint and f.verdict == "FAIL" and f.numpy2 is None:
        text.notes.append(f"hint: {hint}")
    if f.numpy2 is not None and f.verdict != "NUMPY 2":
        text.notes.append("NumPy 2: " + f.numpy2.detail)
    if f.helpers is not None and (f.helpers.judged_with == "reference" or not f.passed):
        text.notes.append("the functions it calls: " + f.helpers.detail)
    if f.course_check is not None and not f.passed:
        text.notes.append(f.course_check.detail)
    return text


def file_notes(report) -> list[str]:
    """What the grader did with the file: the layout recognised, the notebook cells used, what was left out."""
    notes = []
    if report.layouts:
        names = {
            "course": "the course's (NHWC, hparameters {'stride', 'pad'})",
            "cs231n": "cs231n's (NCHW, conv_param / pool_param)",
        }
        notes.append("layout recognised: " + " and ".join(names[x] for x in report.layouts))
    if report.cells:
        shown = ", ".join(report.cells[:12]) + (f" and {len(report.cells) - 12} more" if len(report.cells) > 12 else "")
        notes.append(f"notebook: code from {shown}")
    notes += report.skipped
    return notes


def report_text(report) -> str:
    """The command line's report: one line per function, then the details of each failure."""
    lines = [f"grader {report.file}"]
    if report.error:  # its one line break is the grader's, before a hint (the learner's text in it is escaped)
        lines.extend(f"ERROR {report.error}".split("\n"))
        return "\n".join(printable(line) for line in lines)
    wrap = textwrap.TextWrapper(width=110, initial_indent="    ", subsequent_indent="      ")
    for note in file_notes(report):
        lines.extend(textwrap.wrap(note, width=110, initial_indent="# ", subsequent_indent="#   "))
    width = max(len(f.function) for f in report.functions)
    for f in report.functions:
        t = function_text(f)
        lines.append(f"{f.function:<{width}}  {t.headline}")
        if len(t.problems) > 1 or (t.problems and f.failure and f.failure.message not in t.headline):
            for p in t.problems[:12]:
                lines.extend(wrap.wrap(p))
            if len(t.problems) > 12:
                lines.append(f"    ... and {len(t.problems) - 12} more failing cases")
        if f.failure is not None and f.failure.label and len(t.problems) <= 1:
            lines.append(f"    the case: {f.failure.label}")
        if t.kinds:
            lines.extend(wrap.wrap(t.kinds))
        for _, sentence, fix in t.mistakes:
            lines.extend(wrap.wrap(sentence))
            if fix:
                lines.extend(wrap.wrap(f"fix: {fix}"))
        for note in t.notes:
            lines.extend(wrap.wrap(note))
    failed = sum(not f.passed for f in report.functions)
    total = len(report.functions)
    lines.append(f"{total - failed} of {total} functions pass" + (f", {failed} fail." if failed else "."))
    lines.append(f"graded in {report.seconds:.1f} s")
    return "\n".join(printable(line) for line in lines)
