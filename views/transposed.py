"""Transposed convolution: each input cell stamps a scaled kernel; output_padding; the checkerboard; a plain
correlation going back. The flip page's scatter form is this layer's forward."""

import numpy as np
import streamlit as st

import convcore
from ui import charts, compute, limits, presets, transposed_figures
from ui.controls import current_config, require_valid
from ui.tables import show_table
from ui.typed_matrix import plain
from ui.widgets import index_select

X_PRESETS = ("ones", "random integers", "single 1")

config = current_config()
st.title("Transposed convolution")
st.markdown(
    "**A transposed convolution multiplies by Cᵀ.** Each cell of its input X **stamps** a copy of the kernel, scaled "
    "by "
    "the cell's value, into the output; where stamps overlap they add up. It is a convolution's backward pass for "
    "dA_prev made into a layer of its own, the one that upsamples in decoders, segmentation networks and GANs: "
    "PyTorch's `torch.nn.functional.conv_transpose2d`."
)
require_valid(config, kernel_only=True)  # the sidebar's input is not used here: X is chosen below

W, s, p, conv, d, g = config.W, config.stride, config.pad, config.convention, config.dilation, config.groups
f_H, f_W, cg_in, n_C = W.shape
n_C_prev = cg_in * g
st.caption(
    f"The kernel, stride ({s}), padding ({p}), dilation ({d}), groups ({g}) and convention come from the sidebar: the "
    f"transposed convolution takes **the convolution's own weight** W, shape ({f_H}, {f_W}, {cg_in}, {n_C}), as "
    f"PyTorch's conv_transpose2d takes the conv2d weight tensor as it is. Its input X has the convolution's {n_C} "
    f"output channel(s), its output Y the convolution's {n_C_prev} input channel(s). X and output_padding are chosen "
    "here; the sidebar's input is not used."
)

c = st.columns([1, 1, 2, 2, 2, 2])
with c[0]:
    x_h = int(st.number_input("X height", 1, limits.MAX_TRANSPOSE_INPUT, 3, key="tx_h", bind="query-params"))
with c[1]:
    x_w = int(st.number_input("X width", 1, limits.MAX_TRANSPOSE_INPUT, 3, key="tx_w", bind="query-params"))
with c[2]:
    preset = st.selectbox(
        "X values",
        X_PRESETS,
        key="tx_x",
        bind="query-params",
        help="'single 1' puts a 1 in the middle of X: the output is then one copy of the kernel.",
    )
with c[3]:
    op = int(
        st.number_input(
            "output_padding",
            0,
            limits.MAX_OUTPUT_PADDING,
            0,
            key="tx_op",
            bind="query-params",
            help="Rows and columns added at the bottom and right of the output; PyTorch allows 0 up to "
            "max(stride, dilation) - 1. Section 2 says why it exists.",
        )
    )
with c[4]:
    dy_preset = st.selectbox(
        "Upstream gradient dY",
        ("random integers", "ones"),
        key="tx_dy",
        bind="query-params",
        help="The gradient arriving at Y, for the backward pass (section 4).",
    )
with c[5]:
    k = index_select("Output channel shown", n_C_prev, "cin_shown")
X = presets.make_dz(preset, x_h, x_w, n_C, config.seed, (x_h // 2, x_w // 2, 0))  # (n_H, n_W, n_C)
b = np.zeros(n_C_prev)

if op >= max(s, d):
    st.error(
        f"output_padding must be smaller than the stride or the dilation (here max({s}, {d}) = {max(s, d)}), as "
        "PyTorch's "
        f"conv_transpose2d requires: it only chooses among the {s} output size(s) that a stride-{s} convolution "
        "sends to "
        "the same size. Lower it, or raise the stride in the sidebar.",
        icon=":material/block:",
    )
    st.stop()
try:
    _, L_H, L_W, _ = convcore.conv_transpose_output_shape((1, x_h, x_w, n_C), W.shape, s, p, op, d, g)
except ValueError as exc:
    # plain: the message's arithmetic has "*" that Markdown would read as italics ("(3 - 1)*1 - 2*3" lost both)
    st.error(plain(f"This transposed convolution has no output: {exc}."), icon=":material/block:")
    st.stop()

layer = (s, p, op, conv)
t = compute.transposed(X, W, b, *layer, d, g)
dY = presets.make_dz(dy_preset, L_H, L_W, n_C_prev, config.seed)  # (L_H, L_W, n_C_prev)
res = compute.transposed_check(X, W, b, dY, *layer, d, g)

st.header("1. Each input cell stamps the kernel")
st.markdown(
    f"For each cell (h, w) of X, in the order of the course's loops: `Y_pad[window] += W · X[h, w]`, the window "
    f"starting at row {s}·h and column {s}·w"
    + (f", its taps {d} apart" if d > 1 else "")
    + f"; then {p} row(s) and column(s) of padding are cropped from every side. The kernel is used as it is: "
    "**no flip**."
)
charts.show(compute.transposed_figure(X, W, b, *layer, k, d, g), width="stretch", key="tx_stamp")
if (shown := transposed_figures.stamp_steps(t)) < len(t.steps):
    st.caption(
        f"The animation steps through the first {shown} of the {len(t.steps)} cells of X; the output is complete."
    )
st.caption(
    "▶ plays in your browser; ◀ step / step ▶ and the slider move one stamp at a time. Left: X (the cell being "
    "stamped outlined), middle: its stamp, right: the running total with the stamp's window outlined; grey cells are "
    "cropped at the end."
)
charts.show(compute.transposed_output_figure(X, W, b, *layer, d, g), width="stretch", key="tx_output")
st.caption(f"The output Y: {L_H} x {L_W}, {n_C_prev} channel(s), the padding cropped.")
if res["scatter"] is not None:
    gap = float(np.abs(res["scatter"] - res["Y"]).max())
    st.success(
        "**The flip page's scatter form is this layer's forward.** With X in dZ's place, the convolution's dA_prev "
        "for "
        f"an input of {L_H} x {L_W} is this Y: largest difference {gap:.2g}.",
        icon=":material/check_circle:",
    )
    st.page_link("views/flip.py", label="The scatter form, on the flip page", icon=":material/flip:")
else:
    st.info(
        f"output_padding {op} reaches the stride ({s}): allowed below the dilation ({d}), but then a convolution of "
        f"Y's size has more outputs than X has cells, so this Y is not a convolution's dA_prev for that size.",
        icon=":material/info:",
    )

st.header("2. The output size, and why output_padding exists")
st.latex(r"L = (n - 1)\,s - 2p + d\,(f - 1) + \text{output\_padding} + 1")
st.latex(rf"L_H = ({x_h} - 1)\cdot{s} - 2\cdot{p} + {d}\cdot({f_H} - 1) + {op} + 1 = {L_H}")
st.latex(rf"L_W = ({x_w} - 1)\cdot{s} - 2\cdot{p} + {d}\cdot({f_W} - 1) + {op} + 1 = {L_W}")
st.markdown(
    "The same formula as PyTorch's `ConvTranspose2d`. A convolution **floors**: "
    r"$n = 1 + \lfloor (L + 2p - d(f - 1) - 1) / s \rfloor$, so with stride s, **s different input sizes give the same "
    "output size**. Going back, the size is ambiguous; `output_padding` picks one of them, adding rows and columns "
    "at the "
    "bottom and right that the stamps may not reach. PyTorch requires it below max(stride, dilation)."
)
sizes = compute.transposed_sizes(x_h, x_w, f_H, f_W, s, p, d)
if sizes:
    show_table(sizes, alt="Each allowed output_padding, the output size it gives, and the convolution's size back.")
    st.caption(
        f"Each output_padding PyTorch allows here, the output size it gives, and what a convolution with the same "
        f"kernel, stride and padding makes of that size: {x_h} x {x_w} back, X's size"
        + (
            ", while output_padding reaches the stride it gives a larger one (allowed below the dilation)."
            if d > s
            else "."
        )
        + (" At stride 1 there is nothing to choose: only 0." if s == 1 and d == 1 else "")
    )

st.header("3. The checkerboard: kernel 3 vs kernel 4 at stride 2")
st.markdown(
    "Stamp X filled with ones using a kernel of ones and each output cell counts the stamps that reach it. With kernel "
    "3 at stride 2 neighbouring stamps overlap on every other row and column: the counts run 1, 2, 1, 2 along an axis "
    "and multiply to 1, 2, 4 in two dimensions, **a checkerboard**, built into the layer before any weight is learned. "
    "Kernel 4 at stride 2 overlaps evenly: every inner cell gets 4 stamps. The rule: the overlap is even when the "
    "stride divides the kernel's extent."
)
charts.show(compute.checkerboard_figure((x_h, x_w), (f_H, f_W), s, p, op, d), width="stretch", key="tx_checkerboard")
e_H, e_W = d * (f_H - 1) + 1, d * (f_W - 1) + 1
even = e_H % s == 0 and e_W % s == 0
st.caption(
    f"Stamps per output cell, with X of {x_h} x {x_w}: kernel 3 and kernel 4 at stride 2 without padding, and this "
    f"layer (extent {e_H} x {e_W}, stride {s}: "
    + (
        "the stride divides it, the inner cells are covered evenly)."
        if even
        else "the stride does not divide it: uneven)."
    )
    + " The numbers are written on the cells. See *Deconvolution and Checkerboard Artifacts* (Odena, Dumoulin and "
    "Olah, "
    "Distill 2016)."
)
st.markdown("[Deconvolution and Checkerboard Artifacts, on distill.pub](https://distill.pub/2016/deconv-checkerboard/)")

st.header("4. Its backward pass: a plain correlation, no flip")
st.markdown(
    "Going back, each cell of X collects the output cells its stamp reached, each through the weight that reached it: "
    "dX[h, w, c] = Σ dY_pad[s·h + d·u, s·w + d·v] · W[u, v, ·, c]. That is the **convolution's forward pass** of dY "
    "with W, as it is: **no flip**. The mirror of the convolution's story: a convolution's backward pass is a "
    "transposed "
    "convolution (written as a correlation, it needs the kernel rotated); a transposed convolution's backward pass "
    "is a "
    "convolution, with nothing rotated. Forward by Cᵀ, backward by (Cᵀ)ᵀ = C."
)
charts.show(compute.transposed_backward_figure(X, W, b, dY, *layer, k, d, g), width="stretch", key="tx_backward")
diff = float(np.abs(res["dX"] - res["correlation"]).max())
m1, m2 = st.columns(2)
m1.metric("largest |dX − dY ⋆ W|", f"{diff:.3g}", help="dY ⋆ W: the convolution's forward pass, W not rotated")
m2.metric("db (sum of dY per channel)", ", ".join(f"{v:g}" for v in res["db"]))
st.caption(
    f"dY{f'[:, :, {k}]' if n_C_prev > 1 else ''}, then dX channel by channel, then the convolution of dY with W "
    f"(channel 0): the same numbers. dW has W's shape ({f_H}, {f_W}, {cg_in}, {n_C}): X correlated with dY, whose "
    "entries it reads s apart."
)

with st.expander("Where this comes from"):
    st.markdown(
        "- PyTorch, [torch.nn.functional.conv_transpose2d](https://pytorch.org/docs/stable/generated/"
        "torch.nn.functional.conv_transpose2d.html) and [ConvTranspose2d](https://pytorch.org/docs/stable/generated/"
        "torch.nn.ConvTranspose2d.html): the arguments, the output size and the note on output_padding.\n"
        "- *Dive into Deep Learning*, [Transposed Convolution](https://d2l.ai/chapter_computer-vision/"
        "transposed-conv.html): the stamping loop `Y[i: i + h, j: j + w] += X[i, j] * K`.\n"
        "- V. Dumoulin and F. Visin, *A guide to convolution arithmetic for deep learning*, chapter 4 "
        "([arXiv:1603.07285](https://arxiv.org/abs/1603.07285)).\n"
        "- A. Odena, V. Dumoulin and C. Olah, [Deconvolution and Checkerboard Artifacts](https://distill.pub/2016/"
        "deconv-checkerboard/), Distill, 2016."
    )
    st.page_link("views/matrix.py", label="The matrix view: C and Cᵀ", icon=":material/table_chart:")
