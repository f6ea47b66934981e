# The seed's loop order (i, c, h, w), with the kernel transposed "because the gradient is the transpose".
import numpy as np


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_backward(dZ, cache):
    A_prev, W, b, hparameters = cache
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    _, n_H, n_W, n_C = dZ.shape
    s, p = hparameters["stride"], hparameters["pad"]
    f, _, _, _ = W.shape
    dA_prev_padded = np.zeros((m, n_H_prev + 2 * p, n_W_prev + 2 * p, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_padded = zero_pad(A_prev, p)
    for i in range(m):
        for c in range(n_C):
            for h in range(n_H):
                vert_start = h * s
                vert_end = h * s + f
                for w in range(n_W):
                    hori_start = w * s
                    hori_end = w * s + f
                    W_T = np.transpose(W[:, :, :, c], (1, 0, 2))
                    dA_prev_padded[i, vert_start:vert_end, hori_start:hori_end, :] += dZ[i, h, w, c] * W_T
                    dW[:, :, :, c] += dZ[i, h, w, c] * A_prev_padded[i, vert_start:vert_end, hori_start:hori_end, :]
                    db[:, :, :, c] += dZ[i, h, w, c]
    dA_prev = dA_prev_padded[:, p : p + n_H_prev, p : p + n_W_prev, :]
    return dA_prev, dW, db
