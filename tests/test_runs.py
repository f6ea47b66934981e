"""ui.runs: the script runs of one server process take turns, give their place back on every way out, and never wait
forever; the mistakes page's table is computed once however many sessions open it together."""

from __future__ import annotations

import threading

import pytest

from tests.apphelpers import assert_clean, open_app
from ui import runs


@pytest.fixture
def one_place(monkeypatch):
    """A fresh gate of one place, whatever CONV_EXPLAINER_SCRIPT_SLOTS says."""
    monkeypatch.setattr(runs, "_PLACES", threading.BoundedSemaphore(1))


def test_the_second_run_waits_until_the_first_gives_its_place_back(one_place):
    order, inside = [], threading.Event()
    leave = threading.Event()

    def first():
        with runs.slot() as place:
            assert place.held
            order.append("first in")
            inside.set()
            leave.wait(10)
            order.append("first out")

    def second():
        inside.wait(10)
        with runs.slot() as place:
            assert place.held
            order.append("second in")

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    inside.wait(10)
    b.join(0.3)  # it cannot get in while the first holds the only place
    assert b.is_alive() and order == ["first in"]
    leave.set()
    a.join(10)
    b.join(10)
    assert order == ["first in", "first out", "second in"]
    assert runs.free_places() == 1


def test_busy_counts_the_runs_waiting_and_the_one_inside(one_place):
    inside, leave, waiting = threading.Event(), threading.Event(), threading.Event()
    counts = []

    def first():
        with runs.slot():
            inside.set()
            leave.wait(10)

    def second():
        inside.wait(10)
        waiting.set()
        with runs.slot():
            counts.append(runs.busy())

    assert runs.busy() == 0
    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    waiting.wait(10)
    for _ in range(100):  # the second is now on its way into slot(); wait until it is counted
        if runs.busy() == 2:
            break
        threading.Event().wait(0.01)
    assert runs.busy() == 2, "one inside, one waiting for its place"
    leave.set()
    a.join(10)
    b.join(10)
    assert counts == [1] and runs.busy() == 0, "each run is counted until it leaves, also the last"


def test_an_early_release_lets_the_next_run_in_and_is_safe_to_repeat(one_place):
    with runs.slot() as place:
        place.release()
        place.release()  # a second release gives nothing back twice (a BoundedSemaphore would raise)
        assert not place.held and runs.free_places() == 1
        with runs.slot() as other:
            assert other.held and runs.free_places() == 0
    assert runs.free_places() == 1


def test_an_exception_or_a_stop_gives_the_place_back(one_place):
    for exc in (ValueError("a page failed"), SystemExit(0)):
        with pytest.raises(type(exc)), runs.slot():
            raise exc
        assert runs.free_places() == 1


def test_a_run_that_waited_too_long_goes_ahead_without_a_place(one_place, monkeypatch):
    monkeypatch.setattr(runs, "PATIENCE_S", 0.2)
    with runs.slot() as stuck:
        assert stuck.held
        with runs.slot() as late:
            assert not late.held  # it went ahead after 0.2 s instead of waiting for the stuck run
        assert runs.free_places() == 0  # and returned nothing it did not hold
    assert runs.free_places() == 1


def test_the_slots_setting_is_read_as_a_bounded_count(monkeypatch):
    for raw, want in [("1", 1), ("3", 3), ("0", 1), ("-5", 1), ("1000", 64), ("two", 1), ("", 1)]:
        monkeypatch.setenv("CONV_EXPLAINER_SCRIPT_SLOTS", raw)
        assert runs._slots() == want, raw


@pytest.mark.parametrize("page", ["", "forward", "flip", "check", "mistakes"])
def test_every_page_returns_the_place_it_took(page):
    free = runs.free_places()
    at = open_app(page or None)
    assert_clean(at)
    assert runs.free_places() == free


def test_a_page_stopped_by_bad_input_returns_its_place():
    free = runs.free_places()
    at = open_app("forward", {"stride": "abc", "h": "0", "kernel_text": "1,2;3"})
    assert_clean(at)
    assert runs.free_places() == free


def test_the_check_page_gives_its_place_back_before_grading(monkeypatch):
    """While the check page runs (and grades, for seconds), the other sessions' runs are not held up."""
    seen = []
    real = runs.Slot.release

    def spy(self):
        seen.append(self.held)
        real(self)

    monkeypatch.setattr(runs.Slot, "release", spy)
    at = open_app("check")
    assert_clean(at)
    assert seen[:1] == [True] and len(seen) == 2  # released once early (by app.py), then a no-op on the way out


def test_the_mistakes_table_is_computed_once_for_sessions_that_open_it_together(monkeypatch):
    from grader import mistakes
    from ui import compute

    calls = []
    real = mistakes.summary_table.__wrapped__

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(mistakes, "summary_table", counted)
    compute.mistakes_summary.clear()
    results = []
    threads = [threading.Thread(target=lambda: results.append(compute.mistakes_summary())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    compute.mistakes_summary.clear()  # the next test gets the real table
    assert len(calls) == 1 and len(results) == 6
    assert all(r is results[0] for r in results)
    assert [r.key for r in results[0]] == [m.key for m in mistakes.CATALOGUE]
