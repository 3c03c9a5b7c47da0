# Own forward with a 7-item tuple cache, E[x^2] - E[x]^2 variance, alt left undone (optional).
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == 'train':
        mean = np.mean(x, axis=0)
        var = np.mean(x ** 2, axis=0) - mean ** 2
        x_hat = (x - mean) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
        running_mean = running_mean * momentum
        running_mean += (1 - momentum) * mean
        running_var = running_var * momentum
        running_var += (1 - momentum) * var
        cache = (x, mean, var, x_hat, gamma, beta, eps)
    elif mode == 'test':
        out = gamma * ((x - running_mean) / np.sqrt(running_var)) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)

    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x, mean, var, x_hat, gamma, beta, eps = cache
    N = x.shape[0]
    inv_std = 1.0 / np.sqrt(var + eps)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (x - mean), axis=0) * -0.5 * inv_std ** 3
    dmean = np.sum(-dxhat * inv_std, axis=0) + dvar * np.mean(-2.0 * (x - mean), axis=0)
    dx = dxhat * inv_std + dvar * 2.0 * (x - mean) / N + dmean / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """
    Alternative backward pass for batch normalization (optional).
    """
    dx, dgamma, dbeta = None, None, None
    ########################################################################
    # TODO: Implement the simplified backward pass (optional).             #
    ########################################################################

    pass

    ########################################################################
    #                           END OF YOUR CODE                           #
    ########################################################################
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """
    Performs the forward pass for (inverted) dropout.

    - p: We drop each neuron output with probability p.
    """
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])

    mask = None
    out = None

    if mode == 'train':
        mask = np.random.rand(*x.shape) < (1 - p)
        out = x * mask / (1 - p)
    elif mode == 'test':
        out = x

    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)

    return out, cache


def dropout_backward(dout, cache):
    """
    Perform the backward pass for (inverted) dropout.
    """
    dropout_param, mask = cache
    p, mode = dropout_param['p'], dropout_param['mode']

    dx = None
    if mode == 'train':
        dx = dout * mask / (1 - p)
    elif mode == 'test':
        dx = dout
    return dx
