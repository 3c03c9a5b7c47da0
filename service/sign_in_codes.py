"""One-time sign-in codes: what a sign-in link carries instead of the student's bearer token.

A code is signed with ``secret_key``, names the token it signs in with (by
id) and a random nonce, expires after ``sign_in_code_max_age_s`` and works
once: redeeming it marks its nonce used (in Redis when configured, so every
API process agrees; else in this process). The link carries it after ``#``,
which browsers never send, so it is in no access log; the page POSTs it with
the page's CSRF token, since a GET that signs in would let any site sign a
visitor into an account of its choosing.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import storage_from_string
from sqlalchemy.orm import Session

from service.db.models import Token
from service.problems import Problem
from service.settings import Settings

SALT = "sign-in-code"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=SALT)


def make(settings: Settings, token_id: int) -> str:
    """A fresh code that signs in with token ``token_id``."""
    return _serializer(settings).dumps({"t": token_id, "n": secrets.token_urlsafe(16)})


def link(settings: Settings, code: str) -> str:
    return f"{settings.base_url}/student/signin#{code}"


class UsedCodes:
    """The nonces of codes redeemed already, kept as long as a code lives."""

    def __init__(self, storage_uri: str | None) -> None:
        self.storage = storage_from_string(storage_uri or "memory://", key_prefix="autograder:sign-in")

    def first_use(self, nonce: str, *, expiry_s: int) -> bool:
        try:
            return self.storage.incr(nonce, expiry_s) == 1  # type: ignore[comparison-overlap]
        except Exception:  # noqa: BLE001 - without the record a code could be used twice: refuse
            raise Problem(503, "Sign-in unavailable", "try again in a minute",
                          headers={"Retry-After": "60"}) from None


def redeem(*, session: Session, settings: Settings, code: str, used: UsedCodes) -> Token | None:
    """The token this code signs in with, once; None when forged, expired, used or its token revoked."""
    try:
        data = _serializer(settings).loads(code.strip(), max_age=settings.sign_in_code_max_age_s)
    except BadSignature:  # SignatureExpired included
        return None
    if not (isinstance(data, dict) and isinstance(data.get("t"), int) and isinstance(data.get("n"), str)):
        return None
    token = session.get(Token, data["t"])
    if token is None or token.revoked_at is not None:
        return None
    return token if used.first_use(data["n"], expiry_s=settings.sign_in_code_max_age_s + 60) else None
