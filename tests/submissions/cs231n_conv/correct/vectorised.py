import numpy as np


def _im2col(x_pad, HH, WW, stride, H_out, W_out):
    """(N, C * HH * WW, H_out * W_out): every receptive field as a column, built with index arrays."""
    N, C = x_pad.shape[:2]
    i0 = np.repeat(np.arange(HH), WW)
    j0 = np.tile(np.arange(WW), HH)
    i1 = stride * np.repeat(np.arange(H_out), W_out)
    j1 = stride * np.tile(np.arange(W_out), H_out)
    rows = i0.reshape(-1, 1) + i1.reshape(1, -1)
    cols = j0.reshape(-1, 1) + j1.reshape(1, -1)
    cols_ = x_pad[:, :, rows, cols]  # (N, C, HH*WW, H_out*W_out)
    return cols_.reshape(N, C * HH * WW, H_out * W_out), rows, cols


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols, _, _ = _im2col(x_pad, HH, WW, stride, H_out, W_out)
    out = (w.reshape(F, -1) @ cols + b.reshape(1, F, 1)).reshape(N, F, H_out, W_out)
    return out, {'x': x, 'w': w, 'cols': cols, 'conv_param': conv_param}


def conv_backward_naive(dout, cache):
    x, w, cols, conv_param = cache['x'], cache['w'], cache['cols'], cache['conv_param']
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = dout.shape[2:]
    d = dout.reshape(N, F, -1)
    db = d.sum(axis=(0, 2))
    dw = np.einsum('nfp,nkp->fk', d, cols).reshape(w.shape)
    dcols = np.einsum('fk,nfp->nkp', w.reshape(F, -1), d).reshape(N, C, HH * WW, H_out * W_out)
    _, rows, cols_idx = _im2col(np.zeros((1, 1, H + 2 * pad, W + 2 * pad)), HH, WW, stride, H_out, W_out)
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    np.add.at(dx_pad, (slice(None), slice(None), rows, cols_idx), dcols)
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.empty((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += mask * dout[:, :, i, j][:, :, None, None]
    return dx


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    # Per channel directly over (N, H, W), without the vanilla batch norm: a cache of its own.
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    C = x.shape[1]
    running_mean = bn_param.get('running_mean', np.zeros(C))
    running_var = bn_param.get('running_var', np.zeros(C))
    g, bt = gamma.reshape(1, C, 1, 1), beta.reshape(1, C, 1, 1)
    cache = None
    if mode == 'train':
        mu = x.mean(axis=(0, 2, 3), keepdims=True)
        var = x.var(axis=(0, 2, 3), keepdims=True)
        xhat = (x - mu) / np.sqrt(var + eps)
        out = g * xhat + bt
        cache = {'xhat': xhat, 'gamma': g, 'std': np.sqrt(var + eps)}
        running_mean = momentum * running_mean + (1 - momentum) * mu.ravel()
        running_var = momentum * running_var + (1 - momentum) * var.ravel()
    else:
        out = g * (x - running_mean.reshape(1, C, 1, 1)) / np.sqrt(running_var.reshape(1, C, 1, 1) + eps) + bt
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    xhat, g, std = cache['xhat'], cache['gamma'], cache['std']
    m = dout.shape[0] * dout.shape[2] * dout.shape[3]
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))
    dxhat = dout * g
    dx = (m * dxhat - dxhat.sum(axis=(0, 2, 3), keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=(0, 2, 3), keepdims=True)) / (m * std)
    return dx, dgamma, dbeta


# Given: batch normalization from the previous notebook (spatial batch norm calls it).

def batchnorm_forward(x, gamma, beta, bn_param):
    """
    Forward pass for batch normalization of x (N, D) with gamma, beta (D,).

    bn_param: 'mode' ('train' or 'test'; required), 'eps', 'momentum',
    'running_mean' and 'running_var' (D,), updated in train mode and written back.
    Returns (out, cache); the train-mode cache is (x_norm, gamma, ivar).
    """
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    D = x.shape[1]
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == 'train':
        mean, var = x.mean(axis=0), x.var(axis=0)
        ivar = 1.0 / np.sqrt(var + eps)
        x_norm = (x - mean) * ivar
        out = gamma * x_norm + beta
        cache = (x_norm, gamma, ivar)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == 'test':
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """
    Backward pass for batch normalization on the cache (x_norm, gamma, ivar).

    Returns (dx, dgamma, dbeta).
    """
    x_norm, gamma, ivar = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_norm).sum(axis=0)
    dx_norm = dout * gamma
    dx = ivar / N * (N * dx_norm - dx_norm.sum(axis=0) - x_norm * (dx_norm * x_norm).sum(axis=0))
    return dx, dgamma, dbeta
