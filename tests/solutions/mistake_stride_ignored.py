# The backward loops slide the window one step at a time, whatever the stride.
import numpy as np


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_backward(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f = W.shape[0]
    n_C = W.shape[3]
    pad = hparameters["pad"]
    m, n_H, n_W, n_C = dZ.shape
    dA_prev_pad = np.zeros((m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev))
    dW = np.zeros_like(W)
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    a_slice = A_prev_pad[i, h : h + f, w : w + f, :]
                    dA_prev_pad[i, h : h + f, w : w + f, :] += W[..., c] * dZ[i, h, w, c]
                    dW[..., c] += a_slice * dZ[i, h, w, c]
                    db[..., c] += dZ[i, h, w, c]
    dA_prev = dA_prev_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :]
    return dA_prev, dW, db
