"""The ``autograder`` command: tokens through CliRunner, and what a bare start imports."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner
from sqlalchemy import select

from autograder.cli import cli
from service.db.models import Token
from service.db.session import session_factory
from service.tokens import authenticate


def test_token_create_prints_a_token_stored_only_hashed(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["token", "create", "alice"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    url = f"sqlite:///{tmp_path / 'autograder.sqlite3'}"
    with session_factory(url)() as s:
        assert authenticate(session=s, token=token).name == "alice"
        assert token not in [t.token_sha256 for t in s.scalars(select(Token))]


def test_help_lists_service_and_grader_commands_without_importing_the_service():
    code = ("import json, sys; from click.testing import CliRunner; from autograder.cli import cli; "
            "r = CliRunner().invoke(cli, ['--help']); "
            "print(json.dumps([r.output, [m for m in ('fastapi', 'celery', 'sqlalchemy') if m in "
            "sys.modules]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    help_text, loaded = json.loads(out.stdout)
    for command in ("serve", "api", "worker", "token", "submit", "grade", "doctor"):
        assert f"  {command}" in help_text
    assert loaded == []


def test_hash_password_reads_stdin_and_prints_a_hash_last():
    result = CliRunner().invoke(cli, ["hash-password"], input="correct horse\n")
    assert result.exit_code == 0, result.output
    from service.passwords import check_password

    stored = result.output.strip().splitlines()[-1]
    assert check_password(stored, "correct horse") and not check_password(stored, "correct horsE")
    assert CliRunner().invoke(cli, ["hash-password"], input="").exit_code != 0


def test_api_listens_where_host_and_port_say(tmp_path):
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "AUTOGRADER_ENV": "development", "AUTOGRADER_DATA_DIR": str(tmp_path),
           "REDIS_URL": "redis://127.0.0.1:1/0", "AUTOGRADER_PORT": "1"}  # the flags must win over the env
    proc = subprocess.Popen([sys.executable, "-m", "autograder.cli", "api", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert r.json()["info"]["title"] == "autograder"  # our app, on the port the flag named
    finally:
        proc.terminate()
        proc.wait(10)
