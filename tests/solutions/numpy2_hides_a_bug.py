# np.float is gone in NumPy 2, and behind it distribute_value divides by n_H + n_W (right only for 2 x 2).
import numpy as np


def distribute_value(dz, shape):
    (n_H, n_W) = shape
    average = dz / np.float(n_H + n_W)
    a = np.ones(shape) * average
    return a
