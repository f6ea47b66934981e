# np.pad given a single number pads every axis.
import numpy as np


def zero_pad(X, pad):
    X_pad = np.pad(X, pad, "constant")
    return X_pad
