import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param)
    return x, None
