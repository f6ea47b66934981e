"""Streamlit's caches, with one computation at a time per cached function (a "single flight").

``st.cache_data`` and ``st.cache_resource`` share their results between all sessions, but two sessions that miss
the same entry at the same moment both compute it. When a class opens a link together, a dozen sessions then build
the same figure side by side (one Python thread at a time, under the GIL), and the last of them waits for all the
others: in the load test, most of the opening burst. Here each cached function takes a lock around the cache
lookup, so the first session computes and the others, once it is done, find the entry. The lock is re-entrant and
per function: a figure's function may call a trace's (always in that order, never back), and cache hits only wait
for a computation of the same function that is already running.
"""

from __future__ import annotations

import functools
import threading

import streamlit as st

__all__ = ["cache_data", "cache_resource"]


def _single_flight(cache_decorator):
    def decorate(fn):
        cached = cache_decorator(fn)
        lock = threading.RLock()

        @functools.wraps(fn)
        def call(*args, **kwargs):
            with lock:
                return cached(*args, **kwargs)

        call.clear = cached.clear  # as the cached function's own
        return call

    return decorate


def cache_data(**options):
    """``st.cache_data(**options)``, one computation at a time per function."""
    return _single_flight(st.cache_data(**options))


def cache_resource(**options):
    """``st.cache_resource(**options)``, one computation at a time per function."""
    return _single_flight(st.cache_resource(**options))
