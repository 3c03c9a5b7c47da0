"""Named dependencies for the routes (``SessionDep``, ``StudentDep``...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.ratelimit import UploadLimiter
from service import tokens
from service.db.models import Student
from service.db.session import session_factory
from service.problems import Problem
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


def current_student(request: Request, session: SessionDep) -> Student:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    student = tokens.authenticate(session=session, token=token.strip()) if scheme.lower() == "bearer" else None
    if student is None:
        raise Problem(401, "Unauthorized", "send `Authorization: Bearer <token>` with a valid token "
                      "(`autograder token create NAME` makes one)", headers={"WWW-Authenticate": "Bearer"})
    return student


StudentDep = Annotated[Student, Depends(current_student)]
