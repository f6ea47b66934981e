# conv_forward never returns: its while loop waits for a condition that never comes true.
import numpy as np


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_single_step(a_slice_prev, W, b):
    return np.sum(a_slice_prev * W) + b.item()


def conv_forward(A_prev, W, b, hparameters):
    h = 0
    while True:  # meant to be `while h < n_H`, and h is never incremented anyway
        h = h * hparameters["stride"]
