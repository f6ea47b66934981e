"""A short load smoke test: 10 simulated students on a freshly started ``streamlit run app.py`` for 20 s.

Each student is a real Streamlit session over the websocket protocol (``benchmarks/_ws_client.py``): it opens
the app at the same moment as the others, then changes the stride and the padding, switches pages and reruns.
Asserted: no errors (no exception on any page, every run finished, no dropped connection) and that the runs
happened. Timings are printed, never asserted: ``benchmarks/load_test.py`` measures them.
"""

from __future__ import annotations

import urllib.request

import pytest

from benchmarks.load_test import run_level, running_server

pytestmark = pytest.mark.slow

SESSIONS = 10
SECONDS = 20


def test_ten_students_at_once_get_no_errors():
    with running_server() as (port, proc):
        result = run_level(port, proc.pid, SESSIONS, SECONDS, think=(0.5, 2.0), timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
            assert r.read().strip() == b"ok", "the server is still healthy afterwards"
        assert proc.poll() is None
    print("load smoke:", result.summary())
    assert result.errors == 0, result.error_samples
    assert result.opens == SESSIONS, "every student opened the app"
    assert result.reruns > 2 * SESSIONS, "the students kept working after opening the app"
    assert {"stride", "pad", "page"} <= set(result.by_action), result.by_action.keys()
    assert len(result.by_page) >= 3, "the students visited several pages"
