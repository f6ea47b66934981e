"""Cached calls into convcore for the pages. Every cached function takes everything it uses as arguments.

``st.cache_data`` hashes NumPy arrays by content, so the cache key covers the whole configuration; results
are shared between all sessions (a class opening the same preset computes it once).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import convcore
from convcore import trace

from . import scenes

__all__ = [
    "forward",
    "scatter",
    "rot180",
    "weights",
    "pool",
    "backward_all",
    "cell_terms",
    "forward_figure",
    "output_maps_figure",
    "scatter_figure",
    "rot180_figure",
]

_CACHE = dict(max_entries=512, show_spinner=False)


@st.cache_data(**_CACHE)
def forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int, convention: str):
    return trace.forward_trace(A_prev, W, b, stride, pad, convention)


@st.cache_data(**_CACHE)
def scatter(input_shape: tuple, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str):
    return trace.scatter_trace(input_shape, W, dZ, stride, pad, convention)


@st.cache_data(**_CACHE)
def rot180(input_shape: tuple, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str):
    return trace.rot180_trace(input_shape, W, dZ, stride, pad, convention)


@st.cache_data(**_CACHE)
def weights(A_prev: np.ndarray, weight_shape: tuple, dZ: np.ndarray, stride: int, pad: int, convention: str):
    return trace.weight_trace(A_prev, weight_shape, dZ, stride, pad, convention)


@st.cache_data(**_CACHE)
def pool(A_prev: np.ndarray, f: int, stride: int, mode: str, dA: np.ndarray | None, ties: str):
    return trace.pool_trace(A_prev, {"f": f, "stride": stride}, mode, dA, ties)


@st.cache_data(**_CACHE)
def backward_all(A_prev: np.ndarray, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str) -> dict:
    """dA_prev by both forms with the fast code, and the "without the rotation" result, for one example.

    ``A_prev (n_H_prev, n_W_prev, n_C_prev)``, ``dZ (n_H, n_W, n_C)`` -> arrays without the batch axis.
    """
    shape = (1, *A_prev.shape)
    scatter_ = convcore.grad_input_scatter(shape, W, dZ[None], stride, pad, convention)[0]
    rot = convcore.grad_input_rot180(shape, W, dZ[None], stride, pad, convention)[0]
    # The same full correlation, but with the kernel the forward pass correlated left unrotated:
    # rot180 of it is passed in, so grad_input_rot180's own rotation undoes it.
    kernel = convcore.effective_kernel(W, convention)
    unrotated = convcore.grad_input_rot180(shape, convcore.rot180(kernel), dZ[None], stride, pad, "correlation")[0]
    return {"scatter": scatter_, "rot180": rot, "unrotated": unrotated}


@st.cache_data(**_CACHE)
def cell_terms(K: np.ndarray, dZ: np.ndarray, stride: int, y: int, x: int, c_in: int) -> list:
    return trace.input_cell_terms(K, dZ, stride, y, x, c_in)


# Figures are cached as resources: one object shared by every session, never modified after it is built
# (st.plotly_chart only reads it), so a class opening the same configuration builds it once.
_FIG_CACHE = dict(max_entries=256, show_spinner=False)


@st.cache_resource(**_FIG_CACHE)
def forward_figure(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int, convention: str, k: int):
    return scenes.forward_figure(forward(A_prev, W, b, stride, pad, convention), k)


@st.cache_resource(**_FIG_CACHE)
def output_maps_figure(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int, convention: str):
    return scenes.output_maps_figure(forward(A_prev, W, b, stride, pad, convention))


@st.cache_resource(**_FIG_CACHE)
def scatter_figure(
    input_shape: tuple, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str, c_in: int
):
    return scenes.scatter_form_figure(scatter(input_shape, W, dZ, stride, pad, convention), c_in)


@st.cache_resource(**_FIG_CACHE)
def rot180_figure(input_shape: tuple, W: np.ndarray, dZ: np.ndarray, stride: int, pad: int, convention: str, c_in: int):
    return scenes.rot180_form_figure(rot180(input_shape, W, dZ, stride, pad, convention), c_in)
