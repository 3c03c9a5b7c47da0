import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    rm = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    rv = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        mu = x.mean(axis=0)
        xc = x - mu
        var = (xc ** 2).mean(axis=0)
        sq = np.sqrt(var + eps)
        iv = 1.0 / sq
        xn = xc * iv
        out = gamma * xn + beta
        rm = momentum * rm + (1 - momentum) * mu
        rv = momentum * rv + (1 - momentum) * var
        cache = (out, xn, beta, gamma, xc, iv, sq, var, eps)
    elif mode == "test":
        out = gamma * (x - rm) / np.sqrt(rv + eps) + beta
        cache = None
    else:
        raise ValueError("bad mode %r" % mode)
    bn_param["running_mean"] = rm
    bn_param["running_var"] = rv
    return out, cache


def batchnorm_backward(dout, cache):
    _, xn, _, gamma, _, iv, _, _, _ = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xn).sum(axis=0)
    dxn = dout * gamma
    dx = iv / N * (N * dxn - dxn.sum(axis=0) - xn * (dxn * xn).sum(axis=0))
    return dx, dgamma, dbeta


# ATTACK 01: "dropout" that never drops anything; backward passes dout through.
# Not dropout at all, but it is perfectly self-consistent.
def dropout_forward(x, dropout_param):
    return x.copy(), (dropout_param, None)


def dropout_backward(dout, cache):
    return dout
