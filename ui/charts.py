"""A chart on a page: ``st.plotly_chart`` with its text alternative, and presentation mode's larger fonts.

:func:`show` takes what ``st.plotly_chart`` takes. Under each chart a collapsed expander, "The numbers in this
figure", holds every matrix the figure draws as a table (:func:`ui.figures.figure_tables`, shown by
:func:`ui.tables.show_table`), for a screen reader, for a colour-blind reader, or to copy them; it is built only
while it is open, so a closed one costs the page nothing.
"""

from __future__ import annotations

import streamlit as st

from . import figures, presentation
from .tables import show_table

__all__ = ["show"]


def show(fig, *, key: str, width="stretch", **kwargs):
    """Draw ``fig`` (larger in presentation mode), then its numbers behind an expander; returns what
    ``st.plotly_chart`` returns."""
    shown = figures.for_projector(fig) if presentation.on() and isinstance(fig, figures.Spec) else fig
    event = st.plotly_chart(shown, width=width, key=key, **kwargs)
    _numbers(fig, key)
    return event


def _numbers(fig, key: str) -> None:
    box = st.expander("The numbers in this figure", key=f"{key}_numbers", on_change="rerun", icon=":material/table:")
    if not box.open:
        return
    with box:
        frames = bool(fig.spec.get("frames")) if isinstance(fig, figures.Spec) else False
        if frames:
            st.caption("As the figure shows them at its first step; the play button walks through the others.")
        for title, rows in figures.figure_tables(fig):
            st.markdown(f"**{title}**")
            # one column per matrix column, headed by its index, and the row index first
            show_table(
                [{"row": str(r), **{str(c): v for c, v in enumerate(row)}} for r, row in enumerate(rows)],
                alt=f"The numbers of {title}, row by row.",
            )
