"""Production refuses at start, naming every unsafe setting: through the real ``autograder`` command."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.passwords import hash_password
from service.settings import Settings

GOOD = {"secret_key": "k" * 32, "session_secret": "s" * 32, "lms_shared_secret": "l" * 32}
HASH = hash_password("correct horse battery staple")


def _command() -> list[str]:
    script = Path(sys.executable).parent / "autograder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autograder.cli"]


def _start(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AUTOGRADER_DATA_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}", "REDIS_URL": "redis://127.0.0.1:1/0",
            "OMP_NUM_THREADS": "1"}
    return subprocess.run([*_command(), *args], env={**base, **env}, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("command", "env"), [("api", None), ("worker", None), ("serve", "production")])
def test_production_start_names_every_unsafe_setting_and_connects_to_nothing(command, env, tmp_path):
    # AUTOGRADER_ENV unset: production is the default of `api` and `worker` (`serve` defaults to development).
    t0 = time.monotonic()
    result = _start([command], tmp_path, **({"AUTOGRADER_ENV": env} if env else {}),
                    AUTOGRADER_INSTRUCTOR_PASSWORD="hunter2-but-long-enough-to-pass-32b",
                    AUTOGRADER_SESSION_SECRET="short", AUTOGRADER_SECRET_KEY="",
                    AUTOGRADER_LMS_SHARED_SECRET="l" * 32, AUTOGRADER_LMS_SECRETS='{"moodle": "m"}',
                    AUTOGRADER_INSECURE_SANDBOX="true")
    assert result.returncode != 0
    err = result.stderr
    for name in ("AUTOGRADER_INSTRUCTOR_PASSWORD", "AUTOGRADER_SESSION_SECRET", "AUTOGRADER_SECRET_KEY",
                 "AUTOGRADER_LMS_SECRETS[moodle]", "AUTOGRADER_INSECURE_SANDBOX"):
        assert name in err, err
    assert "AUTOGRADER_LMS_SHARED_SECRET" not in err  # 32 bytes: fine
    assert "hunter2" not in err and "Traceback" not in err  # names settings, never their values
    assert not (tmp_path / "never.sqlite3").exists() and not (tmp_path / "var").exists()
    assert time.monotonic() - t0 < 30


def test_production_start_accepts_a_hash_and_long_secrets(tmp_path):
    """The same command with safe settings gets past the check: it migrates the database."""
    env = {f"AUTOGRADER_{k.upper()}": v for k, v in GOOD.items()}
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AUTOGRADER_DATA_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "OMP_NUM_THREADS": "1",
            "AUTOGRADER_INSTRUCTOR_PASSWORD": HASH, "AUTOGRADER_PORT": "0", **env}
    proc = subprocess.Popen([*_command(), "api"], env=base, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "db.sqlite3").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (tmp_path / "db.sqlite3").exists(), proc.stderr.read() if proc.poll() is not None else "slow"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_refusals_cover_each_rule():
    with pytest.raises(ValidationError) as e:
        Settings(env="production")  # the placeholders: plain password, 10-byte secrets
    text = str(e.value)
    for name in ("INSTRUCTOR_PASSWORD", "SECRET_KEY", "SESSION_SECRET", "LMS_SHARED_SECRET"):
        assert f"AUTOGRADER_{name}" in text
    Settings(env="production", instructor_password=HASH, **GOOD)
    with pytest.raises(ValidationError, match="AUTOGRADER_OPERATOR_TOKEN is 5 bytes"):
        Settings(env="production", instructor_password=HASH, operator_token="short", **GOOD)
    with pytest.raises(ValidationError, match="AUTOGRADER_SECRET_KEY is 31 bytes"):
        Settings(env="production", instructor_password=HASH, **{**GOOD, "secret_key": "k" * 31})
    Settings(env="development", insecure_sandbox=True)  # development accepts all of it
