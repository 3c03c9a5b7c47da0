# Nothing implemented: every function returns a constant of the right shape.
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    bn_param["running_mean"] = np.ones(x.shape[1])
    bn_param["running_var"] = np.ones(x.shape[1])
    return np.ones_like(x), None


def batchnorm_backward(dout, cache):
    return np.ones_like(dout), np.ones(dout.shape[1]), np.ones(dout.shape[1])


def batchnorm_backward_alt(dout, cache):
    return batchnorm_backward(dout, cache)


def dropout_forward(x, dropout_param):
    return np.full_like(x, 0.5), (dropout_param, None)


def dropout_backward(dout, cache):
    return np.full_like(dout, 0.5)
