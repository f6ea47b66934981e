"""Forward pass: the window slides over the padded input; each output cell is sum(patch * W) + b."""

import streamlit as st

from ui import charts, compute, forward_figures
from ui.controls import current_config, require_valid
from ui.widgets import index_select

config = current_config()
st.title("Forward: the sliding window")
st.caption(
    "Each output cell is the element-wise product of one window of the padded input with the kernel, summed "
    "over the window and every input channel, plus the bias. Grey cells are padding."
)
require_valid(config)

A, W, s, p, d, g = config.A_prev, config.W, config.stride, config.pad, config.dilation, config.groups
t = compute.forward(A, W, config.b, s, p, config.convention, d, g)
(n_H_prev, n_W_prev, n_C_prev), (f_H, f_W, _, n_C) = A.shape, W.shape
n_H, n_W = t.Z.shape[:2]
e_H, e_W = t.extent_hw

if d == 1:
    st.latex(
        rf"n_H = 1 + \left\lfloor \frac{{n_{{H,prev}} + 2p - f_H}}{{s}} \right\rfloor"
        rf" = 1 + \left\lfloor \frac{{{n_H_prev} + 2\cdot{p} - {f_H}}}{{{s}}} \right\rfloor = {n_H}"
        rf"\qquad n_W = 1 + \left\lfloor \frac{{{n_W_prev} + 2\cdot{p} - {f_W}}}{{{s}}} \right\rfloor = {n_W}"
    )
else:
    st.latex(
        rf"n_H = 1 + \left\lfloor \frac{{n_{{H,prev}} + 2p - d\,(f_H - 1) - 1}}{{s}} \right\rfloor"
        rf" = 1 + \left\lfloor \frac{{{n_H_prev} + 2\cdot{p} - {d}\cdot{f_H - 1} - 1}}{{{s}}} \right\rfloor"
        rf" = {n_H}\qquad n_W = 1 + \left\lfloor \frac{{{n_W_prev} + 2\cdot{p} - {d}\cdot{f_W - 1} - 1}}{{{s}}}"
        rf" \right\rfloor = {n_W}"
    )
    st.markdown(
        f"**Dilation {d}**: the kernel's {f_H} x {f_W} taps sit {d} cells apart, so the window spans "
        f"d·(f - 1) + 1 = **{e_H} x {e_W}** cells of the padded input; the {d - 1} cell(s) between two taps "
        "(the holes) are skipped, not multiplied. The window is drawn as its taps only."
    )
skip_h, skip_w = (n_H_prev + 2 * p - e_H) % s, (n_W_prev + 2 * p - e_W) % s
if skip_h or skip_w:
    st.warning(
        f"The stride does not divide the padded input: {skip_h} row(s) at the bottom and {skip_w} column(s) at the "
        f"right are never visited by any window (crossed cells). Their gradient will be 0.",
        icon=":material/content_cut:",
    )
if config.convention == "convolution":
    st.info(
        "True convolution: the forward pass correlates with **rot180(W)**, which is what the kernel panels show. "
        "On the backward page the flip then moves: the full-correlation form uses W unrotated.",
        icon=":material/sync:",
    )

k = index_select("Filter shown", n_C, "filter")
if g > 1:
    feeds = t.in_channels(k)
    chans = f"channel {feeds.start}" if len(feeds) == 1 else f"channels {feeds.start} to {feeds.stop - 1}"
    depthwise = " (depthwise: one input channel per group)" if g == n_C_prev else ""
    st.markdown(
        f"**Groups = {g}**{depthwise}: the {n_C_prev} input channels are split into {g} blocks of {n_C_prev // g}, "
        f"the {n_C} filters into {g} blocks of {n_C // g}, and block k of filters reads only block k of channels. "
        f"Filter {k} is in group {k // (n_C // g)}, so it reads input {chans} only; the greyed-out rows below are "
        f"never read by it, and its kernel has {n_C_prev // g} channel(s), not {n_C_prev}: "
        f"W has shape ({f_H}, {f_W}, {n_C_prev // g}, {n_C})."
    )
fig = compute.forward_figure(A, W, config.b, s, p, config.convention, k, d, g)
charts.show(fig, width="stretch", key="forward_anim")
if (shown := forward_figures.animated_steps(t, k)) < len(t.steps):
    st.caption(
        f"The animation steps through the first {shown} of the {len(t.steps)} windows (so many taps would make the "
        "page slow to load); the output map below is complete."
    )
st.caption(
    "▶ plays in your browser (three speeds); ◀ step / step ▶ and the slider move one window at a time. "
    "Kernel cells are coloured by position, so each weight keeps its colour on the other pages."
)
if n_C_prev > 1 and g == 1:
    st.markdown(
        f"The window spans all **{n_C_prev} input channels**: each row above is one channel; their sums add into "
        "one output cell (the title lists them)."
    )
elif n_C_prev // g > 1:
    st.markdown(
        f"The window spans the **{n_C_prev // g} input channels of the filter's group**: their sums add into one "
        "output cell (the title lists them)."
    )

st.header("Output: one map per filter" if n_C > 1 else "Output")
charts.show(
    compute.output_maps_figure(A, W, config.b, s, p, config.convention, d, g), width="stretch", key="forward_maps"
)
