"""UNSAFE: the one place where student code runs, in a child forked from the zygote.

:func:`unsafe_execute` is the whole untrusted path, from the fork to the exit:
it confines the process (:mod:`grader.sandbox.lockdown`), tells the zygote it
did, and only then imports the submission from its scratch directory and
serves the judge's requests over one socket (put data, call a function, get
data back). Once the submission is imported everything in this process is the
student's: they can patch this module, numpy or builtins and send any bytes.
That is fine by design: the judge treats whatever arrives as *claimed values*
from an adversary, decodes them strictly (:mod:`grader.sandbox.protocol`) and
never imports or unpickles anything from this side.

Accepted modes (:mod:`grader.sandbox.modes`; anything less is refused unless
the insecure development flag is given): (a) root judge: mount/net/ipc/uts
namespaces and ``pivot_root`` into a read-only tree, a per-job uid, Landlock,
seccomp; (b) non-root judge: the same inside a user namespace of the child's
own; (c) root judge without namespaces: Landlock, a per-job uid, seccomp. In
every mode: rlimits, no capabilities, ``no_new_privs``, a 0700 scratch dir.

Protected against: reading the reference, the grader, other submissions'
scratch, the judge's environment or ``/proc``; writing outside scratch
(``/dev/shm`` and ``/tmp`` included); network; exec, fork, new namespaces,
ptrace, signals or rlimit/scheduling changes aimed at other processes;
memory beyond the address-space limit through SysV/POSIX shared memory or
memfd; forged results (the judge never parses output); CPU, wall-clock and
output floods (judge timeouts, SIGKILL, caps).

Not protected against: kernel bugs reachable through the allowed syscalls (the
filter is a denylist); CPU side channels; whatever the zygote's memory holds
(no secret, by design); CPU and memory fairness between concurrent gradings
(no cgroups); a full disk in mode (c), where scratch is a host directory
(RLIMIT_FSIZE caps each file, not their number); a student wasting their own
time and memory up to the limits. ``docs/sandbox.md`` has the mode x attack table.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import sys
import traceback
from typing import Any

import numpy as np

from grader.sandbox import lockdown, protocol
from grader.sandbox.protocol import Ref, Unencodable

MODULE_NAME = "layers"


PRINT_CAP = 128 * 1024  # characters one child may print before the rest is dropped


class _CappedStream:
    """stdout/stderr for the student: keeps the first PRINT_CAP characters, drops the rest.

    Without it a flood of debug prints would hit RLIMIT_FSIZE and make print()
    raise inside the student's function, failing tests for output alone. The
    judge shows even less (64 KiB); a student who bypasses this with os.write
    only meets the file-size limit.
    """

    def __init__(self, stream: Any, budget: list[int]) -> None:
        self._stream = stream
        self._budget = budget  # shared by stdout and stderr

    def write(self, text: str) -> int:
        if self._budget[0] > 0:
            kept = text[: self._budget[0]]
            self._budget[0] -= len(kept)
            try:
                self._stream.write(kept)
            except (OSError, ValueError):
                self._budget[0] = 0
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def unsafe_execute(request: dict[str, Any], *, channel: int, output: int, status: int, runtime: Any) -> None:
    """Confine this freshly forked process, report on ``status``, then run the submission (never returns
    normally: the caller ``_exit``s). ``runtime`` is the zygote's :class:`~grader.sandbox.zygote.Runtime`."""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    conf = lockdown.Confinement(
        scratch=request["scratch"], submission=request["submission"], keep_fds=(channel, status),
        memory_bytes=request["memory"], cpu_seconds=request["cpu"], file_bytes=request["fsize"],
        layers=frozenset(request["layers"]), runtime=runtime.paths, hidden=runtime.hidden,
        readable=runtime.readable)
    try:
        path, _timings = lockdown.apply(conf)
    except BaseException as exc:  # never run student code half-confined
        os.write(status, f"lock-down failed: {type(exc).__name__}: {exc}".encode()[:500])
        return
    os.write(status, b"ok")
    os.close(status)  # before any student code: the report cannot be forged
    serve(socket.socket(fileno=channel), path)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def serve(sock: socket.socket, submission: str) -> None:
    """Import ``submission`` and answer requests until the judge closes the channel."""
    budget = [PRINT_CAP]
    sys.stdout = _CappedStream(sys.stdout, budget)
    sys.stderr = _CappedStream(sys.stderr, budget)
    module, error = _import(submission)
    if error is not None:
        protocol.send(sock, {"import_error": error[0], "line": error[1]})
        return
    names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("__"))
    protocol.send(sock, {"ready": names})
    table: dict[int, Any] = {}
    while True:
        try:
            request, blobs = protocol.recv(sock)
        except EOFError:
            return
        reply, out_blobs = _handle(module, table, request, blobs)
        protocol.send(sock, reply, out_blobs)


def _import(path: str) -> tuple[Any, tuple[str, int | None] | None]:
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:  # IndentationError and TabError included
        return module, (f"{type(exc).__name__}: {exc.msg} (line {exc.lineno})", exc.lineno)
    except BaseException as exc:  # SystemExit at import time is a failed import too
        line = _student_line(exc.__traceback__, path)
        where = f" (line {line})" if line else ""
        return module, (f"{type(exc).__name__}: {exc}{where}", line)
    return module, None


def _student_line(tb: Any, path: str) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == path:
            line = lineno
    return line


def _handle(module: Any, table: dict[int, Any], request: Any, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
    try:
        op = request["op"]
        if op == "put":
            value = _resolve(protocol.decode(request["value"], blobs), table)
            return _store(table, value), []
        if op == "call":
            return _call(module, table, request, blobs)
        if op in ("get", "item"):
            value = _walk(table[request["id"]], request["path"])
            if op == "item":
                return _store(table, value), []
            tree, out = protocol.encode(value)
            return {"ok": tree}, out
        if op == "drop":
            for i in request["ids"]:
                table.pop(i, None)
            return {"ok": None}, []
        return {"internal": f"unknown op {op!r}"}, []
    except Unencodable as exc:
        return {"not_data": exc.type_name}, []
    except (LookupError, TypeError) as exc:
        return {"bad_path": f"{type(exc).__name__}: {exc}"}, []


def _call(module: Any, table: dict[int, Any], request: Any, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
    fn = getattr(module, request["fn"], None)
    if not callable(fn):
        return {"missing": request["fn"]}, []
    args, kwargs = _resolve(protocol.decode(request["argv"], blobs), table)
    if request.get("seed") is not None:
        np.random.seed(request["seed"])
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the student's exception is a result to report
        return _raised(exc, module.__file__), []
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    reply, out_blobs = _store(table, result), list[bytes]()
    then = request.get("then")
    if then and (request.get("then_if") != "sequence" or type(result) in (tuple, list)):
        reply["then"] = [_fetch(table, result, op, path, out_blobs) for op, path in then]
    return reply, out_blobs


def _fetch(table: dict[int, Any], result: Any, op: str, path: list[Any],
           blobs: list[bytes]) -> dict[str, Any]:
    """A ``get`` or ``item`` of the call's result, answered in the call's reply as its own request would
    be."""
    mark = len(blobs)
    try:
        value = _walk(result, path)
        if op == "item":
            return _store(table, value)
        return {"ok": protocol.encode(value, blobs)[0]}
    except Unencodable as exc:
        del blobs[mark:]
        return {"not_data": exc.type_name}
    except (LookupError, TypeError) as exc:
        del blobs[mark:]
        return {"bad_path": f"{type(exc).__name__}: {exc}"}


def _raised(exc: BaseException, path: str) -> dict[str, Any]:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        message = str(exc)
    except Exception:
        message = "<unprintable>"
    bases = [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"][:8]
    return {"raised": type(exc).__name__, "message": message[:2000], "traceback": text[-4000:],
            "line": _student_line(exc.__traceback__, path), "bases": bases}


def _store(table: dict[int, Any], value: Any) -> dict[str, Any]:
    key = len(table) + 1
    while key in table:
        key += 1
    table[key] = value
    return {"handle": key, "type": protocol._type_name(value)}


def _walk(value: Any, path: list[Any]) -> Any:
    for step in path:
        value = value[step]
    return value


def _resolve(value: Any, table: dict[int, Any]) -> Any:
    """Replace handle references by the objects they name, inside containers too."""
    if type(value) is Ref:
        return table[value.id]
    if type(value) is tuple:
        return tuple(_resolve(v, table) for v in value)
    if type(value) is list:
        return [_resolve(v, table) for v in value]
    if type(value) is dict:
        return {k: _resolve(v, table) for k, v in value.items()}
    return value


def main() -> None:
    """Entry point of an unconfined child (insecure flag only): ``python -m grader.sandbox.unsafe_child FD
    PATH``."""
    fd, path = int(sys.argv[1]), sys.argv[2]
    sock = socket.socket(fileno=fd)
    try:
        serve(sock, path)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
