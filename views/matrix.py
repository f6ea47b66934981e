"""The matrix view: the convolution as a matrix C, dA_prev = Cᵀ·dZ with the flip in a row of Cᵀ, then im2col/col2im."""

import numpy as np
import streamlit as st

from ui import charts, compute, limits, matrix_figures
from ui.controls import current_config, require_valid
from ui.figures import fmt
from ui.tables import show_table
from ui.widgets import dz_control, index_select, pick_chart, stage_pick

config = current_config()
st.title("The matrix view: C and Cᵀ")
st.markdown(
    "**A convolution is a matrix.** Flatten the input into a vector **a** and the output into **z**: then "
    "z = C·a + b, where each row of C is the kernel laid out at one window and zeros everywhere else. The layer is "
    "linear in a, so its backward pass multiplies by the transpose: **dA_prev = Cᵀ·dZ**. Read one row of Cᵀ (one input "
    "cell) and the kernel comes out **reversed**: that is the flip, in the matrix itself."
)
require_valid(config)

A, W, s, p, conv = config.A_prev, config.W, config.stride, config.pad, config.convention
d, g = config.dilation, config.groups
layer = (s, p, conv)
fwd = compute.forward(A, W, config.b, *layer, d, g)
n_H, n_W, n_C = fwd.Z.shape
n_H_prev, n_W_prev, n_C_prev = A.shape
f_H, f_W = W.shape[:2]
R, Q = fwd.Z.size, A.size  # C is R x Q: one row per output cell, one column per input cell
dZ = dz_control(n_H, n_W, n_C, config.seed)
c_in = index_select("Input channel shown", n_C_prev, "cin_shown")
kname = "W" if conv == "correlation" else "rot180(W)"

st.header("1. Flatten the input and the output")
st.markdown(
    f"Both are read row by row with the channels innermost, as `A_prev[0].ravel()` does in NHWC: input cell "
    f"(y, x, k) is entry **q = (y·{n_W_prev} + x)·{n_C_prev} + k** of a, output cell (h, w, c) is entry "
    f"**r = (h·{n_W} + w)·{n_C} + c** of z. C is therefore **{R} x {Q}**: (n_H·n_W·n_C) x (n_H_prev·n_W_prev·n_C_prev)."
)
charts.show(compute.flattening_figure(A, W, config.b, *layer, d, g), width="stretch", key="mx_flat")
st.caption(
    "Each cell shows its index in the flattened vector (blue: the input A_prev, orange: the output Z); hover for its "
    "value." + (" With several channels, neighbouring indices alternate between the channels." if n_C_prev > 1 else "")
)

gm = compute.gemm_view(A, W, config.b, dZ, *layer, d, g)  # im2col, col2im and the cover count (section 5)
too_big = R * Q > limits.MAX_MATRIX_ENTRIES
if too_big:
    st.warning(
        f"C would be {R:,} x {Q:,} = {R * Q:,} entries: this page builds C up to {limits.MAX_MATRIX_ENTRIES:,} "
        "entries, almost all of them zeros. Choose a smaller input or fewer channels in the sidebar (a 6 x 6 input "
        "with "
        f"one channel and a 3 x 3 kernel makes C 16 x 36). The im2col section below still works: its patch matrix is "
        f"only {n_H * n_W:,} x {f_H * f_W * n_C_prev}.",
        icon=":material/grid_off:",
    )
else:
    v = compute.matrix_view(A, W, config.b, dZ, *layer, d, g)
    drawn = matrix_figures.drawable(R, Q)
    st.header("2. The forward pass: z = C·a + b")
    st.markdown(
        f"Row r of C is output cell r's window: the weights of {kname} sit in the columns of the input cells they "
        f"multiply, and every other entry is zero (faint). Only **{v['weights']:,} of the {R * Q:,} entries** "
        f"({100 * v['weights'] / (R * Q):.0f}%) are weights, and each weight appears once per window. Padding is "
        "folded "
        "in: a tap that lands on padding multiplies a zero, so it has no column."
    )
    st.markdown("**Follow one input cell** through both products (the outlined column of C, the outlined row of Cᵀ):")
    y0, x0 = np.unravel_index(int(np.argmax(gm["cover"])), gm["cover"].shape)  # the cell most windows reach
    c1, c2, c3, _ = st.columns([1, 1, 1, 2])
    with c1:
        y = int(st.number_input("input row y", 0, n_H_prev - 1, int(y0), key="mx_y", bind="query-params"))
    with c2:
        x = int(st.number_input("input col x", 0, n_W_prev - 1, int(x0), key="mx_x", bind="query-params"))
    with c3:
        k = (
            int(st.number_input("channel k", 0, n_C_prev - 1, 0, key="mx_k", bind="query-params"))
            if n_C_prev > 1
            else 0
        )
    q = int(np.ravel_multi_index((y, x, k), A.shape))  # its column of C, its row of Cᵀ
    q_name = f"q = {q}" + (f" (A_prev[{y}, {x}, {k}])" if n_C_prev > 1 else f" (A_prev[{y}, {x}])")
    picks = []  # a click on a column of C or a row of Cᵀ picks that input cell
    if drawn:
        pick = pick_chart(compute.matrix_forward_figure(A, W, config.b, dZ, *layer, q, d, g), "mx_forward")
        picks.append(pick[0] if pick is not None else None)  # a column of C: x
        st.caption(
            f"The strip on top is a, one entry above each column of C; each entry of z (right) is its row of C times "
            f"a, plus the bias (0 here). Kernel entries are coloured by their position in {kname}, as on the forward "
            "page (dark: the first tap, yellow: the last), so each weight keeps its colour; numbers are written "
            "when the "
            f"matrix is small enough. The outlined column is input cell {q_name}; click a weight of another column, "
            "or its entry of a, to follow that input cell."
        )
    else:
        st.info(
            f"C has {R:,} x {Q:,} = {R * Q:,} cells: too many to draw here (up to {limits.MAX_MATRIX_DRAWN:,}). The "
            "numbers below still come from it; a smaller input in the sidebar draws it.",
            icon=":material/visibility_off:",
        )

    st.header("3. The backward pass: dA_prev = Cᵀ·dZ")
    st.markdown(
        "Transpose C: row q of Cᵀ is input cell q, and it holds the weights that connect that cell to each output "
        "cell, "
        "**in the order of the output cells**. Multiply by dZ, flattened the same way, and each entry of the result is "
        "the input cell's gradient."
    )
    if drawn:
        pick = pick_chart(compute.matrix_backward_figure(A, W, config.b, dZ, *layer, q, d, g), "mx_backward")
        picks.append(pick[1] if pick is not None else None)  # a row of Cᵀ: y
        st.caption(
            f"dZ is the strip on top, one entry above each column of Cᵀ; each entry of Cᵀ·dZ (right) is its row of Cᵀ "
            f"times dZ. The outlined row is input cell {q_name}; click a weight of another row, or its entry of "
            "Cᵀ·dZ, to read that row."
        )
    for picked_q in picks:
        if picked_q is not None and 0 <= picked_q < Q:
            py, px, pk = (int(i) for i in np.unravel_index(picked_q, A.shape))
            picked, current = {"mx_y": py, "mx_x": px}, {"mx_y": y, "mx_x": x}
            if n_C_prev > 1:
                picked["mx_k"], current["mx_k"] = pk, k
            stage_pick(picked, current)
    terms = compute.cell_terms(fwd.K, dZ, s, y + p, x + p, k, d, g)
    st.markdown(f"**Row {q_name} of Cᵀ, read along:**")
    charts.show(compute.matrix_row_figure(A, W, config.b, dZ, *layer, q, q_name, d, g), width="stretch", key="mx_row")
    first = [t for t in terms if t.c_out == terms[0].c_out] if terms else []
    if len(first) > 1:
        order = ", ".join(f"{kname}[{t.u}, {t.v}]" for t in first)
        flip_note = (
            "the kernel from its last tap towards its first: **reversed**. Correlating dZ with these weights in this "
            "order is correlating it with the kernel rotated 180 degrees, the flip page's rot180 form."
            if conv == "correlation"
            else "rot180(W) read backwards, which is W in its own order: under true convolution the forward pass "
            "already rotated the kernel, so the two flips cancel."
        )
        st.markdown(
            f"Along the row, in the order of the output cells, the weights are {order}: as the output cell moves on, "
            f"the tap (u, v) that reaches the input cell **falls**: " + flip_note
        )
        st.caption(
            "The strip is the row in the order of the dZ cells, each weight labelled with its tap (u, v) when there is "
            "room and coloured by it; below, the same row laid out like the output: "
            + ("the kernel rotated 180 degrees around the cell." if s == 1 and d == 1 else "every s-th tap of it.")
        )
    elif len(first) == 1:
        st.markdown(
            f"Only one window reaches this cell, through {kname}[{first[0].u}, {first[0].v}]: pick a cell nearer the "
            "middle to see the kernel reversed."
        )
    else:
        st.markdown(
            "No window reaches this input cell (a stride larger than the kernel skips it): its row of Cᵀ is zero."
        )
    if terms:
        table = [
            {
                "output cell (h, w, c)": f"({t.h}, {t.w}, {t.c_out})",
                "column r of Cᵀ": int(np.ravel_multi_index((t.h, t.w, t.c_out), fwd.Z.shape)),
                "tap (u, v)": f"({t.u}, {t.v})",
                "weight": t.weight,
                "dZ": t.dz,
                "weight · dZ": t.value,
            }
            for t in terms
        ]
        show_table(table, alt=f"The nonzero entries of row {q} of Cᵀ, one row per output cell that input cell reaches.")
        total = sum(t.value for t in terms)
        st.markdown(f"Sum: **{fmt(total)}** = (Cᵀ·dZ)[{q}] = dA_prev[{y}, {x}, {k}] = {fmt(v['dA'][y, x, k])}")
    st.info(
        "Multiply Cᵀ by **dZ**, the gradient arriving from above, not by the output Z: the forward pass maps a to z, "
        "the backward pass maps dZ to dA_prev. Using Z is a classic slip (see *Transpose convolution math not working "
        "out* on [Data Science Stack Exchange](https://datascience.stackexchange.com/questions/37374/"
        "transpose-convolution-math-not-working-out)).",
        icon=":material/lightbulb:",
    )

    st.header("4. The verdict: four ways, one array")
    res = compute.backward_all(A, W, dZ, *layer, d, g)
    diffs = {name: float(np.abs(v["dA"] - res[name]).max()) for name in ("scatter", "rot180", "transposed")}
    m1, m2, m3 = st.columns(3)
    m1.metric("largest |Cᵀ·dZ − scatter|", f"{diffs['scatter']:.3g}")
    m2.metric("largest |Cᵀ·dZ − rot180|", f"{diffs['rot180']:.3g}")
    m3.metric("largest |Cᵀ·dZ − conv_transpose2d(dZ, W)|", f"{diffs['transposed']:.3g}")
    scale = max(1.0, float(np.abs(res["scatter"]).max()))
    if max(diffs.values()) <= 1e-9 * scale:
        st.success(
            f"Cᵀ·dZ, the scatter form, the rot180 form and conv_transpose2d(dZ, W) are the same array: largest "
            f"difference {max(diffs.values()):.2g} (floating-point rounding).",
            icon=":material/check_circle:",
        )
    else:
        st.error(
            f"The forms differ by {max(diffs.values()):.3g}: this is a bug, please report it.",
            icon=":material/bug_report:",
        )
    charts.show(
        compute.matrix_verdict_figure(A, W, config.b, dZ, *layer, c_in, d, g), width="stretch", key="mx_verdict"
    )
    op = res["output_padding"]
    st.caption(
        f"dA_prev{f'[:, :, {c_in}]' if n_C_prev > 1 else ''} four ways, on one colour scale. conv_transpose2d is "
        f"PyTorch's name for multiplying by Cᵀ: the same W, stride {s}, padding {p}, dilation {d}, groups {g}, and "
        f"output_padding {op[0] if op[0] == op[1] else op}."
    )
    st.page_link(
        "views/transposed.py", label="The transposed convolution as a layer of its own", icon=":material/open_in_full:"
    )

st.header("5. im2col: the forward pass as one matrix product")
M_rows, K_cols = gm["cols"].shape
st.markdown(
    f"Frameworks do not build C. They copy every window into one row of a **patch matrix** (im2col): "
    f"**{M_rows} x {K_cols}**, one row per output position (h, w) row by row, the row being the window's taps in "
    f"(u, v, k) order, NHWC. The kernel becomes a {K_cols} x {n_C} matrix, one column per filter"
    + (" (with groups, block-diagonal: a filter has zero weights on the other groups' channels)" if g > 1 else "")
    + ", and the whole forward pass is one matrix product (a GEMM)."
)
if matrix_figures.drawable(M_rows, K_cols + n_C):
    charts.show(compute.gemm_forward_figure(A, W, config.b, dZ, *layer, d, g), width="stretch", key="mx_gemm_forward")
    st.caption(
        "Falk's scheme: each cell of Z (bottom right) is where its row of the patch matrix (left) meets its column of "
        "the weight matrix (top). Grey cells of the patch matrix are padding; the weights are coloured by tap as above."
    )
else:
    st.info(
        f"The patch matrix has {M_rows:,} x {K_cols} cells: too many to draw here (up to {limits.MAX_MATRIX_DRAWN:,}).",
        icon=":material/visibility_off:",
    )

st.header("6. Its backward pass: the transposed product, then col2im adds the windows back")
st.markdown(
    "The backward GEMM multiplies dZ (one row per window) by the transposed weight matrix: row (h, w) of the result is "
    "what that window sends back to its taps. **col2im** then puts every row back where im2col took it from, and where "
    "windows overlap it **adds**: that sum is the scatter form's `+=`."
)
if matrix_figures.drawable(M_rows, K_cols + n_C):
    charts.show(compute.gemm_backward_figure(A, W, config.b, dZ, *layer, d, g), width="stretch", key="mx_gemm_backward")
    st.caption("Each cell of dcols (bottom right) is its row of dZ (left) times its column of Wᵀ (top).")
charts.show(compute.col2im_figure(A, W, config.b, dZ, *layer, c_in, d, g), width="stretch", key="mx_col2im")
res = compute.backward_all(A, W, dZ, *layer, d, g)
col2im_diff = float(np.abs(gm["dA"] - res["scatter"]).max())
st.caption(
    "Left: col2im(dcols), which is dA_prev (largest difference from the scatter form: "
    f"{col2im_diff:.2g}). Middle: how many windows read each input cell. Right: col2im(im2col(A_prev)) is A_prev times "
    f"that count, cell by cell (largest difference: {gm['identity_error']:.2g}): col2im adds, it does not undo im2col."
)
e_H, e_W = d * (f_H - 1) + 1, d * (f_W - 1) + 1
if s > 1 and (e_H % s or e_W % s):
    st.markdown(
        f"The stride ({s}) does not divide the kernel's extent ({e_H} x {e_W}): the cover count alternates from cell "
        "to "
        "cell. A transposed convolution spreads its input with exactly this count, and that uneven overlap is the "
        "checkerboard of upsampling layers."
    )
    st.page_link(
        "views/transposed.py", label="The checkerboard, on the transposed convolution page", icon=":material/grid_4x4:"
    )

with st.expander("Where this comes from"):
    st.markdown(
        "- V. Dumoulin and F. Visin, *A guide to convolution arithmetic for deep learning*, chapter 4: a convolution "
        "as "
        "the matrix C, its backward pass as Cᵀ ([arXiv:1603.07285](https://arxiv.org/abs/1603.07285)).\n"
        '- *Dive into Deep Learning*, Transposed Convolution, section "Connection to Matrix Transposition" '
        "([d2l.ai](https://d2l.ai/chapter_computer-vision/transposed-conv.html)): the same C for a 3 x 3 input and a "
        "2 x 2 kernel, written out.\n"
        "- The symbolic derivation page differentiates the layer with SymPy: its Jacobian is this C."
    )
    st.page_link("views/symbolic.py", label="Symbolic derivation (SymPy)", icon=":material/function:")
