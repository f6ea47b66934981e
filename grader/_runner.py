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
- ``run`` reads ``spec.json`` (``{"cases": [{"name", "args"}], "passes": [...]}``, arguments encoded by
  :func:`encode`) and ``inputs.npz``, and runs every case once per pass: ``{"name": "own"}`` (the learner's own
  helpers), ``{"name": "reference", "helpers": {name: source}}`` (the grader's right helpers, whose source
  travels inside ``spec.json``, in place of the learner's) and ``{"name": "numpy1", "numpy1": true,
  "if_errors": true}`` (NumPy as 1.x behaved, emulated here by :class:`_Numpy1`; run only if a case raised).
  After loading it appends ``{"event": "start", "case": k, "pass": p}`` before case ``k`` and ``{"event":
  "done", "case": k, "pass": p, "status": "ok" | "error" | "bad_output", ...}`` after it, and saves the outputs
  of case ``k`` as ``out_<p>_<k>_<j>.npy`` with ``allow_pickle=False``. Every string in an event is cut to
  :data:`TEXT_CHARS` JSON characters. The grader reads them back without believing them (a header must match its
  file's size; nothing is unpickled; at most 256 kB of events, lines over 8 kB skipped) and keeps only events of
  the form written here: the learner's code shares the folder and may write there too.

Everything a pass needs is in this file, the standard library, NumPy and WORKDIR: the sandbox lets the child
read nothing else.

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

__all__ = [
    "COURSE_FUNCTIONS",
    "CS231N_FUNCTIONS",
    "ALL_FUNCTIONS",
    "OUTPUT_NAMES",
    "NUMPY1_ALIASES",
    "TEXT_CHARS",
    "BadOutput",
    "split_result",
    "error_text",
    "encode",
    "decode",
]

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

#: Stanford cs231n's naive layers (NCHW: x (N, C, H, W), w (F, C, HH, WW), b (F,)), graded the same way.
CS231N_FUNCTIONS = (
    "conv_forward_naive",
    "conv_backward_naive",
    "max_pool_forward_naive",
    "max_pool_backward_naive",
)

ALL_FUNCTIONS = COURSE_FUNCTIONS + CS231N_FUNCTIONS

#: The longest string (an error, the line it came from) the runner writes in an event, in JSON characters.
TEXT_CHARS = 1000

#: What each function returns that is compared (the caches of the forward passes are not).
OUTPUT_NAMES = {
    "conv_forward_naive": ("out",),
    "conv_backward_naive": ("dx", "dw", "db"),
    "max_pool_forward_naive": ("out",),
    "max_pool_backward_naive": ("dx",),
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
    "conv_forward_naive": "(out, cache)",
    "max_pool_forward_naive": "(out, cache)",
    "conv_backward_naive": "(dx, dw, db)",
}
_FORWARD = ("conv_forward", "pool_forward", "conv_forward_naive", "max_pool_forward_naive")
_THREE = ("conv_backward", "conv_backward_naive")

#: Names NumPy 2 no longer has (most were removed in 1.24 or 2.0), and what NumPy 1.x meant by them.
NUMPY1_ALIASES = {
    "float": float,
    "int": int,
    "bool": bool,
    "object": object,
    "complex": complex,
    "str": str,
    "long": int,
    "unicode": str,
    "float_": np.float64,
    "complex_": np.complex128,
    "int0": np.intp,
    "bool8": np.bool_,
    "NaN": np.nan,
    "NAN": np.nan,
    "Inf": np.inf,
    "Infinity": np.inf,
    "infty": np.inf,
    "PINF": np.inf,
    "NINF": -np.inf,
    "product": np.prod,
    "cumproduct": np.cumprod,
    "alltrue": np.all,
    "sometrue": np.any,
    "asscalar": lambda a: np.asarray(a).item(),
}


def _owner(function: str) -> str:
    return "cs231n's" if function in CS231N_FUNCTIONS else "the course's"


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
    if function in _FORWARD:
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise BadOutput(
                f"returned a {type(result).__name__}; {_owner(function)} {function} returns {_RETURNS[function]}"
            )
        result = (result[0],)
    elif function in _THREE:
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise BadOutput(
                f"returned a {type(result).__name__}; {_owner(function)} {function} returns {_RETURNS[function]}"
            )
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


def _short(text: str) -> str:
    """``text`` cut so that its JSON form takes at most :data:`TEXT_CHARS` characters: the grader skips longer lines."""
    if len(json.dumps(text)) <= TEXT_CHARS:
        return text
    text = text[:TEXT_CHARS]
    while len(json.dumps(text + " ...")) > TEXT_CHARS:
        text = text[: len(text) * 3 // 4]
    return text + " ..."


class _Events:
    def __init__(self, workdir: str):
        self._path = os.path.join(workdir, "events.jsonl")
        self.errors = 0

    def __call__(self, **event) -> None:
        if event.get("status") in ("error", "bad_output"):
            self.errors += 1
        event = {k: _short(v) if isinstance(v, str) else v for k, v in event.items()}
        with open(self._path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")

    @staticmethod
    def count_errors(events) -> int:
        return getattr(events, "errors", 0)


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
    defines = [name for name in ALL_FUNCTIONS if callable(getattr(module, name, None))]
    events(event="loaded", defines=defines)
    return module


class _Recorder:
    """Which course helpers a function called, during one pass."""

    def __init__(self):
        self.called: set[str] = set()

    def wrap(self, name: str, func):
        def recorded(*args, **kwargs):
            self.called.add(name)
            return func(*args, **kwargs)

        recorded.__name__ = name
        return recorded


class _Numpy1:
    """NumPy as the course's notebook ran it (1.x), for the pass that judges the logic under a NumPy 2 error.

    Stands in for the module ``np`` in the learner's file: every NumPy function works as it is, arrays it returns
    are :class:`_Numpy1Array` (which take ``float()`` of a one-element array, and store a one-element array into
    one entry, as NumPy 1.x did), and the names NumPy 2 removed (``np.float``, ``np.int``, ...) are back.
    ``used`` collects what the learner's code needed of this.
    """

    def __init__(self, used: set):
        self._used = used
        self._cache: dict = {}

    def __getattr__(self, name):
        if name in self._cache:
            return self._cache[name]
        if name in NUMPY1_ALIASES and not hasattr(np, name):
            self._used.add(f"np.{name}")
            value = NUMPY1_ALIASES[name]
        else:
            value = getattr(np, name)
        if callable(value) and not isinstance(value, type):
            value = _wrap_numpy1(value)
        self._cache[name] = value
        return value


def _numpy1(value):
    if type(value) is np.ndarray:
        return value.view(_Numpy1Array)
    if isinstance(value, tuple):
        return tuple(_numpy1(v) for v in value)
    return value


def _wrap_numpy1(func):
    def wrapped(*args, **kwargs):
        return _numpy1(func(*args, **kwargs))

    return wrapped


_NUMPY1_USED: set = set()


class _Numpy1Array(np.ndarray):
    """An array that behaves as NumPy 1.x did where NumPy 2 raises (see :class:`_Numpy1`)."""

    def __float__(self):
        if self.ndim > 0 and self.size == 1:
            _NUMPY1_USED.add("float() of an array with dimensions")
            return float(self.reshape(-1)[0])
        return np.ndarray.__float__(self)

    def __int__(self):
        if self.ndim > 0 and self.size == 1:
            _NUMPY1_USED.add("int() of an array with dimensions")
            return int(self.reshape(-1)[0])
        return np.ndarray.__int__(self)

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray) and value.ndim > 0 and value.size == 1:
            try:
                one_entry = np.ndim(np.ndarray.__getitem__(self, key)) == 0
            except Exception:  # noqa: BLE001 - let the store itself raise the learner's error
                one_entry = False
            if one_entry:
                _NUMPY1_USED.add("storing a one-element array into one entry")
                value = value.reshape(())
        np.ndarray.__setitem__(self, key, value)


def _run_pass(module, function, cases, arrays, p: int, spec_pass: dict, solution, memory_mb, events, workdir):
    """One pass over every case: the learner's own helpers, or the reference helpers, or NumPy 1.x."""
    names = [h for h in ALL_FUNCTIONS if h != function]
    saved = {h: module.__dict__[h] for h in names if h in module.__dict__}
    saved_np = {k: v for k, v in module.__dict__.items() if v is np}
    recorder = _Recorder()
    helpers = {}
    for name, source in spec_pass.get("helpers", {}).items():
        scope = {"np": np, "__name__": "reference_helpers"}
        exec(compile(source, f"<the reference {name}>", "exec"), scope)  # the grader's own code, from spec.json
        helpers[name] = scope[name]
    numpy1 = bool(spec_pass.get("numpy1"))
    _NUMPY1_USED.clear()
    used: set = _NUMPY1_USED
    try:
        for name in names:
            target = helpers.get(name, saved.get(name))
            if target is not None:
                module.__dict__[name] = recorder.wrap(name, target)
        if numpy1:
            for alias in saved_np:
                module.__dict__[alias] = _Numpy1(used)
        func = saved.get(function) or getattr(module, function)
        for k, case in enumerate(cases):
            args = decode({"tuple": case["args"]}, arrays)
            if numpy1:
                args = tuple(_numpy1(a) for a in args)
            events(event="start", case=k, **{"pass": p})
            recorder.called.clear()
            start = time.perf_counter()
            np.random.seed(1)  # a function that draws random numbers draws the same ones as the catalogue's code
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    outputs = split_result(function, func(*args))
            except BadOutput as exc:
                events(event="done", case=k, status="bad_output", error=str(exc), where=None, **{"pass": p})
                continue
            except MemoryError as exc:
                info = _describe(exc, solution)
                info["error"] = f"MemoryError: ran out of memory (the limit is {memory_mb} MB): {exc}".rstrip(": ")
                events(event="done", case=k, status="error", called=sorted(recorder.called), **info, **{"pass": p})
                continue
            except BaseException as exc:  # noqa: BLE001 - report whatever the learner's code raised
                info = _describe(exc, solution)
                events(event="done", case=k, status="error", called=sorted(recorder.called), **info, **{"pass": p})
                continue
            seconds = time.perf_counter() - start
            for j, out in enumerate(outputs):
                np.save(os.path.join(workdir, f"out_{p}_{k}_{j}.npy"), np.asarray(out), allow_pickle=False)
            events(
                event="done",
                case=k,
                status="ok",
                outputs=len(outputs),
                seconds=seconds,
                called=sorted(recorder.called),
                **{"pass": p},
            )
    finally:
        for name in names:
            if name in saved:
                module.__dict__[name] = saved[name]
            else:
                module.__dict__.pop(name, None)
        module.__dict__.update(saved_np)
    if numpy1:
        events(event="numpy1", used=sorted(used), **{"pass": p})


def _run(module, function: str, workdir: str, solution: str, memory_mb: int, events: _Events) -> None:
    """Run ``function`` on every case of ``spec.json``, once per pass (``spec["passes"]``, default one pass with
    the learner's own helpers). Pass ``k`` writes ``out_<k>_<case>_<j>.npy``; events carry ``"pass": k``. A pass
    marked ``"if_errors": true`` runs only if an earlier pass had a case that raised."""
    with open(os.path.join(workdir, "spec.json"), encoding="utf-8") as fh:
        spec = json.load(fh)
    passes = spec.get("passes") or [{"name": "own"}]
    errors = False
    with np.load(os.path.join(workdir, "inputs.npz"), allow_pickle=False) as arrays:
        for p, spec_pass in enumerate(passes):
            if spec_pass.get("if_errors") and not errors:
                events(event="skipped", **{"pass": p})
                continue
            before = _Events.count_errors(events)
            _run_pass(module, function, spec["cases"], arrays, p, spec_pass, solution, memory_mb, events, workdir)
            errors = errors or _Events.count_errors(events) > before


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
