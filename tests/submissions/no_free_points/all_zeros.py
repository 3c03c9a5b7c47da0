import numpy as np

# ATTACK 03: nothing implemented; every function returns zeros of the right shape.


def batchnorm_forward(x, gamma, beta, bn_param):
    return np.zeros_like(x), None


def batchnorm_backward(dout, cache):
    return np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1])


def dropout_forward(x, dropout_param):
    return np.zeros_like(x), None


def dropout_backward(dout, cache):
    return np.zeros_like(dout)
