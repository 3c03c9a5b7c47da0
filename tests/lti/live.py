"""A course for end-to-end tests: the real app on uvicorn, a real worker, and the simulated platform trusting
it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from pydantic import SecretStr

from service.lti.keys import generate_pem
from service.settings import Settings
from tests.dashboard.live import uvicorn_server
from tests.http_server import free_port
from tests.lti.simulator import Platform
from tests.workers.service import Worker


@contextmanager
def running_course(settings: Settings, redis_url: str, tmp_path: Path, *,
                   host: str = "127.0.0.1") -> Iterator[tuple[str, Platform, Settings]]:
    """The tool's URL (``http://<host>:<port>``: ``localhost`` puts it on another site than the platform's
    ``127.0.0.1``), the platform, and the API's settings; score retries are fast."""
    from api.app import create_app

    port = free_port()
    url = f"http://{host}:{port}"
    platform = Platform(launch_url=f"{url}/lti/launch",
                        tool_jwks=lambda: httpx.get(f"{url}/lti/jwks", timeout=5).json()).start()
    key = generate_pem()
    retries = {"lms_callback_backoff_s": 0.3, "lms_callback_backoff_max_s": 1.0,
               "lms_callback_max_attempts": 30}
    settings = settings.model_copy(update={
        "redis_url": redis_url, "port": port, "public_base_url": url,
                                           "lti_platforms": [platform.registration()],
        "lti_private_key": SecretStr(key), **retries})
    worker = Worker(database_url=settings.database, redis_url=redis_url, log=tmp_path / "worker.log",
                    AUTOGRADER_LTI_PLATFORMS=json.dumps(settings.lti_platforms),
                    AUTOGRADER_LTI_PRIVATE_KEY=key, AUTOGRADER_LMS_CALLBACK_TIMEOUT_S="2",
                    **{f"AUTOGRADER_{k.upper()}": str(v) for k, v in retries.items()}).start()
    try:
        with uvicorn_server(create_app(settings), port):
            yield url, platform, settings
    finally:
        worker.stop()
        platform.stop()
