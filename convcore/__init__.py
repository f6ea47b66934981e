"""convcore: a pure NumPy (and SymPy) core for the convolution-gradient explainer. Never imports streamlit.

The top-level functions are the fast, vectorised ones, with the course's names, NHWC layout and caches:

- :func:`zero_pad`, :func:`conv_forward`, :func:`conv_backward` (``method="scatter" | "rot180"``);
- :func:`pool_forward`, :func:`pool_backward` (``mode="max" | "average"``, ``ties="all" | "first"``);
- the backward pieces named for what they return: :func:`grad_input_scatter`, :func:`grad_input_rot180`,
  :func:`grad_weight`, :func:`grad_bias`;
- the 1D versions of the classic ``[a b c d e]`` with ``[x y]`` example (:mod:`convcore.conv1d`);
- the convolution as a matrix and as one matrix product (:mod:`convcore.matrix`): :func:`conv_matrix` (C, with
  ``z = C a + b``: :func:`conv_forward_matrix`, and ``dA_prev = Cᵀ dZ``: :func:`grad_input_matrix`),
  :func:`conv_matrix_taps`, :func:`im2col`, :func:`col2im`, :func:`cover_count`, :func:`weight_matrix`,
  :func:`conv_forward_gemm`, :func:`grad_cols`, :func:`grad_input_col2im`;
- the transposed convolution (:mod:`convcore.transpose`): :func:`conv_transpose_forward`,
  :func:`conv_transpose_backward` (its dX is a plain correlation with W: no flip), and dA_prev as
  ``conv_transpose2d(dZ, W)``: :func:`grad_input_transpose`.

``hparameters`` is the course's ``{"stride": s, "pad": p}`` with the optional ``"dilation"``, ``"groups"`` and
``"convention"`` (see :mod:`convcore.conv`); any other key is refused. A transposed convolution's also takes
``"output_padding"`` (:data:`TRANSPOSE_KEYS`).

Submodules: :mod:`convcore.naive` (the course's loops), :mod:`convcore.trace` (step-by-step records).
"""

from . import naive, trace
from ._checks import CONV_KEYS, CONVENTIONS
from .conv import (
    conv_backward,
    conv_forward,
    correlate,
    dilate,
    dilate_kernel,
    effective_kernel,
    full_padding,
    grad_bias,
    grad_input_rot180,
    grad_input_scatter,
    grad_weight,
    output_shape,
    rot180,
    rot180_inputs,
    swap_channel_axes,
    zero_pad,
)
from .conv1d import conv1d_forward, conv1d_grad_input_rot180, conv1d_grad_input_scatter, conv1d_grad_weight
from .matrix import (
    MAX_MATRIX_ENTRIES,
    col2im,
    conv_forward_gemm,
    conv_forward_matrix,
    conv_matrix,
    conv_matrix_taps,
    cover_count,
    grad_cols,
    grad_input_col2im,
    grad_input_matrix,
    im2col,
    weight_matrix,
)
from .pool import MODES, TIES, pool_backward, pool_forward
from .transpose import (
    TRANSPOSE_KEYS,
    conv_input_lengths,
    conv_transpose_backward,
    conv_transpose_forward,
    conv_transpose_output_shape,
    grad_input_transpose,
    matching_output_padding,
    stamp_count,
)

__all__ = [
    "CONVENTIONS",
    "CONV_KEYS",
    "MODES",
    "TIES",
    "naive",
    "trace",
    "zero_pad",
    "rot180",
    "dilate",
    "dilate_kernel",
    "swap_channel_axes",
    "correlate",
    "effective_kernel",
    "full_padding",
    "rot180_inputs",
    "output_shape",
    "conv_forward",
    "conv_backward",
    "grad_input_scatter",
    "grad_input_rot180",
    "grad_weight",
    "grad_bias",
    "conv1d_forward",
    "conv1d_grad_input_scatter",
    "conv1d_grad_input_rot180",
    "conv1d_grad_weight",
    "pool_forward",
    "pool_backward",
    "MAX_MATRIX_ENTRIES",
    "conv_matrix",
    "conv_matrix_taps",
    "conv_forward_matrix",
    "grad_input_matrix",
    "im2col",
    "col2im",
    "cover_count",
    "weight_matrix",
    "conv_forward_gemm",
    "grad_cols",
    "grad_input_col2im",
    "TRANSPOSE_KEYS",
    "conv_transpose_output_shape",
    "conv_transpose_forward",
    "conv_transpose_backward",
    "grad_input_transpose",
    "matching_output_padding",
    "conv_input_lengths",
    "stamp_count",
]
