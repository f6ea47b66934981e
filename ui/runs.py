"""One script run at a time per server process (by default); the others wait their turn, in order.

Every session's script run is a thread of the one server process, and they share one GIL. When a class opens the
link together, sixty runs are runnable at once, and each of the hundreds of messages a page sends to its browser is a
system call that releases the GIL: the thread then waits behind the others to take it back, so every run takes about
as long as all of them together. In the load test (60 students, 2 cores), opening the app on a server that had just
started took p50 3.4 s, p95 4.0 s; with every page opened once before, p50 and p95 2.3 s.

Here a run first takes one of :data:`SLOTS` places (``CONV_EXPLAINER_SCRIPT_SLOTS``, default 1): the others wait
on a lock, which costs them nothing, and are let in one by one, in about the order they came. Measured the same way:
one place, p50 2.5 s and p95 3.3 s on a fresh server, p50 1.2 s and p95 1.9 s warmed; two places, p95 3.7 s and
2.3 s. The price is that a slow run makes the next ones wait for it: the slowest single run of any page at its largest
allowed sizes takes 0.8 s (``load_test.py --worst``), the time everybody's runs would have been slowed by anyway. A
page that waits on something other than the interpreter gives its place back (:meth:`Slot.release`): the check page
waits for its sandboxed grader for seconds, and gradings have their own server-wide cap. A run that has waited
:data:`PATIENCE_S` goes ahead without a place, so a stuck run can slow the others but never stop them.
"""

from __future__ import annotations

import contextlib
import os
import threading

from streamlit.logger import get_logger

__all__ = ["SLOTS", "PATIENCE_S", "Slot", "slot", "free_places", "busy"]

_LOG = get_logger(__name__)


def _slots() -> int:
    try:
        n = int(os.environ.get("CONV_EXPLAINER_SCRIPT_SLOTS", "1"))
    except ValueError:
        n = 1
    return max(1, min(n, 64))


SLOTS = _slots()
PATIENCE_S = 20.0
_PLACES = threading.BoundedSemaphore(SLOTS)
_ACTIVE = [0]  # runs inside slot(): waiting for a place or holding one
_ACTIVE_LOCK = threading.Lock()


class Slot:
    """One run's place; :meth:`release` gives it back early (at most once)."""

    def __init__(self, held: bool):
        self._held = held
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        with self._lock:
            if self._held:
                self._held = False
                _PLACES.release()


def busy() -> int:
    """How many script runs are waiting for a place or holding one now (the caller's own included)."""
    return _ACTIVE[0]


def free_places() -> int:
    """How many of the :data:`SLOTS` places are free now."""
    return _PLACES._value  # noqa: SLF001 - a BoundedSemaphore's count; read-only


@contextlib.contextmanager
def slot():
    """Hold one of the process's places for the block (or go ahead without one after :data:`PATIENCE_S`)."""
    with _ACTIVE_LOCK:
        _ACTIVE[0] += 1
    try:
        held = _PLACES.acquire(timeout=PATIENCE_S)
        if not held:
            _LOG.warning("a script run waited %.0f s for a place and goes ahead without one", PATIENCE_S)
        place = Slot(held)
        try:
            yield place
        finally:
            place.release()
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE[0] -= 1
