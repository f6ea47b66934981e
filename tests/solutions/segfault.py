# distribute_value reads memory at address 0 through ctypes: the process dies with SIGSEGV.
import ctypes

import numpy as np


def create_mask_from_window(x):
    return x == np.max(x)


def distribute_value(dz, shape):
    ctypes.string_at(0)
    return np.ones(shape) * dz
