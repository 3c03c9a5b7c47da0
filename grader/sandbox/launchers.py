"""Every way the judge starts a child: the :class:`Launcher` protocol and its two implementations.

- :class:`ZygoteLauncher` (production): asks a warm zygote (:mod:`grader.sandbox.zygote`)
  to fork a child, which confines itself and only then runs the submission
  (:mod:`grader.sandbox.unsafe_child`). The zygote is started as a fresh
  interpreter whose environment holds thread-pool settings only, so it inherits
  nothing from the judge: no secret, no CUDA context, no OpenMP pool. A dead
  zygote is restarted on the next launch.
- :class:`UnconfinedLauncher`: a fresh interpreter per child with **no**
  confinement at all. Used only with the explicit insecure flag when no zygote
  starts, and by the bench as a baseline; never in production.

The judge's own work (timeouts, caps, strict decoding) is in :mod:`grader.sandbox.judge`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any, Protocol

from grader.sandbox.interface import SandboxUnavailable
from grader.sandbox.lockdown import LAYERS
from grader.sandbox.zygote import THREAD_ENV

if TYPE_CHECKING:
    from grader.sandbox.judge import Limits

CONTROL_TIMEOUT = 10.0
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); from grader.sandbox import zygote; "
         "sys.path.remove(sys.argv[1]); zygote.main()")


class Launcher(Protocol):
    """Starts one child that serves the submission over a socket."""

    def launch(self, *, channel: socket.socket, submission: str, output_fd: int, scratch: str,
               limits: Limits) -> int:
        """Start a child serving ``submission`` on ``channel``; returns its pid (a process-group leader)."""
        ...

    def reap(self, pid: int) -> str:
        """Wait for a killed or exited child; returns how it ended, in words."""
        ...


class ZygoteLauncher:
    """Forks each child from a warm, locked-down-ready zygote (see the module docstring)."""

    def __init__(self, layers: frozenset[str] | None = None) -> None:
        self.layers = frozenset(LAYERS) if layers is None else frozenset(layers)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._start()

    def _start(self) -> None:
        judge_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with zygote_end:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, _ROOT, str(zygote_end.fileno())],
                pass_fds=[zygote_end.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                env=dict(THREAD_ENV, PYTHONDONTWRITEBYTECODE="1"), cwd="/", start_new_session=True)
        judge_end.settimeout(CONTROL_TIMEOUT)
        self._control = judge_end

    @property
    def pid(self) -> int | None:
        """The zygote's pid (None when it is not running)."""
        return self._proc.pid if self._proc is not None else None

    def with_layers(self, layers: frozenset[str]) -> _Subset:
        """A launcher sharing this zygote whose children apply only ``layers`` (for detection and the
        bench)."""
        return _Subset(self, frozenset(layers))

    def launch(self, *, channel: socket.socket, submission: str, output_fd: int, scratch: str,
               limits: Limits, layers: frozenset[str] | None = None) -> int:
        request = {"op": "fork", "submission": submission, "scratch": scratch,
                   "memory": limits.memory_bytes, "cpu": limits.cpu_seconds, "fsize": limits.output_bytes,
                   "layers": sorted(self.layers if layers is None else layers)}
        reply = self._ask(request, [channel.fileno(), output_fd])
        if "internal" in reply:  # the zygote's word, not the child's: the child never speaks on this socket
            raise SandboxUnavailable(str(reply["internal"])[:600])
        return int(reply["pid"])

    def reap(self, pid: int) -> str:
        return str(self._ask({"op": "reap", "pid": pid}, [])["how"])

    def _ask(self, request: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        with self._lock:
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None:
                    if request["op"] == "reap":
                        return {"how": "ended with the zygote"}
                    self._restart()
                assert self._control is not None
                try:
                    socket.send_fds(self._control, [json.dumps(request).encode()], fds)
                    reply = self._control.recv(65536)
                    if reply:
                        return dict(json.loads(reply))
                except OSError:
                    pass
                self._stop()
                if request["op"] == "reap":  # never ask a new zygote to kill a pid it does not own
                    return {"how": "ended with the zygote"}
                if attempt == 2:
                    raise SandboxUnavailable("the zygote does not answer")
        raise AssertionError("unreachable")

    def _restart(self) -> None:
        self._stop()
        self._start()

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=2)  # EOF on its control socket makes it kill its children and exit
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def close(self) -> None:
        """Stop the zygote and every child it still has."""
        with self._lock:
            self._stop()

    def describe(self) -> dict[str, Any]:
        return {"launcher": "zygote", "layers": sorted(self.layers)}


class _Subset:
    def __init__(self, zygote: ZygoteLauncher, layers: frozenset[str]) -> None:
        self.zygote, self.layers = zygote, layers

    def launch(self, *, channel: socket.socket, submission: str, output_fd: int, scratch: str,
               limits: Limits) -> int:
        return self.zygote.launch(channel=channel, submission=submission, output_fd=output_fd,
                                  scratch=scratch, limits=limits, layers=self.layers)

    def reap(self, pid: int) -> str:
        return self.zygote.reap(pid)


class UnconfinedLauncher:
    """INSECURE: a fresh interpreter per child and no lock-down at all (insecure flag or the bench only)."""

    def __init__(self) -> None:
        self._procs: dict[int, subprocess.Popen[bytes]] = {}

    def launch(self, *, channel: socket.socket, submission: str, output_fd: int, scratch: str,
               limits: Limits) -> int:
        env = dict(THREAD_ENV, PATH="/usr/bin:/bin", PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "grader.sandbox.unsafe_child", str(channel.fileno()), submission],
            pass_fds=[channel.fileno()], stdin=subprocess.DEVNULL, stdout=output_fd, stderr=output_fd,
            cwd=scratch, env=env, start_new_session=True,
        )
        self._procs[proc.pid] = proc
        return proc.pid

    def reap(self, pid: int) -> str:
        code = self._procs.pop(pid).wait()
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}"
