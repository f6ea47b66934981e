"""Symbolic derivation: SymPy differentiates the forward pass, and the flipped full correlation falls out."""

import streamlit as st

from convcore.symbolic import LIMITS
from ui import symbolic_cache as sym
from ui.controls import CONVENTION_LABELS, current_config
from ui.pick_figures import cell_outline, with_outlines
from ui.tables import show_table
from ui.typed_matrix import plain
from ui.widgets import pick_chart, stage_pick

MAX_TABLE_COLS = 24  # the whole Jacobian is drawn when it has at most this many columns (else transposed)
CONVENTION_NAMES = {v: k for k, v in CONVENTION_LABELS.items()}
LETTERS = "letters"  # the classic example's names: a b c d e, x y
PAGE_KEYS = ("sym_dim", "sym_names", "sym_n", "sym_k", "sym_stride", "sym_pad", "sym_sidebar", "sym_h", "sym_w")
PAGE_KEYS += ("sym_kh", "sym_kw", "sym_cin", "sym_cout", "sym_col", "sym_numbers", "sym_dilation", "sym_groups")

config = current_config()
st.title("Symbolic derivation (SymPy)")
st.markdown(
    "Every input, kernel entry and upstream gradient is a **symbol**. SymPy writes the forward pass out, "
    "differentiates it by the chain rule, and compares the result with a second, independent construction: the "
    "**full correlation of the upstream gradient with the reversed kernel**. Expanded, their difference is the zero "
    "polynomial, so they are equal **for every possible input**, not just for some numbers."
)
st.caption(
    f"Forward convention: **{CONVENTION_NAMES[config.convention]}**, from the sidebar "
    "(cross-correlation is what the course and every framework compute)."
)


def _num(label: str, key: str, lo: int, hi: int, default: int, help: str | None = None) -> int:
    return int(st.number_input(label, lo, hi, default, 1, key=key, bind="query-params", help=help))


def _lazy(label: str, key: str, render) -> None:
    """An expander whose content (``render()``) is built only while it is open: a large layer's LaTeX would
    otherwise be typeset by the browser even when collapsed. Opening or closing it reruns the page (cached)."""
    box = st.expander(label, key=key, on_change="rerun")
    if box.open:
        with box:
            render()


def _show(lines, what: str, per_line: int, key: str, right=None, heads=None) -> None:
    """The first SHOWN lines (or pairs of lines side by side), the others in a lazy expander."""

    def render(a, b):
        return sym.latex_lines(a, per_line) if b is None else sym.latex_pairs(a, b, per_line, heads)

    shown = SHOWN if len(lines) > SHOWN + 2 else len(lines)  # no expander for one or two more lines
    st.latex(render(lines[:shown], right[:shown] if right is not None else None))
    if len(lines) > shown:
        rest = (lines[shown:], right[shown:] if right is not None else None)
        _lazy(f"The other {len(lines) - shown} {what}", key, lambda: st.latex(render(*rest)))


# ----------------------------------------------------------------------------------------------- the layer
dim = st.radio("Dimension", ["1D", "2D"], key="sym_dim", bind="query-params", horizontal=True)
if dim == "1D":
    c = st.columns([2, 1, 1, 1, 1, 1])
    with c[0]:
        names = st.radio(
            "Names",
            [LETTERS, "indexed"],
            key="sym_names",
            bind="query-params",
            horizontal=True,
            help="Letters: the names of the classic example [a b c d e] * [x y]: input a b c d e ..., kernel x y (z), "
            "upstream gradient f g h i ... (up to a kernel of 3 and 23 letters in all). Indexed: x_i, w_u, δ_h, "
            "for any size.",
        )
    with c[1]:
        n = _num("input length n", "sym_n", 1, LIMITS["n_in_1d"], 5)
    with c[2]:
        k = _num("kernel length k", "sym_k", 1, LIMITS["n_k_1d"], 2)
    with c[3]:
        stride = _num("stride", "sym_stride", 1, LIMITS["stride"], 1)
    with c[4]:
        pad = _num("padding", "sym_pad", 0, LIMITS["pad"], 0)
    with c[5]:
        dilation = _num("dilation", "sym_dilation", 1, LIMITS["dilation"], 1, "the kernel's taps sit this far apart")
    layer = sym.Layer(
        1,
        (n,),
        (k,),
        stride,
        pad,
        1,
        1,
        config.convention,
        "seed" if names == LETTERS else "indexed",  # convcore.symbolic calls the letters names="seed"
        dilation,
    )
    if layer.names == "seed" and (n, k, stride, pad) == (5, 2, 1, 0):
        st.caption(
            "The classic example, from the Cross Validated question *Is it really necessary to flip the kernel in a "
            "conv-net*: input L = [a b c d e], filter [x y], output Q = [ax+by, bx+cy, ...]. Its answer: "
            "dQ/dc = [0 y x 0], the kernel reversed, so dE/dc = gy + hx."
        )
else:
    from_sidebar = st.toggle(
        "Use the sidebar's layer",
        value=True,
        key="sym_sidebar",
        bind="query-params",
        help="Derive the layer the other pages show (sizes, stride, padding, channels) when it is within SymPy's "
        "limits here; off: choose the sizes on this page.",
    )
    layer, note = sym.sidebar_layer(config) if from_sidebar else (None, "")
    if layer is not None:
        st.caption(f"Deriving {note}: {layer.describe()}. Switch the toggle off to choose the sizes here.")
    else:
        if from_sidebar:
            st.info(f"Choose the sizes here: {note}.", icon=":material/info:")
        c = st.columns(10)
        with c[0]:
            H = _num("H", "sym_h", 1, LIMITS["in_2d"], 4, "input height")
        with c[1]:
            W = _num("W", "sym_w", 1, LIMITS["in_2d"], 4, "input width")
        with c[2]:
            kH = _num("f_H", "sym_kh", 1, LIMITS["k_2d"], 3, "kernel height")
        with c[3]:
            kW = _num("f_W", "sym_kw", 1, LIMITS["k_2d"], 3, "kernel width")
        with c[4]:
            stride = _num("stride", "sym_stride", 1, LIMITS["stride"], 1)
        with c[5]:
            pad = _num("padding", "sym_pad", 0, LIMITS["pad"], 0)
        with c[6]:
            c_in = _num("C_in", "sym_cin", 1, LIMITS["channels"], 1, "input channels")
        with c[7]:
            c_out = _num("C_out", "sym_cout", 1, LIMITS["channels"], 1, "output channels (filters)")
        with c[8]:
            dilation = _num(
                "dilation", "sym_dilation", 1, LIMITS["dilation"], 1, "the kernel's taps sit this far apart"
            )
        with c[9]:
            both = [str(g) for g in range(1, min(c_in, c_out) + 1) if c_in % g == 0 and c_out % g == 0]
            groups = int(st.selectbox("groups", both, key="sym_groups", bind="query-params")) if len(both) > 1 else 1
        layer = sym.Layer(2, (H, W), (kH, kW), stride, pad, c_in, c_out, config.convention, "indexed", dilation, groups)

with st.spinner("SymPy is deriving the gradients...", show_time=True):
    try:
        r = sym.derivation(*layer.key)
        view = sym.latex_view(*layer.key)
    except ValueError as exc:
        why = (
            "the letters run out: the kernel has x, y and z, the input and the upstream gradient share a to w. "
            "Choose **indexed** names above"
            if "names='seed'" in str(exc)  # convcore's name for the letters, not for a reader
            else plain(str(exc))  # shown as it is: a core message's arithmetic is not Markdown
        )
        st.error(f"SymPy cannot derive this layer: {why}.", icon=":material/block:")
        st.stop()

letters = layer.names == "seed"
X, Z = ("L", "Q") if letters else ("x", "z")
multi = layer.n_c_in * layer.n_c_out > 1
ONE, TWO = (6, 3) if multi else (8, 4)  # terms per line: one column of lines, two side by side
SHOWN = 4 if multi else 6  # lines shown before "the other N" (2D layers have dozens); read by _show
PX = 62 if multi else 42  # estimated width of a matrix entry


def _blocks(text: str, cols: int) -> str:
    return sym.latex_blocks(text, cols, PX)


def _px(entries: int) -> int:
    """Estimated width of a 1D array ``name = [...]`` of ``entries`` entries, for :func:`sym.latex_row`."""
    return 70 + 36 * entries


if config.convention == "convolution":
    st.info(
        "True convolution: the forward pass multiplies by the kernel **reversed**. The backward full correlation "
        "reverses it once more, so there ŵ is w **as written**: the two flips cancel.",
        icon=":material/sync:",
    )

# ----------------------------------------------------------------------------------------------- forward
st.header("1. The forward pass, written out")
s, p, dil = layer.stride, layer.pad, layer.dilation


def _span(k_len: int) -> str:
    """The kernel's extent in the size formula: ``k`` undilated, ``d (k - 1) - 1`` written out when dilated."""
    return f"{k_len}" if dil == 1 else f"{dil} \\cdot {k_len - 1} - 1"


if layer.ndim == 1:
    (n_in,), (k_len,), (n_out,) = layer.in_shape, layer.k_shape, r.out_shape
    general = "n + 2p - k" if dil == 1 else "n + 2p - d (k - 1) - 1"
    size = (
        f"n_{{out}} = 1 + \\left\\lfloor \\frac{{{general}}}{{s}} \\right\\rfloor "
        f"= 1 + \\left\\lfloor \\frac{{{n_in} + 2 \\cdot {p} - {_span(k_len)}}}{{{s}}} \\right\\rfloor = {n_out}"
    )
    st.latex(sym.latex_row([(view.x, _px(n_in)), (view.w, _px(k_len)), (size, 420)]))
else:
    st.latex(_blocks(view.x, layer.in_shape[1]))
    st.latex(_blocks(view.w, layer.k_shape[1]) + f" \\qquad {r.latex_array('b')}")
    (H_, W_), (kH_, kW_), (nH, nW) = layer.in_shape, layer.k_shape, r.out_shape
    st.latex(
        f"n_H = 1 + \\left\\lfloor \\frac{{{H_} + 2 \\cdot {p} - {_span(kH_)}}}{{{s}}} \\right\\rfloor = {nH} \\qquad "
        f"n_W = 1 + \\left\\lfloor \\frac{{{W_} + 2 \\cdot {p} - {_span(kW_)}}}{{{s}}} \\right\\rfloor = {nW}"
    )
if dil > 1:
    st.caption(
        f"Dilation {dil}: output h multiplies the kernel's taps with the inputs at s·h + {dil}·u, {dil} apart; the "
        "inputs in between (the holes) are skipped."
    )
if layer.groups > 1:
    st.caption(
        f"Groups {layer.groups}: filter c reads only the {layer.n_c_in // layer.groups} input channel(s) of its group, "
        f"so w has {layer.n_c_in // layer.groups} input channel(s), not {layer.n_c_in}."
    )
_show(list(view.forward), "outputs", ONE, "sym_more_z")

# ----------------------------------------------------------------------------------------------- jacobian
st.header("2. The Jacobian: which outputs each input reaches")
st.markdown(
    "This Jacobian is the convolution matrix **C** of the matrix view: rows are the outputs, columns the inputs, both "
    "flattened row by row (channels innermost), and z = C·x + b. The backward pass multiplies by its transpose, so an "
    "input's gradient is its column here, read against the upstream gradient."
)
st.page_link("views/matrix.py", label="The matrix view: C and Cᵀ", icon=":material/table_chart:")
labels = sym.input_labels(layer)
if layer.ndim == 1:
    default = min(2, len(labels) - 1)
else:
    i0, j0 = min(1, layer.in_shape[0] - 1), min(1, layer.in_shape[1] - 1)
    default = (i0 * layer.in_shape[1] + j0) * layer.n_c_in
# the options are the names themselves: the URL (and the sidebar's share link) carry the name, e.g. sym_col=c
chosen = st.selectbox("Input whose column is highlighted", labels, index=default, key="sym_col", bind="query-params")
col = labels.index(chosen) if chosen in labels else default
jac_fig = with_outlines(sym.jacobian_figure(*layer.key), [cell_outline(col, 0, h=view.n_outputs)])
pick = pick_chart(jac_fig, "sym_jacobian")
if pick is not None and 0 <= pick[0] < len(labels):  # a click reports the entry's column: its input
    stage_pick({"sym_col": labels[pick[0]]}, {"sym_col": labels[col]})
st.caption(
    "Each entry is the kernel entry that connects an output (row) to an input (column), coloured by its position in "
    f"the kernel as on the other pages; blank: 0. The outlined column is input {labels[col]}: click an entry to follow "
    "another input (or choose it above)."
)
jac = sym.jacobian_view(*layer.key, col)
transpose = view.n_inputs > MAX_TABLE_COLS
if not transpose or view.n_outputs <= MAX_TABLE_COLS:
    rows_are = f"inputs {X}; columns: outputs {Z}" if transpose else f"outputs {Z}; columns: inputs {X}"
    caption = (
        f"Rows: {rows_are}; each entry is d{Z}[output] / d{X}[input]. "
        + ("The highlighted row" if transpose else "The highlighted column")
        + f" is input {labels[col]}."
    )
    if layer.ndim == 1:
        st.latex(sym.jacobian_table(*layer.key, col, transpose))
        st.caption(caption)
    else:
        what = " (transposed: one row per input)" if transpose else ""

        def _table():
            st.latex(sym.jacobian_table(*layer.key, col, transpose))
            st.caption(caption)

        _lazy(f"The whole Jacobian: {view.n_outputs} outputs x {view.n_inputs} inputs{what}", "sym_more_jac", _table)
st.latex(_blocks(jac["column"], r.out_shape[-1]))
st.latex(sym.wrap_sum(jac["chain"], ONE) if layer.ndim == 2 else jac["chain"])
if layer.ndim == 1:
    st.markdown(
        f"Read the column from top to bottom: the kernel comes out **reversed**. A later output reaches "
        f"{labels[col]} through an earlier kernel entry, so summing the upstream gradient against this column is a "
        "correlation with the reversed kernel. That is the flip."
        + (
            f" With dilation {dil} the kernel's entries sit {dil} apart in the column (zeros between them): the "
            "reversed kernel is still dilated."
            if dil > 1
            else ""
        )
    )
else:
    st.markdown(
        f"The column, laid out like the output: around {labels[col]} the kernel appears **rotated 180 degrees** "
        "(at stride 1; a larger stride keeps every s-th entry"
        + (f"; dilation {dil} spreads the entries {dil} apart" if dil > 1 else "")
        + "). Summing the upstream gradient against it is a correlation with the rotated kernel. That is the flip."
    )

# ----------------------------------------------------------------------------------------------- dE/dx
st.header("3. dE/dx: the chain rule beside the full correlation with the reversed kernel")
k_extent = dil * (layer.k_shape[-1] - 1) + 1
pad_cols = layer.in_shape[-1] + 2 * p + k_extent - 1
if layer.ndim == 1:
    st.latex(sym.latex_row([(view.dz, _px(n_out)), (view.upstream, _px(pad_cols)), (view.kernel, _px(k_extent))]))
else:
    st.latex(_blocks(view.dz, r.out_shape[1]))
    st.latex(_blocks(view.upstream, pad_cols))
    st.latex(_blocks(view.kernel, k_extent))
st.caption(
    "δ̃: the upstream gradient dilated by the stride (s - 1 zeros between entries) and padded by "
    + ("k - 1" if dil == 1 else f"the dilated kernel's extent minus one, d (k - 1) = {k_extent - 1}")
    + "; ŵ: the kernel the forward pass multiplied, reversed"
    + (" (rotated 180 degrees), its channel axes swapped" if layer.ndim == 2 else "")
    + (", still dilated: the reversal moves the taps, the holes (0) stay between them" if dil > 1 else "")
    + (" (0 between channels of different groups)" if layer.groups > 1 else "")
    + "; ⋆ is cross-correlation, cropped back to the input (the gradient of the padding is dropped)."
)
heads = ("\\text{SymPy differentiates (chain rule)}", "\\text{full correlation with the reversed kernel}")
full = list(view.full) if layer.ndim == 1 else list(view.full_short)
_show(list(view.dx), "inputs", TWO, "sym_more_dx", right=full, heads=heads)
if layer.ndim == 2:
    _lazy(
        f"Every product of the correlation for {labels[col]}, zeros of padding and dilation included",
        "sym_more_products",
        lambda: st.latex(sym.wrap_sum(view.full[col], ONE)),
    )
if view.verdict_dx:
    st.success(
        f"SymPy: identical for every input: expand(dE/dx - full form) = 0 for all {view.n_inputs} entries. "
        "The chain rule's gradient is the full correlation of δ with the reversed kernel.",
        icon=":material/check_circle:",
    )
else:
    st.error("SymPy finds a difference: this is a bug, please report it.", icon=":material/bug_report:")
_lazy("SymPy's check, entry by entry", "sym_more_check", lambda: st.latex(sym.latex_lines(view.check, ONE)))

st.markdown(
    "**Without the flip.** The same full correlation, but with w̄: the kernel as the forward pass multiplied it, "
    "not reversed."
)
st.latex(_blocks(view.kernel_unflipped, k_extent))
unflipped = list(view.unflipped if layer.ndim == 1 else view.unflipped_short)
_show(
    list(view.dx),
    "inputs",
    TWO,
    "sym_more_noflip",
    right=unflipped,
    heads=(heads[0], "\\text{full correlation, no flip}"),
)
if not view.verdict_unflipped:
    st.warning(
        f"Without the flip: not identical. expand(dE/dx - unflipped form) ≠ 0 for {view.wrong_inputs} of "
        f"{view.n_inputs} entries: correlating with the kernel as it is gives the wrong gradient. The first ones:",
        icon=":material/cancel:",
    )
    wrong = [line for line in view.unflipped_check if not line.endswith("= 0")]
    st.latex(sym.latex_lines(wrong[:3], ONE))
else:
    st.info(
        "Here the reversal changes nothing: every input is reached only through the kernel's centre entry (or the "
        "kernel has one entry), so both forms agree. Take a larger input or kernel to see the flip matter.",
        icon=":material/info:",
    )

# ----------------------------------------------------------------------------------------------- dW, db
st.header("4. dE/dW" + (" and dE/db" if layer.ndim == 2 else ""))
if layer.ndim == 1:
    st.latex(sym.latex_row([(view.x_padded, _px(n_in + 2 * p)), (view.dz_dilated, _px((n_out - 1) * s + 1))]))
else:
    st.latex(_blocks(view.x_padded, layer.in_shape[1] + 2 * p))
    st.latex(_blocks(view.dz_dilated, (r.out_shape[1] - 1) * s + 1))
st.caption(
    "x̃: the padded input; δ̌: the upstream gradient dilated by the stride. In dW the forward stride becomes a "
    "dilation, and nothing is flipped: dW is the padded input correlated with δ̌."
)
dw_form = list(view.dw_form if layer.ndim == 1 else view.dw_form_short)
_show(
    list(view.dw),
    "kernel entries",
    TWO,
    "sym_more_dw",
    right=dw_form,
    heads=("\\text{SymPy differentiates}", "\\tilde{x} \\star \\check{\\delta}"),
)
if view.verdict_dw:
    st.success(
        f"SymPy: identical for every input: expand(dE/dW - x̃ ⋆ δ̌) = 0 for all {len(view.dw)} kernel entries.",
        icon=":material/check_circle:",
    )
else:
    st.error("SymPy finds a difference in dW: this is a bug, please report it.", icon=":material/bug_report:")
if view.db:
    st.latex(sym.latex_lines(view.db, ONE + 2))
    st.caption("Each bias adds to every output of its channel, so its gradient is the sum of that channel's δ.")

# ----------------------------------------------------------------------------------------------- numbers
st.header("5. Numeric check: the symbolic gradient at numbers, beside convcore's")
source = st.radio(
    "Numbers",
    ["the sidebar's numbers", "random integers"],
    key="sym_numbers",
    bind="query-params",
    horizontal=True,
    help="The sidebar's input and kernel (their top-left corner when they are larger than this layer), or small "
    "random integers from the sidebar's random seed. δ: the 'random integers' upstream gradient of the flip page.",
)
x, w, dz, where, why_not = sym.check_numbers(config, layer, r.out_shape, source == "the sidebar's numbers")
if why_not:
    st.info(f"The sidebar's numbers do not fit, so the check uses random integers: {why_not}.", icon=":material/info:")
st.caption(f"x and w: {where}; δ: random integers (random seed {config.seed}, as on the flip page).")
dz_name = "\\frac{\\partial E}{\\partial Q}" if letters else "\\delta"
if layer.ndim == 1:
    parts = [(sym.numbers_latex(name, arr, 1), _px(len(arr))) for name, arr in ((X, x), ("w", w), (dz_name, dz))]
    st.latex(sym.latex_row(parts))
else:
    st.latex(_blocks(sym.numbers_latex(X, x, 2), layer.in_shape[1]))
    st.latex(_blocks(sym.numbers_latex("w", w, 2), layer.k_shape[1]))
    st.latex(_blocks(sym.numbers_latex(dz_name, dz, 2), r.out_shape[1]))
with st.spinner("Substituting the numbers...", show_time=True):
    check = sym.numeric_check(*layer.key, x, w, dz, col)
st.latex(sym.wrap_sum(check["entry"], ONE))
st.caption(f"convcore's scatter form (the course's loop) gives {check['dx_convcore_entry']:g} for {labels[col]}.")
COMPARED = {
    "z": "forward: z at these numbers vs convcore's forward pass",
    "dx_scatter": "dE/dx vs convcore's scatter form (the course's loop)",
    "dx_rot180": "dE/dx vs convcore's rot180 form (full correlation)",
    "dw": "dE/dW vs convcore's dW",
    "db": "dE/db vs convcore's db",
}
diffs = check["differences"]
table = [
    {"quantity": key, "compared": COMPARED[key], "largest |symbolic - convcore|": value} for key, value in diffs.items()
]
show_table(
    table,
    alt="For each quantity, the largest difference between SymPy's gradient at these numbers and convcore's.",
    digits={"largest |symbolic - convcore|": ".2g"},
)
largest = max(diffs.values())
if largest <= 1e-9:
    st.success(
        f"The symbolic gradients equal convcore's at these numbers: largest difference {largest:.2g}.",
        icon=":material/check_circle:",
    )
else:
    st.error(
        f"Symbolic and convcore differ by {largest:.3g}: this is a bug, please report it.", icon=":material/bug_report:"
    )
