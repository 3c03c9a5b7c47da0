"""``/dashboard/lti``: the LTI registrations, for instructors (those from the environment read-only), and the
courses launches came from, with their rosters and a button to fetch one again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import forms
from api.auth import CsrfDep, InstructorDep
from api.deps import QueueDep, SessionDep, SettingsDep
from api.lti.pages import templates, tool_urls
from service.lti import course, registrations, roster

router = APIRouter(prefix="/dashboard/lti", include_in_schema=False)


def _page(request: Request, web: dict, settings: SettingsDep, session: SessionDep, *,
          status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, str] | None = None
          ) -> HTMLResponse:
    stored = registrations.from_database(session)
    try:
        from_env, env_error = registrations.from_settings(settings), ""
    except registrations.BadPlatform as e:
        from_env, env_error = [], str(e)
    return templates.TemplateResponse(request, "lti_platforms.html", {
        "session": web, "csrf": web["csrf"], "stored": stored, "from_env": from_env, "urls": tool_urls(settings),
        "error": env_error, "errors": errors or {}, "form": form or {}, "courses": roster.courses(session)},
        status_code=status_code)


@router.get("", response_class=HTMLResponse)
def platforms(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep) -> HTMLResponse:
    return _page(request, web, settings, session)


@router.post("")
async def add(request: Request, web: InstructorDep, _: CsrfDep, settings: SettingsDep,
              session: SessionDep) -> Response:
    """Add or replace a platform; a wrong or missing field is shown beside it, the rest kept (422)."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    checked = forms.platform(form)
    if checked.errors:
        return _page(request, web, settings, session, status_code=422, errors=checked.errors, form=form)
    registrations.save(session, checked.value)
    return RedirectResponse("/dashboard/lti", status_code=303)


@router.post("/{platform_id}/delete")
def remove(platform_id: int, web: InstructorDep, _: CsrfDep, session: SessionDep) -> Response:
    registrations.delete(session, platform_id)
    return RedirectResponse("/dashboard/lti", status_code=303)


@router.post("/courses/{context_pk}/refresh")
def refresh_roster(context_pk: int, web: InstructorDep, _: CsrfDep, session: SessionDep, queue: QueueDep) -> Response:
    """Fetch this course's roster now (a worker does; the page shows when it did)."""
    if roster.claim(session, context_pk, every_s=0):
        course.request_refresh(queue, context_pk)
    return RedirectResponse("/dashboard/lti", status_code=303)
