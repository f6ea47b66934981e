"""Grade a learner's own implementation of the course's functions, element by element.

Usage::

    python -m grader SOLUTION [--json] [--timeout SECONDS] [--memory MB] [--no-sandbox]
    python -m convcore.check SOLUTION ...      # the same, under the name the README has always given

``SOLUTION`` is a ``.py`` file or the course's notebook (``.ipynb``). The web app's "Check my code" page runs
the same grading, in the same sandbox, and shows the same report.

The course's tests check little more than means (``assert np.isclose(np.mean(dA), 1.4524377)``), and on
the course's values a ``conv_backward`` that transposes the kernel, or uses the full-convolution form
without rotating it, has exactly the right means. This grader compares every entry instead.

- The file is read as :mod:`grader.source` says: only imports of NumPy and the standard library, function and
  class definitions and constants are run; a notebook's code cells are used, magics and shell lines skipped.
- Each graded function the file defines (the course's :data:`COURSE_FUNCTIONS`, or cs231n's
  :data:`CS231N_FUNCTIONS` in their NCHW layout) is checked against convcore on the battery of
  :func:`grader.mistakes.cases`: the course's values, pad 0, stride > 1, a stride that does not divide,
  non-square inputs, several channels and examples, ties in max pooling; first on cases that change one thing
  at a time from a plain one, so that the first failing case shown points at the cause.
- Every failing case is reported, not only the first, with the kinds of case that fail; the wrong outputs are
  matched, case by case and output by output, against the catalogue of mistakes (:mod:`grader.mistakes`), so
  that two slips in one function are both named.
- A function that calls another course function (``conv_forward`` calls ``zero_pad`` and ``conv_single_step``)
  is run twice: with the learner's own helper and with the reference helper in its place. It is judged on its
  own logic; when a helper of the learner's is at fault, the report says which.
- A function that raises only because NumPy 2 changed (``float()`` of a ``(1, 1, 1)`` array, ``np.float``,
  storing a one-element array into one entry) is run again as NumPy 1.x would have run it: the report says
  "right under NumPy 1.x, breaks under NumPy 2 because ...", and a real bug behind the NumPy 2 error is still
  found.
- The learner's code runs only in child processes (:mod:`grader._runner`, started with ``python -I``), one per
  function, each in the sandbox of :mod:`grader.sandbox` (Landlock, seccomp-bpf, resource limits): the child can read
  Python's standard library, NumPy, the runner's own files and its scratch folder, into which :func:`grade_source`
  copies the definitions it runs, and write only there. Each child has a wall-clock time limit (``--timeout``, default
  10 s, for loading the file and running every case of that function), ``RLIMIT_AS`` (``--memory``, default 1024 MB,
  less in a container whose memory would not hold it: :func:`grader.sandbox.child_memory_mb`) and ``RLIMIT_CPU``; a
  child that runs out of time is killed, and the verdict says "timed out". All the children of one grading share
  :func:`grading_seconds` (3 times ``--timeout``, or ``GRADER_GRADING_SECONDS``): a function whose turn comes once it
  is spent is "not run". At most :func:`grader.sandbox.max_children` children run at once in the process, across all
  its gradings. Inputs go to the child as ``.npz`` and JSON (the reference helpers' source travels inside the JSON);
  outputs come back as ``.npy`` read with ``allow_pickle=False``, each header checked against the file's size before
  anything is allocated, and progress as JSON lines, of which at most 256 kB are read, no line over 8 kB is parsed and
  only the runner's own form is kept: nothing from the child is unpickled or believed, and whatever a child leaves,
  one function's failure to be judged is that function's "crashed".
- Where the sandbox cannot be set up, or the teacher turned grading off (``GRADER_ENABLED=0``), nothing runs:
  :func:`grade_source` raises :class:`grader.sandbox.SandboxUnavailable` and the command line exits with status 2
  and the reason (``--no-sandbox`` is for a learner's own file on their own computer only). A grading holds one
  of the server's :func:`grader.sandbox.slot` places (:class:`grader.sandbox.Busy` when none frees up).

The ``--json`` report follows :data:`REPORT_SCHEMA` (a JSON Schema, also in the README).

Exit status: 0 if every checked function passes; 1 if one fails, times out or works only under NumPy 1.x;
2 if the file cannot be read or loaded, defines none of the graded functions, or the sandbox is unavailable.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import math
import os
import re
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import mistakes, sandbox
from ._runner import (
    ALL_FUNCTIONS,
    COURSE_FUNCTIONS,
    CS231N_FUNCTIONS,
    NUMPY1_ALIASES,
    OUTPUT_NAMES,
    TEXT_CHARS,
    encode,
)
from .report import printable
from .source import MAX_BYTES, Prepared, SourceError, prepare

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_MEMORY_MB",
    "REPORT_SCHEMA",
    "SCHEMA_VERSION",
    "Failure",
    "Diagnosis",
    "CourseCheck",
    "HelperCheck",
    "NumpyCheck",
    "CaseResult",
    "FunctionResult",
    "Report",
    "grade",
    "grade_source",
    "grading_seconds",
    "format_report",
    "main",
]

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = sandbox.DEFAULT_CHILD_MEMORY_MB  # less in a small container: see sandbox.child_memory_mb
MIN_MEMORY_MB = sandbox.MIN_CHILD_MEMORY_MB  # Python and NumPy need this much address space before the learner's code
#: All the children of one grading together get this many times the per-function time limit, unless
#: ``GRADER_GRADING_SECONDS`` says otherwise: a file that sleeps as it loads cannot hold a grading place for the
#: number of its functions times that limit.
BUDGET_FACTOR = 3
MIN_CHILD_SECONDS = 0.5  # a child that would get less of the budget is not started
RUNNER = Path(__file__).with_name("_runner.py")
SCHEMA_VERSION = 2
_BAD_OUTPUT = "bad output: "

#: Which course functions each function calls (the helpers judged separately).
HELPERS = {
    "conv_forward": ("zero_pad", "conv_single_step"),
    "conv_backward": ("zero_pad",),
    "pool_backward": ("create_mask_from_window", "distribute_value"),
}

_HINTS = (
    (
        "No module named",
        "the grader runs only your functions, with NumPy and Python's standard library: import other modules "
        "inside a function only if the function needs them, and do not call the course's test code "
        "(public_tests.py, ...) from your functions.",
    ),
    (
        "non-iterable NoneType",
        "something is still None: a line of the course's template (`... = None`) left as it was, or a function "
        "that returns nothing.",
    ),
    (
        "is a NoneType",
        "the function returns None: the template's `None` is still there, or the `return` line is missing.",
    ),
)

#: NumPy 2 errors, and what NumPy 1.x did instead (the sentence after "because").
_NUMPY2_ERRORS = (
    (
        re.compile(r"only (0-dimensional|length-1|size-1) arrays can be converted to Python scalars"),
        "float() (or int()) of an array with dimensions, such as the (1, 1, 1) bias b, is an error since NumPy 2.4 "
        "(NumPy 1.x converted it, the course's float(b) relies on it): write b.item() or float(b[0, 0, 0])",
    ),
    (
        re.compile(r"module 'numpy' has no attribute '(\w+)'"),
        "np.{name} no longer exists (a deprecated alias, removed in NumPy 1.24 or 2.0): write {instead}",
    ),
    (
        re.compile(r"setting an array element with a sequence"),
        "NumPy 2 refuses to store a one-element array, such as a (1, 1, 1) result, into one entry "
        "(NumPy 1.x stored its value): make the value a number, e.g. with .item()",
    ),
)
_ALIAS_INSTEAD = {
    "float": "float",
    "int": "int",
    "bool": "bool",
    "object": "object",
    "complex": "complex",
    "str": "str",
    "float_": "np.float64",
    "NaN": "np.nan",
    "Inf": "np.inf",
    "product": "np.prod",
    "asscalar": "a.item()",
}


def _numpy2_reason(error: str | None) -> str | None:
    """Why ``error`` happens only under NumPy 2, or None."""
    if not error:
        return None
    for pattern, reason in _NUMPY2_ERRORS:
        match = pattern.search(error)
        if match:
            if "{name}" in reason:
                name = match.group(1)
                if name not in NUMPY1_ALIASES:
                    return None
                return reason.format(name=name, instead=_ALIAS_INSTEAD.get(name, f"the NumPy 2 name for np.{name}"))
            return reason
    return None


# --- the report -----------------------------------------------------------------------------------------


@dataclass
class Failure:
    """One failing case of a function.

    ``kind``: ``"values"`` (same shape, different entries), ``"shape"``, ``"raised"``, ``"bad output"``
    (not what the course's function returns), ``"timed out"`` or ``"crashed"`` (the child died);
    ``kinds``: the kinds of case it is (:data:`grader.mistakes.KINDS`).
    """

    case: str | None
    label: str | None
    kind: str
    message: str
    kinds: list[str] = field(default_factory=list)
    output: str | None = None
    index: list[int] | None = None
    expected: float | None = None
    got: float | None = None
    max_abs_diff: float | None = None
    expected_shape: list[int] | None = None
    got_shape: list[int] | None = None
    error: str | None = None
    where: str | None = None
    hint: str | None = None


@dataclass
class Diagnosis:
    """A catalogued mistake whose outputs match the learner's wrong ones: on which outputs and which cases."""

    key: str
    title: str
    when: str
    explanation: str
    fix: str
    outputs: list[str]
    cases: list[str]
    function: str  # the course function the slip is written in (a helper's, when it shows through a caller)


@dataclass
class CourseCheck:
    """Would the course's own mean-only check (shapes and ``np.isclose`` means) on its values have caught it?
    (For cs231n: its own element-wise check on its values.)"""

    caught: bool
    detail: str


@dataclass
class HelperCheck:
    """How a function that calls course helpers was judged.

    ``calls``: the helpers it called; ``judged_with``: ``"own"`` (the learner's helpers, all right) or
    ``"reference"`` (a helper of the learner's is wrong or missing, so the function was judged with the
    reference helpers in their place); ``own_passed``: the verdict with the learner's own helpers;
    ``at_fault``: the learner's helpers that made the difference.
    """

    calls: list[str]
    judged_with: str
    own_passed: bool
    at_fault: list[str]
    detail: str


@dataclass
class NumpyCheck:
    """A function that raised only because of NumPy 2: run again as NumPy 1.x would have run it."""

    right_under_numpy1: bool
    reasons: list[str]
    detail: str


@dataclass
class CaseResult:
    case: str
    status: str  # "pass" | "fail" | "error" | "timed out" | "crashed" | "not run"
    kinds: list[str] = field(default_factory=list)


@dataclass
class FunctionResult:
    function: str
    passed: bool
    cases: list[CaseResult]
    failure: Failure | None = None
    diagnosis: list[Diagnosis] = field(default_factory=list)
    course_check: CourseCheck | None = None
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    failing_kinds: list[str] = field(default_factory=list)
    pattern: str | None = None
    layout: str = "course"
    helpers: HelperCheck | None = None
    numpy2: NumpyCheck | None = None
    not_parsing: str | None = None
    # what the page draws (not in the JSON): {case name: outputs} of the judged run
    outputs: dict = field(default_factory=dict, repr=False)
    _runs: dict = field(default_factory=dict, repr=False)

    @property
    def verdict(self) -> str:
        """``"PASS"``, ``"FAIL"``, or ``"NUMPY 2"``: right under NumPy 1.x, breaks under NumPy 2."""
        if self.passed:
            return "PASS"
        if self.numpy2 is not None and self.numpy2.right_under_numpy1:
            return "NUMPY 2"
        return "FAIL"


@dataclass
class Report:
    file: str
    loaded: bool
    error: str | None
    functions: list[FunctionResult]
    timeout: float
    memory_mb: int
    kind: str = "py"
    layouts: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_status(self) -> int:
        if not self.loaded or not self.functions:
            return 2
        return 0 if all(f.passed for f in self.functions) else 1

    def to_dict(self) -> dict:
        """The ``--json`` report (:data:`REPORT_SCHEMA`)."""
        functions = []
        for f in self.functions:
            entry = {"function": f.function, "verdict": f.verdict}
            entry.update({k: v for k, v in asdict(f).items() if k not in ("outputs", "_runs")})
            functions.append(_json_safe(entry))
        return {
            "schema_version": SCHEMA_VERSION,
            "file": self.file,
            "kind": self.kind,
            "loaded": self.loaded,
            "error": self.error,
            "exit_status": self.exit_status,
            "timeout": self.timeout,
            "memory_mb": self.memory_mb,
            "seconds": round(self.seconds, 3),
            "layouts": self.layouts,
            "cells": self.cells,
            "skipped": self.skipped,
            "functions": functions,
        }


def _json_safe(obj):
    """Strict JSON: a learner's NaN or infinity becomes the string "nan", "inf" or "-inf"."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


_NUMBER = {"type": ["number", "string", "null"]}  # a learner's NaN or infinity is the string "nan", "inf", "-inf"
_TEXT = {"type": ["string", "null"]}
_INTS = {"type": ["array", "null"], "items": {"type": "integer"}}
_STRINGS = {"type": "array", "items": {"type": "string"}}

#: JSON Schema (draft 2020-12) of the ``--json`` report; the README shows the same.
REPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "grader report",
    "type": "object",
    "required": [
        "schema_version",
        "file",
        "kind",
        "loaded",
        "error",
        "exit_status",
        "timeout",
        "memory_mb",
        "seconds",
        "layouts",
        "cells",
        "skipped",
        "functions",
    ],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "file": {"type": "string"},
        "kind": {"enum": ["py", "ipynb"]},
        "loaded": {"type": "boolean"},
        "error": _TEXT,
        "exit_status": {"enum": [0, 1, 2]},
        "timeout": {"type": "number"},
        "memory_mb": {"type": "integer"},
        "seconds": {"type": "number"},
        "layouts": {"type": "array", "items": {"enum": ["course", "cs231n"]}},
        "cells": _STRINGS,
        "skipped": _STRINGS,
        "functions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "function",
                    "verdict",
                    "passed",
                    "layout",
                    "cases",
                    "failure",
                    "failures",
                    "failing_kinds",
                    "pattern",
                    "diagnosis",
                    "course_check",
                    "helpers",
                    "numpy2",
                    "not_parsing",
                    "seconds",
                ],
                "additionalProperties": False,
                "properties": {
                    "function": {"enum": list(ALL_FUNCTIONS)},
                    "verdict": {"enum": ["PASS", "FAIL", "NUMPY 2"]},
                    "passed": {"type": "boolean"},
                    "layout": {"enum": ["course", "cs231n"]},
                    "seconds": {"type": "number"},
                    "pattern": _TEXT,
                    "not_parsing": _TEXT,
                    "failing_kinds": _STRINGS,
                    "cases": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["case", "status", "kinds"],
                            "additionalProperties": False,
                            "properties": {
                                "case": {"type": "string"},
                                "status": {"enum": ["pass", "fail", "error", "timed out", "crashed", "not run"]},
                                "kinds": _STRINGS,
                            },
                        },
                    },
                    "failure": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/failure"}]},
                    "failures": {"type": "array", "items": {"$ref": "#/$defs/failure"}},
                    "diagnosis": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "title", "when", "explanation", "fix", "outputs", "cases", "function"],
                            "additionalProperties": False,
                            "properties": {
                                "key": {"type": "string"},
                                "title": {"type": "string"},
                                "when": {"type": "string"},
                                "explanation": {"type": "string"},
                                "fix": {"type": "string"},
                                "outputs": _STRINGS,
                                "cases": _STRINGS,
                                "function": {"enum": list(COURSE_FUNCTIONS)},
                            },
                        },
                    },
                    "course_check": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["caught", "detail"],
                                "additionalProperties": False,
                                "properties": {"caught": {"type": "boolean"}, "detail": {"type": "string"}},
                            },
                        ]
                    },
                    "helpers": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["calls", "judged_with", "own_passed", "at_fault", "detail"],
                                "additionalProperties": False,
                                "properties": {
                                    "calls": _STRINGS,
                                    "judged_with": {"enum": ["own", "reference"]},
                                    "own_passed": {"type": "boolean"},
                                    "at_fault": _STRINGS,
                                    "detail": {"type": "string"},
                                },
                            },
                        ]
                    },
                    "numpy2": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["right_under_numpy1", "reasons", "detail"],
                                "additionalProperties": False,
                                "properties": {
                                    "right_under_numpy1": {"type": "boolean"},
                                    "reasons": _STRINGS,
                                    "detail": {"type": "string"},
                                },
                            },
                        ]
                    },
                },
            },
        },
    },
    "$defs": {
        "failure": {
            "type": "object",
            "required": ["case", "label", "kind", "message", "kinds"],
            "additionalProperties": False,
            "properties": {
                "case": _TEXT,
                "label": _TEXT,
                "kind": {"enum": ["values", "shape", "raised", "bad output", "timed out", "crashed", "not parsing"]},
                "message": {"type": "string"},
                "kinds": _STRINGS,
                "output": _TEXT,
                "index": _INTS,
                "expected": _NUMBER,
                "got": _NUMBER,
                "max_abs_diff": _NUMBER,
                "expected_shape": _INTS,
                "got_shape": _INTS,
                "error": _TEXT,
                "where": _TEXT,
                "hint": _TEXT,
            },
        }
    },
}


# --- child processes -------------------------------------------------------------------------------------


@dataclass
class _Child:
    events: list[dict]
    timed_out: bool
    returncode: int | None
    stderr_tail: str
    seconds: float
    wall: float = 0.0  # the seconds it was given: the per-function limit, or what was left of the grading's budget
    budget_seconds: float | None = None  # the grading's whole budget
    not_started: bool = False  # the grading's budget was spent before its turn


class _Budget:
    """The time all the children of one grading may run together: each takes at most the per-function limit from
    it and gives back what it did not use (so children running side by side never overdraw it)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._left = seconds
        self._lock = threading.Lock()

    def take(self, wanted: float) -> float:
        with self._lock:
            given = max(0.0, min(wanted, self._left))
            self._left -= given
            return given

    def give_back(self, seconds: float) -> None:
        with self._lock:
            self._left += max(0.0, seconds)


def grading_seconds(timeout: float) -> float:
    """The budget of one grading: ``GRADER_GRADING_SECONDS``, default :data:`BUDGET_FACTOR` times ``timeout``."""
    try:
        value = float(os.environ.get("GRADER_GRADING_SECONDS", ""))
    except ValueError:
        value = 0.0
    return value if math.isfinite(value) and value > 0 else BUDGET_FACTOR * timeout


def _timed_out(child: _Child, timeout: float) -> str:
    """``"timed out after 10 s"``, saying so when the time was what was left of the grading's budget."""
    if child.budget_seconds is not None and child.wall < timeout - 1e-6:
        return (
            f"timed out after {child.wall:.2g} s, what was left of this grading's {child.budget_seconds:g} s "
            "(all the file's functions together, loading included)"
        )
    return f"timed out after {timeout:g} s"


def _child_env() -> dict:
    """What the child gets on top of :func:`grader.sandbox.clean_env` (which already sets one BLAS thread)."""
    return {"MPLBACKEND": "Agg"}


def _read_child_file(path: Path, limit: int) -> str:
    """A file the child wrote, read with care: the child may have put a folder, a link or a huge file there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks).decode("utf-8", errors="replace")
    finally:
        os.close(fd)


def _spawn(
    mode: str,
    solution: str,
    workdir: Path,
    timeout: float,
    memory_mb: int,
    function: str = "",
    sandboxed: bool = True,
    budget: _Budget | None = None,
) -> _Child:
    """Run the runner on ``solution``, staged in ``workdir`` by :func:`grade_source`, in the sandbox
    (:func:`grader.sandbox.run`; :class:`grader.sandbox.SandboxUnavailable` if it cannot be set up). Only
    ``sandboxed=False``, the command line's ``--no-sandbox``, runs it with rlimits alone. With a ``budget``, the
    child gets at most what is left of it, and is not started when that is under :data:`MIN_CHILD_SECONDS`."""
    if Path(solution).resolve().parent.parent != Path(workdir).resolve():
        raise ValueError(f"{solution} is not staged in {workdir}/solution/: the sandboxed child could not read it")
    wall = budget.take(timeout) if budget is not None else timeout
    if wall < MIN_CHILD_SECONDS:
        if budget is not None:
            budget.give_back(wall)
        return _Child([], False, None, "", 0.0, wall, budget and budget.seconds, not_started=True)
    cpu_seconds = int(math.ceil(wall)) + 1  # backstop: the wall-clock limit below normally ends it first
    cmd = [sys.executable, "-I", str(RUNNER), mode, str(solution), str(workdir), str(memory_mb), str(cpu_seconds)]
    if function:
        cmd.append(function)
    limits = sandbox.Limits(wall_seconds=wall, cpu_seconds=cpu_seconds, memory_mb=memory_mb)
    launch = sandbox.run if sandboxed else sandbox.run_unsandboxed
    done = None
    try:
        done = launch(cmd, workdir=workdir, limits=limits, env=_child_env())
    finally:
        if budget is not None:
            budget.give_back(wall - (done.seconds if done is not None else 0.0))
    events = _read_events(workdir / "events.jsonl")
    stderr, returncode = done.stderr_tail[-2000:].strip(), done.returncode
    if done.killed_by in ("output limit", "disk limit"):  # killed by the sandbox: say why, as a signal would
        what = f"{limits.output_bytes // 1024} kB of output" if done.killed_by == "output limit" else "its disk space"
        stderr += f"\nthe sandbox stopped it: it used more than {what}"
        returncode = -signal.SIGKILL
    return _Child(events, done.timed_out, returncode, stderr.strip(), done.seconds, wall, budget and budget.seconds)


#: How much of a child's ``events.jsonl`` is read, and the longest line parsed: the runner writes a few kB per
#: function and cuts every string to :data:`grader._runner.TEXT_CHARS`; the learner's code can write there too.
EVENTS_BYTES = 256 * 1024
EVENT_LINE_CHARS = 8 * 1024
_STATUSES = ("ok", "error", "bad_output")


def _read_events(path: Path) -> list[dict]:
    """The events of the runner in ``path``, read without believing them: at most :data:`EVENTS_BYTES`, lines
    longer than :data:`EVENT_LINE_CHARS` skipped before they are parsed (a line of millions of ``[]`` would take
    the server's memory and hold the GIL for seconds), any line that does not parse skipped (a line cut short by
    the kill, an int past Python's 4300 digits, absurd nesting), and only events of the form the runner writes
    kept (:func:`_well_formed`), their strings cut to the runner's length. Lines forged by the learner's code can
    change nothing but that learner's own verdict."""
    events = []
    for line in _read_child_file(path, EVENTS_BYTES).splitlines():
        if len(line) > EVENT_LINE_CHARS:
            continue
        try:
            event = json.loads(line)
        except Exception:  # noqa: BLE001 - JSONDecodeError, ValueError, RecursionError, MemoryError: all junk
            continue
        if _well_formed(event):
            events.append(_clipped(event))
    return events


def _clipped(event: dict) -> dict:
    """``event`` with every string cut to :data:`grader._runner.TEXT_CHARS` characters and lists to 64 items."""

    def clip(value):
        if isinstance(value, str):
            return value if len(value) <= TEXT_CHARS else value[:TEXT_CHARS] + " ..."
        if isinstance(value, list):
            return [clip(v) for v in value[:64]]
        return value

    return {k: clip(v) for k, v in event.items()}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1_000_000


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _well_formed(event) -> bool:
    """Whether ``event`` has the form the runner writes (:mod:`grader._runner`); anything else is dropped, so that
    lines forged by the learner's code can change nothing but their own verdict and never break the grader."""
    if not isinstance(event, dict) or not _is_int(event.get("pass", 0)):
        return False
    kind = event.get("event")
    if kind == "loaded":
        return _strings(event.get("defines"))
    if kind == "load_error":
        return isinstance(event.get("error"), str) and isinstance(event.get("where"), (str, type(None)))
    if kind == "start":
        return _is_int(event.get("case"))
    if kind == "done":
        if not _is_int(event.get("case")) or event.get("status") not in _STATUSES:
            return False
        if not isinstance(event.get("where"), (str, type(None))) or not _strings(event.get("called", [])):
            return False
        if event["status"] == "ok":
            return _is_int(event.get("outputs"))
        return isinstance(event.get("error"), str)
    if kind == "numpy1":
        return _strings(event.get("used"))
    return kind == "skipped"


def _died(child: _Child) -> str:
    if child.returncode is not None and child.returncode < 0:
        try:
            how = f"killed by {signal.Signals(-child.returncode).name}"
        except ValueError:
            how = f"killed by signal {-child.returncode}"
    else:
        how = f"exit status {child.returncode}"
    last = child.stderr_tail.splitlines()[-1] if child.stderr_tail else ""
    return f"the process running it stopped without reporting ({how})" + (f": {last}" if last else "")


def _hint(text: str | None) -> str | None:
    if text:
        reason = _numpy2_reason(text)
        if reason:
            return f"right under NumPy 1.x, breaks under NumPy 2: {reason}."
        for needle, hint in _HINTS:
            if needle in text:
                return hint
    return None


# --- grading one function --------------------------------------------------------------------------------


@dataclass
class _Run:
    """One pass of the child over the battery: ``results[k] = (outputs or None, error or None)``."""

    name: str
    ran: bool
    results: dict
    done: dict
    started: list
    numpy1_used: list
    called: set


def _same_error(a: str | None, b: str | None) -> bool:
    """The same exception and message; a bare type (``"AssertionError"``) says too little to name a mistake."""
    return a is not None and b is not None and ": " in a and a.strip() == b.strip()


@functools.cache
def _mistake_result(key: str, variant: int, function: str, case_name: str):
    m = mistakes.BY_KEY[key]
    return mistakes.run(function, m.implementation(function, variant), mistakes.case(function, case_name))


def _diagnose(function: str, battery, results: dict, own_only: bool = False) -> list[Diagnosis]:
    """The catalogued mistakes that explain the learner's wrong outputs, output by output and case by case.

    A mistake explains a wrong output on a case when its output there agrees with the learner's, and an error
    when it raises the same one; it is ruled out when it is wrong where the learner is right. Mistakes are
    named greedily, the one explaining most of what is still unexplained first, so that two slips (in
    different outputs, or showing on different cases) are both named. A mistake is never named on one error
    alone: the catalogue's code must give the learner's results on several cases.
    """
    names = OUTPUT_NAMES[function]
    wrong: set = set()
    right: set = set()
    returned = False
    for k, c in enumerate(battery):
        if k not in results:
            continue
        got, error = results[k]
        if error is not None:
            if not error.startswith(_BAD_OUTPUT):
                wrong.add((k, "raises"))
            continue
        returned = True
        for n, e, g in zip(names, mistakes.reference_outputs(c), got, strict=True):
            (right if mistakes.agree(e, g) else wrong).add((k, n))
    if not wrong:
        return []
    course_function = mistakes.CS231N.get(function, function)
    candidates = []
    for order, m in enumerate(mistakes.mistakes_for(function)):
        if own_only and m.function != course_function:
            continue
        best: set = set()
        for variant in range(1 + len(m.variants)):
            explained, contradicted = set(), False
            for k, c in enumerate(battery):
                if k not in results or contradicted:
                    continue
                got, error = results[k]
                m_got, m_error = _mistake_result(m.key, variant, function, c.name)
                if error is not None:
                    if (k, "raises") in wrong and _same_error(error, m_error):
                        explained.add((k, "raises"))
                    continue
                if m_got is None:
                    contradicted = all((k, n) in right for n in names)
                    continue
                for n, g, mg in zip(names, got, m_got, strict=True):
                    agrees = mistakes.agree(mg, g)
                    if agrees and (k, n) in wrong:
                        explained.add((k, n))
                    elif not agrees and (k, n) in right:
                        contradicted = True
            if contradicted or not explained:
                continue
            if all(n == "raises" for _, n in explained) and not returned and len(explained) < 2:
                continue  # one error alone never names a mistake: it must match on several cases
            if len(explained) > len(best):
                best = explained
        if best:
            candidates.append((order, m, best))
    found = []
    remaining = set(wrong)
    while candidates:
        order, m, explained = max(candidates, key=lambda t: (len(t[2] & remaining), -t[0]))
        if not explained & remaining:
            break
        candidates.remove((order, m, explained))
        remaining -= explained
        outputs = [n for n in names if any(o == n for _, o in explained)]
        if any(o == "raises" for _, o in explained):
            outputs.append("raises the same error")
        cases = [battery[k].name for k in sorted({k for k, _ in explained})]
        found.append(Diagnosis(m.key, m.title, m.when, m.explanation, m.fix, outputs, cases, m.function))
    return found


def _course_check(function: str, battery, results: dict) -> CourseCheck | None:
    """What a mean-only check (shapes, then ``np.isclose`` means) would say on the course's values; for a cs231n
    function, what cs231n's own check (every entry, on its values) would say."""
    kinds: set[str] = set()
    differing: list[str] = []  # outputs whose mean is wrong on a course case
    for k, c in enumerate(battery):
        if not c.course or k not in results:
            continue
        got, error = results[k]
        if error is not None:
            kinds.add("bad output" if error.startswith(_BAD_OUTPUT) else "raises")
            continue
        expected = mistakes.reference_outputs(c)
        if not mistakes.compare(function, expected, got):
            kinds.add("right")
        elif any(np.shape(e) != np.shape(g) for e, g in zip(expected, got, strict=True)):
            kinds.add("shape")
        elif mistakes.mean_only_passes(expected, got):
            kinds.add("means right")
        else:
            kinds.add("means wrong")
            for name, e, g in zip(OUTPUT_NAMES[function], expected, got, strict=True):
                if not mistakes.mean_only_passes((e,), (g,)) and f"mean({name})" not in differing:
                    differing.append(f"mean({name})")
    if not kinds:
        return None
    if function in CS231N_FUNCTIONS:
        if kinds == {"right"}:
            return CourseCheck(
                False,
                "cs231n's own check (every entry, on its test values) would pass: those "
                "values do not show this mistake.",
            )
        return CourseCheck(True, "cs231n's own check (every entry, on its test values) would have caught it.")
    if kinds == {"right"}:
        return CourseCheck(False, "the course's own test values do not show this mistake: its checks would pass.")
    caught = "the course's mean-only check would have caught it: "
    if "raises" in kinds:
        return CourseCheck(True, caught + "the function raises on the course's values.")
    if "bad output" in kinds:
        return CourseCheck(True, caught + "the function does not return what the course's function returns.")
    if "shape" in kinds:
        return CourseCheck(True, caught + "the shape is wrong on the course's values.")
    if "means wrong" in kinds:
        return CourseCheck(True, caught + f"{_join(differing)} {'is' if len(differing) == 1 else 'are'} wrong.")
    means = _join([f"mean({name})" for name in OUTPUT_NAMES[function]])
    verb = "is" if len(OUTPUT_NAMES[function]) == 1 else "are all"
    return CourseCheck(
        False, f"the course's mean-only check would have missed it: on the course's values {means} {verb} right."
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _values_failure(c: mistakes.Case, d: mistakes.Difference) -> Failure:
    if d.shape_differs:
        return Failure(
            c.name,
            c.label,
            "shape",
            f"{d.output} has shape {tuple(d.got_shape)}, expected {tuple(d.expected_shape)}",
            kinds=list(c.kinds),
            output=d.output,
            expected_shape=list(d.expected_shape),
            got_shape=list(d.got_shape),
        )
    where = f"{d.output}[{', '.join(map(str, d.index))}]" if d.index else d.output
    return Failure(
        c.name,
        c.label,
        "values",
        f"{where} expected {_fmt(d.expected_value)}, got {_fmt(d.got_value)} (largest difference {d.max_abs_diff:.3g})",
        kinds=list(c.kinds),
        output=d.output,
        index=list(d.index),
        expected=d.expected_value,
        got=d.got_value,
        max_abs_diff=d.max_abs_diff,
        expected_shape=list(d.expected_shape),
        got_shape=list(d.got_shape),
    )


#: An output read back may be this many times the size of the right one (a wrong shape is still shown), and at
#: least :data:`MIN_OUTPUT_LIMIT` bytes; anything larger is not read.
OUTPUT_SIZE_FACTOR = 64
MIN_OUTPUT_LIMIT = 64 * 1024
_NPY_VERSIONS = ((1, 0), (2, 0))  # what np.save writes for an array of numbers (3.0 is for unicode field names)


def _load_npy(path: Path, max_bytes: int) -> np.ndarray:
    """An ``.npy`` file the child wrote, read without believing it: a regular file (no link, FIFO or folder) of
    at most ``max_bytes``, a header of an array of numbers whose claimed size is exactly what the file holds, so
    that a forged header claiming terabytes allocates nothing. Raises ``ValueError`` saying what is wrong."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ValueError("it is missing") from None
    except OSError as exc:
        raise ValueError(f"it cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        if info.st_size > max_bytes:
            raise ValueError(f"it is {info.st_size:,} bytes, more than the {max_bytes:,} an output may take")
        data = fh.read(max_bytes + 1)
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        if version not in _NPY_VERSIONS:
            raise ValueError(f"its format version {version} is not what np.save writes for numbers")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(buffer)
    except Exception as exc:  # noqa: BLE001 - ValueError, SyntaxError, tokenize.TokenError, MemoryError, ...: all junk
        raise ValueError(f"its header cannot be read ({type(exc).__name__})") from None
    if dtype.hasobject or dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueError(f"it holds {dtype}, not numbers")
    if any(n < 0 for n in shape):
        raise ValueError(f"its header claims the shape {shape}, with a negative dimension")
    claimed = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if claimed != len(data) - buffer.tell():
        raise ValueError(f"its header claims {claimed:,} bytes of data, the file holds {len(data) - buffer.tell():,}")
    flat = np.frombuffer(data, dtype=dtype, offset=buffer.tell(), count=math.prod(shape))
    return (flat.reshape(shape[::-1]).T if fortran_order else flat.reshape(shape)).copy()


def _read_outputs(workdir: Path, p: int, k: int, expected: tuple) -> tuple[np.ndarray, ...] | str:
    """The outputs of case ``k`` in pass ``p``, or why they cannot be read back."""
    outputs = []
    for j, right in enumerate(expected):
        limit = max(MIN_OUTPUT_LIMIT, OUTPUT_SIZE_FACTOR * np.asarray(right).nbytes)
        try:
            outputs.append(_load_npy(workdir / f"out_{p}_{k}_{j}.npy", limit))
        except ValueError as exc:
            return f"its output {j + 1} could not be read back: {exc}"
    return tuple(outputs)


def _read_run(name: str, p: int, child: _Child, workdir: Path, function: str, battery) -> _Run:
    events = [e for e in child.events if e.get("pass", 0) == p and e.get("case", 0) < len(battery)]
    done = {e["case"]: e for e in events if e.get("event") == "done"}
    started = [e["case"] for e in events if e.get("event") == "start"]
    used = next((e.get("used", []) for e in events if e.get("event") == "numpy1"), [])
    results: dict[int, tuple] = {}
    called: set = set()
    for k, event in done.items():
        called.update(event.get("called") or ())
        if event["status"] == "ok":
            got = _read_outputs(workdir, p, k, mistakes.reference_outputs(battery[k]))
            results[k] = (None, f"crashed: {got}") if isinstance(got, str) else (got, None)
        elif event["status"] == "bad_output":
            results[k] = (None, _BAD_OUTPUT + event["error"])
        else:
            results[k] = (None, event["error"])
    ran = bool(started) and not any(e.get("event") == "skipped" for e in events)
    return _Run(name, ran, results, done, started, used, called)


def _where(event: dict, prepared: Prepared | None) -> str | None:
    where = event.get("where")
    return prepared.relocate(where) if prepared is not None else where


def _judge(function: str, battery, run: _Run, child: _Child, timeout: float, prepared, own_only: bool) -> dict:
    """Statuses, every failure (ordered: the first points at the cause), the diagnosis and the course's check."""
    statuses: list[CaseResult] = []
    failures: list[tuple[int, Failure]] = []
    results: dict = {}
    outputs: dict = {}
    for k, c in enumerate(battery):
        event = run.done.get(k)
        if event is None:
            running = bool(run.started) and run.started[-1] == k  # the case the child was in when it stopped
            status = ("timed out" if child.timed_out else "crashed") if running else "not run"
            if status != "not run":
                message = _timed_out(child, timeout) if child.timed_out else _died(child)
                failures.append((k, Failure(c.name, c.label, status, message, kinds=list(c.kinds))))
            statuses.append(CaseResult(c.name, status, list(c.kinds)))
            continue
        got, error = run.results[k]
        if error is None:
            results[k] = (got, None)
            outputs[c.name] = got
            differences = mistakes.compare(function, mistakes.reference_outputs(c), got)
            statuses.append(CaseResult(c.name, "fail" if differences else "pass", list(c.kinds)))
            if differences:
                failures.append((k, _values_failure(c, differences[0])))
            continue
        if error.startswith("crashed: "):
            statuses.append(CaseResult(c.name, "crashed", list(c.kinds)))
            failures.append((k, Failure(c.name, c.label, "crashed", error[len("crashed: ") :], kinds=list(c.kinds))))
            continue
        results[k] = (None, error)
        statuses.append(CaseResult(c.name, "error", list(c.kinds)))
        bad = error.startswith(_BAD_OUTPUT)
        raw = event.get("error", error)
        message = raw if bad else f"raised {raw}"
        where = _where(event, prepared)
        if where:
            message += f" ({where})"
        failures.append(
            (
                k,
                Failure(
                    c.name,
                    c.label,
                    "bad output" if bad else "raised",
                    message,
                    kinds=list(c.kinds),
                    error=raw,
                    where=where,
                    hint=_hint(raw),
                ),
            )
        )
    # the case that changes fewest things from the plain one first: a stride bug is first shown on a stride case
    special = ("the course's values", "cs231n's values")
    failures.sort(key=lambda kf: (len([x for x in kf[1].kinds if x not in special]), kf[0]))
    ordered = [f for _, f in failures]
    failing = {s.case for s in statuses if s.status not in ("pass", "not run")}
    failing_kinds = [kind for kind in mistakes.KINDS if any(kind in s.kinds for s in statuses if s.case in failing)]
    return {
        "cases": statuses,
        "failures": ordered,
        "failure": ordered[0] if ordered else None,
        "failing_kinds": failing_kinds,
        "pattern": _pattern(statuses),
        "diagnosis": _diagnose(function, battery, results, own_only) if ordered else [],
        "course_check": _course_check(function, battery, results) if ordered else None,
        "passed": not ordered,
        "outputs": outputs,
    }


def _pattern(statuses: list[CaseResult]) -> str | None:
    """``"fails on every case with stride > 1 and passes on every other"`` when one kind of case separates them."""
    ran = [s for s in statuses if s.status != "not run"]
    failing = [s for s in ran if s.status != "pass"]
    if not failing:
        return None
    if len(failing) == len(ran):
        return "it fails on every case"
    for kind in mistakes.KINDS:
        with_kind = [s for s in ran if kind in s.kinds]
        if (
            with_kind
            and all(s.status != "pass" for s in with_kind)
            and all(s.status == "pass" for s in ran if kind not in s.kinds)
        ):
            return f"it fails on every case with {kind} and passes on every other case"
    return None


@functools.cache
def _reference_helper_source(name: str) -> str:
    """The right course-style code of a helper, as the child runs it in place of the learner's."""
    return mistakes.right_source(name).replace("b.item()", "np.asarray(b).item()")


def _grade_function(
    function: str,
    solution: str,
    workdir: Path,
    timeout: float,
    memory_mb: int,
    *,
    prepared: Prepared | None = None,
    sandboxed: bool = True,
    budget: _Budget | None = None,
) -> FunctionResult:
    """Run ``function`` in one child: with the learner's helpers, with the reference helpers (for a function
    that calls course helpers), and, if something raised, as under NumPy 1.x; judge it on the first two for
    now (:func:`_settle_helpers` chooses once every helper's verdict is known).

    ``solution`` is the file :func:`grade_source` staged in ``workdir/solution/``: the only one the child can read.
    ``sandboxed=False`` is the command line's ``--no-sandbox`` only."""
    battery = mistakes.cases(function)
    workdir.mkdir(exist_ok=True)  # grade_source made it to stage the file in
    arrays: dict = {}
    passes: list[dict] = [{"name": "own"}]
    if HELPERS.get(function):
        passes.append({"name": "reference", "helpers": {h: _reference_helper_source(h) for h in HELPERS[function]}})
    passes.append({"name": "numpy1", "numpy1": True, "if_errors": True})
    spec = {"cases": [{"name": c.name, "args": [encode(a, arrays) for a in c.args]} for c in battery], "passes": passes}
    (workdir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    np.savez(workdir / "inputs.npz", **arrays)

    child = _spawn("run", solution, workdir, timeout, memory_mb, function, sandboxed, budget)
    if child.not_started:
        return _not_started(function, battery, child.budget_seconds)
    runs = {p["name"]: _read_run(p["name"], k, child, workdir, function, battery) for k, p in enumerate(passes)}
    load_error = next((e for e in child.events if e.get("event") == "load_error"), None)
    own = runs["own"]

    numpy2 = None
    judged_run = own
    reasons = []
    for _, error in own.results.values():
        reason = _numpy2_reason(error)
        if reason and reason not in reasons:
            reasons.append(reason)
    if reasons and runs["numpy1"].ran:
        judged_run = runs["numpy1"]
        numpy1_judgement = _judge(function, battery, judged_run, child, timeout, prepared, False)
        ok = numpy1_judgement["passed"]
        because = "; ".join(reasons)
        if ok:
            detail = f"right under NumPy 1.x, breaks under NumPy 2 because {because}."
        else:
            detail = f"it breaks under NumPy 2 because {because}; run as under NumPy 1.x it is still wrong, as below."
        numpy2 = NumpyCheck(ok, reasons, detail)
    judgement = _judge(function, battery, judged_run, child, timeout, prepared, False)
    result = FunctionResult(function, judgement["passed"] and numpy2 is None, judgement["cases"], seconds=0.0)
    _apply(result, judgement)
    if numpy2 is not None and numpy2.right_under_numpy1:  # what fails is NumPy 2's doing: show those errors
        own_judgement = _judge(function, battery, own, child, timeout, prepared, False)
        result.failures, result.failure = own_judgement["failures"], own_judgement["failure"]
        result.cases, result.failing_kinds = own_judgement["cases"], own_judgement["failing_kinds"]
    result.numpy2 = numpy2
    result.layout = "cs231n" if function in CS231N_FUNCTIONS else "course"
    result.seconds = round(child.seconds, 3)
    result._runs = {"runs": runs, "child": child, "battery": battery, "judged": judged_run.name}

    if not result.failures and load_error is not None and not own.done:  # loaded in the probe, not here
        error = load_error["error"]
        result.failures = [
            Failure(
                None,
                None,
                "raised",
                f"the file could not be loaded: {error}",
                error=error,
                where=_where(load_error, prepared),
                hint=_hint(error),
            )
        ]
    if not result.failures and len(own.done) < len(battery):
        if child.timed_out:
            result.failures = [Failure(None, None, "timed out", f"{_timed_out(child, timeout)} while loading the file")]
        else:
            result.failures = [Failure(None, None, "crashed", _died(child))]
    if result.failures:
        result.failure = result.failures[0]
        result.passed = False
        if result.failure.hint and (
            numpy2 is None or numpy2.right_under_numpy1
        ):  # the set-up, not the maths: no verdict on the course
            result.course_check = None
    return result


def _apply(result: FunctionResult, judgement: dict) -> None:
    for key in ("cases", "failures", "failure", "failing_kinds", "pattern", "diagnosis", "course_check", "outputs"):
        setattr(result, key, judgement[key])


def _settle_helpers(results: list[FunctionResult], defines: list[str], prepared: Prepared | None, timeout: float):
    """Judge each function that calls course helpers on its own logic: with the reference helpers when one of the
    learner's helpers it calls is wrong or missing; say which helper is at fault."""
    by_name = {r.function: r for r in results}
    for r in results:
        helpers = HELPERS.get(r.function)
        if not helpers or not r._runs or "reference" not in r._runs["runs"]:
            continue
        runs, child, battery = r._runs["runs"], r._runs["child"], r._runs["battery"]
        own, reference = runs[r._runs["judged"]], runs["reference"]
        if not reference.ran:
            continue
        calls = [h for h in helpers if h in own.called or h in runs["own"].called]
        errors = " ".join(e or "" for _, e in runs["own"].results.values())
        missing = [h for h in helpers if h not in defines and f"name '{h}' is not defined" in errors]
        faulty = [h for h in calls if h in by_name and not by_name[h].passed]
        own_passed = r.passed
        if not missing and not faulty:
            if calls:
                named = _join([f"your {h}" for h in calls])
                r.helpers = HelperCheck(
                    calls,
                    "own",
                    own_passed,
                    [],
                    f"it calls {named}, which {'passes' if len(calls) == 1 else 'pass'}: judged with "
                    + ("it." if len(calls) == 1 else "them."),
                )
            continue
        judgement = _judge(r.function, battery, reference, child, timeout, prepared, True)
        _apply(r, judgement)
        r.passed = judgement["passed"]
        r.numpy2 = None
        at_fault = missing + faulty
        mine = _join(at_fault)
        if missing and not faulty:
            detail = (
                f"the file does not define {mine}, which {r.function} calls: judged with the reference {mine} "
                "in its place."
            )
        elif r.passed and not own_passed:
            detail = (
                f"with your own {mine} it fails; with the reference {mine} in its place it passes: the fault is "
                f"{mine}'s, not {r.function}'s."
            )
        elif r.passed:
            detail = f"it passes with your own {mine} and with the reference one."
        elif own_passed:
            detail = (
                f"with your own {mine} it passes, but with the reference {mine} it fails: {r.function} makes up "
                f"for a slip in your {mine}; fix the two together."
            )
        else:
            detail = (
                f"your {mine} fails on its own, so {r.function} was judged with the reference {mine} in its "
                f"place: what fails below is {r.function}'s own."
            )
        r.helpers = HelperCheck(calls or missing, "reference", own_passed, at_fault, detail)


# --- grading a file --------------------------------------------------------------------------------------


def _not_started(function: str, battery, budget_seconds: float) -> FunctionResult:
    """The verdict of a function whose child had no time left in the grading's budget."""
    message = (
        f"this grading's {budget_seconds:g} s (all the file's functions together, loading included) were used up "
        "before its turn; make the file quicker to load and the other functions quicker"
    )
    failure = Failure(None, None, "timed out", message)
    cases = [CaseResult(c.name, "not run", list(c.kinds)) for c in battery]
    layout = "cs231n" if function in CS231N_FUNCTIONS else "course"
    return FunctionResult(function, False, cases, failure, failures=[failure], layout=layout)


def _crashed(function: str, exc: Exception) -> FunctionResult:
    """The verdict of a function whose child left something the grader could not judge."""
    error = f"{type(exc).__name__}: {exc}"[:TEXT_CHARS]
    failure = Failure(
        None, None, "crashed", f"the grader could not read back what the process running it left ({error})"
    )
    layout = "cs231n" if function in CS231N_FUNCTIONS else "course"
    return FunctionResult(function, False, [], failure, failures=[failure], layout=layout)


def _not_parsing(function: str, message: str) -> FunctionResult:
    failure = Failure(None, None, "not parsing", f"does not parse: {message}", error=message)
    layout = "cs231n" if function in CS231N_FUNCTIONS else "course"
    return FunctionResult(function, False, [], failure, failures=[failure], layout=layout, not_parsing=message)


def grade(
    path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int | None = None,
    progress: Callable | None = None,
    sandboxed: bool = True,
) -> Report:
    """Check every graded function that the file at ``path`` (``.py`` or ``.ipynb``) defines: reads its bytes and
    calls :func:`grade_source` (see there, and the module docstring). ``sandboxed=False`` is ``--no-sandbox``."""
    memory_mb = memory_mb or sandbox.child_memory_mb()
    report = Report(os.fspath(path), False, None, [], timeout, memory_mb)
    if not os.path.isfile(path):  # not a folder, and not a FIFO that would block the read
        report.error = f"no such file: {path}"
        return report
    if os.path.getsize(path) > MAX_BYTES:
        report.error = f"the file is larger than {MAX_BYTES / 1e6:g} MB: save only the functions"
        return report
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        report.error = f"the file cannot be read: {exc.strerror or exc}"
        return report
    return grade_source(
        data, os.fspath(path), timeout=timeout, memory_mb=memory_mb, progress=progress, sandboxed=sandboxed
    )


def _stage(solution: Path, workdir: Path) -> str:
    """A child's scratch folder with the definitions to run copied in (the child can read nothing outside it)."""
    workdir.mkdir()
    return sandbox.stage(solution, workdir)


def grade_source(
    data: bytes,
    name: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int | None = None,
    progress: Callable | None = None,
    sandboxed: bool = True,
) -> Report:
    """Grade an upload, pasted code or a file's bytes: ``data`` is the file's bytes, ``name`` its name (``.ipynb``
    is read as a notebook). ``progress(function, result_or_None)`` is called as each function starts and ends.

    Each child gets ``timeout`` seconds, and all of them together :func:`grading_seconds`; ``memory_mb`` of address
    space each (default :func:`grader.sandbox.child_memory_mb`: what fits in the container). At most
    :func:`grader.sandbox.max_children` children run at once in this process, across all its gradings.

    The definitions :func:`grader.source.prepare` keeps are written to ``<scratch>/solution.py`` and staged (copied)
    into each child's own folder, where the sandboxed child reads them. Holds one of the server's grading slots
    (:func:`grader.sandbox.slot`, re-entrant for a thread that already holds one; :class:`grader.sandbox.Busy` if
    none frees up) and raises :class:`grader.sandbox.SandboxUnavailable` where the sandbox cannot be set up or the
    teacher turned grading off: nothing of the learner's runs then. ``sandboxed=False`` is the command line's
    ``--no-sandbox`` (a learner's own file on their own computer); nothing on the server passes it.
    """
    start = time.perf_counter()
    if sandboxed:  # the teacher's switch first, so that it is the answer whatever the file holds
        on, why = sandbox.enabled()
        if not on:
            raise sandbox.SandboxUnavailable(why)
    memory_mb = memory_mb or sandbox.child_memory_mb()
    budget = _Budget(grading_seconds(timeout))
    report = Report(name, False, None, [], timeout, memory_mb)
    try:
        prepared = prepare(data, name)
    except SourceError as exc:
        report.error = f"the file cannot be read: {exc}"
        return report
    report.kind, report.cells, report.skipped = prepared.kind, prepared.cells, prepared.skipped
    with sandbox.slot(), sandbox.scratch(prefix="grader-") as root:
        solution = root / "solution.py"  # the definitions of the learner's code; no child can read it here
        solution.write_text(prepared.source, encoding="utf-8")
        probe_dir = root / "probe"
        probe = _spawn("probe", _stage(solution, probe_dir), probe_dir, timeout, memory_mb, "", sandboxed, budget)
        loaded = next((e for e in probe.events if e.get("event") in ("loaded", "load_error")), None)
        if loaded is None:  # the learner's text (here the end of what it printed) is escaped: see grader.report
            why = f"{_timed_out(probe, timeout)} running its definitions" if probe.timed_out else _died(probe)
            report.error = f"the file cannot be loaded: {printable(why)}"
            return report
        if loaded["event"] == "load_error":
            report.error = f"the file cannot be loaded: {printable(loaded['error'])}"
            if loaded.get("where"):
                report.error += f" ({printable(prepared.relocate(loaded['where']))})"
            hint = _hint(loaded["error"])
            if hint:
                report.error += f"\n  hint: {hint}"
            return report
        report.loaded = True
        defines = [f for f in ALL_FUNCTIONS if f in loaded.get("defines", ())]
        broken = [f for f in ALL_FUNCTIONS if f in prepared.broken and f not in defines]
        if not defines and not broken:
            report.error = (
                f"the file defines none of the graded functions: the course's ({', '.join(COURSE_FUNCTIONS)}) "
                f"or cs231n's ({', '.join(CS231N_FUNCTIONS)})"
            )
            return report
        report.layouts = [
            layout
            for layout, names in (("course", COURSE_FUNCTIONS), ("cs231n", CS231N_FUNCTIONS))
            if any(f in names for f in defines + broken)
        ]
        for function in defines:  # build the battery (cached) before the threads share it
            mistakes.cases(function)
        staged = {function: _stage(solution, root / function) for function in defines}

        def one(function):
            if progress:
                progress(function, None)
            try:
                result = _grade_function(
                    function,
                    staged[function],
                    root / function,
                    timeout,
                    memory_mb,
                    prepared=prepared,
                    sandboxed=sandboxed,
                    budget=budget,
                )
            except (sandbox.SandboxUnavailable, sandbox.Busy):
                raise  # nothing ran, or nothing may: the whole grading says so
            except Exception as exc:  # noqa: BLE001 - what one child left must not sink the other functions' verdicts
                result = _crashed(function, exc)
            if progress:
                progress(function, result)
            return result

        workers = max(1, min(len(defines), sandbox.max_children()))  # the server-wide cap decides in the end
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, defines))
        results += [_not_parsing(f, prepared.broken[f]) for f in broken]
        _settle_helpers(results, defines, prepared, timeout)
        report.functions = sorted(results, key=lambda r: ALL_FUNCTIONS.index(r.function))
    report.seconds = time.perf_counter() - start
    return report


def format_report(report: Report) -> str:
    """The human-readable report (the page shows the same sentences): see :mod:`grader.report`."""
    from .report import report_text

    return report_text(report)


def main(argv: list[str] | None = None, prog: str = "python -m grader") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check your own implementation of the course's (or cs231n's) convolution and pooling "
        "functions against convcore, entry by entry.",
        epilog="Exit status: 0 all checked functions pass, 1 one fails, times out or works only under NumPy 1.x, "
        "2 the file cannot be read or loaded, defines none of the graded functions, or the sandbox is unavailable.",
    )
    parser.add_argument(
        "solution",
        help="a .py file or the course's notebook (.ipynb) defining some of: " + ", ".join(ALL_FUNCTIONS),
    )
    parser.add_argument("--json", action="store_true", help="print a machine-readable report (see the README)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit per function, loading the file included (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=None,
        metavar="MB",
        help=f"address-space limit of each child process (default {DEFAULT_MEMORY_MB}, less in a container whose "
        "memory limit would not hold it: GRADER_CHILD_MEMORY_MB)",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the file WITHOUT the sandbox (time and memory limits only): only for your own file on your "
        "own computer, where the kernel offers no Landlock or seccomp (e.g. macOS); never for someone else's code",
    )
    args = parser.parse_args(argv)
    if not args.timeout > 0:
        parser.error("--timeout must be a positive number of seconds")
    if args.memory is not None and args.memory < MIN_MEMORY_MB:
        parser.error(f"--memory must be at least {MIN_MEMORY_MB} MB (Python and NumPy need that much)")
    if args.no_sandbox:
        print(
            "WARNING: --no-sandbox: the file runs unconfined, with your rights. Only for your own code.",
            file=sys.stderr,
        )
    try:
        report = grade(args.solution, timeout=args.timeout, memory_mb=args.memory, sandboxed=not args.no_sandbox)
    except (sandbox.SandboxUnavailable, sandbox.Busy) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        report = Report(args.solution, False, reason, [], args.timeout, args.memory or sandbox.child_memory_mb())
    print(json.dumps(report.to_dict(), indent=2, allow_nan=False) if args.json else format_report(report))
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
