"""Server-rendered pages (the dashboard and the student pages): the templates and :func:`render`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import auth, formats

HERE = Path(__file__).parent / "dashboard"
templates = Jinja2Templates(directory=HERE / "templates")
formats.install(templates.env)
STATIC = HERE / "static"


def render(request: Request, name: str, session: dict[str, Any], status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """A page; a new (anonymous) session gets its cookie so its CSRF token survives to the next POST."""
    response = templates.TemplateResponse(request, name, {"session": session, "csrf": session["csrf"], **context},
                                          status_code=status_code)
    if session.get("new"):
        auth.write(response, request.app.state.settings, session)
    if session.get("role"):  # signed in: after sign-out, Back must not show the page from the cache
        response.headers["Cache-Control"] = "no-store"
    return response
