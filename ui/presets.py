"""Example inputs, kernels and upstream gradients. Pure NumPy (no streamlit), seeded and deterministic.

Shapes follow the core: an input is ``(n_H_prev, n_W_prev, n_C_prev)`` (one example), a kernel
``(f_H, f_W, n_C_prev, n_C)``, an upstream gradient ``(n_H, n_W, n_C)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "INPUT_PRESETS",
    "KERNEL_PRESETS",
    "FIXED_KERNELS",
    "DZ_PRESETS",
    "make_input",
    "make_kernel",
    "make_dz",
    "is_rot180_symmetric",
]

INPUT_PRESETS = ("random integers", "ramp", "checkerboard", "digit", "plateaus (ties)", "custom")
KERNEL_PRESETS = ("asymmetric 1..n", "sobel (x)", "edge (laplacian)", "blur (box)", "random", "custom")
DZ_PRESETS = ("ones", "random integers", "single 1", "custom")

FIXED_KERNELS = {
    "sobel (x)": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    "edge (laplacian)": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
}

# A 7x5 bitmap of the digit 2, scaled to the input's size by nearest neighbour.
_DIGIT = np.array(
    [
        [0, 1, 1, 1, 0],
        [1, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 1, 0],
        [0, 0, 1, 0, 0],
        [0, 1, 0, 0, 0],
        [1, 1, 1, 1, 1],
    ],
    dtype=np.float64,
)


def _resize_nearest(img: np.ndarray, n_H: int, n_W: int) -> np.ndarray:
    rows = (np.arange(n_H) * img.shape[0]) // n_H
    cols = (np.arange(n_W) * img.shape[1]) // n_W
    return img[np.ix_(rows, cols)]


def make_input(preset: str, n_H: int, n_W: int, n_C: int, seed: int) -> np.ndarray:
    """An input ``(n_H, n_W, n_C)`` for a preset other than ``"custom"``."""
    rng = np.random.default_rng(seed)
    i, j = np.meshgrid(np.arange(n_H), np.arange(n_W), indexing="ij")
    channels = []
    for c in range(n_C):
        if preset == "random integers":
            x = rng.integers(0, 10, size=(n_H, n_W)).astype(np.float64)
        elif preset == "ramp":
            x = (np.arange(n_H * n_W, dtype=np.float64).reshape(n_H, n_W) + 1) * (c + 1)
        elif preset == "checkerboard":
            x = ((i + j + c) % 2).astype(np.float64)
        elif preset == "digit":
            x = _resize_nearest(_DIGIT, n_H, n_W) * (c + 1)
        elif preset == "plateaus (ties)":
            x = ((i // 2 + j // 2 + c) % 3).astype(np.float64)  # equal values in every aligned 2x2 block
        else:
            raise ValueError(f"unknown input preset {preset!r}; choose one of {INPUT_PRESETS}")
        channels.append(x)
    return np.stack(channels, axis=-1)  # n_C x (n_H, n_W) -> (n_H, n_W, n_C)


def make_kernel(preset: str, f_H: int, f_W: int, n_C_prev: int, n_C: int, seed: int) -> np.ndarray:
    """A kernel ``(f_H, f_W, n_C_prev, n_C)`` for a preset other than ``"custom"``.

    Fixed presets (Sobel, Laplacian) are 3x3 whatever ``f_H, f_W`` say; see :data:`FIXED_KERNELS`.
    Different channel pairs get different signs or scales so that they can be told apart.
    """
    rng = np.random.default_rng(seed + 1)
    if preset in FIXED_KERNELS:
        f_H, f_W = FIXED_KERNELS[preset].shape
    W = np.zeros((f_H, f_W, n_C_prev, n_C))
    for ci in range(n_C_prev):
        for co in range(n_C):
            if preset == "asymmetric 1..n":
                k = np.arange(1, f_H * f_W + 1, dtype=np.float64).reshape(f_H, f_W) * (ci + 1) * (-1) ** co
            elif preset in FIXED_KERNELS:
                k = FIXED_KERNELS[preset] * (ci + 1) * (-1) ** co
            elif preset == "blur (box)":
                k = np.full((f_H, f_W), 1.0 / (f_H * f_W))
            elif preset == "random":
                k = rng.integers(-3, 4, size=(f_H, f_W)).astype(np.float64)
            else:
                raise ValueError(f"unknown kernel preset {preset!r}; choose one of {KERNEL_PRESETS}")
            W[:, :, ci, co] = k
    return W


def make_dz(preset: str, n_H: int, n_W: int, n_C: int, seed: int, cell: tuple[int, int, int] = (0, 0, 0)):
    """An upstream gradient ``(n_H, n_W, n_C)`` for a preset other than ``"custom"``.

    ``"single 1"`` puts a 1 at ``cell = (h, w, c)`` (clipped into range) and 0 elsewhere: dA_prev is then
    one copy of the kernel stamped at that window.
    """
    if preset == "ones":
        return np.ones((n_H, n_W, n_C))
    if preset == "random integers":
        return np.random.default_rng(seed + 2).integers(-2, 3, size=(n_H, n_W, n_C)).astype(np.float64)
    if preset == "single 1":
        dz = np.zeros((n_H, n_W, n_C))
        h, w, c = (min(max(int(v), 0), n - 1) for v, n in zip(cell, (n_H, n_W, n_C), strict=True))
        dz[h, w, c] = 1.0
        return dz
    raise ValueError(f"unknown dZ preset {preset!r}; choose one of {DZ_PRESETS}")


def is_rot180_symmetric(W: np.ndarray) -> bool:
    """True if rotating every spatial slice of ``W (f_H, f_W, ...)`` by 180 degrees changes nothing."""
    return bool(np.array_equal(W, W[::-1, ::-1]))
