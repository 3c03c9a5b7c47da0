"""Confinement of the child, applied after the fork and before the submission is imported.

What it does, in this order (each step needs the privileges the next one drops):

1. its own session and process group, so the judge can kill it and anything
   it started with one ``killpg``;
2. where the host permits, new mount/net/ipc/uts namespaces (and a user
   namespace when not root) and ``pivot_root`` into a tmpfs holding only
   read-only binds of the Python runtime and a size-capped tmpfs scratch
   (:mod:`grader.sandbox.mounts`): no ``/proc``, no ``/dev``, no project
   files, no network interface but a downed loopback;
3. every capability dropped, in every mode: the bounding and ambient sets
   while it still may, the effective/permitted/inheritable sets after a per-job
   uid (``60000 + pid``: unique among live processes) when root; then checked
   with ``capget`` (a user namespace grants a full set, which must not survive);
4. every file descriptor closed but stdin (``/dev/null``), stdout/stderr (the
   capped output file) and the channel;
5. rlimits: address space, CPU, open files, file size, no core, processes;
6. ``no_new_privs``; Landlock (:mod:`grader.sandbox.landlock`): read-only
   runtime, read-write scratch, no TCP, no signals or abstract sockets
   outside the sandbox;
7. a seccomp denylist (:mod:`grader.sandbox.seccomp`): no new sockets, no
   exec, no fork (threads only), no ptrace, no mount/namespace games, no
   signals to other processes.

What it does not protect against: kernel bugs reachable through the allowed
syscalls, CPU side channels, reading what the zygote's memory holds (it holds
no secret by design), and a student wasting their own call's time and memory
up to the limits. Wrong *values* are the judge's business, never this module's.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import time
from dataclasses import dataclass, field

from grader.sandbox import landlock, mounts, seccomp

LAYERS = ("session", "namespaces", "uid", "fds", "rlimits", "no_new_privs", "landlock", "seccomp")
UID_BASE = 60000  # + pid: two live children never share a uid

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


@dataclass(frozen=True)
class Confinement:
    """What one child is allowed: its scratch, its descriptors, its limits, the layers to apply."""

    scratch: str
    """Host directory holding the submission; becomes the writable scratch."""
    submission: str
    """The submission's path on the host."""
    keep_fds: tuple[int, ...]
    """Descriptors that survive (the channel); 0, 1 and 2 always do."""
    memory_bytes: int
    cpu_seconds: int
    file_bytes: int
    layers: frozenset[str] = frozenset(LAYERS)
    """Which layers to apply (all by default; the bench switches some off to price them)."""
    open_files: int = 64
    processes: int = 8
    """RLIMIT_NPROC: tasks (threads included) of the child's uid. numpy runs single-threaded here; a
    thread flood in GIL-free C code would otherwise slow every other grading on the host."""
    runtime: tuple[str, ...] = field(default_factory=tuple)
    """Read-only paths the interpreter needs (stdlib, site-packages, shared libraries)."""
    hidden: tuple[str, ...] = field(default_factory=tuple)
    """Paths inside ``runtime`` the child must not read (the project's own packages)."""
    readable: tuple[str, ...] = field(default_factory=tuple)
    """``runtime`` with ``hidden`` carved out: what Landlock grants without namespaces."""


def apply(c: Confinement) -> tuple[str, dict[str, float]]:
    """Confine the calling (freshly forked) process; returns the submission's new path and each step's ms."""
    timings: dict[str, float] = {}
    path = c.submission
    scratch = c.scratch
    root = os.geteuid() == 0
    uid = UID_BASE + os.getpid() if root and "uid" in c.layers else None
    with _timed(timings, "session"):
        os.setsid()
    if "namespaces" in c.layers:
        with _timed(timings, "namespaces"):
            scratch, path = mounts.enter(c, uid)
    with _timed(timings, "capbset"):
        _drop_bounding_and_ambient()
    if uid is not None:
        with _timed(timings, "uid"):
            _switch_uid(uid, scratch if "namespaces" not in c.layers else None)
    with _timed(timings, "caps"):
        mounts.drop_capabilities()
    _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # after the uid change, which clears it
    os.chdir(scratch)
    with _timed(timings, "fds"):
        _close_fds(c.keep_fds)
    if "rlimits" in c.layers:
        with _timed(timings, "rlimits"):
            _set_rlimits(c, own_count=uid is not None or ("namespaces" in c.layers and not root))
    with _timed(timings, "no_new_privs"):
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if "landlock" in c.layers:  # asked for and absent: restrict() raises, the child never runs half-confined
        with _timed(timings, "landlock"):
            # In the namespace tree the hidden packages are empty tmpfs mounts already; outside it,
            # c.readable is the runtime with them carved out (computed once, in the zygote).
            readable = c.readable if "namespaces" not in c.layers else mounts.visible_runtime(c)
            landlock.restrict(read_only=readable, read_write=(scratch,))
    if "seccomp" in c.layers:
        with _timed(timings, "seccomp"):
            seccomp.install(keep_fds=c.keep_fds)
    return path, timings


class _timed:
    def __init__(self, into: dict[str, float], name: str) -> None:
        self.into, self.name = into, name

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.into[self.name] = (time.perf_counter() - self.t0) * 1000


def _drop_bounding_and_ambient() -> None:
    """No capability can come back (by exec or a setuid file): needs CAP_SETPCAP, which root and a new
    user namespace have; a process without it has nothing to drop."""
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break  # past the kernel's last capability


def _switch_uid(uid: int, scratch: str | None) -> None:
    if scratch is not None:
        os.chown(scratch, uid, uid)
        for name in os.listdir(scratch):
            os.chown(os.path.join(scratch, name), uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _close_fds(keep: tuple[int, ...]) -> None:
    low = 3
    for fd in sorted(set(keep)):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 20)


def _set_rlimits(c: Confinement, *, own_count: bool) -> None:
    limits = [
        (resource.RLIMIT_AS, c.memory_bytes),
        (resource.RLIMIT_CPU, c.cpu_seconds),
        (resource.RLIMIT_NOFILE, c.open_files),
        (resource.RLIMIT_FSIZE, c.file_bytes),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_MEMLOCK, 0),
        (resource.RLIMIT_MSGQUEUE, 0),
    ]
    # RLIMIT_NPROC counts every task of the uid: only meaningful for a per-job uid, or in a user namespace
    # of our own (the count is kept per user namespace, since Linux 5.14), never for the worker's uid.
    if own_count:
        limits.append((resource.RLIMIT_NPROC, c.processes))
    for which, value in limits:
        resource.setrlimit(which, (value, value))


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
