"""Running the grader for the "Check my code" page: the sandbox's gate, the queue, progress per function.

Streamlit-side (it draws the status box), so it lives in ui/; the grading itself is :func:`grader.check.grade_source`.
The page fails closed: with no sandbox (not installed, not working on this server, or switched off by the teacher)
nothing runs and the page says why.
"""

from __future__ import annotations

import queue
import threading
import time

import streamlit as st

from grader import check
from grader._runner import ALL_FUNCTIONS
from grader.source import SourceError, prepare

__all__ = ["SLOT_WAIT", "availability", "run_grading"]

SLOT_WAIT = 5.0  # seconds a visitor waits for a free grading place before being told the queue is full


def _sandbox():
    try:
        from grader import sandbox
    except ImportError:
        return None
    return sandbox


def availability() -> tuple[bool, str]:
    """``(True, "")`` when code can be graded here, else ``(False, why)`` in words for a learner."""
    sandbox = _sandbox()
    if sandbox is None:
        return False, "Checking code is not set up on this server (its sandbox is not installed)."
    try:
        on, why = sandbox.enabled()
    except Exception as exc:  # noqa: BLE001 - fail closed on anything
        return False, f"Checking code is unavailable on this server ({type(exc).__name__})."
    if not on:
        return False, f"Your teacher has switched checking code off on this server{': ' + why if why else '.'}"
    try:
        status = sandbox.status()
    except Exception as exc:  # noqa: BLE001
        return False, f"Checking code is unavailable on this server ({type(exc).__name__})."
    if not status.ok:
        return False, f"Checking code is unavailable on this server: {status.reason}"
    return True, ""


def _names(data: bytes, name: str) -> list[str]:
    try:
        prepared = prepare(data, name)
    except SourceError:
        return []
    return [f for f in ALL_FUNCTIONS if f in prepared.defines or f in prepared.broken]


def run_grading(data: bytes, name: str) -> check.Report | None:
    """Grade ``data`` inside the sandbox's slot, showing progress per function; ``None`` when every grading place
    is taken (a queue message is shown)."""
    sandbox = _sandbox()
    try:
        slot = sandbox.slot(SLOT_WAIT)
        slot.__enter__()
    except sandbox.Busy:
        waiting = _count(sandbox, "waiting")
        running = _count(sandbox, "running")
        st.warning(
            f"Every grading place on this server is in use ({running} running, {waiting} waiting). Your code was not "
            "run; press **Check my code** again in a moment.",
            icon=":material/hourglass_top:",
        )
        return None
    try:
        return _with_progress(data, name)
    finally:
        slot.__exit__(None, None, None)


def _count(sandbox, what: str) -> int:
    try:
        return int(getattr(sandbox, what)())
    except Exception:  # noqa: BLE001
        return 0


def _with_progress(data: bytes, name: str) -> check.Report:
    names = _names(data, name)
    events: queue.Queue = queue.Queue()
    box: list = []

    def work():
        try:
            box.append(check.grade_source(data, name, progress=lambda f, r: events.put((f, r))))
        except Exception as exc:  # noqa: BLE001 - shown on the page, the server keeps running
            box.append(exc)

    with st.status("Checking your code...", expanded=True) as status:
        bar = st.progress(0.0, text="reading the file")
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        finished = 0
        while thread.is_alive() or not events.empty():
            try:
                function, result = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if result is None:
                st.write(f"`{function}`: running on every case...")
            else:
                finished += 1
                st.write(f"`{function}`: {result.verdict}")
                bar.progress(min(1.0, finished / max(1, len(names))), text=f"{finished} of {len(names)} functions")
        thread.join()
        outcome = box[0] if box else RuntimeError("the grading stopped")
        if isinstance(outcome, Exception):
            status.update(label="The grader stopped with an error", state="error")
            raise outcome
        failed = sum(not f.passed for f in outcome.functions)
        label = (
            "Could not check the file"
            if outcome.error
            else f"{len(outcome.functions) - failed} of {len(outcome.functions)} functions pass"
        )
        status.update(label=label, state="error" if outcome.error or failed else "complete", expanded=False)
        time.sleep(0)  # let the status box settle before the report is drawn
    return outcome
