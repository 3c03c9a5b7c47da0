def conv_forward_naive(x, w, b, conv_param):
    return x, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, _ = cache
    return dout, w, b


def max_pool_forward_naive(x, pool_param):
    return x, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    return dout


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    return x, x


def spatial_batchnorm_backward(dout, cache):
    return dout, dout.sum(axis=(0, 2, 3)) * 0, dout.sum(axis=(0, 2, 3))
