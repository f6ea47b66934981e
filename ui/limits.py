"""Bounds on everything a visitor can choose, in one place (the pages, the parser and the tests use them)."""

MAX_INPUT = 32  # input height and width
MAX_SHOWN = 16  # numbers are written on heatmap cells up to this many rows and columns
MAX_KERNEL = 7  # kernel height and width
MAX_CHANNELS = 4  # input and output channels
MAX_STRIDE = 4
MAX_PAD = 3
MAX_SEED = 9999
MAX_FRAMES = 1600  # animation frames in one figure (38 x 38 output cells at most)
MAX_RUNNING_CELLS = 40_000  # frames x cells for animations that redraw a whole heatmap per frame
