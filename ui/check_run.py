"""Running the grader for the "Check my code" page: the gate, the queue, progress per function.

Streamlit-side (it draws the waiting message and the status box), so it lives in ui/; the grading itself is
:func:`grader.check.grade_source`, which runs every learner function in :mod:`grader.sandbox`. The page fails
closed: where the sandbox cannot be set up, or the teacher switched grading off (``GRADER_ENABLED=0``), nothing
runs and the page says why; there is no way from the page to run code without the sandbox.

A grading holds one of the server's :func:`grader.sandbox.slot` places (``GRADER_MAX_GRADINGS``). The slot is
taken in the thread that grades (slots are re-entrant per thread, and :func:`grader.check.grade_source` takes one
too), while the page's own thread shows how many gradings are ahead; after :data:`SLOT_WAIT` seconds without a
free place the page says the server is busy and runs nothing.

One grading at a time per visitor: pressing the button again reruns the page, but the grading's thread goes on
(and holds its place), so the session keeps it (``st.session_state``) and a press while it runs starts nothing:
the page says so and shows that grading's report when it is done.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import NamedTuple

import streamlit as st

from grader import check, sandbox
from grader._runner import ALL_FUNCTIONS
from grader.source import SourceError, prepare

__all__ = ["SLOT_WAIT", "Availability", "availability", "run_grading"]

_RUNNING = "check_grading"  # st.session_state: this visitor's latest grading (a _Grading)

SLOT_WAIT = 60.0  # seconds a visitor waits in the queue for a free grading place before being told to come back
_SHOW_QUEUE_AFTER = 0.3  # seconds: a place that frees up at once needs no message
_UNAVAILABLE = (
    "Checking code is unavailable on this server: it runs your code only in a locked-down process, and this server "
    "cannot provide one right now."
)
_SWITCHED_OFF = "Your teacher has switched checking code off on this server."


class Availability(NamedTuple):
    """Whether code can be graded here; ``why`` in words for a learner, ``detail`` for the teacher."""

    ok: bool
    why: str = ""
    detail: str = ""


def availability() -> Availability:
    """Whether code can be graded here (the teacher's switch, then the sandbox's probe, cached per process)."""
    try:
        on, why = sandbox.enabled()
        if not on:
            teacher_said = why if why and why != sandbox.DEFAULT_DISABLED_MESSAGE else ""
            return Availability(False, teacher_said or _SWITCHED_OFF)
        status = sandbox.status()
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, fail closed
        return Availability(False, _UNAVAILABLE, f"{type(exc).__name__}: {exc}")
    if not status.ok:
        return Availability(False, _UNAVAILABLE, status.reason or "")
    return Availability(True)


def _names(data: bytes, name: str) -> list[str]:
    try:
        prepared = prepare(data, name)
    except SourceError:
        return []
    return [f for f in ALL_FUNCTIONS if f in prepared.defines or f in prepared.broken]


class _Grading:
    """One visitor's grading, in its own thread (a rerun of the page does not stop it): its events for the page
    that started it, and its outcome, ``("report", report)`` or ``("failed", exception)``, once it is done."""

    def __init__(self, data: bytes, name: str):
        self.events: queue.Queue = queue.Queue()
        self.outcome: tuple | None = None
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._work, args=(data, name), daemon=True, name="check-my-code")

    def _work(self, data: bytes, name: str) -> None:
        try:
            with sandbox.slot(SLOT_WAIT):
                self.events.put(("started", None, None))
                report = check.grade_source(data, name, progress=lambda f, r: self.events.put(("function", f, r)))
            self.outcome = ("report", report)
        except BaseException as exc:  # noqa: BLE001 - shown on the page, the server keeps running
            self.outcome = ("failed", exc)
        self.events.put((*self.outcome[:1], None, self.outcome[1]))


def run_grading(data: bytes, name: str) -> check.Report | None:
    """Grade ``data`` (always sandboxed) in one of the server's grading places, showing the queue while it waits
    and progress per function while it runs. ``None`` when nothing ran: every place stayed taken (the queue
    message is shown) or the sandbox refused (the reason is shown). While this visitor's previous grading still
    runs, nothing new starts: the page waits for that one and returns its report."""
    previous = st.session_state.get(_RUNNING)
    if isinstance(previous, _Grading) and previous.outcome is None:
        return _finish_previous(previous)
    grading = _Grading(data, name)
    st.session_state[_RUNNING] = grading
    grading.thread.start()
    kind, _, value = _wait_for_a_place(grading.events)
    if kind == "failed":
        return _refused(value)
    return _with_progress(grading.events, _names(data, name))


def _finish_previous(grading: _Grading) -> check.Report | None:
    st.info(
        f"Your previous check, started {time.monotonic() - grading.started:.0f} s ago, is still running, and one "
        "check runs at a time for each visitor: its report appears below when it is done. Press **Check my code** "
        "again after that to check what you changed since.",
        icon=":material/hourglass_top:",
    )
    with st.spinner("Waiting for your previous check..."):
        while grading.outcome is None:
            grading.thread.join(0.25)
    kind, value = grading.outcome
    return _refused(value) if kind == "failed" else value


def _wait_for_a_place(events: queue.Queue):
    """The first event of the grading thread, with the queue shown (and kept up to date) until there is one."""
    box = st.empty()
    waited, shown = 0.0, None
    try:
        while True:
            try:
                return events.get(timeout=0.1)
            except queue.Empty:
                waited += 0.1
            counts = (sandbox.running(), max(0, sandbox.waiting() - 1))
            if waited >= _SHOW_QUEUE_AFTER and counts != shown:
                shown = counts
                box.info(
                    f"Every grading place on this server is in use ({counts[0]} running, {counts[1]} waiting ahead "
                    "of you). Your code runs as soon as one frees up; please keep this page open.",
                    icon=":material/hourglass_top:",
                )
    finally:
        box.empty()


def _refused(exc: BaseException) -> None:
    if isinstance(exc, sandbox.Busy):
        st.warning(
            f"Every grading place on this server stayed in use for {SLOT_WAIT:g} s ({sandbox.running()} running, "
            f"{exc.waiting} waiting). Your code was not run; press **Check my code** again in a minute.",
            icon=":material/hourglass_top:",
        )
        return None
    if isinstance(exc, sandbox.SandboxUnavailable):
        st.error(f"{_UNAVAILABLE} Nothing was run.", icon=":material/block:")
        st.caption(f"For your teacher: {exc.reason}")
        return None
    raise exc


def _with_progress(events: queue.Queue, names: list[str]) -> check.Report | None:
    with st.status("Checking your code...", expanded=True) as status:
        bar = st.progress(0.0, text="reading the file")
        finished = 0
        while True:
            try:
                kind, function, value = events.get(timeout=0.25)
            except queue.Empty:
                continue
            if kind == "function" and value is None:
                st.write(f"`{function}`: running on every case...")
            elif kind == "function":
                finished += 1
                st.write(f"`{function}`: {value.verdict}")
                bar.progress(min(1.0, finished / max(1, len(names))), text=f"{finished} of {len(names)} functions")
            else:
                break
        if kind == "failed":
            status.update(label="Your code was not checked", state="error", expanded=False)
        else:
            failed = sum(not f.passed for f in value.functions)
            label = (
                "Could not check the file"
                if value.error
                else f"{len(value.functions) - failed} of {len(value.functions)} functions pass"
            )
            status.update(label=label, state="error" if value.error or failed else "complete", expanded=False)
    if kind == "failed":
        return _refused(value)
    return value
