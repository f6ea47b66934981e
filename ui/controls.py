"""The shared controls (sidebar, kept in the URL) and the small widgets pages reuse.

Every widget has a ``key`` and ``bind="query-params"``, so the URL carries the configuration and a
link reopens it. Streamlit drops a URL value the widget cannot take (out of range, not an option);
:func:`url_notice` tells the visitor when that happened.

Each page shows the controls it uses (``uses``: sections of :data:`SECTIONS`, chosen by the router); the others are
still drawn, at the same place, in containers the page's style sheet hides (``display: none``, so they are neither
seen nor reached with the keyboard). Why not simply leave them out: what Streamlit 1.67 does with a bound widget that
a run does not draw (checked in Chromium, ``SessionState._remove_stale_widgets`` and the frontend's
``handlePageInfoChanged``) is to keep its value in session state, drop its parameter from the URL, and write it back
when a later page draws it again; each of those changes of the address is a ``history.pushState``, so one page change
left two or three entries in the browser's history, and going Back to the one in between (whose address lacks the
value) reset the control to its default, since on history navigation the URL wins. A link to a page that did not draw
a control (``/?stride=2``, a link shared from the home page) lost the value at the next page change, as the parameter
belonged to no widget. A widget that moves to another container is remounted by the frontend, which drops its
parameter too. Drawn everywhere, always in the same place, the controls keep the address complete on every page, as
when every page showed them: one history entry per page change, links to any page, and the share link is the
address.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
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

__all__ = [
    "Config",
    "SECTIONS",
    "CONVENTION_LABELS",
    "HIDDEN_PREFIX",
    "shared_controls",
    "current_config",
    "require_valid",
    "typed_blocks",
    "share_link",
    "SHARE_OPEN",
    "url_notice",
    "stage",
]

SECTIONS = ("input", "kernel", "layer")

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
SHARE_OPEN = "share_open"  # session key of the "Share this configuration" expander's open state
HIDDEN_PREFIX = "ctl_"  # the keys of the controls' containers: st-key-ctl_input, ... (hidden by CSS when unused)


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
    input_problem: str | None = None  # why the input alone cannot be used (a page without the kernel needs only it)

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


def _num(label: str, key: str, lo: int, hi: int, help: str | None = None) -> int:
    return int(st.number_input(label, lo, hi, _DEFAULTS[key], 1, key=key, bind="query-params", help=help))


def _size_line(what: str, blocks: list | None, why: str) -> None:
    """The line that stands for the size boxes a fixed or typed matrix sets: the size in force, and where it comes
    from (the boxes themselves are hidden, and keep their values for when a preset comes back)."""
    size = f"{blocks[0].shape[0]} x {blocks[0].shape[1]}" if blocks else "–"
    st.markdown(f"{what}: **{size}**, {why}")


_INPUT_HELP = (
    "Rows of numbers, one per line (or separated by ';'); spaces or commas between numbers. "
    "For several channels, separate one matrix per channel with a blank line or '|'."
)
_KERNEL_HELP = (
    "Rows of numbers, one per line. One matrix is used for every channel pair; or give "
    "(C_in / groups) x C_out matrices (separated by a blank line or '|'), ordered (c_in 0, c_out 0), "
    "(c_in 0, c_out 1), ..."
)


def _box(name: str):
    """A keyed container for a group of controls, which the page's style sheet may hide (:func:`_hide`)."""
    return st.container(key=HIDDEN_PREFIX + name)


def _input_section(shown: bool, hide: set) -> dict:
    """Input preset, H and W (or the size of the typed matrix), the custom matrix with its grid."""
    st.subheader("Input")
    preset = st.selectbox("Input preset", presets.INPUT_PRESETS, key="input", bind="query-params")
    out = {"input": preset}
    custom = preset == "custom"
    line = st.empty()
    with _box("hw"):
        c1, c2 = st.columns(2)
        with c1:
            out["h"] = _num("H", "h", 1, limits.MAX_INPUT, "input height")
        with c2:
            out["w"] = _num("W", "w", 1, limits.MAX_INPUT, "input width")
    if custom:
        hide.add("hw")
        out["input_blocks"] = typed_blocks(
            "input_text",
            "Custom input",
            max_rows=limits.MAX_INPUT,
            max_cols=limits.MAX_INPUT,
            max_blocks=limits.MAX_CHANNELS,
            help=_INPUT_HELP,
            default=_DEFAULTS["input_text"],
            block_label=lambda k: f"channel {k}",
            grid=shown,
        )
        with line.container():
            _size_line("H x W", out["input_blocks"], "the size of the typed matrix")
    return out


def _channels_section() -> dict:
    st.subheader("Channels")
    c1, c2 = st.columns(2)
    out = {}
    with c1, _box("cin"):
        out["cin"] = _num("C_in", "cin", 1, limits.MAX_CHANNELS, "input channels")
    with c2, _box("cout"):
        out["cout"] = _num("C_out", "cout", 1, limits.MAX_CHANNELS, "output channels (filters)")
    return out


def _kernel_section(shown: bool, hide: set, n_C: int) -> dict:
    """Kernel preset, f_H and f_W (or the size of the fixed or typed kernel), the custom kernel with its grid."""
    st.subheader("Kernel")
    preset = st.selectbox("Kernel preset", presets.KERNEL_PRESETS, key="kernel", bind="query-params")
    out = {"kernel": preset}
    line = st.empty()
    with _box("fhw"):
        c1, c2 = st.columns(2)
        with c1:
            out["kh"] = _num("f_H", "kh", 1, limits.MAX_KERNEL, "kernel height")
        with c2:
            out["kw"] = _num("f_W", "kw", 1, limits.MAX_KERNEL, "kernel width")
    if preset in presets.FIXED_KERNELS:
        hide.add("fhw")
        with line.container():
            _size_line("f_H x f_W", [presets.FIXED_KERNELS[preset]], f"{preset} is a fixed kernel")
    elif preset == "custom":
        hide.add("fhw")
        out["kernel_blocks"] = typed_blocks(
            "kernel_text",
            "Custom kernel",
            max_rows=limits.MAX_KERNEL,
            max_cols=limits.MAX_KERNEL,
            max_blocks=limits.MAX_CHANNELS**2,
            help=_KERNEL_HELP,
            default=_DEFAULTS["kernel_text"],
            block_label=lambda k: f"c_in {k // n_C}, c_out {k % n_C}",
            grid=shown,
        )
        with line.container():
            _size_line("f_H x f_W", out["kernel_blocks"], "the size of the typed kernel")
    return out


def _layer_section(n_C_prev: int, n_C: int) -> dict:
    st.subheader("Layer")
    s1, s2, s3 = st.columns(3)
    out = {}
    with s1:
        out["stride"] = _num("Stride", "stride", 1, limits.MAX_STRIDE)
    with s2:
        out["pad"] = _num("Padding", "pad", 0, limits.MAX_PAD)
    with s3:
        out["dilation"] = _num(
            "Dilation",
            "dilation",
            1,
            limits.MAX_DILATION,
            "the kernel's taps sit this many cells apart on the input (1: next to each other); "
            "the cells in between, the holes, are skipped",
        )
    out["groups"] = _groups_control(n_C_prev, n_C)
    out["conv"] = st.radio(
        "Forward convention",
        list(CONVENTION_LABELS),
        key="conv",
        bind="query-params",
        horizontal=True,
        help="Cross-correlation is what the course, PyTorch and every framework compute. True convolution "
        "rotates the kernel 180 degrees going forward; then the backward pass uses it unrotated.",
    )
    return out


def _hide(names: set) -> None:
    """The style sheet that hides the controls' containers ``names`` on this page (one rule; none when empty): the
    keyed container, and the layout wrapper Streamlit puts around it (else the wrapper keeps its gap)."""
    keys = [f".st-key-{HIDDEN_PREFIX}{n}" for n in sorted(names)]
    rules = ", ".join(keys + [f'[data-testid="stLayoutWrapper"]:has(> {k})' for k in keys])
    st.html(f"<style>{rules} {{display: none;}}</style>" if rules else "<style></style>")


def stage(values: dict) -> None:
    """Set widgets (by key) to ``values`` from what a run saw, then rerun at once: a widget cannot be changed once it is
    drawn, so the values wait in session state and :func:`shared_controls`, first thing on the next run, writes them
    before any widget is drawn (a click on a chart picks a cell this way: ui.widgets.pick_chart)."""
    st.session_state["_staged"] = dict(values)
    st.rerun()


def _write_staged() -> None:
    for key, value in st.session_state.pop("_staged", {}).items():
        st.session_state[key] = value


def shared_controls(uses: Iterable[str] = SECTIONS) -> Config:
    """Draw the sidebar, showing the sections this page ``uses`` (of :data:`SECTIONS`: C_in and the random seed with
    the input or the kernel), and return the configuration (also stored for the pages). The other controls are drawn
    hidden, so that the address keeps their values (see the module's docstring)."""
    uses = {s for s in SECTIONS if s in set(uses)}
    _write_staged()
    _drop_infinite_url_values()
    # what the link asked for, before the widgets drop what they cannot take (read by url_notice)
    st.session_state.setdefault("_url_raw", st.query_params.to_dict())
    page_hides = {s for s in SECTIONS if s not in uses} | ({"cout"} if "kernel" not in uses else set())
    if not uses & {"input", "kernel"}:
        page_hides |= {"channels", "seed"}
    hide = set()  # the size boxes a fixed or typed matrix replaces, found while drawing
    v = {}
    with st.sidebar:
        # The page's sections are hidden by a style sheet at the top, so that a page change never shows them while
        # the sidebar is redrawn; the size boxes by one at the bottom. Both always there, so that the controls
        # stay at the same place on every page.
        _hide(page_hides)
        note = st.empty()
        if not uses:
            note.caption(
                "This page uses no input, kernel or layer: the ones you chose on the other pages are kept, in the "
                "address and in the link below."
            )
        with _box("input"):
            v |= _input_section("input" in uses, hide)
        with _box("channels"):
            v |= _channels_section()
        with _box("kernel"):
            v |= _kernel_section("kernel" in uses, hide, v["cout"])
        with _box("seed"):
            v["seed"] = _num(
                "Random seed", "seed", 0, limits.MAX_SEED, "the random presets draw the same numbers for the same seed"
            )
        with _box("layer"):
            v |= _layer_section(v["cin"], v["cout"])
        config = _configure(v)
        share_link()
        _hide(hide)
    st.session_state["_config"] = config
    return config


def _configure(v: dict) -> Config:
    """The arrays and the problems, from the controls' values ``v``."""
    seed, n_C_prev, n_C, groups = int(v["seed"]), int(v["cin"]), int(v["cout"]), int(v["groups"])
    input_problem = kernel_problem = None
    W = None
    if v["input"] == "custom":
        blocks = v["input_blocks"]
        A_prev, input_problem = (
            (None, "Type a custom input.") if blocks is None else _blocks_to_channels(blocks, n_C_prev, "input")
        )
    else:
        A_prev = presets.make_input(v["input"], int(v["h"]), int(v["w"]), n_C_prev, seed)
    cg_in = n_C_prev // groups  # input channels per group: the kernel's third axis
    if v["kernel"] == "custom":
        blocks = v["kernel_blocks"]
        pairs = cg_in * n_C
        if blocks is None:
            kernel_problem = "Type a custom kernel."
        elif len(blocks) in (1, pairs):
            stack = np.stack(blocks if len(blocks) > 1 else blocks * pairs, axis=-1)
            W = stack.reshape(*stack.shape[:2], cg_in, n_C)  # (f_H, f_W, pairs) -> (f_H, f_W, C_in/g, C_out)
        else:
            what = "C_in x C_out" if groups == 1 else f"(C_in / groups) x C_out = {cg_in} x {n_C}"
            kernel_problem = f"The custom kernel has {len(blocks)} matrices; give 1 or {what} = {pairs}."
    else:
        W = presets.make_kernel(v["kernel"], int(v["kh"]), int(v["kw"]), cg_in, n_C, seed)
    problem = input_problem or kernel_problem
    if problem is None:
        problem = _geometry_problem(A_prev.shape, W.shape, int(v["pad"]), int(v["dilation"]))
    n_filters = W.shape[3] if W is not None else n_C
    return Config(
        A_prev=A_prev if A_prev is not None else np.zeros((1, 1, 1)),
        W=W if W is not None else np.zeros((1, 1, 1, 1)),
        b=np.zeros(n_filters),
        stride=int(v["stride"]),
        pad=int(v["pad"]),
        convention=CONVENTION_LABELS[v["conv"]],
        seed=seed,
        input_preset=v["input"],
        kernel_preset=v["kernel"],
        problem=problem,
        dilation=int(v["dilation"]),
        groups=groups,
        kernel_problem=kernel_problem,
        input_problem=input_problem,
    )


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


def require_valid(config: Config, kernel_only: bool = False, input_only: bool = False) -> None:
    """Stop the page with a clear message when the configuration cannot be computed; ``kernel_only``: when the
    kernel cannot be used (for a page that takes only the sidebar's kernel and layer, not its input);
    ``input_only``: when the input cannot be used (for a page that takes only the input)."""
    problem = config.kernel_problem if kernel_only else config.input_problem if input_only else config.problem
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
    # Built only while open (a rerun on opening it): st.code loads the browser's code highlighter, 1.6 MB of script
    # that cost a fresh browser about 0.26 s on every page with a sidebar, for a box most visitors never open.
    box = st.expander("Share this configuration", key=SHARE_OPEN, on_change="rerun", icon=":material/link:")
    if box.open:
        with box:
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
