"""Which lock-down layers this host allows, found by trying them, not by guessing.

:func:`detect` forks one probe child per layer through the real zygote, with
that layer on top of the base (own session, closed descriptors,
``no_new_privs``), and has the child report what it observes: a denied
``socket()`` for seccomp, an unreadable ``/`` for Landlock, no ``/proc`` for
the namespaces, a uid of 60000+ for the per-job uid, its own rlimits. A layer
is active only when its effect was seen. ``autograder doctor`` prints
:func:`report_text`; ``/healthz`` serves :func:`layers`.
"""

from __future__ import annotations

import functools
import os
import platform
from typing import Any

from grader.sandbox.interface import SandboxError
from grader.sandbox.judge import ChildSandbox, Limits

BASE = frozenset({"session", "fds", "no_new_privs"})
OPTIONAL = ("rlimits", "seccomp", "landlock", "uid", "namespaces")
MINIMUM = ("process", "rlimits", "seccomp")
PROBE_LIMITS = Limits(call_timeout=5.0, import_timeout=5.0, memory_bytes=1536 * 1024**2)

PROBE = b'''
import os, resource, socket

def probe():
    seen = {"uid": os.getuid(), "cwd": os.getcwd(), "proc": os.path.exists("/proc/self/status"),
            "as": resource.getrlimit(resource.RLIMIT_AS)[0]}
    for name, attempt in (("socket", lambda: socket.socket().close()), ("list_root", lambda: os.listdir("/"))):
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
    """Try each layer through ``launcher`` (a :class:`~grader.sandbox.launcher.ZygoteLauncher`)."""
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


def missing_minimum(found: dict[str, dict[str, Any]]) -> list[str]:
    """The layers of the minimum (separate process, rlimits, seccomp) this host lacks."""
    return [name for name in MINIMUM if not found.get(name, {}).get("active")]


@functools.cache
def layers() -> dict[str, dict[str, Any]]:
    """Each layer: ``{"active": bool, "why": str}``; probed once per process."""
    from grader.sandbox.launcher import ZygoteLauncher

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
    """What ``autograder doctor`` prints: one line per layer, then the verdict."""
    found = layers()
    lines = [f"host: Linux {platform.release()}, euid {os.geteuid()}"]
    for name, info in found.items():
        lines.append(f"  {'ok  ' if info['active'] else 'MISS'} {name:<11} {info['why']}")
    missing = missing_minimum(found)
    verdict = ("minimum present: grading allowed" if not missing
               else f"minimum missing ({', '.join(missing)}): grading refused unless --insecure")
    return "\n".join([*lines, verdict])
