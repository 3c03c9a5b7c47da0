"""``autograder serve``: the whole service on one machine, for a laptop.

A private Redis under the data dir when ``REDIS_URL`` is unset, one worker
subprocess (which also runs the sweeper), and the API in this process.
Ready means ready: the URL is printed once the worker has warmed up (torch and
Lightning imported, reference runs cached) and announced itself, so the first
upload does not wait for the warm-up; until then ``/healthz`` says what it waits for.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import threading
import time
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
        click.echo("autograder: starting; the worker imports torch and Lightning and warms up first ...")
        threading.Thread(target=_announce_when_warm, args=(settings, worker), name="ready",
                         daemon=True).start()
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


def _announce_when_warm(settings: Settings, worker: subprocess.Popen[bytes], poll_s: float = 0.2) -> None:
    """Print the banner once a warm worker process beats in Redis; say so if the worker dies first."""
    from service import heartbeats

    redis = heartbeats.client(settings.redis_url)
    started = time.monotonic()
    while worker.poll() is None:
        try:
            if heartbeats.alive(redis):
                click.echo(f"worker warm after {time.monotonic() - started:.1f} s")
                _banner(settings)
                return
        except Exception:  # noqa: BLE001 - Redis still starting: ask again
            pass
        time.sleep(poll_s)
    click.echo(f"the worker exited with status {worker.returncode} before it was ready; see its output above",
               err=True)


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
