"""Pooling: the window slides with no kernel; backward, max routes dA through the mask, average spreads it evenly."""

import numpy as np
import streamlit as st

from ui import charts, compute, limits
from ui.controls import current_config, require_valid
from ui.widgets import dz_control, figure_download, index_select

# a bound radio writes its displayed label into the URL, so the labels are the values (no format_func)
TIES = {"course": "all", "PyTorch": "first"}

config = current_config()
st.title("Pooling: forward and backward")
st.markdown(
    "**Pooling has no weights: the window only picks (max) or averages.** Going back, max pooling sends each "
    "dA entry to the position of its window's maximum (the mask); average pooling spreads dA / (f·f) over the "
    "window (`distribute_value`). Where windows overlap, the gradients add up."
)
require_valid(config, input_only=True)  # pooling uses only the sidebar's input: the kernel's problems do not matter

A = config.A_prev
n_H_prev, n_W_prev, n_C = A.shape
c1, c2, c3, c4 = st.columns([1.1, 1, 1, 1.5])
with c1:
    mode = st.radio("Pooling", ("max", "average"), key="pool_mode", bind="query-params", horizontal=True)
with c2:
    f = int(st.number_input("Window f", 1, limits.MAX_KERNEL, 2, key="pool_f", bind="query-params", help="f x f"))
with c3:
    stride = int(st.number_input("Stride", 1, limits.MAX_STRIDE, 2, key="pool_stride", bind="query-params"))
with c4:
    ties_choice = st.radio(
        "Tied maxima: who gets the gradient?",
        list(TIES),
        key="ties",
        bind="query-params",
        horizontal=True,
        disabled=mode != "max",
        help="Max pooling only. When several cells of a window hold the maximum, the course's mask gives each of "
        "them the full gradient; PyTorch gives it to one (the first in row-major order).",
    )
ties = TIES[ties_choice]
if f > min(n_H_prev, n_W_prev):
    st.error(
        f"The pooling window ({f} x {f}) is larger than the input ({n_H_prev} x {n_W_prev}): no window fits. "
        f"Choose f ≤ {min(n_H_prev, n_W_prev)} or a larger input in the sidebar.",
        icon=":material/block:",
    )
    st.stop()
if config.input_preset != "plateaus (ties)":
    st.caption(
        "Tip: the input preset **plateaus (ties)** in the sidebar has equal values in every aligned 2 x 2 block, "
        "so max pooling meets tied maxima (section 4)."
    )

n_H, n_W = compute.pool(A, f, stride, mode, None, ties).A.shape[:2]
with st.columns([1, 3])[0]:
    c = index_select("Channel shown", n_C, "cin_shown")

st.header("1. Forward: the window slides, no kernel")
st.latex(
    rf"n_H = 1 + \left\lfloor \frac{{n_{{H,prev}} - f}}{{s}} \right\rfloor"
    rf" = 1 + \left\lfloor \frac{{{n_H_prev} - {f}}}{{{stride}}} \right\rfloor = {n_H}"
    rf"\qquad n_W = 1 + \left\lfloor \frac{{{n_W_prev} - {f}}}{{{stride}}} \right\rfloor = {n_W}"
)
skip_h, skip_w = (n_H_prev - f) % stride, (n_W_prev - f) % stride
if skip_h or skip_w:
    st.warning(
        f"The stride does not divide the input: {skip_h} row(s) at the bottom and {skip_w} column(s) at the right "
        "are never in a window (crossed cells). Their gradient is 0.",
        icon=":material/content_cut:",
    )
fig_fwd = compute.pool_forward_figure(A, f, stride, mode, None, ties, c)  # the forward pass needs no dA
charts.show(fig_fwd, width="stretch", key="pool_fwd")
st.caption("▶ plays in your browser; ◀ step / step ▶ and the slider move one window at a time.")

st.header("2. Backward: each dA entry goes back to its window")
dA = dz_control(n_H, n_W, n_C, config.seed, what="dA")
t = compute.pool(A, f, stride, mode, dA, ties)
if mode == "max":
    st.markdown(
        "Only the maximum of a window reached the output, so only it receives the gradient: "
        "`mask = (window == max(window))` (the course's `create_mask_from_window`), and "
        "`dA_prev[window] += mask * dA[h, w]`. Every other cell of the window gets 0."
    )
else:
    st.markdown(
        f"Every cell of a window counted 1/(f·f) = 1/{f * f} in the mean, so each gets dA[h, w] / {f * f} "
        "(the course's `distribute_value`): `dA_prev[window] += dA[h, w] / (f * f)`."
    )
if stride < f:
    st.info(
        f"Stride {stride} < f = {f}: the windows **overlap**, and a cell inside several windows receives the **sum** "
        "of their gradients (that is why the loop uses +=).",
        icon=":material/layers:",
    )
fig_bwd = compute.pool_backward_figure(A, f, stride, mode, dA, ties, c)
charts.show(fig_bwd, width="stretch", key="pool_bwd")

st.header("3. The result")
fig_res = compute.pool_result_figure(A, f, stride, mode, dA, ties, c)
charts.show(fig_res, width="stretch", key="pool_result")
fast = compute.pool_fast(A, f, stride, mode, dA, ties)
diff_fwd = float(np.abs(t.A - fast["A"]).max())
diff_bwd = float(np.abs(t.dA_prev - fast["dA_prev"]).max())
m1, m2 = st.columns(2)
m1.metric("largest |loops - convcore.pool_forward|", f"{diff_fwd:.3g}")
m2.metric("largest |loops - convcore.pool_backward|", f"{diff_bwd:.3g}")
if max(diff_fwd, diff_bwd) <= 1e-9 * max(1.0, float(np.abs(t.dA_prev).max())):
    st.success(
        "The window-by-window loops and the vectorised convcore.pool_forward / pool_backward agree.",
        icon=":material/check_circle:",
    )
else:
    st.error(f"Loops and vectorised code differ by {max(diff_fwd, diff_bwd):.3g}: a bug.", icon=":material/bug_report:")

st.header("4. Ties: every maximum, or one?")
if mode != "max":
    st.info("Ties only matter for max pooling: choose **max** above.", icon=":material/info:")
else:
    tie = compute.pool_ties(A, f, stride, dA)
    n_tied = int(tie["tied"][c])
    total_dA, total_all, total_first = (float(tie[k][c]) for k in ("total_dA", "total_all", "total_first"))
    st.markdown(
        f"**{n_tied}** of the {n_H * n_W} windows of channel {c} have more than one maximum. The course's mask "
        "`x == np.max(x)` gives the **full** dA[h, w] to every tied maximum, so a window with k maxima passes on "
        "k·dA[h, w]. PyTorch records one index per window (the first maximum, row by row) and passes on exactly "
        "dA[h, w]."
    )
    k1, k2, k3 = st.columns(3)
    k1.metric("Σ dA (what the layer above sent)", f"{total_dA:.4g}")
    for col, label, total in ((k2, "course (every maximum)", total_all), (k3, "PyTorch (one maximum)", total_first)):
        extra = total - total_dA
        col.metric(
            f"Σ dA_prev, {label}",
            f"{total:.4g}",
            delta=f"{extra:+.4g} vs Σ dA" if extra else None,
            delta_color="inverse",
        )
    charts.show(compute.pool_ties_figure(A, f, stride, dA, c), width="stretch", key="pool_ties")
    if n_tied == 0:
        st.info(
            "No window of this channel has a tied maximum, so both rules give the same gradient. Choose the input "
            "preset **plateaus (ties)** in the sidebar (with f = 2, stride = 2) to see them disagree.",
            icon=":material/info:",
        )
    else:
        st.warning(
            f"The two rules disagree on the tied windows. With the course's mask the total gradient grows from "
            f"{total_dA:.4g} to {total_all:.4g}; PyTorch's choice keeps it at {total_first:.4g}. Max is not "
            "differentiable at a tie: PyTorch's one-hot is a valid subgradient (its weights sum to 1), the course's "
            "mask is not (its weights sum to k). Random real-valued test inputs practically never tie, so a test on "
            "them does not see the difference; ties are common after a ReLU (windows of zeros) and in flat images.",
            icon=":material/call_split:",
        )

st.header("Take it with you")
d1, d2 = st.columns(2)
with d1:
    figure_download(fig_fwd, "pool_forward", "dl_pool_fwd")
with d2:
    figure_download(fig_bwd, "pool_backward", "dl_pool_bwd")
