"""The grader's child process: load a learner's file and call one course function on a batch of cases.

Started only by :mod:`grader.check`, as a script in isolated mode (``python -I .../_runner.py``) so that
the learner's code never runs in the grader's process, nothing of the grader is imported next to it (the
standard library and NumPy only), and a hang or a crash ends one child, not the grader. It is started
through :func:`grader.sandbox.run`: after importing NumPy and before loading the learner's file, :func:`main`
locks the process down (:mod:`grader._lockdown`: resource limits, Landlock, seccomp-bpf), and refuses to run
at all when the sandbox's settings are missing. The learner's file has been copied into WORKDIR's
``solution/`` folder by the grader: the child may read nothing outside WORKDIR but Python and NumPy.

Protocol (all files in WORKDIR, which the grader creates and removes)::

    _runner.py probe SOLUTION WORKDIR MEMORY_MB CPU_SECONDS
    _runner.py run   SOLUTION WORKDIR MEMORY_MB CPU_SECONDS FUNCTION

- ``probe`` loads the file and appends ``{"event": "loaded", "defines": [...]}`` (or ``"load_error"``) to
  ``events.jsonl``.
- ``run`` reads ``spec.json`` (``{"cases": [{"name", "args"}]}``, arguments encoded by :func:`encode`) and
  ``inputs.npz``; after loading it appends ``{"event": "start", "case": k}`` before case ``k`` and
  ``{"event": "done", "case": k, "status": "ok" | "error" | "bad_output", ...}`` after it, and saves the
  outputs of case ``k`` as ``out_<k>_<j>.npy`` with ``allow_pickle=False``. The grader reads them back with
  ``np.load(..., allow_pickle=False)``: nothing the learner's code produced is ever unpickled.

The helpers shared with the grader (:data:`COURSE_FUNCTIONS`, :data:`OUTPUT_NAMES`, :func:`split_result`,
:func:`encode`, :func:`decode`) live here so that both sides agree on them and this file stays importable
without the rest of the package.
"""

from __future__ import annotations

import builtins
import importlib.util
import json
import os
import resource
import sys
import time
import traceback
import warnings

import numpy as np

__all__ = ["COURSE_FUNCTIONS", "OUTPUT_NAMES", "BadOutput", "split_result", "error_text", "encode", "decode"]

#: The course's graded functions, in the notebook's order.
COURSE_FUNCTIONS = (
    "zero_pad",
    "conv_single_step",
    "conv_forward",
    "conv_backward",
    "create_mask_from_window",
    "distribute_value",
    "pool_forward",
    "pool_backward",
)

#: What each function returns that is compared (the caches of the forward passes are not).
OUTPUT_NAMES = {
    "zero_pad": ("X_pad",),
    "conv_single_step": ("Z",),
    "conv_forward": ("Z",),
    "conv_backward": ("dA_prev", "dW", "db"),
    "create_mask_from_window": ("mask",),
    "distribute_value": ("a",),
    "pool_forward": ("A",),
    "pool_backward": ("dA_prev",),
}

_RETURNS = {
    "conv_forward": "(Z, cache)",
    "pool_forward": "(A, cache)",
    "conv_backward": "(dA_prev, dW, db)",
}


class BadOutput(Exception):
    """The function returned something that is not what the course's function returns."""


def _as_numbers(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - any failure means "not an array of numbers"
        raise BadOutput(f"{name} is a {type(value).__name__} that NumPy cannot read as numbers ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise BadOutput(f"{name} is a {type(value).__name__} of {arr.dtype}, not an array of numbers")
    return arr


def error_text(exc: BaseException) -> str:
    """``"Type: message"``, the form in which errors are reported and compared (the grader matches a
    learner's error against a catalogued mistake's by this text)."""
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def split_result(function: str, result) -> tuple[np.ndarray, ...]:
    """The compared outputs of ``function``'s return value, as arrays (see :data:`OUTPUT_NAMES`).

    ``conv_forward`` and ``pool_forward`` return ``(output, cache)``: only the output is compared.
    Raises :class:`BadOutput` when the value has the wrong structure or holds no numbers.
    """
    names = OUTPUT_NAMES[function]
    if function in ("conv_forward", "pool_forward"):
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise BadOutput(f"returned a {type(result).__name__}; the course's {function} returns {_RETURNS[function]}")
        result = (result[0],)
    elif function == "conv_backward":
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise BadOutput(f"returned a {type(result).__name__}; the course's {function} returns {_RETURNS[function]}")
    else:
        result = (result,)
    return tuple(_as_numbers(name, value) for name, value in zip(names, result, strict=True))


def encode(obj, arrays: dict):
    """JSON-able form of a call's arguments; arrays go into ``arrays`` (saved as ``inputs.npz``).

    Dicts keep their key order (a learner who reads ``hparameters`` by position depends on it).
    """
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"array": key}
    if isinstance(obj, tuple):
        return {"tuple": [encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return {"list": [encode(v, arrays) for v in obj]}
    if isinstance(obj, dict):
        return {"dict": [[str(k), encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"cannot encode {type(obj).__name__}")


def decode(node, arrays):
    """Inverse of :func:`encode`; ``arrays[key]`` must give a fresh array each time (an ``NpzFile`` does)."""
    ((kind, value),) = node.items()
    if kind == "array":
        return np.array(arrays[value])
    if kind == "tuple":
        return tuple(decode(v, arrays) for v in value)
    if kind == "list":
        return [decode(v, arrays) for v in value]
    if kind == "dict":
        return {k: decode(v, arrays) for k, v in value}
    return value


# --- the child's side ------------------------------------------------------------------------------------


class _NoIPython:
    """Stands in for ``get_ipython()`` so that a notebook exported as a script (``%matplotlib inline``
    becomes ``get_ipython().run_line_magic(...)``) still loads: every magic does nothing."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    """Only ``RLIMIT_AS`` and ``RLIMIT_CPU``: for ``python -m grader --no-sandbox`` (a learner's own computer)."""
    for which, value in ((resource.RLIMIT_AS, memory_mb * 1024 * 1024), (resource.RLIMIT_CPU, cpu_seconds)):
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard))


def _lock_down(memory_mb: int, cpu_seconds: int) -> None:
    """Enter the sandbox (:mod:`grader._lockdown`) before anything of the learner's runs, or exit."""
    raw = os.environ.pop("GRADER_SANDBOX", None)
    if raw is None:
        sys.stderr.write("refusing to run: started without the sandbox's settings (use grader.sandbox.run)\n")
        os._exit(70)
    config = json.loads(raw)
    if config.get("off"):
        _limit(memory_mb, cpu_seconds)
        return
    path = os.path.join(os.path.dirname(os.path.realpath(__file__)), "_lockdown.py")
    spec = importlib.util.spec_from_file_location("grader_lockdown", path)
    lockdown = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lockdown)
    lockdown.enter_or_exit(config)


def _describe(exc: BaseException, solution: str) -> dict:
    """``{"error": "Type: message", "where": "line N in f: code"}`` (the deepest frame in the learner's file)."""
    if isinstance(exc, SystemExit):
        error = f"SystemExit: the code called exit({exc.code!r})"
    else:
        error = error_text(exc)
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(frame.filename) == solution:
            where = f"line {frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        where = f"line {exc.lineno}: {(exc.text or '').strip()}"
    return {"error": error, "where": where}


class _Events:
    def __init__(self, workdir: str):
        self._path = os.path.join(workdir, "events.jsonl")

    def __call__(self, **event) -> None:
        with open(self._path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")


def _load(solution: str, events: _Events):
    sys.dont_write_bytecode = True  # no __pycache__ next to the learner's file
    sys.path.insert(0, os.path.dirname(solution))  # `from public_tests import *` works if the file is there
    builtins.get_ipython = lambda: _NoIPython()
    spec = importlib.util.spec_from_file_location("learner_solution", solution)
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_solution"] = module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - the learner's top-level code may raise anything
        events(event="load_error", **_describe(exc, solution))
        return None
    defines = [name for name in COURSE_FUNCTIONS if callable(getattr(module, name, None))]
    events(event="loaded", defines=defines)
    return module


def _run(module, function: str, workdir: str, solution: str, memory_mb: int, events: _Events) -> None:
    with open(os.path.join(workdir, "spec.json"), encoding="utf-8") as fh:
        spec = json.load(fh)
    func = getattr(module, function)
    with np.load(os.path.join(workdir, "inputs.npz"), allow_pickle=False) as arrays:
        for k, case in enumerate(spec["cases"]):
            args = decode({"tuple": case["args"]}, arrays)
            events(event="start", case=k)
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    outputs = split_result(function, func(*args))
            except BadOutput as exc:
                events(event="done", case=k, status="bad_output", error=str(exc), where=None)
                continue
            except MemoryError as exc:
                info = _describe(exc, solution)
                info["error"] = f"MemoryError: ran out of memory (the limit is {memory_mb} MB): {exc}".rstrip(": ")
                events(event="done", case=k, status="error", **info)
                continue
            except BaseException as exc:  # noqa: BLE001 - report whatever the learner's code raised
                events(event="done", case=k, status="error", **_describe(exc, solution))
                continue
            seconds = time.perf_counter() - start
            for j, out in enumerate(outputs):
                np.save(os.path.join(workdir, f"out_{k}_{j}.npy"), out, allow_pickle=False)
            events(event="done", case=k, status="ok", outputs=len(outputs), seconds=seconds)


def main(argv: list[str]) -> int:
    mode, solution, workdir, memory_mb, cpu_seconds = argv[:5]
    memory_mb, cpu_seconds = int(memory_mb), int(cpu_seconds)
    _lock_down(memory_mb, cpu_seconds)
    solution = os.path.realpath(solution)
    events = _Events(workdir)
    module = _load(solution, events)
    if module is None or mode == "probe":
        return 0
    _run(module, argv[5], workdir, solution, memory_mb, events)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
