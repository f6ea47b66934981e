# Writes the id of the process that runs it, so that a test can check it is never the grader's own. The
# file is relative: the child's current folder is its scratch folder, the only one it may write in. The grader
# runs definitions only, and a class body runs when the file loads: so the probe child writes its id too.
import os

import numpy as np


class _WhenLoaded:
    with open("pids.txt", "a") as fh:
        fh.write(f"{os.getpid()}\n")


def distribute_value(dz, shape):
    with open("pids.txt", "a") as fh:
        fh.write(f"{os.getpid()}\n")
    n_H, n_W = shape
    return np.ones(shape) * dz / (n_H * n_W)
