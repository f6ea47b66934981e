"""Shared oracles and shapes for the tests of the numeric core.

- :func:`numerical_gradient`: central differences in float64, as cs231n's ``eval_numerical_gradient_array``.
- :class:`ConvCase` and :func:`conv_cases`: convolution geometries; :data:`GEOMETRIES` lists the cases every
  comparison must cover (pad 0, strides 2 and 3 that do not divide ``n + 2p - f``, non-square inputs,
  rectangular kernels, one and several channels, batches), and the Hypothesis strategy draws more.
- :class:`PoolCase` and :func:`pool_cases`: the same for pooling.
- :class:`TransposeCase` and :func:`transpose_cases`: transposed convolutions (output_padding included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import strategies as st

from convcore import CONVENTIONS


def numerical_gradient(fn, x: np.ndarray, df: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Gradient of ``sum(fn() * df)`` with respect to ``x`` by central differences.

    ``fn`` reads ``x`` (which is perturbed in place, one entry at a time, and restored); ``df`` is the
    upstream gradient, so with ``fn = lambda: conv_forward(A, W, b, hp)[0]`` and ``df = dZ`` the result is
    the dA_prev that ``conv_backward(dZ, cache)`` must return.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = fn().copy()
        x[ix] = old - h
        neg = fn().copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


@dataclass(frozen=True)
class ConvCase:
    """One convolution geometry; ``arrays()`` draws its A_prev, W, b and an upstream dZ from ``seed``."""

    m: int
    n_H_prev: int
    n_W_prev: int
    n_C_prev: int
    n_C: int
    f_H: int
    f_W: int
    stride: int
    pad: int
    convention: str = "correlation"
    seed: int = 0
    dilation: int = 1
    groups: int = 1

    @property
    def hparameters(self) -> dict:
        """The course's dict, with ``"dilation"`` and ``"groups"`` only when they are not 1."""
        hp = {"stride": self.stride, "pad": self.pad, "convention": self.convention}
        if self.dilation != 1:
            hp["dilation"] = self.dilation
        if self.groups != 1:
            hp["groups"] = self.groups
        return hp

    @property
    def extra(self) -> dict:
        """``dilation`` and ``groups`` as keyword arguments (for grad_input_*, grad_weight and the traces)."""
        return {"dilation": self.dilation, "groups": self.groups}

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.m, self.n_H_prev, self.n_W_prev, self.n_C_prev)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.f_H, self.f_W, self.n_C_prev // self.groups, self.n_C)

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        e_H, e_W = self.dilation * (self.f_H - 1) + 1, self.dilation * (self.f_W - 1) + 1
        n_H = 1 + (self.n_H_prev + 2 * self.pad - e_H) // self.stride
        n_W = 1 + (self.n_W_prev + 2 * self.pad - e_W) // self.stride
        return (self.m, n_H, n_W, self.n_C)

    def with_convention(self, convention: str) -> ConvCase:
        return ConvCase(**{**self.__dict__, "convention": convention})

    def arrays(self):
        """``(A_prev, W, b, dZ)``, standard normal, float64."""
        rng = np.random.default_rng(self.seed)
        A_prev = rng.standard_normal(self.input_shape)
        W = rng.standard_normal(self.weight_shape)
        b = rng.standard_normal((1, 1, 1, self.n_C))
        dZ = rng.standard_normal(self.output_shape)
        return A_prev, W, b, dZ


#: (name, case): every property below is checked on each of these, under both conventions.
GEOMETRIES = [
    ("pad0-1ch", ConvCase(1, 4, 4, 1, 1, 2, 2, 1, 0)),
    ("stride2-nondividing-nonsquare", ConvCase(2, 5, 7, 2, 3, 2, 2, 2, 0)),  # (5-2)%2 = (7-2)%2 = 1
    ("stride3-nondividing-rect", ConvCase(1, 7, 5, 3, 2, 2, 3, 3, 1)),  # (7+2-2)%3 = (5+2-3)%3 = 1
    ("rect-kernel-3x1-pad1", ConvCase(2, 4, 6, 2, 2, 3, 1, 1, 1)),
    ("rect-kernel-1x3-stride2-pad2", ConvCase(3, 5, 3, 1, 4, 1, 3, 2, 2)),
    ("kernel-fills-padded-input", ConvCase(1, 2, 3, 2, 1, 4, 5, 1, 1)),
    ("stride-larger-than-kernel", ConvCase(2, 6, 6, 2, 2, 2, 2, 3, 0)),  # gaps the windows never read
    ("1x1-kernel-stride2", ConvCase(1, 5, 4, 3, 2, 1, 1, 2, 0)),
    ("course-like-pad2-stride2", ConvCase(2, 4, 4, 3, 2, 2, 2, 2, 2)),
]

#: the same geometries under both conventions, for ``pytest.mark.parametrize``.
GEOMETRY_PARAMS = [
    pytest.param(case.with_convention(conv), id=f"{name}-{conv}") for name, case in GEOMETRIES for conv in CONVENTIONS
]

#: dilated and grouped geometries every comparison must also cover: d = 2 and 3, g = 1, 2 and depthwise, pad 0,
#: strides that do not divide, non-square inputs, rectangular kernels, batches.
DILATED_GROUPED = [
    ("d2-pad0-1ch", ConvCase(1, 5, 5, 1, 1, 2, 2, 1, 0, dilation=2)),
    ("d3-stride2-nondividing-nonsquare", ConvCase(2, 8, 9, 2, 3, 2, 2, 2, 0, dilation=3)),  # (8-4)%2=0, (9-4)%2=1
    ("d2-rect-kernel-2x3-pad1-stride3", ConvCase(2, 6, 7, 2, 2, 2, 3, 3, 1, dilation=2)),  # (6+2-3)%3=2
    ("g2-stride2-nondividing", ConvCase(2, 5, 6, 2, 4, 3, 2, 2, 1, groups=2)),  # (5+2-3)%2=0, (6+2-2)%2=0
    ("g2-d2-pad2", ConvCase(1, 6, 5, 4, 2, 3, 3, 1, 2, dilation=2, groups=2)),
    ("depthwise-3ch", ConvCase(2, 5, 5, 3, 3, 3, 3, 1, 1, groups=3)),
    ("depthwise-x2-multiplier-d2-stride2", ConvCase(1, 7, 6, 2, 4, 2, 2, 2, 0, dilation=2, groups=2)),
    ("depthwise-4ch-d3-stride3-rect", ConvCase(2, 9, 8, 4, 4, 2, 3, 3, 2, dilation=3, groups=4)),
    ("g2-4in-6out-d2-kernel-fills", ConvCase(1, 3, 4, 4, 6, 2, 3, 1, 1, dilation=2, groups=2)),  # extents 3x5
]

DILATED_GROUPED_PARAMS = [
    pytest.param(case.with_convention(conv), id=f"{name}-{conv}")
    for name, case in DILATED_GROUPED
    for conv in CONVENTIONS
]


@st.composite
def conv_cases(draw, max_n: int = 6, max_m: int = 3, max_c: int = 3, dilations=(1,), groups=(1,)) -> ConvCase:
    """Small random convolution geometries (the kernel always fits the padded input).

    ``dilations`` and ``groups``: the values drawn from (``groups`` picks the number of groups, then the
    channels per group; ``"depthwise"`` makes ``n_C_prev == groups``)."""
    f_H, f_W = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation = draw(st.sampled_from(dilations))
    pad = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 3))
    e_H, e_W = dilation * (f_H - 1) + 1, dilation * (f_W - 1) + 1
    n_H_prev = draw(st.integers(max(1, e_H - 2 * pad), max(max_n, e_H - 2 * pad)))
    n_W_prev = draw(st.integers(max(1, e_W - 2 * pad), max(max_n, e_W - 2 * pad)))
    kind = draw(st.sampled_from(groups))
    if kind == "depthwise":
        g = draw(st.integers(1, max_c))
        n_C_prev, n_C = g, g * draw(st.integers(1, 2))
    else:
        g = int(kind)
        n_C_prev = g * draw(st.integers(1, max(1, max_c // g)))
        n_C = g * draw(st.integers(1, max(1, max_c // g)))
    return ConvCase(
        m=draw(st.integers(1, max_m)),
        n_H_prev=n_H_prev,
        n_W_prev=n_W_prev,
        n_C_prev=n_C_prev,
        n_C=n_C,
        f_H=f_H,
        f_W=f_W,
        stride=stride,
        pad=pad,
        convention=draw(st.sampled_from(CONVENTIONS)),
        seed=draw(st.integers(0, 2**32 - 1)),
        dilation=dilation,
        groups=g,
    )


@dataclass(frozen=True)
class PoolCase:
    """One pooling geometry. ``arrays(kind)`` draws ``A_prev`` and an upstream ``dA`` from ``seed``.

    ``kind="distinct"``: a permutation of ``0..N-1`` (scaled), so every window has one maximum that beats
    the runner-up by far more than a finite-difference step; ``kind="ties"``: small integers, so ties are
    frequent.
    """

    m: int
    n_H_prev: int
    n_W_prev: int
    n_C: int
    f: int
    stride: int
    seed: int = 0

    @property
    def hparameters(self) -> dict:
        return {"f": self.f, "stride": self.stride}

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.m, self.n_H_prev, self.n_W_prev, self.n_C)

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        n_H = 1 + (self.n_H_prev - self.f) // self.stride
        n_W = 1 + (self.n_W_prev - self.f) // self.stride
        return (self.m, n_H, n_W, self.n_C)

    def arrays(self, kind: str = "distinct"):
        rng = np.random.default_rng(self.seed)
        size = int(np.prod(self.input_shape))
        if kind == "distinct":
            A_prev = (rng.permutation(size) - size / 2).reshape(self.input_shape) * 0.5
        else:
            A_prev = rng.integers(0, 3, size=self.input_shape).astype(np.float64)
        dA = rng.standard_normal(self.output_shape)
        return A_prev, dA


POOL_GEOMETRIES = [
    ("f2-s2-tiling", PoolCase(1, 4, 4, 1, 2, 2)),
    ("f3-s1-overlapping-nonsquare", PoolCase(2, 5, 6, 2, 3, 1)),
    ("f2-s3-gaps-nondividing", PoolCase(2, 7, 6, 3, 2, 3)),  # (7-2)%3 = 2, (6-2)%3 = 1
    ("f3-s2-overlapping-nondividing", PoolCase(1, 6, 7, 2, 3, 2)),  # (6-3)%2 = 1
    ("f1-s1-identity", PoolCase(1, 3, 2, 2, 1, 1)),
]

POOL_PARAMS = [pytest.param(case, id=name) for name, case in POOL_GEOMETRIES]


@st.composite
def pool_cases(draw, max_n: int = 6) -> PoolCase:
    f = draw(st.integers(1, 3))
    return PoolCase(
        m=draw(st.integers(1, 2)),
        n_H_prev=draw(st.integers(f, max_n)),
        n_W_prev=draw(st.integers(f, max_n)),
        n_C=draw(st.integers(1, 3)),
        f=f,
        stride=draw(st.integers(1, 3)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@dataclass(frozen=True)
class TransposeCase:
    """One transposed-convolution geometry: ``X (m, n_H, n_W, n_C)``, the convolution's ``W (f_H, f_W, n_C_prev // g,
    n_C)``, ``b (1, 1, 1, n_C_prev)``; ``arrays()`` draws X, W, b and an upstream dY from ``seed``."""

    m: int
    n_H: int
    n_W: int
    n_C: int
    n_C_prev: int
    f_H: int
    f_W: int
    stride: int
    pad: int
    output_padding: tuple[int, int] = (0, 0)
    dilation: int = 1
    groups: int = 1
    convention: str = "correlation"
    seed: int = 0

    @property
    def hparameters(self) -> dict:
        hp = {"stride": self.stride, "pad": self.pad, "output_padding": self.output_padding}
        if self.dilation != 1:
            hp["dilation"] = self.dilation
        if self.groups != 1:
            hp["groups"] = self.groups
        if self.convention != "correlation":
            hp["convention"] = self.convention
        return hp

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        """``L = (n - 1) s - 2 p + d (f - 1) + output_padding + 1``, written out independently of convcore."""
        L_H = (self.n_H - 1) * self.stride - 2 * self.pad + self.dilation * (self.f_H - 1) + self.output_padding[0] + 1
        L_W = (self.n_W - 1) * self.stride - 2 * self.pad + self.dilation * (self.f_W - 1) + self.output_padding[1] + 1
        return (self.m, L_H, L_W, self.n_C_prev)

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        X = rng.standard_normal((self.m, self.n_H, self.n_W, self.n_C))
        W = rng.standard_normal((self.f_H, self.f_W, self.n_C_prev // self.groups, self.n_C))
        b = rng.standard_normal((1, 1, 1, self.n_C_prev))
        dY = rng.standard_normal(self.output_shape)
        return X, W, b, dY


#: transposed geometries every comparison covers: the d2l examples' sizes, stride 2 and 3 with every output_padding,
#: output_padding below a dilation larger than the stride (PyTorch allows it), padding that crops stamps, groups,
#: depthwise, non-square inputs, rectangular kernels, batches.
TRANSPOSE_GEOMETRIES = [
    ("d2l-2x2-stride1", TransposeCase(1, 2, 2, 1, 1, 2, 2, 1, 0)),
    ("d2l-2x2-stride2", TransposeCase(1, 2, 2, 1, 1, 2, 2, 2, 0)),
    ("k3-s2-op1-nonsquare", TransposeCase(2, 3, 4, 2, 3, 3, 3, 2, 1, (1, 1))),
    ("k3-s3-op2-1-rect", TransposeCase(1, 3, 2, 3, 2, 2, 3, 3, 0, (2, 1))),
    ("k4-s2-pad1", TransposeCase(2, 4, 4, 2, 2, 4, 4, 2, 1)),
    ("d3-s1-op2-below-dilation", TransposeCase(1, 3, 3, 2, 1, 2, 2, 1, 1, (2, 0), dilation=3)),
    ("g2-d2-s2-op1", TransposeCase(2, 3, 4, 4, 2, 2, 3, 2, 1, (1, 0), dilation=2, groups=2)),
    ("depthwise-3ch-s2", TransposeCase(1, 4, 3, 3, 3, 3, 3, 2, 1, (0, 1), groups=3)),
    (
        "depthwise-multiplier-convolution",
        TransposeCase(1, 3, 3, 4, 2, 3, 2, 2, 0, (1, 1), groups=2, convention="convolution"),
    ),
]
TRANSPOSE_PARAMS = [pytest.param(case, id=name) for name, case in TRANSPOSE_GEOMETRIES]


@st.composite
def transpose_cases(draw, max_n: int = 5, max_c: int = 3, dilations=(1, 2, 3), groups=(1, 2, "depthwise")):
    """Small random transposed convolutions whose output is not empty, ``output_padding`` below max(stride,
    dilation) on each axis."""
    f_H, f_W = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, dilation = draw(st.integers(1, 3)), draw(st.sampled_from(dilations))
    n_H, n_W = draw(st.integers(1, max_n)), draw(st.integers(1, max_n))
    limit = max(stride, dilation)
    op = (draw(st.integers(0, limit - 1)), draw(st.integers(0, limit - 1)))
    # the largest padding that keeps at least one output row and column
    room = min((n_H - 1) * stride + dilation * (f_H - 1) + op[0], (n_W - 1) * stride + dilation * (f_W - 1) + op[1])
    pad = draw(st.integers(0, min(2, room // 2)))
    kind = draw(st.sampled_from(groups))
    if kind == "depthwise":
        g = draw(st.integers(1, max_c))
        n_C_prev, n_C = g, g * draw(st.integers(1, 2))
    else:
        g = int(kind)
        n_C_prev = g * draw(st.integers(1, max(1, max_c // g)))
        n_C = g * draw(st.integers(1, max(1, max_c // g)))
    return TransposeCase(
        m=draw(st.integers(1, 2)),
        n_H=n_H,
        n_W=n_W,
        n_C=n_C,
        n_C_prev=n_C_prev,
        f_H=f_H,
        f_W=f_W,
        stride=stride,
        pad=pad,
        output_padding=op,
        dilation=dilation,
        groups=g,
        convention=draw(st.sampled_from(CONVENTIONS)),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


# --- the real app in Debian's Chromium (used by the test_browser*.py files) ---


@pytest.fixture(scope="session")
def app_url():
    """``streamlit run app.py`` on a free loopback port, shared by every browser test of the run."""
    from tests.browser import running_app

    with running_app() as (base, _proc):
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never a browser downloaded by Playwright).

    Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread while it is
    open, and later tests that call asyncio.run() (the load smoke test, the message-size test) would fail."""
    import os

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: apt-get install -y chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
