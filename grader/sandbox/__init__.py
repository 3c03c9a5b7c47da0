"""Running the student's code on the other side of a trust boundary.

Checks use the :class:`~grader.sandbox.interface.Sandbox` interface only; a
:class:`SandboxFactory` (one per grading process, kept warm) opens one sandbox
per submission.
"""

from __future__ import annotations

import os
from typing import Any

from grader.sandbox.interface import Sandbox, SandboxUnavailable
from grader.sandbox.judge import ChildSandbox, Limits
from grader.sandbox.launchers import Launcher, UnconfinedLauncher, ZygoteLauncher
from grader.sandbox.modes import BASE


class SandboxFactory:
    """Opens one :class:`ChildSandbox` per submission, in the strongest mode this host accepts.

    By default it starts a zygote, probes which lock-down layers this host
    allows (:mod:`grader.sandbox.doctor`), picks the first accepted mode
    (:mod:`grader.sandbox.modes`: (a) root, (b) userns, (c) landlock), checks
    that mode's layers once together, and forks every child with them. It
    raises :class:`SandboxUnavailable` when no mode is available (or not
    ``mode``, when one is asked for), unless ``insecure=True``: then children
    get whatever layers work, and :meth:`describe` (so every report) says so.
    """

    def __init__(self, *, insecure: bool = False, limits: Limits | None = None,
                 launcher: Launcher | None = None, mode: str | None = None) -> None:
        self.insecure = insecure
        self.limits = limits or Limits()
        self.layers: dict[str, dict[str, Any]] = {}
        self.mode: str | None = None
        """The accepted mode the children run in; None when insecure (or a launcher was given)."""
        self._zygote: ZygoteLauncher | None = None
        self._launcher = launcher or self._strongest(mode)

    def _strongest(self, wanted: str | None) -> Launcher:
        from grader.sandbox import doctor, modes

        try:
            zygote: ZygoteLauncher | None = ZygoteLauncher()
            self.layers = doctor.detect(zygote)
        except (OSError, SandboxUnavailable) as exc:
            zygote, self.layers = None, {"process": {"active": False, "why": f"no working zygote: {exc}"}}
        mode = modes.choose(self.layers, root=os.geteuid() == 0, wanted=wanted) if zygote else None
        active = {n for n, v in self.layers.items() if v["active"]}
        layers = mode.layers(self.layers) if mode else BASE | active
        try:
            if zygote is not None and mode is not None:
                doctor.verify(zygote, layers)
            elif not self.insecure or wanted is not None:
                raise SandboxUnavailable(
                    f"this host offers no accepted sandbox mode{f' ({wanted})' if wanted else ''}: "
                    f"{'; '.join(doctor.missing_minimum(self.layers)) or 'no working zygote'}; run "
                    "`autograder doctor` for what the host must allow, or pass --insecure for development "
                    "only")
        except SandboxUnavailable:
            if zygote is not None:
                zygote.close()
            raise
        if zygote is None:
            return UnconfinedLauncher()
        zygote.layers = layers
        self.mode = mode.name if mode else None
        self._zygote = zygote
        return zygote

    def open(self, source: bytes) -> ChildSandbox:
        """Load ``source`` as the student's ``layers.py``; raises ``ImportFailed`` when it does not import."""
        return ChildSandbox(source, launcher=self._launcher, limits=self.limits)

    @property
    def zygote_pid(self) -> int | None:
        """The warm zygote's pid, whose reaped children's CPU time the bench reads; None without one."""
        return self._zygote.pid if self._zygote is not None else None

    def describe(self) -> dict[str, Any]:
        """Which isolation layers protect the children (recorded in every report)."""
        active = sorted(n for n, v in self.layers.items() if v["active"]) or ["process"]
        return {"launcher": "zygote" if self._zygote is not None else type(self._launcher).__name__,
                "insecure": self.insecure, "mode": self.mode, "layers": active,
                "missing": {n: v["why"] for n, v in self.layers.items() if not v["active"]}}

    def close(self) -> None:
        """Stop any warm process the factory holds."""
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None


__all__ = ["ChildSandbox", "Limits", "Sandbox", "SandboxFactory", "SandboxUnavailable"]
