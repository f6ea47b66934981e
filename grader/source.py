"""Turning what a learner hands in (a ``.py`` file, pasted code, or the course notebook) into the code the grader runs.

Nothing here runs the learner's code: the text is read, a notebook is parsed with :mod:`nbformat`, and the code is
parsed with :mod:`ast` to keep only what defines functions. The child process (:mod:`grader._runner`) then runs
the result.

What is kept, in the file's own order and at the same line numbers (so that an error's line number is the
learner's): ``import`` lines of NumPy and of Python's standard library, function and class definitions, and
assignments of plain constants (``EPS = 1e-8``). Everything else at the top level is left out and said so: the
notebook's test calls and prints (which, run on NumPy 2, can stop the whole file before any function is
checked), ``import h5py`` / ``matplotlib`` / ``public_tests`` (the functions are checked with NumPy only), a
training loop left at the top level. From a notebook, only code cells are read; IPython magics (``%matplotlib
inline``), shell lines (``!pip install ...``) and help lines (``np.pad?``) are skipped, and so are cells that start
with a cell magic (``%%writefile``). A top-level block that does not parse is left out and reported; when it is a
course function, that function is reported as not parsing instead of the whole file failing to load.

Limits: :data:`MAX_BYTES` of text, :data:`MAX_CELLS` cells, :data:`MAX_LINES` lines.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass, field

__all__ = ["MAX_BYTES", "MAX_CELLS", "MAX_LINES", "SourceError", "Prepared", "prepare", "prepare_text"]

MAX_BYTES = 2_000_000
MAX_CELLS = 2_000
MAX_LINES = 60_000
_MAX_REPAIRS = 200  # top-level blocks left out because they do not parse

#: Top-level modules a learner's file may import: NumPy and the standard library.
_ALLOWED_IMPORTS = frozenset({"numpy"}) | frozenset(sys.stdlib_module_names)


class SourceError(ValueError):
    """The input is not something the grader can read (binary, not UTF-8, not a notebook, too large)."""


@dataclass
class Prepared:
    """What the grader runs, and what it says about how it got there.

    - ``source``: the code run in the child (line ``k`` of it is line ``k`` of the joined input);
    - ``kind``: ``"py"`` or ``"ipynb"``; ``cells``: for a notebook, the cells whose code was used, as
      ``"cell N"`` (``"cell N (In [k])"`` when the notebook records an execution count);
    - ``skipped``: one sentence per kind of thing left out;
    - ``broken``: ``{function name: "SyntaxError: ... (line N)"}`` for definitions that do not parse;
    - ``redefined``: functions defined more than once (the last definition wins, as when the notebook is run
      from top to bottom).
    """

    source: str
    kind: str
    name: str
    cells: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)
    redefined: list[str] = field(default_factory=list)
    defines: list[str] = field(default_factory=list)
    line_origin: list[tuple[int, int]] = field(default_factory=list)  # joined line -> (cell number, line in cell)

    def where(self, line: int) -> str:
        """``"line N"`` of a .py file, ``"cell C, line N"`` of a notebook."""
        if self.kind == "ipynb" and 1 <= line <= len(self.line_origin):
            cell, n = self.line_origin[line - 1]
            return f"cell {cell}, line {n}"
        return f"line {line}"

    def relocate(self, text: str | None) -> str | None:
        """``text`` (an error's ``where``) with a joined line number turned into the notebook's cell and line."""
        if text is None or self.kind != "ipynb":
            return text
        return re.sub(r"\bline (\d+)", lambda m: self.where(int(m.group(1))), text, count=1)


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise SourceError(f"the file is {len(data) / 1e6:.1f} MB; the grader reads at most {MAX_BYTES / 1e6:g} MB")
    if b"\x00" in data[:100_000]:
        raise SourceError("this is a binary file, not Python code or a notebook")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"the file is not UTF-8 text (byte {exc.start} cannot be read); save it as UTF-8 and try again"
        ) from None
    if text.count("\n") > MAX_LINES:
        raise SourceError(f"the file has more than {MAX_LINES:,} lines")
    return text


_MAGIC = re.compile(r"^\s*(%|!)")
_HELP = re.compile(r"^\s*[\w.]+\?{1,2}\s*$")


def _cell_text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _notebook_cells(text: str) -> list[tuple[int, str, int | None]]:
    """``[(cell number, code, execution count)]`` of the code cells, magics and shell lines blanked."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"this is not a notebook: it is not valid JSON ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise SourceError("this is not a Jupyter notebook: it has no list of cells")
    if len(raw["cells"]) > MAX_CELLS:
        raise SourceError(f"the notebook has {len(raw['cells']):,} cells; the grader reads at most {MAX_CELLS:,}")
    import nbformat  # only here: the grader's command line does not need it for .py files

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds for a malformed notebook
        raise SourceError(f"this notebook cannot be read: {type(exc).__name__}: {exc}"[:300]) from None
    cells = []
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        code = _cell_text(cell.get("source", ""))
        if code.lstrip().startswith("%%"):
            continue  # a cell magic (%%writefile, %%bash, ...): not Python
        lines = ["" if _MAGIC.match(line) or _HELP.match(line) else line for line in code.split("\n")]
        count = cell.get("execution_count")
        cells.append((number, "\n".join(lines), count if isinstance(count, int) else None))
    return cells


def _top_level_block(lines: list[str], lineno: int) -> tuple[int, int]:
    """The 0-based half-open range of the top-level block holding 1-based ``lineno``: from the last line at
    column 0 at or before it to the next line at column 0 after it."""
    k = min(max(lineno - 1, 0), len(lines) - 1)
    start = k
    while start > 0 and not (lines[start][:1].strip() and not lines[start].startswith("#")):
        start -= 1
    # decorators belong to the definition below them
    while start > 0 and lines[start - 1].startswith("@"):
        start -= 1
    end = k + 1
    while end < len(lines) and not (lines[end][:1].strip() and not lines[end].startswith((")", "]", "}"))):
        end += 1
    return start, end


_DEF = re.compile(r"^(?:async\s+)?def\s+(\w+)")


def _parse_repairing(lines: list[str], prepared: Prepared) -> ast.Module:
    """Parse, leaving out (blanking) each top-level block that does not parse."""
    for _ in range(_MAX_REPAIRS):
        try:
            return ast.parse("\n".join(lines))
        except SyntaxError as exc:
            start, end = _top_level_block(lines, exc.lineno or 1)
            names = [m.group(1) for line in lines[start:end] if (m := _DEF.match(line))]
            message = f"SyntaxError: {exc.msg} ({prepared.where(exc.lineno or start + 1)})"
            if names:
                for name in names:
                    prepared.broken[name] = message
            else:
                prepared.skipped.append(f"{prepared.where(start + 1)} does not parse and was left out: {message}")
            for k in range(start, end):
                lines[k] = ""
        except (RecursionError, MemoryError, ValueError, SystemError) as exc:  # absurd nesting, NUL bytes
            # SystemError: CPython 3.11's "AST constructor recursion depth mismatch" after absurd nesting
            raise SourceError(f"the code cannot be parsed: {type(exc).__name__}") from None
    raise SourceError("too much of the code does not parse")


def _literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, SystemError):
        return False
    return True


def _keep(stmt: ast.stmt) -> tuple[bool, str | None]:
    """Whether a top-level statement is kept, and if not, the kind of thing left out."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True, None
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        if isinstance(stmt, ast.ImportFrom):
            roots = [(stmt.module or "").split(".")[0]] if not stmt.level else [""]
        else:
            roots = [alias.name.split(".")[0] for alias in stmt.names]
        if all(root in _ALLOWED_IMPORTS for root in roots):
            return True, None
        return False, "import " + ", ".join(sorted(set(roots)) or ["(relative)"])
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None and _literal(stmt.value):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if all(isinstance(t, ast.Name) for t in targets):  # not plt.rcParams[...] = (5.0, 4.0)
            return True, None
    return False, "code"


def _select(tree: ast.Module, lines: list[str], prepared: Prepared) -> list[str]:
    keep = [""] * len(lines)
    imports: list[str] = []
    left_out = 0
    seen: dict[str, int] = {}
    for stmt in tree.body:
        kept, what = _keep(stmt)
        if not kept:
            if what == "code":
                left_out += 1
            elif what not in imports:
                imports.append(what)
            continue
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            seen[stmt.name] = seen.get(stmt.name, 0) + 1
            prepared.broken.pop(stmt.name, None)  # a later definition that parses replaces a broken one
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
        for k in range(first - 1, stmt.end_lineno):
            keep[k] = lines[k]
    if imports:
        prepared.skipped.append(
            f"left out {'; '.join(imports)}: the functions are checked with NumPy and Python's standard library only"
        )
    if left_out:
        what = "statement that is not a definition" if left_out == 1 else "statements that are not definitions"
        prepared.skipped.append(
            f"left out {left_out} top-level {what} (tests, prints, plots): only the functions are checked"
        )
    prepared.redefined = sorted(name for name, n in seen.items() if n > 1)
    prepared.defines = list(dict.fromkeys(seen))
    return keep


def prepare_text(text: str, name: str = "solution.py") -> Prepared:
    """:func:`prepare` for text already decoded (pasted code or a notebook's JSON)."""
    is_notebook = name.lower().endswith(".ipynb") or (text.lstrip().startswith("{") and '"cells"' in text[:100_000])
    if is_notebook:
        prepared = Prepared("", "ipynb", name)
        lines: list[str] = []
        for number, code, count in _notebook_cells(text):
            cell_lines = code.split("\n")
            if not code.strip():
                continue
            prepared.cells.append(f"cell {number}" + (f" (In [{count}])" if count is not None else ""))
            prepared.line_origin += [(number, k) for k in range(1, len(cell_lines) + 1)]
            lines += cell_lines
            if len(lines) > MAX_LINES:
                raise SourceError(f"the notebook's code has more than {MAX_LINES:,} lines")
    else:
        prepared = Prepared("", "py", name)
        lines = text.split("\n")
    tree = _parse_repairing(lines, prepared)
    kept = _select(tree, lines, prepared)
    if prepared.kind == "ipynb":
        used = {cell for cell, _ in (prepared.line_origin[k] for k, line in enumerate(kept) if line.strip())}
        prepared.cells = [c for c in prepared.cells if int(c.split()[1]) in used]
    prepared.source = "\n".join(kept) + "\n"
    return prepared


def prepare(data: bytes, name: str = "solution.py") -> Prepared:
    """Read an upload or a file's bytes: ``.ipynb`` (or JSON with cells) as a notebook, anything else as Python.

    Raises :class:`SourceError` with a sentence for a person when the input cannot be read.
    """
    return prepare_text(_decode(data), name)
