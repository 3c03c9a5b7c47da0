"""``autograder``: the service commands, plus ``grade`` and ``doctor`` from the grading library.

Imports stay inside the commands so ``autograder grade`` never loads FastAPI or
Celery, and keeps working when the service's dependencies are broken.
"""

from __future__ import annotations

import sys

import click

GRADER_COMMANDS = ("grade", "doctor")


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
    """Autograder for the batch-norm & dropout exercise."""


@cli.command()
def serve() -> None:
    """Everything on one machine: private Redis if REDIS_URL is unset, one worker, the API."""
    from api.serve import serve as run

    run()


@cli.command("api")
def api_command() -> None:
    """The HTTP API only (production: several behind a proxy, workers elsewhere)."""
    import uvicorn

    from api.main import create_app
    from api.settings import load

    settings = load()
    _migrate(settings)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, proxy_headers=True)


@cli.command()
@click.option("--loglevel", default="INFO", show_default=True)
def worker(loglevel: str) -> None:
    """A Celery worker: ``worker_concurrency`` prefork processes, one GPU each when ``gpus`` is set."""
    from api.settings import load, pin_thread_pools

    pin_thread_pools()
    settings = load()
    from workers.celery_app import configure

    app = configure(settings)
    app.worker_main(["worker", "-Q", settings.queue, "-c", str(settings.worker_concurrency),
                     "--loglevel", loglevel, "--without-gossip", "--without-mingle"])


@cli.group()
def token() -> None:
    """Bearer tokens."""


@token.command("create")
@click.argument("student")
@click.option("--instructor", is_flag=True, help="may read every student's submissions")
def token_create(student: str, instructor: bool) -> None:
    """Print a new bearer token for STUDENT (created if new). Shown once; stored hashed."""
    from api.auth import create_token
    from api.db.session import session_factory
    from api.settings import load

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
    from api.client import submit as run

    sys.exit(run(path, server=server, token=token_, assignment=assignment, as_json=as_json))


def _migrate(settings) -> None:  # type: ignore[no-untyped-def]
    from api.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
