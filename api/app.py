"""The FastAPI app factory: routes, error handlers, and the boundaries the routes use."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from starlette.concurrency import run_in_threadpool

from api import access_log, body_limit, dashboard, student
from api.lms import routes as lms
from api.lti import platforms as lti_platforms
from api.lti import routes as lti
from api.metrics import DatabaseCollector
from api.pages import STATIC
from api.problems import HANDLERS
from api.ratelimit import UploadLimiter
from api.routes import docs, health, submissions
from service import schedule_changes
from service.settings import Settings, get_settings
from service.task_sender import TaskQueue, TaskSender

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, queue: TaskQueue | None = None,
               rate_limiter: UploadLimiter | None = None) -> FastAPI:
    """Build the app; ``queue`` and ``rate_limiter`` default to the real ones on the settings' broker and
    Redis."""
    settings = settings or get_settings()
    app = FastAPI(title="autograder", version="0.1.0", lifespan=_lifespan,
                  docs_url=None, redoc_url=None,  # /docs: served offline (api/routes/docs.py)
                  description="Upload a layers.py; get it graded. Errors are application/problem+json.")
    app.state.settings = settings
    app.state.queue = queue or TaskSender(settings)
    app.state.aredis = _async_redis(settings.redis_url)
    app.state.rate_limiter = rate_limiter or UploadLimiter(settings.redis_url, limit=settings.rate_limit,
                                                           window_s=settings.rate_window_s)
    app.state.registry = CollectorRegistry()
    app.state.registry.register(DatabaseCollector(settings.database))
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)
    for router in (submissions.router, docs.router, health.router, lms.router, *dashboard.routers,
                   *student.routers, lti.router, lti_platforms.router):
        app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="static")
    app.mount(docs.ASSETS_URL, docs.assets(), name="docs-static")
    app.add_middleware(body_limit.BodyLimit, limits=body_limit.limits(settings),
                       file_limit=settings.max_upload_bytes)
    access_log.install()
    return app


SCHEDULE_RETRY_S = 15.0
"""How often start-up tries the schedules again while the database cannot take them."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start-up applies the schedules of the data files and the environment (read only now): the grades they
    change are recomputed and sent here, so that no page has to. A database that is down then (Postgres
    starting after the API) does not stop the API: it serves (/healthz tells why) and tries again until the
    schedules are applied, instead of leaving grades on the old schedule until the next start."""
    retry = None
    if not await _apply_schedules(app.state):
        retry = asyncio.create_task(_apply_schedules_until_done(app.state))
    yield
    if retry is not None:
        retry.cancel()
        with suppress(asyncio.CancelledError):
            await retry


async def _apply_schedules(state: Any, *, first: bool = True) -> bool:
    try:
        await run_in_threadpool(schedule_changes.apply_all, settings=state.settings, queue=state.queue)
    except Exception as e:  # noqa: BLE001 - logged; the caller tries again
        if first:  # the whole story once; then one line per try, not a traceback every 15 s for hours
            log.exception("the schedules could not be applied; trying again every %.0f s", SCHEDULE_RETRY_S)
        else:
            first_line = (str(e).splitlines() or [repr(e)])[0]
            log.warning("the schedules could not be applied yet: %s", first_line[:300])
        return False
    return True


async def _apply_schedules_until_done(state: Any) -> None:
    while True:
        await asyncio.sleep(SCHEDULE_RETRY_S)
        if await _apply_schedules(state, first=False):
            log.info("the schedules are applied")
            return


def _async_redis(url: str | None) -> Any:
    if not url:
        return None
    import redis.asyncio

    return redis.asyncio.Redis.from_url(url)


def app() -> FastAPI:
    """Entry for ``uvicorn --factory api.app:app``."""
    return create_app()
