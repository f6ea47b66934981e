"""SymPy derives the gradients of a convolution layer, and the kernel flip falls out of the algebra.

Every input, kernel entry and upstream gradient is a SymPy symbol. The forward pass is written as the
course writes it (a sum of products over each window); SymPy then differentiates, and a second,
independent construction (the "full" correlation with the reversed kernel) is compared with the result.
Nothing here imports streamlit; pages call these functions and render the LaTeX they return.

The forward pass (cross-correlation, as in the course and every framework), in 1D and in 2D::

    z[h]         = sum_u          x_pad[s*h + u]                 * w[u]
    z[h, w, co]  = sum_{u, v, ci} x_pad[s*h + u, s*w + v, ci]    * w[u, v, ci, co]  + b[co]

with ``x_pad`` the input padded with ``pad`` zeros on every side and the output size
``n_out = 1 + (n + 2 * pad - k) // stride`` per axis (floored: a stride that does not divide
``n + 2 * pad - k`` never visits the last ``(n + 2 * pad - k) % stride`` padded cells). Under
``convention="convolution"`` the kernel is reversed going forward: ``w[k - 1 - u]`` (2D: rotated 180 degrees).
The 1D layer has no bias (as :func:`convcore.conv1d_forward`; it keeps the seed's letters free); the 2D layer
has one bias per output channel.

How the gradients are obtained (computed, never typed in). ``delta = dE/dz`` is the upstream gradient, one
symbol per output. Since ``E`` depends on ``x`` and ``w`` only through ``z``, and ``delta`` is held fixed,
the chain rule says the gradients of ``E`` are those of the scalar ``loss = sum(delta * z)``. SymPy
differentiates that polynomial: ``dx[i] = d loss / d x[i]``, ``dw``, ``db`` likewise, and
``jacobian[h, i] = d z[h] / d x[i]``. The differentiation runs in SymPy's sparse polynomial ring
(:mod:`sympy.polys.rings`), the same derivative as ``sympy.diff(loss, x[i])`` but fast enough for the largest
allowed case (``sympy.diff`` on the expression takes over 10 s there); ``tests/test_symbolic.py`` checks the two
agree entry by entry.

The proof. :attr:`Derivation.full_form` is built by construction, not by differentiation: dilate ``delta``
(``stride - 1`` zeros between entries), pad it by ``k - 1`` on every side (plus the ``r`` cells a
non-dividing stride never visits, at the end), correlate it with the spatially *reversed* effective kernel
(channel axes swapped), and crop the ``pad`` border (the gradient of padded cells is dropped). Under
``convention="convolution"`` the forward reversal and the backward one cancel, so the full form uses ``w``
as written. Then ``sympy.expand(dx[i] - full_form[i])`` must be ``0`` for every input: every entry is a
polynomial, and a polynomial identity holds exactly when the expanded difference is the zero polynomial,
so expand-to-zero *is* the proof (``simplify`` would reach the same answer, much more slowly; when both
sides are already the same expanded sum, structurally equal, the difference is 0 without re-expanding). Likewise
``dw`` is compared with the correlation of the padded input with the dilated ``delta``
(:attr:`Derivation.dw_form`; reversed back under ``"convolution"``). :attr:`Derivation.verdict` is ``True``
when every difference is zero. :func:`full_correlation_form` with ``reverse=False`` builds the same full form
*without* the reversal (the test of the test): its verdict is ``False`` whenever the flip matters, that is
whenever some input is reached through an off-centre kernel entry (always, at stride 1, for a kernel of more
than one entry and an input of more than one). It is ``True`` only for a 1-entry kernel, or when the windows
reach the input through the kernel's centre alone (1 input, kernel 3, pad 1) or not at all: the reversal then
changes nothing.

Layout and shapes (NHWC without the batch axis, so :meth:`Derivation.numeric` returns what convcore returns):

================  =========================  ====================================
attribute         1D                         2D
================  =========================  ====================================
``x``, ``dx``     ``(n,)``                   ``(H, W, n_c_in)``
``w``, ``dw``     ``(k,)``                   ``(kH, kW, n_c_in, n_c_out)``
``b``, ``db``     ``None``                   ``(n_c_out,)``
``dz``, ``z``     ``(n_out,)``               ``(n_H, n_W, n_c_out)``
``jacobian``      ``(n_out, n)``             ``(n_H * n_W * n_c_out, H * W * n_c_in)``
================  =========================  ====================================

All arrays are ``sympy.ImmutableDenseNDimArray`` (index them as ``r.x[i, j, c]``); the Jacobian is a
``sympy.ImmutableMatrix`` whose rows are ``z`` and columns ``x``, each flattened row-major (NumPy's order).

Naming (the LaTeX a learner sees; SymPy's own names are identifiers such as ``x_2``, ``x_i_j_c``, ``w_u_v_ci_co``,
``dz_h_w_co``, ``b_co``, so that ``lambdify`` can use them as they are):

- ``names="indexed"``: inputs ``x_{i}`` / ``x_{i,j}`` (``x^{(c)}_{i,j}`` when ``n_c_in > 1``), kernel ``w_{u}`` /
  ``w_{u,v}`` (``w^{(c_in,c_out)}_{u,v}`` when either channel count is > 1), upstream ``\\delta_{h}`` /
  ``\\delta_{h,w}`` (``\\delta^{(c)}_{h,w}`` when ``n_c_out > 1``), outputs ``z`` indexed like ``\\delta``, bias
  ``b`` (``b^{(c)}``). Derived arrays: ``\\tilde{\\delta}`` (``delta`` dilated and full-padded), ``\\hat{w}``
  (the kernel the full form correlates with), ``\\tilde{x}`` (padded input), ``\\check{\\delta}`` (dilated
  ``delta``); ``\\star`` is cross-correlation.
- ``names="seed"`` (1D only): the letters of ``shared/seeds/001``: input ``a b c d e ...``, kernel ``x y z``,
  upstream ``f g h i ...`` (the letters right after the input's), output ``Q_{h}``. Limited to kernels of
  at most 3 and to ``n + n_out <= 23`` (letters ``a`` to ``w``) so no two names collide.

Bounds (:data:`LIMITS`) keep every derivation readable and fast: the largest allowed 2D case (6x6 input, 4x4
kernel, pad 2, two channels in and out) takes about a second (``benchmarks/bench_symbolic.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import string
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import sympy
from sympy import ZZ
from sympy.polys.rings import ring
from sympy.printing.numpy import NumPyPrinter

from ._checks import as_array, as_int, check_convention, check_groups, out_size

__all__ = [
    "LIMITS",
    "NAMES",
    "Derivation",
    "FullForm",
    "compare_with_convcore",
    "conv1d_derivation",
    "conv2d_derivation",
    "full_correlation_form",
]

LIMITS = MappingProxyType(
    {
        "n_in_1d": 12,  # 1D input length
        "n_k_1d": 4,  # 1D kernel length
        "in_2d": 6,  # 2D input height and width
        "k_2d": 4,  # 2D kernel height and width
        "channels": 2,  # n_c_in and n_c_out (2D)
        "stride": 3,
        "pad": 2,
        "dilation": 3,  # the dilated kernel must still fit the padded input
        "seed_kernel": 3,  # names="seed": kernel letters x, y, z
        "seed_letters": 23,  # names="seed": input + upstream letters a..w
    }
)
NAMES = ("indexed", "seed")

_ROLE = {"x": 0, "dz": 1, "w": 2, "b": 3}  # factor order inside a printed term: x w, delta w, x delta
_SEED_INPUT_UPSTREAM = string.ascii_lowercase[: LIMITS["seed_letters"]]  # "a".."w"
_SEED_KERNEL = "xyz"
_DELTA_T, _W_HAT = "\\tilde{\\delta}", "\\hat{w}"

Array = sympy.ImmutableDenseNDimArray


def _indices(shape):
    """Every index of ``shape`` in row-major (NumPy C) order."""
    return itertools.product(*(range(n) for n in shape))


def _flat(arr) -> list:
    return [arr[idx] for idx in _indices(arr.shape)]


def _bounded(name: str, value, minimum: int, key: str) -> int:
    value = as_int(name, value, minimum)
    if value > LIMITS[key]:
        raise ValueError(
            f"{name} must be at most {LIMITS[key]} for the symbolic derivation (LIMITS['{key}'], which keeps "
            f"it readable and fast), got {value}"
        )
    return value


def _pair(name: str, value, key: str) -> tuple[int, int]:
    """An int (square) or a pair ``(rows, cols)``, each bounded by ``LIMITS[key]``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a pair (rows, cols), got {value!r}")
        return _bounded(f"{name}[0]", value[0], 1, key), _bounded(f"{name}[1]", value[1], 1, key)
    n = _bounded(name, value, 1, key)
    return n, n


def _sub(idx) -> str:
    return "{" + ",".join(str(i) for i in idx) + "}"


def _named(base: str, spatial, channels=None) -> str:
    """``base^{(channels)}_{spatial}``; the superscript only when ``channels`` is given."""
    sup = f"^{{({','.join(str(c) for c in channels)})}}" if channels is not None else ""
    return f"{base}{sup}_{_sub(spatial)}"


@dataclass(frozen=True)
class FullForm:
    """dE/dx built as a "full" correlation, and its comparison with the chain rule's ``dx``.

    ``upstream`` (``\\tilde{\\delta}``): ``delta`` dilated by the stride and padded by ``k - 1`` before and
    ``k - 1 + r`` after each spatial axis (``r = (n + 2p - k) % stride``): 1D ``(n + 2p + k - 1,)``, 2D
    ``(H + 2p + kH - 1, W + 2p + kW - 1, n_c_out)``. ``kernel`` (``\\hat{w}``): the effective forward kernel,
    spatially reversed when ``reverse`` is true, with its channel axes swapped: 1D ``(k,)``, 2D
    ``(kH, kW, n_c_out, n_c_in)``. ``dx``: ``(upstream star kernel)`` cropped to the input, shaped like ``x``.
    ``terms``: for each entry of ``dx`` (row-major) the pairs ``(upstream entry, kernel entry)`` summed,
    zeros of padding and dilation included. ``differences``: ``expand(chain-rule dx - dx)``, shaped like ``x``.
    ``verdict``: every difference is zero.
    """

    reverse: bool
    upstream: Array
    kernel: Array
    dx: Array
    terms: tuple
    differences: Array
    verdict: bool


@dataclass(frozen=True)
class Derivation:
    """Symbols, forward expressions, SymPy's gradients and the full-form proof for one layer configuration.

    Build it with :func:`conv1d_derivation` or :func:`conv2d_derivation`; the module docstring lists every
    shape and the LaTeX names. Fields: ``ndim`` (1 or 2), ``in_shape`` / ``k_shape`` / ``out_shape``
    (spatial sizes only), ``stride``, ``pad``, ``n_c_in``, ``n_c_out``, ``convention``, ``names``; symbols
    ``x``, ``w``, ``b`` (2D only, else ``None``), ``dz``; expressions ``z``, ``loss`` (``sum(dz * z)``), ``dx``,
    ``dw``, ``db`` (2D only), ``jacobian``; the proof ``full`` (:class:`FullForm`), ``x_padded``
    (``\\tilde{x}``), ``dz_dilated`` (``\\check{\\delta}``), ``dw_form``, ``dw_terms`` (pairs
    ``(x_padded entry, dz_dilated entry)`` per ``dw`` entry, row-major), ``dw_differences``.
    """

    ndim: int
    in_shape: tuple
    k_shape: tuple
    out_shape: tuple
    stride: int
    pad: int
    n_c_in: int
    n_c_out: int
    convention: str
    names: str
    dilation: int
    groups: int
    x: Array
    w: Array
    b: Array | None
    dz: Array
    z: Array
    loss: sympy.Expr
    dx: Array
    dw: Array
    db: Array | None
    jacobian: sympy.ImmutableMatrix
    full: FullForm
    x_padded: Array
    dz_dilated: Array
    dw_form: Array
    dw_terms: tuple
    dw_differences: Array
    symbol_latex: tuple  # ((Symbol, LaTeX name), ...) for every symbol
    output_latex: tuple  # LaTeX name of each z entry, row-major
    _sort_keys: tuple  # ((Symbol, key), ...): the order factors and terms are printed in

    # ----------------------------------------------------------------- the proof, as the brief names it
    @property
    def full_form(self) -> Array:
        """dE/dx as the full correlation with the reversed kernel, shaped like ``x`` (``self.full.dx``)."""
        return self.full.dx

    @property
    def dx_differences(self) -> Array:
        """``expand(dx - full_form)`` per input entry, shaped like ``x``: all zero when the flip is right."""
        return self.full.differences

    @property
    def verdict(self) -> bool:
        """True when ``dx == full_form`` and ``dw == dw_form`` entry by entry (expanded differences all 0)."""
        return self.full.verdict and all(d == 0 for d in _flat(self.dw_differences))

    # ----------------------------------------------------------------- LaTeX
    @functools.cached_property
    def unflipped(self) -> FullForm:
        """``full_correlation_form(self, reverse=False)``, computed once: the full form without the flip."""
        return full_correlation_form(self, reverse=False)

    @functools.cached_property
    def _latex_names(self) -> dict:
        return dict(self.symbol_latex)

    @functools.cached_property
    def _keys(self) -> dict:
        return dict(self._sort_keys)

    def latex(self, expr) -> str:
        """LaTeX of a polynomial in this derivation's symbols, terms in a fixed readable order."""
        return _poly_latex(expr, self._latex_names, self._keys)

    def latex_forward(self) -> list[str]:
        """One line per output, row-major: ``z_{h} = x_{h} w_{0} + ...`` (seed names: ``Q_{0} = a x + b y``)."""
        return [f"{name} = {self.latex(expr)}" for name, expr in zip(self.output_latex, _flat(self.z), strict=True)]

    def latex_jacobian(self) -> str:
        """The Jacobian ``dz/dx`` as a ``bmatrix``: rows are outputs, columns inputs (both row-major)."""
        return _bmatrix([[self.latex(e) for e in self.jacobian.row(r)] for r in range(self.jacobian.rows)])

    def jacobian_column(self, index) -> Array:
        """``d z / d x[index]`` shaped like ``z``: for stride 1, the reversed kernel placed at the window.

        ``index``: 1D ``i`` (or ``(i,)``); 2D ``(i, j)`` when ``n_c_in == 1``, else ``(i, j, c)``.
        """
        col = self._x_flat_index(index)
        return Array(list(self.jacobian.col(col)), self.z.shape)

    def latex_jacobian_column(self, index) -> str:
        """``\\frac{\\partial z}{\\partial x_{i}} = [...]`` (seed: ``\\frac{\\partial Q}{\\partial c} = [0 y x 0]``)."""
        name = self._latex_names[_flat(self.x)[self._x_flat_index(index)]]
        out = "Q" if self.names == "seed" else "z"
        return self._latex_blocks(f"\\frac{{\\partial {out}}}{{\\partial {name}}}", self.jacobian_column(index), 1)

    def latex_dx(self) -> list[str]:
        """``\\frac{\\partial E}{\\partial x_{i}} = \\delta_{h} w_{u} + ...`` for every input, row-major."""
        return self._latex_grad(self.x, self.dx)

    def latex_dw(self) -> list[str]:
        """``\\frac{\\partial E}{\\partial w_{u}} = x_{..} \\delta_{..} + ...`` for every kernel entry, row-major."""
        return self._latex_grad(self.w, self.dw)

    def latex_db(self) -> list[str]:
        """``\\frac{\\partial E}{\\partial b} = \\delta_{0,0} + ...`` per output channel (2D); ``[]`` in 1D."""
        return [] if self.b is None else self._latex_grad(self.b, self.db)

    def latex_full_form(self, reverse: bool = True) -> list[str]:
        """One line per input: ``(\\tilde{\\delta} \\star \\hat{w})_{i} = 0 \\cdot y + f x = f x``.

        The middle member lists every product of the correlation, zeros of padding and dilation included;
        the last is what remains (omitted when nothing cancels). ``reverse=False``: the unflipped version.
        """
        form = self.full if reverse else self.unflipped
        return [
            self._latex_form_line(self._form_name(_DELTA_T, _W_HAT, idx), terms, expr)
            for idx, terms, expr in zip(_indices(self.x.shape), form.terms, _flat(form.dx), strict=True)
        ]

    def latex_dw_form(self) -> list[str]:
        """One line per kernel entry: ``(\\tilde{x} \\star \\check{\\delta})_{u} = a f + b g + ...``.

        Under ``"convolution"`` the line for ``w_{u}`` is the correlation's entry ``k - 1 - u``.
        """
        lines = []
        for idx, terms, expr in zip(_indices(self.w.shape), self.dw_terms, _flat(self.dw_form), strict=True):
            spatial = idx[: self.ndim]
            if self.convention == "convolution":
                spatial = tuple(k - 1 - u for k, u in zip(self.k_shape, spatial, strict=True))
            name = self._latex_names[self.w[idx]]
            if self.ndim == 2 and self.n_c_in * self.n_c_out > 1:
                ci, co = idx[2:]
                lhs = f"\\left(\\tilde{{x}}^{{({ci})}} \\star \\check{{\\delta}}^{{({co})}}\\right)_{_sub(spatial)}"
            else:
                lhs = f"\\left(\\tilde{{x}} \\star \\check{{\\delta}}\\right)_{_sub(spatial)}"
            lines.append(f"\\frac{{\\partial E}}{{\\partial {name}}} : " + self._latex_form_line(lhs, terms, expr))
        return lines

    def latex_check(self, reverse: bool = True) -> list[str]:
        """``\\frac{\\partial E}{\\partial x_{i}} - (\\tilde{\\delta} \\star \\hat{w})_{i} = 0`` each input."""
        form = self.full if reverse else self.unflipped
        names = self._latex_names
        return [
            f"\\frac{{\\partial E}}{{\\partial {names[s]}}} - "
            + f"{self._form_name(_DELTA_T, _W_HAT, idx)} = {self.latex(d)}"
            for idx, s, d in zip(_indices(self.x.shape), _flat(self.x), _flat(form.differences), strict=True)
        ]

    def latex_array(self, which: str, reverse: bool = True) -> str:
        """One array as ``name = \\begin{bmatrix}...\\end{bmatrix}`` (one block per channel, ``\\quad`` apart).

        ``which``: ``"x"``, ``"w"``, ``"b"``, ``"dz"``, ``"z"``, ``"dx"``, ``"dw"``, ``"db"``, ``"full_form"``,
        ``"upstream"`` (``\\tilde{\\delta}``), ``"kernel"`` (``\\hat{w}``; ``reverse`` picks the flipped or
        unflipped one), ``"x_padded"`` (``\\tilde{x}``), ``"dz_dilated"`` (``\\check{\\delta}``), ``"dw_form"``.
        1D arrays print as a row, like the seed's ``[a b c d e]``.
        """
        seed = self.names == "seed"
        form = self.full if reverse else self.unflipped
        d = "\\frac{\\partial E}{\\partial %s}"
        table = {
            "x": ("L" if seed else "x", self.x, 1),
            "w": ("w", self.w, 2),
            "b": ("b", self.b, 0),
            "dz": ("\\frac{\\partial E}{\\partial Q}" if seed else "\\delta", self.dz, 1),
            "z": ("Q" if seed else "z", self.z, 1),
            "dx": (d % ("L" if seed else "x"), self.dx, 1),
            "dw": (d % "w", self.dw, 2),
            "db": (d % "b", self.db, 0),
            "full_form": ("\\tilde{\\delta} \\star \\hat{w}", form.dx, 1),
            "upstream": ("\\tilde{\\delta}", form.upstream, 1),
            "kernel": ("\\hat{w}", form.kernel, 2),
            "x_padded": ("\\tilde{x}", self.x_padded, 1),
            "dz_dilated": ("\\check{\\delta}", self.dz_dilated, 1),
            "dw_form": ("\\tilde{x} \\star \\check{\\delta}", self.dw_form, 2),
        }
        if which not in table:
            raise ValueError(f"which must be one of {tuple(table)}, got {which!r}")
        name, arr, n_channel_axes = table[which]
        if arr is None:
            raise ValueError(f"{which!r} does not exist in 1D: the 1D layer has no bias")
        return self._latex_blocks(name, arr, n_channel_axes)

    # ----------------------------------------------------------------- numbers
    def numeric_function(self):
        """A NumPy function ``f(x, w, dz) -> (dx, dw, db)`` made by ``sympy.lambdify`` (cache it, it is pure).

        Arguments and results have the shapes of :meth:`numeric`.
        """
        args = [_flat(self.x), _flat(self.w), _flat(self.dz)]
        exprs = [_flat(self.dx), _flat(self.dw), _flat(self.db) if self.db is not None else []]
        fn = _lambdify(args, exprs)
        shapes = (self.x.shape, self.w.shape, self.dz.shape)
        has_bias = self.db is not None
        db_shape = self.db.shape if has_bias else None

        def gradients(x, w, dz):
            flat = []
            for name, values, shape in zip(("x", "w", "dz"), (x, w, dz), shapes, strict=True):
                values = as_array(name, values, len(shape))
                _check_shape(name, values, shape)
                flat.append([float(v) for v in values.reshape(-1)])
            dx, dw, db = fn(*flat)
            dx = np.asarray(dx, dtype=np.float64).reshape(shapes[0])
            dw = np.asarray(dw, dtype=np.float64).reshape(shapes[1])
            return dx, dw, (np.asarray(db, dtype=np.float64).reshape(db_shape) if has_bias else None)

        return gradients

    def numeric(self, x_values, w_values, dz_values):
        """Evaluate ``dx, dw, db`` at numbers: ``(dx, dw, db)`` as float64 arrays in convcore's layout.

        1D: ``x (n,)``, ``w (k,)``, ``dz (n_out,)`` -> ``dx (n,)``, ``dw (k,)``, ``db None``.
        2D: ``x (H, W, n_c_in)``, ``w (kH, kW, n_c_in, n_c_out)``, ``dz (n_H, n_W, n_c_out)`` ->
        ``dx (H, W, n_c_in)``, ``dw (kH, kW, n_c_in, n_c_out)``, ``db (n_c_out,)``.
        """
        return self.numeric_function()(x_values, w_values, dz_values)

    def numeric_forward(self, x_values, w_values, b_values=None) -> np.ndarray:
        """``z`` at numbers: ``(n_out,)`` in 1D, ``(n_H, n_W, n_c_out)`` in 2D (``b (n_c_out,)``, default 0)."""
        args = [_flat(self.x), _flat(self.w)]
        values = [as_array("x", x_values, self.x.rank()), as_array("w", w_values, self.w.rank())]
        _check_shape("x", values[0], self.x.shape)
        _check_shape("w", values[1], self.w.shape)
        if self.b is not None:
            b = np.zeros(self.b.shape) if b_values is None else as_array("b", b_values, 1)
            _check_shape("b", b, self.b.shape)
            args.append(_flat(self.b))
            values.append(b)
        elif b_values is not None:
            raise ValueError("the 1D layer has no bias: leave b_values out")
        fn = _lambdify(args, [_flat(self.z)])
        (out,) = fn(*[[float(v) for v in arr.reshape(-1)] for arr in values])
        return np.asarray(out, dtype=np.float64).reshape(self.z.shape)

    # ----------------------------------------------------------------- helpers
    def _x_flat_index(self, index) -> int:
        idx = (index,) if not isinstance(index, (tuple, list)) else tuple(index)
        if len(idx) == len(self.x.shape) - 1 and self.n_c_in == 1 and self.ndim == 2:
            idx = idx + (0,)
        if len(idx) != len(self.x.shape):
            raise ValueError(f"index must have {len(self.x.shape)} entries (x has shape {self.x.shape}), got {index!r}")
        for name, i, n in zip("ijc", idx, self.x.shape, strict=False):
            as_int(f"index {name}", i, 0)
            if i >= n:
                raise ValueError(f"index {name} must be < {n}, got {i}")
        return int(np.ravel_multi_index(idx, self.x.shape))

    def _latex_grad(self, symbols, grads) -> list[str]:
        names = self._latex_names
        return [
            f"\\frac{{\\partial E}}{{\\partial {names[s]}}} = {self.latex(g)}"
            for s, g in zip(_flat(symbols), _flat(grads), strict=True)
        ]

    def _form_name(self, left: str, right: str, idx) -> str:
        spatial, chan = idx[: self.ndim], idx[self.ndim :]
        sup = f"^{{({chan[0]})}}" if self.ndim == 2 and self.n_c_in > 1 else ""
        return f"\\left({left} \\star {right}\\right){sup}_{_sub(spatial)}"

    def _latex_form_line(self, lhs: str, terms, expr) -> str:
        products = " + ".join(self._latex_product(a, b) for a, b in terms)
        result = self.latex(expr)
        if all(a != 0 and b != 0 for a, b in terms) and len(terms) == len(sympy.Add.make_args(expr)):
            return f"{lhs} = {result}"
        return f"{lhs} = {products} = {result}"

    def _latex_product(self, a, b) -> str:
        if a == 0 or b == 0:
            other = b if a == 0 else a
            return f"0 \\cdot {self.latex(other)}"
        first, second = sorted((a, b), key=lambda f: self._keys[f])
        return f"{self._latex_names[first]} {self._latex_names[second]}"

    def _latex_blocks(self, name: str, arr, n_channel_axes: int) -> str:
        """``name = bmatrix`` for 1D arrays; one block per channel (index) for 2D arrays with channels."""
        if self.ndim == 1:
            return f"{name} = " + _bmatrix([[self.latex(e) for e in _flat(arr)]])
        if n_channel_axes == 0:  # b, db: one entry per output channel
            return f"{name} = " + _bmatrix([[self.latex(e) for e in _flat(arr)]])
        rows, cols = arr.shape[:2]
        channel_shape = arr.shape[2:]
        blocks = []
        for chan in _indices(channel_shape):
            mat = _bmatrix([[self.latex(arr[(r, c) + chan]) for c in range(cols)] for r in range(rows)])
            label = name if all(n == 1 for n in channel_shape) else f"{{{name}}}^{{({','.join(map(str, chan))})}}"
            blocks.append(f"{label} = {mat}")
        return " \\quad ".join(blocks)


def _lambdify(arg_groups, expr_groups):
    """``sympy.lambdify(arg_groups, expr_groups)`` for NumPy, printing sums in their stored order.

    Every symbol name is a Python identifier, so lambdify uses them as they are; skipping the term sort
    of the default printer halves the time on the largest case.
    """
    printer = NumPyPrinter(
        {"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True, "order": "none"}
    )
    return sympy.lambdify(arg_groups, expr_groups, modules="numpy", printer=printer)


def _check_shape(name: str, arr: np.ndarray, shape) -> None:
    if tuple(np.shape(arr)) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(np.shape(arr))}")


def _bmatrix(rows) -> str:
    body = " \\\\ ".join(" & ".join(row) for row in rows)
    return f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}"


def _is_expanded(expr) -> bool:
    """True for a sum of products of powers of symbols (what every entry here is), so no expand is needed."""
    for term in sympy.Add.make_args(expr):
        for factor in sympy.Mul.make_args(term):
            base = factor.as_base_exp()[0]
            if not (base.is_Symbol or base.is_Number):
                return False
    return True


def _poly_latex(expr, names: dict, keys: dict) -> str:
    """LaTeX of a polynomial: factors ordered by role (x, delta, w, b), terms by their factors' indices."""
    if isinstance(expr, int):
        expr = sympy.Integer(expr)
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"expected a SymPy expression built from this derivation's symbols, got {expr!r}")
    if not _is_expanded(expr):
        expr = sympy.expand(expr)
    if expr == 0:
        return "0"
    terms = []
    for term in sympy.Add.make_args(expr):
        coeff, factors = term.as_coeff_mul()
        keyed = []
        for f in factors:
            base, exp = f.as_base_exp()
            text = names[base] if base in names else sympy.latex(base)
            keyed.append((keys.get(base, (9, str(base))), text if exp == 1 else f"{text}^{{{sympy.latex(exp)}}}"))
        keyed.sort()
        terms.append((tuple(k for k, _ in keyed), coeff, " ".join(t for _, t in keyed)))
    terms.sort(key=lambda t: t[0])
    out = []
    for n, (_, coeff, body) in enumerate(terms):
        negative = coeff < 0
        mag = -coeff if negative else coeff
        text = body if (mag == 1 and body) else (sympy.latex(mag) + (f" {body}" if body else ""))
        if n == 0:
            out.append(f"- {text}" if negative else text)
        else:
            out.append(f"{'-' if negative else '+'} {text}")
    return " ".join(out)


class _ExprBuilder:
    """Turn ring polynomials into SymPy expressions, building each product of two symbols only once.

    The forward pass, the chain rule's ``dx`` and the full form all contain the same products (``x w``,
    ``delta w``, ``x delta``); sharing them keeps the largest case near a second and makes equal sums
    structurally equal.
    """

    def __init__(self, symbols):
        self.symbols = list(symbols)
        self.position = {s: i for i, s in enumerate(self.symbols)}
        self.products = {}

    def product(self, a, b):
        """``a * b`` for symbols (or ``0``), cached by the pair."""
        if a is sympy.S.Zero or b is sympy.S.Zero:
            return sympy.S.Zero
        key = frozenset((self.position[a], self.position[b]))
        if key not in self.products:
            self.products[key] = sympy.Mul(a, b)
        return self.products[key]

    def __call__(self, poly) -> sympy.Expr:
        terms = []
        for monomial, coeff in poly.iterterms():
            degree = sum(monomial)
            if degree == 2 and 2 not in monomial:  # x w, delta w, x delta: the common case, found in C loops
                first = monomial.index(1)
                term = self.product(self.symbols[first], self.symbols[monomial.index(1, first + 1)])
            elif degree == 1:
                term = self.symbols[monomial.index(1)]
            else:
                term = sympy.Mul(*[self.symbols[i] ** e for i, e in enumerate(monomial) if e])
            terms.append(term if coeff == 1 else sympy.Integer(int(coeff)) * term)
        return sympy.Add(*terms)


def _difference(chain, form) -> sympy.Expr:
    """``expand(chain - form)``: 0 at once when both are already the same expanded polynomial."""
    return sympy.S.Zero if chain == form else sympy.expand(chain - form)


# --------------------------------------------------------------------- the engine (1D and 2D alike)
def _derive(ndim, n, k, stride, pad, c_in, c_out, convention, names, dilation=1, groups=1) -> Derivation:
    """Build every piece for spatial sizes ``n``, ``k`` (tuples of length ``ndim``); ``k`` counts the kernel's taps,
    which sit ``dilation`` apart on the input. Filter ``co`` reads the ``c_in // groups`` channels of its group."""
    axes = ("input",) if ndim == 1 else ("input height", "input width")
    d = dilation
    out = tuple(out_size(n_a, k_a, stride, pad, axis, d) for n_a, k_a, axis in zip(n, k, axes, strict=True))
    cg_in, cg_out = c_in // groups, c_out // groups

    def first_in(co: int) -> int:
        """The first input channel of filter ``co``'s group."""
        return (co // cg_out) * cg_in

    bias = ndim == 2
    if names == "seed":
        if k[0] > LIMITS["seed_kernel"]:
            raise ValueError(
                f"names='seed' has kernel letters x, y, z only: n_k must be at most {LIMITS['seed_kernel']} "
                f"(LIMITS['seed_kernel']), got {k[0]}; use names='indexed'"
            )
        if n[0] + out[0] > LIMITS["seed_letters"]:
            raise ValueError(
                f"names='seed' names the input and the upstream gradient with the letters a..w: n_in + n_out must "
                f"be at most {LIMITS['seed_letters']} (LIMITS['seed_letters']), got {n[0]} + {out[0]}; "
                "use names='indexed'"
            )

    latex_of, key_of = {}, {}

    def make(role: str, pyname: str, latex: str, key) -> sympy.Symbol:
        s = sympy.Symbol(pyname)
        latex_of[s], key_of[s] = latex, (_ROLE[role],) + key
        return s

    # internal tables keyed by full index: spatial + channel axes (1D: channel axes of size 1)
    X, W, D, B = {}, {}, {}, {}
    for idx in _indices(n + (c_in,)):
        sp, c = idx[:-1], idx[-1]
        if names == "seed":
            X[idx] = make("x", _SEED_INPUT_UPSTREAM[sp[0]], _SEED_INPUT_UPSTREAM[sp[0]], (c,) + sp)
        else:
            py = "x_" + "_".join(map(str, idx if ndim == 2 else sp))
            X[idx] = make("x", py, _named("x", sp, (c,) if c_in > 1 else None), (c,) + sp)
    for idx in _indices(k + (cg_in, c_out)):
        sp, ch = idx[:-2], idx[-2:]
        if names == "seed":
            W[idx] = make("w", _SEED_KERNEL[sp[0]], _SEED_KERNEL[sp[0]], ch + sp)
        else:
            py = "w_" + "_".join(map(str, idx if ndim == 2 else sp))
            W[idx] = make("w", py, _named("w", sp, ch if cg_in * c_out > 1 else None), ch + sp)
    for idx in _indices(out + (c_out,)):
        sp, c = idx[:-1], idx[-1]
        if names == "seed":
            letter = _SEED_INPUT_UPSTREAM[n[0] + sp[0]]
            D[idx] = make("dz", letter, letter, (c,) + sp)
        else:
            py = "dz_" + "_".join(map(str, idx if ndim == 2 else sp))
            D[idx] = make("dz", py, _named("\\delta", sp, (c,) if c_out > 1 else None), (c,) + sp)
    if bias:
        for c in range(c_out):
            B[c] = make("b", f"b_{c}", f"b^{{({c})}}" if c_out > 1 else "b", (c,))
    z_name = "Q" if names == "seed" else "z"
    output_latex = tuple(
        _named(z_name, idx[:-1], (idx[-1],) if c_out > 1 else None) for idx in _indices(out + (c_out,))
    )

    zero = sympy.S.Zero

    def x_pad(pos, c):
        """The padded input at padded position ``pos`` (a tuple): a symbol, or 0 in the border."""
        inner = tuple(q - pad for q in pos)
        return X[inner + (c,)] if all(0 <= q < n_a for q, n_a in zip(inner, n, strict=True)) else zero

    def k_eff(u, i, co):
        """The kernel entry the forward pass multiplies at tap ``u``, for input channel ``i`` of ``co``'s group."""
        if convention == "convolution":
            u = tuple(k_a - 1 - u_a for k_a, u_a in zip(k, u, strict=True))
        return W[u + (i, co)]

    # the forward pass and the loss, in SymPy's sparse polynomial ring (exact, and fast)
    symbols = list(X.values()) + list(W.values()) + list(D.values()) + list(B.values())
    R, *gens = ring(symbols, ZZ)
    position = {sym: i for i, sym in enumerate(symbols)}
    to_expr = _ExprBuilder(symbols)

    Z_ring = {}
    for idx in _indices(out + (c_out,)):
        o, co = idx[:-1], idx[-1]
        acc = gens[position[B[co]]] if bias else R.zero
        for i in range(cg_in):
            for u in _indices(k):
                xp = x_pad(tuple(stride * o_a + d * u_a for o_a, u_a in zip(o, u, strict=True)), first_in(co) + i)
                if xp is not zero:
                    acc += gens[position[xp]] * gens[position[k_eff(u, i, co)]]
        Z_ring[idx] = acc
    loss_ring = R.zero
    for idx, z in Z_ring.items():
        loss_ring += gens[position[D[idx]]] * z

    # the chain rule: SymPy differentiates the loss with respect to every symbol (by generator index)
    dX = {idx: to_expr(loss_ring.diff(position[s])) for idx, s in X.items()}
    dW = {idx: to_expr(loss_ring.diff(position[s])) for idx, s in W.items()}
    dB = {c: to_expr(loss_ring.diff(position[s])) for c, s in B.items()}
    Z = {idx: to_expr(z) for idx, z in Z_ring.items()}
    loss = sympy.Add(*[D[idx] * Z[idx] for idx in Z])
    x_list, z_keys = list(X.values()), list(Z)
    jac = [[zero] * len(x_list) for _ in z_keys]
    for r, idx in enumerate(z_keys):
        present = Z[idx].free_symbols
        for c, sym in enumerate(x_list):
            if sym in present:
                jac[r][c] = to_expr(Z_ring[idx].diff(position[sym]))

    # public shapes: 1D drops the channel axes
    def public(table, full_shape, drop):
        shape = full_shape[:-drop] if ndim == 1 and drop else full_shape
        return Array([table[idx] for idx in _indices(full_shape)], shape)

    x_arr = public(X, n + (c_in,), 1)
    w_arr = public(W, k + (cg_in, c_out), 2)
    dz_arr = public(D, out + (c_out,), 1)
    dx_arr = public(dX, n + (c_in,), 1)
    dw_arr = public(dW, k + (cg_in, c_out), 2)
    z_arr = public(Z, out + (c_out,), 1)

    # dw by construction: the padded input correlated with the dilated delta (stride -> dilation)
    padded = tuple(n_a + 2 * pad for n_a in n)
    dilated = tuple((o_a - 1) * stride + 1 for o_a in out)

    def dz_dil(t, co):
        return D[tuple(t_a // stride for t_a in t) + (co,)] if all(t_a % stride == 0 for t_a in t) else zero

    x_padded = {idx: x_pad(idx[:-1], idx[-1]) for idx in _indices(padded + (c_in,))}
    dz_dilated = {idx: dz_dil(idx[:-1], idx[-1]) for idx in _indices(dilated + (c_out,))}
    dw_terms, dw_form = [], {}
    for idx in _indices(k + (cg_in, c_out)):
        u, i, co = idx[:-2], idx[-2], idx[-1]
        if convention == "convolution":  # the forward pass used w[k-1-u] at tap u: read it back reversed
            u = tuple(k_a - 1 - u_a for k_a, u_a in zip(k, u, strict=True))
        ci = first_in(co) + i
        terms = tuple(  # tap u reads the input d u + t: the input sampled with holes, dZ spread by the stride
            (x_pad(tuple(d * u_a + t_a for u_a, t_a in zip(u, t, strict=True)), ci), dz_dil(t, co))
            for t in _indices(dilated)
        )
        dw_terms.append(terms)
        dw_form[idx] = sympy.Add(*[to_expr.product(a, b) for a, b in terms])
    dw_form_arr = public(dw_form, k + (cg_in, c_out), 2)
    dw_diff = public({idx: _difference(dW[idx], dw_form[idx]) for idx in dW}, k + (cg_in, c_out), 2)

    symbol_latex = tuple(latex_of.items())
    sort_keys = tuple(key_of.items())
    partial = Derivation(
        ndim=ndim,
        in_shape=n,
        k_shape=k,
        out_shape=out,
        stride=stride,
        pad=pad,
        n_c_in=c_in,
        n_c_out=c_out,
        convention=convention,
        names=names,
        dilation=d,
        groups=groups,
        x=x_arr,
        w=w_arr,
        b=Array([B[c] for c in range(c_out)], (c_out,)) if bias else None,
        dz=dz_arr,
        z=z_arr,
        loss=loss,
        dx=dx_arr,
        dw=dw_arr,
        db=Array([dB[c] for c in range(c_out)], (c_out,)) if bias else None,
        jacobian=sympy.ImmutableMatrix(jac),
        full=None,  # type: ignore[arg-type]  # filled in just below
        x_padded=public(x_padded, padded + (c_in,), 1),
        dz_dilated=public(dz_dilated, dilated + (c_out,), 1),
        dw_form=dw_form_arr,
        dw_terms=tuple(dw_terms),
        dw_differences=dw_diff,
        symbol_latex=symbol_latex,
        output_latex=output_latex,
        _sort_keys=sort_keys,
    )
    return dataclasses.replace(partial, full=full_correlation_form(partial, reverse=True))


def full_correlation_form(result: Derivation, reverse: bool = True) -> FullForm:
    """dE/dx as a full correlation, built by construction, and compared with ``result.dx``.

    ``delta`` is dilated by the stride, padded by ``k - 1`` on each side (plus ``r = (n + 2p - k) % s`` at
    the end, the cells a non-dividing stride never visits, which get 0), and correlated (stride 1) with
    ``kernel[u, co, ci] = k_eff[k - 1 - u, ci, co]`` (``reverse=True``: the effective forward kernel rotated
    180 degrees, channel axes swapped) or ``k_eff[u, ci, co]`` (``reverse=False``: no flip; the verdict is
    then ``False`` whenever some input is reached through an off-centre kernel entry). The result,
    ``n + 2p`` long per axis, is cropped to the input: ``dx_form[i] = full[i + p]`` (the gradient of the
    padded cells is dropped). Under ``"convolution"`` ``k_eff`` is ``w`` reversed, so the correct form
    correlates with ``w`` as written: the two flips cancel. Shapes: see :class:`FullForm`.
    """
    if not isinstance(result, Derivation):
        raise TypeError(f"result must be a Derivation from conv1d_derivation or conv2d_derivation, got {result!r}")
    ndim, n, k, out = result.ndim, result.in_shape, result.k_shape, result.out_shape
    s, p, c_in, c_out = result.stride, result.pad, result.n_c_in, result.n_c_out
    d, g = result.dilation, result.groups
    cg_in, cg_out = c_in // g, c_out // g
    zero = sympy.S.Zero
    ext = tuple(d * (k_a - 1) + 1 for k_a in k)  # the dilated kernel's extent, holes included

    def full_index(idx):  # public index from (spatial, channels)
        return idx if ndim == 2 else idx[:ndim]

    def D(o, co):
        return result.dz[full_index(o + (co,))]

    def k_eff(u, ci, co):
        """The forward kernel entry at tap ``u`` between input channel ``ci`` and filter ``co`` (0 across groups)."""
        if ci // cg_in != co // cg_out:
            return zero
        if result.convention == "convolution":
            u = tuple(k_a - 1 - u_a for k_a, u_a in zip(k, u, strict=True))
        return result.w[full_index(u + (ci % cg_in, co))]

    def dilated(e, ci, co):
        """The dilated forward kernel at cell ``e`` of its extent: a tap every ``d`` cells, 0 in the holes."""
        if any(e_a % d for e_a in e):
            return zero
        return k_eff(tuple(e_a // d for e_a in e), ci, co)

    up_shape = tuple(n_a + 2 * p + x_a - 1 for n_a, x_a in zip(n, ext, strict=True))

    def upstream(t, co):
        rel = tuple(t_a - (x_a - 1) for t_a, x_a in zip(t, ext, strict=True))
        if all(r >= 0 and r % s == 0 and r // s < o_a for r, o_a in zip(rel, out, strict=True)):
            return D(tuple(r // s for r in rel), co)
        return zero

    def kernel(e, co, ci):
        v = tuple(x_a - 1 - e_a for x_a, e_a in zip(ext, e, strict=True)) if reverse else e
        return dilated(v, ci, co)

    up = {idx: upstream(idx[:-1], idx[-1]) for idx in _indices(up_shape + (c_out,))}
    kern = {idx: kernel(idx[:-2], idx[-2], idx[-1]) for idx in _indices(ext + (c_out, c_in))}
    to_expr = _ExprBuilder(_flat(result.x) + _flat(result.w) + _flat(result.dz))
    terms_all, dx_form, diffs = [], [], []
    for idx in _indices(n + (c_in,)):
        i, ci = idx[:-1], idx[-1]
        group = range((ci // cg_in) * cg_out, (ci // cg_in + 1) * cg_out)  # the filters that read channel ci
        terms = tuple(
            (up[tuple(i_a + p + e_a for i_a, e_a in zip(i, e, strict=True)) + (co,)], kern[e + (co, ci)])
            for co in group
            for e in _indices(ext)
        )
        expr = sympy.Add(*[to_expr.product(a, b) for a, b in terms])
        terms_all.append(terms)
        dx_form.append(expr)
        diffs.append(_difference(result.dx[full_index(idx)], expr))

    def arr(values, full_shape, drop):
        return Array(values, full_shape[:-drop] if ndim == 1 else full_shape)

    return FullForm(
        reverse=bool(reverse),
        upstream=arr([up[idx] for idx in _indices(up_shape + (c_out,))], up_shape + (c_out,), 1),
        kernel=arr([kern[idx] for idx in _indices(ext + (c_out, c_in))], ext + (c_out, c_in), 2),
        dx=arr(dx_form, n + (c_in,), 1),
        terms=tuple(terms_all),
        differences=arr(diffs, n + (c_in,), 1),
        verdict=all(d == 0 for d in diffs),
    )


# --------------------------------------------------------------------- public constructors
def conv1d_derivation(
    n_in: int,
    n_k: int,
    stride: int = 1,
    pad: int = 0,
    convention: str = "correlation",
    names: str = "indexed",
    dilation: int = 1,
) -> Derivation:
    """Derive the gradients of a 1D convolution (no bias) of ``n_in`` inputs with ``n_k`` kernel entries.

    Shapes: ``x, dx (n_in,)``, ``w, dw (n_k,)``, ``dz, z (n_out,)`` with
    ``n_out = 1 + (n_in + 2 pad - dilation (n_k - 1) - 1) // stride``, ``jacobian (n_out, n_in)``; ``b`` and ``db``
    are ``None``. ``names="seed"`` uses the letters of the classic example (``conv1d_derivation(5, 2, names="seed")``
    is ``[a b c d e]`` with ``[x y]``, upstream ``[f g h i]``; at ``dilation=2`` the output is ``[ax+cy, ...]``).
    Raises ``ValueError`` past :data:`LIMITS` or when the (dilated) kernel is larger than the padded input.
    """
    n_in = _bounded("n_in", n_in, 1, "n_in_1d")
    n_k = _bounded("n_k", n_k, 1, "n_k_1d")
    stride = _bounded("stride", stride, 1, "stride")
    pad = _bounded("pad", pad, 0, "pad")
    dilation = _bounded("dilation", dilation, 1, "dilation")
    check_convention(convention)
    if names not in NAMES:
        raise ValueError(f"names must be one of {NAMES}, got {names!r}")
    return _derive(1, (n_in,), (n_k,), stride, pad, 1, 1, convention, names, dilation)


def conv2d_derivation(
    in_shape,
    k_shape,
    stride: int = 1,
    pad: int = 0,
    n_c_in: int = 1,
    n_c_out: int = 1,
    convention: str = "correlation",
    dilation: int = 1,
    groups: int = 1,
) -> Derivation:
    """Derive the gradients of a 2D convolution layer with one bias per output channel.

    ``in_shape`` ``(H, W)`` or an int (square), ``k_shape`` ``(kH, kW)`` or an int (the taps, ``dilation`` apart).
    Shapes: ``x, dx (H, W, n_c_in)``, ``w, dw (kH, kW, n_c_in // groups, n_c_out)``, ``b, db (n_c_out,)``,
    ``dz, z (n_H, n_W, n_c_out)`` with ``n_H = 1 + (H + 2 pad - dilation (kH - 1) - 1) // stride`` (and the same
    for the width), ``jacobian (n_H * n_W * n_c_out, H * W * n_c_in)``. ``dx`` of input channel ``ci`` sums over
    the output channels of its group; the full form uses the dilated kernel reversed, its channel axes swapped
    (block-diagonal with groups: 0 between channels of different groups); ``dw[:, :, i, co]`` is the correlation
    of padded input channel ``ci`` (the ``i``-th of ``co``'s group), read with holes, with the dilated ``delta``
    of channel ``co``. Raises ``ValueError`` past :data:`LIMITS`, when ``groups`` does not divide both channel
    counts, or when the dilated kernel is larger than the padded input.
    """
    H, W = _pair("in_shape", in_shape, "in_2d")
    kH, kW = _pair("k_shape", k_shape, "k_2d")
    stride = _bounded("stride", stride, 1, "stride")
    pad = _bounded("pad", pad, 0, "pad")
    n_c_in = _bounded("n_c_in", n_c_in, 1, "channels")
    n_c_out = _bounded("n_c_out", n_c_out, 1, "channels")
    dilation = _bounded("dilation", dilation, 1, "dilation")
    groups = as_int("groups", groups, 1)
    check_groups(groups, n_c_in, n_c_out)
    check_convention(convention)
    return _derive(2, (H, W), (kH, kW), stride, pad, n_c_in, n_c_out, convention, "indexed", dilation, groups)


def compare_with_convcore(result: Derivation, x_values, w_values, dz_values) -> dict[str, float]:
    """Largest absolute difference between the symbolic gradients (at numbers) and convcore's.

    Shapes as in :meth:`Derivation.numeric`. Returns ``{"z", "dx_scatter", "dx_rot180", "dw"}`` and, in 2D,
    ``"db"``: each ``max |symbolic - convcore|`` (about 1e-15 when they agree).
    """
    from .conv import conv_backward, conv_forward
    from .conv1d import conv1d_forward, conv1d_grad_input_rot180, conv1d_grad_input_scatter, conv1d_grad_weight

    dx, dw, db = result.numeric(x_values, w_values, dz_values)
    x = np.asarray(x_values, dtype=np.float64)
    w = np.asarray(w_values, dtype=np.float64)
    dz = np.asarray(dz_values, dtype=np.float64)
    s, p, conv, d = result.stride, result.pad, result.convention, result.dilation
    if result.ndim == 1:
        n = x.shape[0]
        ref = {
            "z": conv1d_forward(x, w, s, p, conv, d),
            "dx_scatter": conv1d_grad_input_scatter(n, w, dz, s, p, conv, d),
            "dx_rot180": conv1d_grad_input_rot180(n, w, dz, s, p, conv, d),
            "dw": conv1d_grad_weight(x, w.shape[0], dz, s, p, conv, d),
        }
        mine = {"z": result.numeric_forward(x, w), "dx_scatter": dx, "dx_rot180": dx, "dw": dw}
    else:
        hp = {"stride": s, "pad": p, "convention": conv, "dilation": d, "groups": result.groups}
        b = np.zeros((1, 1, 1, result.n_c_out))
        Z, cache = conv_forward(x[None], w, b, hp)
        dA_s, dW, dB = conv_backward(dz[None], cache, method="scatter")
        dA_r, _, _ = conv_backward(dz[None], cache, method="rot180")
        ref = {"z": Z[0], "dx_scatter": dA_s[0], "dx_rot180": dA_r[0], "dw": dW, "db": dB.reshape(-1)}
        mine = {"z": result.numeric_forward(x, w), "dx_scatter": dx, "dx_rot180": dx, "dw": dw, "db": db}
    return {key: float(np.max(np.abs(mine[key] - ref[key]))) for key in ref}
