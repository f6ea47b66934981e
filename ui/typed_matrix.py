"""A typed matrix: a bound text box (kept in the URL) and, beside it, a grid editor of the same numbers.

The text is the one source: the grid shows the matrices the text parsed to, one at a time, and an edit in the grid
is checked cell by cell with the parser's own rules (:func:`ui.parse.edit_cells`: text, NaN, infinity and numbers
past the bound are refused with the text box's words), then written back into the text box as text
(:func:`ui.parse.format_blocks`), which reruns the app. Nothing typed is ever evaluated.

Streamlit 1.67 gives a widget's value to the script after the run that drew it, and a widget's value cannot be set
once it is drawn: an edit the grid returns is therefore staged in session state and the app reruns at once; the next
run writes the staged text into the text box before the box is drawn, and draws a fresh grid from it (the grid's key
follows the text, so its cells are the text's, not an old edit's).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from .parse import MAX_TEXT, MatrixParseError, edit_cells, format_blocks, parse_blocks

__all__ = ["typed_blocks", "plain"]

# Markdown characters escaped with a backslash; an invisible word joiner (U+2060) before "." ":" "@", since
# GitHub-style markdown turns bare www.x, http://x and a@b.c into links even when they are escaped.
_PLAIN = str.maketrans(
    {c: "\\" + c for c in "\\`*_{}[]()<>#+-!|$~=^&"} | {".": "\u2060.", "@": "\u2060@", ":": "\u2060\\:"}
)


def plain(text: str) -> str:
    """``text`` shown as it is by st.error / st.markdown, whatever it contains.

    A parse error quotes what the visitor typed, and a hand-edited URL can type it for them: as it is,
    ``http://...`` or ``a@b.co`` would become a live link in the app's own error box, ``[text](url)`` a
    disguised one, ``:red[...]`` coloured text and ``$...$`` LaTeX.
    """
    return text.translate(_PLAIN)


def typed_blocks(
    key: str,
    label: str,
    *,
    max_rows: int,
    max_cols: int,
    max_blocks: int,
    help: str,
    default: str = "",
    block_label: Callable[[int], str] | None = None,
    grid: bool = True,
) -> list | None:
    """A bound text area parsed strictly, with a grid editor of its matrices below it (unless not ``grid``); on a
    parse error shows ``st.error`` and returns the last good value. ``block_label(k)`` names matrix ``k``."""
    staged = st.session_state.pop(f"_grid_text_{key}", None)
    if staged is not None:
        st.session_state[key] = staged  # a grid edit, written before the box is drawn (see the module's docstring)
    text = st.text_area(label, value=default, key=key, bind="query-params", help=help, height=120, max_chars=MAX_TEXT)
    good_key = f"_last_good_{key}"
    try:
        blocks = parse_blocks(text, max_rows=max_rows, max_cols=max_cols, max_blocks=max_blocks, name=label)
    except MatrixParseError as exc:
        st.error(plain(f"{exc}. Showing the last matrix that parsed."), icon=":material/warning:")
        blocks = st.session_state.get(good_key)
    else:
        st.session_state[good_key] = blocks
    if blocks and grid:
        _grid(key, label, blocks, block_label or (lambda k: f"matrix {k + 1}"))
    return blocks


def _grid(key: str, label: str, blocks: list, block_label: Callable[[int], str]) -> None:
    """The grid editor of one of ``blocks`` (a selectbox picks which when there are several)."""
    refused = st.session_state.pop(f"_grid_error_{key}", None)
    with st.expander("Edit in a grid", expanded=refused is not None):
        k = 0
        if len(blocks) > 1:
            k = st.selectbox(
                "Matrix in the grid", range(len(blocks)), format_func=block_label, key=f"_grid_block_{key}"
            )
            k = min(int(k), len(blocks) - 1)
        m = blocks[k]
        nonce = st.session_state.get(f"_grid_nonce_{key}", 0)
        digest = hashlib.sha1(format_blocks(blocks).encode()).hexdigest()[:12]
        frame = pd.DataFrame(m, columns=[str(j + 1) for j in range(m.shape[1])], index=range(1, m.shape[0] + 1))
        edited = st.data_editor(
            frame,
            key=f"_grid_{key}_{digest}_{k}_{nonce}",
            num_rows="fixed",
            column_config={c: st.column_config.NumberColumn(c, format="plain", width=40) for c in frame.columns},
            width="stretch",
        )
        if refused:
            st.error(plain(refused), icon=":material/warning:")
        st.caption("Rows and columns are numbered from 1; to change the size, edit the text above.")
    edits = _changed_cells(m, edited)
    if not edits:
        return
    name = f"{label}, {block_label(k)}" if len(blocks) > 1 else label
    try:
        new = list(blocks)
        new[k] = edit_cells(m, edits, name=name)
        text = format_blocks(new)
        if len(text) > MAX_TEXT:
            raise MatrixParseError(f"{name}: written out, the numbers are longer than {MAX_TEXT:,} characters")
    except MatrixParseError as exc:
        st.session_state[f"_grid_error_{key}"] = f"{exc}. The grid shows the matrix of the text box again."
    else:
        st.session_state[f"_grid_text_{key}"] = text
    st.session_state[f"_grid_nonce_{key}"] = nonce + 1  # a fresh grid next run, from the text
    st.rerun()


def _changed_cells(m: np.ndarray, edited) -> dict:
    """``{(row, col): value}`` of the cells of the returned table that differ from ``m`` (0-based)."""
    values = edited.to_numpy(dtype=object) if isinstance(edited, pd.DataFrame) else np.asarray(edited, dtype=object)
    if values.shape != m.shape:
        return {(-1, -1): None}  # rows added or deleted: edit_cells refuses a cell outside the matrix
    out = {}
    for (r, c), value in np.ndenumerate(values):
        try:
            same = float(value) == m[r, c]
        except (TypeError, ValueError, OverflowError):
            same = False
        if not same:
            out[(r, c)] = value
    return out
