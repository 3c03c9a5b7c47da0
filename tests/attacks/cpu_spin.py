import numpy as np
def dropout_forward(x, dropout_param):
    n = 0
    while True:
        n += 1
def batchnorm_forward(x, gamma, beta, bn_param):
    while True:
        np.dot(np.ones((200, 200)), np.ones((200, 200)))
