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
            "print(json.dumps([r.output, [m for m in ('fastapi', 'celery', 'sqlalchemy') if m in sys.modules]]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    help_text, loaded = json.loads(out.stdout)
    for command in ("serve", "api", "worker", "token", "submit", "grade", "doctor"):
        assert f"  {command}" in help_text
    assert loaded == []
