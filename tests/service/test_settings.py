import pytest
from pydantic import ValidationError

from service.passwords import hash_password
from service.settings import Settings


def test_placeholder_secrets_are_refused_outside_development(tmp_path):
    with pytest.raises(ValidationError, match="AUTOGRADER_SECRET_KEY"):
        Settings(env="production", data_dir=tmp_path)
    Settings(env="development", data_dir=tmp_path)
    Settings(env="production", secret_key="1" * 32, instructor_password=hash_password("pw"),
             session_secret="3" * 32, lms_shared_secret="4" * 32)


def test_environment_names(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOGRADER_ENV", "development")
    monkeypatch.setenv("AUTOGRADER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://example:1/0")
    monkeypatch.setenv("AUTOGRADER_GPUS", "0, 1")
    s = Settings()
    assert s.database == f"sqlite:///{tmp_path / 'autograder.sqlite3'}"
    assert s.broker == "redis://example:1/0" and s.gpu_ids == ["0", "1"]
    monkeypatch.setenv("BROKER_URL", "amqp://guest@127.0.0.1//")
    assert Settings().broker.startswith("amqp://")
