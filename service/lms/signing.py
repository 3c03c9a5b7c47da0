"""HMAC-SHA256 request signing, the same both ways (webhook in, grade callback out).

The signed message is ``timestamp + "." + raw body``; the headers are
``X-Autograder-Integration`` (whose secret), ``X-Autograder-Timestamp`` (Unix
seconds) and ``X-Autograder-Signature: sha256=<hex>``. A timestamp further than
the replay window from now is refused, so a captured request cannot be replayed
later; within the window, replays are harmless because submissions are
idempotent on their external id.
"""

from __future__ import annotations

import hashlib
import hmac
import time

INTEGRATION = "X-Autograder-Integration"
TIMESTAMP = "X-Autograder-Timestamp"
SIGNATURE = "X-Autograder-Signature"
DELIVERY = "X-Autograder-Delivery"
SCHEME = "sha256="


class SignatureError(Exception):
    """Why a request's signature was refused (the message is safe to show the caller)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Autograder-Signature`` header value for this body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def sign(secret: str, body: bytes, *, integration: str = "default",
         now: float | None = None) -> dict[str, str]:
    """Headers that authenticate ``body``."""
    ts = str(int(time.time() if now is None else now))
    return {INTEGRATION: integration, TIMESTAMP: ts, SIGNATURE: signature(secret, ts, body)}


def verify(secret: str, body: bytes, *, timestamp: str | None, sig: str | None, window_s: int,
           now: float | None = None) -> None:
    """Raise :class:`SignatureError` unless ``sig`` signs ``body`` at a timestamp inside the window."""
    if not timestamp or not sig:
        raise SignatureError(f"missing {TIMESTAMP} or {SIGNATURE} header")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP} must be Unix seconds") from None
    skew = abs((time.time() if now is None else now) - ts)
    if skew > window_s:
        raise SignatureError(f"timestamp is {int(skew)} s away from now; the window is {window_s} s")
    if not hmac.compare_digest(signature(secret, timestamp, body), sig.strip()):
        raise SignatureError("signature does not match (wrong secret, or the body was changed)")
