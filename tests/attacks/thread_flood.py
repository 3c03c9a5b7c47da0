# A noisy neighbour: every call answers promptly (no timeout fires) while dozens of threads burn
# every core in GIL-free C code, starving the other gradings on the host.
import threading
import time
import zlib

_DATA = bytes(range(256)) * 1024
_stop = time.monotonic() + 3


def _burn():
    while time.monotonic() < _stop:
        zlib.compress(_DATA, 9)


_started = 0
for _ in range(48):
    try:
        threading.Thread(target=_burn, daemon=True).start()
        _started += 1
    except RuntimeError:
        break
print("threads started:", _started)


def dropout_forward(x, dropout_param):
    return x * 0, {"threads": _started}
