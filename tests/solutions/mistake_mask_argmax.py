# The mask marks the position np.argmax returns: one maximum per window, as PyTorch does.
import numpy as np


def create_mask_from_window(x):
    mask = np.zeros_like(x, dtype=bool)
    i, j = np.unravel_index(np.argmax(x), x.shape)
    mask[i, j] = True
    return mask


def distribute_value(dz, shape):
    n_H, n_W = shape
    return np.full(shape, dz / (n_H * n_W))


def pool_backward(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    vs, hs = h * stride, w * stride
                    if mode == "max":
                        mask = create_mask_from_window(A_prev[i, vs : vs + f, hs : hs + f, c])
                        dA_prev[i, vs : vs + f, hs : hs + f, c] += mask * dA[i, h, w, c]
                    else:
                        dA_prev[i, vs : vs + f, hs : hs + f, c] += distribute_value(dA[i, h, w, c], (f, f))
    return dA_prev
