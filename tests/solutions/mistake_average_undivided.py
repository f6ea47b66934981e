# Average pooling's gradient handed back whole to every input of the window.
import numpy as np


def distribute_value(dz, shape):
    return np.full(shape, dz)
