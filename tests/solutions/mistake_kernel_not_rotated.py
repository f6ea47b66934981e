# dA_prev by the "full convolution" form, but with the kernel used as it is: no 180-degree rotation.
import numpy as np


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_backward(dZ, cache):
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    s = hparameters["stride"]
    p = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    A_pad = zero_pad(A_prev, p)
    dW = np.zeros((f, f, n_C_prev, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                window = A_pad[i, h * s : h * s + f, w * s : w * s + f, :]
                for c in range(n_C):
                    dW[:, :, :, c] += window * dZ[i, h, w, c]
    db = np.sum(dZ, axis=(0, 1, 2)).reshape(1, 1, 1, n_C)
    H_pad, W_pad = n_H_prev + 2 * p, n_W_prev + 2 * p
    dZ_dilated = np.zeros((m, (n_H - 1) * s + 1, (n_W - 1) * s + 1, n_C))
    dZ_dilated[:, ::s, ::s, :] = dZ
    extra_h = H_pad - ((n_H - 1) * s + f)
    extra_w = W_pad - ((n_W - 1) * s + f)
    dZ_full = np.pad(dZ_dilated, ((0, 0), (f - 1, f - 1 + extra_h), (f - 1, f - 1 + extra_w), (0, 0)))
    dA_pad = np.zeros((m, H_pad, W_pad, n_C_prev))
    for i in range(m):
        for y in range(H_pad):
            for x in range(W_pad):
                patch = dZ_full[i, y : y + f, x : x + f, :]
                for k in range(n_C_prev):
                    dA_pad[i, y, x, k] = np.sum(patch * W[:, :, k, :])
    dA_prev = dA_pad[:, p : p + n_H_prev, p : p + n_W_prev, :]
    return dA_prev, dW, db
