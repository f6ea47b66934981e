# Seed 003's "tidier" rewrite of conv_forward (its tab indentation fixed so that the file loads).
import numpy as np


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_single_step(a_slice_prev, W, b):
    return np.sum(a_slice_prev * W) + b.item()


def conv_forward(A_prev, W, b, hparameters):
    n_H_prev, n_W_prev, n_C_prev, m = A_prev.shape
    f, n_C = W.shape
    p = hparameters["pad"]
    s = hparameters["stride"]
    A_pad = zero_pad(A_prev, p)
    n_H = int(np.floor((n_H_prev + 2 * p - f) / s + 1))
    n_W = int(np.floor((n_W_prev + 2 * p - f) / s + 1))
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for c in range(n_C):
            for h in range(n_H):
                vert_start = h * s
                vert_end = h * s + f
                for w in range(n_W):
                    hori_start = w * s
                    hori_end = w * s + f
                    Z[i, h, w, c] = conv_single_step(
                        A_pad[i, vert_start:vert_end, hori_start:hori_end, :], W[:, :, :, c], b[:, :, :, c]
                    )
    cache = (A_prev, W, b, hparameters)
    return Z, cache
