"""Named dependencies for the routes: the app's boundaries (``SessionDep``, ``QueueDep``...).

Who is asking (tokens, the page session, operators) is :mod:`api.auth`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.ratelimit import UploadLimiter
from service.db.session import session_factory
from service.settings import Settings
from service.task_sender import TaskQueue


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    with session_factory(settings.database)() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_queue(request: Request) -> TaskQueue:
    return request.app.state.queue  # type: ignore[no-any-return]


QueueDep = Annotated[TaskQueue, Depends(get_queue)]


def get_rate_limiter(request: Request) -> UploadLimiter:
    return request.app.state.rate_limiter  # type: ignore[no-any-return]


RateLimiterDep = Annotated[UploadLimiter, Depends(get_rate_limiter)]


def get_redis(request: Request) -> Any:
    """Async Redis client for events, or None when the service runs without one."""
    return request.app.state.aredis


AsyncRedisDep = Annotated[Any, Depends(get_redis)]
