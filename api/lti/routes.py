"""``/lti``: the tool's endpoints. Thin: parameters in, :mod:`service.lti` decides, a redirect or a page out.

``/lti/login`` (GET or POST, the platform's third-party-initiated login) sends
the browser to the platform's auth URL; ``/lti/launch`` (the platform's form
POST of the id_token) signs the student in on ``/student``, or an instructor
on ``/dashboard``; a deep-linking request shows course staff the assignments to pick from and
``/lti/deep-link`` answers the platform with the signed link; ``/lti/jwks`` is
the tool's public key set; ``/lti/config`` shows what a platform admin pastes
into the platform.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api import auth
from api.deps import SettingsDep
from api.lti.pages import error_page, page, tool_urls
from service.db.session import session_factory
from service.lti import accounts, deep_link, launch, scores
from service.lti.http import TimeoutSession
from service.lti.keys import KeyMissing, tool_key
from service.lti.registrations import BadPlatform, ToolConf, all_platforms
from service.lti.store import DatabaseStorage
from service.problems import Problem
from service.settings import Settings
from service.tokens import digest

router = APIRouter(prefix="/lti", include_in_schema=False)
log = logging.getLogger(__name__)


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    return params


def _tool(settings: Settings) -> tuple[ToolConf, DatabaseStorage]:
    sessions = session_factory(settings.database)
    with sessions() as s:
        platforms = all_platforms(s, settings)
    return ToolConf(platforms, tool_key(settings)), DatabaseStorage(sessions)


def _login(settings: Settings, params: dict[str, str]) -> str:
    tool, storage = _tool(settings)
    return launch.login_redirect(params=params, secure=settings.base_url.startswith("https://"), tool=tool,
                                 storage=storage, launch_url=tool_urls(settings)["launch"], base_url=settings.base_url)


@router.api_route("/login", methods=["GET", "POST"])
async def login(request: Request, settings: SettingsDep) -> Response:
    try:
        url = await run_in_threadpool(_login, settings, await _params(request))
    except launch.Refused as e:
        log.warning("LTI login refused: %s", e)
        return error_page(request, str(e), status_code=400, title="LTI login refused")
    except (KeyMissing, BadPlatform) as e:
        return error_page(request, str(e), status_code=503, title="LTI is not configured")
    return RedirectResponse(url, status_code=302)


def _launch(settings: Settings, params: dict[str, str]) -> tuple[launch.Outcome | None, dict[str, Any]]:
    """Validate, then sign in: the outcome and what the session cookie holds; for deep linking, no outcome
    and the launch id to pick with."""
    tool, storage = _tool(settings)
    claims, launch_id = launch.validate(params=params, tool=tool, storage=storage,
                                        http=TimeoutSession(settings.lms_callback_timeout_s))
    if claims.get(launch.MESSAGE_TYPE_CLAIM) == launch.DEEP_LINKING:
        if not launch.is_staff(claims):
            raise launch.Refused("only course staff may add this tool to a course")
        return None, {"launch_id": launch_id}
    outcome = launch.outcome(claims, tool=tool, settings=settings)
    try:
        outcome = scores.with_line_item(outcome, claims, settings=settings)
    except Exception as e:  # noqa: BLE001 - the student still works here; only the grade stays local
        log.warning("LTI: no line item for %s: %s", outcome.student_name, e)
    if outcome.instructor:
        return outcome, {"role": "instructor"}
    with session_factory(settings.database)() as s:
        student, token = accounts.sign_in(session=s, outcome=outcome)
    return outcome, {"role": "student", "sid": student.id, "token": digest(token), "assignment": outcome.assignment}


@router.post("/launch")
async def launch_(request: Request, settings: SettingsDep) -> Response:
    try:
        outcome, data = await run_in_threadpool(_launch, settings, await _params(request))
    except launch.Refused as e:
        log.warning("LTI launch refused: %s", e)
        return error_page(request, str(e), status_code=401)
    except (KeyMissing, BadPlatform) as e:
        return error_page(request, str(e), status_code=503, title="LTI is not configured")
    if outcome is None:  # deep linking: the picker; no session, the launch id is the (single-use) key
        return page(request, "lti_pick.html", launch_id=data["launch_id"],
                    choices=deep_link.choices(settings.assignment_ids))
    response = RedirectResponse("/dashboard" if outcome.instructor else "/student", status_code=303)
    auth.start(response, settings, **data)
    return response


def _picked(settings: Settings, launch_id: str, assignment: str) -> str:
    tool, storage = _tool(settings)
    return deep_link.response_form(launch_id=launch_id, assignment=assignment, allowed=settings.assignment_ids,
                                   tool=tool, storage=storage, launch_url=tool_urls(settings)["launch"])


@router.post("/deep-link", response_class=HTMLResponse)
async def deep_link_response(request: Request, settings: SettingsDep) -> HTMLResponse:
    form = await _params(request)
    try:
        html = await run_in_threadpool(_picked, settings, form.get("launch_id", ""), form.get("assignment", ""))
    except launch.Refused as e:
        return error_page(request, str(e), status_code=400, title="Deep linking refused")
    return HTMLResponse(html)


@router.get("/jwks")
def jwks(settings: SettingsDep) -> JSONResponse:
    try:
        key = tool_key(settings)
    except KeyMissing as e:
        raise Problem(503, "LTI is not configured", str(e)) from e
    return JSONResponse({"keys": [key.jwk]}, headers={"Cache-Control": "max-age=300"})


@router.get("/config", response_class=HTMLResponse)
def config(request: Request, settings: SettingsDep) -> HTMLResponse:
    try:
        public_pem = tool_key(settings).public_pem
    except KeyMissing:
        public_pem = ""
    return page(request, "lti_config.html", urls=tool_urls(settings), public_pem=public_pem,
                assignment=settings.default_assignment, assignments=settings.assignment_ids)
