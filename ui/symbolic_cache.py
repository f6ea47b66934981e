"""Cached SymPy derivations for the symbolic page, the LaTeX it renders, and the numbers of its numeric check.

A layer is described by plain arguments, the same for every function here, so that every cache key covers
the whole configuration: ``ndim`` (1 or 2), ``in_shape`` (``(n,)`` or ``(H, W)``), ``k_shape`` (``(k,)`` or
``(kH, kW)``), ``stride``, ``pad``, ``n_c_in``, ``n_c_out`` (1 in 1D), ``convention``, ``names``
(``"seed"`` or ``"indexed"``; always ``"indexed"`` in 2D), ``dilation`` and ``groups`` (1 in 1D). :class:`Layer`
bundles them;
``layer.key`` is the tuple the cached functions take.

Derivations and their LaTeX are cached with ``st.cache_resource``: a :class:`convcore.symbolic.Derivation` is
immutable and shared by every session, so a class opening the same layer derives it once. The largest allowed
case takes about a second to derive, and about as long again for each of its LaTeX, the proof without the flip
and the ``lambdify`` of the numeric check (``benchmarks/bench_symbolic.py``); a rerun with the same settings
takes a few milliseconds. Anything past :data:`convcore.symbolic.LIMITS` raises ``ValueError`` before SymPy
starts (exceptions are not cached). Nothing here does maths of its own: it calls :mod:`convcore.symbolic` and
:mod:`convcore`, and lays the LaTeX out (KaTeX does not break long lines, so sums are wrapped here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import sympy

import convcore
from convcore import symbolic
from convcore.symbolic import LIMITS, Derivation

from . import caching, presets, symbolic_figures
from .controls import Config
from .figures import fmt

__all__ = [
    "Layer",
    "LatexView",
    "derivation",
    "latex_view",
    "jacobian_view",
    "jacobian_table",
    "jacobian_figure",
    "numeric_check",
    "sidebar_layer",
    "check_numbers",
    "input_labels",
    "numbers_latex",
    "wrap_sum",
    "latex_lines",
    "latex_pairs",
    "latex_blocks",
    "latex_row",
]

_CACHE = dict(max_entries=64, show_spinner=False)
HILITE = "#d55e00"  # Okabe-Ito vermillion: the highlighted Jacobian column, readable as text on white


@dataclass(frozen=True)
class Layer:
    """One symbolic layer. 1D: ``in_shape (n,)``, ``k_shape (k,)``, one channel; 2D: ``(H, W)``, ``(kH, kW)``."""

    ndim: int
    in_shape: tuple
    k_shape: tuple
    stride: int
    pad: int
    n_c_in: int = 1
    n_c_out: int = 1
    convention: str = "correlation"
    names: str = "indexed"
    dilation: int = 1
    groups: int = 1

    @property
    def key(self) -> tuple:
        """The arguments of the cached functions, in order."""
        return (
            self.ndim,
            tuple(self.in_shape),
            tuple(self.k_shape),
            self.stride,
            self.pad,
            self.n_c_in,
            self.n_c_out,
            self.convention,
            self.names,
            self.dilation,
            self.groups,
        )

    def describe(self) -> str:
        """``"input 5, kernel 2, stride 1, pad 0"`` or ``"input 4x4, kernel 3x3, ..., 2 -> 2 channels"``."""
        size = "x".join(str(n) for n in self.in_shape)
        kern = "x".join(str(n) for n in self.k_shape)
        text = f"input {size}, kernel {kern}, stride {self.stride}, pad {self.pad}"
        if self.dilation > 1:
            text += f", dilation {self.dilation}"
        if self.ndim == 2:
            text += f", {self.n_c_in} -> {self.n_c_out} channel{'s' if self.n_c_in * self.n_c_out > 1 else ''}"
        if self.groups > 1:
            text += f", {self.groups} groups" + (" (depthwise)" if self.groups == self.n_c_in else "")
        return text


@caching.cache_resource(**_CACHE)
def derivation(
    ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups
) -> Derivation:
    """:func:`convcore.symbolic.conv1d_derivation` or ``conv2d_derivation``; raises ``ValueError`` past the limits."""
    if ndim == 1:
        return symbolic.conv1d_derivation(in_shape[0], k_shape[0], stride, pad, convention, names, dilation)
    return symbolic.conv2d_derivation(
        tuple(in_shape), tuple(k_shape), stride, pad, n_c_in, n_c_out, convention, dilation, groups
    )


@dataclass(frozen=True)
class LatexView:
    """Every LaTeX string and verdict the page shows for one layer (one line per entry, row-major).

    ``dx``, ``full``, ``unflipped``, ``unflipped_check``: one per input entry; ``full_short`` /
    ``unflipped_short``, ``dw_form_short``: the same forms without the list of products (``lhs = result``);
    ``dw``, ``dw_form``: one per kernel entry; ``db``: one per output channel (2D), else empty. The unflipped
    form's kernel is written ``\\bar{w}``. ``wrong_inputs``: how many inputs the unflipped form gets wrong.
    """

    x: str
    w: str
    dz: str
    forward: tuple
    dx: tuple
    full: tuple
    full_short: tuple
    check: tuple
    upstream: str
    kernel: str
    kernel_unflipped: str
    unflipped: tuple
    unflipped_short: tuple
    unflipped_check: tuple
    dw: tuple
    dw_form: tuple
    dw_form_short: tuple
    db: tuple
    x_padded: str
    dz_dilated: str
    verdict_dx: bool
    verdict_dw: bool
    verdict_unflipped: bool
    wrong_inputs: int
    n_inputs: int
    n_outputs: int


def _number(v: float) -> str:
    """A number inside a product: negative ones in parentheses, ``(-2) \\cdot 3``."""
    text = fmt(v)
    return f"({text})" if text.startswith("-") else text


def _flat(arr) -> list:
    """The entries of a SymPy array, row-major (NumPy's order)."""
    return list(np.asarray(arr.tolist(), dtype=object).reshape(-1))


def _short(line: str) -> str:
    """``lhs = products = result`` -> ``lhs = result`` (the products contain no ``" = "``)."""
    parts = line.split(" = ")
    return f"{parts[0]} = {parts[-1]}"


@caching.cache_resource(**_CACHE)
def latex_view(ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups) -> LatexView:
    """The LaTeX of one derivation, built once per layer (about a second for the largest allowed case)."""
    r = derivation(ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups)
    full = r.latex_full_form(True)

    def unhat(lines):  # without the flip: \bar{w}, the kernel as the forward pass multiplied it, not reversed
        return [line.replace("\\hat{w}", "\\bar{w}") for line in lines]

    unflipped = unhat(r.latex_full_form(False))
    dw_form = [line.split(" : ", 1)[1] for line in r.latex_dw_form()]  # drop the "dE/dw :" label
    dw_ok = all(d == 0 for d in _flat(r.dw_differences))
    return LatexView(
        x=r.latex_array("x"),
        w=r.latex_array("w"),
        dz=r.latex_array("dz"),
        forward=tuple(r.latex_forward()),
        dx=tuple(r.latex_dx()),
        full=tuple(full),
        full_short=tuple(_short(line) for line in full),
        check=tuple(r.latex_check(True)),
        upstream=r.latex_array("upstream"),
        kernel=r.latex_array("kernel"),
        kernel_unflipped=unhat([r.latex_array("kernel", reverse=False)])[0],
        unflipped=tuple(unflipped),
        unflipped_short=tuple(_short(line) for line in unflipped),
        unflipped_check=tuple(unhat(r.latex_check(False))),
        dw=tuple(r.latex_dw()),
        dw_form=tuple(dw_form),
        dw_form_short=tuple(_short(line) for line in dw_form),
        db=tuple(r.latex_db()),
        x_padded=r.latex_array("x_padded"),
        dz_dilated=r.latex_array("dz_dilated"),
        verdict_dx=bool(r.full.verdict),
        verdict_dw=bool(dw_ok),
        verdict_unflipped=bool(r.unflipped.verdict),
        wrong_inputs=sum(1 for d in _flat(r.unflipped.differences) if d != 0),
        n_inputs=len(full),
        n_outputs=len(r.latex_forward()),
    )


def input_labels(layer: Layer) -> list[str]:
    """Plain-text names of the input entries, row-major (for a selectbox): ``c``, ``x_2``, ``x[1, 2] channel 0``."""
    if layer.ndim == 1:
        n = layer.in_shape[0]
        if layer.names == "seed":
            return [chr(ord("a") + i) for i in range(n)]
        return [f"x_{i}" for i in range(n)]
    H, W = layer.in_shape
    if layer.n_c_in == 1:
        return [f"x[{i}, {j}]" for i in range(H) for j in range(W)]
    return [f"x[{i}, {j}] channel {c}" for i in range(H) for j in range(W) for c in range(layer.n_c_in)]


def _row(cells) -> str:
    return " & ".join(cells)


@caching.cache_resource(**_CACHE)
def jacobian_view(
    ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups, col: int
) -> dict:
    """Input ``col``'s column of the Jacobian (row-major index) and the chain rule that sums over it.

    Returns ``{"column", "chain"}``: ``column`` is ``dz/dx[col]`` shaped like ``z``
    (:meth:`Derivation.latex_jacobian_column`); ``chain`` is ``dE/dx[col] = sum over outputs of delta *
    dz/dx[col]``, written in 1D as the row ``delta`` times that column (the seed's ``dE/dc = dE/dQ^T dQ/dc``).
    """
    r = derivation(ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups)
    names_of = dict(r.symbol_latex)
    name = names_of[_flat(r.x)[col]]
    index = np.unravel_index(col, r.x.shape)
    index = int(index[0]) if ndim == 1 else tuple(int(i) for i in index)
    lhs, rhs = r.latex_dx()[col].split(" = ", 1)
    if ndim == 1:
        out, up_t = (
            ("Q", "\\left(\\frac{\\partial E}{\\partial Q}\\right)^{T}") if names == "seed" else ("z", "\\delta^{T}")
        )
        dz_row = _row([names_of[s] for s in _flat(r.dz)])
        col_row = _row([r.latex(e) for e in _flat(r.jacobian_column(index))])
        members = (
            f"{up_t} \\frac{{\\partial {out}}}{{\\partial {name}}}",
            f"\\begin{{bmatrix}} {dz_row} \\end{{bmatrix}} \\begin{{bmatrix}} {col_row} \\end{{bmatrix}}^{{T}}",
            rhs,
        )
        if len(_flat(r.dz)) <= 6:
            chain = f"{lhs} = " + " = ".join(members)
        else:  # a long row times a long column: one member per line
            chain = f"\\begin{{aligned}} {lhs} " + " \\\\ ".join(f"&= {m}" for m in members) + " \\end{aligned}"
    else:
        over = "h,w,c" if n_c_out > 1 else "h,w"
        delta = "\\delta^{(c)}_{h,w}" if n_c_out > 1 else "\\delta_{h,w}"
        z = "z^{(c)}_{h,w}" if n_c_out > 1 else "z_{h,w}"
        chain = f"{lhs} = \\sum_{{{over}}} {delta} \\frac{{\\partial {z}}}{{\\partial {name}}} = {rhs}"
    column = r.latex_jacobian_column(index)
    for c in range(n_c_out if ndim == 2 else 0):  # {dz/dx}^{(c)} -> dz^{(c)}/dx: the channel belongs to z
        column = column.replace(
            f"{{\\frac{{\\partial z}}{{\\partial {name}}}}}^{{({c})}}",
            f"\\frac{{\\partial z^{{({c})}}}}{{\\partial {name}}}",
        )
    return {"column": column, "chain": chain}


@caching.cache_resource(**_CACHE)
def jacobian_table(
    ndim,
    in_shape,
    k_shape,
    stride,
    pad,
    n_c_in,
    n_c_out,
    convention,
    names,
    dilation,
    groups,
    col: int,
    transpose: bool,
) -> str:
    """The Jacobian as a labelled ``array``, input ``col``'s column highlighted.

    Rows are the outputs and columns the inputs (both row-major; headers are their names); ``transpose``
    puts the inputs in rows (one row per input's column of the Jacobian), for layers with many inputs.
    """
    r = derivation(ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups)
    names_of = dict(r.symbol_latex)
    inputs = [names_of[s] for s in _flat(r.x)]

    def hi(text: str) -> str:
        return f"\\color{{{HILITE}}}{{{text}}}"

    cells = [[r.latex(e) for e in r.jacobian.row(i)] for i in range(r.jacobian.rows)]  # (outputs, inputs)
    if not transpose:
        header = _row([""] + [hi(name) if j == col else name for j, name in enumerate(inputs)])
        body = [
            _row([out] + [hi(c) if j == col else c for j, c in enumerate(row)])
            for out, row in zip(r.output_latex, cells, strict=True)
        ]
        n_cols = len(inputs)
    else:
        header = _row([""] + list(r.output_latex))
        body = []
        for j, name in enumerate(inputs):
            row = [name] + [cells[i][j] for i in range(len(cells))]
            body.append(_row([hi(c) for c in row] if j == col else row))
        n_cols = len(r.output_latex)
    return f"\\begin{{array}}{{c|{'c' * n_cols}}} {header} \\\\ \\hline " + " \\\\ ".join(body) + " \\end{array}"


@caching.cache_resource(**_CACHE)
def jacobian_figure(ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups):
    """The Jacobian as a matrix of the kernel's entries (:func:`ui.symbolic_figures.jacobian_figure`), cells coloured
    by the kernel tap they hold: a click on an entry picks its input's column."""
    r = derivation(ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups)
    w = np.asarray(r.w, dtype=object)
    kw = w.shape[1] if ndim == 2 else 1
    tap_of = {}
    for index in np.ndindex(w.shape):
        tap_of[w[index]] = index[0] * kw + (index[1] if ndim == 2 else 0)
    J = r.jacobian
    taps = np.full((J.rows, J.cols), -1)
    text = np.full((J.rows, J.cols), "", dtype=object)
    for i in range(J.rows):
        for j, e in enumerate(J.row(i)):
            if e != 0:
                taps[i, j] = tap_of.get(e, -1)
                text[i, j] = str(e) if ndim == 1 else f"{tap_of.get(e, 0) // kw},{tap_of.get(e, 0) % kw}"
    layer = Layer(ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups)
    outputs = [re.sub(r"[{}]", "", name).replace("_", " ") for name in r.output_latex]
    return symbolic_figures.jacobian_figure(taps, int(np.prod(k_shape)), text, input_labels(layer), outputs)


@caching.cache_data(max_entries=128, show_spinner=False)
def numeric_check(
    ndim,
    in_shape,
    k_shape,
    stride,
    pad,
    n_c_in,
    n_c_out,
    convention,
    names,
    dilation,
    groups,
    x: np.ndarray,
    w,
    dz,
    col: int,
) -> dict:
    """The symbolic gradients at numbers beside convcore's, for ``x``, ``w``, ``dz`` shaped like the derivation's.

    Returns ``{"differences", "entry", "dx_entry", "dx_convcore_entry"}``: ``differences`` is
    :func:`convcore.symbolic.compare_with_convcore` (``max |symbolic - convcore|`` for ``z``, ``dx_scatter``,
    ``dx_rot180``, ``dw`` and, in 2D, ``db``; it evaluates SymPy's expressions with ``lambdify``); ``entry``
    the LaTeX of input ``col``'s gradient with the numbers substituted into the products of the full
    correlation, ``dE/dx = g y + h x = 2 \\cdot 3 + (-1) \\cdot 4 = 2``; ``dx_entry`` that value (SymPy's
    expression evaluated at the numbers) and ``dx_convcore_entry`` convcore's scatter form at the same input.
    """
    key = (ndim, in_shape, k_shape, stride, pad, n_c_in, n_c_out, convention, names, dilation, groups)
    r = derivation(*key)
    differences = symbolic.compare_with_convcore(r, x, w, dz)
    if ndim == 1:
        dx_convcore = convcore.conv1d_grad_input_scatter(x.shape[0], w, dz, stride, pad, convention, dilation)
    else:
        hp = {"stride": stride, "pad": pad, "convention": convention, "dilation": dilation, "groups": groups}
        dx_convcore = convcore.grad_input_scatter((1, *x.shape), w, dz[None], hp)[0]
    values = {}
    for arr, nums in ((r.x, x), (r.w, w), (r.dz, dz)):
        values.update(zip(_flat(arr), np.asarray(nums, dtype=float).reshape(-1), strict=True))
    dx_entry = float(_flat(r.dx)[col].xreplace({s: sympy.Float(v) for s, v in values.items()}))
    terms = [(a, b) for a, b in r.full.terms[col] if a != 0 and b != 0]
    products = " + ".join(f"{_number(values[a])} \\cdot {_number(values[b])}" for a, b in terms)
    lhs, rhs = latex_view(*key).dx[col].split(" = ", 1)
    entry = f"{lhs} = {rhs} = {products} = {fmt(dx_entry)}" if terms else f"{lhs} = 0"
    return {
        "differences": differences,
        "entry": entry,
        "dx_entry": dx_entry,
        "dx_convcore_entry": float(np.asarray(dx_convcore).reshape(-1)[col]),
    }


def sidebar_layer(config: Config) -> tuple[Layer | None, str]:
    """The sidebar's layer as a 2D symbolic layer (its first two channels at most), or ``None`` and why not.

    Returns ``(layer, note)``: ``note`` says what was taken (or what is past :data:`LIMITS`).
    """
    if config.problem:
        return None, f"the sidebar's configuration cannot be computed ({config.problem})"
    H, W, c_in = config.A_prev.shape
    kH, kW, _, c_out = config.W.shape
    past = []
    for what, value, limit in (
        ("input height", H, LIMITS["in_2d"]),
        ("input width", W, LIMITS["in_2d"]),
        ("kernel height", kH, LIMITS["k_2d"]),
        ("kernel width", kW, LIMITS["k_2d"]),
        ("stride", config.stride, LIMITS["stride"]),
        ("padding", config.pad, LIMITS["pad"]),
        ("dilation", config.dilation, LIMITS["dilation"]),
    ):
        if value > limit:
            past.append(f"{what} {value} > {limit}")
    g = config.groups
    if g > 1 and max(c_in, c_out) > LIMITS["channels"]:  # taking the first channels would break the groups apart
        past.append(f"{g} groups over {c_in} -> {c_out} channels > {LIMITS['channels']}")
    if past:
        return None, "the sidebar's layer is past the symbolic limits (" + ", ".join(past) + ")"
    n_in, n_out = min(c_in, LIMITS["channels"]), min(c_out, LIMITS["channels"])
    layer = Layer(
        2, (H, W), (kH, kW), config.stride, config.pad, n_in, n_out, config.convention, "indexed", config.dilation, g
    )
    note = "the sidebar's layer"
    if (n_in, n_out) != (c_in, c_out):
        note += f" (its first {n_in} input and {n_out} output channels: SymPy stops at {LIMITS['channels']})"
    return layer, note


def check_numbers(config: Config, layer: Layer, out_shape: tuple, use_sidebar: bool):
    """Numbers for the numeric check: ``(x, w, dz, where, why_not)`` shaped like the derivation's arrays.

    ``use_sidebar``: the top-left corner of the sidebar's input and kernel (2D: ``A_prev[:H, :W, :n_c_in]``,
    ``W[:kH, :kW, :n_c_in, :n_c_out]``; 1D: the first entries of row 0, channel 0, of each) when they are
    large enough; otherwise (or when not ``use_sidebar``) small random integers from the sidebar's seed, and
    ``why_not`` says why the sidebar's numbers could not be used (``None`` when they were, or not asked for).
    ``dz`` is always the "random integers" upstream gradient of the flip page (same seed). ``where`` describes
    ``x`` and ``w``. 1D: ``x (n,)``, ``w (k,)``, ``dz (n_out,)``; 2D: ``x (H, W, n_c_in)``,
    ``w (kH, kW, n_c_in, n_c_out)``, ``dz (n_H, n_W, n_c_out)``.
    """
    seed, A, K = config.seed, config.A_prev, config.W
    rng = np.random.default_rng(seed + 7)
    if layer.ndim == 1:
        (n,), (k,), (n_out,) = layer.in_shape, layer.k_shape, out_shape
        dz = presets.make_dz("random integers", 1, n_out, 1, seed)[0, :, 0]  # (1, n_out, 1) -> (n_out,)
        need = f"an input at least {n} wide and a kernel at least {k} wide"
        have = f"the sidebar's are {A.shape[1]} and {K.shape[1]} wide"
        if use_sidebar and not config.problem and A.shape[1] >= n and K.shape[1] >= k:
            return (
                A[0, :n, 0],
                K[0, :k, 0, 0],
                dz,
                f"the first {n} and {k} entries of row 0 of the sidebar's input and kernel",
                None,
            )
        x_shape, w_shape = (n,), (k,)
    else:
        (H, W), (kH, kW), c_in, c_out = layer.in_shape, layer.k_shape, layer.n_c_in, layer.n_c_out
        cg = c_in // layer.groups  # the kernel's third axis: input channels per group
        dz = presets.make_dz("random integers", out_shape[0], out_shape[1], c_out, seed)
        fits = A.shape[0] >= H and A.shape[1] >= W and A.shape[2] >= c_in
        fits = fits and K.shape[0] >= kH and K.shape[1] >= kW and K.shape[2] >= cg and K.shape[3] >= c_out
        need = f"an input of at least {H}x{W}x{c_in} and a kernel of at least {kH}x{kW} with {c_in} -> {c_out} channels"
        have = (
            f"the sidebar's are {'x'.join(map(str, A.shape))} and {K.shape[0]}x{K.shape[1]} with "
            f"{K.shape[2]} -> {K.shape[3]} channels"
        )
        if use_sidebar and not config.problem and fits:
            exact = A.shape[:2] == (H, W) and K.shape[:2] == (kH, kW)
            where = (
                "the sidebar's input and kernel" if exact else "the top-left corner of the sidebar's input and kernel"
            )
            if A.shape[2] > c_in or K.shape[3] > c_out:
                where += f" (first {c_in} input and {c_out} output channels)"
            return A[:H, :W, :c_in], K[:kH, :kW, :cg, :c_out], dz, where, None
        x_shape, w_shape = (H, W, c_in), (kH, kW, cg, c_out)
    why_not = None
    if use_sidebar:
        why_not = (
            f"the sidebar's configuration cannot be computed ({config.problem})"
            if config.problem
            else (f"this layer needs {need}; {have}")
        )
    x = rng.integers(-3, 4, size=x_shape).astype(np.float64)
    w = rng.integers(-3, 4, size=w_shape).astype(np.float64)
    return x, w, dz, "random integers", why_not


def numbers_latex(name: str, arr: np.ndarray, ndim: int) -> str:
    """``name = bmatrix`` of numbers: one row in 1D; in 2D one block per channel index (trailing axes)."""

    def bmatrix(rows) -> str:
        return "\\begin{bmatrix} " + " \\\\ ".join(_row(fmt(v) for v in row) for row in rows) + " \\end{bmatrix}"

    arr = np.asarray(arr, dtype=float)
    if ndim == 1:
        return f"{name} = " + bmatrix([arr])
    channel_shape = arr.shape[2:]
    if all(n == 1 for n in channel_shape):
        return f"{name} = " + bmatrix(arr.reshape(arr.shape[:2]))
    blocks = []
    for chan in np.ndindex(*channel_shape):
        label = f"{{{name}}}^{{({','.join(map(str, chan))})}}"
        blocks.append(f"{label} = " + bmatrix(arr[(slice(None), slice(None), *chan)]))
    return " \\quad ".join(blocks)


# ------------------------------------------------------------------------------------------- LaTeX layout
# KaTeX does not break long formulas: a line wider than the page is cut off. These helpers break sums after a
# number of terms and lay lines out in aligned arrays, so that every formula fits the page.
_TERM = re.compile(r" (?=[+-] )")  # the space before a term's sign: "a x + b y - c z" -> "a x", "+ b y", "- c z"
_ROW_GAP = "\\\\[14pt]"


def wrap_sum(line: str, per_line: int) -> str:
    """``lhs = t1 + t2 + ... [= ...]`` broken after every ``per_line`` terms, as an ``aligned`` block.

    The left-hand side is kept whole; each member after an ``=`` is split at its top-level ``+``/``-`` signs
    (the LaTeX of :mod:`convcore.symbolic` writes terms as ``a x + b y``, with no sum inside a term).
    """
    parts = line.split(" = ")
    lhs, members = parts[0], parts[1:]
    out = []
    for member in members:
        terms = _TERM.split(member)
        chunks = [" ".join(terms[i : i + per_line]) for i in range(0, len(terms), per_line)]
        out.append("&= " + chunks[0])
        out += ["&\\quad " + chunk for chunk in chunks[1:]]
    if len(out) == len(members):
        return line
    return f"\\begin{{aligned}} {lhs} " + " \\\\ ".join(out) + " \\end{aligned}"


def latex_lines(lines, per_line: int = 8) -> str:
    """Lines one under the other (left-aligned, display style), each wrapped by :func:`wrap_sum`."""
    rows = [f"\\displaystyle {wrap_sum(line, per_line)}" for line in lines]
    return "\\begin{array}{l} " + f" {_ROW_GAP} ".join(rows) + " \\end{array}"


def latex_pairs(left, right, per_line: int = 4, heads: tuple[str, str] | None = None) -> str:
    """Two lists of lines side by side, row by row (``heads``: LaTeX titles of the two columns)."""
    rows = [
        f"\\displaystyle {wrap_sum(a, per_line)} & \\qquad & \\displaystyle {wrap_sum(b, per_line)}"
        for a, b in zip(left, right, strict=True)
    ]
    if heads:
        rows.insert(0, f"{heads[0]} & & {heads[1]}")
    return "\\begin{array}{lcl} " + f" {_ROW_GAP} ".join(rows) + " \\end{array}"


def latex_blocks(text: str, cols: int, entry_px: int = 50, width_px: int = 1000) -> str:
    """``name = matrix \\quad name = matrix ...`` (one block per channel) wrapped to fit ``width_px``.

    ``cols``: columns of each matrix; a block is estimated at ``80 + cols * entry_px`` pixels.
    """
    blocks = text.split(" \\quad ")
    per_line = max(1, width_px // (80 + cols * entry_px))
    if len(blocks) <= per_line:
        return text
    n_lines = -(-len(blocks) // per_line)
    per_line = -(-len(blocks) // n_lines)  # balanced: 4 blocks in 2 + 2, not 3 + 1
    lines = [" \\quad ".join(blocks[i : i + per_line]) for i in range(0, len(blocks), per_line)]
    return "\\begin{gathered} " + " \\\\[12pt] ".join(lines) + " \\end{gathered}"


def latex_row(parts, width_px: int = 1000) -> str:
    """Formulas side by side (``\\qquad`` apart), continued on a new line when the next would not fit.

    ``parts``: ``(latex, estimated width in pixels)`` pairs, filled greedily into lines of ``width_px``.
    """
    lines, line, used = [], [], 0
    for text, px in parts:
        if line and used + px > width_px:
            lines.append(line)
            line, used = [], 0
        line.append(text)
        used += px + 40  # \\qquad
    lines.append(line)
    rows = [" \\qquad ".join(line) for line in lines]
    return rows[0] if len(rows) == 1 else "\\begin{gathered} " + " \\\\[12pt] ".join(rows) + " \\end{gathered}"
