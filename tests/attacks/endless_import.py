import time
time.sleep(10**6)
def dropout_forward(x, dropout_param):
    return x, None
