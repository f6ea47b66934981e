"""Forward pass: the window slides over the padded input; each output cell is sum(patch * W) + b."""

import streamlit as st

from ui import compute
from ui.controls import current_config, require_valid
from ui.widgets import index_select

config = current_config()
st.title("Forward: the sliding window")
st.caption(
    "Each output cell is the element-wise product of one window of the padded input with the kernel, summed "
    "over the window and every input channel, plus the bias. Grey cells are padding."
)
require_valid(config)

A, W, s, p = config.A_prev, config.W, config.stride, config.pad
t = compute.forward(A, W, config.b, s, p, config.convention)
(n_H_prev, n_W_prev, n_C_prev), (f_H, f_W, _, n_C) = A.shape, W.shape
n_H, n_W = t.Z.shape[:2]

st.latex(
    rf"n_H = 1 + \left\lfloor \frac{{n_{{H,prev}} + 2p - f_H}}{{s}} \right\rfloor"
    rf" = 1 + \left\lfloor \frac{{{n_H_prev} + 2\cdot{p} - {f_H}}}{{{s}}} \right\rfloor = {n_H}"
    rf"\qquad n_W = 1 + \left\lfloor \frac{{{n_W_prev} + 2\cdot{p} - {f_W}}}{{{s}}} \right\rfloor = {n_W}"
)
skip_h, skip_w = (n_H_prev + 2 * p - f_H) % s, (n_W_prev + 2 * p - f_W) % s
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
fig = compute.forward_figure(A, W, config.b, s, p, config.convention, k)
st.plotly_chart(fig, width="stretch", key="forward_anim")
st.caption(
    "▶ plays in your browser (three speeds); ◀ step / step ▶ and the slider move one window at a time. "
    "Kernel cells are coloured by position, so each weight keeps its colour on the other pages."
)
if n_C_prev > 1:
    st.markdown(
        f"The window spans all **{n_C_prev} input channels**: each row above is one channel; their sums add into "
        "one output cell (the title lists them)."
    )

st.subheader("Output: one map per filter" if n_C > 1 else "Output")
st.plotly_chart(
    compute.output_maps_figure(A, W, config.b, s, p, config.convention), width="stretch", key="forward_maps"
)
