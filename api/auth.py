"""Who is asking: the one module of authentication dependencies for the API, the pages, LTI and operators.

- The API: ``Authorization: Bearer <token>`` names a student (:data:`StudentDep`).
- The pages (dashboard, student pages, LTI's sign-in): an itsdangerous-signed
  cookie (HttpOnly, SameSite=Lax) holding the role and a random CSRF token; every
  POST must echo that token in the form field ``csrf_token`` or the
  ``X-CSRF-Token`` header. A student's cookie also holds the SHA-256 of the token
  they signed in with, so revoking the token ends the session.
- Operators (``/metrics``, the detailed ``/healthz``): ``Authorization: Bearer
  <AUTOGRADER_OPERATOR_TOKEN>`` (a scraper, a load balancer's probe) or the
  instructor's cookie. Anyone else gets the bare liveness answer and a 401 from
  ``/metrics``: worker hosts, sandbox layers and queue sizes are a map for an attacker.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from api.deps import SessionDep, SettingsDep
from service import tokens
from service.db.models import Student, Token
from service.problems import Problem
from service.settings import Settings

COOKIE = "ag_session"
MAX_AGE_S = 12 * 3600


# --- the cookie ------------------------------------------------------------------------------------

def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.session_secret.get_secret_value(), salt="session")


def read(request: Request, settings: Settings) -> dict[str, Any]:
    """The session, or a fresh anonymous one (with its own CSRF token) when there is none or it is bad."""
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _serializer(settings).loads(raw, max_age=MAX_AGE_S)
            if isinstance(data, dict) and "csrf" in data:
                return data
        except BadSignature:
            pass
    return {"role": None, "csrf": secrets.token_urlsafe(24), "new": True}


def write(response: Response, settings: Settings, data: dict[str, Any]) -> None:
    clean = {k: v for k, v in data.items() if k != "new"}
    response.set_cookie(COOKIE, _serializer(settings).dumps(clean), max_age=MAX_AGE_S, httponly=True,
                        samesite="lax", secure=settings.base_url.startswith("https://"), path="/")


def start(response: Response, settings: Settings, **data: Any) -> None:
    """A new session (new CSRF token) for someone who just proved who they are."""
    write(response, settings, {**data, "csrf": secrets.token_urlsafe(24)})


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


async def csrf_ok(request: Request, session: dict[str, Any]) -> bool:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf_token")  # type: ignore[assignment]
    return isinstance(sent, str) and hmac.compare_digest(sent, str(session.get("csrf", "")))


# --- page dependencies -----------------------------------------------------------------------------

def get_web_session(request: Request, settings: SettingsDep) -> dict[str, Any]:
    return read(request, settings)


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
    if not await csrf_ok(request, web):
        raise Problem(403, "CSRF check failed", "reload the page and try again")


CsrfDep = Annotated[None, Depends(csrf)]


def current_student(web: dict[str, Any], session: SessionDep) -> Student | None:
    """The student of a student-page session, while the token they signed in with is not revoked."""
    if web.get("role") != "student":
        return None
    return session.scalar(select(Student).join(Token, Token.student_id == Student.id).where(
        Token.token_sha256 == web.get("token"), Token.revoked_at.is_(None), Student.id == web.get("sid")))


def signed_in_student(web: WebSessionDep, session: SessionDep) -> Student:
    """:func:`current_student`, or a 401 for a page request that needs one."""
    student = current_student(web, session)
    if student is None:
        raise Problem(401, "Unauthorized",
                      "sign in first: open the sign-in link from your instructor, or paste "
                      "the token they gave you on /student")
    return student


SignedInStudentDep = Annotated[Student, Depends(signed_in_student)]


def bound_assignment(web: dict[str, Any]) -> str | None:
    """The assignment an LTI launch bound this session to (its link names one); None: the student chooses."""
    chosen = web.get("assignment")
    return str(chosen) if chosen else None


def session_assignment(web: dict[str, Any], settings: Settings) -> str:
    """The session's assignment (an LTI launch names one) while it is graded here, else the default."""
    bound = bound_assignment(web)
    return bound if bound in settings.assignment_ids else str(settings.default_assignment)


# --- the API's bearer token ------------------------------------------------------------------------

def token_student(request: Request, session: SessionDep) -> Student:
    """The student whose API token is in ``Authorization: Bearer``, or a 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    student = tokens.authenticate(session=session,
                                  token=token.strip()) if scheme.lower() == "bearer" else None
    if student is None:
        raise Problem(401, "Unauthorized",
                      "send `Authorization: Bearer <token>` with the token your instructor "
                      "gave you; on the web, open the sign-in link from your instructor or paste the token "
                      "on "
                      "/student", headers={"WWW-Authenticate": "Bearer"})
    return student


StudentDep = Annotated[Student, Depends(token_student)]


# --- operators -------------------------------------------------------------------------------------

def is_operator(request: Request, settings: SettingsDep) -> bool:
    expected = settings.operator_token.get_secret_value()
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    bearer = scheme.lower() == "bearer"
    if expected and bearer and hmac.compare_digest(sent.strip().encode(), expected.encode()):
        return True
    return read(request, settings).get("role") == "instructor"


OperatorDep = Annotated[bool, Depends(is_operator)]


def require_operator(operator: OperatorDep) -> None:
    if not operator:
        raise Problem(401, "Unauthorized",
                      "operators only: send `Authorization: Bearer <AUTOGRADER_OPERATOR_TOKEN>` "
                      "or sign in to the dashboard", headers={"WWW-Authenticate": "Bearer"})


RequireOperator = Depends(require_operator)
