"""Namespaces and ``pivot_root``: the child's view of the world shrinks to a minimal read-only tree.

:func:`enter` unshares mount, network, IPC and UTS namespaces (plus a user
namespace when not root), builds a tmpfs root holding read-only binds of the
runtime paths (stdlib, site-packages, shared libraries, ``ld.so.cache``) and a
size-capped tmpfs ``/scratch`` with the submission in it, pivots into it and
detaches the old root. There is no ``/proc``, ``/dev``, ``/etc`` (but the
loader cache), ``/tmp`` or project checkout inside, and the network namespace
has only a downed loopback.
"""

from __future__ import annotations

import ctypes
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.sandbox.lockdown import Confinement

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
SYS_PIVOT_ROOT, SYS_CAPGET, SYS_CAPSET = 155, 125, 126
_ST_TO_MS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME, 2048: MS_NODIRATIME,
             4096: MS_RELATIME}

SCRATCH = "/scratch"
SCRATCH_BYTES = 16 * 1024 * 1024
LOADER_FILES = ("/etc/ld.so.cache",)
LINKS = ("/lib", "/lib64", "/lib32", "/libx32")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def enter(c: Confinement, uid: int | None) -> tuple[str, str]:
    """Move the calling process into its own tree; returns the new scratch dir and submission path."""
    with open(c.submission, "rb") as f:
        source = f.read()
    root = os.geteuid() == 0
    outer_uid, outer_gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | (0 if root else CLONE_NEWUSER)
    _check(_libc.unshare(flags), "unshare")
    if not root:
        _map_identity(outer_uid, outer_gid)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    new = c.scratch
    _mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path in _outermost(c.runtime):
        _bind_ro(path, new + path)
    for path in LOADER_FILES:
        if os.path.isfile(path):
            _bind_ro(path, new + path, file=True)
    for path in LINKS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), new + path)
    for path in c.hidden:
        if os.path.lexists(new + path) and os.path.isdir(new + path):
            _mount("tmpfs", new + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    os.mkdir(new + SCRATCH)
    _mount("tmpfs", new + SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           f"size={SCRATCH_BYTES},mode=0700{owner}")
    submission = os.path.join(SCRATCH, os.path.basename(c.submission))
    with open(new + submission, "wb") as f:
        f.write(source)
    if uid is not None:
        os.chown(new + submission, uid, uid)
    _pivot(new)
    os.chdir(SCRATCH)
    return SCRATCH, submission


def visible_runtime(c: Confinement) -> tuple[str, ...]:
    """Inside the new tree everything is runtime already: Landlock grants ``/`` read-only."""
    return ("/",)


def drop_capabilities() -> None:
    """Clear every capability of the calling process (those a user namespace granted included), and check."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(int(_libc.syscall(SYS_CAPSET, header, data)), "capset")
    if any(capabilities()):
        raise OSError("capabilities survived capset")


def capabilities() -> tuple[int, int, int]:
    """The calling process's effective, permitted and inheritable capability sets (64-bit masks)."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(int(_libc.syscall(SYS_CAPGET, header, data)), "capget")
    return (data[0] | data[3] << 32, data[1] | data[4] << 32, data[2] | data[5] << 32)


def _map_identity(uid: int, gid: int) -> None:
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _outermost(paths: tuple[str, ...]) -> list[str]:
    real = sorted({os.path.realpath(p) for p in paths if os.path.isdir(p)})
    out: list[str] = []
    for p in real:
        if not any(p == q or p.startswith(q + "/") for q in out):
            out.append(p)
    return out


def _bind_ro(source: str, target: str, *, file: bool = False) -> None:
    if file:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "w").close()
    else:
        os.makedirs(target, exist_ok=True)
    _mount(source, target, None, MS_BIND)
    locked = sum(ms for st, ms in _ST_TO_MS.items() if os.statvfs(source).f_flag & st)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked)


def _pivot(new: str) -> None:
    old = new + "/.old"
    os.mkdir(old)
    _check(int(_libc.syscall(SYS_PIVOT_ROOT, new.encode(), old.encode())), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "umount old root")
    os.rmdir("/.old")
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    rc = _libc.mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data))
    _check(rc, f"mount {target}")


def _bytes(s: str | None) -> bytes | None:
    return s.encode() if s is not None else None


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
