"""The zygote: a clean, warm process whose only job is to fork confined children.

The judge starts it as a fresh interpreter (never a fork of the judge, which
may hold CUDA and secrets) with an environment of thread-pool settings only;
it preloads numpy with every thread pool at one thread, then waits on its
control socket. Requests are JSON datagrams; a ``fork`` request carries the
child's channel and output descriptors (SCM_RIGHTS). The forked child applies
:mod:`grader.sandbox.lockdown`, reports on a private pipe that it did (or why
it could not), closes that pipe and only then imports and serves the submission
(:mod:`grader.sandbox.unsafe_child`). The zygote answers with the pid, or with
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
from typing import Any

THREAD_ENV = {name: "1" for name in (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")}
HIDDEN_PACKAGES = ("grader", "reference", "api", "workers", "tests")
PRELOAD = ("math", "copy", "random", "functools", "itertools", "collections", "collections.abc", "typing",
           "warnings", "time", "re", "abc", "dataclasses", "numbers", "operator", "json", "traceback",
           "importlib.util", "numpy", "numpy.linalg", "numpy.random")
MAX_REQUEST = 64 * 1024
LOCKDOWN_TIMEOUT = 5.0  # seconds a child may take to lock itself down (it takes a few ms); below the judge's wait


def runtime_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Read-only paths a child needs, and the project packages among them it must not see."""
    import site
    import sysconfig

    sites = [p for p in dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"],
                                       sysconfig.get_paths()["platlib"]]) if os.path.isdir(p)]
    system = [p for p in ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/lib64") if os.path.isdir(p)
              and not os.path.islink(p)]
    runtime = tuple(dict.fromkeys([sysconfig.get_paths()["stdlib"], *sites, *system]))
    hidden = tuple(os.path.join(s, n) for s in sites for n in HIDDEN_PACKAGES)
    return runtime, hidden


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
    runtime, hidden = runtime_paths()
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
            pid, failure = _fork(request, fds, control, runtime, hidden)
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


def _fork(request: dict[str, Any], fds: list[int], control: socket.socket, runtime: tuple[str, ...],
          hidden: tuple[str, ...]) -> tuple[int, str | None]:
    """Fork a child and wait until it has locked itself down; returns its pid and why it failed (None: it did not)."""
    sys.stdout.flush()
    sys.stderr.flush()
    channel, output = fds
    status_r, status_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            control.close()
            os.close(status_r)
            _child(request, channel, output, status_w, runtime, hidden)
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


def _child(request: dict[str, Any], channel: int, output: int, status: int, runtime: tuple[str, ...],
           hidden: tuple[str, ...]) -> None:
    from grader.sandbox import lockdown, unsafe_child

    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    conf = lockdown.Confinement(
        scratch=request["scratch"], submission=request["submission"], keep_fds=(channel, status),
        memory_bytes=request["memory"], cpu_seconds=request["cpu"], file_bytes=request["fsize"],
        layers=frozenset(request["layers"]), runtime=runtime, hidden=hidden)
    try:
        path, _timings = lockdown.apply(conf)
    except BaseException as exc:  # never run student code half-confined
        os.write(status, f"lock-down failed: {type(exc).__name__}: {exc}".encode()[:500])
        return
    os.write(status, b"ok")
    os.close(status)  # before any student code: the report cannot be forged
    sock = socket.socket(fileno=channel)
    unsafe_child.serve(sock, path)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


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
