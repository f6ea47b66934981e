# A definition whose default value never finishes computing: loading the file never finishes.
import numpy as np


def _forever():
    step = 0
    while True:
        step += 1


def zero_pad(X, pad, _unused=_forever()):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
