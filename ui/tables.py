"""Small static tables: ``st.table``, not ``st.dataframe``.

``st.dataframe`` loads a data-grid bundle and draws on a canvas: opening a page with one cost about a second more in a
fresh browser (measured beside a bare page in Chromium), for tables of a few rows that need no sorting or scrolling.
``st.table`` is plain HTML, readable by screen readers, and takes an ``alt`` text. Its cells are Markdown, so text is
escaped here and numbers are written as the figures write them.
"""

from __future__ import annotations

import numbers

import pandas as pd
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


def show_table(df, *, alt: str, digits: dict[str, str] | None = None, width="content") -> None:
    """``df`` (a DataFrame, or a list of row dicts) as a static table (no index): strings shown as they are, numbers
    by :func:`ui.figures.fmt` or the format spec ``digits[column]`` (e.g. ``".2g"``); ``alt`` says what it lists, for
    screen readers."""
    df = pd.DataFrame(df)
    digits = digits or {}
    shown = pd.DataFrame({col: [_cell(v, digits.get(col)) for v in df[col]] for col in df.columns})
    shown.columns = [str(c).translate(_MARKDOWN) for c in df.columns]
    st.table(shown, hide_index=True, width=width, alt=alt)
