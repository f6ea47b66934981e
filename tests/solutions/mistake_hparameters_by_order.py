# Seed 003's pool_forward: the hyper-parameters are read in the dict's order.
import numpy as np


def pool_forward(A_prev, hparameters, mode="max"):
    def cus_pool(mode):
        if mode == "max":
            return np.amax
        else:
            return np.ma.average

    pooling = cus_pool(mode)
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    s, f = [v for k, v in hparameters.items()]
    n_H = int(np.floor((n_H_prev - f) / s + 1))
    n_W = int(np.floor((n_W_prev - f) / s + 1))
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for c in range(n_C):
            for h in range(n_H):
                vert_start = h * s
                vert_end = h * s + f
                for w in range(n_W):
                    hori_start = w * s
                    hori_end = w * s + f
                    A[i, h, w, c] = pooling(A_prev[i, vert_start:vert_end, hori_start:hori_end, c])
    cache = (A_prev, hparameters)
    return A, cache
