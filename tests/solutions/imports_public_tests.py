# The notebook's first cell, as exported: it imports the course's test module, which is not here.
import numpy as np
from public_tests import *  # noqa: F401,F403


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
