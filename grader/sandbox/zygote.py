"""The zygote: a clean, warm process whose only job is to fork confined children.

The judge starts it as a fresh interpreter (never a fork of the judge, which
may hold CUDA and secrets) with an environment of thread-pool settings only;
it preloads numpy with every thread pool at one thread, then waits on its
control socket. Requests are JSON datagrams; a ``fork`` request carries the
child's channel and output descriptors (SCM_RIGHTS). The forked child runs
:func:`grader.sandbox.unsafe_child.unsafe_execute`: it applies
:mod:`grader.sandbox.lockdown`, reports on a private pipe that it did (or why
it could not), closes that pipe and only then imports and serves the submission. The zygote answers with the
pid, or with
``internal`` when the lock-down failed: only this control socket speaks for the
grader, never the child's channel, which the student's code controls. A
``reap`` request kills that child (it is the zygote's child, so only the
zygote can wait for it) and answers how it ended. When the judge goes away
(EOF on the control socket) the zygote kills its children and exits.

Everything in the zygote's memory is readable by every child: it must never
receive a secret, a reference value or an expected answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
from typing import Any, NamedTuple

THREAD_ENV = {name: "1" for name in (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")}
HIDDEN_PACKAGES = ("grader", "reference", "service", "api", "workers", "autograder", "tests")
DISTRIBUTION = "autograder"
PRELOAD = ("math", "copy", "random", "functools", "itertools", "collections", "collections.abc", "typing",
           "warnings", "time", "re", "abc", "dataclasses", "numbers", "operator", "json", "traceback",
           "importlib.util", "numpy", "numpy.linalg", "numpy.random")
MAX_REQUEST = 64 * 1024
# seconds a child may take to lock itself down (it takes a few ms); below the judge's wait
LOCKDOWN_TIMEOUT = 5.0


class Runtime(NamedTuple):
    """What a child may read: computed once, in the zygote."""

    paths: tuple[str, ...]
    """The interpreter's stdlib, every site-packages on ``sys.path``, the system's shared libraries."""
    hidden: tuple[str, ...]
    """The project's own packages wherever they sit in ``paths`` (a non-editable install puts them there)."""
    readable: tuple[str, ...]
    """``paths`` with ``hidden`` carved out, for Landlock without namespaces (no rule on an ancestor)."""


def runtime_paths() -> Runtime:
    """Read-only paths a child needs, the project packages among them it must not see, and what is left."""
    import site
    import sysconfig

    from grader.sandbox import landlock

    candidates = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                  *(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))]
    sites = [p for p in dict.fromkeys(candidates) if os.path.isdir(p)]
    system = [p for p in ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/lib64") if os.path.isdir(p)
              and not os.path.islink(p)]
    paths = tuple(dict.fromkeys([sysconfig.get_paths()["stdlib"], *sites, *system]))
    names = dict.fromkeys([*HIDDEN_PACKAGES, *_installed_top_level()])
    hidden = tuple(p for p in (os.path.join(d, n) for d in paths for n in names) if os.path.lexists(p))
    return Runtime(paths, hidden, tuple(landlock.carve(paths, hidden)))


def _installed_top_level() -> list[str]:
    """The top-level packages of our own distribution, as installed (new packages are hidden without a
    list)."""
    from importlib import metadata

    try:
        text = metadata.distribution(DISTRIBUTION).read_text("top_level.txt") or ""
    except metadata.PackageNotFoundError:
        return []
    return [n.strip() for n in text.splitlines() if n.strip() and "/" not in n]


def _become_subreaper() -> None:
    """Orphaned descendants of a child reparent to the zygote, not to init: nothing escapes the count."""
    import ctypes

    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _preload() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # threadpoolctl is optional; the environment already pins the pools
        pass
    import pyseccomp  # noqa: F401  (loads libseccomp once, here)

    from grader.sandbox import lockdown, unsafe_child  # noqa: F401


def main() -> None:
    """Entry point: ``python -I -c ... zygote CONTROL_FD``."""
    control = socket.socket(fileno=int(sys.argv[-1]))
    _become_subreaper()
    _preload()
    runtime = runtime_paths()
    os.chdir("/")
    children: set[int] = set()
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, MAX_REQUEST, 2)
        except OSError:
            break
        if not data:
            break
        request = json.loads(data)
        if request["op"] == "fork":
            pid, failure = _fork(request, fds, control, runtime)
            if failure is None:
                reply: dict[str, Any] = {"pid": pid}
                children.add(pid)
            else:
                reply = {"internal": f"{failure} ({_reap(pid)})"}
        else:
            children.discard(request["pid"])
            reply = {"how": _reap(request["pid"])}
        control.send(json.dumps(reply).encode())
    for pid in children:
        _reap(pid)


def _fork(request: dict[str, Any], fds: list[int], control: socket.socket,
          runtime: Runtime) -> tuple[int, str | None]:
    """Fork a child and wait until it has locked itself down; returns its pid and why it failed (None: it did
    not)."""
    sys.stdout.flush()
    sys.stderr.flush()
    channel, output = fds
    status_r, status_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            control.close()
            os.close(status_r)
            from grader.sandbox import unsafe_child  # preloaded: no import happens here

            unsafe_child.unsafe_execute(request, channel=channel, output=output, status=status_w,
                                        runtime=runtime)
        finally:
            os._exit(70)
    os.close(status_w)
    os.close(channel)
    os.close(output)
    try:
        return pid, _lockdown_failure(status_r)
    finally:
        os.close(status_r)


def _lockdown_failure(status: int) -> str | None:
    """Read the child's lock-down report: None when it wrote ``ok``, else what went wrong."""
    data = b""
    while True:
        ready, _, _ = select.select([status], [], [], LOCKDOWN_TIMEOUT)
        if not ready:
            return f"lock-down did not finish within {LOCKDOWN_TIMEOUT:g} s"
        chunk = os.read(status, 4096)
        if not chunk:
            break
        data += chunk
    if data == b"ok":
        return None
    return data.decode("utf-8", "replace")[:500] or "the child ended during its lock-down"


def _reap(pid: int) -> str:
    for kill in (os.kill, os.killpg):
        with contextlib.suppress(OSError):
            kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "already reaped"
    return describe_status(status)


def describe_status(status: int) -> str:
    """An exit status in words: how the student's process ended."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


if __name__ == "__main__":
    main()
