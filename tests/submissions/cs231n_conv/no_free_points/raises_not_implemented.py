def conv_forward_naive(x, w, b, conv_param):
    raise NotImplementedError


def conv_backward_naive(dout, cache):
    raise NotImplementedError


def max_pool_forward_naive(x, pool_param):
    raise NotImplementedError


def max_pool_backward_naive(dout, cache):
    raise NotImplementedError


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    raise NotImplementedError


def spatial_batchnorm_backward(dout, cache):
    raise NotImplementedError
