"""LMS settings: placeholder integration secrets are refused outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.passwords import hash_password
from service.settings import Settings

SET = {n: "x" * 32 for n in ("secret_key", "session_secret", "lms_shared_secret")} | {
    "instructor_password": hash_password("pw")}


def test_placeholder_integration_secret_is_refused_in_production():
    assert Settings(env="production", **SET).lms_integrations.keys() == {"default"}
    with pytest.raises(ValidationError, match=r"(?i)lms_secrets\[moodle\]"):
        Settings(env="production", lms_secrets={"moodle": "changethis"}, **SET)


def test_integrations_come_from_json_in_the_environment(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_LMS_SECRETS", '{"canvas": "c-secret"}')
    s = Settings(env="development")
    assert s.lms_integrations["canvas"].get_secret_value() == "c-secret"
