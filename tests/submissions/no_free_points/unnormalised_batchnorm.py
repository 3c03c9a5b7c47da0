import numpy as np


# ATTACK 02: batchnorm_forward that does not normalise (out = gamma * x + beta) but keeps
# the easy bookkeeping right; batchnorm_backward is the (trivial) gradient of *that*.
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.zeros(D))
    if mode == "train":
        out = gamma * x + beta
        rm = momentum * rm + (1 - momentum) * x.mean(axis=0)
        rv = momentum * rv + (1 - momentum) * x.var(axis=0)
        cache = (x, gamma)
    elif mode == "test":
        out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        cache = None
    else:
        raise ValueError(mode)
    bn_param["running_mean"] = rm
    bn_param["running_var"] = rv
    return out, cache


def batchnorm_backward(dout, cache):
    x, gamma = cache
    return dout * gamma, (dout * x).sum(axis=0), dout.sum(axis=0)


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) >= p
        out = x * mask / (1 - p)
    elif mode == "test":
        out = x
    else:
        raise ValueError("bad mode %r" % mode)
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    dp, mask = cache
    if dp["mode"] == "train":
        return dout * mask / (1 - dp["p"])
    return dout
