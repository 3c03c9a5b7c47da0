import numpy as np


def dropout_forward(x, dropout_param):
    out = x
      return out, None
