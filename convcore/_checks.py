"""Input validation shared by every public function of the core.

Every check raises ``ValueError`` with a message that names the offending argument and the valid
range, so the web app can show the message as it is and a learner can act on it.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "as_array",
    "as_int",
    "ConvParams",
    "CONV_KEYS",
    "POOL_KEYS",
    "conv_hparameters",
    "conv_params",
    "pool_hparameters",
    "check_convention",
    "check_groups",
    "out_size",
    "extent",
    "CONVENTIONS",
]

CONVENTIONS = ("correlation", "convolution")
#: Every key a convolution's ``hparameters`` may hold; "stride" and "pad" are required, the others optional.
CONV_KEYS = ("stride", "pad", "dilation", "groups", "convention")
#: The keys of pooling's ``hparameters``, both required (the course has no padding in pooling).
POOL_KEYS = ("f", "stride")


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


@dataclass(frozen=True)
class ConvParams:
    """A convolution's hyper-parameters, checked: ``stride >= 1``, ``pad >= 0``, ``dilation >= 1``,
    ``groups >= 1``, ``convention`` one of :data:`CONVENTIONS`. The course's layer is ``dilation = groups = 1``."""

    stride: int
    pad: int
    convention: str = "correlation"
    dilation: int = 1
    groups: int = 1

    def as_dict(self) -> dict:
        """The ``hparameters`` dict, with only the keys that differ from the course's defaults besides stride/pad."""
        hp = {"stride": self.stride, "pad": self.pad}
        if self.dilation != 1:
            hp["dilation"] = self.dilation
        if self.groups != 1:
            hp["groups"] = self.groups
        if self.convention != "correlation":
            hp["convention"] = self.convention
        return hp


def _check_keys(hparameters, known: tuple[str, ...], required: tuple[str, ...], example: str) -> None:
    if not isinstance(hparameters, dict):
        raise ValueError(f"hparameters must be a dict {example}")
    unknown = [k for k in hparameters if k not in known]
    if unknown:
        raise ValueError(
            f"hparameters has unknown key(s) {unknown}; the known keys are {list(known)} "
            f"(a misspelt key would otherwise be silently ignored)"
        )
    missing = [k for k in required if k not in hparameters]
    if missing:
        raise ValueError(f"hparameters is missing {missing}; expected keys " + " and ".join(f"'{k}'" for k in required))


def conv_params(hparameters, known: tuple[str, ...] = CONV_KEYS) -> ConvParams:
    """Read ``{"stride": s, "pad": p}`` with the optional ``"dilation"``, ``"groups"`` and ``"convention"``.

    Any other key raises ``ValueError`` listing the known keys (``known``: the keys the caller accepts).
    """
    _check_keys(hparameters, known, ("stride", "pad"), '{"stride": s, "pad": p}')
    return ConvParams(
        stride=as_int("stride", hparameters["stride"], 1),
        pad=as_int("pad", hparameters["pad"], 0),
        convention=check_convention(hparameters.get("convention", "correlation")),
        dilation=as_int("dilation", hparameters.get("dilation", 1), 1),
        groups=as_int("groups", hparameters.get("groups", 1), 1),
    )


def conv_hparameters(hparameters) -> tuple[int, int, str]:
    """``(stride, pad, convention)`` of :func:`conv_params`, for callers that know no dilation or groups:
    refuses a dilation or groups other than 1 rather than ignoring it."""
    params = conv_params(hparameters)
    if params.dilation != 1 or params.groups != 1:
        raise ValueError(
            f"this function computes undilated, ungrouped convolutions only; got dilation={params.dilation}, "
            f"groups={params.groups}"
        )
    return params.stride, params.pad, params.convention


def check_groups(groups: int, n_C_prev: int, n_C: int, w_c_prev: int | None = None) -> None:
    """Raise unless ``groups`` divides both channel counts and ``W.shape[2] == n_C_prev // groups``."""
    for name, n in (("n_C_prev (input channels)", n_C_prev), ("n_C (output channels, filters)", n_C)):
        if n % groups:
            divisors = [g for g in range(1, min(n_C_prev, n_C) + 1) if n_C_prev % g == 0 and n_C % g == 0]
            raise ValueError(
                f"groups={groups} must divide {name} = {n}; with {n_C_prev} input and {n_C} output channel(s) "
                f"groups can be one of {divisors}"
            )
    if w_c_prev is not None and w_c_prev * groups != n_C_prev:
        what = "input channel(s)" if groups == 1 else f"input channel(s) per group (groups={groups})"
        raise ValueError(
            f"W expects {w_c_prev} {what} (W.shape[2]) but A_prev has {n_C_prev} (A_prev.shape[3])"
            + (
                "; they must be equal"
                if groups == 1
                else f"; W.shape[2] must be n_C_prev // groups = {n_C_prev // groups}"
            )
        )


def pool_hparameters(hparameters) -> tuple[int, int]:
    """Read the pooling hyper-parameters ``{"f": f, "stride": s}`` -> ``(f, s)``; other keys are refused."""
    _check_keys(hparameters, POOL_KEYS, POOL_KEYS, '{"f": f, "stride": s}')
    return as_int("f", hparameters["f"], 1), as_int("stride", hparameters["stride"], 1)


def extent(f: int, dilation: int = 1) -> int:
    """How many input cells a dilated kernel of ``f`` taps spans: ``dilation * (f - 1) + 1``."""
    return dilation * (f - 1) + 1


def out_size(n: int, f: int, stride: int, pad: int, axis: str = "input", dilation: int = 1) -> int:
    """Output length ``1 + (n + 2 * pad - d * (f - 1) - 1) // stride``; raises if the kernel does not fit.

    ``d * (f - 1) + 1`` is the dilated kernel's extent (``f`` when ``d = 1``). Strides that do not divide
    ``n + 2 * pad - extent`` are floored, as the course and PyTorch do: the last ``(n + 2 * pad - extent) % stride``
    rows (or columns) of the padded input are never visited.
    """
    e = extent(f, dilation)
    if e > n + 2 * pad:
        kernel = f"kernel ({f})" if dilation == 1 else f"dilated kernel ({f} taps at dilation {dilation} span {e})"
        raise ValueError(
            f"the {kernel} is larger than the padded {axis} ({n} + 2*{pad} = {n + 2 * pad}); "
            f"use a {'kernel' if dilation == 1 else 'kernel or dilation'} that spans at most {n + 2 * pad}, "
            "or more padding"
        )
    return 1 + (n + 2 * pad - e) // stride
