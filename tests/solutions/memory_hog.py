# zero_pad first builds a scratch array of 1.6 GB (a mistyped shape): more than a 1024 MB limit allows,
# though np.zeros would hand it out lazily without one.
import numpy as np


def zero_pad(X, pad):
    scratch = np.zeros((X.shape[0], 7000, 7000))
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0))) + scratch[0, 0, 0]


def distribute_value(dz, shape):
    n_H, n_W = shape
    return np.ones(shape) * dz / (n_H * n_W)
