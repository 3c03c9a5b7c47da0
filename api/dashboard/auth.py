"""Dashboard and student-page sessions: a signed cookie with a CSRF token in it.

The session is an itsdangerous-signed cookie (HttpOnly, SameSite=Lax) holding
the role and a random CSRF token; every POST must echo that token in the form
field ``csrf_token`` or the ``X-CSRF-Token`` header. A student session also
holds the SHA-256 of the token the student signed in with, so revoking the
token ends the session.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.settings import Settings

COOKIE = "ag_session"
MAX_AGE_S = 12 * 3600


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
