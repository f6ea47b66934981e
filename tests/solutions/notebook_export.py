# A notebook exported with nbconvert: the magics became get_ipython() calls.
import numpy as np

get_ipython().run_line_magic("matplotlib", "inline")  # noqa: F821
get_ipython().run_line_magic("load_ext", "autoreload")  # noqa: F821

np.random.seed(1)


def create_mask_from_window(x):
    mask = x == np.max(x)
    return mask
