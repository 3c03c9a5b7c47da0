"""``autograder``: the service commands, plus ``grade``, ``doctor``, ``similarity`` and ``check-assignment`` from the
grading library.

This module is the composition root: the one place that names the API, the
workers and the grader together (it hands the worker its grader). Imports stay
inside the commands so ``autograder grade`` never loads FastAPI or Celery, and
keeps working when the service's dependencies are broken.
"""

from __future__ import annotations

import sys
from typing import Any

import click

GRADER_COMMANDS = ("grade", "doctor", "similarity", "check-assignment")


class Group(click.Group):
    """Adds the grading library's commands on demand (their import is its business, not ours)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(GRADER_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in GRADER_COMMANDS and name not in self.commands:
            try:
                from grader.cli import cli as grader_cli
            except ImportError as e:
                return _unavailable(name, e)
            return grader_cli.commands.get(name)
        return super().get_command(ctx, name)


def _unavailable(name: str, error: Exception) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def missing(args: tuple[str, ...]) -> None:
        raise click.ClickException(f"`{name}` is unavailable: {error}")

    return missing


@click.group(cls=Group)
def cli() -> None:
    """Autograder for deep-learning exercises (ex08: batch norm & dropout; cs231n_conv: convolutional layers)."""


def _address(fn):  # type: ignore[no-untyped-def]
    """``--host`` and ``--port``, overriding AUTOGRADER_HOST / AUTOGRADER_PORT."""
    fn = click.option("--port", type=int, default=None, help="port to listen on [default: AUTOGRADER_PORT or 8000]")(fn)
    return click.option("--host", default=None, help="address to bind [default: AUTOGRADER_HOST or 127.0.0.1]")(fn)


def _overrides(host: str | None, port: int | None) -> dict[str, Any]:
    return {k: v for k, v in (("host", host), ("port", port)) if v is not None}


@cli.command()
@_address
def serve(host: str | None, port: int | None) -> None:
    """Everything on one machine: private Redis if REDIS_URL is unset, one worker, the API."""
    from autograder.serve import serve as run

    _load(default_env="development", **_overrides(host, port))  # AUTOGRADER_ENV=production: the same refusal
    run(**_overrides(host, port))


@cli.command("api")
@_address
def api_command(host: str | None, port: int | None) -> None:
    """The HTTP API only (production: several behind a proxy, workers elsewhere)."""
    settings = _load(**_overrides(host, port))  # refuses unsafe production settings first
    import uvicorn

    from api.app import create_app

    _migrate(settings)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, proxy_headers=True)


@cli.command()
@click.option("--loglevel", default="INFO", show_default=True)
def worker(loglevel: str) -> None:
    """A Celery worker: ``worker_concurrency`` prefork processes, one GPU each when ``gpus`` is set."""
    from service.settings import pin_thread_pools

    pin_thread_pools()  # before numpy or torch is imported: the pool forks (DESIGN.md)
    settings = _load()
    from grader.runner import Grader
    from workers.celery_app import run

    run(settings, make_grader=Grader, loglevel=loglevel)


@cli.command("hash-password")
def hash_password() -> None:
    """Read a password on standard input; print its hash (for AUTOGRADER_INSTRUCTOR_PASSWORD) last."""
    from service.passwords import hash_password as make

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input (try: echo -n 'secret' | autograder hash-password)")
    click.echo(make(password))


@cli.group()
def token() -> None:
    """Bearer tokens."""


@token.command("create")
@click.argument("student")
@click.option("--instructor", is_flag=True, help="may read every student's submissions")
def token_create(student: str, instructor: bool) -> None:
    """Print a new bearer token for STUDENT (created if new). Shown once; stored hashed."""
    from service.db.session import session_factory
    from service.settings import load
    from service.tokens import create_token

    settings = load(default_env="development")
    _migrate(settings)
    with session_factory(settings.database)() as s:
        click.echo(create_token(session=s, student=student, instructor=instructor))


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--server", default="http://127.0.0.1:8000", show_default=True)
@click.option("--token", "token_", required=True, help="bearer token from `autograder token create`")
@click.option("--assignment", default=None)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def submit(path: str, server: str, token_: str, assignment: str | None, as_json: bool) -> None:
    """Upload PATH, follow its progress, print the report."""
    from autograder.submit_client import submit as run

    sys.exit(run(path, server=server, token=token_, assignment=assignment, as_json=as_json))


def _load(**overrides: Any):  # type: ignore[no-untyped-def]
    """The settings, or exit 1 naming every unsafe or invalid one (before anything is connected)."""
    from pydantic import ValidationError

    from service.settings import load

    try:
        return load(**overrides)
    except ValidationError as e:
        lines = [str(err["ctx"]["error"]) if err["type"] == "value_error" and not err["loc"]
                 else f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()]
        raise click.ClickException("\n".join(lines)) from None


def _migrate(settings) -> None:  # type: ignore[no-untyped-def]
    from service.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
