# Nothing implemented: every function hands its input back (the mode checks and the bn_param
# bookkeeping of the template kept, so invalid modes raise and bn_param gets running averages).
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    if mode not in ("train", "test"):
        raise ValueError(f"Invalid forward batchnorm mode {mode!r}")
    d = x.shape[1]
    bn_param["running_mean"] = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    bn_param["running_var"] = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    return x.copy(), (x, gamma, beta)


def batchnorm_backward(dout, cache):
    x, gamma, beta = cache
    return dout, gamma, beta


def batchnorm_backward_alt(dout, cache):
    return batchnorm_backward(dout, cache)


def dropout_forward(x, dropout_param):
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    return x.copy(), (dropout_param, None)


def dropout_backward(dout, cache):
    return dout
