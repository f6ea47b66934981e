# Max pooling's backward writes each window's mask with =, so overlapping windows overwrite each other.
import numpy as np


def create_mask_from_window(x):
    return x == np.max(x)


def distribute_value(dz, shape):
    n_H, n_W = shape
    return np.ones(shape) * dz / (n_H * n_W)


def pool_backward(dA, cache, mode="max"):
    A_prev, hparameters = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, ve = h * stride, h * stride + f
                    hs, he = w * stride, w * stride + f
                    if mode == "max":
                        mask = create_mask_from_window(A_prev[i, vs:ve, hs:he, c])
                        dA_prev[i, vs:ve, hs:he, c] = mask * dA[i, h, w, c]
                    elif mode == "average":
                        dA_prev[i, vs:ve, hs:he, c] += distribute_value(dA[i, h, w, c], (f, f))
    return dA_prev
