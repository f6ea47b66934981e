"""Bounds on everything a visitor can choose, in one place (the pages, the parser and the tests use them)."""

MAX_INPUT = 32  # input height and width
MAX_SHOWN = 16  # numbers are written on heatmap cells up to this many rows and columns
MAX_KERNEL = 7  # kernel height and width
MAX_CHANNELS = 4  # input and output channels
MAX_STRIDE = 4
MAX_PAD = 3
MAX_DILATION = 3  # a 7x7 kernel at dilation 3 spans 19 cells: it fits a padded input of 32 + 2x3
MAX_SEED = 9999
MAX_FRAMES = 1600  # animation frames in one figure (38 x 38 output cells at most)
MAX_RUNNING_CELLS = 40_000  # frames x cells for animations that redraw a whole heatmap per frame
MAX_OVERLAY_NUMBERS = 300_000  # coordinates the frames of one animation may carry (about 2 MB of JSON)


# The matrix view: C has (n_H n_W n_C) x (n_H_prev n_W_prev n_C_prev) entries, almost all zeros.
MAX_MATRIX_ENTRIES = 250_000  # C is built up to this many entries (2 MB; e.g. 16 x 16 x 1 input, 3 x 3 kernel: 50,176)
MAX_MATRIX_DRAWN = 20_000  # a matrix (C, Cᵀ, the patch matrix) is drawn as a grid up to this many cells
MAX_MATRIX_NUMBERS = 1_600  # numbers are written on a matrix's cells up to this many cells

# The transposed convolution page: its own input X (shaped like a convolution's output) and output_padding.
MAX_TRANSPOSE_INPUT = 12  # X's height and width: at stride 4, kernel 7, dilation 3 the output is 64 x 64
MAX_OUTPUT_PADDING = max(MAX_STRIDE, MAX_DILATION) - 1  # PyTorch's rule: output_padding < max(stride, dilation)


def overlay_numbers(rows: int, taps: int, spans: int = 0) -> int:
    """Coordinates one frame moves: ``rows`` windows of ``taps`` separate cells each (one rectangle when
    ``taps == 1``: 5 points), a highlighted cell, and ``spans`` dashed outlines; x and y each."""
    per_window = 10 if taps == 1 else taps * 12  # a closed square is 5 points, plus a gap between squares
    return rows * per_window + 10 + spans * 10


def animated_steps(n_steps: int, numbers_per_frame: int) -> int:
    """How many of ``n_steps`` an animation shows: at most :data:`MAX_FRAMES`, and no more than fit
    :data:`MAX_OVERLAY_NUMBERS` (a dilated 7x7 kernel on four channels moves 2,352 numbers a frame)."""
    return max(1, min(n_steps, MAX_FRAMES, MAX_OVERLAY_NUMBERS // max(1, numbers_per_frame)))
