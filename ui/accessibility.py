"""What the browser needs beyond Streamlit's own elements for keyboard users and contrast, in one place.

:func:`install` adds, once per run, the app's only stylesheet (``accessibility.css``: code colours that reach WCAG
AA in both themes, a focus ring on the players' SVG buttons, the charts' colours in the active theme) and its only
script (``accessibility.js``: the charts' play, pause and step buttons and slider reachable with Tab and worked with
Enter, Space and the arrow keys; regions that scroll sideways focusable), after ``player.js``, which works the step
buttons for the mouse too (:data:`ui.figures.PLAYER_JS`). Neither adds anything per figure or per frame.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from .figures import PLAYER_JS

__all__ = ["install"]

_HERE = Path(__file__).resolve().parent
_CSS = (_HERE / "accessibility.css").read_text()
_JS = (_HERE / "accessibility.js").read_text()


def install() -> None:
    """Add the stylesheet (sent to Streamlit's event container: it takes no room) and the script (a block of no
    height at the end of the page; a second copy in the same tab does nothing)."""
    st.html(f"<style>{_CSS}</style>")
    st.html(f"<script>{PLAYER_JS}\n{_JS}</script>", unsafe_allow_javascript=True)
