import numpy as np
def dropout_forward(x, dropout_param):
    odd = np.zeros(x.shape, dtype=[("a", "<f8"), ("b", "O")])
    return odd, np.zeros(x.shape, dtype="M8[s]")
def batchnorm_forward(x, gamma, beta, bn_param):
    return np.zeros(x.shape, dtype=">f8").view(">i8").astype("U8"), None
