# Writes the id of the process that runs it, so that a test can check it is never the grader's own.
import os

import numpy as np

with open(os.environ["CONVCORE_CHECK_PID_FILE"], "a") as fh:
    fh.write(f"{os.getpid()}\n")


def distribute_value(dz, shape):
    with open(os.environ["CONVCORE_CHECK_PID_FILE"], "a") as fh:
        fh.write(f"{os.getpid()}\n")
    n_H, n_W = shape
    return np.ones(shape) * dz / (n_H * n_W)
