"""``autograder serve``: the whole service on one machine, for a laptop.

A private Redis under the data dir when ``REDIS_URL`` is unset, one worker
subprocess (which also runs the sweeper), and the API in this process.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from typing import Any

import click

from service.settings import Settings, load


def serve(**overrides: Any) -> None:
    """Start everything; ``overrides`` (``host``, ``port``) win over the environment."""
    settings = load(default_env="development", **overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    from service.db.migrate import upgrade

    upgrade(settings.database)
    redis = None
    if not settings.redis_url:
        from service.private_redis import PrivateRedis

        redis = PrivateRedis(settings.data_dir / "redis").start()
        settings = settings.model_copy(update={"redis_url": redis.url})
    worker = subprocess.Popen([sys.executable, "-m", "autograder.cli", "worker", "--loglevel", "WARNING"],
                              env=settings.child_environ())
    # uvicorn re-raises the signal that stopped it once it is done; as SystemExit it runs our cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _banner(settings)
        import uvicorn

        from api.app import create_app

        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        if redis:
            redis.stop()


def _banner(settings: Settings) -> None:
    click.echo(f"autograder at {settings.base_url}  (docs: {settings.base_url}/docs, env: {settings.env})")
    if settings.env != "development":
        return
    from service.db.session import session_factory
    from service.tokens import create_token

    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="demo")
    url = f"{settings.base_url}/api/v1/submissions"
    click.echo("development token for student `demo`; upload with:\n")
    click.echo(f"  curl -sS -H {shlex.quote('Authorization: Bearer ' + token)} -F file=@layers.py {url}\n")
    click.echo(f"then: curl -sS -H {shlex.quote('Authorization: Bearer ' + token)} {url}/<id>")
    click.echo(f"  or: autograder submit layers.py --server {settings.base_url} --token {token}\n")
