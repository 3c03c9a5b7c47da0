"""Running the student's code on the other side of a trust boundary.

Checks use the :class:`~grader.sandbox.interface.Sandbox` interface only; a
:class:`SandboxFactory` (one per grading process, kept warm) opens one sandbox
per submission.
"""

from __future__ import annotations

from typing import Any

from grader.sandbox.interface import Sandbox
from grader.sandbox.judge import ChildSandbox, Launcher, Limits, SubprocessLauncher


class SandboxFactory:
    """Opens one :class:`ChildSandbox` per submission, with the host's strongest launcher."""

    def __init__(self, *, insecure: bool = False, limits: Limits | None = None,
                 launcher: Launcher | None = None) -> None:
        self.insecure = insecure
        self.limits = limits or Limits()
        self._launcher = launcher or SubprocessLauncher()

    def open(self, source: bytes) -> ChildSandbox:
        """Load ``source`` as the student's ``layers.py``; raises ``ImportFailed`` when it does not import."""
        return ChildSandbox(source, launcher=self._launcher, limits=self.limits)

    def describe(self) -> dict[str, Any]:
        """Which isolation layers protect the children (recorded in every report)."""
        return {"launcher": type(self._launcher).__name__, "insecure": self.insecure, "layers": ["process"]}

    def close(self) -> None:
        """Stop any warm process the factory holds."""


__all__ = ["ChildSandbox", "Limits", "Sandbox", "SandboxFactory"]
