"""Fuzzing the typed-matrix parser (ui/parse.py) with Hypothesis: whatever a visitor types.

Arbitrary text never raises anything but :class:`MatrixParseError`, never returns a non-finite value, a value
past ``max_abs`` or a size past the limits, and never executes anything: an audit hook watches for code
execution, imports, processes, files and sockets while the parser runs.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ui import limits
from ui.parse import (
    MAX_ABS,
    MAX_TEXT,
    MatrixParseError,
    edit_cells,
    format_blocks,
    format_matrix,
    parse_blocks,
    parse_matrix,
)

# What the app passes for a custom input (the largest bounds any text area uses).
BOUNDS = dict(max_rows=limits.MAX_INPUT, max_cols=limits.MAX_INPUT, max_blocks=limits.MAX_CHANNELS)

# Audit events that mean "something was executed, imported, spawned, opened or sent" (PEP 578).
_FORBIDDEN = (
    "exec",
    "compile",
    "import",
    "open",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "subprocess.Popen",
    "socket.",
    "ctypes.",
    "pickle.",
    "marshal.",
    "builtins.input",
    "code.__new__",
    "function.__new__",
)
_watch = threading.local()


def _audit(event: str, args) -> None:
    if getattr(_watch, "events", None) is not None and event.startswith(_FORBIDDEN):
        _watch.events.append(event)


sys.addaudithook(_audit)  # cannot be removed; it records only while _watch.events is set (this thread)


def parse_watched(text, **bounds):
    """``parse_blocks`` under the audit hook -> ``(result or None, error or None, forbidden events)``."""
    _watch.events = []
    try:
        try:
            result, error = parse_blocks(text, **(bounds or BOUNDS)), None
        except MatrixParseError as exc:
            result, error = None, exc
    finally:
        events, _watch.events = _watch.events, None
    return result, error, events


def assert_sane(result, *, max_rows, max_cols, max_blocks, max_abs=MAX_ABS):
    """What every accepted text must give: 1..max_blocks same-shaped, finite, bounded float64 matrices."""
    assert isinstance(result, list) and 1 <= len(result) <= max_blocks
    shape = result[0].shape
    for a in result:
        assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 2
        assert a.shape == shape
        assert 1 <= a.shape[0] <= max_rows and 1 <= a.shape[1] <= max_cols
        assert np.isfinite(a).all()
        assert np.abs(a).max() <= max_abs


# Text that looks a little like a matrix, so Hypothesis reaches deep into the parser (as well as pure noise).
_matrixish = st.text(alphabet=st.sampled_from(list("0123456789 .,;|\n\t-+eE_")), max_size=400)
_tokens = st.sampled_from(
    ["1", "-2.5", ".5", "1e3", "1e-3", "nan", "inf", "1_000", "0x1f", "１", "٣", "²", "1e999", "True", "None",
     "__import__('os')", "<script>", "\x00", "\u2212" + "1", "\u00a0", "1e", "--1", "1..2", "()", "[1]"]
)  # fmt: skip
_mixed = st.lists(st.one_of(_tokens, st.sampled_from([" ", ",", "\n", ";", "|", "\n\n"])), max_size=80).map("".join)
any_text = st.one_of(st.text(max_size=600), _matrixish, _mixed)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text)
@example("__import__('os').system('touch /tmp/pwned')")
@example("1e999")
@example("nan")
@example("1_000")
@example("１ ２\n３ ４")
@example("1 2\n3")
@example("\x00")
@example("<script>alert(1)</script>")
@example("1 2 | 3 4 5")
def test_any_text_is_refused_with_the_parsers_error_or_gives_sane_matrices(text):
    result, error, events = parse_watched(text)
    assert not events, f"the parser triggered {events}"
    if error is None:
        assert_sane(result, **BOUNDS)
    else:
        assert str(error), "every refusal says why"


@settings(max_examples=200, deadline=None)
@given(
    text=any_text,
    max_rows=st.integers(1, 8),
    max_cols=st.integers(1, 8),
    max_blocks=st.integers(1, 5),
    max_abs=st.sampled_from([1.0, 10.0, 1e6]),
)
def test_tighter_bounds_are_never_exceeded(text, max_rows, max_cols, max_blocks, max_abs):
    bounds = dict(max_rows=max_rows, max_cols=max_cols, max_blocks=max_blocks)
    _watch.events = []
    try:
        result = parse_blocks(text, **bounds, max_abs=max_abs)
    except MatrixParseError:
        return
    finally:
        events, _watch.events = _watch.events, None
    assert not events
    assert_sane(result, **bounds, max_abs=max_abs)


_cells = st.one_of(
    st.integers(-(10**6), 10**6).map(float),
    st.floats(-MAX_ABS, MAX_ABS, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)


@settings(max_examples=150, deadline=None)
@given(
    arrays=st.integers(1, 4).flatmap(
        lambda n: st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
            lambda hw: st.lists(
                st.lists(st.lists(_cells, min_size=hw[1], max_size=hw[1]), min_size=hw[0], max_size=hw[0]),
                min_size=n,
                max_size=n,
            )
        )
    ),
    sep=st.sampled_from(["\n\n", "|", "\n|\n"]),
)
def test_what_format_matrix_writes_parses_back(arrays, sep):
    blocks = [np.array(a, dtype=np.float64) for a in arrays]
    text = sep.join(format_matrix(b) for b in blocks)
    result, error, events = parse_watched(text)
    assert error is None and not events, error
    assert len(result) == len(blocks)
    for got, want in zip(result, blocks, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9)  # format_matrix keeps 6 significant digits


@settings(max_examples=150, deadline=None)
@given(
    arrays=st.lists(st.lists(st.lists(_cells, min_size=3, max_size=3), min_size=2, max_size=2), min_size=1, max_size=4)
)
def test_what_format_blocks_writes_parses_back_exactly(arrays):
    """The grid editor writes its matrices back into the text box with format_blocks: nothing may be rounded."""
    blocks = [np.array(a, dtype=np.float64) for a in arrays]
    result, error, events = parse_watched(format_blocks(blocks))
    assert error is None and not events, error
    for got, want in zip(result, blocks, strict=True):
        np.testing.assert_array_equal(got, want)


# What a grid editor's cell can hold: numbers of any size, NaN, infinities, None (a cleared cell), text, bools
_grid_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.none(),
    st.booleans(),
    any_text,
    st.sampled_from(["__import__('os').system('true')", "1e999", "nan", "-inf", "0x10", "1_000", "１"]),
)


@settings(max_examples=300, deadline=None)
@given(edits=st.dictionaries(st.tuples(st.integers(-1, 4), st.integers(-1, 4)), _grid_values, min_size=1, max_size=6))
def test_any_grid_edit_is_refused_with_the_parsers_error_or_gives_a_sane_matrix(edits):
    """A grid cell goes through the text box's rules: whatever it holds, the result is refused with a message naming
    the cell, or is a finite matrix within the bound; nothing is executed."""
    m = np.arange(12, dtype=np.float64).reshape(3, 4)
    _watch.events = []
    try:
        try:
            out, error = edit_cells(m, edits, name="grid"), None
        except MatrixParseError as exc:
            out, error = None, exc
    finally:
        events, _watch.events = _watch.events, None
    assert not events, f"the grid edit triggered {events}"
    if error is not None:
        assert str(error).startswith("grid"), error
        return
    assert out.shape == m.shape and np.isfinite(out).all() and np.abs(out).max() <= MAX_ABS
    for (r, c), value in edits.items():
        assert out[r, c] == float(value)  # only numbers within the bound got through, as they are


# Named hostile inputs: each must be refused with a message a visitor can act on.
REFUSED = {
    "python expression": ("__import__('os').system('touch /tmp/pwned')", "is not a number"),
    "eval": ("eval('1+1')", "is not a number"),
    "lambda": ("lambda: 0", "is not a number"),
    "arithmetic": ("1+1", "is not a number"),
    "sympy-like": ("Matrix([[1, 2]])", "is not a number"),
    "overflow 1e999": ("1 1e999", "out of range"),
    "negative overflow": ("-1e999 2", "out of range"),
    "400 nines": ("9" * 400, "out of range"),
    "past max_abs": ("1000001", "out of range"),
    "nan": ("nan 1", "is not a number"),
    "NaN": ("1 NaN", "is not a number"),
    "inf": ("inf", "is not a number"),
    "Infinity": ("-Infinity", "is not a number"),
    "underscore digits": ("1_000", "is not a number"),
    "full-width digits": ("１２３", "is not a number"),
    "arabic-indic digits": ("١٢", "is not a number"),
    "superscript": ("2²", "is not a number"),
    "unicode minus": ("\u22121", "is not a number"),
    "no-break space": ("1\u00a02", "is not a number"),
    "hex": ("0x10", "is not a number"),
    "complex": ("1j", "is not a number"),
    "bare exponent": ("1e", "is not a number"),
    "double sign": ("--1", "is not a number"),
    "two points": ("1..2", "is not a number"),
    "ragged rows": ("1 2 3\n4 5", "every row needs the same count"),
    "ragged blocks": ("1 2\n3 4 | 1 2 3\n4 5 6", "matrix 2 is 2x3"),
    "a megabyte": ("1 " * 500_000, "too long"),
    "NUL bytes": ("1\x002", "is not a number"),
    "only NULs": ("\x00" * 50, "is not a number"),
    "script tag": ("<script>alert(1)</script>", "is not a number"),
    "html": ("<img src=x onerror=alert(1)>", "is not a number"),
    "markdown link": ("[a](http://127.0.0.1/)", "is not a number"),
    "empty": ("", "no numbers found"),
    "whitespace": (" \n\t \n", "no numbers found"),
    "separators only": (";;;|||,,,", "holds no numbers"),
    "too many rows": ("1\n" * 33, "too many rows"),
    "too many columns": ("1 " * 33, "too many columns"),
    "too many blocks": ("1|" * 5, "at most 4"),
    "bytes": (b"1 2", "expected text"),
    "None": (None, "expected text"),
    "number": (3, "expected text"),
}


@pytest.mark.parametrize("text,why", list(REFUSED.values()), ids=list(REFUSED))
def test_hostile_text_is_refused_with_a_reason(text, why):
    result, error, events = parse_watched(text)
    assert not events, f"the parser triggered {events}"
    assert result is None and error is not None, f"{text!r:.60} was accepted as {result}"
    assert why in str(error)
    assert len(str(error)) < 300, "the message quotes at most a short piece of the text"


def test_the_expression_was_not_run(tmp_path):
    target = tmp_path / "pwned"
    text = f"__import__('pathlib').Path({str(target)!r}).touch()"
    _, error, events = parse_watched(text)
    assert error is not None and not events
    assert not target.exists()


ACCEPTED = {
    "integers": ("1 2\n3 4", [[1, 2], [3, 4]]),
    "commas and tabs": ("1,2\t3", [[1, 2, 3]]),
    "semicolons": ("1 2; 3 4", [[1, 2], [3, 4]]),
    "windows newlines": ("1 2\r\n3 4\r\n", [[1, 2], [3, 4]]),
    "signs, points, exponents": ("-1.5 +2 .5 1e-3 2E2", [[-1.5, 2, 0.5, 1e-3, 200]]),
    "max_abs exactly": ("1e6 -1000000", [[1e6, -1e6]]),
    "underflow to zero": ("1e-400", [[0.0]]),
}


@pytest.mark.parametrize("text,want", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_ordinary_numbers_are_accepted(text, want):
    np.testing.assert_array_equal(parse_matrix(text, max_rows=4, max_cols=5), np.array(want, dtype=float))


def test_the_largest_text_is_parsed_quickly_enough_to_be_bounded():
    """32 rows of 32 numbers at the length limit parse; one character more is refused before any work."""
    row = " ".join(["-123.456"] * 32)
    text = "\n".join([row] * 32)
    assert len(text) <= MAX_TEXT
    (a,) = parse_blocks(text, **BOUNDS)
    assert a.shape == (32, 32)
    with pytest.raises(MatrixParseError, match="too long"):
        parse_blocks(text + " " * (MAX_TEXT - len(text) + 1), **BOUNDS)


def test_parser_has_no_eval_and_imports_nothing_dangerous():
    source = (Path(__file__).resolve().parents[1] / "ui" / "parse.py").read_text()
    for word in ("eval(", "exec(", "sympify", "parse_expr", "literal_eval", "import streamlit", "Matrix("):
        assert word not in source, word


def test_the_audit_hook_would_see_code_being_run():
    """The watch above is not blind: eval, an import and opening a file are all recorded."""
    _watch.events = []
    try:
        eval("1 + 1")  # noqa: S307 - the point of this test
        sys.modules.pop("tabnanny", None)
        __import__("tabnanny")
        open(__file__).close()  # noqa: SIM115
    finally:
        events, _watch.events = _watch.events, None
    assert {"exec", "compile", "import", "open"} <= set(events), events
