"""Figures and links of the "Check my code" page: the learner's output beside the right one, and where to look next.

Pure Plotly and plain data (no streamlit); the numbers come from the grader's report.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from grader import mistakes

from . import limits
from .figures import Grid, grids_figure
from .mistakes_figures import slice_2d

__all__ = ["difference_figures", "explore_link", "mistake_link"]


def difference_figures(function: str, failure, got: tuple | None) -> list[go.Figure]:
    """Right, yours and yours - right on the slice through the first difference, as one figure each on one colour
    scale, so that the page can set them side by side on a wide screen and one under the other on a phone (three
    panels in one figure are unreadable at a phone's width). Only the right one when the shapes differ; ``[]``
    without numbers to draw."""
    if failure is None or failure.case is None or got is None or failure.output is None:
        return []
    case = mistakes.case(function, failure.case)
    names = mistakes.OUTPUT_NAMES[function]
    j = names.index(failure.output)
    expected = mistakes.reference_outputs(case)[j]
    if np.asarray(expected).ndim == 0:
        return []
    index = tuple(failure.index) if failure.index else None
    mine = got[j]
    if function in mistakes.CS231N and np.ndim(expected) == 4:  # drawn in the course's layout, as the other pages
        axes = (2, 3, 1, 0) if failure.output == "dw" else (0, 2, 3, 1)  # w -> (HH, WW, C, F); x -> (N, H, W, C)
        expected, mine = np.transpose(expected, axes), np.transpose(mine, axes) if np.ndim(mine) == 4 else mine
        index = tuple(index[a] for a in axes) if index else None
    name = {"dw": "dW", "dx": "dx", "out": "out"}.get(failure.output, failure.output)
    right, label = slice_2d(expected, name, index)
    panels = [(right, f"right: {label}")]
    if np.shape(mine) == np.shape(expected):
        yours, _ = slice_2d(mine, name, index)
        panels += [(yours, "yours"), (yours - right, "yours - right")]
    finite = [np.abs(z[np.isfinite(z)]).max() for z, _ in panels if np.isfinite(z).any()]
    zmax = float(max(finite, default=0.0)) or 1.0
    n_rows, n_cols = np.shape(right)
    height = int(min(420, max(220, 90 + 46 * n_rows)))  # rows of readable cells, and a phone's screen at most
    figs = [grids_figure([Grid(z=z, title=title, zmax=zmax)], cols=1, height=height) for z, title in panels]
    for fig in figs:
        fig.update_annotations(yshift=34)  # one panel's title above its column numbers, not over them
    return figs


def _clip(value: int, hi: int, lo: int = 1) -> int:
    return int(max(lo, min(hi, value)))


def _course_view(case) -> tuple[str, tuple]:
    """The course function and course-layout arguments of a case (cs231n's are transposed back)."""
    if case.function in mistakes.CS231N:
        return mistakes.CS231N[case.function], mistakes._course_args(case.function, case.arguments())
    return case.function, case.args


def explore_link(function: str, case_name: str, output: str | None = None) -> tuple[str, dict, str] | None:
    """``(page, query parameters, label)`` of the explainer page configured like the failing case, or ``None``.

    Labels stay under 40 characters: a page link is one line, cut short with "..." past its width (a phone's is
    about 45 characters); the page says what the link sets up in the caption under it."""
    case = mistakes.case(function, case_name)
    course_function, args = _course_view(case)
    if course_function in ("conv_forward", "conv_backward", "zero_pad"):
        if course_function == "conv_forward":
            A_prev, W, _, hp = args
        elif course_function == "conv_backward":
            A_prev, W, _, hp = args[1]
        else:
            A_prev, W, hp = args[0], np.zeros((3, 3, 1, 1)), {"stride": 1, "pad": args[1]}
        _, n_H, n_W, n_C_prev = np.shape(A_prev)
        f, n_C = W.shape[0], W.shape[3]
        params = {
            "input": "random integers",
            "h": _clip(n_H, limits.MAX_INPUT),
            "w": _clip(n_W, limits.MAX_INPUT),
            "cin": _clip(n_C_prev, limits.MAX_CHANNELS),
            "kernel": "random",
            "kh": _clip(f, limits.MAX_KERNEL),
            "kw": _clip(f, limits.MAX_KERNEL),
            "cout": _clip(n_C, limits.MAX_CHANNELS),
            "stride": _clip(hp["stride"], limits.MAX_STRIDE),
            "pad": _clip(hp["pad"], limits.MAX_PAD, 0),
        }
        if course_function == "conv_backward" and output in ("dW", "db", "dw"):
            return "views/weights.py", params, "Open the dW page at this case"
        if course_function == "conv_backward":
            return "views/flip.py", params, "Open the dA_prev page at this case"
        return "views/forward.py", params, "Open the forward page at this case"
    if course_function in ("pool_forward", "pool_backward"):
        A_prev, hp, mode = args if course_function == "pool_forward" else (args[1][0], args[1][1], args[2])
        _, n_H, n_W, n_C = np.shape(A_prev)
        params = {
            "input": "plateaus (ties)" if "ties" in case.kinds else "random integers",
            "h": _clip(n_H, limits.MAX_INPUT),
            "w": _clip(n_W, limits.MAX_INPUT),
            "cin": _clip(n_C, limits.MAX_CHANNELS),
            "pool_mode": mode,
            "pool_f": _clip(hp["f"], limits.MAX_KERNEL),
            "pool_stride": _clip(hp["stride"], limits.MAX_STRIDE),
        }
        return "views/pooling.py", params, "Open the pooling page at this case"
    if course_function in ("create_mask_from_window", "distribute_value"):
        mode = "max" if course_function == "create_mask_from_window" else "average"
        params = {"input": "plateaus (ties)" if mode == "max" else "random integers", "pool_mode": mode}
        return "views/pooling.py", params, "Open the pooling page"
    return None


def mistake_link(key: str, function: str, case_name: str | None) -> tuple[str, dict, str]:
    """``(page, query parameters, label)`` of the mistakes page on this mistake, at this case when it has it. The
    label does not name the mistake (titles run to 53 characters, past a phone's width): the page puts the link
    under the mistake it is about."""
    m = mistakes.mistake(key)
    names = [c.name for c in mistakes.cases(m.shown_by)]
    case = case_name if case_name in names and m.shown_by == mistakes.CS231N.get(function, function) else m.showcase
    return "views/mistakes.py", {"mistake": m.title, "mistake_case": case}, "See this mistake on the mistakes page"
