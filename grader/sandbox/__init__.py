"""Running the student's code on the other side of a trust boundary.

Checks use the :class:`~grader.sandbox.interface.Sandbox` interface only; a
:class:`SandboxFactory` (one per grading process, kept warm) opens one sandbox
per submission.
"""

from __future__ import annotations

from typing import Any

from grader.sandbox.interface import Sandbox, SandboxUnavailable
from grader.sandbox.judge import ChildSandbox, Launcher, Limits, SubprocessLauncher


class SandboxFactory:
    """Opens one :class:`ChildSandbox` per submission, with the host's strongest launcher.

    By default it starts a zygote, probes which lock-down layers this host
    allows (:mod:`grader.sandbox.doctor`) and forks every child with all of
    them. It raises :class:`SandboxUnavailable` when the minimum (a separate
    process, rlimits, seccomp) is missing, unless ``insecure=True``, which
    :meth:`describe` (and so every report) then states.
    """

    def __init__(self, *, insecure: bool = False, limits: Limits | None = None,
                 launcher: Launcher | None = None) -> None:
        self.insecure = insecure
        self.limits = limits or Limits()
        self.layers: dict[str, dict[str, Any]] = {}
        self._zygote: Any = None
        self._launcher = launcher or self._strongest()

    def _strongest(self) -> Launcher:
        from grader.sandbox import doctor
        from grader.sandbox.launcher import ZygoteLauncher

        try:
            zygote = ZygoteLauncher()
            self.layers = doctor.detect(zygote)
        except (OSError, SandboxUnavailable) as exc:
            zygote, self.layers = None, {"process": {"active": False, "why": f"no working zygote: {exc}"}}
        missing = doctor.missing_minimum(self.layers)
        if missing and not self.insecure:
            if zygote is not None:
                zygote.close()
            raise SandboxUnavailable(
                f"this host cannot confine student code (missing: {', '.join(missing)}); "
                "run `autograder doctor`, or pass --insecure for development only")
        if zygote is None:
            return SubprocessLauncher()
        zygote.layers = frozenset(doctor.BASE) | {n for n, v in self.layers.items() if v["active"]}
        self._zygote = zygote
        return zygote

    def open(self, source: bytes) -> ChildSandbox:
        """Load ``source`` as the student's ``layers.py``; raises ``ImportFailed`` when it does not import."""
        return ChildSandbox(source, launcher=self._launcher, limits=self.limits)

    def describe(self) -> dict[str, Any]:
        """Which isolation layers protect the children (recorded in every report)."""
        active = sorted(n for n, v in self.layers.items() if v["active"]) or ["process"]
        return {"launcher": "zygote" if self._zygote is not None else type(self._launcher).__name__,
                "insecure": self.insecure, "layers": active,
                "missing": {n: v["why"] for n, v in self.layers.items() if not v["active"]}}

    def close(self) -> None:
        """Stop any warm process the factory holds."""
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None


__all__ = ["ChildSandbox", "Limits", "Sandbox", "SandboxFactory", "SandboxUnavailable"]
