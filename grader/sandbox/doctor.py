"""Which lock-down layers this host allows, found by trying them, not by guessing.

:func:`detect` forks one probe child per layer through the real zygote, with
that layer on top of the base (own session, closed descriptors,
``no_new_privs``), and has the child report what it observes: a denied
``socket()`` for seccomp, an unreadable ``/`` for Landlock, no ``/proc`` for
the namespaces, a uid of 60000+ for the per-job uid, its own rlimits. A layer
is active only when its effect was seen. The mode (:mod:`grader.sandbox.modes`)
is then chosen from the active layers and checked once more with all of its
layers together (:func:`verify`), capabilities included. ``autograder doctor``
prints :func:`report_text`; ``/healthz`` serves :func:`layers`.
"""

from __future__ import annotations

import functools
import os
import platform
from typing import Any

from grader.sandbox import modes
from grader.sandbox.interface import SandboxError, SandboxUnavailable
from grader.sandbox.judge import ChildSandbox, Limits
from grader.sandbox.modes import BASE

OPTIONAL = ("rlimits", "seccomp", "landlock", "uid", "namespaces")
PROBE_LIMITS = Limits(call_timeout=5.0, import_timeout=5.0, memory_bytes=1536 * 1024**2)

PROBE = b'''
import ctypes, os, resource, socket

def caps():
    header, data = (ctypes.c_uint32 * 2)(0x20080522, 0), (ctypes.c_uint32 * 6)()
    ctypes.CDLL(None).syscall(125, header, data)
    return sum(data)

def probe():
    seen = {"uid": os.getuid(), "cwd": os.getcwd(), "proc": os.path.exists("/proc/self/status"),
            "as": resource.getrlimit(resource.RLIMIT_AS)[0], "caps": caps()}
    for name, attempt in (("socket", lambda: socket.socket().close()),
                          ("list_root", lambda: os.listdir("/"))):
        try:
            attempt()
            seen[name] = "allowed"
        except OSError:
            seen[name] = "denied"
    return seen
'''

_EFFECT = {
    "rlimits": lambda s: s["as"] == PROBE_LIMITS.memory_bytes,
    "seccomp": lambda s: s["socket"] == "denied",
    "landlock": lambda s: s["list_root"] == "denied",
    "uid": lambda s: s["uid"] >= 60000,
    "namespaces": lambda s: not s["proc"] and s["cwd"] == "/scratch",
}
_WHY_NOT = {
    "uid": "the judge is not root, so children keep its uid (namespaces and seccomp still separate them)",
    "landlock": "the kernel has no Landlock (needs Linux >= 5.13 with landlock in the LSM list)",
}


def detect(launcher: Any) -> dict[str, dict[str, Any]]:
    """Try each layer through ``launcher`` (a :class:`~grader.sandbox.launchers.ZygoteLauncher`)."""
    result: dict[str, dict[str, Any]] = {"process": {"active": True, "why": "a forked child per submission"}}
    for layer in OPTIONAL:
        result[layer] = _try(launcher, layer)
    return result


def _try(launcher: Any, layer: str) -> dict[str, Any]:
    if layer == "uid" and os.geteuid() != 0:
        return {"active": False, "why": _WHY_NOT["uid"]}
    try:
        with ChildSandbox(PROBE, launcher=launcher.with_layers(BASE | {layer}), limits=PROBE_LIMITS) as sb:
            seen = sb.get(sb.call("probe"))
    except SandboxError as exc:
        return {"active": False, "why": _WHY_NOT.get(layer, str(exc)[:300])}
    if not _EFFECT[layer](seen):
        return {"active": False, "why": f"applied without error but not in effect ({seen})"}
    return {"active": True, "why": "verified in a probe child"}


def verify(launcher: Any, layers: frozenset[str]) -> None:
    """Fork one child with all of ``layers`` and check each effect, and that it holds no capability."""
    try:
        with ChildSandbox(PROBE, launcher=launcher.with_layers(layers), limits=PROBE_LIMITS) as sb:
            seen = sb.get(sb.call("probe"))
    except SandboxError as exc:
        raise SandboxUnavailable(f"the layers {sorted(layers)} do not work together: {exc}") from None
    # Inside the namespace tree Landlock grants "/" (the tree is the runtime): its effect was seen alone.
    checked = [n for n in _EFFECT if n in layers and not (n == "landlock" and "namespaces" in layers)]
    failed = [n for n in checked if not _EFFECT[n](seen)]
    if seen["caps"] != 0:
        failed.append("capabilities")
    if failed:
        raise SandboxUnavailable(f"not in effect together: {', '.join(failed)} ({seen})")


def missing_minimum(found: dict[str, dict[str, Any]]) -> list[str]:
    """Empty when some accepted mode is available to this judge; else, per mode, the layers it lacks."""
    root = os.geteuid() == 0
    if modes.choose(found, root=root) is not None:
        return []
    return [f"{name}: {', '.join(lacks)}" for name, lacks in modes.missing(found, root=root).items()]


@functools.cache
def layers() -> dict[str, dict[str, Any]]:
    """Each layer: ``{"active": bool, "why": str}``; probed once per process."""
    from grader.sandbox.launchers import ZygoteLauncher

    try:
        launcher = ZygoteLauncher()
    except OSError as exc:
        return {"process": {"active": False, "why": f"the zygote did not start: {exc}"}}
    try:
        return detect(launcher)
    except SandboxError as exc:
        return {"process": {"active": False, "why": f"the zygote does not work: {exc}"}}
    finally:
        launcher.close()


def report_text() -> str:
    """What ``autograder doctor`` prints: one line per layer, the mode, what the host must allow."""
    found = layers()
    root = os.geteuid() == 0
    lines = [f"host: Linux {platform.release()}, euid {os.geteuid()}"]
    for name, info in found.items():
        lines.append(f"  {'ok  ' if info['active'] else 'MISS'} {name:<11} {info['why']}")
    mode = modes.choose(found, root=root)
    if mode is not None:
        lines.append(f"mode: {mode.name} {mode.label}: {mode.summary}")
        lines.append("grading allowed; this mode needs the host to allow:")
        lines += [f"  - {need}" for need in mode.host_must_allow]
        return "\n".join(lines)
    lines.append("mode: none accepted: grading refused unless --insecure (development only)")
    for name, lacks in modes.missing(found, root=root).items():
        m = modes.BY_NAME[name]
        lines.append(f"  {name} {m.label} lacks {', '.join(lacks)}; it needs the host to allow:")
        lines += [f"    - {need}" for need in m.host_must_allow]
    if not root:
        lines.append("  (the root modes (a) and (c) need the worker to run as root)")
    return "\n".join(lines)
