"""The instructor's password: argon2 hashes through ``pwdlib`` (as the FastAPI template does).

``AUTOGRADER_INSTRUCTOR_PASSWORD`` holds a hash made by ``autograder
hash-password``. A plain value is accepted in development only (the settings
refuse it in production).
"""

from __future__ import annotations

import hmac

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """An argon2 hash of ``password``: what ``AUTOGRADER_INSTRUCTOR_PASSWORD`` should hold."""
    return _hasher.hash(password)


def is_hash(stored: str) -> bool:
    """Whether ``stored`` is a hash this module can verify (rather than a plain password)."""
    return stored.startswith("$argon2")


def check_password(stored: str, candidate: str) -> bool:
    """``candidate`` against the configured value: a hash, or (development) a plain password."""
    if not is_hash(stored):
        return hmac.compare_digest(stored.encode(), candidate.encode())
    try:
        return _hasher.verify(candidate, stored)
    except Exception:  # noqa: BLE001 - a malformed hash verifies nothing
        return False
