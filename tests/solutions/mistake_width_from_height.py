# Copy-paste of the n_H line for n_W, and only the left-hand side changed.
import numpy as np


def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_single_step(a_slice_prev, W, b):
    return np.sum(np.multiply(a_slice_prev, W)) + b.item()


def conv_forward(A_prev, W, b, hparameters):
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, f, n_C_prev, n_C = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = int(np.floor((n_H_prev + 2 * pad - f) / stride + 1))
    n_W = int(np.floor((n_H_prev + 2 * pad - f) / stride + 1))
    Z = np.zeros((m, n_H, n_W, n_C))
    A_pad = zero_pad(A_prev, pad)
    for i in range(m):
        for c in range(n_C):
            for h in range(n_H):
                for w in range(n_W):
                    a_slice = A_pad[i, h * stride : h * stride + f, w * stride : w * stride + f, :]
                    Z[i, h, w, c] = conv_single_step(a_slice, W[:, :, :, c], b[:, :, :, c])
    return Z, (A_prev, W, b, hparameters)
