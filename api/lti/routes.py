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
from api.deps import QueueDep, SettingsDep
from api.lti.pages import error_page, page, tool_urls
from service.db.session import session_factory
from service.lti import accounts, binding, course, deep_link, launch
from service.lti.http import TimeoutSession
from service.lti.keys import KeyMissing, tool_key
from service.lti.registrations import BadPlatform, ToolConf, all_platforms
from service.lti.store import DatabaseStorage
from service.problems import Problem
from service.settings import Settings
from service.task_sender import TaskQueue
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


def _login(settings: Settings, params: dict[str, str]) -> binding.Binding:
    tool, storage = _tool(settings)
    url = launch.login_redirect(params=params, secure=settings.base_url.startswith("https://"), tool=tool,
                                storage=storage, launch_url=tool_urls(settings)["launch"], base_url=settings.base_url)
    return binding.bind(storage, auth_url=url, params=params)


@router.api_route("/login", methods=["GET", "POST"])
async def login(request: Request, settings: SettingsDep) -> Response:
    try:
        bound = await run_in_threadpool(_login, settings, await _params(request))
    except launch.Refused as e:
        log.warning("LTI login refused: %s", e)
        return error_page(request, str(e), status_code=400, title="LTI login refused")
    except (KeyMissing, BadPlatform) as e:
        return error_page(request, str(e), status_code=503, title="LTI is not configured")
    response: Response = RedirectResponse(bound.auth_url, status_code=302)
    if bound.storage_target:  # the platform keeps the secret too, for a browser that drops our cookie
        response = page(request, "lti_storage.html", put=True, target=bound.storage_target, key=bound.storage_key,
                        value=bound.secret, origin=bound.platform_origin, next_url=bound.auth_url, fields={})
    # SameSite=None: the cookie must come back with the platform's cross-site form POST of the launch
    response.set_cookie(bound.cookie, bound.secret, max_age=bound.max_age, path="/lti/", secure=True,
                        httponly=True, samesite="none")
    return response


def _launch(settings: Settings, params: dict[str, str], queue: TaskQueue, cookies: dict[str, str],
            origin: str | None) -> tuple[launch.Outcome | binding.AskStorage | None, dict[str, Any]]:
    """Validate, then sign in: the outcome and what the session cookie holds; for deep linking, no outcome
    and the launch id to pick with; :class:`~service.lti.binding.AskStorage` when the browser must prove
    with the platform's storage that it started this launch."""
    tool, storage = _tool(settings)
    ask = binding.check(storage, params=params, cookies=cookies, request_origin=origin,
                        own_origin=binding.origin(settings.base_url))
    if ask is not None:
        return ask, {}
    claims, launch_id = launch.validate(params=params, tool=tool, storage=storage,
                                        http=TimeoutSession(settings.lms_callback_timeout_s))
    binding.spent(storage, params["state"])
    if claims.get(launch.MESSAGE_TYPE_CLAIM) == launch.DEEP_LINKING:
        if not launch.is_staff(claims):
            raise launch.Refused("only course staff may add this tool to a course")
        return None, {"launch_id": launch_id}
    outcome = launch.outcome(claims, tool=tool, settings=settings)
    with session_factory(settings.database)() as s:
        outcome = course.entered(s, outcome=outcome, claims=claims, settings=settings, queue=queue)
        if outcome.instructor:
            return outcome, {"role": "instructor"}
        student, token = accounts.sign_in(session=s, outcome=outcome)
    return outcome, {"role": "student", "sid": student.id, "token": digest(token), "assignment": outcome.assignment}


@router.post("/launch")
async def launch_(request: Request, settings: SettingsDep, queue: QueueDep) -> Response:
    params = await _params(request)
    try:
        outcome, data = await run_in_threadpool(_launch, settings, params, queue, dict(request.cookies),
                                                request.headers.get("origin"))
    except launch.Refused as e:
        log.warning("LTI launch refused: %s", e)
        return error_page(request, str(e), status_code=401)
    except (KeyMissing, BadPlatform) as e:
        return error_page(request, str(e), status_code=503, title="LTI is not configured")
    if isinstance(outcome, binding.AskStorage):  # no cookie came back: the platform's storage has the secret
        fields = {k: params.get(k, "") for k in ("id_token", "state")}
        return page(request, "lti_storage.html", put=False, target=outcome.storage_target, key=outcome.storage_key,
                    value="", origin=outcome.platform_origin, next_url=tool_urls(settings)["launch"], fields=fields)
    if outcome is None:  # deep linking: the picker; no session, the launch id is the (single-use) key
        response: Response = page(request, "lti_pick.html", launch_id=data["launch_id"],
                                  choices=deep_link.choices(settings.assignment_ids))
    else:
        response = RedirectResponse("/dashboard" if outcome.instructor else "/student", status_code=303)
        auth.start(response, settings, **data)
    response.delete_cookie(binding.COOKIE_PREFIX + params["state"], path="/lti/", secure=True, httponly=True,
                           samesite="none")
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
