"""The simulated platform and the app that trusts it, for the LTI tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import UploadLimiter
from tests.doubles import MemoryQueue
from tests.lti.launches import LAUNCH_URL
from tests.lti.simulator import Platform


@pytest.fixture(autouse=True)
def no_kept_key_sets():
    from service.lti import launch

    launch._key_sets.clear()  # per process; each test's platform has its own keys


@pytest.fixture
def platform():
    holder: dict[str, TestClient] = {}
    p = Platform(launch_url=LAUNCH_URL, tool_jwks=lambda: holder["client"].get("/lti/jwks").json()).start()
    p.holder = holder  # type: ignore[attr-defined]
    yield p
    p.stop()


@pytest.fixture
def lti_settings(settings, platform):
    return settings.model_copy(update={"lti_platforms": [platform.registration()]})


@pytest.fixture
def client(lti_settings, platform):
    app = create_app(lti_settings, queue=MemoryQueue(),
                     rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        platform.holder["client"] = c
        yield c
