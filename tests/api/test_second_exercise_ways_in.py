"""cs231n_conv comes in every way ex08 does: the API's ``?assignment=``, the student page's form field
``assignment`` (the default stays ex08), an LTI launch's custom ``assignment`` (the session names it) and
the LMS webhook's ``assignment_id``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from api.app import create_app
from api.ratelimit import UploadLimiter
from service.db.models import Submission
from service.db.session import session_factory
from tests.api.ways_in import SECRET, WAYS, Upload, way_in
from tests.conftest import SUBMISSIONS
from tests.doubles import MemoryQueue

LOOPS = (SUBMISSIONS / "cs231n_conv" / "correct" / "loops.py").read_bytes()


@pytest.mark.parametrize("way", WAYS)
def test_every_way_in_takes_a_cs231n_conv_upload(settings, way):
    over = {"assignments": "ex08,cs231n_conv", "lms_secrets": {"moodle": SecretStr(SECRET)},
            "lms_callback_hosts": "127.0.0.1"}
    queue = MemoryQueue()
    app = create_app(settings.model_copy(update=over), queue=queue,
                     rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with TestClient(app) as client:
        r = way_in(client, way, settings, "cs231n_conv")(client,
                                                         Upload(content=LOOPS, assignment="cs231n_conv"), 1)
    assert r.status_code in (202, 303), r.text
    with session_factory(settings.database)() as s:
        assert s.scalars(select(Submission.assignment)).all() == ["cs231n_conv"]
