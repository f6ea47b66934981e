"""Check my code: paste or upload your functions (or the course notebook) and get a verdict for each, element by
element, with every failing kind of case and the mistake it matches."""

import json
import re

import streamlit as st

from grader.report import file_notes, function_text, printable
from ui import charts, check_figures
from ui.check_run import availability, run_grading

MAX_PASTE = 200_000  # characters of pasted code
ICON = {"PASS": ":material/check_circle:", "FAIL": ":material/cancel:", "NUMPY 2": ":material/warning:"}
COLOUR = {"PASS": "green", "FAIL": "red", "NUMPY 2": "orange"}

st.title("Check my code")
st.markdown(
    "Paste your functions, or upload your `.py` file or the course notebook itself (`.ipynb`). Each function "
    "(`zero_pad`, `conv_single_step`, `conv_forward`, `conv_backward`, `create_mask_from_window`, `distribute_value`, "
    "`pool_forward`, `pool_backward`, or cs231n's `conv_forward_naive`, `conv_backward_naive`, "
    "`max_pool_forward_naive`, `max_pool_backward_naive`) is run on the course's values and on cases that change one "
    "thing at a time (pad 0, stride > 1, a stride that does not divide, non-square inputs, several channels and "
    "examples, ties), and compared with the right answer **entry by entry**. Only your functions run, in a separate, "
    "locked-down process (no network, no files but its own) with a time and memory limit: the notebook's tests, "
    "prints and plots are left out."
)


_INLINE = re.compile(r"([\\`*_\[\]<>#$|~])")  # emphasis, code, links and :color[...], HTML, headings, LaTeX, tables
_LINE_START = re.compile(r"^(\s*\d*)([-+=.)])")  # "- " or "1. " (a list), "===" under text (a heading)


def _plain(text: str) -> str:
    """Markdown that shows ``text`` as it is: the report quotes the learner's code (an error's message, a line of
    it), where ``**``, ``[link](...)``, ``:red[...]`` or ``$...$`` would otherwise be rendered. What can start
    markdown is backslash-escaped (CommonMark lets any punctuation be), invisible characters are written as
    escapes, and each line break stays one."""
    lines = (_INLINE.sub(r"\\\1", printable(line)) for line in text.split("\n"))
    return "  \n".join(_LINE_START.sub(r"\1\\\2", line) for line in lines)


def _unavailable(gate) -> None:
    st.error(f"{gate.why} Nothing was run.", icon=":material/block:")
    if gate.detail:
        st.caption(f"For your teacher: {gate.detail}")
    st.caption(
        "On your own computer the command line gives the same report: `python -m grader my_solution.py` "
        "(on macOS or Windows add `--no-sandbox`, for your own file only)."
    )


def _code() -> tuple[bytes, str]:
    """What the learner hands in: pasted text or an uploaded file, and its name."""
    source = st.radio("Your code", ["Paste it", "Upload a file"], key="check_source", horizontal=True)
    if source == "Paste it":
        text = st.text_area(
            "Your functions",
            key="check_code",
            height=260,
            max_chars=MAX_PASTE,
            placeholder="import numpy as np\n\ndef zero_pad(X, pad):\n    ...",
        )
        data, name = text.encode("utf-8"), "pasted code.py"
    else:
        upload = st.file_uploader(
            "A .py file or the course notebook (.ipynb)", type=["py", "ipynb"], key="check_upload"
        )
        data, name = (upload.getvalue(), upload.name) if upload is not None else (b"", "")
    return data, name


def _show_function(k: int, f) -> None:
    """One function's verdict, its mistakes with their fixes and links, and its output beside the right one."""
    t = function_text(f)
    with st.container(border=True):
        st.markdown(f"### `{f.function}` :{COLOUR[t.verdict]}[{t.verdict}]")
        if t.verdict == "PASS":
            st.caption(t.headline.split("  ", 1)[1] + " checked entry by entry.")
            for note in t.notes:
                st.caption(note)
            return
        if t.verdict == "NUMPY 2":
            st.warning(f.numpy2.detail, icon=ICON["NUMPY 2"])
        if t.kinds:
            st.markdown(
                f"**Fails on:** {', '.join(f.failing_kinds) or 'every case'}"
                + (f" ({f.pattern})." if f.pattern else ".")
            )
        first = f.failure
        for (title, sentence, fix), d in zip(t.mistakes, f.diagnosis, strict=True):
            st.error(f"**{title}**: {sentence}", icon=":material/bug_report:")
            if fix:
                st.success(f"**Fix:** {fix}", icon=":material/build:")
            page, params, label = check_figures.mistake_link(d.key, f.function, d.cases[0] if d.cases else None)
            st.page_link(page, label=label, icon=":material/bug_report:", query_params=params)
        if not t.mistakes and t.verdict == "FAIL":
            st.info(
                "No catalogued mistake gives these numbers: compare your output with the right one below.",
                icon=":material/search:",
            )
        for note in t.notes:
            if note.startswith(("the course's", "cs231n's")):
                st.markdown(f"**What the course's own test would have said:** {note}")
            else:
                st.caption(note)
        if t.problems:
            with st.expander(f"Every failing case ({len(t.problems)})", expanded=len(t.problems) <= 3):
                st.markdown("\n".join(f"- {_plain(p)}" for p in t.problems[:40]))
        got = f.outputs.get(first.case) if first is not None and first.case else None
        figs = (
            check_figures.difference_figures(f.function, first, got)
            if first is not None and first.kind == "values"
            else []
        )
        if figs:
            st.markdown(f"Your `{first.output}` beside the right one, at the first difference (case `{first.case}`):")
            for j, (column, fig) in enumerate(zip(st.columns(len(figs)), figs, strict=True)):
                with column:  # the columns stack on a phone
                    charts.show(fig, width="stretch", key=f"check_fig_{k}_{j}")
        if first is not None and first.case:
            link = check_figures.explore_link(f.function, first.case, first.output)
            if link:
                st.page_link(link[0], label=link[2], icon=":material/tune:", query_params=link[1])
                st.caption(f"It opens set up like case `{first.case}`, to follow the right computation step by step.")


def _show_report(report) -> None:
    st.header("Your report")
    if report.error:
        st.error(_plain(report.error), icon=":material/error:")
        return
    for note in file_notes(report):
        st.caption(_plain(note))
    failed = sum(not f.passed for f in report.functions)
    passing = len(report.functions) - failed
    st.markdown(f"**{passing} of {len(report.functions)} functions pass** (checked in {report.seconds:.1f} s).")
    for k, f in enumerate(report.functions):
        _show_function(k, f)
    st.download_button(
        "Download the report (JSON)",
        data=lambda: json.dumps(report.to_dict(), indent=2, allow_nan=False),
        file_name="report.json",
        mime="application/json",
        key="check_download",
        on_click="ignore",
        icon=":material/download:",
    )


# No st.stop() below: the router's notice about unusable link values runs after the page, and a stopped script
# sends nothing more.
gate = availability()
if not gate.ok:
    _unavailable(gate)
else:
    data, name = _code()
    if st.button("Check my code", type="primary", key="check_run", icon=":material/play_arrow:"):
        if not data.strip():
            st.warning("There is no code to check yet: paste your functions or choose a file.", icon=":material/info:")
        else:
            report = run_grading(data, name)
            if report is not None:
                st.session_state["check_report"] = report
    report = st.session_state.get("check_report")
    if report is not None:
        _show_report(report)
