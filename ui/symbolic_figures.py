"""Figures of the symbolic page, from what SymPy derived (ui/symbolic_cache.py). Layout only, no streamlit."""

from __future__ import annotations

import numpy as np

from .figures import POSITION, Spec
from .pick_figures import pick_layer

__all__ = ["jacobian_figure"]

ZERO = "#f3f3f3"  # a zero of the Jacobian: faint, no text (as the matrix view draws C's structural zeros)


def jacobian_figure(taps: np.ndarray, n_taps: int, text: np.ndarray, inputs: list[str], outputs: list[str]) -> Spec:
    """The Jacobian ``(outputs, inputs)``: each nonzero entry is a kernel entry, coloured by its tap (``taps``, -1 for
    zero) as the other pages colour the kernel, and named (``text``); columns are labelled with the inputs' names.

    A click on an entry reports ``x``, its column: the input whose column the page follows.
    """
    R, Q = taps.shape
    weight = taps >= 0
    cell = max(6.0, min(34.0, 1000 / max(Q, 1), 700 / max(R, 1)))
    data = [
        dict(
            type="heatmap",
            z=np.where(weight, np.nan, 0.0),
            colorscale=[[0, ZERO], [1, ZERO]],
            showscale=False,
            xgap=1,
            ygap=1,
            hoverinfo="skip",
        ),
        dict(
            type="heatmap",
            z=np.where(weight, taps, np.nan).astype(float),
            zmin=0,
            zmax=max(n_taps - 1, 1),
            colorscale=POSITION,
            showscale=False,
            xgap=1,
            ygap=1,
            text=text,
            texttemplate="%{text}" if cell >= 18 else None,
            textfont=dict(size=12),
            hoverongaps=False,
            hovertemplate="%{text}<extra></extra>",
        ),
        pick_layer(weight, np.where(weight, taps, 0), "output row %{y}, input column %{x}: kernel tap %{customdata}"),
    ]
    show_inputs = Q <= 40
    layout = dict(
        xaxis=dict(
            side="top",
            tickmode="array",
            tickvals=list(range(Q)) if show_inputs else None,
            ticktext=inputs if show_inputs else None,
            range=[-0.5, Q - 0.5],
            showgrid=False,
            zeroline=False,
            constrain="domain",
        ),
        yaxis=dict(
            tickmode="array",
            tickvals=list(range(R)) if R <= 40 else None,
            ticktext=outputs if R <= 40 else None,
            range=[R - 0.5, -0.5],
            showgrid=False,
            zeroline=False,
            scaleanchor="x",
            constrain="domain",
        ),
        height=int(min(1400, max(220, cell * R + 110))),
        margin=dict(l=10, r=10, t=60, b=10),
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
    )
    return Spec({"data": data, "layout": layout})
