"""The judge's side of the boundary: a :class:`~grader.sandbox.interface.Sandbox` backed by a child process.

:class:`ChildSandbox` owns one scratch directory with the submission in it, one
child at a time, the channel to it and the file its output goes to. It
enforces what the child cannot be trusted to: a wall-clock limit on every
call (then SIGKILL of the child's whole process group, and a reap), a cap on
every message and on the output it reads back, and strict decoding of every
value. When a child dies, the next call starts a fresh one.

How a child is started is the :class:`~grader.sandbox.launchers.Launcher`'s
business (:mod:`grader.sandbox.launchers`: a fork of a locked-down zygote in
production).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import socket
import tempfile
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grader.sandbox import protocol
from grader.sandbox.interface import (
    CallTimedOut,
    ChildDied,
    Fetched,
    Handle,
    ImportFailed,
    MissingFunction,
    NotData,
    StaleHandle,
    StudentRaised,
)

if TYPE_CHECKING:
    from grader.sandbox.launchers import Launcher

OUTPUT_CAP = 64 * 1024  # bytes of the student's output shown back

# Terminal escape sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-byte ESC forms), then every control
# character left: C0 but newline and tab, DEL, C1. Student text reaches TAs' terminals and logs.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"
                      r"|[PX^_][^\x1b\n]*(?:\x1b\\)?|[ -/]*[0-~])?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Which replies the child may give to which request; anything else is a protocol violation (ChildDied).
_REPLY_KINDS = ("ok", "handle", "raised", "missing", "not_data", "bad_path", "ready", "import_error",
                "internal")
_EXPECTED = {
    "put": frozenset({"handle", "bad_path"}),
    "call": frozenset({"handle", "raised", "missing", "bad_path"}),
    "item": frozenset({"handle", "bad_path", "not_data"}),
    "get": frozenset({"ok", "not_data", "bad_path"}),
}


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (newline and tab are kept).

    Everything the child says is untrusted: printed output, exception types,
    messages and tracebacks, type names. They end up in terminals, logs and
    reports, where an escape sequence could clear the screen, retitle a
    window, write to the clipboard or hide text.
    """
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


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


class ChildSandbox:
    """The student's module in a child process; see the module docstring."""

    def __init__(self, source: bytes, *, launcher: Launcher, limits: Limits | None = None,
                 filename: str = "layers.py") -> None:
        self.limits = limits or Limits()
        self._launcher = launcher
        # 0700 (mkdtemp's mode): only the judge, and the child it is handed to (a per-job uid gets it by
        # chown; a user namespace keeps the judge's uid), may enter it; never a concurrent submission.
        self._scratch = tempfile.mkdtemp(prefix="autograder-")
        weakref.finalize(self, shutil.rmtree, self._scratch, True)  # also when a caller forgets close()
        self._submission = os.path.join(self._scratch, filename)
        with open(self._submission, "wb") as f:
            f.write(source)
        # append: restarts add, never overwrite; it lives as long as the sandbox
        self._output = tempfile.TemporaryFile(mode="a+b", prefix="autograder-out-")  # noqa: SIM115
        self._sock: socket.socket | None = None
        self._pid: int | None = None
        self._generation = 0
        self._functions: frozenset[str] = frozenset()
        self._deadline = time.monotonic() + self.limits.submission_timeout
        self.restarts = 0
        self.round_trips = 0
        """Requests answered (or ended) so far, for benchmarks."""
        self.round_trip_seconds = 0.0
        """Wall time spent in them: sending, the student's code running, reading the reply."""
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
        except BaseException:
            judge_end.close()
            raise
        finally:
            child_end.close()
        self._sock = judge_end
        self._generation += 1
        try:
            reply, _ = self._read(self.limits.import_timeout)
        except _Ended as ended:
            raise ImportFailed(f"your code ended the process while being imported ({ended.how})") from None
        kind = _kind(reply)
        if kind == "import_error":
            self._kill()
            raise ImportFailed(printable(str(reply["import_error"]))[:2000], _int_or_none(reply.get("line")))
        names = reply.get("ready")
        if kind != "ready" or type(names) is not list:
            how = self._kill()
            raise ChildDied(f"your code sent the grader a message of its own while being imported ({how})")
        self._functions = frozenset(n for n in names if type(n) is str and len(n) < 200)

    def _ensure_child(self) -> None:
        if self._sock is None:
            self.restarts += 1
            try:
                self._start()
            except ImportFailed as exc:  # it imported before: the restart's failure is the student's code's
                raise ChildDied("your code could not be imported again after a restart: "
                                f"{exc.message}") from None

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

    def _read(self, timeout: float) -> tuple[dict[str, Any], list[bytes]]:
        """One message from the child; :class:`_Ended` (the child is then reaped) when the channel broke."""
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
            raise _Ended(how or str(exc)) from None
        if type(message) is not dict:
            how = self._kill()
            raise _Ended(f"it sent a malformed message; {how}")
        return message, blobs

    def _unsolicited(self) -> bool:
        """Whether the child has sent something nobody asked for (bytes waiting before a request)."""
        assert self._sock is not None
        poller = select.poll()
        poller.register(self._sock, select.POLLIN)
        if not poller.poll(0):
            return False
        try:  # readable: data, or EOF (a dead child, which shows when the request is sent)
            return bool(self._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except OSError:
            return False

    def _request(self, message: dict[str, Any], blobs: list[bytes], timeout: float, during: str) -> Any:
        reply, out = self._exchange(message, blobs, timeout, during)
        return self._interpret(message["op"], reply, out, during)

    def _exchange(self, message: dict[str, Any], blobs: list[bytes], timeout: float,
                  during: str) -> tuple[dict[str, Any], list[bytes]]:
        """One round trip: send a request, read the child's reply (not yet interpreted)."""
        started = time.monotonic()
        try:
            return self._round_trip(message, blobs, timeout, during)
        finally:
            self.round_trips += 1
            self.round_trip_seconds += time.monotonic() - started

    def _round_trip(self, message: dict[str, Any], blobs: list[bytes], timeout: float,
                    during: str) -> tuple[dict[str, Any], list[bytes]]:
        self._ensure_child()
        assert self._sock is not None
        if self._unsolicited():
            how = self._kill()
            raise ChildDied(f"your code sent the grader messages it did not ask for, before {during} ({how})")
        try:
            self._sock.settimeout(self._budget(timeout))
            self._sock.sendall(protocol.pack(message, blobs))
        except TimeoutError:
            self._kill()
            raise CallTimedOut(timeout) from None
        except OSError:
            how = self._kill()
            raise ChildDied(f"the process running your code ended before {during} ({how})") from None
        try:
            return self._read(timeout)
        except _Ended as ended:
            raise ChildDied(f"the process running your code ended while {during} ({ended.how})") from None

    def _interpret(self, op: str, reply: dict[str, Any], blobs: list[bytes], during: str) -> Any:
        kind = _kind(reply)
        if kind not in _EXPECTED[op] or (kind == "handle" and type(reply["handle"]) is not int):
            how = self._kill()
            what = f"a reply of kind '{kind}'" if kind else "a reply of no known kind"
            raise ChildDied(f"your code interfered with the grader's channel: it sent {what} while {during} "
                            f"({how})")
        if kind == "ok":
            try:
                return protocol.decode(reply["ok"], blobs, refs=False)
            except protocol.ProtocolError as exc:
                raise NotData(f"a value that is not plain data ({printable(str(exc))})") from None
        if kind == "handle":
            return Handle(reply["handle"], printable(str(reply.get("type", "?")))[:200], self._generation)
        if kind == "raised":
            bases = reply.get("bases")
            names = tuple(printable(str(b))[:100] for b in bases[:8]) if type(bases) is list else ()
            raise StudentRaised(printable(str(reply["raised"]))[:200],
                                printable(str(reply.get("message", "")))[:2000],
                                printable(str(reply.get("traceback", "")))[-4000:],
                                _int_or_none(reply.get("line")),
                                (printable(str(reply["raised"]))[:200], *names))
        if kind == "missing":
            raise MissingFunction(printable(str(reply["missing"]))[:200])
        if kind == "not_data":
            raise NotData(f"an object of type {printable(str(reply['not_data']))[:200]}")
        raise NotData(f"not the structure expected ({printable(str(reply['bad_path']))[:300]})")

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

    def call_fetch(self, function: str, *args: Any, fetch: Sequence[tuple[str, tuple[int | str, ...]]],
                   sequence_only: bool = False, seed: int | None = None, timeout: float | None = None,
                   **kwargs: Any) -> tuple[Handle, Fetched | None]:
        self._ensure_child()
        tree, blobs = protocol.encode(self._encode_ref([tuple(args), dict(kwargs)]))
        message = {"op": "call", "fn": function, "argv": tree, "seed": seed,
                   "then": [[op, list(path)] for op, path in fetch],
                   "then_if": "sequence" if sequence_only else "always"}
        during = f"running {function}"
        reply, out = self._exchange(message, blobs, timeout or self.limits.call_timeout, during)
        handle = self._interpret("call", reply, out, during)
        then = reply.get("then")
        if then is None:  # not a tuple or list (sequence_only): the caller fails it, or asks again
            return handle, None
        if type(then) is not list or len(then) != len(fetch) or not all(type(a) is dict for a in then):
            how = self._kill()
            raise ChildDied(f"your code interfered with the grader's channel while {during} ({how})")
        outcomes: list[Any] = []
        for (op, _), answer in zip(fetch, then, strict=True):
            try:
                outcomes.append(self._interpret(op, answer, out, "reading a result"))
            except NotData as exc:  # raised when the caller takes it, as the separate request would
                outcomes.append(exc)
        return handle, Fetched(outcomes)

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
        text = printable(data[:OUTPUT_CAP].decode("utf-8", errors="replace"))
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


def _kind(reply: dict[str, Any]) -> str | None:
    """The one known kind of a reply (``ok``, ``handle``, ...); None when it has none or several."""
    kinds = [k for k in _REPLY_KINDS if k in reply]
    return kinds[0] if len(kinds) == 1 else None


class _Ended(Exception):
    """The channel broke (EOF, a malformed frame); the child has been reaped, ``how`` says how it ended."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how
