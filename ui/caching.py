"""Streamlit's caches, with one computation at a time per cached function (a "single flight").

``st.cache_data`` and ``st.cache_resource`` share their results between all sessions, but two sessions that miss
the same entry at the same moment both compute it. When a class opens a link together, a dozen sessions then build
the same figure side by side (one Python thread at a time, under the GIL), and the last of them waits for all the
others: in the load test, most of the opening burst. Here each cached function takes a lock around the cache
lookup, so the first session computes and the others, once it is done, find the entry. The lock is re-entrant and
per function: a figure's function may call a trace's (always in that order, never back), and cache hits only wait
for a computation of the same function that is already running.

Arguments reach Streamlit's cache by name. For each positional argument Streamlit looks up the function's signature
again (``inspect.signature``, to hash the argument's name with its value), so a figure's function called with nine
positional arguments built its signature nine times per call, on every rerun of every session: a cache hit of
``compute.scatter_figure`` took 493 us, and takes 305 us by keyword (the flip page makes about ten such calls a run).
Passed by keyword, the same names and values are hashed in the same order, so the cache keys are the same.
"""

from __future__ import annotations

import functools
import inspect
import threading

import streamlit as st

__all__ = ["cache_data", "cache_resource"]


def _single_flight(cache_decorator):
    def decorate(fn):
        cached = cache_decorator(fn)
        lock = threading.RLock()
        names = _positional_names(fn)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            if args and len(args) <= len(names) and not kwargs.keys() & set(names[: len(args)]):
                # by keyword, the positional ones first: Streamlit hashes the same (name, value) pairs in this order
                kwargs = {**dict(zip(names, args, strict=False)), **kwargs}
                args = ()
            with lock:
                return cached(*args, **kwargs)

        call.clear = cached.clear  # as the cached function's own
        return call

    return decorate


def _positional_names(fn) -> tuple[str, ...]:
    """The names of ``fn``'s leading parameters that a positional argument may also be passed to by keyword."""
    names = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            break
        names.append(param.name)
    return tuple(names)


def cache_data(**options):
    """``st.cache_data(**options)``, one computation at a time per function."""
    return _single_flight(st.cache_data(**options))


def cache_resource(**options):
    """``st.cache_resource(**options)``, one computation at a time per function."""
    return _single_flight(st.cache_resource(**options))
