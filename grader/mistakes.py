"""The catalogue of mistakes learners make in the course's functions, in one place for the page and the grader.

Every :class:`Mistake` is a real slip, named, explained in one sentence, and *written as a learner writes
it*: a course-style loop function with the course's signature, a copy of the right course-style code
(:data:`RIGHT`) with the slip in it, so that the page's diff shows exactly the slip and the numbers come
from the slip itself. Where a learner spells the same slip another way (the course's per-example crop and
a blog post's whole-batch crop), the other spellings are ``variants``: the grader recognises them too.

The battery (:func:`cases`) is what the grader checks a learner's functions on and what :func:`evaluate`
runs a mistake on: the course's own test values (``np.random.seed(1)``; e.g. ``A_prev (10, 4, 4, 3)``,
``W (2, 2, 3, 8)``, pad 2, stride 2 for ``conv_backward``, with ``dZ = Z`` as the course does), pad 0,
strides 2 and 3 (3 does not divide), non-square inputs, one and several channels, ties in max pooling,
and hyper-parameter dicts built in the other key order. The expected outputs come from convcore
(:func:`reference_outputs`), never from the course-style code here.

Two checks are compared (:class:`Outcome`):

- the **mean-only check**, what the course's tests assert: every output has the right shape and
  ``np.isclose(np.mean(got), np.mean(expected))`` with NumPy's default tolerance (rtol 1e-5, atol 1e-8),
  as the course's ``assert np.isclose(np.mean(dA), 1.4524377)`` does;
- the **element-wise check**, the grader's: the same shape and ``np.allclose(got, expected)`` with
  ``rtol = 1e-6``, ``atol = 1e-8`` (:data:`ELEMENTWISE_RTOL`, :data:`ELEMENTWISE_ATOL`).

With the course's values, a ``conv_backward`` that transposes the kernel, or that uses the full-convolution
form without rotating it, passes the first and fails the second: with f = stride = 2 and pad 2 every window
is either wholly kept or wholly cropped, and moving entries inside a window keeps its sum. The same holds
for a ``conv_forward`` that flips the kernel: on the course's values (pad 1, stride 2, f 3) the first and
last rows and columns the windows read are padding, so mean(Z) is unchanged (the course's forward test
also prints ``Z[0, 2, 1]``, which does catch it).

Public API (pure NumPy; no Streamlit, no plotting): :class:`Mistake`, :data:`CATALOGUE`, :data:`BY_KEY`,
:func:`mistake`, :func:`mistakes_for`, :class:`Case`, :func:`cases`, :func:`case`,
:func:`reference_outputs`, :class:`Difference`, :func:`agree`, :func:`compare`, :func:`mean_only_passes`,
:class:`Outcome`, :func:`run`, :func:`evaluate`, :func:`compare_with_reference`, :func:`battery`,
:class:`SummaryRow`, :func:`summary_table`, :data:`RIGHT`, :func:`right_source`.
"""

from __future__ import annotations

import copy
import difflib
import functools
import inspect
import re
import textwrap
import threading
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from convcore import conv as _conv
from convcore import naive as _naive
from convcore import pool as _pool

from ._runner import (
    ALL_FUNCTIONS,
    COURSE_FUNCTIONS,
    CS231N_FUNCTIONS,
    OUTPUT_NAMES,
    BadOutput,
    error_text,
    split_result,
)

__all__ = [
    "COURSE_FUNCTIONS",
    "CS231N_FUNCTIONS",
    "ALL_FUNCTIONS",
    "CS231N",
    "KINDS",
    "through_cs231n",
    "OUTPUT_NAMES",
    "ELEMENTWISE_RTOL",
    "ELEMENTWISE_ATOL",
    "Mistake",
    "CATALOGUE",
    "BY_KEY",
    "mistake",
    "mistakes_for",
    "Case",
    "cases",
    "case",
    "reference_outputs",
    "Difference",
    "agree",
    "compare",
    "mean_only_passes",
    "Outcome",
    "run",
    "evaluate",
    "compare_with_reference",
    "battery",
    "SummaryRow",
    "summary_table",
    "RIGHT",
    "right_source",
]

ELEMENTWISE_RTOL = 1e-6
ELEMENTWISE_ATOL = 1e-8

#: Which course functions call which helpers: a slip in a helper shows in its callers' outputs too.
CALLERS = {
    "zero_pad": ("conv_forward", "conv_backward"),
    "conv_single_step": ("conv_forward",),
    "create_mask_from_window": ("pool_backward",),
    "distribute_value": ("pool_backward",),
}


# =========================================================================================================
# The right code, course style: the course's template filled in (the right-hand side of every diff).
# Checked against convcore on the whole battery by the tests; the reference numbers come from convcore.
# =========================================================================================================


def zero_pad(X, pad):
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))
    return X_pad


def conv_single_step(a_slice_prev, W, b):
    s = np.multiply(a_slice_prev, W)
    Z = np.sum(s)
    Z = Z + b.item()  # the course writes float(b): an error on NumPy >= 2.4 for the (1, 1, 1) bias
    return Z


def conv_forward(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def conv_backward(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def conv_backward_rot180(dZ, cache):
    # dA_prev as the maths writes it: dZ spread out by the stride, padded by f - 1 ("full"),
    # correlated with the kernel rotated 180 degrees.
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    horiz_start = w * stride
                    a_slice = A_prev_pad[i, vert_start : vert_start + f, horiz_start : horiz_start + f, :]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    n_H_pad = n_H_prev + 2 * pad
    n_W_pad = n_W_prev + 2 * pad
    dZ_full = np.zeros((m, n_H_pad + f - 1, n_W_pad + f - 1, n_C))
    for h in range(n_H):
        for w in range(n_W):
            dZ_full[:, f - 1 + h * stride, f - 1 + w * stride, :] = dZ[:, h, w, :]
    W_rot = np.rot90(W, 2)
    dA_prev_pad = np.zeros((m, n_H_pad, n_W_pad, n_C_prev))
    for i in range(m):
        for y in range(n_H_pad):
            for x in range(n_W_pad):
                for k in range(n_C_prev):
                    dA_prev_pad[i, y, x, k] = np.sum(dZ_full[i, y : y + f, x : x + f, :] * W_rot[:, :, k, :])
    dA_prev = dA_prev_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def create_mask_from_window(x):
    mask = x == np.max(x)
    return mask


def distribute_value(dz, shape):
    (n_H, n_W) = shape
    average = dz / (n_H * n_W)
    a = np.ones(shape) * average
    return a


def pool_forward(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = int(1 + (n_H_prev - f) / stride)
    n_W = int(1 + (n_W_prev - f) / stride)
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def pool_backward(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        shape = (f, f)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, shape)
    return dA_prev


#: The right course-style code of every course function (``conv_backward_rot180`` is the other form).
RIGHT: dict[str, Callable] = {
    "zero_pad": zero_pad,
    "conv_single_step": conv_single_step,
    "conv_forward": conv_forward,
    "conv_backward": conv_backward,
    "conv_backward_rot180": conv_backward_rot180,
    "create_mask_from_window": create_mask_from_window,
    "distribute_value": distribute_value,
    "pool_forward": pool_forward,
    "pool_backward": pool_backward,
}


# =========================================================================================================
# The mistakes, each a copy of the right code above with the slip in it.
# =========================================================================================================


def _zero_pad_all_axes(X, pad):
    X_pad = np.pad(X, pad, mode="constant", constant_values=(0, 0))
    return X_pad


def _conv_single_step_bias_inside_sum(a_slice_prev, W, b):
    s = np.multiply(a_slice_prev, W) + b
    Z = np.sum(s)
    return Z


def _conv_single_step_bias_not_cast(a_slice_prev, W, b):
    s = np.multiply(a_slice_prev, W)
    Z = np.sum(s)
    Z = Z + b
    return Z


def _conv_forward_flips_kernel(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = np.rot90(W[:, :, :, c], 2)
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_forward_width_from_height(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_H_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_forward_unpadded_slices(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)  # noqa: F841
    for i in range(m):
        a_prev_pad = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_forward_shapes_unpacked_wrong(A_prev, W, b, hparameters):
    (n_H_prev, n_W_prev, n_C_prev, m) = A_prev.shape
    (f, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_forward_batch_unpacked_last(A_prev, W, b, hparameters):
    # the same slip with the kernel's line fixed: the batch size is still read as a channel count
    (n_H_prev, n_W_prev, n_C_prev, m) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_backward_kernel_not_rotated(dZ, cache):
    # dA_prev as the maths writes it: dZ spread out by the stride, padded by f - 1 ("full"),
    # correlated with the kernel rotated 180 degrees.
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    horiz_start = w * stride
                    a_slice = A_prev_pad[i, vert_start : vert_start + f, horiz_start : horiz_start + f, :]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    n_H_pad = n_H_prev + 2 * pad
    n_W_pad = n_W_prev + 2 * pad
    dZ_full = np.zeros((m, n_H_pad + f - 1, n_W_pad + f - 1, n_C))
    for h in range(n_H):
        for w in range(n_W):
            dZ_full[:, f - 1 + h * stride, f - 1 + w * stride, :] = dZ[:, h, w, :]
    W_rot = W
    dA_prev_pad = np.zeros((m, n_H_pad, n_W_pad, n_C_prev))
    for i in range(m):
        for y in range(n_H_pad):
            for x in range(n_W_pad):
                for k in range(n_C_prev):
                    dA_prev_pad[i, y, x, k] = np.sum(dZ_full[i, y : y + f, x : x + f, :] * W_rot[:, :, k, :])
    dA_prev = dA_prev_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def _conv_backward_kernel_transposed(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += (
                        np.transpose(W[:, :, :, c], (1, 0, 2)) * dZ[i, h, w, c]
                    )
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def _conv_backward_crop_pad_minus_pad(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad:-pad, pad:-pad, :]
    return dA_prev, dW, db


def _conv_backward_crop_pad_minus_pad_batch(dZ, cache):
    # another spelling: the whole batch is cropped once, after the loops
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = A_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :]
                    dA_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev = dA_prev_pad[:, pad:-pad, pad:-pad, :]
    return dA_prev, dW, db


def _conv_backward_stride_ignored(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]  # noqa: F841
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h
                    vert_end = vert_start + f
                    horiz_start = w
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def _conv_backward_dW_from_unpadded(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)  # noqa: F841
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def _conv_backward_db_assigned(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] = dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def _create_mask_first_max_only(x):
    mask = np.zeros(x.shape, dtype=bool)
    mask[np.unravel_index(np.argmax(x), x.shape)] = True
    return mask


def _distribute_value_precedence(dz, shape):
    (n_H, n_W) = shape
    average = dz / n_H * n_W
    a = np.ones(shape) * average
    return a


def _distribute_value_undivided(dz, shape):
    (n_H, n_W) = shape
    a = np.ones(shape) * dz
    return a


def _pool_forward_hparameters_by_order(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    stride, f = [v for k, v in hparameters.items()]
    n_H = int(1 + (n_H_prev - f) / stride)
    n_W = int(1 + (n_W_prev - f) / stride)
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def _pool_backward_assigned(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        shape = (f, f)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, shape)
    return dA_prev


def _pool_backward_mask_across_channels(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, :]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask[:, :, c] * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        shape = (f, f)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, shape)
    return dA_prev


def _conv_forward_stride_ignored(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_forward_one_example(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[0]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_forward_stride_as_pad(A_prev, W, b, hparameters):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1
    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, stride)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
    cache = (A_prev, W, b, hparameters)
    return Z, cache


def _conv_backward_crop_after_loop(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def _conv_backward_random_init(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.random.randn(m, n_H_prev, n_W_prev, n_C_prev)
    dW = np.random.randn(f, f, n_C_prev, n_C)
    db = np.random.randn(1, 1, 1, n_C)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db


def _create_mask_max_value(x):
    mask = np.max(x)
    return mask


def _distribute_value_sum_of_sides(dz, shape):
    (n_H, n_W) = shape
    average = dz / (n_H + n_W)
    a = np.ones(shape) * average
    return a


def _pool_forward_across_channels(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = int(1 + (n_H_prev - f) / stride)
    n_W = int(1 + (n_W_prev - f) / stride)
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, :]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def _pool_forward_across_examples_and_channels(A_prev, hparameters, mode="max"):
    # the same slip, with the examples' axis taken whole as well
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = int(1 + (n_H_prev - f) / stride)
    n_W = int(1 + (n_W_prev - f) / stride)
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[:, vert_start:vert_end, horiz_start:horiz_end, :]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def _pool_forward_whole_channel(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = int(1 + (n_H_prev - f) / stride)
    n_W = int(1 + (n_W_prev - f) / stride)
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f  # noqa: F841
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f  # noqa: F841
                for c in range(n_C):
                    a_prev_slice = A_prev[i, :, :, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def _pool_forward_h_w_swapped(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = int(1 + (n_H_prev - f) / stride)
    n_W = int(1 + (n_W_prev - f) / stride)
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, horiz_start:horiz_end, vert_start:vert_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def _pool_forward_stride_ignored(A_prev, hparameters, mode="max"):
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = int(1 + (n_H_prev - f) / stride)
    n_W = int(1 + (n_W_prev - f) / stride)
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    cache = (A_prev, hparameters)
    return A, cache


def _pool_backward_stride_ignored(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]  # noqa: F841
    f = hparameters["f"]
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h
                    vert_end = vert_start + f
                    horiz_start = w
                    horiz_end = horiz_start + f
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        shape = (f, f)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, shape)
    return dA_prev


def _pool_backward_mask_times_input(dA, cache, mode="max"):
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * a_prev_slice
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        shape = (f, f)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, shape)
    return dA_prev


# =========================================================================================================
# The catalogue
# =========================================================================================================


# Where a mistake comes from, named as a reader finds it (the page renders the markdown link).
ROT180_THREAD = (
    "[Should it have a rot180 on filter to calculate dA_prev?](https://community.deeplearning.ai/t/"
    "should-it-have-a-rot180-on-filter-to-calculate-da-prev/121204), a thread on the DeepLearning.AI community"
)


def _with_helper(func: Callable, helper: str, replacement: Callable) -> Callable:
    """``func`` with the global name ``helper`` bound to ``replacement``: the right caller of a wrong helper,
    as in a learner's notebook where every function calls the helpers the learner wrote."""
    scope = dict(func.__globals__)
    scope[helper] = replacement
    return types.FunctionType(func.__code__, scope, func.__name__, func.__defaults__, func.__closure__)


@dataclass(frozen=True, eq=False)
class Mistake:
    """One catalogued slip.

    - ``key``: stable identifier (``"kernel_not_rotated"``); ``title``: a short name; ``when``: completes
      "this is what happens when ..."; ``explanation``: one sentence; ``origin``: where it was seen.
    - ``function``: the course function the slip is written in; ``code``: that function with the slip,
      course-style loops, the course's signature; ``right``: the same code without the slip (what the
      diff compares against; the rot180 form for the full-convolution mistake); ``reference``: the
      correct function's name in :mod:`convcore.naive`.
    - ``shown_by``: the function whose output the page plots (a pooling helper's slip shows in
      ``pool_backward``'s gradient); ``showcase``: the name of a battery case of ``shown_by`` where the
      slip shows element-wise.
    - ``variants``: other ways learners write the same slip, used by the grader to recognise it.
    - ``fix``: what to write instead, in one sentence.
    """

    key: str
    title: str
    when: str
    explanation: str
    origin: str
    function: str
    code: Callable
    right: Callable
    showcase: str
    shown_by: str = ""
    variants: tuple[Callable, ...] = ()
    fix: str = ""

    def __post_init__(self):
        if not self.shown_by:
            object.__setattr__(self, "shown_by", self.function)

    @property
    def reference(self) -> str:
        """Name of the correct function in :mod:`convcore.naive` (same as :attr:`function`)."""
        return self.function

    @property
    def shows_in(self) -> tuple[str, ...]:
        """The course functions whose outputs this slip changes: its own, then its callers'."""
        return (self.function, *CALLERS.get(self.function, ()))

    def implementation(self, function: str | None = None, variant: int = 0) -> Callable:
        """A course-signature callable for ``function`` (default: :attr:`function`) with this slip.

        For a caller of the slipped helper, the right course-style caller using the slipped helper.
        ``variant`` 0 is :attr:`code`, ``k > 0`` is ``variants[k - 1]``.
        """
        function = function or self.function
        if function in CS231N:
            return through_cs231n(function, self.implementation(CS231N[function], variant))
        code = (self.code, *self.variants)[variant]
        if function == self.function:
            return code
        if function not in self.shows_in:
            raise ValueError(f"mistake {self.key!r} does not show in {function}; it shows in {self.shows_in}")
        return _with_helper(RIGHT[function], self.function, code)

    def implementations(self, function: str | None = None) -> tuple[Callable, ...]:
        """:meth:`implementation` for the code and every variant."""
        return tuple(self.implementation(function, k) for k in range(1 + len(self.variants)))

    def source(self) -> str:
        """The slipped code as a learner would have it, named with the course's function name."""
        return _course_source(self.code, self.function)

    def right_source(self) -> str:
        """The right course-style code the slip is a copy of, named with the course's function name."""
        return _course_source(self.right, self.function)

    def reference_source(self) -> str:
        """The source of :mod:`convcore.naive`'s version (generalised: longer than the course's)."""
        return inspect.getsource(getattr(_naive, self.reference))

    def diff(self, context: int = 3) -> str:
        """Unified diff from :meth:`right_source` to :meth:`source` (``---`` right, ``+++`` the slip)."""
        lines = difflib.unified_diff(
            self.right_source().splitlines(keepends=True),
            self.source().splitlines(keepends=True),
            fromfile=f"{self.function} (right)",
            tofile=f"{self.function} ({self.title})",
            n=context,
        )
        return "".join(lines)


def _course_source(func: Callable, name: str) -> str:
    """The source of ``func`` named ``name``, without the linter's ``# noqa`` marks (a slip often leaves a
    variable unused, which is the learner's code, not ours to tidy)."""
    src = textwrap.dedent(inspect.getsource(func))
    src = re.sub(r"  # noqa: [A-Z0-9, ]+$", "", src, flags=re.MULTILINE)
    return re.sub(r"^def \w+\(", f"def {name}(", src, count=1)


def right_source(function: str) -> str:
    """The right course-style code of ``function`` (``"conv_backward_rot180"`` for the other form)."""
    return _course_source(RIGHT[function], function.replace("_rot180", ""))


CATALOGUE: tuple[Mistake, ...] = (
    Mistake(
        key="kernel_not_rotated",
        title="Full-convolution form without the 180-degree rotation",
        when="the kernel is not rotated 180 degrees in the full-convolution form of dA_prev",
        explanation=(
            "dA_prev is computed as the full correlation of the dilated, padded dZ with W as it is instead of "
            "W rotated 180 degrees, so every window receives the kernel upside down and mirrored, which keeps "
            "each window's sum: on the course's values mean(dA) is exactly right."
        ),
        fix=(
            "Rotate the kernel before correlating: W_rot = np.rot90(W, 2) (or W[::-1, ::-1]), or use the course's"
            " per-window form da_prev_pad[window] += W[:, :, :, c] * dZ[i, h, w, c], which needs no rotation."
        ),
        origin=ROT180_THREAD,
        function="conv_backward",
        code=_conv_backward_kernel_not_rotated,
        right=conv_backward_rot180,
        showcase="course",
    ),
    Mistake(
        key="kernel_transposed",
        title="Kernel transposed spatially",
        when="the kernel is transposed (rows and columns swapped) before it is scattered into dA_prev",
        explanation=(
            "W[:, :, :, c] is transposed before being added into each window of dA_prev, as if the gradient "
            "needed 'the transpose' (a mentor asked 'do you mean transpose?'), so entries land in the "
            "wrong places of every window and the course's mean(dA) cannot tell."
        ),
        fix=(
            "Add W[:, :, :, c] as it is: da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :,"
            " c] * dZ[i, h, w, c]."
        ),
        origin=ROT180_THREAD + ", where a mentor asked 'do you mean transpose?'",
        function="conv_backward",
        code=_conv_backward_kernel_transposed,
        right=conv_backward,
        showcase="course",
    ),
    Mistake(
        key="crop_pad_minus_pad",
        title="Padding cropped with [pad:-pad]",
        when="the padding is cropped with [pad:-pad], which is empty at pad 0",
        explanation=(
            "The course's hint X[pad:-pad, pad:-pad, :] is right for pad >= 1, but at pad 0 the slice 0:-0 is "
            "empty, so dA_prev cannot be filled (or comes back with shape (m, 0, 0, n_C))."
        ),
        fix=(
            "Crop with explicit ends, which also work at pad 0: da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]."
        ),
        origin="the course's own hint; learners' solutions published on GitHub",
        function="conv_backward",
        code=_conv_backward_crop_pad_minus_pad,
        right=conv_backward,
        showcase="pad 0",
        variants=(_conv_backward_crop_pad_minus_pad_batch,),
    ),
    Mistake(
        key="stride_ignored_backward",
        title="Stride ignored in the backward loops",
        when="the backward loops ignore the stride (vert_start = h instead of h * stride)",
        explanation=(
            "vert_start = h and horiz_start = w instead of h * stride and w * stride: right for stride 1, but "
            "with any other stride the gradients are read from and added to the wrong windows."
        ),
        fix="Multiply by the stride: vert_start = h * stride and horiz_start = w * stride.",
        origin="learners' solutions published on GitHub",
        function="conv_backward",
        code=_conv_backward_stride_ignored,
        right=conv_backward,
        showcase="course",
    ),
    Mistake(
        key="dW_from_unpadded",
        title="dW accumulated from the unpadded input",
        when="the windows for dW are cut from A_prev instead of the padded A_prev_pad",
        explanation=(
            "The windows multiplied into dW are sliced from A_prev[i] instead of A_prev_pad[i], so each is "
            "shifted by pad and those near the far edge come out short: with pad > 0 the shapes stop matching."
        ),
        fix=(
            "Cut the window for dW from the padded example: a_slice = a_prev_pad[vert_start:vert_end, "
            "horiz_start:horiz_end, :]."
        ),
        origin="learners' solutions published on GitHub",
        function="conv_backward",
        code=_conv_backward_dW_from_unpadded,
        right=conv_backward,
        showcase="course",
    ),
    Mistake(
        key="db_assigned",
        title="db assigned instead of accumulated",
        when="db is assigned with = instead of accumulated with +=",
        explanation=(
            "db[:, :, :, c] = dZ[i, h, w, c] keeps only the last dZ entry of each channel instead of the sum "
            "of dZ over the batch and every position."
        ),
        fix="Accumulate: db[:, :, :, c] += dZ[i, h, w, c].",
        origin="learners' solutions published on GitHub",
        function="conv_backward",
        code=_conv_backward_db_assigned,
        right=conv_backward,
        showcase="course",
    ),
    Mistake(
        key="forward_flips_kernel",
        title="Forward pass flips the kernel (true convolution)",
        when="the forward pass rotates the kernel 180 degrees (true convolution instead of cross-correlation)",
        explanation=(
            "The kernel is rotated 180 degrees going forward, which is convolution in the mathematicians' "
            "sense, while the course (and every framework) computes cross-correlation, so Z changes unless "
            "every filter is symmetric."
        ),
        fix="Use W[:, :, :, c] as it is going forward: the layer computes cross-correlation.",
        origin=(
            "the Cross Validated question *Is it really necessary to flip the kernel in a conv-net* ('should they "
            "not also be flipped, if we are strictly following the correct procedure, going forward also?')"
        ),
        function="conv_forward",
        code=_conv_forward_flips_kernel,
        right=conv_forward,
        showcase="course",
    ),
    Mistake(
        key="width_from_height",
        title="Output width computed from the height",
        when="the output width n_W is computed from the input height",
        explanation=(
            "n_W = int((n_H_prev + 2 * pad - f) / stride) + 1 uses the height, which is right only for square "
            "inputs: for the course's 5 x 7 input Z has the wrong shape."
        ),
        fix="Compute the width from the width: n_W = int((n_W_prev + 2 * pad - f) / stride) + 1.",
        origin="the course's forum",
        function="conv_forward",
        code=_conv_forward_width_from_height,
        right=conv_forward,
        showcase="course",
    ),
    Mistake(
        key="forward_unpadded_slices",
        title="Windows cut from A_prev instead of the padded input",
        when="the windows are sliced from A_prev instead of the padded A_prev_pad",
        explanation=(
            "The padded copy is made but the windows are sliced from A_prev[i], so every window is shifted by "
            "pad and the ones at the far edge run off the array: short windows that NumPy broadcasts silently "
            "or that make conv_single_step fail."
        ),
        fix="Slice the windows from the padded example: a_prev_pad = A_prev_pad[i].",
        origin="the course's forum ('using A_prev instead of a_prev_pad slices')",
        function="conv_forward",
        code=_conv_forward_unpadded_slices,
        right=conv_forward,
        showcase="course",
    ),
    Mistake(
        key="shapes_unpacked_wrong",
        title="Shapes unpacked in the wrong order",
        when="the shapes are unpacked in the wrong order",
        explanation=(
            "A learner's 'tidier' rewrite writes n_H_prev, n_W_prev, n_C_prev, m = A_prev.shape and "
            "f, n_C = W.shape: the second line raises 'too many values to unpack', and with it fixed the "
            "first still takes the batch size for a height and the channels for the batch size."
        ),
        fix=(
            "Unpack in the course's order: (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape and (f, f, n_C_prev, "
            "n_C) = W.shape."
        ),
        origin="a learner's blog post solving the assignment without the hints",
        function="conv_forward",
        code=_conv_forward_shapes_unpacked_wrong,
        right=conv_forward,
        showcase="course",
        variants=(_conv_forward_batch_unpacked_last,),
    ),
    Mistake(
        key="bias_inside_sum",
        title="Bias added inside the sum",
        when="the bias is added to every product before the sum",
        explanation=(
            "s = a_slice_prev * W + b adds the bias to each of the f * f * n_C_prev products before they are "
            "summed, so it is counted f * f * n_C_prev times instead of once."
        ),
        fix="Sum the products first, then add the bias once: Z = np.sum(s) + b.item().",
        origin="the course's forum",
        function="conv_single_step",
        code=_conv_single_step_bias_inside_sum,
        right=conv_single_step,
        showcase="course",
        shown_by="conv_forward",
    ),
    Mistake(
        key="bias_not_cast",
        title="Bias left as a (1, 1, 1) array",
        when="the bias is added as the (1, 1, 1) array b, so Z is an array instead of a number",
        explanation=(
            "Z = np.sum(s) + b keeps the bias's shape, so conv_single_step returns a (1, 1, 1) array instead of "
            "a number, which the course's test rejects and which conv_forward cannot store in Z[i, h, w, c] "
            "on NumPy 2.4 or later."
        ),
        fix="Add the bias as a number: Z = Z + b.item() (float(b[0, 0, 0]) works too).",
        origin="the course's instructions ('cast b to a float()'); the course's forum",
        function="conv_single_step",
        code=_conv_single_step_bias_not_cast,
        right=conv_single_step,
        showcase="course",
    ),
    Mistake(
        key="pad_all_axes",
        title="np.pad on every axis",
        when="np.pad pads all four axes, the batch and the channels too",
        explanation=(
            "np.pad(X, pad) pads every axis, so X_pad has shape (m + 2p, n_H + 2p, n_W + 2p, n_C + 2p) instead "
            "of padding only the height and the width."
        ),
        fix="Pad only the height and the width: np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant').",
        origin="the course's forum",
        function="zero_pad",
        code=_zero_pad_all_axes,
        right=zero_pad,
        showcase="course",
    ),
    Mistake(
        key="mask_first_max_only",
        title="Only the first maximum gets the gradient",
        when="the mask marks only the first maximum of the window (np.argmax), not every tied maximum",
        explanation=(
            "np.argmax marks a single maximum per window, as PyTorch's max_pool2d does, while the course's "
            "x == np.max(x) marks every tied maximum, so the two differ whenever a window holds a tie."
        ),
        fix="Mark every maximum, as the course does: mask = (x == np.max(x)).",
        origin="PyTorch's convention; convcore.pool's note on ties",
        function="create_mask_from_window",
        code=_create_mask_first_max_only,
        right=create_mask_from_window,
        showcase="ties, max, stride 2",
        shown_by="pool_backward",
    ),
    Mistake(
        key="average_not_divided",
        title="Average-pool gradient not divided by f*f",
        when="the average-pool gradient is not divided by f * f",
        explanation=(
            "dz / n_H * n_W is read by Python as (dz / n_H) * n_W, so for the square f x f window nothing is "
            "divided and every input of an average window receives the whole dz instead of dz / (f * f)."
        ),
        fix="Divide by the number of cells, with brackets: average = dz / (n_H * n_W).",
        origin="the course's forum (distribute_value)",
        function="distribute_value",
        code=_distribute_value_precedence,
        right=distribute_value,
        showcase="course, average",
        shown_by="pool_backward",
        variants=(_distribute_value_undivided,),
    ),
    Mistake(
        key="hparameters_by_order",
        title="Hyper-parameters read by dict order",
        when="the hyper-parameters are read by the dict's order instead of by key",
        explanation=(
            "s, f = [v for k, v in hparameters.items()] relies on the dict being built as "
            "{'stride': ..., 'f': ...}, as the course's test happens to build it; built the other way round "
            "it silently swaps f and the stride."
        ),
        fix="Read the values by key: f = hparameters['f'] and stride = hparameters['stride'].",
        origin="a learner's blog post solving the assignment without the hints",
        function="pool_forward",
        code=_pool_forward_hparameters_by_order,
        right=pool_forward,
        showcase="keys in the other order",
    ),
    Mistake(
        key="max_pool_assigned",
        title="Max-pool gradient assigned with = instead of +=",
        when="the max-pool gradient is assigned with = instead of accumulated with +=",
        explanation=(
            "With overlapping windows (stride < f) each window's assignment overwrites what the windows before "
            "it put in the cells they share, so gradient is lost."
        ),
        fix="Accumulate with +=, so that overlapping windows add their gradients.",
        origin="learners' solutions published on GitHub",
        function="pool_backward",
        code=_pool_backward_assigned,
        right=pool_backward,
        showcase="course, max",
    ),
    Mistake(
        key="max_mask_across_channels",
        title="Max-pool mask taken across all channels",
        when="the max-pool mask is taken over all channels of the window instead of one channel",
        explanation=(
            "The window is sliced with ':' over the channels, so the mask marks the maximum of the whole "
            "f x f x n_C block and a channel whose own maximum is smaller gets no gradient at all."
        ),
        fix="Slice one channel: a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c].",
        origin="learners' solutions published on GitHub",
        function="pool_backward",
        code=_pool_backward_mask_across_channels,
        right=pool_backward,
        showcase="course, max",
    ),
    # --- slips found in learners' solutions of the assignment published on GitHub ---------------------------
    Mistake(
        key="pool_backward_stride_ignored",
        title="Stride ignored in pool_backward",
        when="pool_backward's windows ignore the stride (vert_start = h instead of h * stride)",
        explanation=(
            "vert_start = h and horiz_start = w instead of h * stride and w * stride: right for the course's "
            "stride-1 test, but with any other stride each gradient is sent back to the wrong window."
        ),
        fix="Multiply by the stride: vert_start = h * stride and horiz_start = w * stride.",
        origin="learners' solutions published on GitHub (the most common slip there)",
        function="pool_backward",
        code=_pool_backward_stride_ignored,
        right=pool_backward,
        showcase="stride 2, max",
    ),
    Mistake(
        key="mask_max_value",
        title="Mask returns the maximum, not a mask",
        when="create_mask_from_window returns the window's maximum value instead of a boolean mask",
        explanation=(
            "mask = np.max(x) is the largest value of the window, a single number: multiplied by dA it sends "
            "that number times dA to every cell of the window instead of dA to the maximum's cell only."
        ),
        fix="Compare every cell with the maximum: mask = (x == np.max(x)).",
        origin="learners' solutions published on GitHub",
        function="create_mask_from_window",
        code=_create_mask_max_value,
        right=create_mask_from_window,
        showcase="course, max",
        shown_by="pool_backward",
    ),
    Mistake(
        key="pool_across_channels",
        title="Pooling windows taken across all channels",
        when="pool_forward's window is sliced with ':' over the channels, so it pools all channels at once",
        explanation=(
            "a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, :] takes the f x f window of "
            "every channel, so each output channel gets the maximum (or mean) of all channels together."
        ),
        fix="Slice one channel: A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c].",
        origin="learners' solutions published on GitHub",
        function="pool_forward",
        code=_pool_forward_across_channels,
        right=pool_forward,
        showcase="course, max",
        variants=(_pool_forward_across_examples_and_channels,),
    ),
    Mistake(
        key="pool_whole_channel",
        title="Pooling over the whole image instead of the window",
        when="pool_forward takes the whole channel A_prev[i, :, :, c] instead of the f x f window",
        explanation=(
            "The window's corners are computed but not used: A_prev[i, :, :, c] is the whole image of channel "
            "c, so every output entry of that channel is the same maximum (or mean)."
        ),
        fix="Slice the window: A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c].",
        origin="learners' solutions published on GitHub",
        function="pool_forward",
        code=_pool_forward_whole_channel,
        right=pool_forward,
        showcase="course, max",
    ),
    Mistake(
        key="pool_h_w_swapped",
        title="Height and width swapped",
        when="the window's rows come from w and its columns from h",
        explanation=(
            "The window is sliced as [horiz_start:horiz_end, vert_start:vert_end] (or vert_start is computed "
            "from w), so the window for output (h, w) is the one for (w, h): the output is transposed where it "
            "fits, and wrong or short on a non-square input."
        ),
        fix="Rows from h, columns from w: vert_start = h * stride and horiz_start = w * stride.",
        origin="learners' solutions published on GitHub",
        function="pool_forward",
        code=_pool_forward_h_w_swapped,
        right=pool_forward,
        showcase="course, max",
    ),
    Mistake(
        key="pool_forward_stride_ignored",
        title="Stride ignored in pool_forward",
        when="pool_forward's windows ignore the stride (vert_start = h instead of h * stride)",
        explanation=(
            "With vert_start = h and horiz_start = w the windows move one cell at a time whatever the stride: "
            "right for the course's stride-1 test, wrong for any other stride."
        ),
        fix="Multiply by the stride: vert_start = h * stride and horiz_start = w * stride.",
        origin="learners' solutions published on GitHub",
        function="pool_forward",
        code=_pool_forward_stride_ignored,
        right=pool_forward,
        showcase="stride 2",
    ),
    Mistake(
        key="forward_stride_ignored",
        title="Stride ignored in conv_forward",
        when="conv_forward's windows ignore the stride (vert_start = h instead of h * stride)",
        explanation=(
            "With vert_start = h and horiz_start = w (or slices h:h + f) the window moves one cell at a time "
            "whatever the stride, so with stride > 1 every output but the first reads the wrong window."
        ),
        fix="Multiply by the stride: vert_start = h * stride and horiz_start = w * stride.",
        origin="learners' solutions published on GitHub",
        function="conv_forward",
        code=_conv_forward_stride_ignored,
        right=conv_forward,
        showcase="course",
    ),
    Mistake(
        key="one_example_for_all",
        title="One example used for every example",
        when="every example is computed from the first one (A_prev_pad[0] instead of A_prev_pad[i])",
        explanation=(
            "a_prev_pad = A_prev_pad[0] inside the loop over i takes the first example every time, so all m "
            "outputs are the first example's: right only when there is a single example."
        ),
        fix="Take example i: a_prev_pad = A_prev_pad[i].",
        origin="learners' solutions published on GitHub",
        function="conv_forward",
        code=_conv_forward_one_example,
        right=conv_forward,
        showcase="course",
    ),
    Mistake(
        key="stride_as_pad",
        title="The stride used as the padding",
        when="the input is padded by the stride instead of by pad",
        explanation=(
            "A_prev_pad = zero_pad(A_prev, stride) pads by the stride: right only when the two happen to be "
            "equal, otherwise every window is shifted and the edges are wrong."
        ),
        fix="Pad by the padding: A_prev_pad = zero_pad(A_prev, pad).",
        origin="learners' solutions published on GitHub",
        function="conv_forward",
        code=_conv_forward_stride_as_pad,
        right=conv_forward,
        showcase="course",
    ),
    Mistake(
        key="crop_after_loop",
        title="dA_prev cropped after the loop over examples",
        when="the crop into dA_prev is outside the loop over examples, so only the last example is cropped",
        explanation=(
            "dA_prev[i, :, :, :] = da_prev_pad[...] is indented one level too little: it runs once, after the "
            "loop, with i the last example, and every other example's dA_prev stays zero."
        ),
        fix="Indent the crop into the loop over i, so that it runs for every example.",
        origin="learners' solutions published on GitHub",
        function="conv_backward",
        code=_conv_backward_crop_after_loop,
        right=conv_backward,
        showcase="course",
    ),
    Mistake(
        key="random_init",
        title="Gradients initialised with random values",
        when="dA_prev, dW and db start from np.random.randn instead of zeros",
        explanation=(
            "The gradients are accumulated with +=, so whatever they start from stays in them: starting from "
            "random numbers adds noise to dW and db (dA_prev survives only where the crop overwrites it)."
        ),
        fix="Start from zeros: np.zeros(A_prev.shape), np.zeros(W.shape), np.zeros(b.shape).",
        origin="learners' solutions published on GitHub",
        function="conv_backward",
        code=_conv_backward_random_init,
        right=conv_backward,
        showcase="course",
    ),
    Mistake(
        key="average_sum_of_sides",
        title="Average gradient divided by n_H + n_W",
        when="distribute_value divides dz by n_H + n_W instead of n_H * n_W",
        explanation=(
            "For the course's 2 x 2 window 2 + 2 = 2 * 2, so its test passes; for any other window the "
            "average is wrong (3 x 3: dz / 6 instead of dz / 9)."
        ),
        fix="Divide by the number of cells: average = dz / (n_H * n_W).",
        origin="learners' solutions published on GitHub",
        function="distribute_value",
        code=_distribute_value_sum_of_sides,
        right=distribute_value,
        showcase="overlapping, average",
        shown_by="pool_backward",
    ),
    Mistake(
        key="mask_times_input",
        title="Max-pool gradient is the mask times the input",
        when="the mask is multiplied by the input window instead of by dA",
        explanation=(
            "dA_prev[...] += mask * a_prev_slice sends back the maximum's own value instead of the gradient "
            "dA[i, h, w, c] that arrived at that output."
        ),
        fix="Multiply the mask by the incoming gradient: mask * dA[i, h, w, c].",
        origin="learners' solutions published on GitHub",
        function="pool_backward",
        code=_pool_backward_mask_times_input,
        right=pool_backward,
        showcase="course, max",
    ),
)

#: The catalogue by key.
BY_KEY: dict[str, Mistake] = {m.key: m for m in CATALOGUE}


def mistake(key: str) -> Mistake:
    """The catalogued mistake ``key``; ``KeyError`` lists the keys."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"no mistake {key!r}; the catalogue has {sorted(BY_KEY)}") from None


def mistakes_for(function: str) -> tuple[Mistake, ...]:
    """The mistakes whose slip changes ``function``'s output (written in it or in a helper it calls); for a cs231n
    function, those of the course function it corresponds to (:data:`CS231N`)."""
    function = CS231N.get(function, function)
    return tuple(m for m in CATALOGUE if function in m.shows_in)


# =========================================================================================================
# The battery
# =========================================================================================================


@dataclass(frozen=True, eq=False)
class Case:
    """One call of a course function: ``function(*args)``.

    ``name`` is short and unique per function (``"course"``, ``"pad 0"``); ``label`` says what the
    arguments are; ``course`` is true for the course's own test values; ``kinds`` are the kinds of case it is
    (:data:`KINDS`: ``"stride > 1"``, ``"ties"``, ...), worked out from the arguments. The arrays in ``args``
    are read-only: :meth:`arguments` gives fresh copies for each call.
    """

    function: str
    name: str
    label: str
    args: tuple
    course: bool = False
    kinds: tuple[str, ...] = ()

    def arguments(self) -> tuple:
        return copy.deepcopy(self.args)

    def call(self, func: Callable):
        """``func(*arguments())``."""
        return func(*self.arguments())


#: The kinds of case a failure is reported by, in the order the report lists them.
KINDS = (
    "the course's values",
    "pad 0",
    "stride > 1",
    "a stride that does not divide",
    "non-square input",
    "several channels",
    "several examples",
    "ties",
    "average pooling",
    "a window other than 2 x 2",
    "hyper-parameters in the other order",
    "cs231n's values",
)


def _conv_kinds(A_shape, f, n_C, stride, pad) -> list[str]:
    m, n_H, n_W, n_C_prev = A_shape
    kinds = []
    if pad == 0:
        kinds.append("pad 0")
    if stride > 1:
        kinds.append("stride > 1")
    if (n_H + 2 * pad - f) % stride or (n_W + 2 * pad - f) % stride:
        kinds.append("a stride that does not divide")
    if n_H != n_W:
        kinds.append("non-square input")
    if n_C_prev > 1 or n_C > 1:
        kinds.append("several channels")
    if m > 1:
        kinds.append("several examples")
    return kinds


def _pool_kinds(A_prev, f, stride, mode) -> list[str]:
    m, n_H, n_W, n_C = A_prev.shape
    kinds = []
    if stride > 1:
        kinds.append("stride > 1")
    if (n_H - f) % stride or (n_W - f) % stride:
        kinds.append("a stride that does not divide")
    if n_H != n_W:
        kinds.append("non-square input")
    if n_C > 1:
        kinds.append("several channels")
    if m > 1:
        kinds.append("several examples")
    if mode == "max":
        n_Ho, n_Wo = 1 + (n_H - f) // stride, 1 + (n_W - f) // stride
        windows = _pool.pool_windows(np.asarray(A_prev), f, stride, n_Ho, n_Wo)  # (m, n_H, n_W, f, f, n_C)
        top = windows.max(axis=(3, 4), keepdims=True)
        if ((windows == top).sum(axis=(3, 4)) > 1).any():
            kinds.append("ties")
    else:
        kinds.append("average pooling")
    return kinds


def _case_kinds(function: str, args: tuple, course: bool) -> tuple[str, ...]:
    kinds = ["the course's values"] if course else []
    if function == "zero_pad":
        X, pad = args
        kinds += _conv_kinds(X.shape, 1, 1, 1, pad)
    elif function == "conv_single_step":
        if args[0].shape[-1] > 1:
            kinds.append("several channels")
    elif function in ("conv_forward", "conv_backward"):
        A_prev, W, _, hp = args if function == "conv_forward" else (args[1][0], args[1][1], None, args[1][3])
        kinds += _conv_kinds(A_prev.shape, W.shape[0], W.shape[3], hp["stride"], hp["pad"])
    elif function == "create_mask_from_window":
        (x,) = args
        if (x == x.max()).sum() > 1:
            kinds.append("ties")
    elif function == "distribute_value":
        if tuple(args[1]) != (2, 2):
            kinds.append("a window other than 2 x 2")
        if args[1][0] != args[1][1]:
            kinds.append("non-square input")
    elif function in ("pool_forward", "pool_backward"):
        A_prev, hp, mode = args if function == "pool_forward" else (args[1][0], args[1][1], args[2])
        kinds += _pool_kinds(A_prev, hp["f"], hp["stride"], mode)
        if list(hp) == ["f", "stride"]:
            kinds.append("hyper-parameters in the other order")
        if hp["f"] != 2 and "a window other than 2 x 2" not in kinds:
            kinds.append("a window other than 2 x 2")
    return tuple(k for k in KINDS if k in kinds)


def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


def _course_conv_backward_args():
    rs = np.random.RandomState(1)  # the course: np.random.seed(1), then randn in this order
    A_prev, W, b = rs.randn(10, 4, 4, 3), rs.randn(2, 2, 3, 8), rs.randn(1, 1, 1, 8)
    hparameters = {"pad": 2, "stride": 2}
    Z, _ = _conv.conv_forward(A_prev, W, b, hparameters)  # the course's test feeds dZ = Z
    return Z, (A_prev, W, b, hparameters)


def _conv_geometry(seed, A_shape, f, n_C, hparameters):
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal(A_shape)
    W = rng.standard_normal((f, f, A_shape[3], n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    _, n_H, n_W, _ = _conv.output_shape(A_prev.shape, W.shape, hparameters["stride"], hparameters["pad"])
    dZ = rng.standard_normal((A_shape[0], n_H, n_W, n_C))
    return A_prev, W, b, hparameters, dZ


#: (name, label, seed, A_prev shape, f, n_C, hparameters): the conv cases after the course's. The first ones
#: change one thing at a time from a plain case (one example, one channel, square, stride 1, pad 1), so that the
#: case a failure is first shown on points at its cause.
_CONV_GEOMETRIES = (
    (
        "plain",
        "one example, one channel: A_prev (1, 5, 5, 1), W (3, 3, 1, 1), stride 1, pad 1",
        16,
        (1, 5, 5, 1),
        3,
        1,
        {"stride": 1, "pad": 1},
    ),
    (
        "stride 2",
        "A_prev (1, 5, 5, 1), W (3, 3, 1, 1), stride 2, pad 1",
        17,
        (1, 5, 5, 1),
        3,
        1,
        {"stride": 2, "pad": 1},
    ),
    (
        "pad 0, one example",
        "A_prev (1, 5, 5, 1), W (3, 3, 1, 1), stride 1, pad 0",
        18,
        (1, 5, 5, 1),
        3,
        1,
        {"stride": 1, "pad": 0},
    ),
    (
        "non-square",
        "A_prev (1, 4, 6, 1), W (3, 3, 1, 1), stride 1, pad 1",
        19,
        (1, 4, 6, 1),
        3,
        1,
        {"stride": 1, "pad": 1},
    ),
    (
        "several channels",
        "A_prev (1, 4, 4, 3), W (3, 3, 3, 2), stride 1, pad 1",
        20,
        (1, 4, 4, 3),
        3,
        2,
        {"stride": 1, "pad": 1},
    ),
    (
        "several examples",
        "A_prev (3, 4, 4, 1), W (3, 3, 1, 1), stride 1, pad 1",
        23,
        (3, 4, 4, 1),
        3,
        1,
        {"stride": 1, "pad": 1},
    ),
    ("pad 0", "pad 0, stride 1: A_prev (2, 5, 5, 3), W (3, 3, 3, 4)", 11, (2, 5, 5, 3), 3, 4, {"stride": 1, "pad": 0}),
    (
        "stride 1, pad 1",
        "overlapping windows: A_prev (2, 4, 4, 2), W (3, 3, 2, 2), stride 1, pad 1",
        12,
        (2, 4, 4, 2),
        3,
        2,
        {"pad": 1, "stride": 1},
    ),
    (
        "non-square, stride 2",
        "A_prev (2, 5, 7, 2), W (3, 3, 2, 3), stride 2, pad 1",
        13,
        (2, 5, 7, 2),
        3,
        3,
        {"stride": 2, "pad": 1},
    ),
    (
        "stride 3",
        "a stride that does not divide: A_prev (1, 8, 7, 3), W (2, 2, 3, 2), stride 3, pad 1",
        14,
        (1, 8, 7, 3),
        2,
        2,
        {"pad": 1, "stride": 3},
    ),
    (
        "one channel",
        "one channel in and out: A_prev (1, 4, 6, 1), W (2, 2, 1, 1), stride 1, pad 0",
        15,
        (1, 4, 6, 1),
        2,
        1,
        {"pad": 0, "stride": 1},
    ),
)


#: (name, label, seed, A_prev shape, hparameters, ties, mode): pool_backward cases that change one thing at a
#: time from a plain one (one example, one channel, square, stride 1, f 2, no ties).
_POOL_GEOMETRIES = (
    (
        "plain, max",
        "A_prev (1, 4, 4, 1), f 2, stride 1, mode max",
        45,
        (1, 4, 4, 1),
        {"stride": 1, "f": 2},
        False,
        "max",
    ),
    (
        "stride 2, max",
        "A_prev (1, 4, 4, 1), f 2, stride 2, mode max",
        46,
        (1, 4, 4, 1),
        {"stride": 2, "f": 2},
        False,
        "max",
    ),
    (
        "several channels, max",
        "A_prev (1, 4, 4, 3), f 2, stride 1, mode max",
        47,
        (1, 4, 4, 3),
        {"stride": 1, "f": 2},
        False,
        "max",
    ),
    (
        "several examples, max",
        "A_prev (3, 4, 4, 1), f 2, stride 1, mode max",
        48,
        (3, 4, 4, 1),
        {"stride": 1, "f": 2},
        False,
        "max",
    ),
    (
        "ties, max",
        "ties: A_prev (1, 4, 4, 1) of small integers, f 2, stride 1, mode max",
        49,
        (1, 4, 4, 1),
        {"stride": 1, "f": 2},
        True,
        "max",
    ),
    (
        "plain, average",
        "A_prev (1, 4, 4, 1), f 2, stride 1, mode average",
        50,
        (1, 4, 4, 1),
        {"stride": 1, "f": 2},
        False,
        "average",
    ),
)


def _pool_arrays(seed, A_shape, hparameters, ties=False):
    rng = np.random.default_rng(seed)
    if ties:
        A_prev = rng.integers(0, 3, size=A_shape).astype(np.float64)  # small integers: many tied maxima
    else:
        A_prev = rng.standard_normal(A_shape)
    A, _ = _pool.pool_forward(A_prev, hparameters, "max")
    dA = rng.standard_normal(A.shape)
    return A_prev, dA


def _build_battery() -> dict[str, tuple[Case, ...]]:
    out: dict[str, list[Case]] = {name: [] for name in COURSE_FUNCTIONS}

    def add(function, name, label, args, course=False):
        arrays = [a for a in _walk(args) if isinstance(a, np.ndarray)]
        _frozen(*arrays)
        out[function].append(Case(function, name, label, args, course, _case_kinds(function, args, course)))

    rs = np.random.RandomState(1)
    add(
        "zero_pad",
        "course",
        "the course's example: np.random.seed(1), x (4, 3, 3, 2), pad 3",
        (rs.randn(4, 3, 3, 2), 3),
        course=True,
    )
    rng = np.random.default_rng(21)
    add("zero_pad", "pad 0", "x (2, 3, 4, 1), pad 0", (rng.standard_normal((2, 3, 4, 1)), 0))
    add("zero_pad", "non-square", "x (2, 3, 5, 4), pad 1", (rng.standard_normal((2, 3, 5, 4)), 1))

    rs = np.random.RandomState(1)
    add(
        "conv_single_step",
        "course",
        "the course's example: np.random.seed(1), a_slice_prev (4, 4, 3), W (4, 4, 3), b (1, 1, 1)",
        (rs.randn(4, 4, 3), rs.randn(4, 4, 3), rs.randn(1, 1, 1)),
        course=True,
    )
    rng = np.random.default_rng(22)
    add(
        "conv_single_step",
        "one channel",
        "a_slice_prev (3, 3, 1), W (3, 3, 1), b (1, 1, 1)",
        (rng.standard_normal((3, 3, 1)), rng.standard_normal((3, 3, 1)), rng.standard_normal((1, 1, 1))),
    )
    add(
        "conv_single_step",
        "five channels",
        "a_slice_prev (2, 2, 5), W (2, 2, 5), b = -2.5",
        (rng.standard_normal((2, 2, 5)), rng.standard_normal((2, 2, 5)), np.full((1, 1, 1), -2.5)),
    )

    rs = np.random.RandomState(1)
    add(
        "conv_forward",
        "course",
        "the course's test: np.random.seed(1), A_prev (2, 5, 7, 4), W (3, 3, 4, 8), pad 1, stride 2",
        (rs.randn(2, 5, 7, 4), rs.randn(3, 3, 4, 8), rs.randn(1, 1, 1, 8), {"pad": 1, "stride": 2}),
        course=True,
    )
    dZ, cache = _course_conv_backward_args()
    add(
        "conv_backward",
        "course",
        "the course's test: np.random.seed(1), A_prev (10, 4, 4, 3), W (2, 2, 3, 8), pad 2, stride 2, dZ = Z",
        (dZ, cache),
        course=True,
    )
    for name, label, seed, A_shape, f, n_C, hp in _CONV_GEOMETRIES:
        A_prev, W, b, hp, dZ = _conv_geometry(seed, A_shape, f, n_C, hp)
        add("conv_forward", name, label, (A_prev, W, b, dict(hp)))
        add("conv_backward", name, label, (dZ, (A_prev, W, b, dict(hp))))

    rs = np.random.RandomState(1)
    add(
        "create_mask_from_window",
        "course",
        "the course's example: np.random.seed(1), x (2, 3)",
        (rs.randn(2, 3),),
        course=True,
    )
    add("create_mask_from_window", "tie", "x = [[1, 3], [3, 2]] (two maxima)", (np.array([[1.0, 3.0], [3.0, 2.0]]),))
    add(
        "create_mask_from_window",
        "tie 3x3",
        "x (3, 3) with three maxima",
        (np.array([[0.0, 2.0, 2.0], [1.0, 2.0, 0.0], [-1.0, 1.0, 1.0]]),),
    )

    add("distribute_value", "course", "the course's example: dz = 2, shape (2, 2)", (2.0, (2, 2)), course=True)
    add("distribute_value", "3x3", "dz = 3, shape (3, 3)", (3.0, (3, 3)))
    add("distribute_value", "non-square", "dz = -1.5, shape (2, 3)", (-1.5, (2, 3)))

    rs = np.random.RandomState(1)
    A_prev = rs.randn(2, 5, 5, 3)
    for mode in ("max", "average"):
        add(
            "pool_forward",
            f"course, {mode}",
            f"the course's test: np.random.seed(1), A_prev (2, 5, 5, 3), f 3, stride 1, mode {mode}",
            (A_prev, {"stride": 1, "f": 3}, mode),
            course=True,
        )
    add(
        "pool_forward",
        "stride 2",
        "A_prev (2, 5, 5, 3) as the course's, f 3, stride 2, mode max",
        (A_prev, {"stride": 2, "f": 3}, "max"),
    )
    rng = np.random.default_rng(32)
    add(
        "pool_forward",
        "plain, max",
        "A_prev (1, 4, 4, 1), f 2, stride 1, mode max",
        (rng.standard_normal((1, 4, 4, 1)), {"stride": 1, "f": 2}, "max"),
    )
    add(
        "pool_forward",
        "stride 2, max",
        "A_prev (1, 4, 4, 1), f 2, stride 2, mode max",
        (rng.standard_normal((1, 4, 4, 1)), {"stride": 2, "f": 2}, "max"),
    )
    add(
        "pool_forward",
        "non-square, max",
        "A_prev (1, 3, 5, 1), f 2, stride 1, mode max",
        (rng.standard_normal((1, 3, 5, 1)), {"stride": 1, "f": 2}, "max"),
    )
    add(
        "pool_forward",
        "several channels, max",
        "A_prev (1, 4, 4, 3), f 2, stride 1, mode max",
        (rng.standard_normal((1, 4, 4, 3)), {"stride": 1, "f": 2}, "max"),
    )
    add(
        "pool_forward",
        "several examples, max",
        "A_prev (3, 4, 4, 1), f 2, stride 1, mode max",
        (rng.standard_normal((3, 4, 4, 1)), {"stride": 1, "f": 2}, "max"),
    )
    rng = np.random.default_rng(31)
    add(
        "pool_forward",
        "keys in the other order",
        "hparameters built as {'f': 3, 'stride': 2}: A_prev (2, 7, 6, 2), mode max",
        (rng.standard_normal((2, 7, 6, 2)), {"f": 3, "stride": 2}, "max"),
    )
    add(
        "pool_forward",
        "stride 3, average",
        "a stride that does not divide: A_prev (1, 8, 7, 3), f 2, stride 3",
        (rng.standard_normal((1, 8, 7, 3)), {"stride": 3, "f": 2}, "average"),
    )

    rs = np.random.RandomState(1)
    A_prev = rs.randn(5, 5, 3, 2)
    hp = {"stride": 1, "f": 2}
    dA = rs.randn(5, 4, 2, 2)
    for mode in ("max", "average"):
        add(
            "pool_backward",
            f"course, {mode}",
            f"the course's test: np.random.seed(1), A_prev (5, 5, 3, 2), f 2, stride 1, dA (5, 4, 2, 2), mode {mode}",
            (dA, (A_prev, hp), mode),
            course=True,
        )
    for name, label, seed, shape, hp, ties, mode in _POOL_GEOMETRIES:
        A_prev, dA = _pool_arrays(seed, shape, hp, ties=ties)
        add("pool_backward", name, label, (dA, (A_prev, dict(hp)), mode))
    A_prev, dA = _pool_arrays(41, (2, 4, 4, 2), {"f": 2, "stride": 2}, ties=True)
    add(
        "pool_backward",
        "ties, max, stride 2",
        "ties: A_prev (2, 4, 4, 2) of small integers, f 2, stride 2, mode max",
        (dA, (A_prev, {"stride": 2, "f": 2}), "max"),
    )
    A_prev, dA = _pool_arrays(42, (2, 7, 5, 4), {"f": 3, "stride": 2})
    add(
        "pool_backward",
        "non-square, max",
        "A_prev (2, 7, 5, 4), f 3, stride 2, mode max",
        (dA, (A_prev, {"f": 3, "stride": 2}), "max"),
    )
    A_prev, dA = _pool_arrays(43, (1, 7, 8, 2), {"f": 2, "stride": 3})
    add(
        "pool_backward",
        "stride 3, average",
        "a stride that does not divide: A_prev (1, 7, 8, 2), f 2, stride 3",
        (dA, (A_prev, {"f": 2, "stride": 3}), "average"),
    )
    A_prev, dA = _pool_arrays(44, (1, 5, 6, 3), {"f": 3, "stride": 1})
    add(
        "pool_backward",
        "overlapping, average",
        "A_prev (1, 5, 6, 3), f 3, stride 1, mode average",
        (dA, (A_prev, {"stride": 1, "f": 3}), "average"),
    )

    battery = {function: tuple(found) for function, found in out.items()}
    battery.update(_cs231n_battery(battery))
    return battery


# =========================================================================================================
# Stanford cs231n's layout: x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param {"stride", "pad"},
# pool_param {"pool_height", "pool_width", "stride"}. Graded through the same references and mistakes, with the
# arrays transposed on the way in and out (NCHW <-> the course's NHWC).
# =========================================================================================================

#: The course function each cs231n function corresponds to.
CS231N = {
    "conv_forward_naive": "conv_forward",
    "conv_backward_naive": "conv_backward",
    "max_pool_forward_naive": "pool_forward",
    "max_pool_backward_naive": "pool_backward",
}


def _nhwc(x):
    return np.asarray(x).transpose(0, 2, 3, 1)  # (N, C, H, W) -> (m, n_H, n_W, n_C)


def _nchw(a):
    return np.asarray(a).transpose(0, 3, 1, 2)  # (m, n_H, n_W, n_C) -> (N, C, H, W)


def _course_args(function: str, args: tuple) -> tuple:
    """The course-layout arguments of a cs231n call."""
    if function == "conv_forward_naive":
        x, w, b, conv_param = args
        hp = {"stride": conv_param["stride"], "pad": conv_param["pad"]}
        return (_nhwc(x), np.asarray(w).transpose(2, 3, 1, 0), np.reshape(b, (1, 1, 1, -1)), hp)  # w -> (f, f, C, F)
    if function == "conv_backward_naive":
        dout, (x, w, b, conv_param) = args
        return (_nhwc(dout), _course_args("conv_forward_naive", (x, w, b, conv_param)))
    if function == "max_pool_forward_naive":
        x, pool_param = args
        return (_nhwc(x), {"stride": pool_param["stride"], "f": pool_param["pool_height"]}, "max")
    dout, (x, pool_param) = args
    A_prev, hp, mode = _course_args("max_pool_forward_naive", (x, pool_param))
    return (_nhwc(dout), (A_prev, hp), mode)


def _cs231n_outputs(function: str, outputs: tuple) -> tuple:
    """Course-layout outputs turned into cs231n's."""
    if function in ("conv_forward_naive", "max_pool_forward_naive", "max_pool_backward_naive"):
        return (_nchw(outputs[0]),)
    dA, dW, db = (np.asarray(o) for o in outputs)
    return (_nchw(dA), dW.transpose(3, 2, 0, 1) if dW.ndim == 4 else dW, db.reshape(-1))  # dW -> (F, C, HH, WW)


def through_cs231n(function: str, course_func: Callable) -> Callable:
    """``course_func`` (course signature) as a cs231n ``function``: arguments and outputs transposed."""

    def adapted(*args):
        course_args = _course_args(function, args)
        result = course_func(*course_args)
        outputs = _cs231n_outputs(function, split_result(CS231N[function], result))
        if function in ("conv_forward_naive", "max_pool_forward_naive"):
            return outputs[0], args[-1]
        return outputs if function == "conv_backward_naive" else outputs[0]

    adapted.__name__ = function
    return adapted


def _cs231n_case_args(function: str, course_case: Case) -> tuple:
    """A course case's arguments in cs231n's layout."""
    if function == "conv_forward_naive":
        A_prev, W, b, hp = course_case.arguments()
        return (_nchw(A_prev).copy(), W.transpose(3, 2, 0, 1).copy(), b.reshape(-1).copy(), dict(hp))
    if function == "conv_backward_naive":
        dZ, (A_prev, W, b, hp) = course_case.arguments()
        x, w, bb, conv_param = _cs231n_case_args("conv_forward_naive", Case("", "", "", (A_prev, W, b, hp)))
        return (_nchw(dZ).copy(), (x, w, bb, conv_param))
    if function == "max_pool_forward_naive":
        A_prev, hp, _ = course_case.arguments()
        return (_nchw(A_prev).copy(), {"pool_height": hp["f"], "pool_width": hp["f"], "stride": hp["stride"]})
    dA, (A_prev, hp), _ = course_case.arguments()
    x, pool_param = _cs231n_case_args("max_pool_forward_naive", Case("", "", "", (A_prev, hp, "max")))
    return (_nchw(dA).copy(), (x, pool_param))


def _cs231n_own_cases() -> dict[str, tuple]:
    """cs231n's own test values (assignment 2, ConvolutionalNetworks.ipynb)."""
    x_shape, w_shape = (2, 3, 4, 4), (3, 3, 4, 4)
    x = np.linspace(-0.1, 0.5, num=int(np.prod(x_shape))).reshape(x_shape)
    w = np.linspace(-0.2, 0.3, num=int(np.prod(w_shape))).reshape(w_shape)
    b = np.linspace(-0.1, 0.2, num=3)
    rs = np.random.RandomState(231)
    bx, bw, bb = rs.randn(4, 3, 5, 5), rs.randn(2, 3, 3, 3), rs.randn(2)
    bdout = rs.randn(4, 2, 5, 5)
    px = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    rs = np.random.RandomState(231)
    qx, qdout = rs.randn(3, 2, 8, 8), rs.randn(3, 2, 4, 4)
    pool = {"pool_width": 2, "pool_height": 2, "stride": 2}
    return {
        "conv_forward_naive": (
            "x (2, 3, 4, 4) and w (3, 3, 4, 4) from np.linspace, b (3,), stride 2, pad 1",
            (x, w, b, {"stride": 2, "pad": 1}),
        ),
        "conv_backward_naive": (
            "np.random.seed(231): x (4, 3, 5, 5), w (2, 3, 3, 3), b (2,), dout (4, 2, 5, 5), stride 1, pad 1",
            (bdout, (bx, bw, bb, {"stride": 1, "pad": 1})),
        ),
        "max_pool_forward_naive": ("x (2, 3, 4, 4) from np.linspace, 2 x 2 pool, stride 2", (px, dict(pool))),
        "max_pool_backward_naive": (
            "np.random.seed(231): x (3, 2, 8, 8), dout (3, 2, 4, 4), 2 x 2 pool, stride 2",
            (qdout, (qx, dict(pool))),
        ),
    }


def _cs231n_battery(course: dict[str, tuple[Case, ...]]) -> dict[str, tuple[Case, ...]]:
    own = _cs231n_own_cases()
    out = {}
    for function, course_function in CS231N.items():
        label, args = own[function]
        _frozen(*[a for a in _walk(args) if isinstance(a, np.ndarray)])
        found = [Case(function, "cs231n", "cs231n's own test: " + label, args, True, ("cs231n's values",))]
        for c in course[course_function]:
            if course_function.startswith("pool") and c.args[-1] != "max":
                continue
            args = _cs231n_case_args(function, c)
            _frozen(*[a for a in _walk(args) if isinstance(a, np.ndarray)])
            kinds = tuple(k for k in c.kinds if k not in ("the course's values", "hyper-parameters in the other order"))
            name = "the course's values" if c.course else c.name
            found.append(Case(function, name, c.label + " (in NCHW)", args, False, kinds))
        out[function] = tuple(found)
    return out


def _walk(obj):
    if isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _walk(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _walk(item)
    else:
        yield obj


@functools.cache
def _battery() -> dict[str, tuple[Case, ...]]:
    return _build_battery()


def cases(function: str) -> tuple[Case, ...]:
    """The battery of ``function``, the course's case first."""
    if function not in ALL_FUNCTIONS:
        raise ValueError(f"{function!r} is not one of the graded functions {ALL_FUNCTIONS}")
    return _battery()[function]


def case(function: str, name: str) -> Case:
    """The battery case ``name`` of ``function``."""
    for found in cases(function):
        if found.name == name:
            return found
    raise KeyError(f"{function} has no case {name!r}; its cases are {[c.name for c in cases(function)]}")


_find_case = case  # for functions whose parameter is called `case`

_REFERENCE = {
    "zero_pad": lambda X, pad: _conv.zero_pad(X, pad),
    "conv_single_step": _naive.conv_single_step,
    "conv_forward": _conv.conv_forward,
    "conv_backward": _conv.conv_backward,
    "create_mask_from_window": _naive.create_mask_from_window,
    "distribute_value": _naive.distribute_value,
    "pool_forward": _pool.pool_forward,
    "pool_backward": _pool.pool_backward,
}
_REFERENCE.update({name: through_cs231n(name, _REFERENCE[course]) for name, course in CS231N.items()})


@functools.cache
def _reference(function: str, name: str) -> tuple[np.ndarray, ...]:
    outputs = split_result(function, case(function, name).call(_REFERENCE[function]))
    return _frozen(*(np.array(o) for o in outputs))


def reference_outputs(case: Case) -> tuple[np.ndarray, ...]:
    """convcore's outputs for ``case`` (named by ``OUTPUT_NAMES[case.function]``), read-only."""
    return _reference(case.function, case.name)


# =========================================================================================================
# Comparing
# =========================================================================================================


@dataclass(frozen=True)
class Difference:
    """How one output differs from the expected one.

    ``index`` is the first differing index (row-major) when the shapes agree, with the two values there
    and the largest absolute difference; when the shapes differ these are ``None``.
    """

    output: str
    expected_shape: tuple[int, ...]
    got_shape: tuple[int, ...]
    index: tuple[int, ...] | None
    expected_value: float | None
    got_value: float | None
    max_abs_diff: float | None

    @property
    def shape_differs(self) -> bool:
        return self.expected_shape != self.got_shape


def _close(expected: np.ndarray, got: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.isclose(
            got.astype(np.float64), expected.astype(np.float64), rtol=ELEMENTWISE_RTOL, atol=ELEMENTWISE_ATOL
        )


def agree(expected, got) -> bool:
    """One output: the same shape and every entry close (the element-wise check)."""
    expected, got = np.asarray(expected), np.asarray(got)
    return expected.shape == got.shape and bool(_close(expected, got).all())


def compare(function: str, expected, got) -> tuple[Difference, ...]:
    """The element-wise check: one :class:`Difference` per output of ``function`` that differs (empty: pass)."""
    found = []
    for name, e, g in zip(OUTPUT_NAMES[function], expected, got, strict=True):
        e, g = np.asarray(e), np.asarray(g)
        if e.shape != g.shape:
            found.append(Difference(name, e.shape, g.shape, None, None, None, None))
            continue
        close = _close(e, g)
        if close.all():
            continue
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        with np.errstate(all="ignore"):
            max_abs = float(np.max(np.abs(g.astype(np.float64) - e.astype(np.float64))))
        found.append(Difference(name, e.shape, g.shape, index, float(e[index]), float(g[index]), max_abs))
    return tuple(found)


def mean_only_passes(expected, got) -> bool:
    """The course's kind of check: every output has the right shape and ``np.isclose`` means.

    NumPy's default tolerance (rtol 1e-5, atol 1e-8), as the course's ``np.isclose(np.mean(dA), ...)``.
    """
    for e, g in zip(expected, got, strict=True):
        e, g = np.asarray(e, dtype=np.float64), np.asarray(g, dtype=np.float64)
        if e.shape != g.shape:
            return False
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if not np.isclose(np.mean(g), np.mean(e)):
                return False
    return True


@dataclass(frozen=True)
class Outcome:
    """A mistake (or any function) run on one case, next to convcore's answer.

    ``expected`` and ``got`` are tuples of arrays named by ``outputs``; ``got`` is ``None`` and ``error``
    is ``"Type: message"`` when the code raises. ``max_abs_diff[j]`` is ``None`` where output ``j`` has
    the wrong shape (or the code raised).
    """

    mistake: str
    function: str
    case: Case
    outputs: tuple[str, ...]
    expected: tuple[np.ndarray, ...]
    got: tuple[np.ndarray, ...] | None
    error: str | None
    differences: tuple[Difference, ...]
    max_abs_diff: tuple[float | None, ...]
    mean_only_passes: bool
    elementwise_passes: bool


_RANDOM = threading.Lock()  # np.random's global state, seeded before each call as the grader's child does


def run(function: str, func: Callable, case: Case) -> tuple[tuple[np.ndarray, ...] | None, str | None]:
    """``(outputs, None)`` or ``(None, "Type: message")`` for ``func`` (a course-signature callable) on ``case``.

    ``np.random.seed(1)`` comes first, as in the grader's child process, so that code drawing random numbers
    (the ``random_init`` slip) draws the same ones as a learner's code written the same way.
    """
    try:
        with _RANDOM, warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            np.random.seed(1)
            return split_result(function, case.call(func)), None
    except BadOutput as exc:
        return None, f"BadOutput: {exc}"
    except Exception as exc:  # noqa: BLE001 - a mistake may raise anything; that is part of the outcome
        return None, error_text(exc)


def _outcome(key: str, function: str, func: Callable, case: Case) -> Outcome:
    expected = reference_outputs(case)
    got, error = run(function, func, case)
    names = OUTPUT_NAMES[function]
    if got is None:
        return Outcome(key, function, case, names, expected, None, error, (), (None,) * len(names), False, False)
    differences = compare(function, expected, got)
    max_abs = []
    for e, g in zip(expected, got, strict=True):
        if e.shape != g.shape:
            max_abs.append(None)
        else:
            with np.errstate(all="ignore"):
                max_abs.append(float(np.max(np.abs(g.astype(np.float64) - e), initial=0.0)))
    return Outcome(
        key,
        function,
        case,
        names,
        expected,
        got,
        None,
        differences,
        tuple(max_abs),
        mean_only_passes(expected, got),
        not differences,
    )


def evaluate(mistake: Mistake | str, case: Case | str | None = None) -> Outcome:
    """Run ``mistake`` and convcore on one battery case.

    ``case``: a :class:`Case` (of any function the mistake shows in), the name of a case of
    ``mistake.shown_by``, or ``None`` for ``mistake.showcase``.
    """
    if isinstance(mistake, str):
        mistake = BY_KEY[mistake]
    if case is None:
        case = mistake.showcase
    if isinstance(case, str):
        case = _find_case(mistake.shown_by, case)
    return _outcome(mistake.key, case.function, mistake.implementation(case.function), case)


def compare_with_reference(mistake: Mistake | str) -> tuple[Outcome, ...]:
    """:func:`evaluate` on the course's values of ``shown_by`` and on the showcase (once if they coincide)."""
    if isinstance(mistake, str):
        mistake = BY_KEY[mistake]
    names = [c.name for c in cases(mistake.shown_by) if c.course]
    if mistake.showcase not in names:
        names.append(mistake.showcase)
    return tuple(evaluate(mistake, name) for name in names)


def battery(mistake: Mistake | str) -> tuple[Outcome, ...]:
    """:func:`evaluate` on every battery case of every function the mistake shows in."""
    if isinstance(mistake, str):
        mistake = BY_KEY[mistake]
    return tuple(evaluate(mistake, c) for function in mistake.shows_in for c in cases(function))


@dataclass(frozen=True)
class SummaryRow:
    """One row of the page's table.

    - ``caught_by_mean_only``: on the course's values of some function the slip shows in, the course's
      kind of check (shapes and means, or an exception) fails;
    - ``caught_by_elementwise``: on some battery case the element-wise check fails;
    - ``cases_caught``: ``"function: case"`` for every battery case where the element-wise check fails;
    - ``raises``: the slip raises an exception on at least one case.
    """

    key: str
    title: str
    function: str
    caught_by_mean_only: bool
    caught_by_elementwise: bool
    shows_on_course_values: bool
    raises: bool
    cases_caught: tuple[str, ...]


@functools.cache
def summary_table() -> tuple[SummaryRow, ...]:
    """One :class:`SummaryRow` per catalogued mistake, in catalogue order."""
    rows = []
    for m in CATALOGUE:
        outcomes = battery(m)
        course = [o for o in outcomes if o.case.course]
        caught = tuple(f"{o.function}: {o.case.name}" for o in outcomes if not o.elementwise_passes)
        rows.append(
            SummaryRow(
                key=m.key,
                title=m.title,
                function=m.function,
                caught_by_mean_only=any(not o.mean_only_passes for o in course),
                caught_by_elementwise=bool(caught),
                shows_on_course_values=any(not o.elementwise_passes for o in course),
                raises=any(o.error is not None for o in outcomes),
                cases_caught=caught,
            )
        )
    return tuple(rows)
