"""Presentation mode, for a projector: kept in the link (``?present=true``), so a teacher's link opens in it. The
figures' numbers and titles are larger (:func:`ui.figures.for_projector`), the captions are hidden, and the sidebar
starts folded away (it still opens, and every control and link works as usual)."""

from __future__ import annotations

import streamlit as st

__all__ = ["KEY", "requested", "control", "on", "style"]

KEY = "present"


def requested() -> bool:
    """Whether this run is in presentation mode, before any widget exists: the toggle's value once there is one,
    else the link's."""
    if KEY in st.session_state:
        return bool(st.session_state[KEY])
    return st.query_params.get(KEY, "").lower() == "true"  # what the bound toggle takes (and "false")


def control() -> bool:
    """The toggle (bound to the link), in the sidebar."""
    return st.toggle(
        "Presentation mode",
        key=KEY,
        bind="query-params",
        help="For a projector: larger numbers and titles in the figures, no captions, the sidebar folded away. "
        "It is kept in the link, so a link copied now opens in it.",
    )


def on() -> bool:
    """Whether the page being drawn is in presentation mode."""
    return bool(st.session_state.get(KEY, False))


def style() -> None:
    """In presentation mode, hide the captions: less to read on a slide (the explanations above each figure stay).
    CSS, because st.caption has no option for it and hiding them page by page would mean a branch beside each one."""
    if on():
        st.html('<style>[data-testid="stCaptionContainer"] { display: none; }</style>')
