"""``/student`` sign-in: a pasted token or a sign-in link's one-time code; and sign-out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import auth
from api.auth import CsrfDep, WebSessionDep
from api.deps import SessionDep, SettingsDep
from api.login_throttle import LoginThrottleDep
from api.pages import render
from service import sign_in_codes
from service.tokens import authenticate, digest

router = APIRouter(prefix="/student", include_in_schema=False)


@router.post("/login")
def login(request: Request, web: WebSessionDep, _: CsrfDep, settings: SettingsDep, session: SessionDep,
          throttle: LoginThrottleDep, token: Annotated[str, Form()],
          next: Annotated[str, Form(max_length=500)] = "/student") -> Response:
    if (refused := _throttled(request, web, throttle, "student_login.html")) is not None:
        return refused
    student = authenticate(session=session, token=token.strip())
    if student is None:
        throttle.failed(throttle.keys(request))
        return render(request, "student_login.html", web, status_code=401, error="Unknown or revoked token.",
                      next=back_to(next))
    return _signed_in(settings, student.id, digest(token.strip()), to=next)


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, web: WebSessionDep) -> HTMLResponse:
    """A sign-in link's page: the code is after ``#`` (never sent here); its button POSTs it."""
    return render(request, "student_signin.html", web)


@router.post("/signin")
def signin(request: Request, web: WebSessionDep, _: CsrfDep, settings: SettingsDep, session: SessionDep,
           throttle: LoginThrottleDep, code: Annotated[str, Form(max_length=500)]) -> Response:
    if (refused := _throttled(request, web, throttle, "student_signin.html")) is not None:
        return refused
    token = sign_in_codes.redeem(session=session, settings=settings, code=code, used=_used_codes(request))
    if token is None:
        throttle.failed(throttle.keys(request))
        return render(request, "student_signin.html", web, status_code=401,
                      error="This sign-in link is not valid (any more): it works once and expires.")
    return _signed_in(settings, token.student_id, token.token_sha256)


@router.post("/logout")
def logout(_: CsrfDep) -> Response:
    response = RedirectResponse("/student", status_code=303)
    auth.end(response)
    return response


def back_to(path: str) -> str:
    """Where to go after signing in: a student page asked for, never another site."""
    return path if path.startswith("/student") and not path.startswith("//") and "\\" not in path else "/student"


def _signed_in(settings: Any, student_id: int, token_sha256: str, to: str = "/student") -> Response:
    response = RedirectResponse(back_to(to), status_code=303)
    auth.start(response, settings, role="student", sid=student_id, token=token_sha256)
    return response


def _used_codes(request: Request) -> sign_in_codes.UsedCodes:
    state = request.app.state
    if getattr(state, "used_codes", None) is None:
        state.used_codes = sign_in_codes.UsedCodes(state.settings.redis_url)
    return state.used_codes  # type: ignore[no-any-return]


def _throttled(request: Request, web: dict[str, Any], throttle: Any, page: str) -> Response | None:
    """The page with a 429 while this address has failed too often (it may not even try)."""
    if not (wait := throttle.wait(throttle.keys(request))):
        return None
    response = render(request, page, web, status_code=429, error=f"Too many failed sign-ins: try again in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response
