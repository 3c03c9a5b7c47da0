"""The FastAPI app factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from api.dashboard import routes as dashboard
from api.dashboard import student
from api.lms import routes as lms
from api.metrics import DatabaseCollector
from api.problems import HANDLERS
from api.queue import CeleryQueue, TaskQueue
from api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from api.routes import health, submissions
from api.settings import Settings, get_settings


def create_app(settings: Settings | None = None, *, queue: TaskQueue | None = None,
               rate_limiter: RateLimiter | None = None) -> FastAPI:
    """Build the app; ``queue`` and ``rate_limiter`` default to the real ones on the settings' Redis."""
    settings = settings or get_settings()
    app = FastAPI(title="autograder", version="0.1.0",
                  description="Upload a layers.py; get it graded. Errors are application/problem+json.")
    app.state.settings = settings
    app.state.queue = queue or CeleryQueue(settings)
    redis, app.state.aredis = _redis_clients(settings.redis_url)
    app.state.rate_limiter = rate_limiter or (
        RedisRateLimiter(redis, limit=settings.rate_limit, window_s=settings.rate_window_s) if redis
        else MemoryRateLimiter(limit=settings.rate_limit, window_s=settings.rate_window_s))
    app.state.registry = CollectorRegistry()
    app.state.registry.register(DatabaseCollector(settings.database))
    for exc, handler in HANDLERS.items():
        app.add_exception_handler(exc, handler)
    app.include_router(submissions.router)
    app.include_router(health.router)
    for router in (lms.router, dashboard.router, student.router):  # issue 5
        app.include_router(router)
    return app


def _redis_clients(url: str | None) -> tuple[Any, Any]:
    if not url:
        return None, None
    import redis
    import redis.asyncio

    return redis.Redis.from_url(url), redis.asyncio.Redis.from_url(url)


def app() -> FastAPI:
    """Entry for ``uvicorn --factory api.main:app``."""
    return create_app()
