"""Templates of the LTI pages (they extend the dashboard's base), the error page and the tool's URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import formats
from service.settings import Settings

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=[HERE / "templates", HERE.parent / "dashboard" / "templates"])
formats.install(templates.env)


def tool_urls(settings: Settings) -> dict[str, str]:
    """The addresses a platform admin pastes into the platform (fixed paths under the public base URL)."""
    base = settings.base_url
    return {"login": f"{base}/lti/login", "launch": f"{base}/lti/launch", "jwks": f"{base}/lti/jwks",
            "target": f"{base}/lti/launch", "config": f"{base}/lti/config"}


def error_page(request: Request, reason: str, *, status_code: int, title: str = "LTI launch refused") -> HTMLResponse:
    """A plain HTML page saying why; it sets no cookie, so a refused launch leaves no session."""
    return templates.TemplateResponse(request, "lti_error.html", {"title": title, "reason": reason, "csrf": ""},
                                      status_code=status_code)


def page(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"csrf": "", **context})
