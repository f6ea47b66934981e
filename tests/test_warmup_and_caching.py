"""The shared caches: one computation at a time per cached function, and the warm-up that fills them at start."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request

import pytest

from tests.browser import ROOT, running_app
from ui import caching


def test_sessions_missing_the_same_entry_at_once_compute_it_once():
    calls = []

    @caching.cache_data(show_spinner=False)
    def slow_square(x: int) -> int:
        calls.append(x)
        time.sleep(0.2)
        return x * x

    slow_square.clear()
    results = []
    threads = [threading.Thread(target=lambda: results.append(slow_square(7))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [49] * 8
    assert calls == [7], "eight sessions asking at once computed it once; the others found the cached entry"


def test_positional_and_keyword_calls_share_one_entry_and_streamlits_key():
    """The wrapper passes positional arguments by name (Streamlit's cache looks up the signature once per
    positional argument); the key must be the one Streamlit makes of the positional call."""
    from streamlit.runtime.caching.cache_type import CacheType
    from streamlit.runtime.caching.cache_utils import _make_value_key

    calls = []

    def area(h: int, w: int, *, scale: int = 1, _note: str = "") -> int:
        calls.append((h, w, scale))
        return h * w * scale

    cached = caching.cache_data(show_spinner=False)(area)
    cached.clear()
    assert cached(3, 4) == 12
    assert cached(3, w=4) == 12
    assert cached(h=3, w=4) == 12
    assert cached(3, 4, _note="ignored, as its name starts with _") == 12
    assert cached(3, 4, scale=2) == 24
    assert calls == [(3, 4, 1), (3, 4, 2)], "the same arguments, however passed, were computed once"
    assert _make_value_key(CacheType.DATA, area, (3, 4), {"scale": 2}, None) == _make_value_key(
        CacheType.DATA, area, (), {"h": 3, "w": 4, "scale": 2}, None
    )
    with pytest.raises(TypeError):
        cached(3, h=3)  # one argument twice is still Python's error, not a silent choice
    with pytest.raises(TypeError):
        cached(1, 2, 3)  # too many positional arguments, likewise


def test_positional_arguments_reach_streamlits_cache_by_name(monkeypatch):
    from streamlit.runtime.caching import cache_utils

    def looked_up(*_):
        raise AssertionError("Streamlit looked up the signature for a positional argument")

    @caching.cache_data(show_spinner=False)
    def volume(h: int, w: int, d: int) -> int:
        return h * w * d

    monkeypatch.setattr(cache_utils, "_get_positional_arg_name", looked_up)
    assert volume(2, 3, 4) == 24


def test_a_cached_function_may_call_another_and_itself_reentrantly():
    @caching.cache_resource(show_spinner=False)
    def inner(x: int) -> int:
        return x + 1

    @caching.cache_resource(show_spinner=False)
    def outer(x: int) -> int:
        return inner(x) * (outer(x - 1) if x > 0 else 1)

    assert outer(3) == 4 * 3 * 2 * 1


def test_arguments_digested_here_keep_apart_what_differs():
    """The digest path (the pages' arguments) gives one entry per distinct call: an array differing in one cell (also
    past the size where Streamlit's own hasher samples), in dtype or in shape with the same bytes; 1, 1.0 and True; a
    tuple and a list; None and a missing default."""
    import numpy as np

    calls = []

    @caching.cache_data(show_spinner=False)
    def seen(x, y=None):
        calls.append(1)
        return repr(x)

    seen.clear()
    big = np.zeros(600_000)
    changed = big.copy()
    changed[123_457] = 1.0  # Streamlit's hasher samples 100 000 of 600 000 cells
    values = [
        np.arange(6.0).reshape(2, 3),
        np.arange(6.0).reshape(3, 2),
        np.arange(6.0).reshape(2, 3).T.copy(),
        np.arange(6).reshape(2, 3),
        np.float64(1.0),
        np.int64(1),
        big,
        changed,
        1,
        1.0,
        True,
        (1, 2),
        [1, 2],
        {"a": 1},
        {"a": 2},
        "1",
        b"1",
        None,
    ]
    for v in values:
        seen(v)
    assert len(calls) == len(values)
    for v in values:  # and each is found again
        seen(v)
    seen(np.arange(6.0).reshape(2, 3).T)  # a transposed view: the same values as the copy above
    assert len(calls) == len(values)
    seen(None, y=None)
    assert len(calls) == len(values) + 1, "a default passed is a call of its own, as in Streamlit's keys"


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_arrays_whose_bytes_do_not_say_what_they_are_take_streamlits_path():
    """A structured dtype's ``str`` is only its size, a masked array's bytes drop its mask and ``np.matrix``
    multiplies differently: all three would have shared an entry with a plain array of the same bytes. They are left
    to Streamlit (which hashes the first by its fields and refuses the other two); a 0-d array and a NumPy scalar,
    and NaNs of either sign, keep apart; a list that holds itself falls back instead of failing."""
    import numpy as np

    pair = np.array([(1.5, 2.5)], dtype=[("w", "<f8"), ("b", "<f8")])

    @caching.cache_data(show_spinner=False)
    def field_w(a) -> list:
        return a["w"].tolist()

    field_w.clear()
    assert field_w(pair) == [1.5]
    assert field_w(pair.view([("b", "<f8"), ("w", "<f8")])) == [2.5]  # the same bytes, the fields swapped
    assert caching._digest(b"f", {"a": pair.view("V16")}) is not None  # fieldless bytes: dtype.str says it all
    for odd in (pair, np.ma.array([1.0, 100.0], mask=[0, 1]), np.matrix([[1, 2], [3, 4]])):
        assert caching._digest(b"f", {"a": odd}) is None, type(odd)
    digests = {
        caching._digest(b"f", {"a": v}) for v in (np.array(2.0), np.float64(2.0), float("nan"), -float("nan"), 2.0)
    }
    assert len(digests) == 5 and None not in digests
    loop: list = []
    loop.append(loop)
    assert caching._digest(b"f", {"a": loop}) is None


def test_two_functions_given_the_same_arguments_keep_their_own_entries():
    import numpy as np

    @caching.cache_data(show_spinner=False)
    def total(a, stride: int):
        return float(a.sum()) * stride

    @caching.cache_data(show_spinner=False)
    def largest(a, stride: int):
        return float(a.max()) * stride

    a = np.arange(4.0)
    assert (total(a, 2), largest(a, 2)) == (12.0, 6.0)
    assert (total(a, 2), largest(a, 2)) == (12.0, 6.0)


def test_other_arguments_take_streamlits_path_and_clear_empties_both():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Layer:
        stride: int

    calls = []

    @caching.cache_data(show_spinner=False)
    def with_layer(layer: Layer, n: int) -> list:
        calls.append((layer, n))
        return [layer.stride * n]

    with_layer.clear()
    assert with_layer(Layer(2), 3) == [6]  # a dataclass: Streamlit hashes it
    assert with_layer(Layer(2), 3) == [6]
    assert with_layer(Layer(3), 3) == [9]
    out = with_layer(Layer(2), n=3)
    out.append("changed by the caller")  # cache_data still hands out copies
    assert with_layer(Layer(2), 3) == [6]
    assert len(calls) == 2
    plain = caching.cache_data(show_spinner=False)(lambda n: calls.append(n) or n)
    plain(5)
    plain(5)
    assert calls[-1] == 5 and len(calls) == 3
    with_layer.clear()
    plain.clear()
    with_layer(Layer(2), 3)
    plain(5)
    assert len(calls) == 5, "clear() emptied both paths"


def test_the_first_visit_starts_a_warm_up_that_opens_every_page():
    """On a real server: one visit (the default page only) and the server's own warm-up thread then runs every page
    of the router, which its log says; warm() itself, called from here, also runs every page."""
    from ui.warmup import warm

    with running_app() as (base, _proc):
        port = int(base.rsplit(":", 1)[1])
        assert asyncio.run(warm(port, pages=[])) == [""]  # a first visitor
        log = ROOT / ".streamlit-test.log"
        deadline = time.monotonic() + 90
        health = []  # the health check is answered while the warm-up runs (the server's event loop, not a script)
        while True:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=30) as r:
                health.append(r.read().strip())
            if "warm-up: every page opened once" in log.read_text() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        text = log.read_text()
        pages = asyncio.run(warm(port))
    assert health and set(health) == {b"ok"}
    assert "warm-up: every page opened once at its defaults (home, forward, flip" in text, text[-2000:]
    assert pages[0] == "" and {"forward", "flip", "weights", "pooling", "symbolic", "mistakes"} <= set(pages)


def test_the_warm_up_waits_for_a_quiet_server_before_each_page():
    from ui.warmup import warm

    asked = []

    def quiet() -> bool:  # busy for the first three questions, as while a class opens the app together
        asked.append(1)
        return len(asked) > 3

    with running_app() as (base, _proc):
        pages = asyncio.run(warm(int(base.rsplit(":", 1)[1]), pages=["forward", "flip"], quiet=quiet))
    assert pages == ["", "forward", "flip"]
    assert len(asked) == 5, "asked until quiet before forward (4 times), then once before flip"


def test_a_warm_up_waits_no_longer_than_its_patience():
    from ui.warmup import warm

    with running_app() as (base, _proc):
        started = time.monotonic()
        pages = asyncio.run(warm(int(base.rsplit(":", 1)[1]), pages=["forward"], quiet=lambda: False, patience=0.5))
    assert pages == ["", "forward"], "it ran the page anyway once its patience was spent"
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("setting", ["0"])
def test_the_warm_up_can_be_turned_off(monkeypatch, setting):
    from ui import warmup

    started = []
    monkeypatch.setenv("CONV_EXPLAINER_WARMUP", setting)
    monkeypatch.setattr(warmup, "_started", lambda: started.append(1))
    warmup.start_once()
    assert not started


def test_the_warm_up_command_waits_for_a_fresh_server_and_opens_every_page():
    """``python -m ui.warmup``, the Kubernetes startup probe: exit 0 once every page has run, 1 when nothing answers."""
    import subprocess
    import sys

    from tests.browser import free_port

    with running_app() as (base, _):
        port = int(base.rsplit(":", 1)[1])
        done = subprocess.run(
            [sys.executable, "-m", "ui.warmup", "--port", str(port), "--timeout", "120"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stderr
    assert "every page opened once (home, forward, flip, matrix" in done.stdout and "check" in done.stdout
    nothing = subprocess.run(
        [sys.executable, "-m", "ui.warmup", "--port", str(free_port()), "--timeout", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert nothing.returncode == 1 and "nothing answers" in nothing.stderr
