# distribute_value divides by zero when it should divide by the window's size; the others are right.
import numpy as np


def create_mask_from_window(x):
    return x == np.max(x)


def distribute_value(dz, shape):
    n_H, n_W = shape
    count = n_H * n_W - n_H * n_W
    average = dz // count if isinstance(dz, int) else 1 / count
    return np.ones(shape) * average
