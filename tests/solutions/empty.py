# A learner's scratch file: helpers with other names, none of the course's functions.
import numpy as np


def pad_image(X, pad):
    return np.pad(X, pad)
