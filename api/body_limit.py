"""Request bodies over the upload limit are refused before they are read, on every route, signed in or not.

FastAPI parses a multipart body (spooling it to disk) before any dependency,
authentication included, runs; so the limit is an ASGI middleware in front
of everything: a ``Content-Length`` over the limit is answered 413 at once,
and a body without one (chunked) is counted as it arrives and cut off at the
limit, the app's answer to the truncated body replaced by the 413.
"""

from __future__ import annotations

import json
from typing import Any

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
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await self._refuse(send, f"the request is {kb(int(length))}", size=int(length))
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
            await self._refuse(send, f"more than {kb(limit)} were sent", size=None)

    async def _refuse(self, send: Send, what: str, *, size: int | None) -> None:
        body: dict[str, Any] = {
            "type": PROBLEMS + "too-large", "title": "Submission too large", "status": 413,
            "detail": f"{what}; the limit for layers.py is {kb(self.file_limit)}",
            "limit": self.file_limit, "size": size}
        raw = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"), (b"content-length", str(len(raw)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": raw})
