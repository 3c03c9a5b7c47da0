"""Request bodies over the upload limit are refused before they are read, on every route, signed in or not.

FastAPI parses a multipart body (spooling it to disk) before any dependency,
authentication included, runs; so the limit is an ASGI middleware in front
of everything: a ``Content-Length`` over the limit is answered 413 at once,
and a body without one (chunked) is counted as it arrives and cut off at the
limit, the app's answer to the truncated body replaced by the 413.

Then a lingering close, as nginx does: a client that writes its whole body
before it reads (urllib, curl without ``Expect: 100-continue``) would meet a
connection reset instead of the 413 if we closed with its body unread; so
after the 413 has gone out, the rest of the body is read and thrown away, at
most :data:`DRAIN_BYTES` or :data:`DRAIN_S`, before the connection closes.
Nothing of it is kept.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.problems import PROBLEMS
from service.settings import Settings

MULTIPART_OVERHEAD = 16 * 1024
"""Boundaries and part headers around the file, and the CSRF field of the student page's form."""
JSON_OVERHEAD = 16 * 1024
"""The LMS webhook's JSON fields around the base64 file."""


def kb(size: int) -> str:
    return f"{size / 1024:,.1f} kB"


def limits(settings: Settings) -> dict[str, int]:
    """The largest body each upload route accepts; any other route gets the largest of these."""
    multipart = settings.max_upload_bytes + MULTIPART_OVERHEAD
    return {"/api/v1/submissions": multipart, "/student/upload": multipart,
            "/api/v1/lms/submissions": settings.max_upload_bytes * 4 // 3 + JSON_OVERHEAD}


DRAIN_BYTES = 16 * 1024 * 1024
"""At most this much of a refused body is read (and discarded) before the connection closes."""
DRAIN_S = 2.0
"""... and for at most this long."""


async def drain(receive: Receive) -> int:
    """Read and discard the rest of a request body, within the bounds above; the bytes thrown away."""
    thrown = 0
    with anyio.move_on_after(DRAIN_S):
        while thrown < DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                break
            thrown += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
    return thrown


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 problem+json for a request body over its route's limit, without reading it."""

    def __init__(self, app: ASGIApp, *, limits: dict[str, int], file_limit: int) -> None:
        self.app, self.limits, self.file_limit = app, limits, file_limit
        self.default = max(limits.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"].rstrip("/"), self.default)
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            # a client that asked to continue sends no body after a final answer: nothing to drain
            linger = headers.get("expect", "").lower() != "100-continue"
            await self._refuse(send, receive if linger else None, f"the request is {kb(int(length))}",
                               size=int(length))
            return
        await self._capped(scope, receive, send, limit)

    async def _capped(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b"")) if message["type"] == "http.request" else 0
            if seen > limit:
                over = True
                raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:  # the app's answer to a truncated body: ours goes out instead
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(send, receive, f"more than {kb(limit)} were sent", size=None)

    async def _refuse(self, send: Send, receive: Receive | None, what: str, *, size: int | None) -> None:
        """The 413, whole (its Content-Length reached), then, with ``receive``, a lingering close."""
        body: dict[str, Any] = {
            "type": PROBLEMS + "too-large", "title": "Submission too large", "status": 413,
            "detail": f"{what}; the limit for layers.py is {kb(self.file_limit)}",
            "limit": self.file_limit, "size": size}
        raw = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"), (b"content-length", str(len(raw)).encode()),
            (b"connection", b"close")]})
        # more_body keeps the exchange open (the server still reads) though the client has the whole answer
        await send({"type": "http.response.body", "body": raw, "more_body": receive is not None})
        if receive is not None:
            await drain(receive)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
