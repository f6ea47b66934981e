"""The shared controls (sidebar, kept in the URL) and the small widgets pages reuse.

Every widget has a ``key`` and ``bind="query-params"``, so the URL carries the configuration and a
link reopens it. Streamlit drops a URL value the widget cannot take (out of range, not an option);
:func:`url_notice` tells the visitor when that happened.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas  # noqa: F401 - see below
import PIL.Image  # noqa: F401 - see below
import streamlit as st

from . import limits, presets
from .typed_matrix import typed_blocks

# pandas and PIL.Image are imported here, on the router's first line, before any page builds a figure: Plotly
# looks them up in sys.modules without importing them, so a session that builds a figure while another session's
# thread is still importing pandas gets a half-initialised module (AttributeError: partially initialized module
# 'pandas' has no attribute 'Series'). That happened on a freshly started server when a class opened the app at once;
# importing them here makes every session wait for the import to finish (tests/test_load_smoke.py).

__all__ = ["Config", "shared_controls", "current_config", "require_valid", "typed_blocks", "share_link", "url_notice"]

_DEFAULTS = {
    "input": presets.INPUT_PRESETS[0],
    "h": 6,
    "w": 6,
    "cin": 1,
    "input_text": "1 2 3 0\n4 5 6 1\n7 8 9 2\n0 1 2 3",
    "kernel": presets.KERNEL_PRESETS[0],
    "kh": 3,
    "kw": 3,
    "cout": 1,
    "kernel_text": "1 2\n3 4",
    "stride": 1,
    "pad": 0,
    "dilation": 1,
    "groups": "1",
    "conv": "cross-correlation",
    "seed": 0,
}
CONVENTION_LABELS = {"cross-correlation": "correlation", "true convolution": "convolution"}


@dataclass(frozen=True)
class Config:
    """What the shared controls chose. ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``W (f_H, f_W, n_C_prev, n_C)``."""

    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    convention: str
    seed: int
    input_preset: str
    kernel_preset: str
    problem: str | None  # why the configuration cannot be computed (None when it can)
    dilation: int = 1
    groups: int = 1
    kernel_problem: str | None = None  # why the kernel alone cannot be used (a page without the input needs only it)

    @property
    def layer(self) -> dict:
        """The layer's hyper-parameters as keyword arguments of the cached calls: stride, pad, convention,
        dilation, groups."""
        return {
            "stride": self.stride,
            "pad": self.pad,
            "convention": self.convention,
            "dilation": self.dilation,
            "groups": self.groups,
        }


def _blocks_to_channels(blocks: list, n: int, what: str) -> tuple[np.ndarray | None, str | None]:
    """1 block -> copied to every channel; n blocks -> one each; else a problem message."""
    if len(blocks) == 1:
        return np.stack([blocks[0]] * n, axis=-1), None
    if len(blocks) == n:
        return np.stack(blocks, axis=-1), None
    return None, f"The custom {what} has {len(blocks)} matrices; give 1 (copied to every channel) or {n}."


def _num(label: str, key: str, lo: int, hi: int, help: str | None = None, disabled: bool = False) -> int:
    return int(
        st.number_input(label, lo, hi, _DEFAULTS[key], 1, key=key, bind="query-params", help=help, disabled=disabled)
    )


def shared_controls() -> Config:
    """Draw the sidebar controls and return the configuration (also stored for the pages)."""
    _drop_infinite_url_values()
    # what the link asked for, before the widgets drop what they cannot take (read by url_notice)
    st.session_state.setdefault("_url_raw", st.query_params.to_dict())
    with st.sidebar:
        st.subheader("Input")
        input_preset = st.selectbox("Input preset", presets.INPUT_PRESETS, key="input", bind="query-params")
        custom_in = input_preset == "custom"
        c1, c2, c3 = st.columns(3)
        n_H, n_W, n_C_prev = _hw_channels(c1, c2, c3, custom_in)
        problem = None
        if custom_in:
            blocks = typed_blocks(
                "input_text",
                "Custom input",
                max_rows=limits.MAX_INPUT,
                max_cols=limits.MAX_INPUT,
                max_blocks=limits.MAX_CHANNELS,
                help="Rows of numbers, one per line (or separated by ';'); spaces or commas between numbers. "
                "For several channels, separate one matrix per channel with a blank line or '|'.",
                default=_DEFAULTS["input_text"],
                block_label=lambda k: f"channel {k}",
            )
            A_prev, problem = (
                (None, "Type a custom input.") if blocks is None else _blocks_to_channels(blocks, n_C_prev, "input")
            )
        seed = _num(
            "Random seed",
            "seed",
            0,
            limits.MAX_SEED,
            "the random presets draw the same numbers for the same random seed",
        )
        if not custom_in:
            A_prev = presets.make_input(input_preset, n_H, n_W, n_C_prev, seed)

        st.subheader("Kernel")
        kernel_preset = st.selectbox("Kernel preset", presets.KERNEL_PRESETS, key="kernel", bind="query-params")
        fixed = kernel_preset in presets.FIXED_KERNELS or kernel_preset == "custom"
        k1, k2, k3 = st.columns(3)
        with k1:
            f_H = _num("f_H", "kh", 1, limits.MAX_KERNEL, "kernel height", disabled=fixed)
        with k2:
            f_W = _num("f_W", "kw", 1, limits.MAX_KERNEL, "kernel width", disabled=fixed)
        with k3:
            n_C = _num("C_out", "cout", 1, limits.MAX_CHANNELS, "output channels (filters)")
        if kernel_preset in presets.FIXED_KERNELS:
            st.caption(f"{kernel_preset} is a fixed 3x3 kernel.")

        st.subheader("Layer")
        s1, s2, s3 = st.columns(3)
        with s1:
            stride = _num("Stride", "stride", 1, limits.MAX_STRIDE)
        with s2:
            pad = _num("Padding", "pad", 0, limits.MAX_PAD)
        with s3:
            dilation = _num(
                "Dilation",
                "dilation",
                1,
                limits.MAX_DILATION,
                "the kernel's taps sit this many cells apart on the input (1: next to each other); "
                "the cells in between, the holes, are skipped",
            )
        groups = _groups_control(n_C_prev, n_C)
        cg_in = n_C_prev // groups  # input channels per group: the kernel's third axis
        W = None
        kernel_problem = None
        if kernel_preset == "custom":
            pairs = cg_in * n_C
            blocks = typed_blocks(
                "kernel_text",
                "Custom kernel",
                max_rows=limits.MAX_KERNEL,
                max_cols=limits.MAX_KERNEL,
                max_blocks=limits.MAX_CHANNELS**2,
                help="Rows of numbers, one per line. One matrix is used for every channel pair; or give "
                "(C_in / groups) x C_out matrices (separated by a blank line or '|'), ordered (c_in 0, c_out 0), "
                "(c_in 0, c_out 1), ...",
                default=_DEFAULTS["kernel_text"],
                block_label=lambda k: f"c_in {k // n_C}, c_out {k % n_C}",
            )
            if blocks is None:
                kernel_problem = "Type a custom kernel."
                problem = problem or kernel_problem
            elif len(blocks) in (1, pairs):
                stack = np.stack(blocks if len(blocks) > 1 else blocks * pairs, axis=-1)
                W = stack.reshape(*stack.shape[:2], cg_in, n_C)  # (f_H, f_W, pairs) -> (f_H, f_W, C_in/g, C_out)
            else:
                what = "C_in x C_out" if groups == 1 else f"(C_in / groups) x C_out = {cg_in} x {n_C}"
                kernel_problem = f"The custom kernel has {len(blocks)} matrices; give 1 or {what} = {pairs}."
                problem = problem or kernel_problem
        else:
            W = presets.make_kernel(kernel_preset, f_H, f_W, cg_in, n_C, seed)
        conv_label = st.radio(
            "Forward convention",
            list(CONVENTION_LABELS),
            key="conv",
            bind="query-params",
            horizontal=True,
            help="Cross-correlation is what the course, PyTorch and every framework compute. True convolution "
            "rotates the kernel 180 degrees going forward; then the backward pass uses it unrotated.",
        )
        convention = CONVENTION_LABELS[conv_label]
        if problem is None and A_prev is not None and W is not None:
            problem = _geometry_problem(A_prev.shape, W.shape, pad, dilation)
        share_link()
    n_filters = W.shape[3] if W is not None else n_C
    config = Config(
        A_prev=A_prev if A_prev is not None else np.zeros((1, 1, 1)),
        W=W if W is not None else np.zeros((1, 1, 1, 1)),
        b=np.zeros(n_filters),
        stride=stride,
        pad=pad,
        convention=convention,
        seed=seed,
        input_preset=input_preset,
        kernel_preset=kernel_preset,
        problem=problem,
        dilation=dilation,
        groups=groups,
        kernel_problem=kernel_problem,
    )
    st.session_state["_config"] = config
    return config


def _hw_channels(c1, c2, c3, custom_in: bool) -> tuple[int, int, int]:
    with c1:
        n_H = _num("H", "h", 1, limits.MAX_INPUT, "input height", disabled=custom_in)
    with c2:
        n_W = _num("W", "w", 1, limits.MAX_INPUT, "input width", disabled=custom_in)
    with c3:
        n_C_prev = _num("C_in", "cin", 1, limits.MAX_CHANNELS, "input channels")
    return n_H, n_W, n_C_prev


def _groups_control(n_C_prev: int, n_C: int) -> int:
    """A bound selectbox over the group counts that divide both channel counts; 1 without a widget when only 1 does.

    The options are the numbers as text (a bound selectbox writes its displayed label into the URL).
    """
    options = [str(g) for g in range(1, n_C_prev + 1) if n_C_prev % g == 0 and n_C % g == 0]
    if len(options) == 1:
        return 1
    choice = st.selectbox(
        "Groups",
        options,
        key="groups",
        bind="query-params",
        help="Input channel block k (C_in / groups channels) feeds only output channel block k (C_out / groups "
        "filters), as PyTorch's groups=. Offered: the numbers that divide both C_in and C_out.",
    )
    groups = int(choice)
    if groups == n_C_prev and groups > 1:
        st.caption(
            f"**Depthwise**: groups = C_in = {n_C_prev}, each input channel has its own "
            f"{'filter' if n_C == n_C_prev else f'{n_C // n_C_prev} filters'}."
        )
    elif groups > 1:
        st.caption(f"{groups} groups of {n_C_prev // groups} input channel(s) and {n_C // groups} filter(s).")
    return groups


def _geometry_problem(input_shape, kernel_shape, pad: int, dilation: int = 1) -> str | None:
    n_H, n_W = input_shape[:2]
    f_H, f_W = kernel_shape[:2]
    for name, n, f in (("height", n_H, f_H), ("width", n_W, f_W)):
        e = dilation * (f - 1) + 1
        if e > n + 2 * pad:
            spans = f"({f})" if dilation == 1 else f"({f} taps at dilation {dilation} span {e} cells)"
            return (
                f"The kernel {name} {spans} is larger than the padded input {name} ({n} + 2x{pad} = {n + 2 * pad}). "
                f"Use a smaller kernel{' or dilation' if dilation > 1 else ''}, a larger input, or more padding."
            )
    return None


def current_config() -> Config:
    """The configuration the router's controls chose on this run."""
    return st.session_state["_config"]


def require_valid(config: Config, kernel_only: bool = False) -> None:
    """Stop the page with a clear message when the configuration cannot be computed; ``kernel_only``: when the
    kernel cannot be used (for a page that takes only the sidebar's kernel and layer, not its input)."""
    problem = config.kernel_problem if kernel_only else config.problem
    if problem:
        st.error(problem, icon=":material/block:")
        st.stop()


def share_link() -> None:
    """A link that reopens this configuration (and the page's own controls): the URL's query string."""
    params = {}
    for key, default in _DEFAULTS.items():
        value = st.session_state.get(key, default)
        if value != default:
            params[key] = str(value)
    # The page's own bound widgets (dZ choice, channel shown, ...) run after the sidebar: take them from the
    # URL this rerun arrived with, which the browser keeps up to date.
    for key, value in st.query_params.to_dict().items():
        params.setdefault(key, value)
    base = st.context.url or ""
    with st.expander("Share this configuration"):
        st.code(base + ("?" + urlencode(params) if params else ""), language=None, wrap_lines=True)
        st.caption("Copy the link (icon at the right): it reopens this page with these settings.")


def _infinite(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except (ValueError, TypeError, OverflowError):
        return False


def _drop_infinite_url_values() -> None:
    """Remove URL values that float() reads as infinite or NaN (``1e999``, ``inf``, 400 digits), then rerun.

    Streamlit 1.67 seeds a bound integer st.number_input with ``int(float(value))`` and does not catch the
    OverflowError, so ``?h=1e999`` would stop the whole app with an exception before any page could help.
    Runs before any widget exists; :func:`url_notice` then names the values it removed.
    """
    removed = []
    for key in [k for k in st.query_params if any(_infinite(v) for v in st.query_params.get_all(k))]:
        with contextlib.suppress(Exception):  # a key already bound to a widget cannot be deleted (nor re-seeded)
            del st.query_params[key]
            removed.append(key)
    if removed:
        st.session_state["_url_dropped"] = sorted(set(st.session_state.get("_url_dropped", ())) | set(removed))
        st.rerun()


def url_notice() -> None:
    """On the first run of a session, say which values from the URL could not be used.

    The router calls it after the page has run (even when the page stopped early), so the page's own
    controls have taken or dropped their values by then, not only the sidebar's.
    """
    if st.session_state.get("_url_checked") or "_url_raw" not in st.session_state:
        return
    st.session_state["_url_checked"] = True
    raw = st.session_state.pop("_url_raw")
    dropped = [key for key in st.session_state.pop("_url_dropped", ()) if re.fullmatch(r"\w{1,40}", key)]
    for key, text in raw.items():
        # a bound widget rewrites a value it could not take; booleans come back as "True" for "true"
        if key in st.session_state and str(st.session_state[key]).lower() != text.lower():
            dropped.append(key)
    if dropped:
        shown = ", ".join(f"`{k}`" for k in sorted(set(dropped))[:8])
        st.toast(
            f"Some values in the link could not be used ({shown}); defaults are shown instead.", icon=":material/info:"
        )
