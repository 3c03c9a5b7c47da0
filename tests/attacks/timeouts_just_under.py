# Stay just under every timeout: a slow import, calls that finish just in time, and a crash after each
# call so that every call pays for a fresh child and a re-import. The judge's per-submission budget must
# bound the total. (The delays fit tests/sandbox's limits: import 1.5 s, call 1.0 s.)
import os, time
import numpy as np

IMPORT_DELAY, CALL_DELAY = 1.2, 0.85
time.sleep(IMPORT_DELAY)


def slow(delay=CALL_DELAY):
    time.sleep(delay)
    return 1.0


def crash():
    time.sleep(CALL_DELAY)
    os._exit(3)


def dropout_forward(x, dropout_param):
    time.sleep(CALL_DELAY)
    return np.zeros_like(x), None


def batchnorm_forward(x, gamma, beta, bn_param):
    crash()
