"""``/dashboard/login`` and ``/dashboard/logout``: the instructor's sign-in page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import auth
from api.auth import CsrfDep, WebSessionDep
from api.deps import SettingsDep
from api.login_throttle import LoginThrottleDep
from api.pages import render
from service.passwords import check_password

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, web: WebSessionDep, next: str = "/dashboard") -> HTMLResponse:
    return render(request, "login.html", web, next=next if next.startswith("/dashboard") else "/dashboard")


@router.post("/login")
def login(request: Request, settings: SettingsDep, web: WebSessionDep, _: CsrfDep, throttle: LoginThrottleDep,
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/dashboard") -> Response:
    keys = throttle.keys(request, account="instructor")  # one password, guessed from many addresses
    if wait := throttle.wait(keys):
        refused = render(request, "login.html", web, status_code=429, next=next,
                         error=f"Too many failed sign-ins: try again in {wait} s.")
        refused.headers["Retry-After"] = str(wait)
        return refused
    if not check_password(settings.instructor_password.get_secret_value(), password):
        throttle.failed(keys)
        return render(request, "login.html", web, status_code=401, next=next, error="Wrong password.")
    response = RedirectResponse(next if next.startswith("/dashboard") else "/dashboard", status_code=303)
    auth.start(response, settings, role="instructor")
    return response


@router.post("/logout")
def logout(_: CsrfDep) -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    auth.end(response)
    return response
