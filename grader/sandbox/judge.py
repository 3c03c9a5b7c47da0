"""The judge's side of the boundary: a :class:`~grader.sandbox.interface.Sandbox` backed by a child process.

:class:`ChildSandbox` owns one scratch directory with the submission in it, one
child at a time, the channel to it and the file its output goes to. It
enforces what the child cannot be trusted to: a wall-clock limit on every
call (then SIGKILL of the child's whole process group, and a reap), a cap on
every message and on the output it reads back, and strict decoding of every
value. When a child dies, the next call starts a fresh one.

How a child is started is the :class:`Launcher`'s business (a plain
subprocess here; a fork of a locked-down zygote in production).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from typing import Any, Protocol

from grader.sandbox import protocol
from grader.sandbox.interface import (
    CallTimedOut,
    ChildDied,
    Handle,
    ImportFailed,
    MissingFunction,
    NotData,
    SandboxError,
    SandboxUnavailable,
    StaleHandle,
    StudentRaised,
)

OUTPUT_CAP = 64 * 1024  # bytes of the student's output shown back


@dataclass(frozen=True)
class Limits:
    """Per-submission limits the judge enforces."""

    call_timeout: float = 10.0
    """Seconds one call may take, wall clock."""
    import_timeout: float = 20.0
    """Seconds the import of the submission may take."""
    memory_bytes: int = 2 * 1024**3
    """Address-space limit of the child."""
    cpu_seconds: int = 60
    """CPU-time limit of one child."""
    output_bytes: int = 1024 * 1024
    """Largest file (and so the output file) the child may write."""
    submission_timeout: float = 600.0
    """Seconds all calls of one submission may take together, wall clock (restarts included)."""
    message_bytes: int = 64 * 1024 * 1024
    """Largest message the judge reads from the child."""


class Launcher(Protocol):
    """Starts one child that serves the submission over a socket."""

    def launch(self, *, channel: socket.socket, submission: str, output_fd: int, scratch: str,
               limits: Limits) -> int:
        """Start a child serving ``submission`` on ``channel``; returns its pid (a process-group leader)."""
        ...

    def reap(self, pid: int) -> str:
        """Wait for a killed or exited child; returns how it ended, in words."""
        ...


class SubprocessLauncher:
    """A fresh interpreter per child: the minimum isolation (a separate process), no lock-down."""

    def launch(self, *, channel: socket.socket, submission: str, output_fd: int, scratch: str,
               limits: Limits) -> int:
        import subprocess

        env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "grader.sandbox.unsafe_child", str(channel.fileno()), submission],
            pass_fds=[channel.fileno()], stdin=subprocess.DEVNULL, stdout=output_fd, stderr=output_fd,
            cwd=scratch, env=env, start_new_session=True,
        )
        self._procs = getattr(self, "_procs", {})
        self._procs[proc.pid] = proc
        return proc.pid

    def reap(self, pid: int) -> str:
        proc = self._procs.pop(pid)
        code = proc.wait()
        return _describe_exit(code)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class ChildSandbox:
    """The student's module in a child process; see the module docstring."""

    def __init__(self, source: bytes, *, launcher: Launcher | None = None, limits: Limits | None = None,
                 filename: str = "layers.py") -> None:
        self.limits = limits or Limits()
        self._launcher = launcher or SubprocessLauncher()
        self._scratch = tempfile.mkdtemp(prefix="autograder-")
        weakref.finalize(self, shutil.rmtree, self._scratch, True)  # also when a caller forgets close()
        os.chmod(self._scratch, 0o755)
        self._submission = os.path.join(self._scratch, filename)
        with open(self._submission, "wb") as f:
            f.write(source)
        self._output = tempfile.TemporaryFile(mode="a+b", prefix="autograder-out-")  # append: restarts add, never overwrite  # noqa: SIM115 - lives as long as the sandbox
        self._sock: socket.socket | None = None
        self._pid: int | None = None
        self._generation = 0
        self._functions: frozenset[str] = frozenset()
        self._deadline = time.monotonic() + self.limits.submission_timeout
        self.restarts = 0
        try:
            self._start()
        except BaseException:
            self.close()  # no scratch dir or output file left behind by a submission that never imported
            raise

    # --- lifecycle -------------------------------------------------------------------------------

    def _start(self) -> None:
        judge_end, child_end = socket.socketpair()
        try:
            self._pid = self._launcher.launch(channel=child_end, submission=self._submission,
                                              output_fd=self._output.fileno(), scratch=self._scratch,
                                              limits=self.limits)
        finally:
            child_end.close()
        self._sock = judge_end
        self._generation += 1
        reply, _ = self._receive(self.limits.import_timeout, during="importing your layers.py")
        if "internal" in reply:
            how = self._kill()
            raise SandboxUnavailable(f"{str(reply['internal'])[:500]} ({how})")
        if "import_error" in reply:
            self._kill()
            raise ImportFailed(str(reply["import_error"])[:2000], _int_or_none(reply.get("line")))
        names = reply.get("ready")
        if type(names) is not list:
            self._kill()
            raise ChildDied("the child sent an unexpected first message")
        self._functions = frozenset(n for n in names if type(n) is str and len(n) < 200)

    def _ensure_child(self) -> None:
        if self._sock is None:
            self.restarts += 1
            self._start()

    def _kill(self) -> str:
        reason = ""
        if self._pid is not None:
            with contextlib.suppress(OSError):  # not a group leader yet: the launcher's reap kills the pid
                os.killpg(self._pid, signal.SIGKILL)
            reason = self._launcher.reap(self._pid)
            self._pid = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        return reason

    def close(self) -> None:
        self._kill()
        self._output.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> ChildSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the channel -----------------------------------------------------------------------------

    def _budget(self, timeout: float) -> float:
        """The call's timeout, cut to what is left of the submission's; raises when nothing is left."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            self._kill()
            raise CallTimedOut(self.limits.submission_timeout)
        return min(timeout, left)

    def _receive(self, timeout: float, during: str) -> tuple[Any, list[bytes]]:
        assert self._sock is not None
        timeout = self._budget(timeout)
        try:
            message, blobs = protocol.recv(self._sock, self.limits.message_bytes,
                                           deadline=time.monotonic() + timeout)
        except TimeoutError:
            self._kill()
            raise CallTimedOut(timeout) from None
        except (EOFError, OSError, protocol.ProtocolError) as exc:
            how = self._kill()
            raise ChildDied(f"the process running your code ended while {during} ({how or exc})") from None
        if type(message) is not dict:
            self._kill()
            raise ChildDied("the child sent a malformed message")
        return message, blobs

    def _request(self, message: dict[str, Any], blobs: list[bytes], timeout: float, during: str) -> Any:
        self._ensure_child()
        assert self._sock is not None
        try:
            self._sock.settimeout(self._budget(timeout))
            self._sock.sendall(protocol.pack(message, blobs))
        except TimeoutError:
            self._kill()
            raise CallTimedOut(timeout) from None
        except OSError:
            how = self._kill()
            raise ChildDied(f"the process running your code ended before {during} ({how})") from None
        reply, out = self._receive(timeout, during)
        return self._interpret(reply, out)

    def _interpret(self, reply: dict[str, Any], blobs: list[bytes]) -> Any:
        if "ok" in reply:
            try:
                return protocol.decode(reply["ok"], blobs, refs=False)
            except protocol.ProtocolError as exc:
                raise NotData(f"a value that is not plain data ({exc})") from None
        if "handle" in reply and type(reply["handle"]) is int:
            return Handle(reply["handle"], str(reply.get("type", "?"))[:200], self._generation)
        if "raised" in reply:
            raise StudentRaised(str(reply["raised"])[:200], str(reply.get("message", ""))[:2000],
                                str(reply.get("traceback", ""))[-4000:], _int_or_none(reply.get("line")))
        if "missing" in reply:
            raise MissingFunction(str(reply["missing"])[:200])
        if "not_data" in reply:
            raise NotData(f"an object of type {str(reply['not_data'])[:200]}")
        if "bad_path" in reply:
            raise NotData(f"not the structure expected ({str(reply['bad_path'])[:300]})")
        raise SandboxError(f"unexpected reply from the child: {str(reply)[:200]}")

    def _encode_ref(self, value: Any) -> Any:
        if isinstance(value, Handle):
            if value.generation != self._generation or self._sock is None:
                raise StaleHandle("a handle from a child that has died")
            return protocol.Ref(value.id)
        if type(value) in (tuple, list):
            return type(value)(self._encode_ref(v) for v in value)
        if type(value) is dict:
            return {k: self._encode_ref(v) for k, v in value.items()}
        return value

    # --- the Sandbox interface -------------------------------------------------------------------

    def put(self, value: Any) -> Handle:
        self._ensure_child()
        tree, blobs = protocol.encode(self._encode_ref(value))
        return self._request({"op": "put", "value": tree}, blobs, self.limits.call_timeout, "storing data")

    def call(self, function: str, *args: Any, seed: int | None = None, timeout: float | None = None,
             **kwargs: Any) -> Handle:
        self._ensure_child()
        tree, blobs = protocol.encode(self._encode_ref([tuple(args), dict(kwargs)]))
        message = {"op": "call", "fn": function, "argv": tree, "seed": seed}
        return self._request(message, blobs, timeout or self.limits.call_timeout, f"running {function}")

    def get(self, handle: Handle, *path: int | str) -> Any:
        message = {"op": "get", "id": self._ref_id(handle), "path": list(path)}
        return self._request(message, [], self.limits.call_timeout, "reading a result")

    def item(self, handle: Handle, *path: int | str) -> Handle:
        message = {"op": "item", "id": self._ref_id(handle), "path": list(path)}
        return self._request(message, [], self.limits.call_timeout, "reading a result")

    def functions(self) -> frozenset[str]:
        self._ensure_child()
        return self._functions

    def output(self) -> str:
        self._output.flush()
        self._output.seek(0)
        data = self._output.read(OUTPUT_CAP + 1)
        text = data[:OUTPUT_CAP].decode("utf-8", errors="replace")
        if len(data) > OUTPUT_CAP:
            text += f"\n[output truncated after {OUTPUT_CAP // 1024} KiB]"
        return text

    def _ref_id(self, handle: Handle) -> int:
        if not isinstance(handle, Handle):
            raise TypeError("expected a Handle")
        if handle.generation != self._generation or self._sock is None:
            raise StaleHandle("a handle from a child that has died")
        return handle.id


def _int_or_none(v: Any) -> int | None:
    return v if type(v) is int else None
