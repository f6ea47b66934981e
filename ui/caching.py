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

Even by keyword, Streamlit's hasher walks every argument in Python (a type test after another, a memo and a cycle
check per value): a cache hit of a function given four small arrays and four numbers took 400 us, nearly all of it
hashing, and a page makes ten to twenty such calls a run. So the arguments are digested here first, when they are of
the plain kinds the pages pass (None, bool, int, float, str, bytes, NumPy arrays and scalars of a non-object dtype, and
tuples, lists and dicts of those): BLAKE2b over each name and a tagged encoding of its value (an array's dtype, shape
and every byte, where Streamlit's hasher samples large arrays). Streamlit's cache then gets that one digest to hash,
and the arguments themselves under a name that starts with ``_``, which it does not hash; the digest also covers the
function's module, name and source, as Streamlit's own key does. A call with an argument of any other kind takes
Streamlit's own path, hashed as before. Both paths keep Streamlit's cache: the same entries limits, ``clear()``,
copies of ``cache_data`` results.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import struct
import threading

import numpy as np
import streamlit as st

__all__ = ["cache_data", "cache_resource"]


def _single_flight(cache_decorator):
    def decorate(fn):
        cached = cache_decorator(fn)  # Streamlit's own path: arguments of any kind, hashed by Streamlit
        lock = threading.RLock()
        names = _positional_names(fn)
        origin = _function_digest(fn)

        def by_digest(digest: bytes, _kwargs: dict):  # the digest is hashed; _kwargs, by its name, is not
            return fn(**_kwargs)

        # Streamlit keys a function's cache by module, qualified name and source: this wrapper's source is the same
        # for every function, so each gets its own name (and the digest covers the function as well)
        by_digest.__module__ = fn.__module__
        by_digest.__qualname__ = by_digest.__name__ = f"{fn.__qualname__}[by digest]"
        fast = cache_decorator(by_digest)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            if args and len(args) <= len(names) and not kwargs.keys() & set(names[: len(args)]):
                # by keyword, the positional ones first: Streamlit hashes the same (name, value) pairs in this order
                kwargs = {**dict(zip(names, args, strict=False)), **kwargs}
                args = ()
            digest = None if args else _digest(origin, kwargs)
            with lock:
                if digest is not None:
                    return fast(digest=digest, _kwargs=kwargs)
                return cached(*args, **kwargs)

        def clear() -> None:
            cached.clear()
            fast.clear()

        call.clear = clear  # as the cached function's own
        return call

    return decorate


class _Unsupported(Exception):
    """An argument of a kind :func:`_feed` does not encode: Streamlit hashes the call instead."""


def _function_digest(fn) -> bytes:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):  # no source file: its bytecode, as Streamlit does
        source = fn.__code__.co_code.hex()
    return hashlib.blake2b(f"{fn.__module__}\0{fn.__qualname__}\0{source}".encode(), digest_size=16).digest()


def _digest(origin: bytes, kwargs: dict) -> bytes | None:
    """BLAKE2b of the function (``origin``) and every argument Streamlit would hash (the names that do not start
    with ``_``), by name; None when an argument is of a kind :func:`_feed` does not encode."""
    h = hashlib.blake2b(origin, digest_size=20)
    try:
        for name in sorted(kwargs):
            if not name.startswith("_"):
                _feed(h, name)
                _feed(h, kwargs[name])
    except (_Unsupported, RecursionError):  # RecursionError: a list that holds itself, say
        return None
    return h.digest()


def _plain_numpy(value) -> bool:
    """An ``np.ndarray`` itself or a NumPy scalar, of a dtype that ``dtype.str`` and ``tobytes()`` describe whole:
    no objects, no fields (a structured dtype's ``str`` is only its size: ``|V16``). Subclasses are left to
    Streamlit: a masked array's ``tobytes()`` drops its mask, and ``np.matrix`` multiplies differently."""
    if type(value) is not np.ndarray and not (isinstance(value, np.generic) and type(value).__module__ == "numpy"):
        return False
    return not value.dtype.hasobject and value.dtype.fields is None and value.dtype.subdtype is None


def _feed(h, value) -> None:
    """Add ``value`` to the hash ``h``, tagged by kind and length so that two different values never feed the same
    bytes."""
    if value is None:
        h.update(b"N")
    elif value is True or value is False:
        h.update(b"B1" if value else b"B0")
    elif type(value) is int:
        h.update(b"I%d;" % value)
    elif type(value) is float:
        if value == value:
            h.update(b"F" + value.hex().encode() + b";")
        else:  # NaN: hex() says "nan" whatever its sign and payload
            h.update(b"Q" + struct.pack("<d", value))
    elif type(value) is str:
        data = value.encode("utf-8", "surrogatepass")
        h.update(b"S%d;" % len(data))
        h.update(data)
    elif type(value) is bytes:
        h.update(b"Y%d;" % len(value))
        h.update(value)
    elif _plain_numpy(value):
        data = value.tobytes()  # C order whatever the strides
        tag = b"A" if type(value) is np.ndarray else b"G"  # an array (0-d too) or a NumPy scalar
        h.update(b"%s%s;%s;%d;" % (tag, value.dtype.str.encode(), repr(np.shape(value)).encode(), len(data)))
        h.update(data)
    elif type(value) in (tuple, list):
        h.update(b"%s%d;" % (b"T" if type(value) is tuple else b"L", len(value)))
        for item in value:
            _feed(h, item)
    elif type(value) is dict:
        h.update(b"D%d;" % len(value))
        for key, item in value.items():
            _feed(h, key)
            _feed(h, item)
    else:
        raise _Unsupported(type(value).__qualname__)


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
