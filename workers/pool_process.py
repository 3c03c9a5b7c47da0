"""Per worker process: a warm grader per assignment, its GPU, and its heartbeat.

Celery forks the pool's processes from a parent that never imports torch; each
child then picks its GPU by pool index (pinned before the grader touches CUDA,
so one GPU per process and CUDA only in the judge), imports torch/Lightning and
warms up once, so no submission pays for imports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from grader.report import Report, TestResult
from service.settings import Settings, pin_gpu

log = logging.getLogger(__name__)


class Grader(Protocol):
    """What a worker needs of ``grader.runner.Grader``."""

    def warm_up(self) -> None: ...

    def grade(self, source: bytes, *, seed: int = 0, training: bool = True,
              progress: Callable[[TestResult], None] | None = None) -> Report: ...

    def close(self) -> None: ...


class MakeGrader(Protocol):
    """How a worker gets a grader: ``grader.runner.Grader`` itself, or a test double."""

    def __call__(self, assignment: str, *, insecure: bool, device: str | None,
                 options: dict[str, Any]) -> Grader: ...


def device_for(index: int, settings: Settings) -> str | None:
    """``cuda`` (after pinning this process to one GPU) when the worker has GPUs, else None (CPU)."""
    gpus = settings.gpu_ids
    if not gpus:
        return None
    pin_gpu(gpus[index % len(gpus)])
    return "cuda"


def sandbox_layers() -> Any:
    """The sandbox layers this host provides, for the heartbeat (and so ``/healthz``)."""
    from grader.sandbox.doctor import layers

    try:
        return layers()
    except Exception as e:  # noqa: BLE001 - a probe failing must not stop the worker; /healthz shows it
        return {"error": str(e)[:200]}


class Graders:
    """The warm graders of this process, one per assignment, made on first use."""

    def __init__(self, settings: Settings, make: MakeGrader, device: str | None) -> None:
        self.settings, self.make, self.device = settings, make, device
        self._by_assignment: dict[str, Grader] = {}

    def get(self, assignment: str) -> Grader:
        if assignment not in self._by_assignment:
            g = self.make(assignment, insecure=self.settings.insecure_sandbox, device=self.device,
                          options={"training_data": self.settings.training_data})
            g.warm_up()
            self._by_assignment[assignment] = g
        return self._by_assignment[assignment]

    def close(self) -> None:
        for g in self._by_assignment.values():
            g.close()
        self._by_assignment.clear()
