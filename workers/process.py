"""Per worker process: a warm grader, its GPU, and a heartbeat that ``/healthz`` reads.

Celery forks the pool's processes from a parent that never imports torch; each
child then picks its GPU by pool index (``CUDA_VISIBLE_DEVICES`` set before the
grader touches CUDA, so one GPU per process and CUDA only in the judge),
imports torch/Lightning and warms up once, so no submission pays for imports.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from api.settings import Settings

log = logging.getLogger(__name__)
HEARTBEAT_S = 5


def device_for(index: int, settings: Settings) -> str | None:
    """``cuda`` (after pinning this process to one GPU) when the worker has GPUs, else None (CPU)."""
    gpus = settings.gpu_ids
    if not gpus:
        return None
    os.environ["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
    return "cuda"


def load_grader(settings: Settings, *, assignment: str, device: str | None) -> Any:
    module, _, name = settings.grader_factory.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(assignment=assignment, insecure=settings.insecure_sandbox, device=device,
               options={"training_data": settings.training_data})


def sandbox_layers() -> Any:
    try:
        from grader.sandbox.doctor import layers
    except ImportError:
        return "unknown"
    try:
        return layers()
    except Exception as e:  # noqa: BLE001
        return {"error": str(e)[:200]}


class Graders:
    """The warm graders of this process, one per assignment, made on first use."""

    def __init__(self, settings: Settings, device: str | None) -> None:
        self.settings, self.device = settings, device
        self._by_assignment: dict[str, Any] = {}

    def get(self, assignment: str) -> Any:
        if assignment not in self._by_assignment:
            g = load_grader(self.settings, assignment=assignment, device=self.device)
            g.warm_up()
            self._by_assignment[assignment] = g
        return self._by_assignment[assignment]

    def close(self) -> None:
        for g in self._by_assignment.values():
            g.close()
        self._by_assignment.clear()


def start_heartbeat(redis: Any, info: dict[str, Any]) -> Callable[[], None]:
    """Refresh ``autograder:workers:<host>:<pid>``; returns the function that stops and removes it.

    A process killed with SIGKILL cannot remove its key: it expires after three missed beats.
    """
    key = f"autograder:workers:{socket.gethostname()}:{os.getpid()}"
    stop = threading.Event()

    def remove() -> None:
        stop.set()
        try:
            redis.delete(key)
        except Exception:  # noqa: BLE001
            log.debug("could not remove heartbeat", exc_info=True)

    def beat() -> None:
        while not stop.is_set():
            try:
                redis.set(key, json.dumps(info), ex=HEARTBEAT_S * 3)
            except Exception:  # noqa: BLE001 - Redis restarting: beat again later
                log.debug("heartbeat failed", exc_info=True)
            stop.wait(HEARTBEAT_S)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    return remove
