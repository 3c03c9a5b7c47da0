"""Shared by the dashboard and the student page: templates, session dependencies, report rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from sqlalchemy import select

from api.dashboard import auth, formats, plots
from api.deps import SessionDep, SettingsDep
from service import report_view
from service.db.models import Student, Token
from service.problems import Problem

HERE = Path(__file__).parent
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


def get_web_session(request: Request, settings: SettingsDep) -> dict[str, Any]:
    return auth.read(request, settings)


WebSessionDep = Annotated[dict[str, Any], Depends(get_web_session)]


def redirect_to(url: str) -> Problem:
    return Problem(303, "See Other", headers={"Location": url})


def instructor(request: Request, web: WebSessionDep) -> dict[str, Any]:
    """The instructor's session; a GET without one is sent to the login page, anything else gets 401."""
    if web.get("role") != "instructor":
        if request.method == "GET":
            raise redirect_to("/dashboard/login?next=" + request.url.path)
        raise Problem(401, "Unauthorized", "log in to the dashboard first")
    return web


InstructorDep = Annotated[dict[str, Any], Depends(instructor)]


async def csrf(request: Request, web: WebSessionDep) -> None:
    """Every POST from a page carries the session's CSRF token."""
    if not await auth.csrf_ok(request, web):
        raise Problem(403, "CSRF check failed", "reload the page and try again")


CsrfDep = Annotated[None, Depends(csrf)]


def current_student(web: WebSessionDep, session: SessionDep) -> Student | None:
    """The student of a student-page session, while the token they signed in with is not revoked."""
    if web.get("role") != "student":
        return None
    return session.scalar(select(Student).join(Token, Token.student_id == Student.id).where(
        Token.token_sha256 == web.get("token"), Token.revoked_at.is_(None), Student.id == web.get("sid")))


def source_html(content: bytes) -> Markup:
    fmt = HtmlFormatter(linenos="table", cssclass="source")
    return Markup(highlight(content.decode("utf-8", "replace"), PythonLexer(), fmt))


def curve_charts(report: dict[str, Any] | None) -> list[tuple[str, list[Markup]]]:
    """Per test with ``data["curves"]`` (network → metric → values): its name and one line chart per metric."""
    groups = []
    for t in (report or {}).get("tests", []):
        curves = (t.get("data") or {}).get("curves")
        if not isinstance(curves, dict):
            continue
        by_metric: dict[str, dict[str, list[float]]] = {}
        for network, metrics in curves.items():
            if isinstance(metrics, list):  # one dict per epoch
                metrics = {k: [e.get(k) for e in metrics] for k in (metrics[0] if metrics else {}) if k != "epoch"}
            for metric, values in (metrics or {}).items():
                if isinstance(values, list) and values:
                    by_metric.setdefault(metric, {})[network] = values
        charts = [plots.lines(series, title=f"{metric} per epoch") for metric, series in by_metric.items()]
        if charts:
            groups.append((str(t.get("name", "")), charts))
    return groups


def report_of(row: Any) -> dict[str, Any] | None:
    """The stored report as the instructor sees it: everything, hidden tests included."""
    report = report_view.parse(row.report)
    return report.to_dict() if report else None
