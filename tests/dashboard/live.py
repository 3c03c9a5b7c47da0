"""The real service for browser and end-to-end tests: uvicorn on 127.0.0.1 (free port) plus a real worker.

The worker runs the real grader (``grader.runner:Grader``) in the real sandbox.
Starting one costs its warm-up (torch, Lightning, the reference training runs:
~7 s on two cores), so callers start it once per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from service.settings import Settings
from tests.http_server import ThreadedServer, free_port
from tests.workers.service import Worker

SUBMISSIONS = Path(__file__).resolve().parents[1] / "submissions"

RIGHT = (SUBMISSIONS / "correct" / "reference_style.py").read_bytes()
"""Full marks."""
WRONG = (SUBMISSIONS / "wrong" / "dropout_forward__keep_convention.py").read_bytes()
"""Treats p as the keep probability: three dropout_forward tests fail with hint ``keep_convention``."""
WRONG_FAILS = ["dropout_forward: fraction of units dropped"]
"""The tests WRONG fails, as reference/ex08/assignment.toml names them."""


@contextmanager
def uvicorn_server(app: Any, port: int) -> Iterator[str]:
    server = ThreadedServer(app, port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def worker_env(settings: Settings) -> dict[str, str]:
    """The settings a worker subprocess must share with the API for LMS delivery."""
    secrets = {k: v.get_secret_value() for k, v in settings.lms_secrets.items()}
    import json

    return {"AUTOGRADER_LMS_SECRETS": json.dumps(secrets), "AUTOGRADER_PORT": str(settings.port),
            "AUTOGRADER_LMS_CALLBACK_BACKOFF_S": str(settings.lms_callback_backoff_s),
            "AUTOGRADER_LMS_CALLBACK_BACKOFF_MAX_S": str(settings.lms_callback_backoff_max_s),
            "AUTOGRADER_LMS_CALLBACK_MAX_ATTEMPTS": str(settings.lms_callback_max_attempts),
            "AUTOGRADER_LMS_CALLBACK_TIMEOUT_S": "2"}


@contextmanager
def live_service(settings: Settings, redis_url: str, log: Path, *,
                 training: bool = False) -> Iterator[tuple[str, Settings, Worker]]:
    """API on a free port and one worker grading with the real grader (training checks only if
    ``training``)."""
    from api.app import create_app

    port = free_port()
    settings = settings.model_copy(update={"redis_url": redis_url, "port": port})
    worker = Worker(database_url=settings.database, redis_url=redis_url, log=log,
                    AUTOGRADER_TRAINING=str(training).lower(), **worker_env(settings)).start()
    try:
        with uvicorn_server(create_app(settings), port) as url:
            yield url, settings, worker
    finally:
        worker.stop()
