"""Is the kernel flipped? dA_prev computed two ways, side by side, proven equal."""

import numpy as np
import streamlit as st

from convcore.export import numpy_torch_script
from ui import charts, compute, flip_figures, presets
from ui.controls import current_config, require_valid
from ui.figures import fmt
from ui.tables import show_table
from ui.widgets import dz_control, figure_download, index_select, pick_chart, stage_pick

config = current_config()
st.title("Is the kernel flipped? dA_prev two ways")
st.markdown(
    "**The scatter form iterates over outputs and needs no flip; the convolution form iterates over inputs "
    "and does.** Both compute the same sum in a different order, so they give the same numbers."
)
require_valid(config)

A, W, s, p, conv = config.A_prev, config.W, config.stride, config.pad, config.convention
d, g = config.dilation, config.groups
fwd = compute.forward(A, W, config.b, s, p, conv, d, g)
n_H, n_W, n_C = fwd.Z.shape
n_C_prev = A.shape[2]
dZ = dz_control(n_H, n_W, n_C, config.seed)
c_in = index_select("Input channel shown", n_C_prev, "cin_shown")

sc = compute.scatter(A.shape, W, dZ, s, p, conv, d, g)
rt = compute.rot180(A.shape, W, dZ, s, p, conv, d, g)
res = compute.backward_all(A, W, dZ, s, p, conv, d, g)

st.header("1. Scatter form (the course's loop)")
st.markdown(
    "For each dZ cell, in the order of the course's loops: `dA_prev_pad[window] += W * dZ[h, w]`, then crop the "
    "padding. The kernel is used as it is: **no flip**."
)
fig_sc = compute.scatter_figure(A.shape, W, dZ, s, p, conv, c_in, d, g)
charts.show(fig_sc, width="stretch", key="scatter_anim")
if (shown := flip_figures.scatter_steps(sc)) < len(sc.steps):
    st.caption(
        f"The animation steps through the first {shown} of the {len(sc.steps)} dZ cells; the verdict is complete."
    )
if d > 1:
    st.caption(
        f"Dilation {d}: each window's taps sit {d} apart, so the kernel is stamped with holes (the outlined cells); "
        "the cells in between get nothing from this window."
    )
if g > 1:
    filters = sc.out_channels(c_in)
    st.caption(
        f"Groups = {g}: input channel {c_in} is read only by the filters of its group "
        f"({', '.join(map(str, filters))}), so only their dZ channels reach it."
    )

st.header("2. Rot180 form (full correlation)")
kernel_word = (
    "rot180(W)" if conv == "correlation" else "rot180(rot180(W)) = W, since the forward pass already rotated it"
)
st.markdown(
    f"dZ is dilated by the stride (crossed cells are the inserted zeros) and padded by "
    f"{'f - 1' if d == 1 else 'the dilated extent minus one, d·(f - 1)'} (grey), then correlated "
    f"with **{kernel_word}**; crop the padding. Each weight keeps its colour from the forward page: here the colours "
    "run in **reverse order**. That is the flip."
)
if d > 1:
    st.markdown(
        f"**Dilation {d}: the rotated kernel keeps its holes.** Rotating the dilated kernel 180 degrees moves each "
        f"tap, not the holes between them, so the full correlation still reads dZ_full at cells {d} apart (padded by "
        f"the dilated extent minus one, {rt.offset[0]} here); the kernel panel is drawn dilated, its holes crossed."
    )
fig_rt = compute.rot180_figure(A.shape, W, dZ, s, p, conv, c_in, d, g)
charts.show(fig_rt, width="stretch", key="rot180_anim")
if (shown := flip_figures.rot180_steps(rt, c_in)) < len(rt.steps):
    st.caption(
        f"The animation steps through the first {shown} of the {len(rt.steps)} cells (so many taps would make the "
        "page slow to load); the verdict below compares every cell."
    )
if n_C > 1 and g == 1:
    st.caption(
        f"{n_C} output channels: dA_prev[..., c_in] sums over c_out. In the rot180 form the kernel's channel axes "
        f"are swapped, W_rot[:, :, c_out, c_in], one row per output channel on the right."
    )
elif g > 1:
    st.caption(
        f"Groups = {g}: the channel swap happens inside each group (the full C_in x C_out channel matrix is "
        f"block-diagonal), so dA_prev[..., {c_in}] sums over the {len(rt.out_channels(c_in))} filter(s) of its group "
        "only, one row each on the right."
    )

st.header("The verdict")
diff_forms = float(np.abs(res["scatter"] - res["rot180"]).max())
diff_wrong = float(np.abs(res["unrotated"] - res["scatter"]).max())
diff_torch = float(np.abs(res["transposed"] - res["scatter"]).max())
m1, m2, m3 = st.columns(3)
m1.metric("largest |scatter - rot180|", f"{diff_forms:.3g}", help="0 up to floating-point rounding")
m2.metric("largest |without rotation - right|", f"{diff_wrong:.3g}")
m3.metric("largest |conv_transpose2d(dZ, W) - scatter|", f"{diff_torch:.3g}", help="0 up to floating-point rounding")
r_H, r_W = res["output_padding"]
op_text = f"{r_H}" if r_H == r_W else f"({r_H}, {r_W})"
st.markdown(
    "The four lines of the verdict:\n"
    "1. **Scatter** (the course's loop): loops over dZ and adds W · dZ[h, w] into each window. No flip.\n"
    "2. **Rot180**: loops over the input; dZ dilated and padded, correlated with the kernel rotated 180 degrees.\n"
    "3. **Without the rotation**: the same correlation with the kernel as it is. Wrong (the last panel below).\n"
    f"4. **conv_transpose2d(dZ, W): what PyTorch calls it.** The scatter form as a layer of its own: the same W as "
    f"the forward pass, not rotated by hand, the same stride ({s}), padding ({p}), dilation ({d}) and groups ({g}), "
    f"plus output_padding = {op_text}, the rows and columns a non-dividing stride never visits, so that the output "
    f"has the input's size. `torch.nn.grad.conv2d_input` is exactly this call. Largest difference from the scatter "
    f"form: {diff_torch:.2g}."
)
tolerance = 1e-9 * max(1.0, float(np.abs(res["scatter"]).max()))
if max(diff_forms, diff_torch) <= tolerance:
    st.success(
        f"The two forms agree, and conv_transpose2d(dZ, W) with them: largest difference "
        f"{max(diff_forms, diff_torch):.2g} (floating-point rounding).",
        icon=":material/check_circle:",
    )
else:
    st.error(
        f"The forms differ by {max(diff_forms, diff_torch):.3g}: this is a bug, please report it.",
        icon=":material/bug_report:",
    )
fig_v = compute.verdict_figure(A, W, dZ, s, p, conv, c_in, d, g)
verdict_slot = st.empty()  # drawn once the cell below is known, with that cell outlined
st.caption(
    "dA_prev by the scatter form, by the rot180 form, without the rotation, and the difference of the wrong one from "
    "the right one. Click a cell to write its gradient out below. The matrix view adds Cᵀ·dZ and "
    "conv_transpose2d(dZ, W) to the same comparison."
)
c_links = st.columns(2)
with c_links[0]:
    st.page_link("views/matrix.py", label="The matrix view: the flip in a row of Cᵀ", icon=":material/table_chart:")
with c_links[1]:
    st.page_link("views/transposed.py", label="The transposed convolution as a layer", icon=":material/open_in_full:")
if presets.is_rot180_symmetric(fwd.K):
    st.info(
        "This kernel is 180-degree symmetric: rotating it changes nothing, so here the flip is invisible and the "
        "'without rotation' result is right by accident. Choose the **asymmetric 1..n** kernel in the sidebar to see "
        "the difference.",
        icon=":material/flip:",
    )
elif diff_wrong == 0:
    st.info(
        "With this dZ the missing rotation happens not to change the result; try another dZ.", icon=":material/info:"
    )

st.header("One input cell's gradient, written out")
st.caption("Pick the cell by clicking it in the verdict above, or type its row and column in the padded input.")
H_p, W_p = sc.dA_pad.shape[:2]
a, b_, _ = st.columns([1, 1, 2])
with a:
    y = st.number_input("padded row", 0, H_p - 1, min(p + 1, H_p - 1), key="cell_y", bind="query-params")
with b_:
    x = st.number_input("padded col", 0, W_p - 1, min(p + 1, W_p - 1), key="cell_x", bind="query-params")
with verdict_slot.container():
    pick = pick_chart(flip_figures.verdict_picked(fig_v, (int(y), int(x)), p, A.shape[:2]), "verdict")
if pick is not None and 0 <= pick[1] < A.shape[0] and 0 <= pick[0] < A.shape[1]:  # a cell of dA_prev: unpadded
    stage_pick({"cell_y": pick[1] + p, "cell_x": pick[0] + p}, {"cell_y": int(y), "cell_x": int(x)})
terms = compute.cell_terms(fwd.K, dZ, s, int(y), int(x), c_in, d, g)
where = (
    "a padding cell (cropped away)"
    if not (p <= y < H_p - p and p <= x < W_p - p)
    else (f"input cell ({int(y) - p}, {int(x) - p})")
)
if not terms:
    why = "no window covers it" if d == 1 else "no window's tap lands on it (it falls in the holes)"
    st.markdown(f"Padded cell ({int(y)}, {int(x)}) is {where}: {why}, so its gradient is 0.")
else:
    tap = "" if d == 1 else f" (a tap at s·h + {d}·u = row)"
    st.markdown(
        f"Padded cell ({int(y)}, {int(x)}), {where}, channel {c_in}: the windows that covered it{tap}, in the order of "
        "the dZ cells. As h and w grow, the kernel index (u, v) **falls**: read in input order, the kernel runs "
        "backwards."
    )
    table = [
        {
            "dZ cell (h, w, c_out)": f"({t.h}, {t.w}, {t.c_out})",
            "dZ": t.dz,
            "kernel (u, v)": f"({t.u}, {t.v})",
            "in rot180 at": f"({t.ru}, {t.rv})",
            "weight": t.weight,
            "dZ · weight": t.value,
        }
        for t in terms
    ]
    show_table(table, alt=f"The terms of dA_prev_pad[{int(y)}, {int(x)}, {c_in}], one row per dZ cell that reaches it.")
    total = sum(t.value for t in terms)
    st.markdown(
        f"Sum: {' + '.join(fmt(t.value) for t in terms)} = **{fmt(total)}** "
        f"= dA_prev_pad[{int(y)}, {int(x)}, {c_in}] = {fmt(sc.dA_pad[int(y), int(x), c_in])}"
    )

st.header("Take it with you")
d1, d2, d3 = st.columns(3)
with d1:
    st.download_button(
        "Runnable NumPy + PyTorch script",
        icon=":material/code:",
        key="dl_script",
        on_click="ignore",
        data=lambda: numpy_torch_script(A, W, config.b, dZ, s, p, conv, dilation=d, groups=g),
        file_name="conv_gradients.py",
        mime="text/x-python",
    )
with d2:
    figure_download(fig_sc, "scatter_form", "dl_scatter")
with d3:
    figure_download(fig_rt, "rot180_form", "dl_rot180")
