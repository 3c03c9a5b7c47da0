"""Landlock through raw syscalls (x86_64 numbers; the ABI is stable and versioned).

:func:`restrict` makes the calling thread (and everything it starts) able to
read only the given runtime paths, write only its scratch, neither bind nor
connect TCP (ABI >= 4), and neither signal nor reach abstract Unix sockets
outside its own Landlock domain (ABI >= 6). Paths in ``hidden`` are carved out
of ``read_only``: a granted directory that contains one is replaced by its
entries, recursively, so no rule reaches a hidden entry (see :func:`carve`).
"""

from __future__ import annotations

import ctypes
import functools
import os

SYS_CREATE, SYS_ADD_RULE, SYS_RESTRICT = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 16, 32, 64, 128, 256
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = (
    512, 1024, 2048, 4096, 8192, 16384, 32768)
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2

READ = READ_FILE | READ_DIR
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _Ruleset(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


@functools.cache
def abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is absent or disabled."""
    rc = _libc.syscall(SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(rc), 0)


def handled_fs(version: int) -> int:
    rights = (1 << 13) - 1
    if version >= 2:
        rights |= REFER
    if version >= 3:
        rights |= TRUNCATE
    if version >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(*, read_only: tuple[str, ...], read_write: tuple[str, ...],
             hidden: tuple[str, ...] = ()) -> None:
    """Apply the policy described in the module docstring to the calling thread.

    ``hidden`` costs a directory walk per call: a caller that restricts many
    times passes ``read_only=tuple(carve(...))``, computed once, and no ``hidden``.
    """
    version = abi()
    if version <= 0:
        raise OSError("Landlock is not available")
    fs = handled_fs(version)
    attr = _Ruleset(fs, NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                    SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
    size = ctypes.sizeof(_Ruleset) if version >= 6 else 16 if version >= 4 else 8
    ruleset = _syscall(SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for path in carve(read_only, hidden) if hidden else read_only:
            _allow(ruleset, path, READ)
        for path in read_write:
            _allow(ruleset, path,
                   fs & ~(EXECUTE | MAKE_CHAR | MAKE_BLOCK | MAKE_SOCK | MAKE_FIFO | IOCTL_DEV))
        _syscall(SYS_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def carve(paths: tuple[str, ...], hidden: tuple[str, ...]) -> list[str]:
    """``paths`` with every hidden entry left out.

    A Landlock rule grants everything beneath its directory, and rules only add
    up: no granted path may be a hidden entry or an ancestor of one (as
    ``/usr/local/lib`` is of ``.../site-packages/reference`` in a non-editable
    install). Each such path is replaced by its entries, down to the hidden one.
    """
    real_hidden = {os.path.realpath(h) for h in hidden if os.path.lexists(h)}
    out: list[str] = []
    for path in dict.fromkeys(os.path.realpath(p) for p in paths):
        out += _expand(path, real_hidden)
    return out


def _expand(path: str, hidden: set[str]) -> list[str]:
    if path in hidden:
        return []
    if not any(h.startswith(path.rstrip("/") + "/") for h in hidden):
        return [path]
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return []
    # A symlink's rule would land on its target, which the directory's rule never reached: skip them.
    entries = [os.path.join(path, n) for n in names if not os.path.islink(os.path.join(path, n))]
    return [x for e in entries for x in _expand(e, hidden)]


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # an absent runtime path needs no rule
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = _PathBeneath(rights, fd)
        _syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule),
                 ctypes.c_uint32(0))
    finally:
        os.close(fd)


def _syscall(*args: object) -> int:
    rc = int(_libc.syscall(*args))
    if rc < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock: {os.strerror(err)}")
    return rc
