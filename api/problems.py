"""RFC 9457 problem details: every error the API answers is ``application/problem+json``."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.problems import Problem

MEDIA_TYPE = "application/problem+json"


def _response(p: Problem) -> JSONResponse:
    return JSONResponse(p.body(), status_code=p.status, headers=p.headers, media_type=MEDIA_TYPE)


async def problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return _page_404(request, exc) or _response(exc)


async def http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    problem = Problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
    return _page_404(request, problem) or _response(problem)


async def validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
    return _response(Problem(422, "Invalid request",
                             "; ".join(_said(e) for e in exc.errors()) or "see `errors`", errors=errors))


def _said(error: dict) -> str:
    """One validation error in words: a missing upload says which field it looked for."""
    where, name = error.get("loc", ("",))[0], str(error.get("loc", ("", ""))[-1])
    if error.get("type") == "missing" and where == "body":
        return f"no {'file ' if name == 'file' else ''}field named `{name}`" + (
            " (send the upload as multipart/form-data: `-F file=@layers.py`)" if name == "file" else "")
    return f"`{name}`: {error.get('msg', '')}"


def _page_404(request: Request, problem: Problem) -> HTMLResponse | None:
    """A browser (not a script, not the live event stream) refused on a student or dashboard page gets a page
    that says why in words, with a way back, instead of JSON: a missing page, a closed assignment, a stale
    form."""
    path = request.url.path
    browser = "text/html" in request.headers.get("accept", "")
    if not 400 <= problem.status < 500 or not path.startswith(("/student", "/dashboard")) \
            or path.endswith(("/events", ".json", ".csv")) or not browser:
        return None
    from api.pages import templates

    home = "/student" if path.startswith("/student") else "/dashboard"
    body = problem.body()
    response = templates.TemplateResponse(request, "not_found.html", {
        "session": {}, "csrf": "", "home": home, "detail": body.get("detail"),
        "title": "Not found" if problem.status == 404 else body.get("title")}, status_code=problem.status)
    response.headers.update(problem.headers or {})
    return response


HANDLERS = {Problem: problem_handler, StarletteHTTPException: http_handler,
            RequestValidationError: validation_handler}
