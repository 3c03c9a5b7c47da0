"""The sandbox modes the grader accepts, and what a host must allow for each.

A mode is a set of lock-down layers that together hold the whole attack
corpus (``tests/attacks``, run in each mode by ``make test-installed``). Every
mode confines the filesystem (a mount namespace with ``pivot_root``, or
Landlock) and separates the child from the judge (a per-job uid, or a user
namespace of its own); every mode also has rlimits, seccomp, ``no_new_privs``
and no capabilities. A host that offers none of them is refused, unless the
insecure development flag is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BASE = frozenset({"session", "fds", "no_new_privs"})


@dataclass(frozen=True)
class Mode:
    """One accepted combination of layers."""

    name: str
    """Short name, as ``autograder doctor`` and every report show it."""
    label: str
    """Its letter in docs/sandbox.md."""
    summary: str
    """What confines the child, in words."""
    root: bool
    """Whether the judge must run as root (per-job uids need it)."""
    required: frozenset[str]
    """Layers that must all be verified active."""
    optional: frozenset[str] = frozenset()
    """Layers added when the host has them."""
    host_must_allow: tuple[str, ...] = ()
    """What an operator must grant for this mode (doctor prints it)."""

    def layers(self, found: dict[str, dict[str, Any]]) -> frozenset[str]:
        """The layers a child applies in this mode, on a host whose probes gave ``found``."""
        return BASE | self.required | {n for n in self.optional if found.get(n, {}).get("active")}


_USERNS_HOST = (
    "unprivileged user namespaces: sysctl user.max_user_namespaces > 0 (Debian < 11 also "
    "kernel.unprivileged_userns_clone=1; Ubuntu >= 23.10 kernel.apparmor_restrict_unprivileged_userns=0)",
    "in a container: unshare, mount, umount2, pivot_root and landlock_* allowed by the seccomp profile "
    "(deploy/seccomp.json) and mount, pivot_root and userns by AppArmor (the shipped profile "
    "deploy/apparmor-autograder-worker, loaded on the host; docker-default denies mount); "
    "no capability needed",
)
_LANDLOCK_HOST = "Landlock: Linux >= 5.13 with landlock in the LSM list (cat /sys/kernel/security/lsm)"

MODES = (
    Mode("root", "(a)",
         "root judge: mount/net/ipc/uts namespaces + pivot_root, per-job uid, Landlock, seccomp", root=True,
         required=frozenset({"namespaces", "uid", "landlock", "rlimits", "seccomp"}),
         host_must_allow=("root with CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID (not in a default container)",
                          _LANDLOCK_HOST)),
    Mode("userns", "(b)",
         "non-root judge: a user namespace per child (mount/net/ipc/uts namespaces + pivot_root), "
         "Landlock when the kernel has it, seccomp", root=False,
         required=frozenset({"namespaces", "rlimits", "seccomp"}), optional=frozenset({"landlock"}),
         host_must_allow=(*_USERNS_HOST, _LANDLOCK_HOST + " (recommended)")),
    Mode("landlock", "(c)", "root judge without namespaces: Landlock, per-job uid, seccomp", root=True,
         required=frozenset({"landlock", "uid", "rlimits", "seccomp"}),
         host_must_allow=("root with CAP_SETUID, CAP_SETGID (a default Docker container as root has them)",
                          _LANDLOCK_HOST,
                          "an interpreter the per-job uid can read (not under a 0700 home)")),
)
BY_NAME = {m.name: m for m in MODES}


def choose(found: dict[str, dict[str, Any]], *, root: bool, wanted: str | None = None) -> Mode | None:
    """The first accepted mode whose layers ``found`` shows active (only ``wanted`` if given); None: none."""
    if wanted is not None and wanted not in BY_NAME:
        raise ValueError(f"unknown sandbox mode {wanted!r}; known: {', '.join(BY_NAME)}")
    for mode in MODES:
        if wanted not in (None, mode.name) or mode.root != root:
            continue
        if all(found.get(n, {}).get("active") for n in mode.required):
            return mode
    return None


def missing(found: dict[str, dict[str, Any]], *, root: bool) -> dict[str, list[str]]:
    """For each mode this judge's privileges allow, the required layers the host lacks."""
    return {m.name: sorted(n for n in m.required if not found.get(n, {}).get("active"))
            for m in MODES if m.root == root}
