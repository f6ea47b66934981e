import numpy as np


def zero_pad(X, pad)
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
