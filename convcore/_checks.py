"""Input validation shared by every public function of the core.

Every check raises ``ValueError`` with a message that names the offending argument and the valid
range, so the web app can show the message as it is and a learner can act on it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_array",
    "as_int",
    "conv_hparameters",
    "pool_hparameters",
    "check_convention",
    "out_size",
    "CONVENTIONS",
]

CONVENTIONS = ("correlation", "convolution")


def as_array(name: str, x, ndim: int) -> np.ndarray:
    """Return ``x`` as a float64 array after checking its ndim and that every value is finite.

    The input is never modified: ``np.asarray`` may return the caller's array, so callers must not
    write into the result (the core never does).
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers ({exc})") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains values that are not finite (nan or inf)")
    return arr


def as_int(name: str, value, minimum: int) -> int:
    """Return ``value`` as an ``int`` if it is an integer (not a bool) >= ``minimum``."""
    if isinstance(value, bool):  # bool is an Integral (True == 1): reject it before the checks below
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def conv_hparameters(hparameters) -> tuple[int, int, str]:
    """Read ``{"stride": s, "pad": p}`` (and the optional ``"convention"``) -> ``(s, p, convention)``."""
    if not isinstance(hparameters, dict):
        raise ValueError('hparameters must be a dict {"stride": s, "pad": p}')
    missing = [k for k in ("stride", "pad") if k not in hparameters]
    if missing:
        raise ValueError(f"hparameters is missing {missing}; expected keys 'stride' and 'pad'")
    stride = as_int("stride", hparameters["stride"], 1)
    pad = as_int("pad", hparameters["pad"], 0)
    convention = check_convention(hparameters.get("convention", "correlation"))
    return stride, pad, convention


def pool_hparameters(hparameters) -> tuple[int, int]:
    """Read the pooling hyper-parameters ``{"f": f, "stride": s}`` -> ``(f, s)``."""
    if not isinstance(hparameters, dict):
        raise ValueError('hparameters must be a dict {"f": f, "stride": s}')
    missing = [k for k in ("f", "stride") if k not in hparameters]
    if missing:
        raise ValueError(f"hparameters is missing {missing}; expected keys 'f' and 'stride'")
    return as_int("f", hparameters["f"], 1), as_int("stride", hparameters["stride"], 1)


def out_size(n: int, f: int, stride: int, pad: int, axis: str = "input") -> int:
    """Output length ``1 + (n + 2 * pad - f) // stride``; raises if the kernel does not fit.

    Strides that do not divide ``n + 2 * pad - f`` are floored, as the course and PyTorch do: the
    last ``(n + 2 * pad - f) % stride`` rows (or columns) of the padded input are never visited.
    """
    if f > n + 2 * pad:
        raise ValueError(
            f"the kernel ({f}) is larger than the padded {axis} ({n} + 2*{pad} = {n + 2 * pad}); "
            f"use a kernel of at most {n + 2 * pad} or more padding"
        )
    return 1 + (n + 2 * pad - f) // stride
