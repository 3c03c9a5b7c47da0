import numpy as np

def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
    if mode == 'train':
        sample_mean = np.mean(x, axis=0)
        x_minus_mean = x - sample_mean
        var = 1. / N * np.sum(x_minus_mean ** 2, axis=0)
        sqrtvar = np.sqrt(var + eps)
        ivar = 1. / sqrtvar
        x_norm = x_minus_mean * ivar
        out = gamma * x_norm + beta
        running_var = momentum * running_var + (1 - momentum) * var
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        cache = (out, x_norm, beta, gamma, x_minus_mean, ivar, sqrtvar, var, eps)
    elif mode == 'test':
        out = (x - running_mean) / np.sqrt(running_var) * gamma + beta
        cache = None
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache

def batchnorm_backward(dout, cache):
    _, x_norm, _, gamma, _, ivar, _, _, _ = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_norm).sum(axis=0)
    dxn = dout * gamma
    dx = ivar / N * (N * dxn - dxn.sum(axis=0) - x_norm * (dxn * x_norm).sum(axis=0))
    return dx, dgamma, dbeta

batchnorm_backward_alt = batchnorm_backward

def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    mask = None
    if mode == 'train':
        mask = np.ones(x.shape)
        out = x * mask
    elif mode == 'test':
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache

def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param['mode']
    dx = None
    if mode == 'train':
        dx = dout * mask
    elif mode == 'test':
        dx = dout
    return dx
