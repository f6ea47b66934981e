"""Strict parsing of typed matrices. Pure Python + NumPy: no streamlit, no eval.

The accepted text, and nothing else:

- rows separated by new lines or ``;``; numbers in a row separated by spaces, tabs or commas;
- several matrices (one per channel) separated by a blank line or ``|``;
- each number matches :data:`NUMBER`: optional sign, ASCII digits, optional decimal point and
  exponent (``-1``, ``2.5``, ``.5``, ``1e-3``). ``float()`` is only called on text that matched, so
  ``nan``, ``inf``, ``1_000``, full-width digits and any expression are refused before conversion.

Every refusal raises :class:`MatrixParseError` with a message that names the line and the problem,
so the page can show it as it is. A grid editor's cells go through the same check (:func:`edit_cells`): each value
is written as text and must match :data:`NUMBER`, so a cell holding text, NaN or a huge number is refused with
the text box's own words.
"""

from __future__ import annotations

import math
import re

import numpy as np

__all__ = [
    "MatrixParseError",
    "parse_matrix",
    "parse_blocks",
    "format_matrix",
    "format_blocks",
    "edit_cells",
    "NUMBER",
    "MAX_TEXT",
    "MAX_ABS",
]

NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_SEP = re.compile(r"[ \t,]+")
MAX_TEXT = 20_000  # characters; a 32x32 matrix of long numbers fits many times over
MAX_ABS = 1e6  # largest magnitude accepted


class MatrixParseError(ValueError):
    """A typed matrix was refused; the message says where and why."""


def _shorten(text: str, n: int = 20) -> str:
    text = text if len(text) <= n else text[: n - 1] + "…"
    return repr(text)


def _rows(text: str) -> list[tuple[int, str]]:
    """(line number, text) of every row: ``;`` splits a line into rows, ``|`` ends a matrix (an empty row)."""
    out = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        for k, block in enumerate(line.split("|")):
            if k:
                out.append((lineno, ""))
            out.extend((lineno, part.strip()) for part in block.split(";"))
    return out


def _number(token: str, where: str, max_abs: float) -> float:
    """One typed number: it must match :data:`NUMBER` before ``float()`` sees it, and be finite and in range."""
    if NUMBER.fullmatch(token) is None:
        raise MatrixParseError(
            f"{where}: {_shorten(token)} is not a number (write numbers like 3, -1.5 or 2e-3, separated by spaces or "
            "commas)"
        )
    value = float(token)
    if not math.isfinite(value) or abs(value) > max_abs:
        raise MatrixParseError(f"{where}: {_shorten(token)} is out of range (|value| <= {max_abs:g})")
    return value


def parse_matrix(text: str, *, max_rows: int, max_cols: int, name: str = "matrix", max_abs: float = MAX_ABS):
    """Parse one matrix -> float64 array ``(rows, cols)``, every value finite and ``|v| <= max_abs``."""
    blocks = parse_blocks(text, max_rows=max_rows, max_cols=max_cols, max_blocks=1, name=name, max_abs=max_abs)
    return blocks[0]


def parse_blocks(
    text: str, *, max_rows: int, max_cols: int, max_blocks: int, name: str = "matrix", max_abs: float = MAX_ABS
) -> list[np.ndarray]:
    """Parse one or more same-shaped matrices separated by a blank line or ``|`` -> list of ``(rows, cols)``."""
    if not isinstance(text, str):
        raise MatrixParseError(f"{name}: expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise MatrixParseError(f"{name}: the text is too long ({len(text):,} characters, at most {MAX_TEXT:,})")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[list[tuple[int, list[float]]]] = [[]]
    for lineno, row in _rows(text):
        if not row:
            if blocks[-1]:
                blocks.append([])
            continue
        values = [_number(token, f"{name}, line {lineno}", max_abs) for token in _SEP.split(row) if token]
        if not values:
            raise MatrixParseError(f"{name}, line {lineno}: the row holds no numbers")
        blocks[-1].append((lineno, values))
        if len(blocks[-1]) > max_rows:
            raise MatrixParseError(f"{name}, line {lineno}: too many rows (at most {max_rows})")
    if not blocks[-1]:
        blocks.pop()
    if not blocks:
        raise MatrixParseError(f"{name}: no numbers found; type rows such as '1 2 3', one per line")
    if len(blocks) > max_blocks:
        raise MatrixParseError(f"{name}: {len(blocks)} matrices given, at most {max_blocks}")
    arrays = []
    for rows in blocks:
        width = len(rows[0][1])
        if width > max_cols:
            raise MatrixParseError(f"{name}, line {rows[0][0]}: too many columns ({width}, at most {max_cols})")
        for lineno, row in rows:
            if len(row) != width:
                raise MatrixParseError(
                    f"{name}, line {lineno}: {len(row)} number(s) where the first row of its matrix has {width}; "
                    "every row needs the same count"
                )
        arrays.append(np.array([row for _, row in rows], dtype=np.float64))
    shape = arrays[0].shape
    for k, a in enumerate(arrays[1:], start=2):
        if a.shape != shape:
            raise MatrixParseError(
                f"{name}: matrix {k} is {a.shape[0]}x{a.shape[1]}, the first is {shape[0]}x{shape[1]}"
            )
    return arrays


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.6g}"


def format_matrix(a) -> str:
    """The inverse of :func:`parse_matrix` for display: rows on lines, numbers separated by spaces."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    return "\n".join(" ".join(_fmt(v) for v in row) for row in a)


def _exact(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def format_blocks(blocks) -> str:
    """Matrices ``(rows, cols)`` as text :func:`parse_blocks` reads back exactly: numbers separated by spaces, rows on
    lines, a blank line between matrices; integers without a decimal point, other numbers in full (``repr``)."""
    return "\n\n".join("\n".join(" ".join(_exact(v) for v in row) for row in np.atleast_2d(b)) for b in blocks)


def _cell_text(value) -> str | None:
    """What a grid cell holds, written as typed text; None for an empty cell (a grid's number column holds NaN where
    the cell was cleared, or where it was given text it could not read). Numbers are written in full, so infinity
    becomes ``inf`` and is refused like a typed one; anything else is refused as the text it is."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    return str(value).strip()


def edit_cells(matrix, edits: dict, *, name: str = "matrix", max_abs: float = MAX_ABS) -> np.ndarray:
    """``matrix (rows, cols)`` with ``edits`` ``{(row, col): value}`` (a grid editor's cells) applied, each value
    checked as a typed number is: a cell that holds text, NaN, infinity or a number past ``max_abs``, an empty cell
    and a cell outside the matrix raise :class:`MatrixParseError` naming the cell (rows and columns from 1)."""
    out = np.array(matrix, dtype=np.float64, copy=True)
    if out.ndim != 2:
        raise MatrixParseError(f"{name}: expected a matrix, got {out.ndim} dimension(s)")
    for (r, c), value in sorted(edits.items()):
        if not (isinstance(r, (int, np.integer)) and isinstance(c, (int, np.integer))) or not (
            0 <= r < out.shape[0] and 0 <= c < out.shape[1]
        ):
            raise MatrixParseError(f"{name}: there is no cell ({r}, {c}) in a {out.shape[0]} x {out.shape[1]} matrix")
        where = f"{name}, row {int(r) + 1}, column {int(c) + 1}"
        text = _cell_text(value)
        if not text:
            raise MatrixParseError(f"{where}: the cell is empty or not a number (type a number like 3, -1.5 or 2e-3)")
        out[r, c] = _number(text, where, max_abs)
    return out
