"""Dashboard and student-page sessions: a signed cookie, a CSRF token in it, the instructor's hashed password.

The session is an itsdangerous-signed cookie (HttpOnly, SameSite=Lax) holding
the role and a random CSRF token; every POST must echo that token in the form
field ``csrf_token`` or the ``X-CSRF-Token`` header. A student session also
holds the SHA-256 of the token the student signed in with, so revoking the
token ends the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sys
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.settings import Settings

COOKIE = "ag_session"
MAX_AGE_S = 12 * 3600
ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hash>``: what ``AUTOGRADER_INSTRUCTOR_PASSWORD`` should hold."""
    salt = salt or secrets.token_bytes(16)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(dk).decode()}"


def check_password(stored: str, candidate: str) -> bool:
    """Against a hash from :func:`hash_password`, or (development, simple setups) a plain value."""
    if not stored.startswith(ALGORITHM + "$"):
        return hmac.compare_digest(stored.encode(), candidate.encode())
    _, iterations, salt, expected = stored.split("$", 3)
    dk = hashlib.pbkdf2_hmac("sha256", candidate.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(base64.b64encode(dk).decode(), expected)


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


if __name__ == "__main__":  # python -m api.dashboard.auth  → prompts, prints the hash to configure
    import getpass

    print(hash_password(sys.argv[1] if len(sys.argv) > 1 else getpass.getpass("instructor password: ")))
