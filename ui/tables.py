"""Small static tables: ``st.table``, not ``st.dataframe``.

``st.dataframe`` loads a data-grid bundle and draws on a canvas: opening a page with one cost about a second more in a
fresh browser (measured beside a bare page in Chromium), for tables of a few rows that need no sorting or scrolling.
``st.table`` is plain HTML, readable by screen readers, and takes an ``alt`` text. Its cells are Markdown, so text is
escaped here and numbers are written as the figures write them.

The table goes to ``st.table`` as a ``pyarrow`` table of strings, not a pandas DataFrame: building two DataFrames and
converting the second to Arrow took 1.5 ms for a table of nine rows, the Arrow table 0.08 ms (the same bytes for the
browser but pandas' index, which the table hides anyway).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import pyarrow as pa
import streamlit as st

from .figures import fmt

__all__ = ["show_table"]

# the characters that start Markdown (or Streamlit's :colour[...] directives) inside one line of a cell
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|~$:"})


def _cell(value, digits: str | None) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Real):
        return format(float(value), digits) if digits else fmt(value)
    return str(value).translate(_MARKDOWN)


def _columns(data) -> dict[str, list]:
    """``data`` (a list of row dicts, a dict of columns, or a DataFrame) as ``{column: [values]}``, in order."""
    if isinstance(data, Mapping):
        return {str(c): list(v) for c, v in data.items()}
    if hasattr(data, "columns") and hasattr(data, "to_dict"):  # a DataFrame
        return {str(c): data[c].tolist() for c in data.columns}
    rows = list(data)
    names = list(dict.fromkeys(k for row in rows for k in row))
    return {str(c): [row.get(c) for row in rows] for c in names}


def show_table(data, *, alt: str, digits: dict[str, str] | None = None, width="content") -> None:
    """``data`` (a list of row dicts, a dict of columns, or a DataFrame) as a static table (no index): strings shown
    as they are, numbers by :func:`ui.figures.fmt` or the format spec ``digits[column]`` (e.g. ``".2g"``); ``alt``
    says what it lists, for screen readers."""
    digits = digits or {}
    columns = _columns(data)
    shown = pa.table(
        {
            name.translate(_MARKDOWN): pa.array([_cell(v, digits.get(name)) for v in values], type=pa.string())
            for name, values in columns.items()
        }
    )
    st.table(shown, hide_index=True, width=width, alt=alt)
