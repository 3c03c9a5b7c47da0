"""RFC 9457 problem details: every error the API answers is ``application/problem+json``."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.problems import Problem

MEDIA_TYPE = "application/problem+json"


def _response(p: Problem) -> JSONResponse:
    return JSONResponse(p.body(), status_code=p.status, headers=p.headers, media_type=MEDIA_TYPE)


async def problem_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return _response(exc)


async def http_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _response(Problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {})))


async def validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
    return _response(Problem(422, "Invalid request", "see `errors`", errors=errors))


HANDLERS = {Problem: problem_handler, StarletteHTTPException: http_handler,
            RequestValidationError: validation_handler}
