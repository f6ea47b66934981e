# The mask is taken over the whole window block, every channel at once.
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
                vs, ve = h * stride, h * stride + f
                hs, he = w * stride, w * stride + f
                block = A_prev[i, vs:ve, hs:he, :]
                mask = create_mask_from_window(block)
                for c in range(n_C):
                    if mode == "max":
                        dA_prev[i, vs:ve, hs:he, c] += mask[:, :, c] * dA[i, h, w, c]
                    elif mode == "average":
                        dA_prev[i, vs:ve, hs:he, c] += distribute_value(dA[i, h, w, c], (f, f))
    return dA_prev
