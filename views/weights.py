"""dW and db: one correlation per (input channel, output channel) pair, the answer to the question of the depths
that do not match (5 input channels, 10 filters)."""

import numpy as np
import streamlit as st

from ui import charts, compute
from ui.controls import current_config, require_valid
from ui.tables import show_table
from ui.widgets import dz_control, figure_download, index_select

config = current_config()
st.title("dW and db across channels")
st.markdown(
    "**dW is the padded input correlated with dZ, one small correlation per (input channel, output channel) pair: "
    "dZ plays the kernel.** db is dZ summed over its positions, one number per filter."
)
require_valid(config)

A, W, s, p, conv = config.A_prev, config.W, config.stride, config.pad, config.convention
d, g = config.dilation, config.groups
fwd = compute.forward(A, W, config.b, s, p, conv, d, g)
n_H, n_W, n_C = fwd.Z.shape
f_H, f_W, _, _ = W.shape
n_C_prev = A.shape[2]
dZ = dz_control(n_H, n_W, n_C, config.seed)
t = compute.weights(A, W.shape, dZ, s, p, conv, d, g)
fast = compute.weight_check(A, W.shape, dZ, s, p, conv, d, g)

st.header("1. The depths do not match: one panel per channel pair")
st.markdown(
    "A classic question ([on Data Science Stack Exchange](https://datascience.stackexchange.com/questions/38896/"
    "an-error-with-respect-to-filter-weights-in-cnn-during-the-backpropagation)): *the input has 5 channels and there "
    "are 10 filters, so dZ has depth 10 and the input depth 5: how can they be correlated?* They never are as a "
    f"whole. Here your input has **{n_C_prev} "
    f"channel{'s' * (n_C_prev > 1)}** and there {'are' if n_C > 1 else 'is'} **{n_C} filter{'s' * (n_C > 1)}**: "
    + (
        f"dW has **{n_C_prev} x {n_C} = {n_C_prev * n_C} panel{'s' * (n_C_prev * n_C > 1)}** of {f_H} x {f_W}; "
        if g == 1
        else f"with {g} groups, dW has **{n_C_prev} x {n_C} / {g} = {len(t.pairs)} panels** of {f_H} x {f_W}; "
    )
    + "each is the correlation of input channel c_in with dZ channel c_out. Each dZ channel is reused against "
    + ("every input channel" if g == 1 else "every input channel of its group")
    + " (dZ *tiled across the input channels*); nothing is summed over channels. "
    "(In the question's case: 5 x 10 = 50 panels of 5 x 5.)"
)
tap = "u" if d == 1 else f"{d}u"
tap_v = "v" if d == 1 else f"{d}v"
sh = "" if s == 1 else s  # "2h", not "1h"
st.latex(
    r"dW[u, v, c_{in}, c_{out}] = \sum_{h=0}^{n_H-1} \sum_{w=0}^{n_W-1} "
    rf"A_{{pad}}[{tap} + {sh}h,\; {tap_v} + {sh}w,\; c_{{in}}] \cdot dZ[h, w, c_{{out}}]"
)
if d > 1 or s > 1:
    st.markdown(
        "In words: the input is sampled **with holes** "
        + (f"(the taps sit {d} apart: the forward dilation) " if d > 1 else "")
        + "and dZ's entries are **spread by the stride**"
        + (f" ({s} apart: the forward stride has become a dilation of dZ)." if s > 1 else " (1: side by side).")
    )
if g > 1:
    met = n_C_prev * n_C // g
    st.info(
        f"**Groups = {g}**: an input channel and a filter meet only inside the same group, so only "
        f"**{met} of the {n_C_prev * n_C} (c_in, c_out) pairs** have a panel. The other {n_C_prev * n_C - met} are "
        f"structurally zero: no weight connects them, and W has shape ({f_H}, {f_W}, {n_C_prev // g}, {n_C}), "
        f"C_in / groups = {n_C_prev // g} input channel(s) per filter, not {n_C_prev}. Nothing is drawn for them.",
        icon=":material/grid_view:",
    )
fig_panels = compute.weight_panels_figure(A, W.shape, dZ, s, p, conv, d, g)
charts.show(fig_panels, width="stretch", key="dw_panels")
if len(t.pairs) > 1:
    st.caption(
        "Row c_in (⋆ is correlation); "
        + ("column c_out. Every panel in a column uses the same dZ channel." if g == 1 else "the filters of its group.")
    )

st.header("2. dZ slides over the input as if it were the kernel")
c1, c2 = st.columns(2)
with c1:
    c_in = index_select("Input channel c_in", n_C_prev, "cin_shown")
with c2:
    c_out = index_select("Output channel c_out (filter)", n_C, "filter")
if not t.in_group(c_in, c_out):
    first = t.out_channels(c_in).start
    st.info(
        f"Input channel {c_in} and filter {c_out} are in different groups: they never meet, and dW has no entry for "
        f"them. Showing filter {first}, the first of channel {c_in}'s group.",
        icon=":material/info:",
    )
    c_out = first
row = "u" if d == 1 else f"{d}·u"
if s > 1:
    st.markdown(
        f"Stride {s}: output cell (h, w) read the input at row {s}·h + {row}, so dZ's entries land **{s} apart** on "
        f"the input (the window is drawn as separate cells; crosses in the dZ panel are the zeros in between). The "
        "forward stride has become a **dilation** of dZ, which is how PyTorch's `torch.nn.grad.conv2d_weight` "
        "computes it."
    )
else:
    st.markdown(
        f"One frame per kernel tap (u, v): dZ sits on the padded input at ({row}, {'v' if d == 1 else f'{d}·v'}), the "
        "products are summed, and the sum is dW[u, v]. Choose stride 2 in the sidebar to see dZ's entries spread "
        "apart (a dilation)."
    )
if d > 1:
    st.markdown(
        f"Dilation {d}: consecutive kernel taps read the input {d} cells apart, so from one frame to the next dZ jumps "
        f"{d} cells, not one: dW[u, v] collects the input cells that tap (u, v) read in every window."
    )
fig_slide = compute.weight_slide_figure(A, W.shape, dZ, s, p, conv, c_in, c_out, d, g)
charts.show(fig_slide, width="stretch", key="dw_anim")
if not np.all(fwd.visited):
    st.caption("Crossed input cells are never under any of dZ's entries: no window read them going forward.")
if conv == "convolution":
    st.info(
        "True convolution: the forward pass correlated with **rot180(W)**, so this correlation gives dK, the gradient "
        "of rot180(W). The gradient of W itself is **dW = rot180(dK)**: the panels in section 1 are rotated back.",
        icon=":material/sync:",
    )

st.header("3. db: dZ summed over its positions")
st.markdown("Every output cell of filter c adds b[c] once, so db[c] = Σ_h Σ_w dZ[h, w, c].")
charts.show(compute.dz_sums_figure(A, W.shape, dZ, s, p, conv, d, g), width="stretch", key="db_sums")
show_table(
    ({"filter c": range(n_C), "db[c] = Σ dZ[:, :, c]": fast["db"]}),
    alt="db, one entry per filter: the sum of that filter's dZ channel.",
)

st.header("The verdict")
st.markdown("The course's loops visit the output cells and accumulate one window at a time:")
st.code(
    "for h in range(n_H):\n"
    "    for w in range(n_W):\n"
    "        a_slice = A_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]\n"
    "        for c in range(n_C):\n"
    "            dW[:, :, :, c] += a_slice * dZ[i, h, w, c]\n"
    "            db[:, :, :, c] += dZ[i, h, w, c]",
    language="python",
    wrap_lines=True,  # a phone wraps the long lines instead of scrolling them sideways
)
diff_loops = float(np.abs(t.dW - t.dW_loops).max())
diff_fast = float(np.abs(t.dW - fast["dW"]).max())
m1, m2 = st.columns(2)
m1.metric("largest |correlation - loop accumulation|", f"{diff_loops:.3g}", help="0 up to floating-point rounding")
m2.metric("largest |correlation - convcore.grad_weight|", f"{diff_fast:.3g}", help="the fast, vectorised code")
scale = max(1.0, float(np.abs(t.dW).max()))
if max(diff_loops, diff_fast) <= 1e-9 * scale:
    st.success(
        "The correlation form equals the course's per-window accumulation dW += a_slice · dZ[h, w] "
        f"(largest difference {max(diff_loops, diff_fast):.2g}): the same sum, visited in another order.",
        icon=":material/check_circle:",
    )
else:
    st.error(
        f"The forms differ by {max(diff_loops, diff_fast):.3g}: this is a bug, please report it.",
        icon=":material/bug_report:",
    )

st.header("Take it with you")
d1, d2 = st.columns(2)
with d1:
    figure_download(fig_panels, "dW_panels", "dl_dw_panels")
with d2:
    figure_download(fig_slide, "dW_sliding_dZ", "dl_dw_anim")
