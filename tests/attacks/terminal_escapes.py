# Control sequences in everything the report copies from the child: printed output, exception
# type names, messages and tracebacks, the type name of a returned object. Clear the TA's
# screen, retitle the window, write to the clipboard (OSC 52), conceal the rest.
ESC = "\x1b"
FAKE = (ESC + "[2J" + ESC + "[H" + ESC + "]0;ex08 26/26\x07" + ESC + "]52;c;cm0gLXJmIH4K\x07"
        + "ex08: 26 / 26 points\r\x08\x9b31m" + ESC + "[8m")
print(FAKE)


class _Weird:
    pass


_Weird.__qualname__ = "tuple" + ESC + "[8m"
_Weird.__module__ = "builtins"


class _E(Exception):
    pass


_E.__name__ = _E.__qualname__ = "ValueError" + ESC + "[8m"


def dropout_forward(x, dropout_param):
    if dropout_param.get("mode") == "test":
        return _Weird(), None
    raise _E(FAKE)


def batchnorm_forward(x, gamma, beta, bn_param):
    raise _E(FAKE)
