# The notebook's training loop left at the top level: loading the file never finishes.
import numpy as np

step = 0
while True:
    step += 1


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
