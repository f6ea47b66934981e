"""Grade a learner's own implementation of the course's functions, element by element.

Usage::

    python -m grader SOLUTION.py [--json] [--timeout SECONDS] [--memory MB] [--no-sandbox]
    python -m convcore.check SOLUTION.py ...      # the same, under the name the README has always given

The course's tests check little more than means (``assert np.isclose(np.mean(dA), 1.4524377)``), and on
the course's values a ``conv_backward`` that transposes the kernel, or uses the full-convolution form
without rotating it, has exactly the right means. This grader compares every entry instead.

- Each course function the file defines (:data:`grader.mistakes.COURSE_FUNCTIONS`) is checked against
  convcore on the battery of :func:`grader.mistakes.cases`: the course's values, pad 0, strides 2 and
  3, non-square inputs, one and several channels, ties in max pooling, hyper-parameters in either order.
- The learner's code runs only in child processes (:mod:`grader._runner`, started with
  ``python -I``), one per function, each in the sandbox of :mod:`grader.sandbox` (Landlock, seccomp-bpf,
  resource limits; the file is copied into the child's scratch folder), with a wall-clock time limit
  (``--timeout``, default 10 s, for loading the file and running every case of that function),
  ``RLIMIT_AS`` (``--memory``, default 1024 MB) and ``RLIMIT_CPU``; a child that runs out of time is
  killed, and the verdict says "timed out". Inputs go to the child as ``.npz`` and JSON; outputs come
  back as ``.npy`` read with ``allow_pickle=False``: nothing from the child is unpickled. Where the
  sandbox cannot be set up, nothing runs: :func:`grade` raises :class:`grader.sandbox.SandboxUnavailable`
  and the command line exits with status 2 and the reason (``--no-sandbox`` is for a learner's own
  file on their own computer only).
- One line per function, PASS or FAIL; a failure names the case, the first differing index, expected
  and got, the catalogued mistake the output matches if any ("this is what happens when ..."), and
  whether a mean-only check on the course's values would have caught it.

Exit status: 0 if every checked function passes; 1 if one fails or times out; 2 if the file cannot be
loaded or defines none of the course's functions, or the sandbox is unavailable.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import stat
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import mistakes, sandbox
from ._runner import COURSE_FUNCTIONS, OUTPUT_NAMES, encode

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_MEMORY_MB",
    "Failure",
    "Diagnosis",
    "CourseCheck",
    "CaseResult",
    "FunctionResult",
    "Report",
    "grade",
    "format_report",
    "main",
]

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 1024
MIN_MEMORY_MB = 256  # Python and NumPy need this much address space before the learner's code runs
MAX_SOLUTION_BYTES = 2 * 1024 * 1024  # a course notebook's functions are a few kB; the file is copied per child
RUNNER = Path(__file__).with_name("_runner.py")
_BAD_OUTPUT = "bad output: "

_HINTS = (
    (
        "only 0-dimensional arrays can be converted to Python scalars",
        "NumPy 2.4 and later refuse float() of an array with dimensions, such as the (1, 1, 1) bias b "
        "(the course's notebook ran an older NumPy, where it was only a warning): write b.item() or "
        "float(b[0, 0, 0]) instead of float(b).",
    ),
    (
        "No module named",
        "the grader runs the file on its own, as a script: import only numpy (and what is installed), "
        "or keep the course's helper modules (public_tests.py, ...) in the same folder as the file.",
    ),
)


@dataclass
class Failure:
    """The first failing case of a function.

    ``kind``: ``"values"`` (same shape, different entries), ``"shape"``, ``"raised"``, ``"bad output"``
    (not what the course's function returns), ``"timed out"`` or ``"crashed"`` (the child died).
    """

    case: str | None
    label: str | None
    kind: str
    message: str
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
    """A catalogued mistake whose output on the failing case matches the learner's (``outputs``: which ones)."""

    key: str
    title: str
    when: str
    explanation: str
    outputs: list[str]


@dataclass
class CourseCheck:
    """Would a mean-only check on the course's values (shapes and ``np.isclose`` means) have caught it?"""

    caught: bool
    detail: str


@dataclass
class CaseResult:
    case: str
    status: str  # "pass" | "fail" | "error" | "timed out" | "crashed" | "not run"


@dataclass
class FunctionResult:
    function: str
    passed: bool
    cases: list[CaseResult]
    failure: Failure | None = None
    diagnosis: list[Diagnosis] = field(default_factory=list)
    course_check: CourseCheck | None = None
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


@dataclass
class Report:
    file: str
    loaded: bool
    error: str | None
    functions: list[FunctionResult]
    timeout: float
    memory_mb: int

    @property
    def exit_status(self) -> int:
        if not self.loaded or not self.functions:
            return 2
        return 0 if all(f.passed for f in self.functions) else 1

    def to_dict(self) -> dict:
        """The ``--json`` report."""
        return {
            "file": self.file,
            "loaded": self.loaded,
            "error": self.error,
            "exit_status": self.exit_status,
            "timeout": self.timeout,
            "memory_mb": self.memory_mb,
            "functions": [
                _json_safe({"function": f.function, "verdict": f.verdict, **asdict(f)}) for f in self.functions
            ],
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


# --- child processes -------------------------------------------------------------------------------------


@dataclass
class _Child:
    events: list[dict]
    timed_out: bool
    returncode: int | None
    stderr_tail: str
    seconds: float


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
) -> _Child:
    """Run the runner on ``solution`` (copied into ``workdir``) in the sandbox; SandboxUnavailable if it cannot."""
    cpu_seconds = int(math.ceil(timeout)) + 1  # backstop: the wall-clock limit below normally ends it first
    staged = sandbox.stage(solution, workdir)
    cmd = [sys.executable, "-I", str(RUNNER), mode, staged, str(workdir), str(memory_mb), str(cpu_seconds)]
    if function:
        cmd.append(function)
    limits = sandbox.Limits(wall_seconds=timeout, cpu_seconds=cpu_seconds, memory_mb=memory_mb)
    launch = sandbox.run if sandboxed else sandbox.run_unsandboxed
    done = launch(cmd, workdir=workdir, limits=limits, env=_child_env())
    events = []
    for line in _read_child_file(workdir / "events.jsonl", limits.file_bytes).splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by the kill
            break
    stderr, returncode = done.stderr_tail[-2000:].strip(), done.returncode
    if done.killed_by in ("output limit", "disk limit"):  # killed by the sandbox: say why, as a signal would
        what = f"{limits.output_bytes // 1024} kB of output" if done.killed_by == "output limit" else "its disk space"
        stderr += f"\nthe sandbox stopped it: it used more than {what}"
        returncode = -signal.SIGKILL
    return _Child(events, done.timed_out, returncode, stderr.strip(), done.seconds)


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
        for needle, hint in _HINTS:
            if needle in text:
                return hint
    return None


# --- grading one function --------------------------------------------------------------------------------


def _same_error(a: str | None, b: str | None) -> bool:
    """The same exception and message; a bare type (``"AssertionError"``) says too little to name a mistake."""
    return a is not None and b is not None and ": " in a and a.strip() == b.strip()


def _diagnose(function: str, case: mistakes.Case, got, error: str | None) -> list[Diagnosis]:
    """The catalogued mistakes that produce the learner's result on ``case``: the same exception, or,
    output by output, the same wrong values (a learner with two slips gets both named)."""
    expected = mistakes.reference_outputs(case)
    names = OUTPUT_NAMES[function]
    wrong = set()
    if got is not None:
        wrong = {d.output for d in mistakes.compare(function, expected, got)}
    found = []
    for m in mistakes.mistakes_for(function):
        matched: list[str] = []
        for impl in m.implementations(function):
            m_got, m_error = mistakes.run(function, impl, case)
            if error is not None:
                if _same_error(error, m_error):
                    matched = ["raises the same error"]
                    break
            elif m_got is not None:
                same = [n for n, g, mg in zip(names, got, m_got, strict=True) if n in wrong and mistakes.agree(mg, g)]
                if len(same) > len(matched):
                    matched = same
        if matched:
            found.append(Diagnosis(m.key, m.title, m.when, m.explanation, matched))
    found.sort(key=lambda d: -len(d.outputs))
    return found


def _course_check(function: str, battery, results: dict) -> CourseCheck | None:
    """What a mean-only check (shapes, then ``np.isclose`` means) would say on the course's values."""
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
        output=d.output,
        index=list(d.index),
        expected=d.expected_value,
        got=d.got_value,
        max_abs_diff=d.max_abs_diff,
        expected_shape=list(d.expected_shape),
        got_shape=list(d.got_shape),
    )


def _read_outputs(workdir: Path, k: int, count: int) -> tuple[np.ndarray, ...] | None:
    try:
        return tuple(np.load(workdir / f"out_{k}_{j}.npy", allow_pickle=False) for j in range(count))
    except (OSError, ValueError):
        return None


def _grade_function(
    function: str, solution: str, workdir: Path, timeout: float, memory_mb: int, sandboxed: bool = True
) -> FunctionResult:
    battery = mistakes.cases(function)
    workdir.mkdir()
    arrays: dict = {}
    spec = {"cases": [{"name": c.name, "args": [encode(a, arrays) for a in c.args]} for c in battery]}
    (workdir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    np.savez(workdir / "inputs.npz", **arrays)

    child = _spawn("run", solution, workdir, timeout, memory_mb, function, sandboxed)
    done = {e["case"]: e for e in child.events if e.get("event") == "done"}
    started = [e["case"] for e in child.events if e.get("event") == "start"]
    load_error = next((e for e in child.events if e.get("event") == "load_error"), None)

    results: dict[int, tuple] = {}  # case index -> (outputs or None, error or None)
    statuses: list[CaseResult] = []
    failure: Failure | None = None
    failing = None  # (case, got, error) of the first failure, for the diagnosis
    for k, c in enumerate(battery):
        event = done.get(k)
        if event is None:
            running = bool(started) and started[-1] == k  # the case the child was in when it stopped
            status = ("timed out" if child.timed_out else "crashed") if running else "not run"
            if failure is None and status != "not run":
                message = f"timed out after {timeout:g} s" if child.timed_out else _died(child)
                failure = Failure(c.name, c.label, status, message)
            statuses.append(CaseResult(c.name, status))
            continue
        if event["status"] == "ok":
            got = _read_outputs(workdir, k, len(OUTPUT_NAMES[function]))
            if got is None:  # only if something other than the runner wrote in the child's folder
                statuses.append(CaseResult(c.name, "crashed"))
                failure = failure or Failure(c.name, c.label, "crashed", "its outputs could not be read back")
                continue
            results[k] = (got, None)
            differences = mistakes.compare(function, mistakes.reference_outputs(c), got)
            statuses.append(CaseResult(c.name, "fail" if differences else "pass"))
            if differences and failure is None:
                failure = _values_failure(c, differences[0])
                failing = (c, got, None)
        else:
            bad = event["status"] == "bad_output"
            results[k] = (None, _BAD_OUTPUT + event["error"] if bad else event["error"])
            statuses.append(CaseResult(c.name, "error"))
            if failure is None:
                kind = "bad output" if event["status"] == "bad_output" else "raised"
                message = event["error"] if kind == "bad output" else f"raised {event['error']}"
                if event.get("where"):
                    message += f" ({event['where']})"
                failure = Failure(
                    c.name,
                    c.label,
                    kind,
                    message,
                    error=event["error"],
                    where=event.get("where"),
                    hint=_hint(event["error"]),
                )
                if kind == "raised":
                    failing = (c, None, event["error"])

    if failure is None and load_error is not None:  # the file loaded in the probe but not here
        failure = Failure(
            None,
            None,
            "raised",
            f"the file could not be loaded: {load_error['error']}",
            error=load_error["error"],
            where=load_error.get("where"),
            hint=_hint(load_error["error"]),
        )
    if failure is None and len(done) < len(battery):
        if child.timed_out:
            failure = Failure(None, None, "timed out", f"timed out after {timeout:g} s while loading the file")
        else:
            failure = Failure(None, None, "crashed", _died(child))

    result = FunctionResult(function, failure is None, statuses, failure, seconds=round(child.seconds, 3))
    if failure is not None:
        if failing is not None:
            result.diagnosis = _diagnose(function, *failing)
        if failure.hint is None:  # a hint means NumPy or the set-up, not the maths: no verdict on the course
            result.course_check = _course_check(function, battery, results)
    return result


# --- grading a file --------------------------------------------------------------------------------------


def grade(
    path, *, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB, sandboxed: bool = True
) -> Report:
    """Check every course function that the file at ``path`` defines; see the module docstring.

    Takes one of the server's grading slots (:func:`grader.sandbox.slot`; :class:`grader.sandbox.Busy`
    if none frees up) and raises :class:`grader.sandbox.SandboxUnavailable` where the sandbox cannot be
    set up or the teacher turned grading off. ``sandboxed=False`` is ``--no-sandbox``: never on a server.
    """
    solution = os.path.realpath(os.fspath(path))
    report = Report(os.fspath(path), False, None, [], timeout, memory_mb)
    if not os.path.isfile(solution):
        report.error = f"no such file: {path}"
        return report
    if os.path.getsize(solution) > MAX_SOLUTION_BYTES:
        report.error = f"the file is larger than {MAX_SOLUTION_BYTES // (1024 * 1024)} MB: save only the functions"
        return report
    with sandbox.slot(), tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        root = Path(tmp)
        probe_dir = root / "probe"
        probe_dir.mkdir()
        probe = _spawn("probe", solution, probe_dir, timeout, memory_mb, "", sandboxed)
        loaded = next((e for e in probe.events if e.get("event") in ("loaded", "load_error")), None)
        if loaded is None:
            why = f"timed out after {timeout:g} s running its top-level code" if probe.timed_out else _died(probe)
            report.error = f"the file cannot be loaded: {why}"
            return report
        if loaded["event"] == "load_error":
            report.error = f"the file cannot be loaded: {loaded['error']}"
            if loaded.get("where"):
                report.error += f" ({loaded['where']})"
            hint = _hint(loaded["error"])
            if hint:
                report.error += f"\n  hint: {hint}"
            return report
        report.loaded = True
        defines = [name for name in COURSE_FUNCTIONS if name in loaded["defines"]]
        if not defines:
            report.error = f"the file defines none of the course's functions ({', '.join(COURSE_FUNCTIONS)})"
            return report
        for function in defines:  # build the battery (cached) before the threads share it
            mistakes.cases(function)
        workers = min(len(defines), max(2, os.cpu_count() or 2))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_grade_function, f, solution, root / f, timeout, memory_mb, sandboxed) for f in defines
            ]
            report.functions = [future.result() for future in futures]
    return report


def format_report(report: Report) -> str:
    """The human-readable report: one line per function, then the details of each failure."""
    lines = [f"grader {report.file}"]
    if report.error:
        lines.append(f"ERROR {report.error}")
        return "\n".join(lines)
    width = max(len(f.function) for f in report.functions)
    wrap = textwrap.TextWrapper(width=110, initial_indent="    ", subsequent_indent="      ")
    for f in report.functions:
        if f.passed:
            lines.append(f"{f.function:<{width}}  PASS  {len(f.cases)} cases")
            continue
        fail = f.failure
        at = f"case '{fail.case}': " if fail.case else ""
        lines.append(f"{f.function:<{width}}  FAIL  {at}{fail.message}")
        if fail.label:
            lines.append(f"    the case: {fail.label}")
        if fail.hint:
            lines.extend(wrap.wrap(f"hint: {fail.hint}"))
        several = len(OUTPUT_NAMES[f.function]) > 1
        for d in f.diagnosis:
            to = f" to {_join(d.outputs)}" if several and d.outputs != ["raises the same error"] else ""
            lines.extend(wrap.wrap(f"this is what happens{to} when {d.when} [{d.key}]."))
            lines.extend(wrap.wrap(f"why: {d.explanation}"))
        if f.course_check is not None:
            lines.extend(wrap.wrap(f.course_check.detail))
    failed = sum(not f.passed for f in report.functions)
    total = len(report.functions)
    lines.append(f"{total - failed} of {total} functions pass" + (f", {failed} fail." if failed else "."))
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "python -m grader") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check your own implementation of the course's convolution and pooling functions "
        "against convcore, entry by entry.",
        epilog="Exit status: 0 all checked functions pass, 1 one fails or times out, "
        "2 the file cannot be loaded or defines none of the course's functions, or the sandbox is unavailable.",
    )
    parser.add_argument("solution", help="a .py file defining some of: " + ", ".join(COURSE_FUNCTIONS))
    parser.add_argument("--json", action="store_true", help="print a machine-readable report")
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
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help=f"address-space limit of each child process (default {DEFAULT_MEMORY_MB})",
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
    if args.memory < MIN_MEMORY_MB:
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
        report = Report(args.solution, False, reason, [], args.timeout, args.memory)
    print(json.dumps(report.to_dict(), indent=2, allow_nan=False) if args.json else format_report(report))
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
